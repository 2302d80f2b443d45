/**
 * The admin console at /console, served by the bot itself (no build step): a single page
 * (src/console/ui/index.html + kit.js, one script per section, app.js) over React 18, Ant Design 5 and dayjs loaded as the UMD files
 * their packages ship (https://ant.design/docs/react/introduce#umd), templates written with `htm`
 * (https://github.com/developit/htm) instead of JSX.
 *
 * Routes (all behind the admin-surface guard of src/admin/surface.ts: ADMIN_ALLOW_FROM,
 * exact spelling; no Bearer token — a console session instead):
 * - GET /console — the page; GET /console/assets/<file> — the scripts (gzip when accepted, ETag).
 * - POST /console/api/session `{"name","password"}` -> `{"signedIn": true,"name","role","mustChange","csrf"}` and
 *   the session cookie; 401 CONSOLE_BAD_CREDENTIALS; 429 CONSOLE_THROTTLED (per account / address).
 *   GET -> the same for the current session, or 200 `{"signedIn": false}` without one (the page's first
 *   question: "nobody signed in" is an answer, not an error — no failed request in the browser's log);
 *   DELETE -> signed out (401 without a session).
 * - POST /console/api/password `{"current","next"}` — required first when the password is one-time.
 * - Every admin API route (src/admin/routes.ts, declared once) under /console/api instead of /admin,
 *   plus the console's own (platforms, audience preview and CSV upload, statuses, policy preview
 *   (POST /console/api/policies/preview, GET /console/api/policies/:id/preview), archive sync state
 *   (GET /console/api/archive-sync),
 *   knowledge (POST /console/api/knowledge/try `{"question"}` -> `{"topic","intent","score","replies",
 *   "suggestions":[{"id","score"}]}`: each suggestion with its matcher score, for the console alone), health, audit trail: GET /console/api/audit with each action in words, GET
 *   /console/api/audit.csv?lang=zh|en its export with an action column — src/console/audit-actions.ts).
 * - GET /console/api/error-texts -> `{"codes": {"zh": {CODE: text}, "en": {…}}}`: the adapters' error codes
 *   in the console's languages (ConsoleOptions.errorTexts); like POST and GET /session it needs no session.
 * Every other /console/api route needs the session cookie (401); every method other than GET needs the
 * session's CSRF token in `X-CSRF-Token` (403 CONSOLE_CSRF); changes need the role owner or admin
 * (403 CONSOLE_FORBIDDEN for auditors); a one-time password must be changed first (403
 * CONSOLE_PASSWORD_CHANGE). Every change and export is recorded in the console audit trail with the
 * account name; broadcasts and policies record `console:<name>` as their creator.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { parse } from 'csv-parse/sync';
import type { CoreConfig as Config } from '../config.ts';
import type { Core } from '../core.ts';
import { requestError } from '../errors.ts';
import { declareAdminRoutes, jsonErrors, readJson, type AdminHandler, type AdminRoutes } from '../admin/routes.ts';
import { strictRouter } from '../http/routing.ts';
import type { NetworkSet } from '../http/networks.ts';
import type { PlatformHealth } from '../platform/health.ts';
import { parseStatusCsv, type CsvLineError } from '../archiving/status.ts';
import { toTaiwanTraditional } from '../bot/traditional.ts';
import type { InboundMessage } from '../platform/message.ts';
import { AccountStore, PLATFORM_USER_ID, type Role } from './accounts.ts';
import { ConsoleAudit, SessionStore, SignInThrottle, csrfMatches, type ConsoleAuditEntry, type Session } from './sessions.ts';
import { describeAudit, type AuditDetails, type AuditSummary } from './audit-actions.ts';
import { toCsv, zonedTime } from '../evidence/csv.ts';
import type { AdminLogin, LoginPlatformInfo } from '../platform/login.ts';
import { mountAccountRoutes } from './account-routes.ts';
import { mountPlatformLogin } from './platform-login.ts';

/** Name of the session cookie (Path=/console, HttpOnly, SameSite=Strict, Secure over https). */
export const SESSION_COOKIE = 'pb_console';
/** Header carrying the CSRF token on every change. */
export const CSRF_HEADER = 'x-csrf-token';
/** Header of the operation-log export (GET /console/api/audit.csv). */
export const CONSOLE_AUDIT_HEADER = ['time', 'actor', 'action', 'route', 'target', 'status'] as const;
/** Entries in the operation-log export at most (the newest). */
export const AUDIT_EXPORT_MAX = 10_000;
/** Recipients per page at most (paged recipient table). */
export const MAX_PAGE_SIZE = 200;

