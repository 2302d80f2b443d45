import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { openRedisNoticeStore } from '../../../src/store/redis/notices.ts';
import { redisTestEnv } from './redis-test-env.ts';
import { runNoticeStoreContract } from './notices-contract.ts';
import { twoProcessesAppend } from './audit-concurrency.ts';
import { assertLinearChain } from '../../helpers/audit-chain.ts';
import { CHAIN_SEAL } from '../../../src/store/redis/notices-lua.ts';

/**
 * The notice store contract against the real Redis at REDIS_TEST_URL (default
 * redis://127.0.0.1:6379). Unreachable Redis fails when CI or REQUIRE_REDIS is set; otherwise
 * the suite is skipped with a message saying how to start Redis. Keys live under a unique
 * prefix per run, deleted at the end.
 */
const { url: REDIS_URL, unreachable, mustHaveRedis, skip, prefixFor } = await redisTestEnv('notices', openRedisNoticeStore);

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

      it('two processes appending to one broadcast’s audit at once build one linear hash chain', { timeout: 60_000 }, async () => {
        const keyPrefix = prefixFor('chain2p');
        const s = await openRedisNoticeStore(REDIS_URL, { keyPrefix });
        try {
          await twoProcessesAppend(s, { kind: 'redis', where: REDIS_URL, keyPrefix }, 150);
        } finally {
          await s.close();
        }
      });

      it('the seal is a compare-and-set: a writer holding a stale chain head changes nothing', async () => {
        const prefix = prefixFor('chaincas');
        const c = new Redis(REDIS_URL);
        const s = await openRedisNoticeStore(REDIS_URL, { keyPrefix: prefix });
        try {
          await s.createNotice('n1', { title: { zh: 'a', en: 'a' }, body: { zh: 'b', en: 'b' } }, 1);
          await s.createBroadcast({ id: 'b1', noticeId: 'n1', version: 1, platform: 'wecom', audience: { all: true }, readSupported: false, createdBy: 't' }, 1);
          await s.addRecipients('b1', ['u1', 'u2'], 2);
          const before = await c.lrange(`${prefix}{b:b1}:audit`, 0, -1);
          const head = await c.hmget(`${prefix}{b:b1}:meta`, 'chainN', 'chainHead');
          assert.equal(head[0], '3');
          // What a second writer that read the head before the last seal would send: the old head and its own view of entry 2.
          const keys = [`${prefix}{b:b1}:meta`, `${prefix}{b:b1}:audit`];
          const stale = await c.eval(CHAIN_SEAL, 2, ...keys, '1', before.map((e) => JSON.parse(e) as { h: string })[0]!.h, '{"forged":1}', 'f'.repeat(64));
          assert.equal(stale, -1);
          assert.deepEqual(await c.lrange(`${prefix}{b:b1}:audit`, 0, -1), before, 'nothing written');
          assert.deepEqual(await c.hmget(`${prefix}{b:b1}:meta`, 'chainN', 'chainHead'), head);
          assertLinearChain(await s.listAudit('b1'), { broadcastId: 'b1', noticeId: 'n1', version: 1 });
        } finally {
          c.disconnect();
          await s.close();
        }
      });

      it('chains audit entries written before the chain existed when a store opens, and entries an older instance appends later', async () => {
        const prefix = prefixFor('chainmig');
        const c = new Redis(REDIS_URL);
        const s = await openRedisNoticeStore(REDIS_URL, { keyPrefix: prefix });
        try {
          await s.createNotice('n1', { title: { zh: 'a', en: 'a' }, body: { zh: 'b', en: 'b' } }, 1);
          for (const id of ['b1', 'b2']) {
            await s.createBroadcast({ id, noticeId: 'n1', version: 1, platform: 'wecom', audience: { all: true }, readSupported: false, createdBy: 't' }, 1);
            await s.addRecipients(id, ['u1', 'u2', 'u3'], 2);
            await s.startSending(id, 3);
          }
          const expected = await s.listAudit('b1');
          await s.close();
          // Turn the data into what a version without the chain wrote: no chain fields, no head, no marker.
          for (const id of ['b1', 'b2']) {
            const key = `${prefix}{b:${id}}:audit`;
            const entries = await c.lrange(key, 0, -1);
            for (let i = 0; i < entries.length; i++) {
              const { n: _n, p: _p, h: _h, ...old } = JSON.parse(entries[i]!) as Record<string, unknown>;
              await c.lset(key, i, JSON.stringify(old));
            }
            await c.hdel(`${prefix}{b:${id}}:meta`, 'chainN', 'chainHead');
          }
          await c.del(`${prefix}{idx}:audit-chain`);
          assert.ok(!(await c.lindex(`${prefix}{b:b1}:audit`, 0))!.includes('"h"'));

          const reopened = await openRedisNoticeStore(REDIS_URL, { keyPrefix: prefix });
          try {
            assert.equal(await c.get(`${prefix}{idx}:audit-chain`), 'v1', 'marked as done');
            for (const raw of await c.lrange(`${prefix}{b:b2}:audit`, 0, -1)) assert.match(raw, /"h":"[0-9a-f]{64}"/, 'chained at open, before any read');
            assert.deepEqual(await reopened.listAudit('b1'), expected, 'the same chain as written with it');
            // An instance of the older version appends an entry without chain fields: the next write seals it first.
            await c.rpush(`${prefix}{b:b1}:audit`, JSON.stringify({ at: 4, f: 'sending', t: 'sending', r: 'from an older instance' }));
            await reopened.cancel('b1', 5);
            const events = await reopened.listAudit('b1');
            assertLinearChain(events, { broadcastId: 'b1', noticeId: 'n1', version: 1 });
            assert.deepEqual(events.slice(-2).map((e) => e.reason), ['from an older instance', 'cancelled by an admin']);
          } finally {
            await reopened.close();
          }
        } finally {
          c.disconnect();
          await s.close();
        }
      });

      it('reminder rounds queued before they were recorded (or by an older instance) are read from the audit list once', async () => {
        const prefix = prefixFor('rounds');
        const c = new Redis(REDIS_URL);
        const s = await openRedisNoticeStore(REDIS_URL, { keyPrefix: prefix });
        try {
          await s.createNotice('n1', { title: { zh: 'a', en: 'a' }, body: { zh: 'b', en: 'b' } }, 1);
          await s.createBroadcast({ id: 'b1', noticeId: 'n1', version: 1, platform: 'wecom', audience: { all: true }, readSupported: false, createdBy: 't' }, 1);
          await s.addRecipients('b1', ['u1', 'u2'], 1);
          await s.startSending('b1', 1);
          const batch = await s.claimBatch('b1', { owner: 'w', max: 10, leaseMs: 1000, deferMs: 100 }, 2);
          await s.settleBatch(batch!, { sent: ['u1', 'u2'], failed: [], retry: [] }, 3);
          await s.resend('b1', 'unacknowledged', 10, 'console:a');
          await s.resend('b1', 'unacknowledged', 20, 'api');
          // As if rounds 1 and 2 had been queued by a version that did not record rounds.
          await c.del(`${prefix}{b:b1}:rounds`);
          await s.resend('b1', 'unacknowledged', 30, 'cli');
          assert.deepEqual(await c.hkeys(`${prefix}{b:b1}:rounds`), ['3']);
          const want = [
            { round: 1, at: 10, queued: 2, by: null },
            { round: 2, at: 20, queued: 2, by: null },
            { round: 3, at: 30, queued: 2, by: 'cli' },
          ];
          assert.deepEqual(await s.listReminderRounds('b1'), want);
          assert.deepEqual((await c.hkeys(`${prefix}{b:b1}:rounds`)).sort(), ['1', '2', '3'], 'written back: read from the audit list once');
          assert.deepEqual(await s.listReminderRounds('b1'), want);
        } finally {
          c.disconnect();
          await s.close();
        }
      });

      it('rejects a key prefix with braces and an unreachable server with STORE_UNAVAILABLE', async () => {
        await assert.rejects(openRedisNoticeStore(REDIS_URL, { keyPrefix: 'a{b}:' }), { code: 'STORE_BAD_ARGUMENT' });
        await assert.rejects(openRedisNoticeStore('redis://user:secret@127.0.0.1:1', { connectTimeoutMs: 500 }), (e: Error & { code?: string }) => e.code === 'STORE_UNAVAILABLE' && !e.message.includes('secret'));
      });
    });
  });
}
