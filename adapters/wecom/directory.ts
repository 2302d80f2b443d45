import type { Logger } from 'pino';
import { BotError } from '../../src/errors.ts';
import {
  WECOM_DEPARTMENT_DENIED_ERRCODES,
  WECOM_DEPARTMENT_LIST_DENIED_ERRCODES,
  WECOM_LIST_ID_DENIED_ERRCODES,
  WECOM_LIST_ID_MAX_LIMIT,
  WECOM_ORG_WALK_CONCURRENCY,
} from './limits.ts';
import {
  createCachedOrgDirectory,
  ORG_DIRECTORY_MAX_PEOPLE,
  ORG_DIRECTORY_TTL_MS,
  walkInOrder,
  type CachedOrgDirectory,
  type OrgPeopleCollector,
  type OrgSnapshotDepartment,
} from '../kit/org-directory.ts';
import { WecomApiError, type WecomApiResponse, type WecomClient } from './outbound.ts';
import { adapterError } from '../errors.ts';

/**
 * The WeCom member directory as a self-built app sees it (通讯录), for notice audiences.
 *
 * - Everyone: `POST /cgi-bin/user/list_id` with cursor paging (body `{cursor?, limit ≤ 10000}`,
 *   answer `{next_cursor, dept_user: [{userid, department}]}`, one row per member and department,
 *   empty next_cursor = last page; developer.work.weixin.qq.com/document/path/96067). The doc allows
 *   it only with the 通讯录同步 secret, so with the app's secret WeCom refuses it (48002 or 60011,
 *   UNVERIFIED which); then — and for the rest of the process — the directory walks the
 *   departments instead: `GET /cgi-bin/department/simplelist` without id (a self-built app gets the
 *   departments of its visible range, /document/path/95350) and `GET /cgi-bin/user/simplelist?department_id=`
 *   for each (direct members `userlist: [{userid, name, department}]`, /document/path/90200).
 *   Members put into the app's visible range one by one (not through a department) are not found
 *   by the walk (UNVERIFIED; `agent/get` allow_userinfos would list them — not done).
 * - Departments: each id with all its sub-departments (`department/simplelist?id=`, recursive per
 *   the doc), then `user/simplelist` per department. Chosen over list_id-filtered-by-department
 *   because it works with the app's own secret and reads only the departments asked for.
 * UserIDs are case-insensitive in WeCom (/document/path/90196): results are deduplicated
 * case-insensitively, keeping the first spelling seen, in discovery order.
 * Errors: WecomApiError / BotError from the client (codes in outbound.ts); WECOM_DIRECTORY_BAD_ANSWER
 * when an answer lacks its list or a cursor repeats.
 */
export interface WecomDirectory {
  /** Every member the app can see. */
  allMembers(): Promise<string[]>;
  /** Members of these departments and their sub-departments. @param departmentIds WeCom department ids (32-bit) */
  departmentMembers(departmentIds: number[]): Promise<string[]>;
}

export interface WecomDirectoryOptions {
  client: WecomClient;
  /** Waits for the pacing gate of an API path before each call. */
  pace: (path: string) => Promise<void>;
  log: Logger;
}

const LIST_ID = '/cgi-bin/user/list_id';
const DEPT_LIST = '/cgi-bin/department/simplelist';
const USER_LIST = '/cgi-bin/user/simplelist';
/** Guard against a cursor that never ends (10,000 pages × 10,000 rows is far beyond any corp). */
const MAX_PAGES = 10_000;

/** Deduplicates UserIDs case-insensitively, keeping the first spelling and the order. */
export function dedupUserIds(ids: Iterable<string>): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const id of ids) {
    const k = id.toLowerCase();
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(id);
  }
  return out;
}

