/**
 * Console sign-in with the work platform (WeCom web login, DingTalk OAuth2, Feishu/Lark OAuth with
 * PKCE), over the AdminLogin port (src/platform/login.ts) the composition root hands in.
 *
 * Routes (under the same admin-surface guard as the rest of /console):
 * - GET /console/api/login/platforms → `{"platforms":[{"id","label":{"zh","en"},"signInHint":{"zh","en"}},…]}`:
 *   the sign-ins offered (platform configured and CONSOLE_PUBLIC_URL set), each as its adapter describes it
 *   (LoginPlatformInfo; an id without a description is named by its id) — the sign-in page's every
 *   platform-specific word comes from here; no session needed.
 * - GET /console/login/<platform>[?lang=en] → 302 to the platform's authorize page, with a random
 *   single-use `state` (32 bytes) kept in the store for {@link LOGIN_STATE_MS} and bound to this browser by the
 *   cookie {@link LOGIN_COOKIE} (HttpOnly, SameSite=Lax — the platform sends the browser back cross-site —,
 *   Path=/console/login, Secure over https); Feishu gets a PKCE S256 challenge whose verifier stays in the store.
 * - GET /console/login/<platform>/callback?code|authCode&state → the state must match the cookie and be
 *   unused (claimed once in the store), then the adapter exchanges the code for the platform user id,
 *   the id must be linked to an account (the allow-list, src/console/accounts.ts links), and the
 *   same session as a password sign-in starts (a platform sign-in does not ask for the one-time password
 *   to be changed: no password was used). Success → 303 /console; any refusal → 303
 *   /console?login_error=<reason> (reasons: state, not_linked, and src/platform/login.ts LoginRefusalReason),
 *   never a stack. Every outcome is recorded in the console audit trail; an unlinked identity is
 *   recorded with its platform user id so the owner can link it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import { strictRouter } from '../http/routing.ts';
import { hashUserId } from '../log.ts';
import { LoginRefused, type AdminLogin, type LoginPlatform, type LoginPlatformInfo } from '../platform/login.ts';
import type { KeyValueStore } from '../store/ports/store.ts';
import type { AccountStore } from './accounts.ts';
import type { ConsoleAudit, SessionStore } from './sessions.ts';

/** Cookie binding a sign-in's state to the browser (HttpOnly, SameSite=Lax, Path=/console/login). */
export const LOGIN_COOKIE = 'pb_login';
/** How long a started platform sign-in may take before its state expires, in ms (10 min). */
export const LOGIN_STATE_MS = 10 * 60_000;

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** Options of {@link mountPlatformLogin}. */
export interface PlatformLoginOptions {
  /** The configured platforms' sign-ins (adapters/login.ts via src/app). */
  logins: readonly AdminLogin[];
  /** How each sign-in platform describes itself (adapters/login.ts `LOGIN_PLATFORMS` via src/app). */
  platforms: readonly LoginPlatformInfo[];
  /** CONSOLE_PUBLIC_URL (origin, no trailing slash); null = no platform sign-in offered. */
  publicUrl: string | null;
  accounts: AccountStore;
  sessions: SessionStore;
  audit: ConsoleAudit;
  kv: KeyValueStore;
  log: Logger;
  /** Whether the request came over https (for the cookie's Secure attribute). */
  secure(ctx: Context): boolean;
  /** Sets the console session cookie to `token`. */
  sessionCookie(ctx: Context, token: string): void;
}

interface PendingLogin {
  platform: LoginPlatform;
  verifier?: string;
}

