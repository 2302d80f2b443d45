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
 * Opens (creating its folder and the file when absent) one better-sqlite3 connection to `file`
 * with WAL, a busy timeout of {@link SQLITE_BUSY_TIMEOUT_MS} and synchronous=NORMAL, and brings
 * `schema` up to date in one IMMEDIATE transaction (several processes on one file agree).
 * WAL checkpoints run on a background worker thread (./sqlite-checkpoint.ts); the connection's
 * `close()` also releases that worker (the last connection to the file stops it).
 * @returns the connection and the absolute path
 * @throws BotError 'STORE_UNAVAILABLE' naming the file when it cannot be opened, is not a SQLite
 *   database, or carries a newer schema version than this program knows
 */
export function openSqliteDatabase(file: string, schema: SqliteSchema): { db: Database.Database; path: string } {
  const path = resolve(file);
  let db: Database.Database;
  try {
    makeDirectory(dirname(path));
    db = new Database(path);
  } catch (err) {
    throw sqliteUnavailable(schema.what, path, err);
  }
  try {
    db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`wal_autocheckpoint = ${MAIN_WAL_AUTOCHECKPOINT_PAGES}`);
    migrate(db, path, schema);
  } catch (err) {
    db.close();
    throw err instanceof BotError ? err : sqliteUnavailable(schema.what, path, err);
  }
  // Checkpoints (and their fsync) run on a worker thread, not in a commit on the event loop.
  const release = retainCheckpointer(path);
  const close = db.close.bind(db);
  db.close = () => {
    release();
    return close();
  };
  return { db, path };
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
    if (code === 'EEXIST' && statSync(dir).isDirectory()) return;
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw err;
    makeDirectory(parent);
  }
  // The parent exists now: a second failure (ENOENT included) is final.
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST' && statSync(dir).isDirectory()) return;
    throw err;
  }
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