/** Creates the directory reader. */
export function createWecomDirectory(options: WecomDirectoryOptions): WecomDirectory {
  const { client, pace, log } = options;
  let listIdDenied = false;

  async function call<T extends WecomApiResponse>(method: 'GET' | 'POST', path: string, args: { query?: Record<string, string>; body?: unknown }): Promise<T> {
    await pace(path);
    return client.call<T>(method, path, args);
  }

  async function listIdMembers(): Promise<string[]> {
    const ids: string[] = [];
    const cursors = new Set<string>();
    let cursor = '';
    for (let page = 0; page < MAX_PAGES; page++) {
      const body = cursor === '' ? { limit: WECOM_LIST_ID_MAX_LIMIT } : { cursor, limit: WECOM_LIST_ID_MAX_LIMIT };
      const answer = await call<WecomApiResponse & { next_cursor?: unknown; dept_user?: unknown }>('POST', LIST_ID, { body });
      if (!Array.isArray(answer.dept_user)) throw badAnswer(LIST_ID, 'no dept_user list');
      for (const row of answer.dept_user as { userid?: unknown }[]) {
        if (typeof row?.userid === 'string' && row.userid !== '') ids.push(row.userid);
      }
      const next = typeof answer.next_cursor === 'string' ? answer.next_cursor : '';
      if (next === '') return dedupUserIds(ids);
      if (cursors.has(next)) throw badAnswer(LIST_ID, 'next_cursor repeats');
      cursors.add(next);
      cursor = next;
    }
    throw badAnswer(LIST_ID, `more than ${MAX_PAGES} pages`);
  }

  /** The department and every department below it (or all visible departments without id). */
  async function departmentTree(id?: number): Promise<number[]> {
    const answer = await call<WecomApiResponse & { department_id?: unknown }>('GET', DEPT_LIST, id === undefined ? {} : { query: { id: String(id) } });
    if (!Array.isArray(answer.department_id)) throw badAnswer(DEPT_LIST, 'no department_id list');
    const ids = (answer.department_id as { id?: unknown }[]).map((d) => Number(d?.id)).filter((n) => Number.isInteger(n) && n > 0);
    return [...new Set(id === undefined ? ids : [id, ...ids])];
  }

  async function membersOf(departments: number[]): Promise<string[]> {
    const ids: string[] = [];
    for (const dept of departments) {
      const answer = await call<WecomApiResponse & { userlist?: unknown }>('GET', USER_LIST, { query: { department_id: String(dept) } });
      if (!Array.isArray(answer.userlist)) throw badAnswer(USER_LIST, 'no userlist');
      for (const u of answer.userlist as { userid?: unknown }[]) {
        if (typeof u?.userid === 'string' && u.userid !== '') ids.push(u.userid);
      }
    }
    return dedupUserIds(ids);
  }

  return {
    async allMembers(): Promise<string[]> {
      if (!listIdDenied) {
        try {
          return await listIdMembers();
        } catch (err) {
          if (!(err instanceof WecomApiError && WECOM_LIST_ID_DENIED_ERRCODES.has(err.errcode))) throw err;
          listIdDenied = true;
          log.info({ errcode: err.errcode }, 'user/list_id refused (needs the contacts-sync secret); walking departments instead');
        }
      }
      return membersOf(await departmentTree());
    },
    async departmentMembers(departmentIds: number[]): Promise<string[]> {
      const all: number[] = [];
      for (const id of departmentIds) all.push(...(await departmentTree(id)));
      return membersOf([...new Set(all)]);
    },
  };
}

function badAnswer(path: string, what: string): BotError {
  return adapterError('WECOM_DIRECTORY_BAD_ANSWER', `WeCom ${path}: ${what}`);
}

/** Options of {@link createWecomOrgDirectory}: the notice channel's client and pace gates. */
export interface WecomOrgDirectoryOptions extends WecomDirectoryOptions {
  /** Clock in ms (cache TTL). */
  now: () => number;
  /** Snapshot lifetime, ms (default {@link ORG_DIRECTORY_TTL_MS}). */
  ttlMs?: number;
  /** People cap of one snapshot (default {@link ORG_DIRECTORY_MAX_PEOPLE}). */
  maxPeople?: number;
}

const DEPT_NAMES = '/cgi-bin/department/list';

/**
 * The WeCom directory as the console browses it (an OrgDirectory, cached: ../kit/org-directory.ts).
 * One snapshot walk with the app's own secret:
 * 1. `GET /cgi-bin/department/list` without id: every department of the app's visible range with
 *    `{id, name, name_en, parentid, order}` (developer.work.weixin.qq.com/document/path/90208);
 *    siblings are shown by `order`, larger first, as the doc says. A department without `name`
 *    (代开发 apps without the grant) shows its id. When WeCom refuses department/list
 *    ({@link WECOM_DEPARTMENT_LIST_DENIED_ERRCODES}), `department/simplelist` (ids and parents, no
 *    names, /document/path/95350) is used and each department shows its id, with a `problem` saying so.
 * 2. `GET /cgi-bin/user/simplelist?department_id=` for each department (direct members with
 *    `userid` and `name`, /document/path/90200), {@link WECOM_ORG_WALK_CONCURRENCY} in flight, each
 *    through the per-API pace gate. A department WeCom refuses ({@link WECOM_DEPARTMENT_DENIED_ERRCODES})
 *    is reported in its `problem`; the others are read. The walk stops at the people cap.
 * WeCom has no server-side name search for self-built apps, so search and describe() answer from
 * the snapshot; UserIDs compare case-insensitively (/document/path/90196). Members made visible one
 * by one rather than through a department are not found (as for audiences, see above).
 * @throws WecomApiError (department/list and simplelist both failing, token, throttling after the
 *   client's retries), WECOM_DIRECTORY_BAD_ANSWER for an answer without its list
 */
