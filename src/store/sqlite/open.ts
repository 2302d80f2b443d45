import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { botError, BotError } from '../../errors.ts';
import { MAIN_WAL_AUTOCHECKPOINT_PAGES, retainCheckpointer } from './checkpoint.ts';

/** How long a write waits for another process's lock on the same file, in ms. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

/** One schema step: SQL to execute, or a function given the connection (inside the migration transaction). */
export type SqliteMigration = string | ((db: Database.Database) => void);

/** One part of the embedded store file: its own schema-version table and ordered migrations. */
export interface SqliteSchema {
  /** Name used in messages: 'store', 'notice store', 'policy store'. */
  what: string;
  /** Table holding this part's schema version, e.g. 'schema_version'. */
  versionTable: string;
  /**
   * Migration i brings the version from i to i + 1: an SQL script, or a function for a step SQL
   * alone cannot do (e.g. hashing existing rows). Each runs inside the one IMMEDIATE transaction
   * of the open, so a failing step leaves the file as it was.
   */
  migrations: readonly SqliteMigration[];
}

/** STORE_UNAVAILABLE (503) naming the file and the reason. */
export function sqliteUnavailable(what: string, path: string, err: unknown): BotError {
  const reason = err instanceof Error ? err.message : String(err);
  return botError('STORE_UNAVAILABLE', `SQLite ${what} ${path} cannot be used: ${reason}`, { cause: err });
}

/**
 * One better-sqlite3 connection to the embedded store file, shared by every part of the store
 * that lives in it (key-value and statuses, notices, policies): each part runs its own schema
 * migrations on it ({@link migrateSqlite}) and prepares its statements on `db`.
 */
export interface SqliteFile {
  /** The connection; parts prepare statements on it. Use it only while `closed` is false. */
  readonly db: Database.Database;
  /** Absolute path of the file (for messages). */
  readonly path: string;
  /** True once {@link SqliteFile.close} has been called. */
  readonly closed: boolean;
  /**
   * Registers `fn` to run when the file is closed, before the connection goes (a part settles
   * what it has queued). Hooks run in registration order; one that throws does not stop the others.
   */
  beforeClose(fn: () => void): void;
  /**
   * Runs the hooks, stops this connection's share of the background checkpointer and closes the
   * connection. Idempotent: the first call closes, later ones do nothing.
   */
  close(): void;
}

/**
 * Opens (creating its folder and the file when absent) one better-sqlite3 connection to `file`
 * with WAL, a busy timeout of {@link SQLITE_BUSY_TIMEOUT_MS}, synchronous=NORMAL and a WAL
 * autocheckpoint of {@link MAIN_WAL_AUTOCHECKPOINT_PAGES}. WAL checkpoints run on a background
 * worker thread (./checkpoint.ts); closing the file releases that worker (the last connection to
 * the file stops it). No schema yet: each part calls {@link migrateSqlite}.
 * @param what names the store in the error, e.g. 'store'
 * @throws BotError 'STORE_UNAVAILABLE' naming the file when it cannot be created or opened, or
 *   is not a SQLite database
 */
export function openSqliteFile(file: string, what = 'store'): SqliteFile {
  const path = resolve(file);
  let db: Database.Database;
  try {
    makeDirectory(dirname(path));
    db = new Database(path);
  } catch (err) {
    throw sqliteUnavailable(what, path, err);
  }
  try {
    db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`wal_autocheckpoint = ${MAIN_WAL_AUTOCHECKPOINT_PAGES}`);
  } catch (err) {
    db.close();
    throw sqliteUnavailable(what, path, err);
  }
  // Checkpoints (and their fsync) run on a worker thread, not in a commit on the event loop.
  const release = retainCheckpointer(path);
  const hooks: (() => void)[] = [];
  let closed = false;
  return {
    db,
    path,
    get closed() {
      return closed;
    },
    beforeClose(fn) {
      hooks.push(fn);
    },
    close() {
      if (closed) return;
      closed = true;
      for (const fn of hooks) {
        try {
          fn();
        } catch {
          // a part's own failure to settle its queue must not keep the file open
        }
      }
      release();
      db.close();
    },
  };
}

/**
 * Brings `schema` up to date on `file` in one IMMEDIATE transaction (several processes on one
 * file agree): each part of the store calls it once at open.
 * @throws BotError 'STORE_UNAVAILABLE' naming the file when a step fails or the file carries a
 *   newer schema version than this program knows (the file is left as it was)
 */
export function migrateSqlite(file: SqliteFile, schema: SqliteSchema): void {
  try {
    migrate(file.db, file.path, schema);
  } catch (err) {
    throw err instanceof BotError ? err : sqliteUnavailable(schema.what, file.path, err);
  }
}

/**
 * Opens `file` with {@link openSqliteFile} and brings one part's `schema` up to date: the open of
 * a store holding that part only (tests, tools). Closing the returned file closes the connection.
 * @throws BotError 'STORE_UNAVAILABLE' as {@link openSqliteFile} and {@link migrateSqlite}; the
 *   connection is closed again when the migration fails
 */
export function openSqliteDatabase(path: string, schema: SqliteSchema): SqliteFile {
  const file = openSqliteFile(path, schema.what);
  try {
    migrateSqlite(file, schema);
  } catch (err) {
    file.close();
    throw err;
  }
  return file;
}

/**
 * Creates `dir` and its missing parents (mode 0700 for each new one), like `mkdirSync(dir,
 * { recursive: true })` but finite: Node 20's recursive mkdir loops for ever when mkdir answers
 * ENOENT although the parent exists (e.g. under /proc: `DATA_DIR=/proc/nope` hung the start).
 * @throws the file system's error (ENOENT, ENOTDIR, EACCES, EROFS, …) naming the path
 */
function makeDirectory(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return existingDirectory(dir);
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw err;
    makeDirectory(parent);
  }
  // The parent exists now: a second failure (ENOENT included) is final.
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return existingDirectory(dir);
    throw err;
  }
}

/** Returns when `dir` (which exists) is a directory. @throws an Error saying it is not one */
function existingDirectory(dir: string): void {
  if (!statSync(dir).isDirectory()) throw new Error(`${dir} exists and is not a directory`);
}

function migrate(db: Database.Database, path: string, schema: SqliteSchema): void {
  const { versionTable: t, migrations } = schema;
  db.exec(`CREATE TABLE IF NOT EXISTS ${t} (version INTEGER NOT NULL)`);
  const run = db.transaction(() => {
    const row = db.prepare(`SELECT version FROM ${t}`).get() as { version: number } | undefined;
    let version = row?.version ?? 0;
    if (!row) db.prepare(`INSERT INTO ${t} (version) VALUES (0)`).run();
    if (version > migrations.length) {
      throw botError('STORE_UNAVAILABLE',
        `SQLite ${schema.what} ${path} has schema version ${version}, newer than this program knows (${migrations.length}); upgrade the bot`);
    }
    for (; version < migrations.length; version++) {
      const step = migrations[version]!;
      if (typeof step === 'string') db.exec(step);
      else step(db);
      db.prepare(`UPDATE ${t} SET version = ?`).run(version + 1);
    }
  });
  run.immediate();
}
