import type { Logger } from 'pino';
import { childLogger } from '../../src/log.ts';
import { BotError } from '../../src/errors.ts';
import { MAX_PEOPLE_RESULTS, type DirectoryDepartment, type DirectoryPerson, type OrgDirectory } from '../../src/platform/notices.ts';
import { adapterError } from '../errors.ts';

/**
 * The part of a platform's {@link OrgDirectory} every adapter shares: a snapshot of the directory
 * (departments and people with names) loaded by the adapter's own walk of its contact APIs, kept
 * in this process's memory for a TTL, and answered from there — the department tree (parents
 * before children) with head counts of each department and everything below it, people by name,
 * and names of user ids. The adapter only supplies {@link OrgSnapshotLoader}.
 *
 * - Cache: one snapshot per directory object, fresh for `ttlMs` after it was loaded (injected clock);
 *   a call after that loads a new one, and so does {@link CachedOrgDirectory.refresh}. One load at a
 *   time: concurrent callers share the load in flight. A failed load is not cached (the next call
 *   tries again) and the previous snapshot, if any, is dropped only when a new one replaces it.
 * - Cap: a loader stops adding people at `maxPeople` ({@link OrgPeopleCollector}); the snapshot is
 *   then marked capped, logged, and every department says so in `problem` (its head count counts
 *   only the people loaded).
 * - Errors: BotErrors of the platform (its API error codes, PLATFORM_THROTTLED, …) pass through;
 *   anything else becomes BotError ORG_DIRECTORY_FAILED.
 * The snapshot holds names only (no phone numbers, e-mail or statuses) and is never written anywhere.
 */

/** One department as a loader found it. */
export interface OrgSnapshotDepartment {
  id: string;
  name: string;
  /** The English name where the platform has one (DirectoryDepartment.nameEn). */
  nameEn?: string;
  /** The parent's id; null (or an id not in the snapshot) = top level of what the app can see. */
  parentId: string | null;
  /** Why this department's members or sub-departments could not be (fully) read; absent = read. */
  problem?: string;
}

/**
 * Loads a whole snapshot: puts every person it finds into the collector it gets (capped at the
 * directory's `maxPeople`) and returns the departments in the platform's order (siblings keep it).
 */
export type OrgSnapshotLoader = (people: OrgPeopleCollector) => Promise<OrgSnapshotDepartment[]>;

/** Options of {@link createCachedOrgDirectory}. */
export interface CachedOrgDirectoryOptions {
  /** 'wecom', 'dingtalk', 'feishu' (logs, messages). */
  platform: string;
  load: OrgSnapshotLoader;
  /** How long a snapshot is answered from memory, ms (default {@link ORG_DIRECTORY_TTL_MS}). */
  ttlMs?: number;
  /** Most people one snapshot keeps (default {@link ORG_DIRECTORY_MAX_PEOPLE}). */
  maxPeople?: number;
  /** Clock, ms. */
  now: () => number;
  log: Logger;
  /** True when user ids are compared case-insensitively (WeCom UserIDs). Default false. */
  caseInsensitiveIds?: boolean;
}

/** An {@link OrgDirectory} with its cache visible (tests, the CLI). */
export interface CachedOrgDirectory extends OrgDirectory {
  /** Loads a new snapshot now (or joins the load in flight). */
  refresh(): Promise<void>;
  /** About the snapshot in memory; null before the first load. */
  snapshotInfo(): { loadedAt: number; departments: number; people: number; capped: boolean } | null;
}

/**
 * Collects the people of a snapshot while a loader walks departments: deduplicated by user id
 * (case-insensitively when asked), each with the departments they were found in, in the order first
 * seen. Stops taking new people at `max` (`capped` turns true).
 */
export class OrgPeopleCollector {
  readonly people: { userId: string; name: string; departmentIds: string[] }[] = [];
  private readonly byKey = new Map<string, number>();
  capped = false;
  constructor(
    readonly max: number,
    private readonly key: (userId: string) => string = (u) => u,
  ) {}

  /** Whether no new person may be added any more. */
  get full(): boolean {
    return this.people.length >= this.max;
  }

