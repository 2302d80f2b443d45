import type { Logger } from 'pino';
import type { ArchivingStatus, Store } from '../store/ports/store.ts';
import type { ArchiveSource } from '../platform/archive.ts';
import { createArchiveSync, type ArchiveSync, type ArchiveSyncState } from './sync.ts';
import type { Lang } from '../platform/message.ts';
import type { SourceDescription } from './status.ts';

/** One configured archive sync as {@link StatusDirectory.archiveSyncs} lists it. */
export interface ArchiveSyncSummary {
  platform: string;
  /** ArchivingStatus.source of its statuses, e.g. 'wecom-msgaudit'. */
  sourceName: string;
  /** How the source names itself per language (ArchiveSource.label); null when it does not. */
  label: Readonly<Record<Lang, string>> | null;
  /** Time between two scheduled syncs, in ms. */
  intervalMs: number;
  state: ArchiveSyncState;
}

/** A further place a status can come from (e.g. an admin-declared policy), asked in order. */
export type StatusProvider = (platform: string, userId: string) => Promise<ArchivingStatus | null>;

/**
 * Where an employee's archiving status comes from, platform by platform:
 * 1. a platform with an archive API and its secret configured (WeCom msgaudit): the synced list
 *    is the truth (src/archiving/sync.ts `statusOf`);
 * 2. otherwise the employee's own record in the store (a CSV import);
 * 3. otherwise the providers in the order added (admin-declared company policies).
 * Null = no record anywhere.
 */
export class StatusDirectory {
  private readonly syncs = new Map<string, ArchiveSync>();
  private readonly sources = new Map<string, ArchiveSource>();
  private readonly intervals = new Map<string, number>();
  private readonly providers: StatusProvider[] = [];
  private readonly descriptions = new Map<string, SourceDescription>();

  constructor(private readonly store: Store, private readonly log: Logger) {}

  /**
   * Adds a platform's archive source and starts syncing it every `intervalMs` (and at once).
   * @returns the sync, for tests and shutdown
   */
  addSource(source: ArchiveSource, intervalMs: number): ArchiveSync {
    const sync = createArchiveSync({ store: this.store, source, intervalMs, log: this.log });
    this.syncs.set(source.platform, sync);
    this.sources.set(source.platform, source);
    this.intervals.set(source.platform, intervalMs);
    void sync.start();
    return sync;
  }

  /** Adds a fallback provider, asked after the store's own record. */
  addProvider(provider: StatusProvider): void {
    this.providers.push(provider);
  }

  /** The running sync of a platform, if configured. */
  sync(platform: string): ArchiveSync | undefined {
    return this.syncs.get(platform);
  }

  /** The archive source of a platform, if configured (used by the external-consent section). */
  source(platform: string): ArchiveSource | undefined {
    return this.sources.get(platform);
  }

  /**
   * Every configured archive sync with its shared state (src/archiving/sync.ts `state()`), in the
   * order added; empty when no platform's archive source is configured. Read only: nothing is synced.
   * @returns per sync: platform, the source's name and label (how it describes itself, per language;
   *   null when it has none), the time between two syncs in ms, and the state (times in ms since the epoch)
   * @throws the store's error when the state cannot be read
   */
  async archiveSyncs(): Promise<ArchiveSyncSummary[]> {
    const out: ArchiveSyncSummary[] = [];
    for (const [platform, sync] of this.syncs) {
      const source = this.sources.get(platform)!;
      out.push({ platform, sourceName: source.sourceName, label: source.label ?? null, intervalMs: this.intervals.get(platform)!, state: await sync.state() });
    }
    return out;
  }

  /**
   * How the statuses of the source named `sourceName` (ArchivingStatus.source) read in an answer;
   * undefined unless a platform's archive source of that name was added.
   */
  describe(sourceName: string): SourceDescription | undefined {
    for (const source of this.sources.values()) {
      if (source.sourceName === sourceName) return { ...(source.label ? { label: source.label } : {}), ...(source.scopeTexts ? { scopeTexts: source.scopeTexts } : {}), synced: true };
    }
    return this.descriptions.get(sourceName);
  }

  /**
   * How the statuses of `sourceName` read in an answer when a platform writes them itself rather than through an
   * archive sync (the sandbox's demo statuses): its name and scope texts per language. An archive source of the same
   * name takes precedence.
   */
  addDescription(sourceName: string, description: Omit<SourceDescription, 'synced'>): void {
    this.descriptions.set(sourceName, { ...description, synced: false });
  }

  /** The status to show `userId` on `platform`, or null. May throw when the store is down. */
  async lookup(platform: string, userId: string): Promise<ArchivingStatus | null> {
    const sync = this.syncs.get(platform);
    if (sync) return sync.statusOf(userId);
    const own = await this.store.getStatus(platform, userId);
    if (own) return own;
    for (const provider of this.providers) {
      const s = await provider(platform, userId);
      if (s) return s;
    }
    return null;
  }

  /** Stops the scheduled syncs. Idempotent. */
  stop(): void {
    for (const sync of this.syncs.values()) sync.stop();
  }
}
