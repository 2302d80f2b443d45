import { randomUUID } from 'node:crypto';
import { setTimeout as sleepMs } from 'node:timers/promises';
import type { Logger } from 'pino';
import { childLogger } from '../log.ts';
import type { BotError } from '../errors.ts';
import type { ArchivingStatus, Store } from '../store/ports/store.ts';
import type { ArchiveSource } from '../platform/archive.ts';

/**
 * Archiving statuses from the platform's own configuration: reads
 * {@link ArchiveSource.listArchived} at start, every `intervalMs`, and on demand when an employee
 * asks and the last read is older than `staleAfterMs` (60 s), and writes the statuses to the store
 * with `source = source.sourceName` (e.g. 'wecom-msgaudit').
 *
 * One sync: take the store lock `archive-sync:<platform>:lock` (claim with TTL; an instance that
 * does not get it skips — several instances never sync at once), read the list, then in one
 * `putStatuses` transaction write every listed member `archived: true` with the scope and
 * `updatedAt` = the sync time, and every member of the previous list who is no longer on it
 * `archived: false, since: <sync date>` (UTC 'YYYY-MM-DD'). `since` of a listed member: kept from
 * the previous sync; the sync date for one who joined since the previous sync; on the very first
 * sync the `since` of an existing archived record (e.g. an import) or null (unknown — the platform
 * does not say when archiving began). The list of the last sync (lower-cased id -> [id, since])
 * and the sync state live in the store too (`archive-sync:<platform>:members` / `:state`), so every
 * instance shares them. A failed read or write changes no status; the error code is kept in the
 * state and logged (never statuses or user ids).
 *
 * Answers: {@link ArchiveSync.statusOf} is what the core should show an employee: after a
 * successful sync the platform's list is the truth — a member with a current record gets it with
 * `updatedAt` = the last check; anyone else (no record, an import, a record the last sync did not
 * rewrite) is "not archived" (since unknown) from this source, checked at the last sync. Before any
 * successful sync it returns the stored record unchanged. WeCom UserIDs are case-insensitive:
 * a lookup falls back to the lower-cased id.
 */

/** How old the last successful read may be when an employee asks, in ms (60 s). */
export const ARCHIVE_SYNC_STALE_AFTER_MS = 60_000;
/** How long an employee's question waits for an on-demand refresh before answering from the store, in ms. */
export const ARCHIVE_SYNC_ON_DEMAND_WAIT_MS = 3_000;
/** Lifetime of the sync lock, in ms (a crashed instance's lock frees itself). */
export const ARCHIVE_SYNC_LOCK_TTL_MS = 5 * 60_000;

export interface ArchiveSyncOptions {
  store: Store;
  source: ArchiveSource;
  /** Time between two scheduled syncs, in ms (WECOM_ARCHIVE_SYNC_MINUTES × 60,000). */
  intervalMs: number;
  log: Logger;
  /** Clock in ms since the epoch (injected in tests). */
  now?: () => number;
  /** Default {@link ARCHIVE_SYNC_STALE_AFTER_MS}. */
  staleAfterMs?: number;
  /** Default {@link ARCHIVE_SYNC_ON_DEMAND_WAIT_MS}. */
  onDemandWaitMs?: number;
  /** Default {@link ARCHIVE_SYNC_LOCK_TTL_MS}. */
  lockTtlMs?: number;
  /**
   * Runs `tick` every `ms` milliseconds until the returned cancel function is called. Default: an
   * unref'd `setInterval`. Tests inject one that hands them `tick`, so they run ticks themselves
   * (and await them) instead of waiting for real intervals.
   */
  schedule?: (tick: () => Promise<void>, ms: number) => () => void;
}

/** The default {@link ArchiveSyncOptions.schedule}: an unref'd `setInterval`. */
function intervalSchedule(tick: () => Promise<void>, ms: number): () => void {
  const timer = setInterval(() => void tick(), ms);
  timer.unref();
  return () => clearInterval(timer);
}

/** Shared state of the sync (all instances), times in ms since the epoch. */
export interface ArchiveSyncState {
  /** Last attempt that got the lock (success or failure). */
  lastAttemptAt: number | null;
  /** Last successful sync: the time every listed status was stamped with. */
  lastSuccessAt: number | null;
  /** Error code of the last attempt, null when it succeeded. */
  lastError: string | null;
  /** Members on the list at the last successful sync. */
  members: number | null;
}

