import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';

/**
 * How often the background checkpointer copies the WAL into the database file, in ms. At the load
 * bench's ~1,000 messages/s this keeps the WAL around 1,000–2,000 pages.
 */
export const CHECKPOINT_INTERVAL_MS = 250;

/** How long after the first connection to a file opens the checkpointer starts, in ms (short-lived CLI and test stores never start one). */
export const CHECKPOINT_START_DELAY_MS = 1000;

/**
 * `PRAGMA wal_autocheckpoint` of the main connections, in pages (4 KiB each: 40 MB). Only a safety
 * net: normally the background checkpointer keeps the WAL far below it. SQLite's default (1000
 * pages) made a commit on the event loop run the checkpoint and its fsync now and then: 14 ms at
 * p99.9 and up to 51 ms on an idle machine (.scratch measurement), 100–250 ms on a loaded one.
 */
export const MAIN_WAL_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * The worker's code (CommonJS, evaluated: it needs no TypeScript loader and works the same from
 * src/ through tsx and from the compiled dist/). It opens its own connection to the file and runs a
 * PASSIVE checkpoint every `intervalMs` — PASSIVE never waits for readers or writers, so the
 * event loop's own connections are not held up; the fsync happens on this thread. Errors (e.g.
 * SQLITE_BUSY while another process checkpoints) are skipped until the next tick.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy or gone: try again next tick */ }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'stop') {
    clearInterval(timer);
    try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
    db.close();
    parentPort.close();
  }
});
`;

interface Entry {
  users: number;
  worker: Worker | null;
  startTimer: NodeJS.Timeout | null;
}

const byFile = new Map<string, Entry>();
const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');

/**
 * Registers one main connection to the SQLite file at `path` (absolute) and, for the first one,
 * schedules this process's background checkpointer for that file: a worker thread with its own
 * connection that checkpoints the WAL every {@link CHECKPOINT_INTERVAL_MS} ms, starting
 * {@link CHECKPOINT_START_DELAY_MS} ms later. Several processes on one file each run their own;
 * SQLite serialises checkpoints. The worker never keeps the process alive.
 * @returns release: call once when that connection closes; the last release stops the worker
 *   (it runs one last checkpoint and closes its connection) before the caller closes its own.
 */
export function retainCheckpointer(path: string): () => void {
  let entry = byFile.get(path);
  if (!entry) {
    const created: Entry = { users: 0, worker: null, startTimer: null };
    created.startTimer = setTimeout(() => {
      created.startTimer = null;
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file: path, driver: driverPath, intervalMs: CHECKPOINT_INTERVAL_MS } });
      worker.unref();
      // A failing checkpointer only means the main connections' own autocheckpoint takes over;
      // say so once on stderr (a process warning: this module has no logger, and it names no user data).
      worker.on('error', (err) => {
        if (created.worker === worker) created.worker = null;
        process.emitWarning(`SQLite checkpointer for ${path} stopped (${err.message}); commits checkpoint on the main thread instead`, { code: 'PRIVACY_BOT_CHECKPOINTER' });
      });
      created.worker = worker;
    }, CHECKPOINT_START_DELAY_MS);
    created.startTimer.unref();
    byFile.set(path, created);
    entry = created;
  }
  entry.users++;
  const e = entry;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--e.users > 0) return;
    byFile.delete(path);
    if (e.startTimer) clearTimeout(e.startTimer);
    e.worker?.postMessage('stop');
    e.worker = null;
  };
}

/** Whether a checkpointer worker is running for `path` (tests). */
export function checkpointerRunning(path: string): boolean {
  return byFile.get(path)?.worker != null;
}
