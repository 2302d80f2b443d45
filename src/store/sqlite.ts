import { openSqliteDatabase, sqliteUnavailable } from './sqlite-open.ts';
import Database from 'better-sqlite3';
import { BotError } from '../errors.ts';
import { checkKey, checkStatus, checkTtlMs } from './args.ts';
import type { ArchivingStatus, Store } from './port.ts';

/**
 * Schema migrations, applied in order at open. Entry i brings the schema from version i to i + 1;
 * the current version is kept in table `schema_version` (one row). Append only — never edit a
 * released entry.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE kv (
     key        TEXT PRIMARY KEY,
     value      TEXT NOT NULL,
     expires_at INTEGER            -- ms since the Unix epoch; NULL = never
   ) WITHOUT ROWID;
   CREATE INDEX kv_expires_at ON kv (expires_at) WHERE expires_at IS NOT NULL;
   CREATE TABLE archiving_status (
     platform   TEXT NOT NULL,
     user_id    TEXT NOT NULL,
     archived   INTEGER NOT NULL CHECK (archived IN (0, 1)),
     since      TEXT,
     scope      TEXT,
     source     TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (platform, user_id)
   ) WITHOUT ROWID;`,
];

/** Expired kv rows are deleted after this many writes (they are already invisible to reads). */
const PURGE_EVERY_WRITES = 1000;

/** How long a statement waits for another process's write lock before failing, in ms. */

interface StatusRow {
  platform: string;
  user_id: string;
  archived: number;
  since: string | null;
  scope: string | null;
  source: string;
  updated_at: string;
}

/**
 * Opens (creating if needed) the embedded single-file store at `file` on better-sqlite3 v12:
 * WAL journal, parent directory created (mode 0700 for new directories), schema created or
 * migrated at open (table `schema_version`). Implements the whole {@link Store} port; expired
 * keys are invisible at once and deleted every {@link PURGE_EVERY_WRITES} writes and at open.
 * Several processes may share the file (SQLite locking, busy timeout 5000 ms); claims stay
 * exactly-once because each is one statement.
 *
 * @param file path of the database file, e.g. `<DATA_DIR>/privacy-bot.db`.
 * @throws BotError 'STORE_UNAVAILABLE' (status 503) naming the file when it cannot be created or
 *   opened, is not a SQLite database, or was written by a newer schema version.
 *   Methods of a closed store reject with the same code; bad arguments reject with
 *   'STORE_BAD_ARGUMENT'.
 */
export function openSqliteStore(file: string): Store {
  const { db, path } = openSqliteDatabase(file, { what: 'store', versionTable: 'schema_version', migrations: MIGRATIONS });
  return new SqliteStore(db, path);
}

function unavailable(path: string, err: unknown): BotError {
  return sqliteUnavailable('store', path, err);
}

class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private closed = false;
  private writes = 0;
  private readonly stmts;
  private readonly putMany: (statuses: ArchivingStatus[]) => number;

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
  ) {
    this.stmts = {
      // Inserts when absent; overwrites only an expired row. changes === 1 means "claimed".
      claim: db.prepare(
        `INSERT INTO kv (key, value, expires_at) VALUES (@key, @value, @expiresAt)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
         WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= @now`,
      ),
      get: db.prepare('SELECT value FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)').pluck(),
      set: db.prepare(
        `INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
      ),
      delete: db.prepare('DELETE FROM kv WHERE key = ?'),
      // Fixed window: a missing or expired counter restarts at 1 with a new expiry; a live one
      // keeps its expiry (like INCR + PEXPIRE-on-create in Redis).
      increment: db
        .prepare(
          `INSERT INTO kv (key, value, expires_at) VALUES (@key, '1', @expiresAt)
           ON CONFLICT (key) DO UPDATE SET
             value = CASE WHEN kv.expires_at IS NOT NULL AND kv.expires_at <= @now THEN '1'
                          ELSE CAST(CAST(kv.value AS INTEGER) + 1 AS TEXT) END,
             expires_at = CASE WHEN kv.expires_at IS NOT NULL AND kv.expires_at <= @now THEN excluded.expires_at
                               ELSE kv.expires_at END
           RETURNING value`,
        )
        .pluck(),
      purge: db.prepare('DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?'),
      getStatus: db.prepare('SELECT * FROM archiving_status WHERE platform = ? AND user_id = ?'),
      putStatus: db.prepare(
        `INSERT OR REPLACE INTO archiving_status (platform, user_id, archived, since, scope, source, updated_at)
         VALUES (@platform, @userId, @archived, @since, @scope, @source, @updatedAt)`,
      ),
      ping: db.prepare('SELECT 1').pluck(),
    };
    this.putMany = db.transaction((statuses: ArchivingStatus[]) => {
      for (const s of statuses) {
        this.stmts.putStatus.run({ ...s, archived: s.archived ? 1 : 0 });
      }
      return statuses.length;
    });
    this.stmts.purge.run(Date.now());
  }

  /** Runs `fn` unless closed; turns database failures into BotError 'STORE_UNAVAILABLE'. */
  private async use<T>(fn: () => T): Promise<T> {
    if (this.closed) {
      throw new BotError('STORE_UNAVAILABLE', `SQLite store ${this.path} is closed`, { status: 503 });
    }
    try {
      return fn();
    } catch (err) {
      if (err instanceof BotError) throw err;
      throw unavailable(this.path, err);
    }
  }

  private wrote(): void {
    if (++this.writes % PURGE_EVERY_WRITES === 0) this.stmts.purge.run(Date.now());
  }

  claim(key: string, ttlMs: number, value = '1'): Promise<boolean> {
    return this.use(() => {
      checkKey(key, 'claim');
      const ttl = checkTtlMs(ttlMs, 'claim');
      const now = Date.now();
      const { changes } = this.stmts.claim.run({ key, value, expiresAt: now + ttl, now });
      this.wrote();
      return changes === 1;
    });
  }

  get(key: string): Promise<string | null> {
    return this.use(() => (this.stmts.get.get(checkKey(key, 'get'), Date.now()) as string | undefined) ?? null);
  }

  set(key: string, value: string, ttlMs?: number): Promise<void> {
    return this.use(() => {
      checkKey(key, 'set');
      const expiresAt = ttlMs === undefined ? null : Date.now() + checkTtlMs(ttlMs, 'set');
      this.stmts.set.run(key, value, expiresAt);
      this.wrote();
    });
  }

  delete(key: string): Promise<void> {
    return this.use(() => {
      this.stmts.delete.run(checkKey(key, 'delete'));
    });
  }

  increment(key: string, ttlMs: number): Promise<number> {
    return this.use(() => {
      checkKey(key, 'increment');
      const ttl = checkTtlMs(ttlMs, 'increment');
      const now = Date.now();
      const value = this.stmts.increment.get({ key, expiresAt: now + ttl, now }) as string;
      this.wrote();
      return Number(value);
    });
  }

  getStatus(platform: string, userId: string): Promise<ArchivingStatus | null> {
    return this.use(() => {
      const row = this.stmts.getStatus.get(platform, userId) as StatusRow | undefined;
      if (!row) return null;
      return {
        platform: row.platform,
        userId: row.user_id,
        archived: row.archived === 1,
        since: row.since,
        scope: row.scope,
        source: row.source,
        updatedAt: row.updated_at,
      };
    });
  }

  putStatuses(statuses: ArchivingStatus[]): Promise<number> {
    return this.use(() => {
      statuses.forEach(checkStatus);
      return this.putMany(statuses);
    });
  }

  ping(): Promise<void> {
    return this.use(() => {
      this.stmts.ping.get();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
