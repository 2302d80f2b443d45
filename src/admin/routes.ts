import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import getRawBody from 'raw-body';
import type { Logger } from 'pino';
import { BotError, RequestError, requestError } from '../errors.ts';
import { isExpired, isScheduled, type NoticeService, type BroadcastView } from '../notices/service.ts';
import type { Bilingual, BroadcastRecord, NoticeSummary, NoticeVersionRecord } from '../store/ports/notices.ts';
import { broadcastRequestSchema, discardRequestSchema, firstIssue, resendRequestSchema } from '../notices/schema.ts';
import { MAX_PEOPLE_RESULTS } from '../platform/notices.ts';
import { requireBearer } from './auth.ts';
import { refuseConnectionReuse } from '../http/connection.ts';
import type { PolicyService } from '../policies/service.ts';
import { mountPolicyRoutes } from './policies.ts';
import { strictRouter } from '../http/routing.ts';
import { recipientsPage } from './recipients.ts';
import { mountEvidenceRoutes } from './evidence.ts';

/** Largest admin request body, in bytes (a userIds audience of 100 000 ids fits). */
export const ADMIN_MAX_BODY_BYTES = 4 * 1024 * 1024;

const iso = (ms: number) => new Date(ms).toISOString();

/** A notice version as JSON (times ISO 8601 UTC). */
export function versionJson(v: NoticeVersionRecord) {
  return { noticeId: v.noticeId, version: v.version, title: v.title, body: v.body, createdAt: iso(v.createdAt) };
}

function noticeSummaryJson(n: NoticeSummary) {
  return { id: n.id, latestVersion: n.latestVersion, title: n.title, createdAt: iso(n.createdAt), updatedAt: iso(n.updatedAt) };
}

/**
 * A broadcast as JSON (times ISO 8601 UTC); `reminderRounds` and `failures` only when given.
 * Beside the stored fields, as of `at.now` (ms, the notice service's clock):
 * - `scheduled`: true while a confirmed broadcast (state sending) waits for its `notBefore` — nothing
 *   is sent before then, so there is nobody to remind or retry yet;
 * - `confirmBy`: a prepared broadcast awaiting the admin's confirm expires then (ISO), else null;
 * - `expired`: present (true) on a broadcast that expired before anything was sent (src/notices/service.ts
 *   isExpired): cancelled because nobody confirmed its preparation in time, awaiting a confirm past
 *   `confirmBy`, or stuck resolving PREPARE_TTL_MS after its creation (its resolution never finished).
 */
export function broadcastJson(b: BroadcastRecord | BroadcastView, at: { now: number }) {
  return {
    id: b.id,
    noticeId: b.noticeId,
    version: b.version,
    platform: b.platform,
    audience: b.audience,
    state: b.state,
    notBefore: b.notBefore === null ? null : iso(b.notBefore),
    scheduled: isScheduled(b, at.now),
    confirmBy: b.confirmBy === null ? null : iso(b.confirmBy),
    ...(isExpired(b, at.now) ? { expired: true } : {}),
    readSupported: b.readSupported,
    createdBy: b.createdBy,
    createdAt: iso(b.createdAt),
    updatedAt: iso(b.updatedAt),
    ...(b.error ? { error: b.error } : {}),
    counts: b.counts,
    reminder: b.reminder,
    ...('reminderRounds' in b ? { reminderRounds: b.reminderRounds.map((r) => ({ round: r.round, at: iso(r.at), queued: r.queued, by: r.by })) } : {}),
    duplicates: b.duplicates,
    ...('failures' in b ? { failures: b.failures } : {}),
  };
}

/**
 * The body's bytes as UTF-8; bytes that are not UTF-8 are refused rather than turned into U+FFFD
 * (a notice must go out exactly as the admin wrote it).
 * @throws RequestError ADMIN_BAD_BODY (400)
 */
function decodeUtf8(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw requestError('ADMIN_BAD_BODY', 'body is not valid UTF-8');
  }
}

/**
 * The JSON body of an admin request ({} when empty).
 * @throws RequestError ADMIN_BODY_TOO_LARGE (413) over {@link ADMIN_MAX_BODY_BYTES} (answered with
 *   Connection: close); ADMIN_BAD_BODY (400, unreadable or not UTF-8) / ADMIN_BAD_JSON (400)
 */
