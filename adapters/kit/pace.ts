import type { Logger } from 'pino';
import type { BotError } from '../../src/errors.ts';
import type { KeyValueStore } from '../../src/store/ports/store.ts';

/**
 * The one pacing gate of every adapter: a call waits for `take()` right before it leaves, so the
 * platform's documented limit is kept — by every instance together when a shared store is given.
 * The limits themselves are named constants beside each adapter (adapters/<platform>/limits.ts,
 * with the page they come from); the kit only knows the two shapes platforms document:
 *
 * - `{ perSecond }` (DingTalk: 20 calls/s per app and API; Feishu: 50/s per app, 5/s per chat):
 *   calls evenly spaced 1000/perSecond ms apart, so no one-second window ever holds more than
 *   `perSecond` calls. Shared: every call claims the time slot `<key>:<n>` with `kv.claim`.
 * - `{ perMinute }` (WeCom: 10,000 calls per minute per corp and API): time cut into fixed windows
 *   (default 1 s); each call increments the store counter `<key>:<window number>` and goes when the
 *   count is within the window's budget floor(perMinute × window / 61 s) — a sliding minute
 *   overlaps at most 61 one-second windows, so no 60 s span holds more than `perMinute` calls,
 *   however the platform counts its minute — else it waits for the next window.
 *
 * When the store fails, a gate paces this process only for that call (logged once per failure
 * streak when a logger is given): replies must not stop with the store.
 * Sources of the shapes (the numbers are cited beside each constant):
 * https://help.dingtalk.io/open/development/call-frequency-limit,
 * https://open.feishu.cn/document/server-docs/im-v1/message/create (频率限制),
 * https://developer.work.weixin.qq.com/document/path/90454 (docs/PROTOCOLS.md §1.6, §3.4, §4.2)
 */
export interface PaceGate {
  /** Resolves when this call may start; callers of one process are served in the order they asked. Never rejects. */
  take(): Promise<void>;
  /** No call starts before `ms` from now (after the platform answered with a throttling code). */
  pause(ms: number): void;
  /**
   * The call this process let through last left only at `at` (ms on the gate's clock), later than
   * `take()` released it — it waited for another gate too: the next call of this process through a
   * `{ perSecond }` gate then starts one interval after `at`, not after the release. A call that
   * passes several gates (Feishu: its chat's, then the app's) reports its departure to the first.
   * No effect on a `{ perMinute }` gate (its windows count calls, not gaps).
   */
  departed(at: number): void;
}

/** A documented limit: evenly spaced calls per second, or calls per minute counted in windows. */
export type PaceLimit = { perSecond: number } | { perMinute: number; windowMs?: number };

/**
 * The time a gate paces by. Injected so tests drive pacing on a virtual clock and read the times the
 * gate scheduled (a loaded machine then cannot bunch or spread them); production uses {@link REAL_PACE_CLOCK}.
 * `now` and `sleep` must be of the same clock: a virtual `now` with a real `sleep` never sees time pass.
 */
export interface PaceClock {
  /** Current time in ms since the Unix epoch (any fixed origin works, as long as `sleep` advances it). */
  now(): number;
  /** Resolves once `ms` milliseconds of this clock have passed (`ms` ≤ 0: at once). Never rejects. */
  sleep(ms: number): Promise<void>;
}

/** The real clock: `Date.now()` and `setTimeout`. */
export const REAL_PACE_CLOCK: PaceClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms))),
};

/** Options of {@link createPaceGate}. */
export interface PaceGateOptions {
  limit: PaceLimit;
  /** Shared store: the limit then holds for every instance together. Without it, for this process only. */
  kv?: KeyValueStore;
  /** Store key prefix, e.g. 'pace:dingtalk:<appKey>:batchSend', 'pace:wecom:<corpid>:<api path>'. Required with `kv`. */
  key?: string;
  /** Logs a store failure once per streak (optional). */
  log?: Logger;
  /** The clock the gate reads and waits on, in ms (default {@link REAL_PACE_CLOCK}). */
  clock?: PaceClock;
}

/** Extra lifetime of a claimed slot key after its slot has passed, in ms. */
const SLOT_KEY_GRACE_MS = 5_000;

/**
 * Creates a {@link PaceGate}.
 * @throws RangeError when the rate is not a positive finite number, or `kv` comes without `key`
 */
