import { BotError } from '../../src/errors.ts';
import { ThrottledError, type Audience } from '../../src/platform/notices.ts';
import { DingtalkApiError, throttleDelayMs, type DingtalkOpenApi } from './openapi.ts';
import { DIRECTORY_CONCURRENCY, DIRECTORY_SCOPE_ERRCODES, DIRECTORY_THROTTLE_ATTEMPTS, ROOT_DEPT_ID, USER_LIST_PAGE_SIZE } from './limits.ts';
import type { PaceGate } from '../kit/pace.ts';
import type { Logger } from 'pino';
import { adapterError } from '../errors.ts';
import {
  createCachedOrgDirectory,
  ORG_DIRECTORY_MAX_PEOPLE,
  ORG_DIRECTORY_TTL_MS,
  walkInOrder,
  type CachedOrgDirectory,
  type OrgPeopleCollector,
  type OrgSnapshotDepartment,
} from '../kit/org-directory.ts';

/**
 * DingTalk's address book (通讯录) as the notice channel reads it, through the legacy server API on
 * oapi.dingtalk.com with the app's access token (the new api.dingtalk.com contact module of
 * @alicloud/dingtalk 2.2.27 offers search but no "list a department's members" call):
 * - `POST /topapi/v2/department/listsub` `{dept_id}` → `{errcode:0, result:[{dept_id, name, parent_id}]}`:
 *   the direct sub-departments. Source: https://open.dingtalk.com/document/orgapp/obtain-the-department-list-v2
 * - `POST /topapi/user/listsimple` `{dept_id, cursor, size ≤ 100}` →
 *   `{errcode:0, result:{has_more, next_cursor, list:[{userid, name}]}}`: the department's direct
 *   members, one page. Chosen over `/topapi/v2/user/list` because it returns ids and names only
 *   (no phone numbers or e-mail). Source: https://open.dingtalk.com/document/orgapp/queries-the-simple-information-of-a-department-user
 * Both only show what the app's contact range (通讯录权限范围) allows, so "all" means every
 * employee the app can see. The app needs the 通讯录只读权限 (contact read) permission.
 * UNVERIFIED: errcode 60003 for an unknown department (mapped to DINGTALK_UNKNOWN_DEPARTMENT).
 */

/** errcode of "部门不存在" on the topapi department/user calls (UNVERIFIED; common SDK tables). */
export const UNKNOWN_DEPARTMENT_ERRCODE = 60003;

/** Paced calls per API: the rate limit is per app and per API (docs/PROTOCOLS.md §3.4). */
export interface DirectoryGates {
  listsub: PaceGate;
  listsimple: PaceGate;
  /** topapi/v2/department/get (the console's tree: the root's name); absent = paced with listsub. */
  deptget?: PaceGate;
}

/** What the directory walk needs. */
export interface DirectoryDeps {
  api: Pick<DingtalkOpenApi, 'legacyPost'>;
  gates: DirectoryGates;
}

/**
 * The staffIds an audience covers, deduplicated, in a stable order (departments breadth-first from
 * the given ones, members in DingTalk's page order; `userIds` in the given order).
 * - `{all: true}`: every member of the root department (dept_id {@link ROOT_DEPT_ID}) and of every
 *   department below it.
 * - `{departmentIds}`: the members of those departments **and of all their sub-departments** (an
 *   admin choosing "Sales" means everyone in Sales).
 * - `{userIds}`: as given (trimmed, empty ones dropped); no API call: unknown ids come back from
 *   batchSend as `invalidStaffIdList`.
 * Throttled calls are retried after the delay DingTalk asks for, up to {@link DIRECTORY_THROTTLE_ATTEMPTS} times.
 * @throws BotError DINGTALK_BAD_AUDIENCE (400) for a department id that is not a positive integer;
 *   DINGTALK_UNKNOWN_DEPARTMENT (400) when DingTalk says a department does not exist; ThrottledError
 *   when still throttled after the retries; DingtalkApiError for other API failures
 */
