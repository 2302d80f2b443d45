/**
 * The store contracts (main, notices, policies) against a real 3-master Redis Cluster started for this file (own ports,
 * own temp dirs) through a `redis+cluster://` URL. Every multi-key command and Lua script of the
 * stores must keep its keys in one slot (one hash tag): a cross-slot one fails here with
 * CROSSSLOT. Skips when redis-server or `redis-cli --cluster` is missing, unless
 * REQUIRE_REDIS_CLUSTER is set (then that is a failure).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { openRedisStore } from '../../../src/store/redis/store.ts';
import { openRedisNoticeStore } from '../../../src/store/redis/notices.ts';
import { openRedisPolicyStore } from '../../../src/store/redis/policies.ts';
import { openStores } from '../../../src/store/index.ts';
import { createLogger } from '../../../src/log.ts';
import { checkRedisPersistence } from '../../../src/store/redis/persistence.ts';
import { runStoreContract } from './contract.ts';
import { runNoticeStoreContract } from './notices-contract.ts';
import { runPolicyStoreContract } from './policies-contract.ts';
import { redisTooling, startRedisCluster, type ThrowawayCluster } from './redis-servers.ts';

const required = Boolean(process.env.REQUIRE_REDIS_CLUSTER);
let problem: string | null = !redisTooling.server
  ? 'redis-server binary not installed'
  : !redisTooling.clusterCli
    ? 'redis-cli --cluster not available'
    : null;
let cluster: ThrowawayCluster | null = null;
if (problem === null) {
  try {
    cluster = await startRedisCluster(3);
  } catch (err) {
    problem = `could not start a local Redis Cluster: ${(err as Error).message}`;
  }
}
after(async () => {
  await cluster?.stop();
});

if (problem && required) {
  it('a local Redis Cluster can be started (required because REQUIRE_REDIS_CLUSTER is set)', () => {
    assert.fail(problem!);
  });
}
const skip = problem && !required ? `Redis Cluster tests skipped: ${problem}` : false;
if (skip) console.log(`# SKIP ${skip}`);

let n = 0;
const prefixFor = (label: string): string => `pb-cluster-test:${label}${++n}:`;

if (!problem || !required) {
  describe('redis cluster', { skip }, () => {
    const url = () => cluster!.url;
    runStoreContract('redis-cluster', () => openRedisStore(url(), { keyPrefix: prefixFor('s') }));
    runNoticeStoreContract('redis-cluster', () => openRedisNoticeStore(url(), { keyPrefix: prefixFor('n') }));
    runPolicyStoreContract('redis-cluster', () => openRedisPolicyStore(url(), { keyPrefix: prefixFor('p') }));

    describe('Redis Cluster specifics', () => {
      it('openStores with a redis+cluster:// URL opens every port on Redis', async () => {
        const s = await openStores({ redisUrl: url(), dataDir: '/nonexistent-should-not-be-used' }, { redisKeyPrefix: prefixFor('o') });
        try {
          assert.deepEqual([s.kv.kind, s.notices.kind, s.policies.kind], ['redis', 'redis', 'redis']);
          await Promise.all([s.kv.ping(), s.notices.ping(), s.policies.ping()]);
        } finally {
          await s.close();
        }
      });

      it('a multi-key script over two hash tags is refused (what the hash tags prevent)', async () => {
        const c = new Redis.Cluster([{ host: '127.0.0.1', port: cluster!.nodes[0]!.port }]);
        try {
          // {b:x} and {b:y} live in different slots.
          await assert.rejects(c.eval("return redis.call('GET', KEYS[1])", 2, 'p:{b:x}:meta', 'p:{b:y}:meta'), /CROSSSLOT/);
          assert.equal(await c.eval("return redis.call('EXISTS', KEYS[1], KEYS[2])", 2, 'p:{b:x}:meta', 'p:{b:x}:r'), 0);
        } finally {
          c.disconnect();
        }
      });

      it('the stores’ keys spread over every master (the contract crossed slots)', async () => {
        const counts = await Promise.all(
          cluster!.nodes.map(async (node) => {
            const c = new Redis(node.port, '127.0.0.1');
            try {
              return await c.dbsize();
            } finally {
              c.disconnect();
            }
          }),
        );
        assert.ok(counts.every((k) => k > 0), `keys per master: ${counts.join(', ')}`);
      });

      it('the persistence check asks every master', async () => {
        const lines: { level: number; msg: string; nodes?: string[] }[] = [];
        const sink = new Writable({
          write(chunk: Buffer, _enc, cb) {
            for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l) as { level: number; msg: string });
            cb();
          },
        });
        assert.equal(await checkRedisPersistence(url(), createLogger('info', sink)), 'not-persistent');
        const w = lines.find((l) => l.level === 40)!;
        assert.deepEqual(w.nodes!.sort(), cluster!.nodes.map((x) => `127.0.0.1:${x.port}`).sort());
      });
    });
  });
}