export async function readJson(ctx: Context): Promise<unknown> {
  let raw: string;
  try {
    const bytes = await getRawBody(ctx.req, { limit: ADMIN_MAX_BODY_BYTES, length: ctx.request.length });
    raw = decodeUtf8(bytes);
  } catch (err) {
    if (err instanceof RequestError) throw err;
    const e = err as { type?: string; status?: number };
    if (e.type === 'entity.too.large' || e.status === 413) {
      refuseConnectionReuse(ctx);
      throw requestError('ADMIN_BODY_TOO_LARGE', `body over ${ADMIN_MAX_BODY_BYTES} bytes`);
    }
    throw requestError('ADMIN_BAD_BODY', 'request body could not be read');
  }
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw requestError('ADMIN_BAD_JSON', 'body is not valid JSON');
  }
}

/**
 * Errors of the admin API as JSON `{"error": {"code", "message", "detail"?: {"kind", "params"?}}}` with the
 * error's status (`detail` when the error names which case of its code it is: src/errors.ts ErrorDetail).
 */
export function jsonErrors(log: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
    } catch (err) {
      const status = err instanceof BotError ? err.status : 500;
      ctx.status = status;
      if (status >= 500) {
        const e = err as { code?: string; message?: string };
        log.error({ route: ctx.path, code: e.code, err: e.message }, 'admin request failed');
      } else {
        log.info({ route: ctx.path, code: (err as BotError).code, httpStatus: status }, 'admin request rejected');
      }
      const expose = err instanceof BotError && (status < 500 || err.code === 'STORE_UNAVAILABLE' || err.code === 'NOTICE_AUDIENCE_FAILED');
      ctx.body = {
        error: expose
          ? { code: (err as BotError).code, message: (err as BotError).message, ...((err as BotError).detail ? { detail: (err as BotError).detail } : {}) }
          : { code: 'INTERNAL', message: 'internal error' },
      };
    }
  };
}

function csv(ctx: Context, name: string, body: string): void {
  ctx.type = 'text/csv; charset=utf-8';
  ctx.set('Content-Disposition', `attachment; filename="${name}"`);
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body;
}

