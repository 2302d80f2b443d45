import type { IncomingMessage } from 'node:http';
import type { Context, Middleware } from 'koa';
import type { Logger } from 'pino';
import { ERRORS, RequestError } from '../errors.ts';
import { requireBearer } from './auth.ts';
import { clientAddress, type NetworkSet } from '../http/networks.ts';

/**
 * The admin surface: the first path segments only an administrator may reach — the admin API
 * (/admin/…) and the web console (/console/…, src/console/server.ts).
 */
export const PROTECTED_SEGMENTS = ['admin', 'console'] as const;

/** Rounds of percent-decoding tried on a path; one still changing after these is treated as protected. */
export const MAX_DECODE_ROUNDS = 8;

/** Which listener a request came in on: 'shared' (one port serves all), 'public' (PORT with ADMIN_PORT set) or 'admin' (ADMIN_PORT). */
export type Listener = 'shared' | 'public' | 'admin';

const LISTENER = Symbol('privacy-bot.listener');

/** Marks `req` as received on `listener` (the server's request handler does this before Koa sees it). */
export function tagListener(req: IncomingMessage, listener: Listener): void {
  (req as IncomingMessage & { [LISTENER]?: Listener })[LISTENER] = listener;
}

/** The listener `req` came in on ('shared' when untagged). */
export function listenerOf(req: IncomingMessage): Listener {
  return (req as IncomingMessage & { [LISTENER]?: Listener })[LISTENER] ?? 'shared';
}

