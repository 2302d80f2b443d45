import { createHash } from 'node:crypto';
import { AsyncLocalStorage } from 'node:async_hooks';
import { writeSync } from 'node:fs';
import { pino, type Logger, type DestinationStream } from 'pino';

/** The request being handled (set by the HTTP server per inbound request; inherited by its background work). */
export const requestContext = new AsyncLocalStorage<{ reqId: string }>();

/**
 * Field paths the logger replaces with `[redacted]` (pino `redact`): the privacy rule's second
 * line of defence for a question, an answer or a status passed to a logger by mistake, at the top
 * level or one object down.
 */
export const REDACTED_LOG_PATHS: readonly string[] = ['text', 'content', 'answer', 'question', 'reply', 'status', '*.text', '*.content', '*.answer', '*.question', '*.reply', '*.status'];

/** What a {@link LogDestination} has done with the lines it could not write at once. */
export interface LogDestinationStats {
  /** Lines dropped: the buffer was full, or the destination is broken (EPIPE, EBADF, …). */
  dropped: number;
  /** Bytes waiting for the destination to accept them (it answered EAGAIN). */
  pendingBytes: number;
  /** The destination failed for good (e.g. EPIPE: the reader of stdout went away); nothing more is written. */
  broken: boolean;
}

/** A pino destination that never blocks and never retries forever (see {@link createLogDestination}). */
export interface LogDestination extends DestinationStream {
  write(line: string): void;
  /** One non-blocking attempt to write what is pending, then `cb` (pino's `logger.flush(cb)`). */
  flush(cb?: (err?: Error) => void): void;
  /** One non-blocking attempt to write what is pending; never waits, never throws. */
  flushSync(): void;
  readonly stats: LogDestinationStats;
}

/** Options of {@link createLogDestination}. */
export interface LogDestinationOptions {
  /** File descriptor to write to (default 1, stdout). */
  fd?: number;
  /** Most bytes kept while the destination answers EAGAIN (default 1 MiB); further lines are dropped and counted. */
  maxPendingBytes?: number;
  /** How long to wait before trying a full destination again, in ms (default 100; the timer is unref'd). */
  retryMs?: number;
  /** Told once per kind of trouble ('full', 'dropping', 'broken'), with a one-line description (default: written to stderr). */
  onTrouble?: (kind: 'full' | 'dropping' | 'broken', message: string) => void;
  /** The writer (default `fs.writeSync`); returns the bytes written, throws an errno error. For tests. */
  writeSync?: (fd: number, buf: Buffer) => number;
}

/**
 * A log destination that can neither hang the process nor grow without bound, whatever its reader
 * does. pino's default destination (sonic-boom) retries a write to a closed pipe (EPIPE) or a full
 * one (EAGAIN) forever in `flushSync`, which pino calls on `process.exit` — so a SIGTERM with
 * nobody reading stdout never ended the process.
 *
 * Each line is written synchronously (the normal case: ordered, nothing lost on a crash). When the
 * descriptor answers EAGAIN (a pipe or socket nobody drains), the rest is kept — at most
 * `maxPendingBytes`, whole lines only, later lines are dropped and counted — and written from an
 * unref'd timer every `retryMs`. On any other error (EPIPE: the reader went away) the destination
 * is broken: everything after is dropped. On exit one last non-blocking attempt is made.
 *
 * For fd 1 it touches `process.stdout`, which makes a pipe or socket on fd 1 non-blocking (libuv
 * `uv_pipe_open`), so a full pipe answers EAGAIN instead of blocking the event loop.
 * Source: https://nodejs.org/api/process.html#a-note-on-process-io and https://github.com/pinojs/sonic-boom (flushSync).
 */