export async function resolveDingtalkAudience(audience: Audience, deps: DirectoryDeps): Promise<string[]> {
  if ('userIds' in audience) {
    return [...new Set(audience.userIds.map((u) => u.trim()).filter((u) => u !== ''))];
  }
  let roots: number[];
  if ('all' in audience) {
    roots = [ROOT_DEPT_ID];
  } else {
    roots = audience.departmentIds.map((raw) => {
      const id = String(raw).trim();
      if (!/^[1-9]\d{0,17}$/.test(id)) {
        throw adapterError('DINGTALK_BAD_AUDIENCE', `department id ${JSON.stringify(raw)} is not a DingTalk dept_id (a positive integer)`);
      }
      return Number(id);
    });
  }
  const seenDepts = new Set<number>();
  const users = new Set<string>();
  let level = roots.filter((d) => !seenDepts.has(d) && seenDepts.add(d));
  while (level.length > 0) {
    const found = await mapLimit(level, DIRECTORY_CONCURRENCY, async (dept) => {
      const [subs, members] = await Promise.all([listSubDepartments(dept, deps), listMembers(dept, deps)]);
      return { subs, members };
    });
    const next: number[] = [];
    for (const { subs, members } of found) {
      for (const m of members) users.add(m);
      for (const s of subs) {
        if (!seenDepts.has(s)) {
          seenDepts.add(s);
          next.push(s);
        }
      }
    }
    level = next;
  }
  return [...users];
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** One paced legacy call, retried while DingTalk throttles it. */
async function pacedCall(
  gate: PaceGate,
  path: string,
  body: Record<string, unknown>,
  deps: DirectoryDeps,
  dept: number,
): Promise<Record<string, unknown>> {
  for (let attempt = 1; ; attempt++) {
    await gate.take();
    try {
      return await deps.api.legacyPost(path, body);
    } catch (err) {
      if (err instanceof DingtalkApiError && err.errcode === UNKNOWN_DEPARTMENT_ERRCODE) {
        throw adapterError('DINGTALK_UNKNOWN_DEPARTMENT', `department ${dept} does not exist or is outside the app's contact range`, { cause: err });
      }
      const delay = throttleDelayMs(err);
      if (delay === null) throw err;
      gate.pause(delay);
      if (attempt >= DIRECTORY_THROTTLE_ATTEMPTS) throw new ThrottledError(delay, `${path} still throttled after ${attempt} attempts`);
    }
  }
}

async function listSubDepartments(dept: number, deps: DirectoryDeps): Promise<number[]> {
  return (await subDepartments(dept, deps)).map((d) => d.id);
}

/** The direct sub-departments of `dept` with names, in DingTalk's order. */
async function subDepartments(dept: number, deps: DirectoryDeps): Promise<{ id: number; name: string }[]> {
  const path = '/topapi/v2/department/listsub';
  const res = await pacedCall(deps.gates.listsub, path, { dept_id: dept }, deps, dept);
  const list = res.result;
  if (!Array.isArray(list)) throw new DingtalkApiError(path.slice(1), 'BAD_ANSWER (result is not a list)', 200, 0, false);
  const out: { id: number; name: string }[] = [];
  for (const d of list) {
    const { dept_id: id, name } = (d ?? {}) as { dept_id?: unknown; name?: unknown };
    if (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) out.push({ id, name: typeof name === 'string' ? name.trim() : '' });
  }
  return out;
}

async function listMembers(dept: number, deps: DirectoryDeps): Promise<string[]> {
  return (await members(dept, deps)).map((u) => u.userid);
}

/** The direct members of `dept` with names, every page (cursor paging), in DingTalk's order. */
async function members(dept: number, deps: DirectoryDeps): Promise<{ userid: string; name: string }[]> {
  const path = '/topapi/user/listsimple';
  const out: { userid: string; name: string }[] = [];
  let cursor = 0;
  for (;;) {
    const res = await pacedCall(deps.gates.listsimple, path, { dept_id: dept, cursor, size: USER_LIST_PAGE_SIZE }, deps, dept);
    const result = res.result as { has_more?: unknown; next_cursor?: unknown; list?: unknown } | undefined;
    if (!result || !Array.isArray(result.list)) {
      throw new DingtalkApiError(path.slice(1), 'BAD_ANSWER (result.list is missing)', 200, 0, false);
    }
    for (const u of result.list) {
      const { userid, name } = (u ?? {}) as { userid?: unknown; name?: unknown };
      if (typeof userid === 'string' && userid !== '') out.push({ userid, name: typeof name === 'string' ? name.trim() : '' });
    }
    if (result.has_more !== true) return out;
    const next = result.next_cursor;
    if (typeof next !== 'number' || !Number.isSafeInteger(next) || next <= cursor) {
      throw new DingtalkApiError(path.slice(1), 'BAD_ANSWER (has_more without a larger next_cursor)', 200, 0, false);
    }
    cursor = next;
  }
}

/** Options of {@link createDingtalkOrgDirectory}. */
export interface DingtalkOrgDirectoryOptions extends DirectoryDeps {
  log: Logger;
  /** Clock in ms (cache TTL). */
  now: () => number;
  /** Snapshot lifetime, ms (default {@link ORG_DIRECTORY_TTL_MS}). */
  ttlMs?: number;
  /** People cap of one snapshot (default {@link ORG_DIRECTORY_MAX_PEOPLE}). */
  maxPeople?: number;
}

/** True when DingTalk refused one department (unknown, or outside the app's contact range). */
function departmentRefused(err: unknown): string | null {
  if (err instanceof BotError && err.code === 'DINGTALK_UNKNOWN_DEPARTMENT') return 'DingTalk says it does not exist or is outside the app\'s contact range (errcode 60003)';
  if (err instanceof DingtalkApiError && err.errcode !== null && DIRECTORY_SCOPE_ERRCODES.includes(err.errcode)) {
    return `DingTalk refused it (errcode ${err.errcode}): outside the app's contact range (通讯录权限范围)?`;
  }
  return null;
}

/**
 * The DingTalk address book as the console browses it (an OrgDirectory, cached:
 * ../kit/org-directory.ts), walked breadth-first from the root department {@link ROOT_DEPT_ID}:
 * - the root's name from `POST /topapi/v2/department/get {dept_id: 1}` (`result.name`,
 *   https://open.dingtalk.com/document/orgapp/query-department-details0-v2; UNVERIFIED that it is the
 *   organisation's name); refused → the root shows as "1" with a `problem`;
 * - per department, `topapi/v2/department/listsub` (direct sub-departments with `name`) and
 *   `topapi/user/listsimple` (direct members with `name`, every page of {@link USER_LIST_PAGE_SIZE}
 *   by cursor), {@link DIRECTORY_CONCURRENCY} departments at a time, each call through its pace gate
 *   and retried while throttled (as for audiences, above);
 * - a department DingTalk refuses (60003, or {@link DIRECTORY_SCOPE_ERRCODES}) gets a `problem` and
 *   its sub-tree is not walked; the rest is. The walk stops at the people cap.
 * Search and describe() answer from the snapshot (the legacy API has no name search for this).
 * @throws ThrottledError when still throttled after the retries; DingtalkApiError for other failures
 */
export function createDingtalkOrgDirectory(options: DingtalkOrgDirectoryOptions): CachedOrgDirectory {
  const deps: DirectoryDeps = { api: options.api, gates: options.gates };
  const refusedProblem = (err: unknown): string => {
    const why = departmentRefused(err);
    if (why === null) throw err;
    return why;
  };

  async function rootName(): Promise<{ name: string; problem?: string }> {
    const path = '/topapi/v2/department/get';
    try {
      const res = await pacedCall(options.gates.deptget ?? options.gates.listsub, path, { dept_id: ROOT_DEPT_ID }, deps, ROOT_DEPT_ID);
      const name = (res.result as { name?: unknown } | undefined)?.name;
      return { name: typeof name === 'string' && name.trim() !== '' ? name.trim() : String(ROOT_DEPT_ID) };
    } catch (err) {
      return { name: String(ROOT_DEPT_ID), problem: `its name: ${refusedProblem(err)}` };
    }
  }

  async function load(people: OrgPeopleCollector): Promise<OrgSnapshotDepartment[]> {
    const root = await rootName();
    const all: OrgSnapshotDepartment[] = [{ id: String(ROOT_DEPT_ID), name: root.name, parentId: null, ...(root.problem ? { problem: root.problem } : {}) }];
    const byId = new Map(all.map((d) => [d.id, d]));
    let level: number[] = [ROOT_DEPT_ID];
    while (level.length > 0 && !people.capped) {
      const next: number[] = [];
      await walkInOrder(
        level,
        DIRECTORY_CONCURRENCY,
        async (dept) => {
          const [subs, users] = await Promise.all([
            subDepartments(dept, deps).catch((err: unknown) => refusedProblem(err)),
            members(dept, deps).catch((err: unknown) => refusedProblem(err)),
          ]);
          return { subs, users };
        },
        (dept, { subs, users }) => {
          const d = byId.get(String(dept))!;
          const problems = [d.problem, typeof subs === 'string' ? `sub-departments: ${subs}` : undefined, typeof users === 'string' ? `members: ${users}` : undefined];
          const problem = problems.filter((p): p is string => p !== undefined).join('; ');
          if (problem !== '') d.problem = problem;
          if (typeof subs !== 'string') {
            for (const s of subs) {
              const id = String(s.id);
              if (byId.has(id)) continue;
              const child: OrgSnapshotDepartment = { id, name: s.name === '' ? id : s.name, parentId: String(dept) };
              all.push(child);
              byId.set(id, child);
              next.push(s.id);
            }
          }
          if (typeof users !== 'string') for (const u of users) if (!people.add(u.userid, u.name, String(dept))) break;
        },
        () => people.capped,
      );
      level = next;
    }
    return all;
  }

  return createCachedOrgDirectory({
    platform: 'dingtalk',
    load,
    ...(options.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {}),
    ...(options.maxPeople !== undefined ? { maxPeople: options.maxPeople } : {}),
    now: options.now,
    log: options.log,
  });
}
