import { Redis } from 'ioredis';

/**
 * Deletes every key under `prefix` on the Redis at `url` (SCAN + DEL, 1,000 keys a round), best
 * effort: when Redis is gone there is nothing to clean, so connection errors are swallowed.
 * Used by tests and benches that give each run its own key prefix.
 */
export async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  c.on('error', () => {});
  try {
    await c.connect();
    let cursor = '0';
    do {
      const [next, keys] = await c.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await c.del(...keys);
    } while (cursor !== '0');
  } catch {
    // nothing to clean when Redis is gone
  } finally {
    c.disconnect();
  }
}
