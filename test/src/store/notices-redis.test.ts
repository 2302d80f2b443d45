import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { openRedisNoticeStore } from '../../../src/store/notices-redis.ts';
import { maskRedisUrl } from '../../../src/store/redis.ts';
import { runNoticeStoreContract } from './notices-contract.ts';

/**
 * The notice store contract against the real Redis at REDIS_TEST_URL (default
 * redis://127.0.0.1:6379). Unreachable Redis fails when CI or REQUIRE_REDIS is set; otherwise
 * the suite is skipped with a message saying how to start Redis. Keys live under a unique
 * prefix per run, deleted at the end.
 */
const REDIS_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';
const RUN_PREFIX = `privacy-bot-test:notices-${process.pid}-${randomBytes(4).toString('hex')}:`;
const mustHaveRedis = Boolean(process.env.CI || process.env.REQUIRE_REDIS);

async function probe(): Promise<string | null> {
  try {
    const s = await openRedisNoticeStore(REDIS_URL, { keyPrefix: `${RUN_PREFIX}probe:`, connectTimeoutMs: 1000 });
    await s.close();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

const unreachable = await probe();
const skip = unreachable && !mustHaveRedis
  ? `Redis not reachable at ${maskRedisUrl(REDIS_URL)} (${unreachable}); start it with ` +
    `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no, or set REQUIRE_REDIS=1 to make this a failure`
  : false;
if (skip) console.log(`# SKIP redis notice store tests: ${skip}`);

if (unreachable && mustHaveRedis) {
  it('Redis is reachable (required because CI or REQUIRE_REDIS is set)', () => {
    assert.fail(`Redis not reachable at ${maskRedisUrl(REDIS_URL)}: ${unreachable}`);
  });
}

after(async () => {
  if (unreachable) return;
  const c = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await c.connect();
    let cursor = '0';
    do {
      const [next, keys] = await c.scan(cursor, 'MATCH', `${RUN_PREFIX}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await c.del(...keys);
    } while (cursor !== '0');
  } finally {
    c.disconnect();
  }
});

let n = 0;
const prefixFor = (label: string): string => `${RUN_PREFIX}${label}${++n}:`;

if (!unreachable || !mustHaveRedis) {
  describe('redis notices', { skip }, () => {
    runNoticeStoreContract('redis', () => openRedisNoticeStore(REDIS_URL, { keyPrefix: prefixFor('c') }));

    describe('Redis notice store specifics', () => {
      it('keeps a broadcast’s keys under one {b:<id>} hash tag and an employee’s under {u:…}', async () => {
        const prefix = prefixFor('layout');
        const s = await openRedisNoticeStore(REDIS_URL, { keyPrefix: prefix });
        const c = new Redis(REDIS_URL);
        try {
          await s.createNotice('n1', { title: { zh: 'a', en: 'a' }, body: { zh: 'b', en: 'b' } }, 1);
          await s.createBroadcast({ id: 'b1', noticeId: 'n1', version: 1, platform: 'wecom', audience: { all: true }, readSupported: false, createdBy: 't' }, 1);
          await s.addRecipients('b1', ['u:1{x}'], 1);
          await s.startSending('b1', 1);
          const batch = await s.claimBatch('b1', { owner: 'w', max: 10, leaseMs: 1000, deferMs: 100 }, 2);
          await s.settleBatch(batch!, { sent: ['u:1{x}'], failed: [], retry: [] }, 3);
          const keys = (await c.keys(`${prefix}*`)).map((k) => k.slice(prefix.length)).sort();
          const tags = new Set(keys.map((k) => /^\{([^}]*)\}/.exec(k)?.[1]));
          assert.deepEqual([...tags].sort(), ['b:b1', 'idx', 'n:n1', 'u:wecom:u%3A1%7Bx%7D']);
          for (const k of keys) assert.match(k, /^\{[^}]+\}:/, `${k} starts with a hash tag`);
          assert.equal(await c.type(`${prefix}{b:b1}:audit`), 'list');
        } finally {
          c.disconnect();
          await s.close();
        }
      });

      it('two instances (same prefix, two connections) share claims: every recipient once', async () => {
        const prefix = prefixFor('two');
        const a = await openRedisNoticeStore(REDIS_URL, { keyPrefix: prefix });
        const b = await openRedisNoticeStore(REDIS_URL, { keyPrefix: prefix });
        try {
          await a.createNotice('n1', { title: { zh: 'a', en: 'a' }, body: { zh: 'b', en: 'b' } }, 1);
          await a.createBroadcast({ id: 'b1', noticeId: 'n1', version: 1, platform: 'dingtalk', audience: { all: true }, readSupported: true, createdBy: 't' }, 1);
          const users = Array.from({ length: 200 }, (_, i) => `s${i}`);
          await a.addRecipients('b1', users, 1);
          await a.startSending('b1', 1);
          const seen: string[] = [];
          await Promise.all([a, b, a, b].map(async (s, w) => {
            for (;;) {
              const batch = await s.claimBatch('b1', { owner: `w${w}`, max: 20, leaseMs: 60_000, deferMs: 100 }, 2);
              if (!batch) return;
              seen.push(...batch.users.map((u) => u.userId));
              await s.settleBatch(batch, { sent: batch.users.map((u) => u.userId), failed: [], retry: [] }, 3);
            }
          }));
          assert.equal(seen.length, 200);
          assert.equal(new Set(seen).size, 200);
          const bc = await b.getBroadcast('b1');
          assert.deepEqual([bc?.state, bc?.counts.sent, bc?.duplicates], ['done', 200, 0]);
        } finally {
          await a.close();
          await b.close();
        }
      });

      it('rejects a key prefix with braces and an unreachable server with STORE_UNAVAILABLE', async () => {
        await assert.rejects(openRedisNoticeStore(REDIS_URL, { keyPrefix: 'a{b}:' }), { code: 'STORE_BAD_ARGUMENT' });
        await assert.rejects(openRedisNoticeStore('redis://user:secret@127.0.0.1:1', { connectTimeoutMs: 500 }), (e: Error & { code?: string }) => e.code === 'STORE_UNAVAILABLE' && !e.message.includes('secret'));
      });
    });
  });
}