function loginCookie(ctx: Context): string | undefined {
  for (const part of (ctx.get('cookie') || '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === LOGIN_COOKIE) return v.join('=');
  }
  return undefined;
}

/** Mounts the routes of the module comment: the API route on `api` (prefix /console/api), the pages on `router`. */
export function mountPlatformLogin(router: Router, api: Router, o: PlatformLoginOptions): void {
  const offered = o.publicUrl ? o.logins : [];
  if (!o.publicUrl && o.logins.length > 0) {
    o.log.info({ platforms: o.logins.map((l) => l.platform) }, 'console sign-in with the work platform is off: set CONSOLE_PUBLIC_URL to the address browsers reach the console at');
  }
  const find = (platform: string) => offered.find((l) => l.platform === platform);
  const redirectUri = (platform: string) => `${o.publicUrl}/console/login/${platform}/callback`;

  api.get('/login/platforms', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      platforms: offered.map((l) => {
        const info = o.platforms.find((p) => p.id === l.platform);
        const named = { zh: l.platform, en: l.platform };
        return { id: l.platform, label: info?.label ?? named, signInHint: info?.signInHint ?? null };
      }),
    };
  });

  const pages = strictRouter('/console/login');
  const noLogin = (ctx: Context) => {
    ctx.status = 404;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { error: { code: 'CONSOLE_LOGIN_UNAVAILABLE', message: 'sign-in with this platform is not offered' } };
  };
  const setLoginCookie = (ctx: Context, value: string, maxAgeS: number) =>
    ctx.append('Set-Cookie', `${LOGIN_COOKIE}=${value}; Path=/console/login; Max-Age=${maxAgeS}; HttpOnly; SameSite=Lax${o.secure(ctx) ? '; Secure' : ''}`);

  pages.get('/:platform', async (ctx) => {
    const login = find(ctx.params.platform!);
    if (!login) return noLogin(ctx);
    const state = randomBytes(32).toString('base64url');
    const pending: PendingLogin = { platform: login.platform };
    let codeChallenge: string | undefined;
    if (login.pkce) {
      pending.verifier = randomBytes(32).toString('base64url');
      codeChallenge = createHash('sha256').update(pending.verifier).digest('base64url');
    }
    await o.kv.set(`console:login:${sha(state)}`, JSON.stringify(pending), LOGIN_STATE_MS);
    setLoginCookie(ctx, state, LOGIN_STATE_MS / 1000);
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Referrer-Policy', 'no-referrer');
    const lang = ctx.query.lang === 'en' ? 'en' : 'zh';
    ctx.redirect(login.authorizeUrl({ state, redirectUri: redirectUri(login.platform), lang, ...(codeChallenge ? { codeChallenge } : {}) }));
  });

  pages.get('/:platform/callback', async (ctx) => {
    const login = find(ctx.params.platform!);
    if (!login) return noLogin(ctx);
    const platform = login.platform;
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Referrer-Policy', 'no-referrer');
    const query: Record<string, string> = {};
    for (const [k, v] of Object.entries(ctx.query)) {
      const first = Array.isArray(v) ? v[0] : v;
      if (typeof first === 'string') query[k] = first;
    }
    const refuse = async (reason: string, detail: string, target?: string) => {
      o.log.warn({ platform, reason, detail }, 'console platform sign-in refused');
      await o.audit
        .record({ actor: '?', action: `sign-in refused (${platform}: ${reason})`, status: 403, ...(target ? { target } : {}) })
        .catch((err: unknown) => o.log.error({ err: (err as Error).message }, 'console audit entry could not be written'));
      ctx.redirect(`/console?login_error=${encodeURIComponent(reason)}`);
      ctx.status = 303;
    };
    // The browser's state cookie is spent whatever happens next.
    setLoginCookie(ctx, '', 0);
    const sent = query.state ?? '';
    const bound = loginCookie(ctx) ?? '';
    if (!sent || sent.length > 200 || sent.length !== bound.length || !timingSafeEqual(Buffer.from(sent), Buffer.from(bound))) {
      return refuse('state', sent ? 'state does not match this browser' : 'no state in the callback');
    }
    if (!(await o.kv.claim(`console:login:used:${sha(sent)}`, LOGIN_STATE_MS, '1'))) return refuse('state', 'state used already');
    const raw = await o.kv.get(`console:login:${sha(sent)}`);
    await o.kv.delete(`console:login:${sha(sent)}`);
    const pending = raw ? (JSON.parse(raw) as PendingLogin) : null;
    if (!pending || pending.platform !== platform) return refuse('state', pending ? 'state of another platform' : 'state expired or unknown');
    let userId: string;
    try {
      userId = await login.identify({ query, redirectUri: redirectUri(platform), ...(pending.verifier ? { codeVerifier: pending.verifier } : {}) });
    } catch (err) {
      if (err instanceof LoginRefused) return refuse(err.reason, err.detail);
      o.log.error({ platform, err: (err as Error).message }, 'console platform sign-in failed');
      return refuse('unreachable', 'unexpected error');
    }
    const account = await o.accounts.byLink(platform, userId);
    if (!account) return refuse('not_linked', `user ${hashUserId(platform, userId)} is linked to no console account`, `${platform}:${userId}`);
    const { token } = await o.sessions.create({ name: account.name, role: account.role, mustChange: false });
    o.sessionCookie(ctx, token);
    await o.accounts.signedIn(account.name);
    await o.audit.record({ actor: account.name, action: `sign-in (${platform})`, status: 200 });
    ctx.redirect('/console');
    ctx.status = 303;
  });
  router.use(pages.routes());
}

