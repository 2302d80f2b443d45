import { setTimeout as sleepMs } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { BotError } from '../../src/errors.ts';
import type { KeyValueStore } from '../../src/store/ports/store.ts';

/**
 * Pacing of WeCom API calls below a documented "N calls per minute" limit (e.g. the base API
 * frequency of 10,000 calls per minute per corp per API, developer.work.weixin.qq.com/document/path/90454),
 * shared by every instance through the store.
 *
 * How: time is cut into fixed one-second windows; each call increments the store counter of the
 * current window (`<key>:<window number>`) and may go when the count is within the window's
 * budget, else it sleeps until the next window and tries again. The budget is
 * floor(perMinute / 61): a sliding minute overlaps at most 61 one-second windows, so no 60 s span
 * ever holds more than `perMinute` calls, however WeCom counts its minute.
 * When the store fails, the gate falls back to a counter in this process (logged once per failure
 * streak) — pacing then holds per process only.
 */
export interface WindowGate {
  /** Resolves when one call may be made now. Never rejects. */
  acquire(): Promise<void>;
}

export interface WindowGateOptions {
  kv: KeyValueStore;
  /** Store key prefix, e.g. 'pace:wecom:<corpid>:/cgi-bin/message/send'. */
  key: string;
  /** The documented limit, calls per minute (> 0). */
  perMinute: number;
  log: Logger;
  /** Clock in ms (default Date.now). */
  now?: () => number;
  /** Window length in ms (default 1000; tests may shorten it). The budget is perMinute × window / 61 s. */
  windowMs?: number;
}

/** Creates a gate; see {@link WindowGate}. */
export function createWindowGate(options: WindowGateOptions): WindowGate {
  const now = options.now ?? Date.now;
  const windowMs = options.windowMs ?? 1000;
  const budget = Math.max(1, Math.floor((options.perMinute * windowMs) / 61_000));
  const local = new Map<number, number>();
  let storeDown = false;

  async function count(window: number): Promise<number> {
    try {
      const n = await options.kv.increment(`${options.key}:${window}`, windowMs * 2);
      storeDown = false;
      return n;
    } catch (err) {
      if (!storeDown) options.log.warn({ key: options.key, code: (err as BotError).code }, 'pacing store unavailable, pacing per process');
      storeDown = true;
      for (const w of local.keys()) if (w < window) local.delete(w);
      const n = (local.get(window) ?? 0) + 1;
      local.set(window, n);
      return n;
    }
  }

  return {
    async acquire(): Promise<void> {
      for (;;) {
        const t = now();
        const window = Math.floor(t / windowMs);
        if ((await count(window)) <= budget) return;
        await sleepMs(Math.max(1, (window + 1) * windowMs - now()));
      }
    },
  };
}