const require = createRequire(import.meta.url);
const UI_DIR = fileURLToPath(new URL('./ui/', import.meta.url));

/** The files the page loads: URL name -> file. Only these are served. */
/**
 * The console's scripts under src/console/ui/, in the order index.html loads them: errors.js (the server's
 * errors in the console's languages), kit.js (texts, API client, helpers), one script per section, app.js (the shell that routes to the sections) last.
 */
export const CONSOLE_SCRIPTS = ['errors.js', 'kit.js', 'signin.js', 'notices.js', 'broadcasts.js', 'evidence.js', 'policies.js', 'statuses.js', 'knowledge.js', 'health.js', 'platform-signin.js', 'accounts.js', 'app.js'] as const;

function assetFiles(): Record<string, string> {
  // Package folders through their package.json (the UMD files are not in the packages' "exports").
  const file = (pkg: string, rel: string) => {
    const main = require.resolve(pkg);
    return join(main.slice(0, main.lastIndexOf(`/node_modules/${pkg}/`) + `/node_modules/${pkg}/`.length), rel);
  };
  return {
    'react.js': file('react', 'umd/react.production.min.js'),
    'react-dom.js': file('react-dom', 'umd/react-dom.production.min.js'),
    'dayjs.js': file('dayjs', 'dayjs.min.js'),
    'dayjs-zh-cn.js': file('dayjs', 'locale/zh-cn.js'),
    // antd's UMD build with its locales (antd.locales.zh_CN / en_US) — the plain antd.min.js has none.
    'antd.js': file('antd', 'dist/antd-with-locales.min.js'),
    'htm.js': file('htm', 'dist/htm.umd.js'),
    // The console's own scripts, in load order (kit first, the shell last): CONSOLE_SCRIPTS.
    ...Object.fromEntries(CONSOLE_SCRIPTS.map((name) => [name, `${UI_DIR}${name}`])),
  };
}

interface Asset {
  type: string;
  raw: Buffer;
  gzip: Buffer;
  etag: string;
}

function loadAsset(file: string, type: string): Asset {
  const raw = readFileSync(file);
  return { type, raw, gzip: gzipSync(raw, { level: 9 }), etag: `"${createHash('sha256').update(raw).digest('base64url').slice(0, 27)}"` };
}

/** Content-Security-Policy of the console: scripts only from /console/assets (no inline script, no eval); antd injects styles. */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function serveAsset(ctx: Context, a: Asset): void {
  ctx.set('Content-Security-Policy', CONSOLE_CSP);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('Cache-Control', 'no-cache');
  ctx.set('ETag', a.etag);
  ctx.vary('Accept-Encoding');
  if (ctx.get('if-none-match') === a.etag) {
    ctx.status = 304;
    return;
  }
  ctx.type = a.type;
  if (/\bgzip\b/.test(ctx.get('accept-encoding'))) {
    ctx.set('Content-Encoding', 'gzip');
    ctx.body = a.gzip;
  } else {
    ctx.body = a.raw;
  }
}

