import { join } from 'node:path';
import type { NoticeStore } from './notices-port.ts';
import { openRedisNoticeStore } from './notices-redis.ts';
import { openSqliteNoticeStore } from './notices-sqlite.ts';
import type { Store } from './port.ts';

/** File name of the embedded store inside DATA_DIR (the same file as the main store). */
const SQLITE_FILE_NAME = 'privacy-bot.db';

/**
 * Opens the notice store next to the main store: Redis when `redisUrl` is set (same key
 * namespace 'privacy-bot:'), else the embedded file `<dataDir>/privacy-bot.db`.
 * @throws BotError 'STORE_UNAVAILABLE' naming the Redis URL (password masked) or the file.
 */
export async function openNoticeStore(config: { redisUrl: string | null; dataDir: string }): Promise<NoticeStore> {
  if (config.redisUrl) return openRedisNoticeStore(config.redisUrl);
  return openSqliteNoticeStore(join(config.dataDir, SQLITE_FILE_NAME));
}

/**
 * `store`, whose close() also closes `extra` (so code that closes the main store — the CLI,
 * the server's shutdown, tests — releases the notice store's connection too). Every other
 * property is the store's own.
 */
export function closingAlso(store: Store, extra: { close(): Promise<void> }): Store {
  const close = async (): Promise<void> => {
    await Promise.allSettled([extra.close()]);
    await store.close();
  };
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'close') return close;
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