export function createWecomOrgDirectory(options: WecomOrgDirectoryOptions): CachedOrgDirectory {
  const { client, pace, log } = options;

  async function call<T extends WecomApiResponse>(path: string, query: Record<string, string>): Promise<T> {
    await pace(path);
    return client.call<T>('GET', path, { query });
  }

  async function departments(): Promise<OrgSnapshotDepartment[]> {
    type Row = { id?: unknown; name?: unknown; name_en?: unknown; parentid?: unknown; order?: unknown };
    let rows: Row[];
    let problem: string | undefined;
    try {
      const answer = await call<WecomApiResponse & { department?: unknown }>(DEPT_NAMES, {});
      if (!Array.isArray(answer.department)) throw badAnswer(DEPT_NAMES, 'no department list');
      rows = answer.department as Row[];
    } catch (err) {
      if (!(err instanceof WecomApiError && WECOM_DEPARTMENT_LIST_DENIED_ERRCODES.has(err.errcode))) throw err;
      log.warn({ errcode: err.errcode }, 'department/list refused: departments are shown by id');
      problem = `WeCom refused department names (department/list errcode ${err.errcode}): shown by id`;
      const answer = await call<WecomApiResponse & { department_id?: unknown }>(DEPT_LIST, {});
      if (!Array.isArray(answer.department_id)) throw badAnswer(DEPT_LIST, 'no department_id list');
      rows = answer.department_id as Row[];
    }
    const valid = rows
      .map((r, i) => ({ id: Number(r?.id), name: typeof r?.name === 'string' ? r.name.trim() : '', nameEn: typeof r?.name_en === 'string' ? r.name_en.trim() : '', parent: Number(r?.parentid), order: Number(r?.order), i }))
      .filter((d) => Number.isInteger(d.id) && d.id > 0);
    // Larger order first among siblings (the doc); ties keep WeCom's order.
    valid.sort((a, b) => (Number.isFinite(b.order) ? b.order : 0) - (Number.isFinite(a.order) ? a.order : 0) || a.i - b.i);
    return valid.map((d) => ({
      id: String(d.id),
      name: d.name === '' ? String(d.id) : d.name,
      ...(d.nameEn !== '' ? { nameEn: d.nameEn } : {}),
      parentId: Number.isInteger(d.parent) && d.parent > 0 ? String(d.parent) : null,
      ...(problem ? { problem } : {}),
    }));
  }

  type Members = { users: { userid: string; name: string }[] } | { problem: string };

  async function members(dept: OrgSnapshotDepartment): Promise<Members> {
    try {
      const answer = await call<WecomApiResponse & { userlist?: unknown }>(USER_LIST, { department_id: dept.id });
      if (!Array.isArray(answer.userlist)) throw badAnswer(USER_LIST, 'no userlist');
      const users: { userid: string; name: string }[] = [];
      for (const u of answer.userlist as { userid?: unknown; name?: unknown }[]) {
        if (typeof u?.userid === 'string' && u.userid !== '') users.push({ userid: u.userid, name: typeof u.name === 'string' ? u.name.trim() : '' });
      }
      return { users };
    } catch (err) {
      if (err instanceof WecomApiError && WECOM_DEPARTMENT_DENIED_ERRCODES.has(err.errcode)) {
        return { problem: `WeCom refused its members (user/simplelist errcode ${err.errcode}): outside the app's visible range?` };
      }
      throw err;
    }
  }

  async function load(people: OrgPeopleCollector): Promise<OrgSnapshotDepartment[]> {
    const list = await departments();
    const byId = new Map(list.map((d) => [d.id, d]));
    await walkInOrder(
      list,
      WECOM_ORG_WALK_CONCURRENCY,
      members,
      (dept, found) => {
        if ('problem' in found) {
          const d = byId.get(dept.id)!;
          d.problem = d.problem ? `${d.problem}; ${found.problem}` : found.problem;
          return;
        }
        for (const u of found.users) if (!people.add(u.userid, u.name, dept.id)) break;
      },
      () => people.capped,
    );
    return list;
  }

  return createCachedOrgDirectory({
    platform: 'wecom',
    load,
    ...(options.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {}),
    ...(options.maxPeople !== undefined ? { maxPeople: options.maxPeople } : {}),
    now: options.now,
    log,
    caseInsensitiveIds: true,
  });
}
