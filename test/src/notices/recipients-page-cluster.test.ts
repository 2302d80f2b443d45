/**
 * queryRecipients on a real 3-master Redis Cluster started for this file: the recipients index
 * keys derive from the recipients hash's name, so they share its slot (hash tag `{b:<id>}`); a
 * script touching another slot would fail here with CROSSSLOT. Skips when redis-server or
 * `redis-cli --cluster` is missing, unless REQUIRE_REDIS_CLUSTER is set (then a failure).
 */
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { openRedisNoticeStore } from '../../../src/store/redis/notices.ts';
import { redisTooling, startRedisCluster, type ThrowawayCluster } from '../store/redis-servers.ts';
import { runSuite } from './recipients-page-suite.ts';

const required = Boolean(process.env.REQUIRE_REDIS_CLUSTER);
let problem: string | null = !redisTooling.server ? 'redis-server binary not installed' : !redisTooling.clusterCli ? 'redis-cli --cluster not available' : null;
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
if (problem && required) it('a local Redis Cluster can be started (REQUIRE_REDIS_CLUSTER is set)', () => assert.fail(problem!));
const skip = problem && !required ? `Redis Cluster tests skipped: ${problem}` : false;
if (skip) console.log(`# SKIP ${skip}`);

let n = 0;
runSuite('redis-cluster', async () => {
  const store = await openRedisNoticeStore(cluster!.url, { keyPrefix: `pb-cluster-recipients:${++n}:` });
  return { store, close: () => store.close() };
}, { skip });
runSuite('redis-cluster, prefix searches by time walking the index', async () => {
  const store = await openRedisNoticeStore(cluster!.url, { keyPrefix: `pb-cluster-recipients:w${++n}:`, recipientGatherMax: 0, recipientWalkChunk: 3 });
  return { store, close: () => store.close() };
}, { skip });
