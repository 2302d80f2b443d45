import type { Logger } from 'pino';
import type { BotError } from '../../src/errors.ts';
import type { KeyValueStore } from '../../src/store/ports/store.ts';

/**
 * Most claims kept in a process's own memory while the shared store is unreachable; the oldest
 * is forgotten first beyond it (bounded memory whatever the outage's length). Own choice:
 * 20,000 keys of < 200 bytes is a few MB.
 */
export const LOCAL_CLAIMS_MAX = 20_000;

/**
 * "The first one wins" claims for adapters: dedup keys of platform message ids, DingTalk's
 * accepted signature pairs. Claims live in the shared store (SET NX PX), so every instance sees
 * them. When the store cannot be reached the claim is taken in this process's memory instead,
 * and the message is handled: answers keep flowing through a Redis outage.
 *
 * The decision and its risk (docs/RELIABILITY.md, "Shared store down"): refusing with 503 would
 * make WeCom retry (three times within ~20 s) — but an outage longer than that loses the
 * message, and leaving a DingTalk Stream frame unacknowledged only delays it by ~60 s per
 * re-push while the outage lasts (the long connection of the AI bot has no redelivery at all). With the local fallback one instance never answers a message twice (its memory
 * is also asked first after the store is back), but while the store is down a platform retry that
 * lands on *another* instance is answered again. Platforms retry only what was not answered in
 * time (WeCom: no answer within 5 s), so this takes a slow or failed first answer during the
 * outage on a multi-instance deployment.
 */
export interface ClaimGuard {
  /**
   * Claims `key` for `ttlMs` with `value` (default '1'): true for the one caller that took it.
   * Never throws for a store failure (falls back to this process's memory, logged once per outage).
   */
  claim(key: string, ttlMs: number, value?: string): Promise<boolean>;
  /** The value a claim was taken with (this process's memory first, then the store); null when unknown
   * or the store cannot be reached. */
  value(key: string): Promise<string | null>;
  /** Gives a claim back (memory and store, best effort), e.g. when the message could not be handled. */
  release(key: string): Promise<void>;
  /**
   * Makes a claim taken as a short lease (a message being committed) last `ttlMs` from now, with
   * `value` (default '1'): called once the platform was told the message arrived. Best effort:
   * never throws (a store failure keeps it in this process's memory).
   */
  extend(key: string, ttlMs: number, value?: string): Promise<void>;
  /** How many claims are held in memory because the store was down (tests, metrics). */
  readonly localCount: number;
}

/**
 * Creates a {@link ClaimGuard} over the shared store.
 * @param options.now clock in ms (tests); options.maxLocal default {@link LOCAL_CLAIMS_MAX}
 */
export function createClaimGuard(kv: KeyValueStore, log: Logger, options: { now?: () => number; maxLocal?: number } = {}): ClaimGuard {
  const now = options.now ?? Date.now;
  const maxLocal = options.maxLocal ?? LOCAL_CLAIMS_MAX;
  /** key -> value and expiry (ms since the epoch); Map order = insertion order, oldest first. */
  const local = new Map<string, { value: string; expiresAt: number }>();
  let degraded = false;

  function localGet(key: string): { value: string; expiresAt: number } | null {
    const e = local.get(key);
    if (!e) return null;
    if (e.expiresAt <= now()) {
      local.delete(key);
      return null;
    }
    return e;
  }

  function localPut(key: string, value: string, ttlMs: number): void {
    local.delete(key);
    local.set(key, { value, expiresAt: now() + ttlMs });
    while (local.size > maxLocal) {
      const oldest = local.keys().next().value as string;
      local.delete(oldest);
    }
  }

  return {
    async claim(key, ttlMs, value = '1') {
      // Claimed here while the store was down: still ours (a retry reaching this instance again).
      if (localGet(key)) return false;
      try {
        const first = await kv.claim(key, ttlMs, value);
        if (degraded) {
          degraded = false;
          log.info({ held: local.size }, 'shared store is back: claims go to the store again');
        }
        return first;
      } catch (err) {
        if (!degraded) {
          degraded = true;
          log.warn({ code: (err as BotError).code }, 'shared store unavailable: dedup claims are held in this process only');
        }
        localPut(key, value, ttlMs);
        return true;
      }
    },
    async value(key) {
      const mine = localGet(key);
      if (mine) return mine.value;
      try {
        return await kv.get(key);
      } catch {
        return null;
      }
    },
    async release(key) {
      local.delete(key);
      await kv.delete(key).catch(() => undefined);
    },
    async extend(key, ttlMs, value = '1') {
      if (localGet(key)) {
        localPut(key, value, ttlMs);
        return;
      }
      try {
        await kv.set(key, value, ttlMs);
      } catch {
        localPut(key, value, ttlMs);
      }
    },
    get localCount() {
      return local.size;
    },
  };
}