export function createPaceGate(options: PaceGateOptions): PaceGate {
  const { limit, kv, key } = options;
  const rate = 'perSecond' in limit ? limit.perSecond : limit.perMinute;
  if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`a pace limit must be a positive number, got ${rate}`);
  if (kv && !key) throw new RangeError('a shared pace gate needs a key');
  const clock = options.clock ?? REAL_PACE_CLOCK;
  const now = (): number => clock.now();
  const sleep = (ms: number): Promise<void> => clock.sleep(ms);
  let storeDown = false;
  const storeFailed = (err: unknown): void => {
    if (!storeDown) options.log?.warn({ key, code: (err as BotError).code }, 'pacing store unavailable, pacing per process');
    storeDown = true;
  };
  return 'perSecond' in limit
    ? spacedGate(limit.perSecond, kv && key ? { kv, key } : null, now, sleep, storeFailed, () => (storeDown = false))
    : windowGate(limit.perMinute, limit.windowMs ?? 1000, kv && key ? { kv, key } : null, now, sleep, storeFailed, () => (storeDown = false));
}

/** `{ perSecond }`: a token bucket of size 1, slots claimed in the store when shared. */
function spacedGate(
  perSecond: number,
  shared: { kv: KeyValueStore; key: string } | null,
  now: () => number,
  sleep: (ms: number) => Promise<void>,
  storeFailed: (err: unknown) => void,
  storeOk: () => void,
): PaceGate {
  const intervalMs = 1000 / perSecond;
  /** Earliest start of the next local call, ms. */
  let nextAt = 0;
  /** Next slot number this process will try (shared mode). */
  let nextSlot = 0;
  let pausedUntil = 0;
  /** Actual start of the last call released by this process, ms. */
  let lastStart = Number.NEGATIVE_INFINITY;

  /**
   * Keeps the actual starts of this process at least one interval apart: after an event-loop stall
   * several reserved turns are due at once, and releasing them together would burst past the limit.
   */
  async function spaceActual(): Promise<void> {
    const t = now();
    const start = Math.max(t, lastStart + intervalMs);
    lastStart = start;
    if (start > t) await sleep(start - t);
  }

  async function takeLocal(): Promise<void> {
    const t = now();
    const at = Math.max(t, nextAt, pausedUntil);
    nextAt = at + intervalMs;
    if (at > t) await sleep(at - t);
  }

  async function takeShared(store: KeyValueStore, key: string): Promise<void> {
    const t = now();
    let slot = Math.max(Math.ceil(Math.max(t, pausedUntil) / intervalMs), nextSlot);
    nextSlot = slot + 1;
    for (;;) {
      const startAt = slot * intervalMs;
      const ttl = Math.max(1, Math.ceil(startAt - t)) + SLOT_KEY_GRACE_MS;
      if (await store.claim(`${key}:${slot}`, ttl)) break;
      slot = Math.max(slot + 1, nextSlot);
      nextSlot = slot + 1;
    }
    const wait = slot * intervalMs - now();
    if (wait > 0) await sleep(wait);
  }

  return {
    async take() {
      if (!shared) {
        await takeLocal();
      } else {
        try {
          await takeShared(shared.kv, shared.key);
          storeOk();
        } catch (err) {
          storeFailed(err);
          await takeLocal();
        }
      }
      await spaceActual();
    },
    pause(ms) {
      pausedUntil = Math.max(pausedUntil, now() + ms);
      nextAt = Math.max(nextAt, pausedUntil);
    },
    departed(at) {
      // spaceActual() keeps the next start one interval after lastStart.
      lastStart = Math.max(lastStart, at);
    },
  };
}

/** `{ perMinute }`: counters of fixed windows, in the store when shared. */
function windowGate(
  perMinute: number,
  windowMs: number,
  shared: { kv: KeyValueStore; key: string } | null,
  now: () => number,
  sleep: (ms: number) => Promise<void>,
  storeFailed: (err: unknown) => void,
  storeOk: () => void,
): PaceGate {
  const budget = Math.max(1, Math.floor((perMinute * windowMs) / 61_000));
  const local = new Map<number, number>();
  let pausedUntil = 0;

  function countLocal(window: number): number {
    for (const w of local.keys()) if (w < window) local.delete(w);
    const n = (local.get(window) ?? 0) + 1;
    local.set(window, n);
    return n;
  }

  async function count(window: number): Promise<number> {
    if (!shared) return countLocal(window);
    try {
      const n = await shared.kv.increment(`${shared.key}:${window}`, windowMs * 2);
      storeOk();
      return n;
    } catch (err) {
      storeFailed(err);
      return countLocal(window);
    }
  }

  return {
    async take() {
      for (;;) {
        const paused = pausedUntil - now();
        if (paused > 0) await sleep(paused);
        const window = Math.floor(now() / windowMs);
        if ((await count(window)) <= budget) return;
        await sleep(Math.max(1, (window + 1) * windowMs - now()));
      }
    },
    pause(ms) {
      pausedUntil = Math.max(pausedUntil, now() + ms);
    },
    departed() {
      // Windows count calls; a late departure changes no count.
    },
  };
}
