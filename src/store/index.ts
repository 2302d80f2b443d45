import { join } from 'node:path';
import type { Store } from './ports/store.ts';
import type { NoticeStore } from './ports/notices.ts';
import type { PolicyStore } from './ports/policies.ts';
import { openRedisStore } from './redis/store.ts';
import { openRedisNoticeStore } from './redis/notices.ts';
import { openRedisPolicyStore } from './redis/policies.ts';
import { openSqliteStore } from './sqlite/store.ts';
import { openSqliteNoticeStore } from './sqlite/notices.ts';
import { openSqlitePolicyStore } from './sqlite/policies.ts';

/**
 * The store: ports (src/store/ports/: key-value + statuses, notices, policies, and the argument
 * checks both backends share) and two backends, Redis (src/store/redis/, production, several
 * instances) and an embedded SQLite file (src/store/sqlite/). One contract suite per port runs
 * against both (test/src/store/*-contract.ts).
 */

/** File name of the embedded store inside DATA_DIR (every port of the SQLite backend uses this one file). */
export const SQLITE_FILE_NAME = 'privacy-bot.db';

/** Where the stores live: Redis when `redisUrl` is set, else `<dataDir>/privacy-bot.db`. */
export interface StoreLocation {
  redisUrl: string | null;
  dataDir: string;
}

/** Path of the embedded store file for a DATA_DIR. */
export function embeddedStorePath(dataDir: string): string {
  return join(dataDir, SQLITE_FILE_NAME);
}

/**
 * Opens the configured key-value and status store: Redis when `redisUrl` is set (production, several
 * instances), otherwise the embedded SQLite file `<dataDir>/privacy-bot.db` (directory created if missing).
 * @throws BotError 'STORE_UNAVAILABLE' naming the Redis URL (password masked) or the file.
 */
export async function openStore(config: StoreLocation): Promise<Store> {
  if (config.redisUrl) return openRedisStore(config.redisUrl);
  return openSqliteStore(embeddedStorePath(config.dataDir));
}

/**
 * Opens the notice store next to the main store: Redis when `redisUrl` is set (same key
 * namespace 'privacy-bot:'), else the embedded file `<dataDir>/privacy-bot.db`.
 * @throws BotError 'STORE_UNAVAILABLE' naming the Redis URL (password masked) or the file.
 */
export async function openNoticeStore(config: StoreLocation): Promise<NoticeStore> {
  if (config.redisUrl) return openRedisNoticeStore(config.redisUrl);
  return openSqliteNoticeStore(embeddedStorePath(config.dataDir));
}

/**
 * Opens the policy store next to the main store: Redis when `redisUrl` is set (same key
 * namespace 'privacy-bot:'), else the embedded file `<dataDir>/privacy-bot.db`.
 * @throws BotError 'STORE_UNAVAILABLE' naming the Redis URL (password masked) or the file.
 */
export async function openPolicyStore(config: StoreLocation): Promise<PolicyStore> {
  if (config.redisUrl) return openRedisPolicyStore(config.redisUrl);
  return openSqlitePolicyStore(embeddedStorePath(config.dataDir));
}

/** Every port of one backend. */
export interface Stores {
  /** Key-value (dedup, token caches, pacing, rate limits) and archiving statuses; `kv.close()` closes every port. */
  kv: Store;
  /** The same object as `kv`, seen as the status store. */
  statuses: Store;
  notices: NoticeStore;
  policies: PolicyStore;
}

/**
 * Opens every port on the configured backend. All or nothing: when one fails, those already open
 * are closed and the error is thrown.
 * @param given ports already open to use instead (tests: Redis under a private key prefix)
 * @throws BotError 'STORE_UNAVAILABLE' naming the Redis URL (password masked) or the file
 */
export async function openStores(config: StoreLocation, given: { store?: Store; noticeStore?: NoticeStore; policyStore?: PolicyStore } = {}): Promise<Stores> {
  const main = given.store ?? (await openStore(config));
  let notices: NoticeStore;
  try {
    notices = given.noticeStore ?? (await openNoticeStore(config));
  } catch (err) {
    await main.close();
    throw err;
  }
  let policies: PolicyStore;
  try {
    policies = given.policyStore ?? (await openPolicyStore(config));
  } catch (err) {
    await Promise.allSettled([notices.close()]);
    await main.close();
    throw err;
  }
  const kv = closingAlso(closingAlso(main, notices), policies);
  return { kv, statuses: kv, notices, policies };
}

/**
 * `store`, whose close() also closes `extra` (so code that closes the main store — the CLI,
 * the server's shutdown, tests — releases the other ports' connections too). Every other
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