/** What one {@link ArchiveSync.syncNow} did. */
export interface ArchiveSyncOutcome {
  /** false = another instance holds the lock; nothing was read or written. */
  ran: boolean;
  /** Members on the list now. */
  archived: number;
  /** Members new on the list (all of them on the first sync). */
  joined: number;
  /** Members who left the list (written as not archived). */
  left: number;
  /** Sync time, ms. */
  at: number;
}

export interface ArchiveSync {
  readonly platform: string;
  /** First sync (errors logged, never thrown), then one every intervalMs (timer unref'd). Resolves after the first attempt. */
  start(): Promise<void>;
  /** Stops the timer (a sync already running finishes; see idle). Idempotent. */
  stop(): void;
  /** Resolves once no sync of this process is running (at once when none is). Never rejects. */
  idle(): Promise<void>;
  /** One sync now (single flight per process; skipped when another instance holds the lock).
   * @throws the source's or the store's error (nothing written then) */
  syncNow(): Promise<ArchiveSyncOutcome>;
  /** Syncs when the last success is older than staleAfterMs (and the last attempt did not fail
   * within that time), waiting at most onDemandWaitMs. Never throws. */
  refreshIfStale(): Promise<void>;
  /** The status to show `userId` (see the module doc); refreshes first when stale. Never throws on
   * a source failure; throws only when the store is unreachable. */
  statusOf(userId: string): Promise<ArchivingStatus | null>;
  /** The shared state (all nulls before the first attempt). */
  state(): Promise<ArchiveSyncState>;
}

const EMPTY_STATE: ArchiveSyncState = { lastAttemptAt: null, lastSuccessAt: null, lastError: null, members: null };

