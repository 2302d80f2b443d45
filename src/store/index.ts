import { join } from 'node:path';
import type { Store } from './port.ts';
import { openRedisStore } from './redis.ts';
import { openSqliteStore } from './sqlite.ts';

/** File name of the embedded store inside DATA_DIR. */
export const SQLITE_FILE_NAME = 'privacy-bot.db';

/**
 * Opens the configured store: Redis when `redisUrl` is set (production, several instances),
 * otherwise the embedded SQLite file `<dataDir>/privacy-bot.db` (directory created if missing).
 * @throws BotError 'STORE_UNAVAILABLE' naming the Redis URL (password masked) or the file.
 */
export async function openStore(config: { redisUrl: string | null; dataDir: string }): Promise<Store> {
  if (config.redisUrl) return openRedisStore(config.redisUrl);
  return openSqliteStore(join(config.dataDir, SQLITE_FILE_NAME));
}
