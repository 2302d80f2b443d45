import { migrateSqlite, openSqliteDatabase, sqliteUnavailable, type SqliteFile, type SqliteSchema } from './open.ts';
import Database from 'better-sqlite3';
import { botError, BotError } from '../../errors.ts';
import { checkedStore } from '../ports/checked.ts';
import type { ArchivingStatus, Store } from '../ports/store.ts';

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

/** Expired kv rows are deleted after every this many writes (they are already invisible to reads). */
export const PURGE_EVERY_WRITES = 100;

/**
 * At most this many expired rows are deleted per purge, so one purge costs ~1–2 ms however many
 * keys expired at once: after a burst of 20,000 new askers, their rate-limit counters all expire
 * 60 s later, and deleting them in one statement stalled the event loop for tens of ms. Purging up
 * to 2.5 rows per write outpaces the ≤ 1 expiring key a write creates, so no backlog builds up.
 */
export const PURGE_MAX_ROWS = 250;

interface StatusRow {
  platform: string;
  user_id: string;
  archived: number;
  since: string | null;
  scope: string | null;
  source: string;
  updated_at: string;
}

/** One operation waiting for the next group commit, with the callbacks of its own promise. */
interface Pending {
  /** Runs the operation's statements; returns its result. */
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/** The key-value and status part's schema (table `schema_version`). */
export const KV_SCHEMA: SqliteSchema = { what: 'store', versionTable: 'schema_version', migrations: MIGRATIONS };

/**
 * The key-value and status part of the embedded store on `file` (one better-sqlite3 v12
 * connection shared with the other parts, ./open.ts): brings its schema up to date (table
 * `schema_version`) and returns the {@link Store} port without argument checks (the facade of
 * src/store/ports/checked.ts runs them). Its `close()` closes `file` (every part on it); queued
 * writes are run first. Expired
 * keys are invisible at once and deleted, at most {@link PURGE_MAX_ROWS} at a time, every
 * {@link PURGE_EVERY_WRITES} writes; all of them at open.
 *
 * Group commit: the writes `claim`, `set`, `increment` and `delete` are queued and run together
 * in one `BEGIN IMMEDIATE` transaction from a `setImmediate` callback — i.e. in the check phase of
 * the event-loop iteration that queued them (the next one when queued from the check phase
 * itself), after that iteration's I/O callbacks, so writes of messages arriving together share
 * one commit. The wait is that of the callbacks still to run in the iteration, not a timer
 * (measured: ~5 µs on an idle loop, p99 < 0.1 ms with 10 messages in flight). Each operation
 * still settles with its own result. Reads (`get`,
 * `getStatus`) run at once when nothing is queued, and otherwise join the queue behind the
 * writes issued before them, so a read always sees every write issued before it; `putStatuses`
 * first runs whatever is queued. When a batch's transaction fails (SQLITE_BUSY after the busy
 * timeout, disk full, a failing statement, …) it is rolled back as a whole and its operations are
 * run again one by one, each in its own transaction, so each gets its own result or its own error.
 *
 * Several processes may share the file (SQLite locking, busy timeout 5000 ms; another process may
 * write between two batches); claims stay exactly-once because each is one statement, inside
 * one transaction.
 *
 * @throws BotError 'STORE_UNAVAILABLE' (status 503) naming the file when it was written by a newer
 *   schema version or the migration fails. Methods reject with the same code when the database
 *   fails them and after close().
 */
export function sqliteKvPart(file: SqliteFile): Store {
  migrateSqlite(file, KV_SCHEMA);
  return new SqliteStore(file);
}

/**
 * Opens (creating if needed) an embedded store file holding the key-value and status part only,
 * with the argument checks in front (bad arguments reject with 'STORE_BAD_ARGUMENT' at once:
 * nothing is queued or written). The bot opens every part over one connection with
 * `openStores` (src/store/index.ts); this is for tests and tools that need this part alone.
 * @param file path of the database file (its folder is created, mode 0700 for new directories)
 * @throws BotError 'STORE_UNAVAILABLE' (status 503) naming the file when it cannot be created or
 *   opened, is not a SQLite database, or was written by a newer schema version
 */
export function openSqliteStore(file: string): Store {
  const opened = openSqliteDatabase(file, KV_SCHEMA);
  return checkedStore(new SqliteStore(opened));
}

function unavailable(path: string, err: unknown): BotError {
  return sqliteUnavailable('store', path, err);
}

class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private writes = 0;
  /** Operations waiting for the next group commit, in the order they were issued. */
  private queue: Pending[] = [];
  private readonly stmts;
  private readonly putMany: (statuses: ArchivingStatus[]) => number;
  private readonly runBatch: Database.Transaction<(ops: Pending[]) => unknown[]>;

  private readonly db: Database.Database;
  private readonly path: string;