  /**
   * Records that `userId` (display name `name`; the id when empty) is a direct member of `departmentId`.
   * @returns false when the person is new and the cap is reached (the person is not kept)
   */
  add(userId: string, name: string, departmentId: string | null): boolean {
    if (userId === '') return true;
    const k = this.key(userId);
    const i = this.byKey.get(k);
    if (i !== undefined) {
      const p = this.people[i]!;
      if (departmentId !== null && !p.departmentIds.includes(departmentId)) p.departmentIds.push(departmentId);
      if (p.name === p.userId && name !== '') p.name = name;
      return true;
    }
    if (this.full) {
      this.capped = true;
      return false;
    }
    this.byKey.set(k, this.people.length);
    this.people.push({ userId, name: name === '' ? userId : name, departmentIds: departmentId === null ? [] : [departmentId] });
    return true;
  }
}

interface Index {
  loadedAt: number;
  departments: DirectoryDepartment[];
  people: { person: DirectoryPerson; haystack: string }[];
  byKey: Map<string, DirectoryPerson>;
  capped: boolean;
}

/**
 * Orders departments parents before children (depth first, siblings in the given order); a parent
 * that is not in the list makes a department top level (parentId null). Departments caught in a
 * parent cycle come last, as top level.
 */
export function orderDepartments<T extends { id: string; parentId: string | null }>(list: T[]): (T & { parentId: string | null })[] {
  const ids = new Set(list.map((d) => d.id));
  const children = new Map<string | null, T[]>();
  for (const d of list) {
    const parent = d.parentId !== null && ids.has(d.parentId) && d.parentId !== d.id ? d.parentId : null;
    const siblings = children.get(parent) ?? [];
    siblings.push(d);
    children.set(parent, siblings);
  }
  const out: (T & { parentId: string | null })[] = [];
  const seen = new Set<string>();
  const visit = (d: T, parentId: string | null): void => {
    if (seen.has(d.id)) return;
    seen.add(d.id);
    out.push({ ...d, parentId });
    for (const c of children.get(d.id) ?? []) visit(c, d.id);
  };
  for (const d of children.get(null) ?? []) visit(d, null);
  for (const d of list) if (!seen.has(d.id)) visit(d, null);
  return out;
}

function buildIndex(departments: OrgSnapshotDepartment[], collector: OrgPeopleCollector, loadedAt: number, key: (id: string) => string): Index {
  // Duplicated department ids: the first one wins.
  const unique = new Map<string, OrgSnapshotDepartment>();
  for (const d of departments) if (!unique.has(d.id)) unique.set(d.id, d);
  const ordered = orderDepartments([...unique.values()]);
  const parent = new Map(ordered.map((d) => [d.id, d.parentId]));
  const counts = new Map<string, number>(ordered.map((d) => [d.id, 0]));
  const names = new Map(ordered.map((d) => [d.id, d.name]));
  const people: Index['people'] = [];
  const byKey = new Map<string, DirectoryPerson>();
  for (const p of collector.people) {
    // Every department the person is in, and every one above those, counted once.
    const above = new Set<string>();
    for (const d of p.departmentIds) {
      for (let cur: string | null | undefined = d; cur != null && parent.has(cur) && !above.has(cur); cur = parent.get(cur)) above.add(cur);
    }
    for (const d of above) counts.set(d, counts.get(d)! + 1);
    const first = p.departmentIds.find((d) => names.has(d));
    const person: DirectoryPerson = { userId: p.userId, name: p.name, department: first === undefined ? null : names.get(first)! };
    people.push({ person, haystack: `${p.name}\u0000${p.userId}`.toLowerCase() });
    byKey.set(key(p.userId), person);
  }
  const cappedNote = `the directory snapshot stops at ${collector.max} people: head counts are incomplete`;
  const out: DirectoryDepartment[] = ordered.map((d) => {
    const problems = [d.problem, collector.capped ? cappedNote : undefined].filter((x): x is string => x !== undefined && x !== '');
    return { id: d.id, name: d.name, ...(d.nameEn ? { nameEn: d.nameEn } : {}), parentId: d.parentId, headCount: counts.get(d.id)!, ...(problems.length > 0 ? { problem: problems.join('; ') } : {}) };
  });
  return { loadedAt, departments: out, people, byKey, capped: collector.capped };
}

