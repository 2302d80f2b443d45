import { setTimeout as delay } from 'node:timers/promises';

/**
 * Time as the notice engine sees it. Injected so tests drive leases, backoff and audit times
 * exactly (see test/src/notices/manual-clock.ts); production uses {@link systemClock}.
 */
export interface Clock {
  /** ms since the Unix epoch. */
  now(): number;
  /** Resolves after `ms` ms of this clock, or early when `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: Date.now and timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    try {
      await delay(Math.max(0, ms), undefined, signal ? { signal } : undefined);
    } catch {
      // aborted: wake up early
    }
  },
};

/** One formatter per time zone: building an Intl.DateTimeFormat costs ~100 µs, formatting ~1 µs. */
const dateFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * 'YYYY-MM-DD' of `ms` (ms since the Unix epoch) in `timeZone` (IANA name, e.g. 'Asia/Shanghai').
 * @throws RangeError for an unknown time zone name
 */
export function formatDate(ms: number, timeZone: string): string {
  let format = dateFormats.get(timeZone);
  if (!format) {
    // en-CA formats dates as YYYY-MM-DD.
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dateFormats.set(timeZone, format);
  }
  return format.format(ms);
}