  constructor(private readonly file: SqliteFile) {
    const db = file.db;
    this.db = db;
    this.path = file.path;
    // Queued operations settle (with their results) before the shared connection closes.
    file.beforeClose(this.flush);
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
      deleteIf: db.prepare('DELETE FROM kv WHERE key = ? AND value = ? AND (expires_at IS NULL OR expires_at > ?)'),
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
      purgeSome: db.prepare(
        `DELETE FROM kv WHERE key IN (
           SELECT key FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ${PURGE_MAX_ROWS})`,
      ),
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
    this.runBatch = db.transaction((ops: Pending[]) => ops.map((op) => op.run()));
    this.stmts.purge.run(Date.now());
  }

  private closedError(): BotError {
    return botError('STORE_UNAVAILABLE', `SQLite store ${this.path} is closed`);
  }

  /** A database failure as BotError 'STORE_UNAVAILABLE'; BotErrors pass through. */
  private failure(err: unknown): BotError {
    return err instanceof BotError ? err : unavailable(this.path, err);
  }

  /** Runs `fn` now unless closed; turns database failures into BotError 'STORE_UNAVAILABLE'. */
  private async use<T>(fn: () => T): Promise<T> {
    if (this.file.closed) throw this.closedError();
    try {
      return fn();
    } catch (err) {
      throw this.failure(err);
    }
  }

  /** Checks the store is open, then queues `run` for the next group commit. */
  private enqueue<T>(run: () => T): Promise<T> {
    if (this.file.closed) return Promise.reject(this.closedError());
    return new Promise<T>((resolve, reject) => {
      if (this.queue.push({ run, resolve: resolve as (value: unknown) => void, reject }) === 1) {
        setImmediate(this.flush);
      }
    });
  }

  /** A read: at once when nothing is queued, otherwise behind the queued writes (it must see them). */
  private read<T>(run: () => T): Promise<T> {
    if (this.queue.length > 0) return this.enqueue(run);
    return this.use(run);
  }

  /**
   * Group commit: runs every queued operation, in issue order, in one IMMEDIATE transaction (a
   * lone operation runs as its own autocommit statement, as before). When the transaction fails
   * it has been rolled back as a whole, so the operations are run again one by one and each
   * settles on its own.
   */
  private readonly flush = (): void => {
    const batch = this.queue;
    if (batch.length === 0) return; // already run by close()
    this.queue = [];
    if (!this.db.open) {
      for (const op of batch) op.reject(this.closedError());
      return;
    }
    if (batch.length > 1) {
      let results: unknown[] | undefined;
      try {
        results = this.runBatch.immediate(batch);
      } catch {
        // better-sqlite3 rolls back a failed transaction; make sure, or running the operations
        // again could leave them inside a transaction nobody commits.
        if (this.db.inTransaction) {
          try {
            this.db.exec('ROLLBACK');
          } catch (err) {
            for (const op of batch) op.reject(this.failure(err));
            return;
          }
        }
      }
      if (results) {
        for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]);
        return;
      }
    }
    for (const op of batch) {
      try {
        op.resolve(op.run());
      } catch (err) {
        op.reject(this.failure(err));
      }
    }
  };

  private wrote(): void {
    if (++this.writes % PURGE_EVERY_WRITES === 0) this.stmts.purgeSome.run(Date.now());
  }

  claim(key: string, ttlMs: number, value = '1'): Promise<boolean> {
    return this.enqueue(() => {
      const now = Date.now();
      const { changes } = this.stmts.claim.run({ key, value, expiresAt: now + ttlMs, now });
      this.wrote();
      return changes === 1;
    });
  }

  get(key: string): Promise<string | null> {
    return this.read(() => (this.stmts.get.get(key, Date.now()) as string | undefined) ?? null);
  }

  set(key: string, value: string, ttlMs?: number): Promise<void> {
    return this.enqueue(() => {
      this.stmts.set.run(key, value, ttlMs === undefined ? null : Date.now() + ttlMs);
      this.wrote();
    });
  }

  delete(key: string): Promise<void> {
    return this.enqueue(() => {
      this.stmts.delete.run(key);
    });
  }

  deleteIf(key: string, value: string): Promise<boolean> {
    return this.enqueue(() => this.stmts.deleteIf.run(key, value, Date.now()).changes === 1);
  }

  increment(key: string, ttlMs: number): Promise<number> {
    return this.enqueue(() => {
      const now = Date.now();
      const value = this.stmts.increment.get({ key, expiresAt: now + ttlMs, now }) as string;
      this.wrote();
      return Number(value);
    });
  }

  getStatus(platform: string, userId: string): Promise<ArchivingStatus | null> {
    return this.read(() => {
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
      this.flush(); // writes issued before this one go first
      return this.putMany(statuses);
    });
  }

  ping(): Promise<void> {
    return this.use(() => {
      this.stmts.ping.get();
    });
  }

  /** Runs the queued operations (each settles with its result or error), then closes the file (every part on it). */
  async close(): Promise<void> {
    this.file.close();
  }
}
