/**
 * The DingTalk replay memory (adapters/dingtalk/replay.ts): a (timestamp, sign) header pair stays
 * bound to the first body's msgId for as long as the signature is valid (SIGN_WINDOW_MS, ±1 h),
 * so a forged body that reuses the pair is recognised however late within the window it comes.
 * Time is injected (the claim guard's clock) or read from the store's own TTL: no real waiting.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createClaimGuard } from '../../../adapters/kit/claims.ts';
import { SIGN_WINDOW_MS } from '../../../adapters/dingtalk/limits.ts';
import { bindSignPair, signPairKey, signPairTtlMs } from '../../../adapters/dingtalk/replay.ts';
import { computeDingtalkSign } from '../../../adapters/dingtalk/sign.ts';
import { createLogger } from '../../../src/log.ts';
import { openRedisStore } from '../../../src/store/redis/store.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import { redisTestEnv } from '../../src/store/redis-test-env.ts';

const log = createLogger('silent');
const T = Date.parse('2026-05-01T08:00:00.000Z');
const env = await redisTestEnv('replay', openRedisStore);
const pairAt = (ms: number) => ({ timestamp: String(ms), sign: computeDingtalkSign(String(ms), 'app-secret') });

describe('DingTalk replay memory', () => {
  it('remembers a pair until its timestamp leaves the signature window (plus a minute), never less than 1 s', () => {
    assert.ok(signPairTtlMs(T, T) >= SIGN_WINDOW_MS, 'a pair signed just now: the whole window');
    assert.equal(signPairTtlMs(T, T + 1500), SIGN_WINDOW_MS - 1500 + 60_000);
    assert.equal(signPairTtlMs(T + SIGN_WINDOW_MS, T), 2 * SIGN_WINDOW_MS + 60_000, 'a timestamp 1 h ahead is valid for 2 h');
    assert.equal(signPairTtlMs(T - SIGN_WINDOW_MS, T), 60_000, 'at the edge of the window: the minute of margin');
    assert.equal(signPairTtlMs(T - 10 * SIGN_WINDOW_MS, T), 1000);
  });

  it('a forged body replaying the pair 1.5 s later is recognised (reused), a retry of the genuine body is not', async () => {
    // The claim guard keeps claims in its own memory, on its injected clock, while the store is
    // down: here the store is closed, so every claim lives there and the clock is the test's.
    const dir = mkdtempSync(join(tmpdir(), 'replay-'));
    const store = openSqliteStore(join(dir, 'kv.db'));
    await store.close();
    try {
      const clock = { t: T };
      const claims = createClaimGuard(store, log, { now: () => clock.t });
      const pair = pairAt(T);
      assert.equal(await bindSignPair(claims, pair, 'msg-genuine', clock.t), 'first');
      assert.equal(claims.localCount, 1, 'held in memory (store down)');
      clock.t += 1500;
      assert.equal(await bindSignPair(claims, pair, 'msg-forged', clock.t), 'reused', '1.5 s later');
      assert.equal(await bindSignPair(claims, pair, 'msg-genuine', clock.t), 'same-message');
      clock.t = T + SIGN_WINDOW_MS - 1000;
      assert.equal(await bindSignPair(claims, pair, 'msg-forged-2', clock.t), 'reused', 'still within the window');
      clock.t = T + SIGN_WINDOW_MS + 61_000;
      assert.equal(await bindSignPair(claims, pair, 'msg-late', clock.t), 'first', 'forgotten once the pair is no longer valid anyway');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('in the shared store (Redis) the pair is kept for the rest of the window: the store’s own TTL', { skip: env.skip }, async (t) => {
    if (env.unreachable) return t.skip('Redis not reachable');
    const prefix = env.prefixFor('ttl');
    const store = await openRedisStore(env.url, { keyPrefix: prefix });
    const raw = new Redis(env.url);
    try {
      const claims = createClaimGuard(store, log);
      const signedAt = Date.now() - 1500; // a pair signed 1.5 s ago
      const pair = pairAt(signedAt);
      assert.equal(await bindSignPair(claims, pair, 'msg-genuine', Date.now()), 'first');
      assert.equal(claims.localCount, 0, 'in the store, not in memory');
      const ttl = await raw.pttl(`${prefix}kv:${signPairKey(pair.timestamp, pair.sign)}`); // the store's key layout (src/store/redis/store.ts)
      // Whatever time has passed since (a slow machine), the key outlives the pair's validity.
      const validFor = signedAt + SIGN_WINDOW_MS - Date.now();
      assert.ok(ttl >= validFor, `TTL ${ttl} ms, pair still valid for ${validFor} ms`);
      assert.equal(await bindSignPair(claims, pair, 'msg-forged', Date.now()), 'reused');
    } finally {
      raw.disconnect();
      await store.close();
    }
  });
});