/** Creates the sync; nothing runs until start(), syncNow() or an employee's question. */
export function createArchiveSync(options: ArchiveSyncOptions): ArchiveSync {
  const { store, source } = options;
  const platform = source.platform;
  const now = options.now ?? Date.now;
  const staleAfterMs = options.staleAfterMs ?? ARCHIVE_SYNC_STALE_AFTER_MS;
  const onDemandWaitMs = options.onDemandWaitMs ?? ARCHIVE_SYNC_ON_DEMAND_WAIT_MS;
  const lockTtlMs = options.lockTtlMs ?? ARCHIVE_SYNC_LOCK_TTL_MS;
  const log = childLogger(options.log, { platform, part: 'archive-sync' });
  const lockKey = `archive-sync:${platform}:lock`;
  const stateKey = `archive-sync:${platform}:state`;
  const membersKey = `archive-sync:${platform}:members`;
  const instance = randomUUID();
  let running: Promise<ArchiveSyncOutcome> | null = null;
  let cancel: (() => void) | null = null;
  const schedule = options.schedule ?? intervalSchedule;

  async function state(): Promise<ArchiveSyncState> {
    const raw = await store.get(stateKey);
    if (!raw) return { ...EMPTY_STATE };
    try {
      return { ...EMPTY_STATE, ...(JSON.parse(raw) as Partial<ArchiveSyncState>) };
    } catch {
      return { ...EMPTY_STATE };
    }
  }

  async function writeState(patch: Partial<ArchiveSyncState>): Promise<void> {
    await store.set(stateKey, JSON.stringify({ ...(await state()), ...patch }));
  }

  /** The previous list: lower-cased id -> [id as listed, since]; null before the first sync. */
  async function previousMembers(): Promise<Map<string, [string, string | null]> | null> {
    const raw = await store.get(membersKey);
    if (!raw) return null;
    try {
      return new Map(Object.entries(JSON.parse(raw) as Record<string, [string, string | null]>));
    } catch {
      log.warn('archive sync member list unreadable; treating this sync as the first');
      return null;
    }
  }

  async function runSync(): Promise<ArchiveSyncOutcome> {
    const startedAt = now();
    if (!(await store.claim(lockKey, lockTtlMs, instance))) {
      log.debug('archive sync skipped: another instance holds the lock');
      return { ran: false, archived: 0, joined: 0, left: 0, at: startedAt };
    }
    try {
      const list = await source.listArchived();
      const at = now();
      const iso = new Date(at).toISOString();
      const date = iso.slice(0, 10);
      const prev = await previousMembers();
      const statuses: ArchivingStatus[] = [];
      const next: Record<string, [string, string | null]> = {};
      let joined = 0;
      for (const [userId, { scope }] of list) {
        const lower = userId.toLowerCase();
        if (next[lower]) continue;
        const before = prev?.get(lower);
        let since: string | null;
        if (before) since = before[1];
        else {
          joined++;
          if (prev) since = date;
          else {
            const existing = await store.getStatus(platform, userId);
            since = existing?.archived && existing.since ? existing.since : null;
          }
        }
        next[lower] = [userId, since];
        statuses.push({ platform, userId, archived: true, since, scope, source: source.sourceName, updatedAt: iso });
      }
      let left = 0;
      for (const [lower, [userId]] of prev ?? []) {
        if (next[lower]) continue;
        left++;
        statuses.push({ platform, userId, archived: false, since: date, scope: null, source: source.sourceName, updatedAt: iso });
      }
      await store.putStatuses(statuses);
      await store.set(membersKey, JSON.stringify(next));
      const archived = Object.keys(next).length;
      await writeState({ lastAttemptAt: startedAt, lastSuccessAt: at, lastError: null, members: archived });
      log.info({ archived, joined, left, ms: now() - startedAt }, 'archive sync done');
      return { ran: true, archived, joined, left, at };
    } catch (err) {
      const code = (err as BotError).code ?? 'ARCHIVE_SYNC_FAILED';
      log.error({ code, errcode: (err as { errcode?: number }).errcode, err: (err as Error).message }, 'archive sync failed; statuses unchanged');
      await writeState({ lastAttemptAt: startedAt, lastError: code }).catch(() => undefined);
      throw err;
    } finally {
      try {
        if ((await store.get(lockKey)) === instance) await store.delete(lockKey);
      } catch {
        // the lock expires by itself
      }
    }
  }

  function syncNow(): Promise<ArchiveSyncOutcome> {
    running ??= runSync().finally(() => {
      running = null;
    });
    return running;
  }

  async function refreshIfStale(): Promise<void> {
    try {
      const s = await state();
      const t = now();
      if (s.lastSuccessAt !== null && t - s.lastSuccessAt < staleAfterMs) return;
      if (s.lastError !== null && s.lastAttemptAt !== null && t - s.lastAttemptAt < staleAfterMs) return;
      const sync = syncNow().then(
        () => undefined,
        () => undefined,
      );
      const wait = new AbortController();
      await Promise.race([sync, sleepMs(onDemandWaitMs, undefined, { signal: wait.signal }).catch(() => undefined)]);
      wait.abort();
    } catch (err) {
      log.warn({ code: (err as BotError).code }, 'archive refresh skipped: store unavailable');
    }
  }

  async function statusOf(userId: string): Promise<ArchivingStatus | null> {
    await refreshIfStale();
    const s = await state();
    if (s.lastSuccessAt === null) return store.getStatus(platform, userId);
    const checked = new Date(s.lastSuccessAt).toISOString();
    const current = (r: ArchivingStatus | null): r is ArchivingStatus =>
      r !== null && r.source === source.sourceName && (!r.archived || r.updatedAt >= checked);
    let record = await store.getStatus(platform, userId);
    if (!current(record) && userId.toLowerCase() !== userId) record = await store.getStatus(platform, userId.toLowerCase());
    if (current(record)) return { ...record, userId, updatedAt: record.updatedAt > checked ? record.updatedAt : checked };
    return { platform, userId, archived: false, since: null, scope: null, source: source.sourceName, updatedAt: checked };
  }

  async function tick(): Promise<void> {
    try {
      const s = await state();
      if (s.lastAttemptAt !== null && now() - s.lastAttemptAt < options.intervalMs * 0.9) return;
      await syncNow();
    } catch {
      // logged by runSync (or the store is down: the next tick tries again)
    }
  }

  return {
    platform,
    async start(): Promise<void> {
      cancel ??= schedule(tick, options.intervalMs);
      await syncNow().catch(() => undefined);
    },
    stop(): void {
      cancel?.();
      cancel = null;
    },
    async idle(): Promise<void> {
      while (running) await running.catch(() => undefined);
    },
    syncNow,
    refreshIfStale,
    statusOf,
    state,
  };
}