/**
 * Mounts the admin API under /admin, every route behind `Authorization: Bearer <token>`
 * (constant-time compare; 401 otherwise) in the route's own middleware stack, on a strict,
 * case-sensitive router: only the exact spelling of a path matches, and whatever matches is
 * checked. The server's admin-surface guard (src/admin/surface.ts) refuses every other
 * spelling, other networks and other listeners before the router. Mount it only when ADMIN_TOKEN
 * is set: without it the routes do not exist (404). JSON in and out; errors are `{"error": {"code", "message"}}`
 * with 400 (bad JSON or a field, named), 401, 404 (unknown id), 409, 413, 422, 502 or 503.
 *
 * - POST /admin/notices `{"title": {"zh","en"?,"zh-TW"?}, "body": {"zh","en"?,"zh-TW"?}}` -> 201 `{"id","version"}`
 *   (zh required; en / zh-TW optional: not written = the Chinese / its OpenCC twp conversion is shown)
 * - POST /admin/notices/convert `{"title"?, "body"?}` (Simplified) -> `{"title"?, "body"?}` in Taiwan
 *   Traditional (OpenCC twp); records nothing
 * - PUT  /admin/notices/:id (same body) -> 201 `{"id","version"}`: a new version; old ones stay readable
 * - GET  /admin/notices -> `{"notices": [{id, latestVersion, title, createdAt, updatedAt}]}`
 * - GET  /admin/notices/:id -> `{"id","latestVersion","versions": [...]}`; /versions/:version -> one version
 * - GET  /admin/notices/:id/versions/:version/preview -> `{"noticeId","version","previews": [NoticePreview]}`:
 *   how it will look on each configured platform (src/platform/notices.ts NoticePreview)
 * - POST /admin/broadcasts `{"noticeId", "version"?, "platform", "audience": {"all": true} |
 *   {"departmentIds"?: [...], "userIds"?: [...]}, each with "exclude"?: {"departmentIds"?, "userIds"?}}`
 *   -> 201 `{"id", "state", "counts"}` (resolves the audience before answering; the console prepares instead)
 * - POST /admin/broadcasts/prepare (same body, plus "notBefore"?: ISO 8601 or ms) -> 202 `{"id", "state": "preparing"}`:
 *   recorded at once, the audience resolved in the background (exclusions applied, deduplicated);
 *   GET /admin/broadcasts/:id/preparation -> `{"state": "preparing"|"ready"|"failed", "count"?, "unknown"?, "checked"?,
 *   "unmatchedExclusions"?, "error"?, "code"?, "message"?, "interrupted"?}` (ready: `unknown` = typed ids the directory does not know, not counted nor sent;
 *   `checked` false = no directory to check them; `unmatchedExclusions` `{"userIds", "departmentIds"}` (only when
 *   not empty) = excluded ids not in the audience and excluded departments that removed nobody — a warning, not a refusal;
 *   failed: `code` and `message` apart for the console to word the code, `interrupted` = the instance preparing it died);
 *   POST /admin/broadcasts/:id/confirm -> the broadcast, sending (409 BROADCAST_NOT_PREPARED before ready)
 * - GET  /admin/directory/:platform/departments -> `{"departments": [{id, name, parentId, headCount}]}`;
 *   GET /admin/directory/:platform/people?q=&limit= (≤ 50) -> `{"people": [{userId, name, department}]}`
 *   (400 NOTICE_DIRECTORY_UNSUPPORTED where the adapter has no directory)
 * - GET  /admin/broadcasts -> `{"broadcasts": [...]}` (newest first)
 * - GET  /admin/broadcasts/:id -> `{"id","state","counts": {targeted, pending, sent, failed, read,
 *   acknowledged}, "reminder": {round, targeted, pending, sent, failed} (the latest round),
 *   "reminderRounds": [{round, at, queued, by}] (every round, oldest first; `by` null when not recorded),
 *   "failures": [{userId, reason}], …}`
 * - GET  /admin/broadcasts/:id/recipients?state=&q=&sort=&order=&cursor=|page=&limit= -> one page of
 *   recipients, filtered and sorted by the store (src/admin/recipients.ts)
 * - GET  /admin/broadcasts/:id/recipients.csv and /audit.csv (UTF-8 with BOM)
 * - GET  /admin/broadcasts/:id/recipients.xlsx and /audit.xlsx, GET /admin/broadcasts/:id/timeline
 *   (src/admin/evidence.ts)
 * - POST /admin/broadcasts/:id/resend `{"only": "failed"|"unacknowledged"}` -> `{"id","only","queued","round"}`
 *   (409 BROADCAST_NOT_STARTED "scheduled for <time>, not started" while a scheduled broadcast waits for its time)
 * - POST /admin/broadcasts/:id/cancel -> the broadcast
 * - POST /admin/broadcasts/:id/discard `{"reason": "audience-changed"|"dialog-closed"}` -> the broadcast with
 *   `"discarded": reason`: an unconfirmed preparation dropped by the console (not the admin's cancel; the console's
 *   operation log says which); 409 BROADCAST_NOT_DISCARDABLE once confirmed
 * - /admin/policies (when `policies` is given): POST, GET, GET /:id, DELETE /:id —
 *   see src/admin/policies.ts
 */
export function mountAdminRoutes(router: Router, options: { service: NoticeService; policies?: PolicyService; token: string; log: Logger }): void {
  const routes = strictRouter('/admin');
  // The checks belong to each route's own stack, not to `use`: they run exactly when, and on
  // exactly the path on which, the route matches (src/http/routing.ts says why).
  declareAdminRoutes(guardedRoutes(routes, [jsonErrors(options.log), requireBearer(options.token)]), options);
  // The routes are copied into `router` (405 / OPTIONS come from the server's own allowedMethods).
  router.use(routes.routes());
}

/**
 * Who made a request, as recorded in `createdBy` and the audit trail: `ctx.state.actor` when a
 * guard set it (the console: 'console:<account>'), else 'api' (the Bearer token).
 */
export function actorOf(ctx: Context): string {
  const actor = (ctx.state as { actor?: unknown }).actor;
  return typeof actor === 'string' ? actor : 'api';
}

