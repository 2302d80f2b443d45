/**
 * The store port: everything the bot keeps, behind one interface with two implementations —
 * Redis through ioredis (`REDIS_URL` set; production and several instances) and an embedded
 * single-file SQLite store through better-sqlite3 v12 (`DATA_DIR/privacy-bot.db`).
 * One contract test suite (test/src/store/contract.ts) runs against both.
 *
 * Keys are plain strings chosen by callers (e.g. 'dedup:wecom:<MsgId>', 'token:wecom:<corpid>:<agentid>');
 * each implementation prefixes them with its own namespace. Times are ms since the Unix epoch,
 * TTLs are milliseconds.
 */

/** Session-archiving (会话存档) status of one employee on one platform. */
export interface ArchivingStatus {
  platform: string;
  userId: string;
  /** true = archived, false = known not archived. (Unknown = no record at all.) */
  archived: boolean;
  /** Date archiving started (or stopped, when archived is false), 'YYYY-MM-DD'; null if unknown. */
  since: string | null;
  /** Free text: what is archived, e.g. '1:1 and group chats, internal and external'; null if unknown. */
  scope: string | null;
  /** Where the record comes from: 'import' (CSV), 'wecom-msgaudit', 'company policy', … */
  source: string;
  /** When the record was last written, ISO 8601 UTC. */
  updatedAt: string;
}

/** Small key-value operations with TTL, shared by all instances (dedup, token cache, counters). */
export interface KeyValueStore {
  /**
   * Set `key` only if it does not exist yet (SET NX PX). Returns true for the one caller that
   * created it — the basis of "the same message id twice gives one answer".
   * @param ttlMs lifetime in ms (> 0)
   */
  claim(key: string, ttlMs: number, value?: string): Promise<boolean>;
  /** The value, or null when absent or expired. */
  get(key: string): Promise<string | null>;
  /** Set a value; with ttlMs it expires after that many ms, without it lives until deleted. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Remove a key (no error when absent). */
  delete(key: string): Promise<void>;
  /**
   * Remove `key` only while it still holds `value`, atomically (compare-and-delete). Returns true
   * when it was removed. For "forget the token I was refused, unless another instance has already
   * replaced it" and "release my lock, not the one someone took over after mine expired".
   */
  deleteIf(key: string, value: string): Promise<boolean>;
  /**
   * Add 1 to a counter and return the new value; the TTL (ms) is set when the counter is created
   * (fixed window). Used for per-user rate limits.
   */
  increment(key: string, ttlMs: number): Promise<number>;
}

/** The whole store. Every method may throw when the backend is unreachable (callers decide). */
export interface Store extends KeyValueStore {
  /** 'redis' or 'sqlite'. */
  readonly kind: 'redis' | 'sqlite';
  /** Status of one employee, or null when there is no record. */
  getStatus(platform: string, userId: string): Promise<ArchivingStatus | null>;
  /** Insert or replace statuses (keyed by platform + userId) in one transaction; returns how many. */
  putStatuses(statuses: ArchivingStatus[]): Promise<number>;
  /** Resolves when the backend answers; rejects with the reason otherwise (used by /readyz). */
  ping(): Promise<void>;
  /** Close connections / the database file. Idempotent. */
  close(): Promise<void>;
}
