import { join } from 'node:path';
import type { Store } from './ports/store.ts';
import type { NoticeStore } from './ports/notices.ts';
import type { PolicyStore } from './ports/policies.ts';
import { checkedNoticeStore, checkedPolicyStore, checkedStore, type NoticeBackend } from './ports/checked.ts';
import { connectRedisClient, createStoreConnection } from './redis/connect.ts';
import { DEFAULT_KEY_PREFIX, KV_COMMAND_TIMEOUT_MS, redisKvPart } from './redis/store.ts';
import { redisNoticePart } from './redis/notices.ts';
import { POLICY_COMMAND_TIMEOUT_MS, redisPolicyPart } from './redis/policies.ts';
import { openSqliteFile } from './sqlite/open.ts';
import { sqliteKvPart } from './sqlite/store.ts';
import { sqliteNoticePart } from './sqlite/notices.ts';
import { sqlitePolicyPart } from './sqlite/policies.ts';

/**
 * The store: three ports (src/store/ports/: key-value + statuses, notices, policies), the checked
 * facades that run every argument check once in front of either backend
 * (src/store/ports/checked.ts), and two backends that trust their input — Redis
 * (src/store/redis/, production, several instances) and an embedded SQLite file
 * (src/store/sqlite/). {@link openStores} opens all three ports over ONE connection of the
 * configured backend. One contract suite per port runs against both (test/src/store/*-contract.ts).
 */

/** File name of the embedded store inside DATA_DIR (every part of the SQLite backend lives in this one file). */
export const SQLITE_FILE_NAME = 'privacy-bot.db';

/** Where the stores live: Redis when `redisUrl` (REDIS_URL) is set, else {@link embeddedStorePath} of `dataDir` (DATA_DIR). */
export interface StoreLocation {
  redisUrl: string | null;
  dataDir: string;
}

/** Options of {@link openStores}. */
export interface OpenStoresOptions {
  /**
   * Namespace before every Redis key; default 'privacy-bot:'. Tests give a private one so that
   * they share the real Redis without touching the bot's keys. No '{' or '}'.
   */
  redisKeyPrefix?: string;
  /** Name of the Redis connection (CLIENT SETNAME: shown by CLIENT LIST, e.g. to count the bot's connections); none by default. */
  redisClientName?: string;
}

/** Path of the embedded store file for a DATA_DIR. */
export function embeddedStorePath(dataDir: string): string {
  return join(dataDir, SQLITE_FILE_NAME);
}

/** Every port of one backend, over one connection. */
export interface Stores {
  /** Key-value (dedup, token caches, pacing, rate limits) and archiving statuses. */
  kv: Store;
  /** The same object as `kv`, seen as the status store. */
  statuses: Store;
  notices: NoticeStore;
  policies: PolicyStore;
  /**
   * Closes the one connection (Redis: QUIT; SQLite: queued writes run, then the file is closed).
   * Idempotent. Each port's own `close()` does the same — the ports share the connection, so
   * closing one closes them all (`kv.close()` is what the server and the CLI call).
   */
  close(): Promise<void>;
}

/**
 * Opens every port on the configured backend over one connection:
 * - Redis (`redisUrl` set): one ioredis client (any REDIS_URL form of src/store/redis/connect.ts)
 *   carrying the three parts' scripts; it connects once, failing at the first connection error
 *   (no retry loop at open; a silent host fails after the 3000 ms connect timeout). Commands
 *   time out after 5000 ms (the notice scripts over large batches), key-value calls after 2000 ms.
 * - SQLite: one better-sqlite3 connection to {@link embeddedStorePath} (folder created if
 *   missing), on which each part runs its own schema migrations.
 * All or nothing: when a part fails to open, the connection is closed and the error thrown.
 * @throws BotError 'STORE_UNAVAILABLE' naming REDIS_URL and the URL (password masked), or DATA_DIR
 *   and the file, with the reason; 'STORE_BAD_ARGUMENT' for a key prefix with braces
 */
export async function openStores(config: StoreLocation, options: OpenStoresOptions = {}): Promise<Stores> {
  const parts = config.redisUrl
    ? await openRedisParts(config.redisUrl, options.redisKeyPrefix ?? DEFAULT_KEY_PREFIX, options.redisClientName)
    : openSqliteParts(embeddedStorePath(config.dataDir));
  const kv = checkedStore(parts.kv);
  return { kv, statuses: kv, notices: checkedNoticeStore(parts.notices), policies: checkedPolicyStore(parts.policies), close: parts.close };
}

/** The three parts of one backend before the checks, and the close of their connection. */
interface Parts {
  kv: Store;
  notices: NoticeBackend;
  policies: PolicyStore;
  close(): Promise<void>;
}

function openSqliteParts(path: string): Parts {
  const file = openSqliteFile(path, 'store in DATA_DIR');
  try {
    return {
      kv: sqliteKvPart(file),
      notices: sqliteNoticePart(file),
      policies: sqlitePolicyPart(file),
      close: async () => file.close(),
    };
  } catch (err) {
    file.close();
    throw err;
  }
}

async function openRedisParts(url: string, keyPrefix: string, connectionName: string | undefined): Promise<Parts> {
  const conn = createStoreConnection(url, keyPrefix, {
    connectTimeoutMs: 3000,
    commandTimeoutMs: POLICY_COMMAND_TIMEOUT_MS,
    ...(connectionName !== undefined ? { connectionName } : {}),
  });
  // Scripts are defined on the client before it connects; the store uses no pub/sub, so this
  // one client is the only connection.
  const kv = redisKvPart(conn, KV_COMMAND_TIMEOUT_MS);
  const notices = redisNoticePart(conn);
  const policies = redisPolicyPart(conn);
  await connectRedisClient(conn.client, 'Redis store', `${conn.shown} (REDIS_URL)`);
  try {
    await notices.chainExistingAudit();
  } catch (err) {
    await conn.close();
    throw err;
  }
  return { kv, notices, policies, close: () => conn.close() };
}