/**
 * Declares every admin route (paths relative to the prefix) on `admin`, whose guards decide who may
 * call them: mounted once under /admin behind the Bearer token ({@link mountAdminRoutes}) and once
 * under /console/api behind a console session (src/console/server.ts).
 */
export function declareAdminRoutes(admin: AdminRoutes, options: { service: NoticeService; policies?: PolicyService; log: Logger }): void {
  const { service, log } = options;
  admin.post('/notices', async (ctx) => {
    const v = await service.createNotice(await readJson(ctx));
    log.info({ notice: v.noticeId, version: v.version }, 'notice created');
    ctx.status = 201;
    ctx.body = { id: v.noticeId, version: v.version };
  });
  admin.put('/notices/:id', async (ctx) => {
    const v = await service.editNotice(ctx.params.id!, await readJson(ctx));
    log.info({ notice: v.noticeId, version: v.version }, 'notice edited');
    ctx.status = 201;
    ctx.body = { id: v.noticeId, version: v.version };
  });
  admin.post('/notices/convert', async (ctx) => {
    ctx.body = service.convertToTaiwan(await readJson(ctx));
  });
  admin.get('/notices', async (ctx) => {
    ctx.body = { notices: (await service.listNotices()).map(noticeSummaryJson) };
  });
  admin.get('/notices/:id', async (ctx) => {
    const n = await service.getNotice(ctx.params.id!);
    ctx.body = { id: n.id, latestVersion: n.latestVersion, versions: n.versions.map(versionJson) };
  });
  admin.get('/notices/:id/versions/:version', async (ctx) => {
    const version = Number(ctx.params.version);
    ctx.body = versionJson(await service.getNoticeVersion(ctx.params.id!, Number.isSafeInteger(version) ? version : -1));
  });

  admin.get('/notices/:id/versions/:version/preview', async (ctx) => {
    const version = Number(ctx.params.version);
    const v = await service.getNoticeVersion(ctx.params.id!, Number.isSafeInteger(version) ? version : -1);
    ctx.body = { noticeId: v.noticeId, version: v.version, previews: await service.previewNotice(v.noticeId, v.version) };
  });

  admin.post('/broadcasts', async (ctx) => {
    const parsed = broadcastRequestSchema.safeParse(await readJson(ctx));
    if (!parsed.success) throw requestError('NOTICE_BAD_REQUEST', firstIssue(parsed.error));
    const b = await service.createBroadcast({ ...parsed.data, createdBy: actorOf(ctx) });
    if (b.notBefore !== null) log.info({ broadcast: b.id, notBefore: b.notBefore }, 'broadcast scheduled');
    ctx.status = 201;
    ctx.body = { id: b.id, state: b.state, counts: b.counts };
  });
  // Prepare, then confirm (Company Communicator's flow; the console's send): the audience is
  // resolved in the background, the admin sees the head count, and only the confirm sends.
  admin.post('/broadcasts/prepare', async (ctx) => {
    const parsed = broadcastRequestSchema.safeParse(await readJson(ctx));
    if (!parsed.success) throw requestError('NOTICE_BAD_REQUEST', firstIssue(parsed.error));
    const id = await service.prepareBroadcast({ ...parsed.data, createdBy: actorOf(ctx) });
    ctx.status = 202;
    ctx.body = { id, state: 'preparing' };
  });
  admin.get('/broadcasts/:id/preparation', async (ctx) => {
    const p = await service.preparation(ctx.params.id!);
    if (!p) throw requestError('BROADCAST_NOT_PREPARED', `broadcast ${ctx.params.id} was not prepared (or its preparation expired)`);
    ctx.body = { id: ctx.params.id, ...p };
  });
  admin.post('/broadcasts/:id/confirm', async (ctx) => {
    ctx.body = broadcastJson(await service.confirm(ctx.params.id!), { now: service.clock.now() });
  });
  admin.get('/directory/:platform/departments', async (ctx) => {
    ctx.body = { platform: ctx.params.platform, departments: await service.departments(ctx.params.platform!) };
  });
  admin.get('/directory/:platform/people', async (ctx) => {
    const q = typeof ctx.query.q === 'string' ? ctx.query.q : '';
    const limit = typeof ctx.query.limit === 'string' && /^[0-9]{1,3}$/.test(ctx.query.limit) ? Number(ctx.query.limit) : 20;
    if (limit < 1 || limit > MAX_PEOPLE_RESULTS) throw requestError('NOTICE_BAD_REQUEST', `limit: must be 1–${MAX_PEOPLE_RESULTS}`);
    ctx.body = { platform: ctx.params.platform, people: await service.searchPeople(ctx.params.platform!, q, limit) };
  });
  /** A broadcast's JSON plus its notice version's title (`noticeTitle`), so a page can name the notice, not only its id. */
  const titles = () => {
    const seen = new Map<string, Promise<Bilingual | null>>();
    return async (b: BroadcastRecord | BroadcastView) => {
      const key = `${b.noticeId}\u0000${b.version}`;
      if (!seen.has(key)) seen.set(key, service.getNoticeVersion(b.noticeId, b.version).then((v) => v.title, () => null));
      return { ...broadcastJson(b, { now: service.clock.now() }), noticeTitle: await seen.get(key)! };
    };
  };
  admin.get('/broadcasts', async (ctx) => {
    const titled = titles();
    ctx.body = { broadcasts: await Promise.all((await service.listBroadcasts()).map(titled)) };
  });
  admin.get('/broadcasts/:id', async (ctx) => {
    ctx.body = await titles()(await service.getBroadcast(ctx.params.id!));
  });
  admin.get('/broadcasts/:id/recipients', (ctx) => recipientsPage(ctx, service));
  admin.get('/broadcasts/:id/recipients.csv', async (ctx) => {
    csv(ctx, `broadcast-${ctx.params.id}-recipients.csv`, await service.recipientsCsv(ctx.params.id!));
  });
  admin.get('/broadcasts/:id/audit.csv', async (ctx) => {
    csv(ctx, `broadcast-${ctx.params.id}-audit.csv`, await service.auditCsv(ctx.params.id!));
  });
  mountEvidenceRoutes(admin, { service, actorOf });
  admin.post('/broadcasts/:id/resend', async (ctx) => {
    const parsed = resendRequestSchema.safeParse(await readJson(ctx));
    if (!parsed.success) throw requestError('NOTICE_BAD_REQUEST', firstIssue(parsed.error));
    ctx.body = await service.resend(ctx.params.id!, parsed.data.only, actorOf(ctx));
  });
  admin.post('/broadcasts/:id/cancel', async (ctx) => {
    ctx.body = broadcastJson(await service.cancel(ctx.params.id!), { now: service.clock.now() });
  });
  admin.post('/broadcasts/:id/discard', async (ctx) => {
    const parsed = discardRequestSchema.safeParse(await readJson(ctx));
    if (!parsed.success) throw requestError('NOTICE_BAD_REQUEST', firstIssue(parsed.error));
    ctx.body = { ...broadcastJson(await service.discardPreparation(ctx.params.id!), { now: service.clock.now() }), discarded: parsed.data.reason };
  });

  if (options.policies) mountPolicyRoutes(admin, { service: options.policies, readJson });
}

/** A route handler of the admin API (runs after the route's guards). */
export type AdminHandler = (ctx: Context) => Promise<void> | void;

/**
 * Where admin routes are declared: each one gets the guards in front of its handler, in its own
 * middleware stack, so no route can be added without them. Paths are relative to the router's
 * prefix ('/admin').
 */
export interface AdminRoutes {
  get(path: string, handler: AdminHandler): void;
  post(path: string, handler: AdminHandler): void;
  put(path: string, handler: AdminHandler): void;
  delete(path: string, handler: AdminHandler): void;
}

/** {@link AdminRoutes} on `router`, every route behind `guards` (run in order before the handler). */
export function guardedRoutes(router: Router, guards: ((ctx: Context, next: Next) => Promise<void>)[]): AdminRoutes {
  return {
    get: (path, handler) => void router.get(path, ...guards, handler),
    post: (path, handler) => void router.post(path, ...guards, handler),
    put: (path, handler) => void router.put(path, ...guards, handler),
    delete: (path, handler) => void router.delete(path, ...guards, handler),
  };
}
