import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { BotError } from '../../src/errors.ts';
import type { KeyValueStore } from '../../src/store/ports/store.ts';

/**
 * An access token shared by every instance through the store, fetched by one instance at a time.
 *
 * Platforms limit how often a token may be fetched, and fetching invalidates nothing, but N
 * instances that see an expired token at the same moment would otherwise call gettoken N times.
 * Single flight across processes: a short lock in the store (`<cacheKey>:lock`, SET NX PX) lets
 * one instance fetch; the others poll the cache until the new token is there. In one process,
 * concurrent callers share one promise. The store is an optimisation only: when it cannot be read
 * or locked, the token is fetched directly (replies must not stop with the store).
 */

/** How long the fetch lock lives, in ms: longer than one fetch with its retries (3 × 5 s timeouts + backoff). */
export const TOKEN_LOCK_TTL_MS = 20_000;
/** How often a waiting instance looks at the cache, in ms. */
export const TOKEN_POLL_MS = 50;

/** A fetched token and how long it may be cached (ms; 0 = do not cache). */
export interface FetchedToken {
  token: string;
  ttlMs: number;
}

/** Options of {@link createSharedToken}. */
export interface SharedTokenOptions {
  kv: KeyValueStore;
  /** Store key of the cached token, e.g. 'token:wecom:<corpid>:<agentid>'. */
  cacheKey: string;
  /** Fetches a new token from the platform (gettoken, oauth2/accessToken); errors are passed on. */
  fetch: () => Promise<FetchedToken>;
  log: Logger;
  /** 'wecom', 'dingtalk' (logs). */
  platform: string;
  /** Default {@link TOKEN_LOCK_TTL_MS}. */
  lockTtlMs?: number;
  /** Default {@link TOKEN_POLL_MS}. */
  pollMs?: number;
}

/** The token of one app, see the module doc. */
export interface SharedToken {
  /** A valid token: the cached one, or a new one (fetched here or by another instance). */
  get(): Promise<string>;
  /** Forgets `token` (rejected by the platform) unless another caller already replaced it. Never throws. */
  invalidate(token: string): Promise<void>;
}

/** Creates the shared token of one app; holds nothing to close. */
export function createSharedToken(options: SharedTokenOptions): SharedToken {
  const { kv, cacheKey, log, platform } = options;
  const lockKey = `${cacheKey}:lock`;
  const lockTtlMs = options.lockTtlMs ?? TOKEN_LOCK_TTL_MS;
  const pollMs = options.pollMs ?? TOKEN_POLL_MS;
  const owner = randomBytes(8).toString('hex');
  let inFlight: Promise<string> | null = null;

  /** undefined = the store failed (logged). */
  async function read(): Promise<string | null | undefined> {
    try {
      return await kv.get(cacheKey);
    } catch (err) {
      log.warn({ platform, code: (err as BotError).code }, 'token cache read failed; fetching directly');
      return undefined;
    }
  }

  async function fetchAndCache(): Promise<string> {
    const { token, ttlMs } = await options.fetch();
    if (ttlMs > 0) {
      await kv.set(cacheKey, token, ttlMs).catch((err: unknown) => {
        log.warn({ platform, code: (err as BotError).code }, 'token cache write failed');
      });
    }
    return token;
  }

  async function obtain(): Promise<string> {
    // Wait at most as long as the holder's lock lives; then fetch anyway (the holder is stuck).
    const deadline = Date.now() + lockTtlMs;
    for (;;) {
      const cached = await read();
      if (cached) return cached;
      if (cached === undefined) return fetchAndCache();
      let locked: boolean;
      try {
        locked = await kv.claim(lockKey, lockTtlMs, owner);
      } catch {
        return fetchAndCache();
      }
      if (locked) {
        try {
          // Another instance may have finished between our read and our lock.
          const again = await read();
          if (again) return again;
          return await fetchAndCache();
        } finally {
          await releaseLock();
        }
      }
      if (Date.now() > deadline) {
        log.warn({ platform }, 'token fetch lock held too long by another instance; fetching directly');
        return fetchAndCache();
      }
      await sleep(pollMs);
    }
  }

  async function releaseLock(): Promise<void> {
    try {
      // Only our own lock: after it expired another instance may hold the key.
      await kv.deleteIf(lockKey, owner);
    } catch {
      // expires by itself
    }
  }

  return {
    get() {
      inFlight ??= obtain().finally(() => {
        inFlight = null;
      });
      return inFlight;
    },
    async invalidate(token) {
      try {
        // Atomic: a read-then-delete could delete the new token another instance stored in between,
        // and the next caller would fetch yet another one.
        await kv.deleteIf(cacheKey, token);
      } catch (err) {
        log.warn({ platform, code: (err as BotError).code }, 'token cache delete failed');
      }
    },
  };
}