export function createLogDestination(options: LogDestinationOptions = {}): LogDestination {
  const fd = options.fd ?? 1;
  const maxPending = options.maxPendingBytes ?? 1024 * 1024;
  const retryMs = options.retryMs ?? 100;
  const write = options.writeSync ?? ((f: number, b: Buffer) => writeSync(f, b));
  const told = new Set<string>();
  const trouble = (kind: 'full' | 'dropping' | 'broken', message: string) => {
    if (told.has(kind)) return;
    told.add(kind);
    if (options.onTrouble) return options.onTrouble(kind, message);
    try {
      ignoreStreamErrors(process.stderr);
      process.stderr.write(`privacy-bot: ${message}\n`);
    } catch {
      // stderr is gone too: nothing more to say
    }
  };
  if (fd === 1) {
    // Touching process.stdout makes a pipe on fd 1 non-blocking (see above); its own writes (the
    // start-up banner) must not crash the process on EPIPE either.
    ignoreStreamErrors(process.stdout);
  }
  const stats: LogDestinationStats = { dropped: 0, pendingBytes: 0, broken: false };
  const pending: Buffer[] = [];
  let timer: NodeJS.Timeout | null = null;

  const breakDown = (err: NodeJS.ErrnoException) => {
    stats.broken = true;
    stats.dropped += pending.length;
    pending.length = 0;
    stats.pendingBytes = 0;
    if (timer) clearTimeout(timer);
    timer = null;
    trouble('broken', `log destination failed (${err.code ?? err.message}); log lines are dropped from now on`);
  };
  /** Writes pending buffers until done or EAGAIN; true when nothing is left. */
  const drain = (): boolean => {
    while (pending.length > 0 && !stats.broken) {
      const head = pending[0]!;
      let n: number;
      try {
        n = write(fd, head);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'EAGAIN' || err.code === 'EWOULDBLOCK') return false;
        breakDown(err);
        return true;
      }
      stats.pendingBytes -= n;
      if (n >= head.length) pending.shift();
      else pending[0] = head.subarray(n); // keep the rest of a partly written line, so lines stay whole
    }
    return true;
  };
  const schedule = () => {
    if (timer || pending.length === 0 || stats.broken) return;
    timer = setTimeout(() => {
      timer = null;
      if (!drain()) schedule();
    }, retryMs);
    timer.unref();
  };
  const flushSync = () => {
    try {
      drain();
    } catch {
      // never throws
    }
  };
  process.once('exit', flushSync);

  return {
    stats,
    write(line: string) {
      if (stats.broken) {
        stats.dropped++;
        return;
      }
      const buf = Buffer.from(line, 'utf8');
      if (pending.length > 0) {
        if (stats.pendingBytes + buf.length > maxPending) {
          stats.dropped++;
          trouble('dropping', `log destination still full; dropping log lines beyond ${maxPending} buffered bytes`);
          return;
        }
        pending.push(buf);
        stats.pendingBytes += buf.length;
        return;
      }
      pending.push(buf);
      stats.pendingBytes += buf.length;
      if (!drain()) {
        trouble('full', `log destination is full (nobody reading stdout?); buffering up to ${maxPending} bytes, then dropping log lines`);
        schedule();
      }
    },
    flush(cb?: (err?: Error) => void) {
      flushSync();
      cb?.();
    },
    flushSync,
  };
}

const ignoring = new WeakSet<NodeJS.WritableStream>();
/** A closed stdout/stderr must not crash the process (an 'error' without a listener throws). */
function ignoreStreamErrors(stream: NodeJS.WritableStream): void {
  if (ignoring.has(stream)) return;
  ignoring.add(stream);
  stream.on('error', () => {});
}

let stdoutDestination: LogDestination | null = null;
/** The process's one stdout destination (created on first use). */
export function defaultLogDestination(): LogDestination {
  stdoutDestination ??= createLogDestination();
  return stdoutDestination;
}

/**
 * Structured JSON logs (pino). Privacy rule: never pass question text, answers or statuses to a
 * logger; identify people only by {@link hashUserId}. Fields named in {@link REDACTED_LOG_PATHS}
 * are redacted as a second line of defence. Without `destination` lines go to stdout through
 * {@link defaultLogDestination}, which never blocks the process.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'privacy-bot' },
      // Every line written while handling one inbound request (and the background work it started) carries its id.
      mixin: () => {
        const c = requestContext.getStore();
        return c ? { reqId: c.reqId } : {};
      },
      redact: {
        paths: [...REDACTED_LOG_PATHS],
        censor: '[redacted]',
      },
    },
    destination ?? defaultLogDestination(),
  );
}

/**
 * A child of `log` with `bindings`, leaving out those `log` already carries with the same value: a module given its
 * adapter's logger (bound to `platform`) and binding `platform` again would write the key twice on every line (pino
 * joins a child's bindings to its parent's as they are).
 */
export function childLogger(log: Logger, bindings: Record<string, unknown>): Logger {
  const bound = log.bindings();
  const fresh = Object.fromEntries(Object.entries(bindings).filter(([k, v]) => bound[k] !== v));
  return Object.keys(fresh).length === 0 ? log : log.child(fresh);
}

const SALT = process.env.LOG_HASH_SALT ?? 'privacy-bot/v1';

/**
 * Pseudonymous id for logs: first 12 hex characters of SHA-256(salt ‖ platform ‖ ':' ‖ userId).
 * Stable across instances (same salt) so an operator can follow one person's requests without
 * learning who it is.
 */
export function hashUserId(platform: string, userId: string): string {
  return createHash('sha256').update(`${SALT}\u0000${platform}:${userId}`).digest('hex').slice(0, 12);
}
