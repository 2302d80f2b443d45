import { BotError } from '../../src/errors.ts';
import { ThrottledError, type Audience } from '../../src/platform/notices.ts';
import { DingtalkApiError, throttleDelayMs, type DingtalkOpenApi } from './openapi.ts';
import { DIRECTORY_CONCURRENCY, DIRECTORY_THROTTLE_ATTEMPTS, ROOT_DEPT_ID, USER_LIST_PAGE_SIZE } from './limits.ts';
import type { PaceGate } from '../kit/pace.ts';
import { adapterError } from '../errors.ts';

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
  const path = '/topapi/v2/department/listsub';
  const res = await pacedCall(deps.gates.listsub, path, { dept_id: dept }, deps, dept);
  const list = res.result;
  if (!Array.isArray(list)) throw new DingtalkApiError(path.slice(1), 'BAD_ANSWER (result is not a list)', 200, 0, false);
  const out: number[] = [];
  for (const d of list) {
    const id = (d as { dept_id?: unknown } | null)?.dept_id;
    if (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) out.push(id);
  }
  return out;
}

async function listMembers(dept: number, deps: DirectoryDeps): Promise<string[]> {
  const path = '/topapi/user/listsimple';
  const out: string[] = [];
  let cursor = 0;
  for (;;) {
    const res = await pacedCall(deps.gates.listsimple, path, { dept_id: dept, cursor, size: USER_LIST_PAGE_SIZE }, deps, dept);
    const result = res.result as { has_more?: unknown; next_cursor?: unknown; list?: unknown } | undefined;
    if (!result || !Array.isArray(result.list)) {
      throw new DingtalkApiError(path.slice(1), 'BAD_ANSWER (result.list is missing)', 200, 0, false);
    }
    for (const u of result.list) {
      const id = (u as { userid?: unknown } | null)?.userid;
      if (typeof id === 'string' && id !== '') out.push(id);
    }
    if (result.has_more !== true) return out;
    const next = result.next_cursor;
    if (typeof next !== 'number' || !Number.isSafeInteger(next) || next <= cursor) {
      throw new DingtalkApiError(path.slice(1), 'BAD_ANSWER (has_more without a larger next_cursor)', 200, 0, false);
    }
    cursor = next;
  }
}
