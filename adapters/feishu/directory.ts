import type { Logger } from 'pino';
import { FeishuApiError, type FeishuApi, type Page } from './api.ts';
import { FEISHU_PLATFORM } from './inbound.ts';
import { DEPARTMENTS_PAGE_SIZE, ORG_WALK_CONCURRENCY, OUT_OF_SCOPE_CODES, ROOT_DEPARTMENT_ID, SCOPES_PAGE_SIZE, USERS_PAGE_SIZE } from './limits.ts';
import {
  createCachedOrgDirectory,
  ORG_DIRECTORY_MAX_PEOPLE,
  ORG_DIRECTORY_TTL_MS,
  walkInOrder,
  type CachedOrgDirectory,
  type OrgPeopleCollector,
  type OrgSnapshotDepartment,
} from '../kit/org-directory.ts';

/** Options of {@link createFeishuOrgDirectory}. */
export interface FeishuOrgDirectoryOptions {
  api: Pick<FeishuApi, 'departmentsBelow' | 'department' | 'peopleOfDepartment' | 'scopeDepartments'>;
  log: Logger;
  /** Clock in ms (cache TTL). */
  now: () => number;
  /** Snapshot lifetime, ms (default {@link ORG_DIRECTORY_TTL_MS}). */
  ttlMs?: number;
  /** People cap of one snapshot (default {@link ORG_DIRECTORY_MAX_PEOPLE}). */
  maxPeople?: number;
}

/** Every page of a paged list (stops when a page token repeats). */
async function allPages<T>(fetch: (token: string | null) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  const seen = new Set<string>();
  let token: string | null = null;
  for (;;) {
    const p: Page<T> = await fetch(token);
    out.push(...p.items);
    if (!p.hasMore || !p.pageToken || seen.has(p.pageToken)) return out;
    seen.add(p.pageToken);
    token = p.pageToken;
  }
}

/** The reason when Feishu refused a department for scope reasons; rethrows anything else. */
function outOfScope(err: unknown, what: string): string {
  if (err instanceof FeishuApiError && OUT_OF_SCOPE_CODES.includes(err.feishuCode)) {
    return `${what}: outside the app's contact scope (code ${err.feishuCode}; 开发者后台 → 权限管理 → 通讯录权限范围)`;
  }
  throw err;
}

/**
 * The Feishu contact directory as the console browses it (an OrgDirectory, cached:
 * ../kit/org-directory.ts). One snapshot walk with the tenant_access_token:
 * 1. Departments: `GET contact/v3/departments/0/children?fetch_child=true&department_id_type=open_department_id`,
 *    every page of {@link DEPARTMENTS_PAGE_SIZE}: all departments with `name` and
 *    `parent_department_id` (the root "0" itself is not a node: top-level departments have no
 *    parent; its direct members are found by search with no department). When the app may not read
 *    the root ({@link OUT_OF_SCOPE_CODES}; its contact scope is not the whole organisation), the
 *    scope's departments (`contact/v3/scopes`, pages of {@link SCOPES_PAGE_SIZE}) are the tops
 *    instead, each read with `departments/:id` (name, parent) and its children as above; one that
 *    cannot be read is reported with its id as name. Users put into the scope one by one (not
 *    through a department) are not listed (UNVERIFIED whether such users appear in any department walk).
 * 2. Members: `GET contact/v3/users/find_by_department?user_id_type=open_id` for each department
 *    (and the root when readable), every page of {@link USERS_PAGE_SIZE}, {@link ORG_WALK_CONCURRENCY}
 *    departments at a time: `open_id` and `name`. A department outside the scope gets a `problem`;
 *    the rest is read. The walk stops at the people cap.
 * Feishu's user search API needs a user_access_token, so search and describe() answer from the snapshot.
 * Source: https://open.feishu.cn/document/server-docs/contact-v3/department/children,
 * https://open.feishu.cn/document/server-docs/contact-v3/user/find_by_department,
 * https://open.feishu.cn/document/server-docs/contact-v3/scope/list
 * @throws FeishuApiError (FEISHU_API_ERROR) for failures other than a department's scope
 */
export function createFeishuOrgDirectory(options: FeishuOrgDirectoryOptions): CachedOrgDirectory {
  const { api } = options;

  async function departments(): Promise<{ list: OrgSnapshotDepartment[]; rootReadable: boolean }> {
    try {
      const below = await allPages((t) => api.departmentsBelow(ROOT_DEPARTMENT_ID, t, DEPARTMENTS_PAGE_SIZE));
      return { list: below.map((d) => ({ id: d.id, name: d.name === '' ? d.id : d.name, parentId: d.parentId === ROOT_DEPARTMENT_ID ? null : d.parentId })), rootReadable: true };
    } catch (err) {
      outOfScope(err, 'root');
    }
    options.log.info({}, 'the root department is outside the contact scope: the tree starts at the scope departments');
    const tops = await allPages((t) => api.scopeDepartments(t, SCOPES_PAGE_SIZE));
    const list: OrgSnapshotDepartment[] = [];
    for (const id of tops) {
      let top: OrgSnapshotDepartment;
      try {
        const d = await api.department(id);
        top = { id, name: d.name === '' ? id : d.name, parentId: d.parentId === ROOT_DEPARTMENT_ID ? null : d.parentId };
      } catch (err) {
        top = { id, name: id, parentId: null, problem: outOfScope(err, 'the department') };
      }
      list.push(top);
      try {
        const below = await allPages((t) => api.departmentsBelow(id, t, DEPARTMENTS_PAGE_SIZE));
        for (const d of below) list.push({ id: d.id, name: d.name === '' ? d.id : d.name, parentId: d.parentId });
      } catch (err) {
        const why = outOfScope(err, 'sub-departments');
        top.problem = top.problem ? `${top.problem}; ${why}` : why;
      }
    }
    return { list, rootReadable: false };
  }

  async function load(people: OrgPeopleCollector): Promise<OrgSnapshotDepartment[]> {
    const { list, rootReadable } = await departments();
    const byId = new Map<string, OrgSnapshotDepartment>();
    for (const d of list) if (!byId.has(d.id)) byId.set(d.id, d);
    const walk = [...(rootReadable ? [ROOT_DEPARTMENT_ID] : []), ...byId.keys()];
    await walkInOrder(
      walk,
      ORG_WALK_CONCURRENCY,
      (id) => allPages((t) => api.peopleOfDepartment(id, t, USERS_PAGE_SIZE)).catch((err: unknown) => outOfScope(err, 'members')),
      (id, found) => {
        if (typeof found === 'string') {
          const d = byId.get(id);
          if (d) d.problem = d.problem ? `${d.problem}; ${found}` : found;
          else options.log.warn({}, 'the root department\'s members are outside the contact scope');
          return;
        }
        const dept = id === ROOT_DEPARTMENT_ID ? null : id;
        for (const p of found) if (!people.add(p.openId, p.name, dept)) break;
      },
      () => people.capped,
    );
    return [...byId.values()];
  }

  return createCachedOrgDirectory({
    platform: FEISHU_PLATFORM,
    load,
    ...(options.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {}),
    ...(options.maxPeople !== undefined ? { maxPeople: options.maxPeople } : {}),
    now: options.now,
    log: options.log,
  });
}