function cookieToken(ctx: Context): string | undefined {
  for (const part of (ctx.get('cookie') || '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === SESSION_COOKIE) return v.join('=');
  }
  return undefined;
}

/** Whether the request came over https: TLS on the socket, or X-Forwarded-Proto: https from a trusted proxy. */
function overHttps(ctx: Context, trustedProxies: NetworkSet): boolean {
  if ((ctx.req.socket as { encrypted?: boolean }).encrypted) return true;
  const peer = ctx.req.socket.remoteAddress ?? '';
  const proto = ctx.get('x-forwarded-proto').split(',')[0]?.trim().toLowerCase();
  return proto === 'https' && trustedProxies.has(peer.replace(/^::ffff:/, ''));
}

function setCookie(ctx: Context, value: string, maxAgeS: number, secure: boolean): void {
  ctx.append('Set-Cookie', `${SESSION_COOKIE}=${value}; Path=/console; Max-Age=${maxAgeS}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`);
}

const sessionJson = (s: Session) => ({ signedIn: true as const, name: s.name, role: s.role, mustChange: s.mustChange, csrf: s.csrf });

/** Options of {@link mountConsole}. */
export interface ConsoleOptions {
  config: Config;
  core: Core;
  log: Logger;
  health: PlatformHealth;
  trustedProxies: NetworkSet;
  /** Clock for sessions and the audit trail (tests). */
  now?: () => number;
  /** How long /console/api/health waits for the store, in ms. */
  readinessTimeoutMs?: number;
  /** Platforms a status can be imported for (the composition root passes adapters/platforms.ts `PLATFORM_IDS`). */
  statusPlatforms: readonly string[];
  /** Sign-in with the work platform (adapters/login.ts via the composition root); none when absent. */
  logins?: readonly AdminLogin[];
  /**
   * Every platform accounts may be linked to, as the adapters describe them (adapters/login.ts
   * `LOGIN_PLATFORMS` via the composition root); none when absent (links refused).
   */
  loginPlatforms?: readonly LoginPlatformInfo[];
  /**
   * The console texts of the adapters' error codes, code -> { zh, en } (adapters/errors.ts
   * `ADAPTER_CONSOLE_TEXTS` via the composition root), served by GET /console/api/error-texts; none when absent.
   */
  errorTexts?: Readonly<Record<string, Readonly<{ zh: string; en: string }>>>;
}

/** Mounts the console (see the module comment) on `router`. */
export function mountConsole(router: Router, options: ConsoleOptions): void {
  const { config, core, log, trustedProxies } = options;
  const now = options.now ?? Date.now;
  const idleMs = config.consoleIdleMinutes * 60_000;
  const accounts = new AccountStore(core.store, now, options.loginPlatforms ?? []);
  const sessions = new SessionStore(core.store, idleMs, now);
  const throttle = new SignInThrottle(core.store);
  const audit = new ConsoleAudit(core.store, now);

  // ---- the page and its scripts ----
  const page = loadAsset(`${UI_DIR}index.html`, 'text/html; charset=utf-8');
  const pages = strictRouter('/console');
  pages.get('/', (ctx) => serveAsset(ctx, page));
  for (const [name, file] of Object.entries(assetFiles())) {
    const asset = loadAsset(file, 'application/javascript; charset=utf-8');
    pages.get(`/assets/${name}`, (ctx) => serveAsset(ctx, asset));
  }
  // '/console' itself (the prefix router's '/' is '/console/' under strict routing).
  router.get('/console', (ctx) => serveAsset(ctx, page));
  router.use(pages.routes());

  // ---- guards ----
  const errors = jsonErrors(log);
  const noStore = async (ctx: Context, next: Next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  };
  /**
   * The live session of a request (touched: its idle time starts again), with the account's current role, or
   * null — never signed in, expired, or the account was removed (its session is then ended). Sets
   * ctx.state.session, sessionToken and actor when there is one.
   */
  const liveSession = async (ctx: Context): Promise<Session | null> => {
    const token = cookieToken(ctx);
    const s = await sessions.touch(token);
    if (!s) return null;
    // Role changes and removals take effect at once, not at the next sign-in.
    const account = await accounts.get(s.name);
    if (!account) {
      await sessions.destroy(token);
      return null;
    }
    if (account.role !== s.role) await sessions.update(token!, { ...s, role: account.role });
    const live = { ...s, role: account.role };
    ctx.state.session = live;
    ctx.state.sessionToken = token;
    ctx.state.actor = `console:${s.name}`;
    return live;
  };
  const session = (allowMustChange: boolean) => async (ctx: Context, next: Next) => {
    const s = await liveSession(ctx);
    if (!s) throw requestError('CONSOLE_UNAUTHENTICATED', 'sign in first');
    if (s.mustChange && !allowMustChange) throw requestError('CONSOLE_PASSWORD_CHANGE', 'change the one-time password first');
    await next();
  };
  const csrf = async (ctx: Context, next: Next) => {
    if (!csrfMatches(ctx.state.session as Session, ctx.get(CSRF_HEADER) || undefined)) {
      throw requestError('CONSOLE_CSRF', `the ${CSRF_HEADER} header of this session is required`);
    }
    await next();
  };
  const role = (allowed: Role[]) => async (ctx: Context, next: Next) => {
    if (!allowed.includes((ctx.state.session as Session).role)) throw requestError('CONSOLE_FORBIDDEN', `this needs the role ${allowed.join(' or ')}`);
    await next();
  };
  // Recorded whatever the outcome (refusals included), after the answer is decided.
  const audited = async (ctx: Context, next: Next) => {
    let failed: { status?: number } | null = null;
    try {
      await next();
    } catch (err) {
      failed = err as { status?: number };
      throw err;
    } finally {
      const s = ctx.state.session as Session | undefined;
      const status = failed ? (typeof failed.status === 'number' ? failed.status : 500) : ctx.status;
      const route = `${ctx.method} ${ctx._matchedRoute ?? ctx.path}`;
      const answer = (failed ? null : ctx.body) as AnswerBody | null;
      const target = ctx.params?.id ?? ctx.params?.name ?? (typeof answer?.id === 'string' ? answer.id : undefined);
      const details = await auditDetails(route, ctx.params ?? {}, answer, status).catch(() => undefined);
      await audit
        .record({ actor: s?.name ?? '?', action: route, status, ...(target ? { target: String(target) } : {}), ...(details && Object.keys(details).length > 0 ? { details } : {}) })
        .catch((err: unknown) => log.error({ err: (err as Error).message }, 'console audit entry could not be written'));
    }
  };

  /** What an audited route answered (the fields the operation log takes its parameters from). */
  type AnswerBody = { id?: unknown; version?: unknown; only?: unknown; discarded?: unknown; queued?: unknown; imported?: unknown; errors?: unknown; account?: { role?: unknown } };
  /** An audited action's parameters (ids and counts, never content): src/console/audit-actions.ts. */
  async function auditDetails(route: string, params: Record<string, string>, answer: AnswerBody | null, status: number): Promise<AuditDetails> {
    const d: AuditDetails = {};
    const path = route.slice(route.indexOf(' ') + 1);
    if (path.startsWith('/console/api/broadcasts')) {
      const id = params.id ?? (typeof answer?.id === 'string' ? answer.id : undefined);
      const b = id ? await core.notices.store.getBroadcast(id) : null;
      if (b) Object.assign(d, { notice: b.noticeId, version: b.version, platform: b.platform });
      if (b && (route.endsWith('/confirm') || route === 'POST /console/api/broadcasts') && status < 400) d.count = b.counts.targeted;
      if (route.endsWith('/resend') && typeof answer?.queued === 'number') Object.assign(d, { count: answer.queued, only: String(answer.only) });
      if (route.endsWith('/discard') && typeof answer?.discarded === 'string') d.reason = answer.discarded;
    } else if (path.startsWith('/console/api/notices/')) {
      const version = Number(params.version ?? answer?.version);
      Object.assign(d, { notice: params.id ?? String(answer?.id ?? ''), ...(Number.isSafeInteger(version) ? { version } : {}) });
    } else if (route === 'POST /console/api/notices' && typeof answer?.id === 'string') {
      Object.assign(d, { notice: answer.id, version: Number(answer.version) });
    } else if (route === 'POST /console/api/statuses/import') {
      if (typeof answer?.imported === 'number') d.rows = answer.imported;
      if (Array.isArray(answer?.errors) && answer.errors.length > 0) d.errors = answer.errors.length;
    } else if (path.startsWith('/console/api/accounts') && typeof answer?.account?.role === 'string') {
      d.role = answer.account.role;
    }
    if (d.notice === '') delete d.notice;
    return d;
  }
  /** The notice titles an operation log names, per language (undefined when the notice is gone). */
  async function auditTitles(entries: ConsoleAuditEntry[]): Promise<(noticeId: string, version?: number) => AuditSummary | undefined> {
    const titles = new Map<string, AuditSummary>();
    for (const e of entries) {
      const n = e.details?.notice;
      if (!n) continue;
      const key = `${n}@${e.details?.version ?? ''}`;
      if (titles.has(key)) continue;
      const v = await core.notices.getNoticeVersion(n, e.details?.version).catch(() => null);
      if (v) titles.set(key, { zh: v.title.zh, en: v.title.en ?? v.title.zh });
    }
    return (n, version) => titles.get(`${n}@${version ?? ''}`);
  }
  /** The newest `limit` operation-log entries, each with its action in words (`summary`: zh and en). */
  async function describedAudit(limit: number) {
    const entries = await audit.recent(limit);
    const title = await auditTitles(entries);
    return entries.map((e) => ({ ...e, summary: describeAudit(e, title) }));
  }

  const api = strictRouter('/console/api');
  const WRITE: Role[] = ['owner', 'admin'];
  const ANY: Role[] = ['owner', 'admin', 'auditor'];
  const readGuards = [errors, noStore, session(false)];
  const writeGuards = (roles: Role[]) => [errors, noStore, session(false), audited, csrf, role(roles)];
  /** The admin routes' declaration target: reads for every role, changes for owner/admin with CSRF. */
  const consoleRoutes: AdminRoutes = {
    get: (path, handler) => void api.get(path, ...readGuards, /\.(csv|xlsx)$/.test(path) ? auditedHandler(handler) : handler),
    post: (path, handler) => void api.post(path, ...writeGuards(WRITE), handler),
    put: (path, handler) => void api.put(path, ...writeGuards(WRITE), handler),
    delete: (path, handler) => void api.delete(path, ...writeGuards(WRITE), handler),
  };
  function auditedHandler(handler: AdminHandler): AdminHandler {
    return (ctx) => audited(ctx, async () => void (await handler(ctx)));
  }
  /** POSTs that change nothing (previews, "try a question"): CSRF, any role. */
  const postRead = (path: string, handler: AdminHandler) => void api.post(path, errors, noStore, session(false), csrf, handler);

  // ---- session ----
  api.post('/session', errors, noStore, async (ctx) => {
    const body = (await readJson(ctx)) as { name?: unknown; password?: unknown };
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    const password = typeof body.password === 'string' ? body.password : '';
    if (!name || !password) throw requestError('CONSOLE_BAD_REQUEST', 'name and password are required');
    const limited = await throttle.attempt(name, ctx.ip);
    if (limited) {
      // Not recorded: a flood of refused attempts must not grow the store (the attempts under the limit are).
      ctx.set('Retry-After', '900');
      throw requestError('CONSOLE_THROTTLED', `too many sign-in attempts for this ${limited}; try again in 15 minutes`);
    }
    const account = await accounts.verify(name, password);
    if (!account) {
      await audit.record({ actor: name.slice(0, 64), action: 'sign-in failed', status: 401 });
      throw requestError('CONSOLE_BAD_CREDENTIALS', 'wrong name or password');
    }
    await throttle.succeeded(name);
    await accounts.signedIn(account.name);
    await sessions.destroy(cookieToken(ctx));
    const { token, session: s } = await sessions.create(account);
    setCookie(ctx, token, Math.ceil(idleMs / 1000), overHttps(ctx, trustedProxies));
    await audit.record({ actor: account.name, action: 'sign-in', status: 200 });
    ctx.body = sessionJson(s);
  });
  // Who is signed in, asked by the page as it loads: nobody is an answer (200 {"signedIn": false}), not a 401,
  // so a first visit leaves no failed request in the browser's log. Every other protected route still answers 401.
  api.get('/session', errors, noStore, async (ctx) => {
    const s = await liveSession(ctx);
    ctx.body = s ? sessionJson(s) : { signedIn: false };
  });
  api.delete('/session', errors, noStore, session(true), csrf, async (ctx) => {
    await sessions.destroy(ctx.state.sessionToken as string);
    setCookie(ctx, '', 0, overHttps(ctx, trustedProxies));
    await audit.record({ actor: (ctx.state.session as Session).name, action: 'sign-out', status: 200 });
    ctx.body = { signedOut: true };
  });
  api.post('/password', errors, noStore, session(true), audited, csrf, async (ctx) => {
    const body = (await readJson(ctx)) as { current?: unknown; next?: unknown };
    const s = ctx.state.session as Session;
    const a = await accounts.changePassword(s.name, String(body.current ?? ''), String(body.next ?? ''));
    const next = { ...s, mustChange: a.mustChange };
    await sessions.update(ctx.state.sessionToken as string, next);
    ctx.body = sessionJson(next);
  });

  // ---- the admin API, declared once (src/admin/routes.ts) ----
  declareAdminRoutes(consoleRoutes, { service: core.notices, policies: core.policies, log });

  // ---- the console's own routes ----
  consoleRoutes.get('/platforms', (ctx) => {
    // The company time zone: the send dialog's schedule is picked in it (src/evidence/time.ts). `known`: every
    // platform id the bot knows (configured here or not: a policy or a status may name it). `sandbox`: a
    // platform of made-up employees (the sandbox) is on — the console's header says nothing reaches real people.
    // `labels`: each platform's name for people per console language, as its adapter describes it (id -> {zh, en});
    // a platform without a description (the sandbox) is shown by its id.
    const madeUp = core.notices.platforms().filter((p) => core.notices.channelFor(p)?.testAnyRecipient);
    const labels = Object.fromEntries((options.loginPlatforms ?? []).map(({ id, label }) => [id, label]));
    ctx.body = { platforms: core.notices.platforms(), labels, known: options.statusPlatforms, testAnyRecipient: madeUp, sandbox: madeUp.length > 0, timeZone: core.notices.timeZone };
  });
  // Test send to myself: the signed-in account's own linked platform account (or, on a platform of
  // made-up people such as the sandbox, the employee chosen). Recorded in the console audit trail
  // (the `audited` guard: "POST /notices/:id/versions/:version/test-send"), never in a broadcast.
  consoleRoutes.post('/notices/:id/versions/:version/test-send', async (ctx) => {
    const body = (await readJson(ctx)) as { platform?: unknown; userId?: unknown };
    if (body === null || typeof body !== 'object' || typeof body.platform !== 'string' || body.platform === '') throw requestError('NOTICE_BAD_REQUEST', 'platform: is required');
    if (body.userId !== undefined && (typeof body.userId !== 'string' || !PLATFORM_USER_ID.test(body.userId.trim()))) throw requestError('NOTICE_BAD_REQUEST', 'userId: must be a platform user id');
    const platform = body.platform;
    const channel = core.notices.channelFor(platform);
    if (!channel) throw requestError('NOTICE_PLATFORM_UNAVAILABLE', `platform ${platform} cannot send notices here`);
    const chosen = typeof body.userId === 'string' ? body.userId.trim() : '';
    if (chosen && !channel.testAnyRecipient) throw requestError('NOTICE_BAD_REQUEST', `userId: a test send on ${platform} goes only to your own linked account`);
    const account = await accounts.get((ctx.state.session as Session).name);
    const linked = account?.links?.find((l) => l.platform === platform)?.userId;
    const userId = chosen || linked;
    if (!userId) throw requestError('NOTICE_TEST_NO_ACCOUNT', `your console account has no linked ${platform} account: link one on the accounts page${channel.testAnyRecipient ? ', or choose an employee' : ''}`);
    const version = Number(ctx.params.version);
    ctx.body = await core.notices.testSend(ctx.params.id!, Number.isSafeInteger(version) && version >= 1 ? version : -1, platform, userId);
  });
  postRead('/audience/preview', async (ctx) => {
    const body = (await readJson(ctx)) as { platform?: unknown; audience?: unknown };
    ctx.body = { count: await core.notices.audienceSize(String(body.platform ?? ''), body.audience) };
  });
  postRead('/audience/csv', async (ctx) => {
    const body = (await readJson(ctx)) as { csv?: unknown };
    if (typeof body.csv !== 'string') throw requestError('CONSOLE_BAD_REQUEST', 'csv: the file text is required');
    ctx.body = parseUserIdCsv(body.csv);
  });
  postRead('/statuses/preview', async (ctx) => {
    const body = (await readJson(ctx)) as { csv?: unknown };
    if (typeof body.csv !== 'string') throw requestError('CONSOLE_BAD_REQUEST', 'csv: the file text is required');
    const { statuses, errors: lineErrors } = parseStatusCsv(body.csv, new Date(now()), options.statusPlatforms);
    ctx.body = { valid: statuses.length, errors: lineErrors, sample: statuses.slice(0, 20) };
  });
  consoleRoutes.post('/statuses/import', async (ctx) => {
    const body = (await readJson(ctx)) as { csv?: unknown };
    if (typeof body.csv !== 'string') throw requestError('CONSOLE_BAD_REQUEST', 'csv: the file text is required');
    const { statuses, errors: lineErrors } = parseStatusCsv(body.csv, new Date(now()), options.statusPlatforms);
    if (lineErrors.length > 0) {
      ctx.status = 422;
      ctx.body = { imported: 0, errors: lineErrors };
      return;
    }
    ctx.body = { imported: await core.store.putStatuses(statuses), errors: [] };
  });
  consoleRoutes.get('/statuses', async (ctx) => {
    const one = (v: unknown) => (typeof v === 'string' ? v : '');
    const platform = one(ctx.query.platform);
    const userId = one(ctx.query.userId);
    if (!platform || !userId) throw requestError('CONSOLE_BAD_REQUEST', 'platform and userId are required');
    const status = await core.statuses.lookup(platform, userId);
    // How a platform's archive source names its statuses (ArchiveSource.label, per language), so the page words the
    // source without knowing any platform; null for the core's own sources (import, company policy).
    ctx.body = { status, sourceLabel: (status && core.statuses.describe(status.source)?.label) ?? null };
  });
  // What an employee covered by a policy is told (the answer line and their status line, zh-CN/en/zh-TW):
  // a policy about to be declared (the declare body) or an existing one. Nothing is stored or audited.
  postRead('/policies/preview', async (ctx) => {
    const policy = core.policies.draft(await readJson(ctx), ctx.state.actor as string);
    ctx.body = core.policies.preview(policy);
  });
  consoleRoutes.get('/policies/:id/preview', async (ctx) => {
    ctx.body = core.policies.preview(await core.policies.get(ctx.params.id!));
  });
  // The platforms' archive syncs (read only, every role): source, its label, the last attempt and success,
  // the last error code, the members at the last success. `syncs` is empty when none is configured.
  consoleRoutes.get('/archive-sync', async (ctx) => {
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    ctx.body = {
      syncs: (await core.statuses.archiveSyncs()).map((s) => ({
        platform: s.platform, sourceName: s.sourceName, label: s.label, intervalMinutes: s.intervalMs / 60_000,
        lastAttemptAt: iso(s.state.lastAttemptAt), lastSuccessAt: iso(s.state.lastSuccessAt), lastError: s.state.lastError, members: s.state.members,
      })),
    };
  });
  consoleRoutes.get('/knowledge', (ctx) => {
    ctx.body = {
      topics: core.kb.entries.map((e) => ({
        id: e.id,
        title: e.title,
        answer: { zh: e.answer.zh, 'zh-TW': toTaiwanTraditional(e.answer.zh), en: e.answer.en },
        sources: e.sources,
        reviewed: e.reviewed,
        platforms: e.platforms,
      })),
    };
  });
  postRead('/knowledge/try', async (ctx) => {
    const body = (await readJson(ctx)) as { question?: unknown };
    const question = typeof body.question === 'string' ? body.question.trim() : '';
    if (!question || question.length > 500) throw requestError('CONSOLE_BAD_REQUEST', 'question: 1–500 characters');
    const message: InboundMessage = {
      platform: 'try', tenant: 'local', userId: `console-${randomUUID()}`, chat: { kind: 'single' }, kind: 'text', text: question,
      mentionedBot: false, messageId: randomUUID(), receivedAt: now(), anonymous: true, uncounted: true,
    };
    const r = await core.handle(message);
    // Each suggestion with its score, for the console alone (the employee's answer lists the topics without scores):
    // the same match the router made (Matcher.match is pure and cached), its suggestionScores by topic id.
    const ranked = core.matcher.match(question, { platform: message.platform });
    const scoreOf = new Map(ranked.suggestions.map((id, i) => [id, ranked.suggestionScores?.[i] ?? null] as const));
    ctx.body = {
      topic: r.topic, intent: r.intent, score: Math.round(r.score * 1000) / 1000, replies: r.replies.map((x) => x.text),
      // A platform-choice reply lists the family's members as its choices; the box shows the matcher's own related topics.
      suggestions: (r.intent === 'platform-choice' ? ranked.suggestions : r.suggestions).map((id) => ({ id, score: scoreOf.get(id) ?? null })),
    };
  });
  // Answers per topic and the "not sure" rate over 7 and 30 days — counts only (src/bot/answer-stats.ts).
  consoleRoutes.get('/knowledge/stats', async (ctx) => {
    ctx.body = await core.answerStats.summary();
  });
  consoleRoutes.get('/health', async (ctx) => {
    const platforms = options.health.current();
    const faults = Object.entries(platforms).map(([p, f]) => `${p}: ${f.code} (${f.message})`);
    let store: string | null = null;
    try {
      await Promise.race([
        core.store.ping(),
        new Promise((_r, reject) => setTimeout(() => reject(new Error(`${core.store.kind} store did not answer in time`)), options.readinessTimeoutMs ?? 1000).unref()),
      ]);
    } catch (err) {
      store = (err as Error).message;
    }
    const ready = store === null && faults.length === 0;
    ctx.body = { status: ready ? 'ready' : 'not ready', store: core.store.kind, ...(ready ? {} : { reason: [store, ...faults].filter(Boolean).join('; ') }), platforms };
  });
  // The operation log, newest first: each entry with its action in words (`summary`, zh and en;
  // src/console/audit-actions.ts) beside the raw route (`action`).
  consoleRoutes.get('/audit', async (ctx) => {
    ctx.body = { entries: await describedAudit(200) };
  });
  // The operation log as CSV (the exports' format: BOM, CRLF, cells defused, times in the company's time
  // zone with its offset): time, actor, action in words in `lang` (zh default, en), route, target, status.
  consoleRoutes.get('/audit.csv', async (ctx) => {
    const lang = ctx.query.lang === 'en' ? 'en' : 'zh';
    const time = zonedTime(core.notices.timeZone);
    const rows = (await describedAudit(AUDIT_EXPORT_MAX)).map((e) => [time(Date.parse(e.at)), e.actor, e.summary[lang], e.action, e.target ?? '', e.status]);
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Content-Disposition', 'attachment; filename="console-audit.csv"');
    ctx.body = toCsv([CONSOLE_AUDIT_HEADER, ...rows]);
  });
  // With the platforms accounts may be linked to, as the adapters describe them (id, label per language).
  consoleRoutes.get('/accounts', async (ctx) => {
    ctx.body = { accounts: await accounts.list(), platforms: (options.loginPlatforms ?? []).map(({ id, label, userIdHint }) => ({ id, label, userIdHint })) };
  });
  mountAccountRoutes(api, { accounts, ownerGuards: writeGuards(['owner']) });
  // The texts of codes the core does not know (the adapters'), worded beside the adapters; no session needed
  // (the sign-in page words errors too), nothing secret: `{"codes": {"zh": {CODE: text}, "en": {…}}}`.
  api.get('/error-texts', errors, (ctx) => {
    const codes: { zh: Record<string, string>; en: Record<string, string> } = { zh: {}, en: {} };
    for (const [code, text] of Object.entries(options.errorTexts ?? {})) {
      codes.zh[code] = text.zh;
      codes.en[code] = text.en;
    }
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = { codes };
  });
  mountPlatformLogin(router, api, { logins: options.logins ?? [], platforms: options.loginPlatforms ?? [], publicUrl: config.consolePublicUrl, accounts, sessions, audit, kv: core.store, log,
    secure: (ctx) => overHttps(ctx, trustedProxies), sessionCookie: (ctx, token) => setCookie(ctx, token, Math.ceil(idleMs / 1000), overHttps(ctx, trustedProxies)) });

  router.use(api.routes());
}

/**
 * User ids from an uploaded CSV: one per line, first column; a header line `userId` (the first line that
 * is not blank) is skipped. Blank lines — empty, whitespace only, or only empty cells (",,", as Excel
 * exports often end) — are skipped, not errors. A row is bad when its id is empty while another cell is
 * not, longer than 256 characters or holds control characters.
 * @returns ids (deduplicated, in order) and every bad line (1-based) with its problem in English and by
 *   kind (src/archiving/status.ts RowProblem: csv_syntax, user_id_empty, user_id_long, user_id_control)
 */
export function parseUserIdCsv(text: string): { userIds: string[]; errors: CsvLineError[] } {
  let rows: string[][];
  try {
    rows = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: false }) as string[][];
  } catch (err) {
    const detail = (err as Error).message;
    return { userIds: [], errors: [{ line: Number((err as { lines?: number }).lines ?? 1), message: `not CSV: ${detail}`, problems: [{ kind: 'csv_syntax', detail }] }] };
  }
  const ids: string[] = [];
  const errors: CsvLineError[] = [];
  let first = true;
  rows.forEach((row, i) => {
    if (row.every((cell) => cell.trim() === '')) return; // a blank line
    const id = (row[0] ?? '').trim();
    const header = first && /^user_?id$/i.test(id);
    first = false;
    if (header) return;
    if (id === '') errors.push({ line: i + 1, message: 'empty user id', problems: [{ kind: 'user_id_empty' }] });
    else if (id.length > 256) errors.push({ line: i + 1, message: 'user id longer than 256 characters', problems: [{ kind: 'user_id_long', max: 256 }] });
    // eslint-disable-next-line no-control-regex
    else if (/[\u0000-\u001f\u007f]/.test(id)) errors.push({ line: i + 1, message: 'user id with a control character', problems: [{ kind: 'user_id_control' }] });
    else ids.push(id);
  });
  return { userIds: [...new Set(ids)], errors };
}