/** One round of percent-decoding: every valid %XX becomes its byte; the bytes are read as UTF-8 (invalid bytes become U+FFFD). */
function decodeOnce(s: string): string {
  if (!s.includes('%')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(s[i]!, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * The path as the most lenient router or proxy in front of us might read it: the path part of an
 * absolute-form target, percent-decoded until nothing changes (double encoding and %2F included,
 * at most {@link MAX_DECODE_ROUNDS} rounds), NFKC-normalised and lower-cased, backslashes read as
 * slashes, control characters dropped, `;parameters` of a segment dropped, empty segments
 * (repeated or trailing slashes) dropped, dot segments resolved (never above the root), trailing
 * dots and spaces of a segment dropped. Always starts with '/'.
 * @returns the normalised path, and whether decoding was still changing it after the last round
 */
export function lenientPath(target: string): { path: string; undecided: boolean } {
  let p = target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
  p = p.split(/[?#]/, 1)[0]!;
  let undecided = true;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const next = decodeOnce(p);
    if (next === p) {
      undecided = false;
      break;
    }
    p = next;
  }
  // eslint-disable-next-line no-control-regex
  p = p.normalize('NFKC').toLowerCase().replaceAll('\\', '/').replace(/[\u0000-\u001f\u007f]/g, '');
  const out: string[] = [];
  for (const raw of p.split('/')) {
    const segment = raw.replace(/;.*$/s, '').trim();
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      out.pop();
      continue;
    }
    let end = segment.length;
    while (end > 0 && (segment[end - 1] === '.' || /\s/.test(segment[end - 1]!))) end--;
    if (end > 0) out.push(segment.slice(0, end));
  }
  return { path: `/${out.join('/')}`, undecided };
}

/**
 * Whether a request target falls under the admin surface once read leniently
 * ({@link lenientPath}): its first segment is one of {@link PROTECTED_SEGMENTS}, or decoding
 * never settled (then it is treated as protected: deny by default).
 */
export function isProtectedTarget(target: string): boolean {
  const { path, undecided } = lenientPath(target);
  if (undecided) return true;
  const first = path.split('/')[1] ?? '';
  return (PROTECTED_SEGMENTS as readonly string[]).includes(first);
}

/** A path segment: unreserved and sub-delimiter characters (no ';'), ':', '@' and %XX escapes. */
const SEGMENT = /^(?:[A-Za-z0-9._~!$&'()*+,=:@-]|%[0-9A-Fa-f]{2})+$/;

/** Bytes that must not be percent-encoded in a served path: controls, '%', '.', '/', '\\' (they would change its structure once decoded). */
function forbiddenEscape(byte: number): boolean {
  return byte < 0x20 || byte === 0x7f || byte === 0x25 || byte === 0x2e || byte === 0x2f || byte === 0x5c;
}

/**
 * Whether `path` (the path as sent, before any decoding) is the one spelling of an admin-surface
 * path that is served: first segment exactly 'admin' or 'console' (lower case, not encoded), then
 * non-empty segments that do not start with '.' (no dot segments, no trailing or doubled slash),
 * made of URL path characters other than ';', whose %XX escapes (if any) encode no control
 * character, '%', '.', '/' or '\\'. Escapes of other bytes stay allowed inside later segments: the
 * router matches them literally and decodes route parameters itself (ids are then looked up, not found).
 */
export function isCanonicalProtectedPath(path: string): boolean {
  const segments = path.split('/');
  if (segments[0] !== '' || !(PROTECTED_SEGMENTS as readonly string[]).includes(segments[1] ?? '')) return false;
  for (const segment of segments.slice(2)) {
    if (segment.startsWith('.') || !SEGMENT.test(segment)) return false;
    for (const m of segment.matchAll(/%([0-9A-Fa-f]{2})/g)) if (forbiddenEscape(parseInt(m[1]!, 16))) return false;
  }
  return true;
}

/** The first segment of a target read leniently ('' when decoding never settled). */
function firstSegment(target: string): string {
  const { path, undecided } = lenientPath(target);
  return undecided ? '' : (path.split('/')[1] ?? '');
}

/** Options of {@link adminSurfaceGuard}. */
export interface AdminSurfaceOptions {
  /** ADMIN_TOKEN; null = the admin API does not exist (404). */
  adminToken: string | null;
  /**
   * Whether the console (/console) is served (CONSOLE, default on). Console paths need no Bearer
   * token — their routes check a console session (src/console/server.ts) — but pass every other
   * check here. false = 404 (CONSOLE_OFF).
   */
  console?: boolean;
  /** Networks whose clients may reach the surface (ADMIN_ALLOW_FROM; default loopback). */
  allowFrom: NetworkSet;
  /** Proxies whose X-Forwarded-For is believed (TRUSTED_PROXIES; empty = none). */
  trustedProxies: NetworkSet;
  /** Where refusals for a wrong network are logged (route and code only). */
  log?: Logger;
}

function refuse(ctx: Context, status: number, code: string, message: string): void {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: { code, message } };
}

/**
 * Koa middleware in front of every router: deny by default for the admin surface. A request whose
 * target, read as leniently as any router or proxy might ({@link isProtectedTarget}), falls under
 * /admin or /console is answered here unless every check passes, in this order:
 * 1. listener: with ADMIN_PORT set, the public port answers 404 (ADMIN_NOT_HERE) for the surface,
 *    and the admin port answers 404 for everything else (but GET / there redirects to /console when the console is on);
 * 2. ADMIN_TOKEN unset: 404 (ADMIN_OFF) — the surface does not exist;
 * 3. network: the client address (the socket's peer; X-Forwarded-For only from TRUSTED_PROXIES) not
 *    inside ADMIN_ALLOW_FROM (default loopback): 403 (ADMIN_NETWORK_FORBIDDEN);
 * 4. spelling: the path as sent is not the canonical one ({@link isCanonicalProtectedPath}: exact
 *    lower-case prefix, no trailing / doubled slash, no dot segment, no encoded '/', '.', '%'): 404 (ADMIN_NOT_FOUND);
 * 5. `Authorization: Bearer <ADMIN_TOKEN>`: 401 (ADMIN_UNAUTHORIZED, WWW-Authenticate) — not for the
 *    console (/console, served unless CONSOLE=off, else 404 CONSOLE_OFF at step 2), whose routes
 *    check a console session and CSRF token themselves (src/console/server.ts).
 * Answers are JSON `{"error": {"code", "message"}}` like the admin API's. Only then does the
 * request reach the router, whose routes are strict and case-sensitive and carry the Bearer
 * check themselves (src/admin/routes.ts) — the same decision taken twice, on the router's own path.
 */
export function adminSurfaceGuard(options: AdminSurfaceOptions): Middleware {
  const bearer = options.adminToken ? requireBearer(options.adminToken) : null;
  return async (ctx, next) => {
    const listener = listenerOf(ctx.req);
    const target = ctx.req.url ?? '';
    const isProtected = isProtectedTarget(target) || isProtectedTarget(ctx.path);
    if (!isProtected) {
      if (listener === 'admin') {
        // The admin port's root leads to the console (its only page), rather than a bare 404.
        if (options.console && target === '/' && (ctx.method === 'GET' || ctx.method === 'HEAD')) return ctx.redirect('/console');
        return refuse(ctx, ERRORS.NOT_FOUND.status, 'NOT_FOUND', 'only /admin and /console are served on ADMIN_PORT');
      }
      return next();
    }
    if (listener === 'public') return refuse(ctx, ERRORS.ADMIN_NOT_HERE.status, 'ADMIN_NOT_HERE', 'not found');
    // The console only when both readings of the path (as sent, as routed) say so; anything else stays the admin API's.
    const isConsole = firstSegment(target) === 'console' && firstSegment(ctx.path) === 'console';
    if (isConsole && !options.console) return refuse(ctx, ERRORS.CONSOLE_OFF.status, 'CONSOLE_OFF', 'not found');
    if (!isConsole && !bearer) return refuse(ctx, ERRORS.ADMIN_OFF.status, 'ADMIN_OFF', 'not found');
    const client = clientAddress(ctx.req.socket.remoteAddress, ctx.get('x-forwarded-for'), options.trustedProxies);
    if (client === null || !options.allowFrom.has(client)) {
      options.log?.warn({ route: ctx.path, code: 'ADMIN_NETWORK_FORBIDDEN', status: 403 }, 'admin request from outside ADMIN_ALLOW_FROM refused');
      return refuse(ctx, ERRORS.ADMIN_NETWORK_FORBIDDEN.status, 'ADMIN_NETWORK_FORBIDDEN', 'the admin API answers only clients inside ADMIN_ALLOW_FROM (default: loopback)');
    }
    if (!isCanonicalProtectedPath(ctx.path)) return refuse(ctx, ERRORS.ADMIN_NOT_FOUND.status, 'ADMIN_NOT_FOUND', 'not found');
    // Same-origin only: no preflight is ever needed, and OPTIONS would list the methods without a session.
    if (isConsole && ctx.method === 'OPTIONS') return refuse(ctx, ERRORS.CONSOLE_NO_OPTIONS.status, 'CONSOLE_NO_OPTIONS', 'OPTIONS is not served under /console');
    if (isConsole) return next();
    try {
      await bearer!(ctx, async () => undefined);
    } catch (err) {
      if (err instanceof RequestError) return refuse(ctx, err.status, err.code, err.message);
      throw err;
    }
    return next();
  };
}
