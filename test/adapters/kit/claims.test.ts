import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClaimGuard } from '../../../adapters/kit/claims.ts';
import { createLogger } from '../../../src/log.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import type { KeyValueStore } from '../../../src/store/ports/store.ts';
import { BotError } from '../../../src/errors.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'claims-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A store that can be switched off: every call then fails as a down Redis does. */
function switchable(kv: KeyValueStore): KeyValueStore & { down: boolean } {
  const s = { down: false } as KeyValueStore & { down: boolean };
  for (const m of ['claim', 'get', 'set', 'delete', 'increment'] as const) {
    (s as unknown as Record<string, unknown>)[m] = (...args: unknown[]) =>
      s.down ? Promise.reject(new BotError('STORE_UNAVAILABLE', 'down', { status: 503 })) : (kv[m] as (...a: unknown[]) => Promise<unknown>)(...args);
  }
  return s;
}

test('claims go to the store: the first caller wins, in every guard sharing it', async () => {
  const kv = openSqliteStore(join(dir, 'a.db'));
  const g1 = createClaimGuard(kv, createLogger('silent'));
  const g2 = createClaimGuard(kv, createLogger('silent'));
  assert.equal(await g1.claim('k1', 60_000, 'v1'), true);
  assert.equal(await g2.claim('k1', 60_000, 'v2'), false);
  assert.equal(await g2.value('k1'), 'v1');
  await g1.release('k1');
  assert.equal(await g2.claim('k1', 60_000), true);
  await kv.close();
});

test('with the store down a claim is held in memory: taken once, still held when the store is back', async () => {
  const kv = switchable(openSqliteStore(join(dir, 'b.db')));
  const g = createClaimGuard(kv, createLogger('silent'));
  kv.down = true;
  assert.equal(await g.claim('m1', 60_000, 's1'), true);
  assert.equal(await g.claim('m1', 60_000, 's2'), false);
  assert.equal(await g.value('m1'), 's1');
  assert.equal(g.localCount, 1);
  kv.down = false;
  assert.equal(await g.claim('m1', 60_000), false, 'a retry after the store is back is still a duplicate here');
  assert.equal(await g.claim('m2', 60_000), true);
  assert.equal(await kv.get('m2'), '1', 'new claims go to the store again');
});

test('memory claims expire with their TTL and are bounded in number', async () => {
  let now = 1_000_000;
  const kv = switchable(openSqliteStore(join(dir, 'c.db')));
  kv.down = true;
  const g = createClaimGuard(kv, createLogger('silent'), { now: () => now, maxLocal: 100 });
  assert.equal(await g.claim('x', 1000), true);
  now += 1001;
  assert.equal(await g.claim('x', 1000), true, 'expired');
  for (let i = 0; i < 500; i++) await g.claim(`k${i}`, 60_000);
  assert.equal(g.localCount, 100);
  assert.equal(await g.claim('k499', 60_000), false, 'the newest are kept');
});

test('extend: a claim taken as a short lease gets its full lifetime and value; with the store down it stays in memory', async () => {
  const kv = switchable(openSqliteStore(join(dir, 'd.db')));
  const sets: [string, string, number | undefined][] = [];
  const set = kv.set;
  kv.set = (key, value, ttlMs) => {
    sets.push([key, value, ttlMs]);
    return set(key, value, ttlMs);
  };
  const g = createClaimGuard(kv, createLogger('silent'));
  assert.equal(await g.claim('lease', 50, 'stream_1'), true);
  await g.extend('lease', 3_600_000, 'stream_1');
  assert.deepEqual(sets, [['lease', 'stream_1', 3_600_000]]);
  assert.equal(await g.claim('lease', 50), false);
  assert.equal(await g.value('lease'), 'stream_1');

  assert.equal(await g.claim('lease2', 50), true);
  kv.down = true;
  await g.extend('lease2', 3_600_000);
  assert.equal(g.localCount, 1, 'held here while the store is down');
  assert.equal(await g.claim('lease2', 50), false);
  kv.down = false;
});
