/**
 * The store contracts (main, notices, policies) through a `redis+sentinel://` URL against a Sentinel, its master and a
 * replica started for this file (own ports, own temp dirs, passwords on the data nodes and on the
 * Sentinel, database 2), then a failover: the master is killed and the store carries on with the
 * promoted replica without a restart. Skips when redis-server is missing, unless
 * REQUIRE_REDIS_SENTINEL is set (then that is a failure).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { openRedisStore } from '../../../src/store/redis/store.ts';
import { openRedisNoticeStore } from '../../../src/store/redis/notices.ts';
import { openRedisPolicyStore } from '../../../src/store/redis/policies.ts';
import { inspectRedisPersistence } from '../../../src/store/redis/persistence.ts';
import { runStoreContract } from './contract.ts';
import { runNoticeStoreContract } from './notices-contract.ts';
import { runPolicyStoreContract } from './policies-contract.ts';
import { redisTooling, startRedisSentinel, type ThrowawaySentinel } from './redis-servers.ts';

const required = Boolean(process.env.REQUIRE_REDIS_SENTINEL);
let problem: string | null = redisTooling.server ? null : 'redis-server binary not installed';
let setup: ThrowawaySentinel | null = null;
if (problem === null) {
  try {
    setup = await startRedisSentinel();
  } catch (err) {
    problem = `could not start a local Redis Sentinel: ${(err as Error).message}`;
  }
}
after(async () => {
  await setup?.stop();
});

if (problem && required) {
  it('a local Redis Sentinel can be started (required because REQUIRE_REDIS_SENTINEL is set)', () => {
    assert.fail(problem!);
  });
}
const skip = problem && !required ? `Redis Sentinel tests skipped: ${problem}` : false;
if (skip) console.log(`# SKIP ${skip}`);

let n = 0;
const prefixFor = (label: string): string => `pb-sentinel-test:${label}${++n}:`;

if (!problem || !required) {
  describe('redis sentinel', { skip }, () => {
    const url = () => setup!.url(2);
    runStoreContract('redis-sentinel', () => openRedisStore(url(), { keyPrefix: prefixFor('s') }));
    runNoticeStoreContract('redis-sentinel', () => openRedisNoticeStore(url(), { keyPrefix: prefixFor('n') }));
    runPolicyStoreContract('redis-sentinel', () => openRedisPolicyStore(url(), { keyPrefix: prefixFor('p') }));

    describe('Redis Sentinel specifics', () => {
      it('writes go to the master’s database 2 (password and db from the URL)', async () => {
        const prefix = prefixFor('db');
        const s = await openRedisStore(url(), { keyPrefix: prefix });
        const direct = new Redis({ port: setup!.master.port, host: '127.0.0.1', password: setup!.password, db: 2 });
        try {
          await s.set('k', 'v');
          assert.equal(await direct.get(`${prefix}kv:k`), 'v');
          await direct.select(0);
          assert.equal(await direct.get(`${prefix}kv:k`), null);
        } finally {
          direct.disconnect();
          await s.close();
        }
      });

      it('a wrong sentinel password or an unknown master name fails at open, without the passwords', async () => {
        const bad = `redis+sentinel://:${setup!.password}@127.0.0.1:${setup!.sentinel.port}/${setup!.masterName}?sentinelPassword=wrong`;
        await assert.rejects(openRedisStore(bad, { connectTimeoutMs: 1000 }), (e: Error & { code?: string }) => {
          assert.equal(e.code, 'STORE_UNAVAILABLE');
          assert.doesNotMatch(e.message, /data-pw|wrong/);
          return true;
        });
        const unknown = `redis+sentinel://:${setup!.password}@127.0.0.1:${setup!.sentinel.port}/nosuchmaster?sentinelPassword=${setup!.sentinelPassword}`;
        await assert.rejects(openRedisStore(unknown, { connectTimeoutMs: 1000 }), { code: 'STORE_UNAVAILABLE' });
      });

      it('the persistence check asks the master', async () => {
        assert.deepEqual(await inspectRedisPersistence(url()), [{ node: `master ${setup!.masterName}`, aof: false, rdb: false, source: 'config' }]);
      });

      // Last: it kills the master.
      it('after the master dies, the store follows the failover to the promoted replica without a restart', async () => {
        const prefix = prefixFor('failover');
        const s = await openRedisStore(url(), { keyPrefix: prefix });
        const notices = await openRedisNoticeStore(url(), { keyPrefix: prefix });
        const replica = new Redis({ port: setup!.replica.port, host: '127.0.0.1', password: setup!.password, db: 2 });
        try {
          assert.equal(await s.claim('before', 600_000), true);
          await notices.createNotice('n1', { title: { zh: '通知', en: 'Notice' }, body: { zh: '正文', en: 'Body' } }, 1);
          // Replication is asynchronous: wait until the replica has the writes, then kill the master.
          const caughtUpBy = Date.now() + 30_000; // failure guard only
          while ((await replica.exists(`${prefix}kv:before`, `${prefix}{n:n1}:meta`)) < 2) {
            assert.ok(Date.now() < caughtUpBy, 'replica caught up');
            await sleep(50);
          }
          await setup!.master.kill();
          const started = Date.now();
          await assert.rejects(s.ping(), { code: 'STORE_UNAVAILABLE' }, 'fails fast while there is no master');
          let back = false;
          while (!back && Date.now() - started < 30_000) {
            await sleep(200);
            back = await s.claim('after', 600_000).then(() => true, () => false);
          }
          assert.ok(back, 'writes work again after the failover');
          assert.equal((await replica.role())[0], 'master', 'the replica was promoted');
          assert.equal(await s.claim('before', 600_000), false, 'data written before the failover is still there');
          await notices.ping().catch(() => undefined); // the notice store reconnects on its own too
          let version = null;
          const versionBy = Date.now() + 30_000; // failure guard only
          while (version === null && Date.now() < versionBy) {
            version = await notices.getNoticeVersion('n1').catch(() => null);
            if (version === null) await sleep(100);
          }
          assert.equal(version?.title.en, 'Notice');
        } finally {
          replica.disconnect();
          await s.close();
          await notices.close();
        }
      });
    });
  });
}