/** How long a directory snapshot is answered from memory: 10 minutes, ms. Own choice. */
export const ORG_DIRECTORY_TTL_MS = 10 * 60_000;

/**
 * Most people one directory snapshot keeps: 100,000 (names and ids only, some tens of MB at most).
 * Own choice; a larger organisation gets partial head counts, said in each department's `problem`.
 */
export const ORG_DIRECTORY_MAX_PEOPLE = 100_000;

/** Creates the cached directory over an adapter's loader (see the file comment). */
export function createCachedOrgDirectory(options: CachedOrgDirectoryOptions): CachedOrgDirectory {
  const { platform, load, now } = options;
  const ttlMs = options.ttlMs ?? ORG_DIRECTORY_TTL_MS;
  const maxPeople = options.maxPeople ?? ORG_DIRECTORY_MAX_PEOPLE;
  const log = childLogger(options.log, { platform, part: 'org-directory' });
  const key = options.caseInsensitiveIds ? (u: string) => u.toLowerCase() : (u: string) => u;
  let snapshot: Index | null = null;
  let inflight: Promise<Index> | null = null;

  function reload(): Promise<Index> {
    if (inflight) return inflight;
    const startedAt = now();
    inflight = (async () => {
      const collector = new OrgPeopleCollector(maxPeople, key);
      let departments: OrgSnapshotDepartment[];
      try {
        departments = await load(collector);
      } catch (err) {
        log.warn({ code: (err as { code?: string }).code ?? 'none' }, 'directory snapshot failed');
        if (err instanceof BotError) throw err;
        throw adapterError('ORG_DIRECTORY_FAILED', `the ${platform} directory could not be read: ${(err as Error)?.message ?? String(err)}`, { cause: err });
      }
      const index = buildIndex(departments, collector, now(), key);
      const unreadable = index.departments.filter((d) => d.problem !== undefined && !index.capped).length;
      if (index.capped) log.warn({ people: collector.people.length, max: maxPeople }, 'directory snapshot capped: head counts and search cover only the people loaded');
      log.info({ departments: index.departments.length, people: index.people.length, unreadable, ms: now() - startedAt }, 'directory snapshot loaded');
      snapshot = index;
      return index;
    })().finally(() => {
      inflight = null;
    });
    return inflight;
  }

  async function current(): Promise<Index> {
    if (snapshot && now() - snapshot.loadedAt < ttlMs) return snapshot;
    return reload();
  }

  return {
    async departments() {
      return (await current()).departments.map((d) => ({ ...d }));
    },
    async searchPeople(query: string, limit: number) {
      const q = query.trim().toLowerCase();
      const n = Math.min(MAX_PEOPLE_RESULTS, Math.max(1, Math.floor(Number.isFinite(limit) ? limit : 1)));
      if (q === '') return [];
      const out: DirectoryPerson[] = [];
      for (const p of (await current()).people) {
        if (!p.haystack.includes(q)) continue;
        out.push({ ...p.person });
        if (out.length >= n) break;
      }
      return out;
    },
    async describe(userIds: string[]) {
      const index = await current();
      const out = new Map<string, DirectoryPerson>();
      for (const id of userIds) {
        const p = index.byKey.get(key(id));
        if (p) out.set(id, { ...p });
      }
      return out;
    },
    async refresh() {
      await reload();
    },
    snapshotInfo() {
      return snapshot && { loadedAt: snapshot.loadedAt, departments: snapshot.departments.length, people: snapshot.people.length, capped: snapshot.capped };
    },
  };
}

/**
 * Runs `fetch` over `items`, `concurrency` at a time (window by window), and hands each result to
 * `take` in the items' order; starts no further window once `stop()` is true (e.g. the people cap).
 * A rejected fetch rejects the whole walk (fetch catches what it may survive).
 */
export async function walkInOrder<T, R>(
  items: readonly T[],
  concurrency: number,
  fetch: (item: T) => Promise<R>,
  take: (item: T, result: R) => void,
  stop: () => boolean = () => false,
): Promise<void> {
  const size = Math.max(1, Math.floor(concurrency));
  for (let i = 0; i < items.length && !stop(); i += size) {
    const window = items.slice(i, i + size);
    const results = await Promise.all(window.map(fetch));
    window.forEach((item, j) => take(item, results[j]!));
  }
}
