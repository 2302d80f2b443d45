/**
 * Shared set-up of the Redis store test files: the real Redis at REDIS_TEST_URL (default
 * redis://127.0.0.1:6379), a unique key prefix per run deleted at the end, and the rule that an
 * unreachable Redis FAILS when CI or REQUIRE_REDIS is set and otherwise skips with a message
 * saying how to start it. Call once at the top level of a test file.
 */
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { maskRedisUrl } from '../../../src/store/redis/store.ts';

export interface RedisTestEnv {
  url: string;
  /** Why Redis could not be used, or null when it answered. */
  unreachable: string | null;
  /** True when CI or REQUIRE_REDIS is set (an unreachable Redis is then a failure). */
  mustHaveRedis: boolean;
  /** The `skip` option for the file's describe: a reason string, or false. */
  skip: string | false;
  /** A fresh key prefix under this run's prefix, e.g. `privacy-bot-test:notices-123-ab12cd34:c1:`. */
  prefixFor(label: string): string;
}

/**
 * @param label names the run prefix and the skip message (e.g. 'notices')
 * @param open opens the store under test with a key prefix and a connect timeout in ms (the probe)
 */
export async function redisTestEnv(
  label: string,
  open: (url: string, options: { keyPrefix: string; connectTimeoutMs: number }) => Promise<{ close(): Promise<void> }>,
): Promise<RedisTestEnv> {
  const url = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';
  const runPrefix = `privacy-bot-test:${label}-${process.pid}-${randomBytes(4).toString('hex')}:`;
  const mustHaveRedis = Boolean(process.env.CI || process.env.REQUIRE_REDIS);
  let unreachable: string | null = null;
  try {
    const s = await open(url, { keyPrefix: `${runPrefix}probe:`, connectTimeoutMs: 1000 });
    await s.close();
  } catch (err) {
    unreachable = (err as Error).message;
  }
  const skip = unreachable && !mustHaveRedis
    ? `Redis not reachable at ${maskRedisUrl(url)} (${unreachable}); start it with ` +
      `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no, or set REQUIRE_REDIS=1 to make this a failure`
    : false;
  if (skip) console.log(`# SKIP redis ${label} tests: ${skip}`);
  if (unreachable && mustHaveRedis) {
    const reason = unreachable;
    it('Redis is reachable (required because CI or REQUIRE_REDIS is set)', () => {
      assert.fail(`Redis not reachable at ${maskRedisUrl(url)}: ${reason}`);
    });
  }
  after(async () => {
    if (unreachable) return;
    const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await c.connect();
      let cursor = '0';
      do {
        const [next, keys] = await c.scan(cursor, 'MATCH', `${runPrefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length) await c.del(...keys);
      } while (cursor !== '0');
    } finally {
      c.disconnect();
    }
  });
  let n = 0;
  return { url, unreachable, mustHaveRedis, skip, prefixFor: (l) => `${runPrefix}${l}${++n}:` };
}
