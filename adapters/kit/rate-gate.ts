import type { KeyValueStore } from '../../src/store/ports/store.ts';

/**
 * Paces calls of one platform API to a fixed rate, evenly spaced (a token bucket of size 1), e.g.
 * DingTalk limits calls per app and API per second (docs/PROTOCOLS.md §3.4), and evenly spaced calls
 * never put more than `ratePerSecond` calls into any one-second window.
 */
export interface RateGate {
  /** Resolves when this call may start; callers are served in the order they asked. */
  take(): Promise<void>;
  /** No call starts before `ms` from now (after DingTalk answered with a throttling code). */
  pause(ms: number): void;
}

/** Options of {@link createRateGate}. */
export interface RateGateOptions {
  /** Calls per second (> 0). */
  ratePerSecond: number;
  /**
   * Shared store: when given, every call claims a time slot `<key>:<n>` of 1000/ratePerSecond ms with
   * `kv.claim`, so all instances of the bot together keep the rate. Without it the rate holds for
   * this process only. When the store fails, the gate falls back to local pacing for that call.
   */
  kv?: KeyValueStore;
  /** Slot key prefix for `kv`, e.g. 'pace:dingtalk:<appKey>:batchSend'. Required with `kv`. */
  key?: string;
  /** Clock in ms (default Date.now). */
  now?: () => number;
  /** Sleep in ms (default setTimeout). */
  sleep?: (ms: number) => Promise<void>;
}

/** Extra lifetime of a claimed slot key after its slot has passed, in ms. */
const SLOT_KEY_GRACE_MS = 5_000;

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Creates a {@link RateGate}.
 * @throws RangeError when ratePerSecond is not a positive finite number, or `kv` comes without `key`
 */
export function createRateGate(options: RateGateOptions): RateGate {
  const { ratePerSecond, kv, key } = options;
  if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) {
    throw new RangeError(`ratePerSecond must be a positive number, got ${ratePerSecond}`);
  }
  if (kv && !key) throw new RangeError('a shared RateGate needs a key');
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const intervalMs = 1000 / ratePerSecond;
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

  async function takeShared(store: KeyValueStore): Promise<void> {
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
      if (!kv) {
        await takeLocal();
      } else {
        try {
          await takeShared(kv);
        } catch {
          await takeLocal();
        }
      }
      await spaceActual();
    },
    pause(ms) {
      pausedUntil = Math.max(pausedUntil, now() + ms);
      nextAt = Math.max(nextAt, pausedUntil);
    },
  };
}
