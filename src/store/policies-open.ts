import { join } from 'node:path';
import type { PolicyStore } from './policies-port.ts';
import { openRedisPolicyStore } from './policies-redis.ts';
import { openSqlitePolicyStore } from './policies-sqlite.ts';

/** File name of the embedded store inside DATA_DIR (the same file as the main store). */
const SQLITE_FILE_NAME = 'privacy-bot.db';

/**
 * Opens the policy store next to the main store: Redis when `redisUrl` is set (same key
 * namespace 'privacy-bot:'), else the embedded file `<dataDir>/privacy-bot.db`.
 * @throws BotError 'STORE_UNAVAILABLE' naming the Redis URL (password masked) or the file.
 */
export async function openPolicyStore(config: { redisUrl: string | null; dataDir: string }): Promise<PolicyStore> {
  if (config.redisUrl) return openRedisPolicyStore(config.redisUrl);
  return openSqlitePolicyStore(join(config.dataDir, SQLITE_FILE_NAME));
}
