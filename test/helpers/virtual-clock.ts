/**
 * Virtual clocks for pacing tests (adapters/kit/pace.ts `PaceClock`): time moves only when somebody
 * sleeps on the clock, so the times a test reads are the ones the code under test scheduled, not
 * when a loaded machine got round to running it. Times are in ms; the origin is arbitrary.
 */
import type { PaceClock } from '../../adapters/kit/pace.ts';

/** Default origin of the clocks: a fixed ms-since-epoch value (2023-11-14), far from 0. */
export const VIRTUAL_CLOCK_START = 1_700_000_000_000;

/**
 * A clock whose `sleep(ms)` returns at once with the clock moved to the sleeper's wake time
 * (`now() + ms` when it went to sleep), unless it is already later. Exact when one caller sleeps
 * at a time (e.g. the parts of one reply, sent one after another); with concurrent sleepers a
 * sleeper may wake later than asked, as after a stall — never earlier. Use this where the callers
 * cannot be counted (an adapter's background work); use {@link virtualTime} where they can.
 */
export function jumpClock(start = VIRTUAL_CLOCK_START): PaceClock {
  let t = start;
  return {
    now: () => t,
    async sleep(ms: number) {
      t = Math.max(t, t + Math.max(0, ms));
      await Promise.resolve();
    },
  };
}

/**
 * A discrete-event clock: it moves only when every caller started with `all()` is asleep on it,
 * then jumps to the earliest wake-up and wakes that one caller. Real I/O (store calls) happens
 * while the clock stands still, so the time a caller reads after `take()` is the one the gate let
 * it through at, however loaded the machine is.
 */
export function virtualTime(start = 1_000_000) {
  let t = start;
  let running = 0;
  const timers: { at: number; resolve: () => void }[] = [];
  const advance = (): void => {
    if (running > 0 || timers.length === 0) return;
    timers.sort((x, y) => x.at - y.at);
    const next = timers.shift()!;
    t = Math.max(t, next.at);
    running++;
    next.resolve();
  };
  return {
    now: () => t,
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        timers.push({ at: t + ms, resolve });
        running--;
        advance();
      }),
    /** Runs `n` callers at once (`fn(0)` … `fn(n - 1)`); resolves when all are done. */
    async all(n: number, fn: (i: number) => Promise<void>): Promise<void> {
      running += n;
      await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          await fn(i);
          running--;
          advance();
        }),
      );
    },
  };
}

/**
 * A discrete-event clock for code whose callers cannot be counted (an API client's concurrent
 * sends): `sleep` only registers a wake-up; `run(work)` wakes the earliest sleeper (moving the clock
 * to its time) each time the event loop has turned over with nothing `hold` was given pending, until
 * `work` settles. Give `hold` every request that leaves (wrap `fetch`): the clock then stands still
 * from the moment a request leaves until it is answered, so a fake that reads the clock when the
 * request arrives reads the time the code under test sent it, however loaded the machine is.
 */
export function quietClock(start = VIRTUAL_CLOCK_START) {
  let t = start;
  let held = 0;
  const timers: { at: number; resolve: () => void }[] = [];
  return {
    now: () => t,
    sleep: (ms: number) => new Promise<void>((resolve) => timers.push({ at: t + Math.max(0, ms), resolve })),
    /** Keeps the clock still until `pending` settles. */
    hold<T>(pending: Promise<T>): Promise<T> {
      held++;
      return pending.finally(() => held--);
    },
    /** Drives the clock until `work` settles; returns (or throws) what it does. */
    async run<T>(work: Promise<T>): Promise<T> {
      let settled = false;
      work.then(
        () => (settled = true),
        () => (settled = true),
      );
      while (!settled) {
        await new Promise((r) => setImmediate(r));
        if (held > 0 || timers.length === 0) continue;
        timers.sort((x, y) => x.at - y.at);
        const next = timers.shift()!;
        t = Math.max(t, next.at);
        next.resolve();
      }
      return work;
    },
  };
}

/** Largest number of `times` (ms) within any half-open window of `windowMs`. */
export function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** Smallest difference between consecutive `times` (ms, in order given); Infinity for fewer than two. */
export function minGap(times: number[]): number {
  let gap = Number.POSITIVE_INFINITY;
  for (let i = 1; i < times.length; i++) gap = Math.min(gap, times[i]! - times[i - 1]!);
  return gap;
}
