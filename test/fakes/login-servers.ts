/**
 * Fakes of the three platforms' login servers (admin sign-in to the console), each a real HTTP server
 * on 127.0.0.1 (free port), following the flows of src/platform/login.ts's sources. Each records every
 * request it received (`received`: method, path, query, JSON body, selected headers) and issues single-use
 * codes that expire after 5 minutes on the fake's own clock (`now`, injectable).
 *
 * The authorize page of each answers HTML listing the fake's people as links `#approve-<id>`, each
 * carrying its own fresh code back to `redirect_uri` with the `state` it was given, and a `#decline`
 * link (WeCom: back with `state` only; DingTalk/Feishu: `error=access_denied`). Reach it with a browser,
 * or read the link's href from the HTML (`approveUrl`).
 *
 * WeCom (`FakeWecomLogin`): GET /wwlogin/sso/login (login_type=CorpApp, appid=<corpId>, agentid,
 *   redirect_uri whose host must be `trustedDomain`, else a 400 page "50001"), GET /cgi-bin/gettoken
 *   (40013 wrong corpid, 40001 wrong secret), GET /cgi-bin/auth/getuserinfo (40029 unknown, used or
 *   expired code; members → `userid` lower case; `outsiders` → `openid` only).
 * DingTalk (`FakeDingtalkLogin`): GET /oauth2/auth (client_id=<appKey>, response_type=code, scope with
 *   openid and corpid, prompt=consent — else a 400 page), POST /v1.0/oauth2/userAccessToken (400
 *   {code:"InvalidAuthCode"} unknown/used/expired, 400 {code:"InvalidClientSecret"} wrong secret) →
 *   {accessToken, refreshToken, expireIn, corpId of the person}, GET /v1.0/contact/users/me
 *   (x-acs-dingtalk-access-token) → {unionId}, POST /v1.0/oauth2/accessToken (app token),
 *   POST /topapi/user/getbyunionid?access_token → {errcode:0, result:{userid}} or 60121 for people of
 *   another organisation.
 * Feishu (`FakeFeishuLogin`): GET /open-apis/authen/v1/authorize (client_id, response_type=code,
 *   redirect_uri, state, code_challenge + code_challenge_method=S256 required), POST
 *   /open-apis/authen/v2/oauth/token → {code:0, access_token, expires_in}; 20003 unknown code, 20065
 *   used, 20004 expired, 20071 redirect_uri differs, 20049 PKCE verifier does not match, 20014 wrong
 *   client secret; GET /open-apis/authen/v1/user_info (Bearer) → {code:0, data:{open_id, union_id, tenant_key}}.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import type { FakeWecom } from './wecom-api.ts';

/** One request a fake received. */
export interface Received {
  method: string;
  path: string;
  query: Record<string, string>;
  body: Record<string, unknown> | null;
  headers: Record<string, string>;
}

/** Code lifetime of every fake, in ms (5 min). */
export const FAKE_CODE_MS = 5 * 60_000;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

abstract class FakeLoginServer {
  readonly received: Received[] = [];
  /** The fake's clock (ms); tests move it to expire codes. */
  now: () => number = Date.now;
  url = '';
  private server: Server | null = null;

  protected abstract route(req: Received, res: ServerResponse): void;

  /** Starts listening on 127.0.0.1; `host` is the name put in `url` (e.g. 'localhost' to be cross-site to 127.0.0.1). */
  async start(host = '127.0.0.1'): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://${host}:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** Requests received on `path`. */
  calls(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const u = new URL(req.url ?? '/', 'http://fake');
    const text = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> | null = null;
    if (text) {
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = { _raw: text };
      }
    }
    const headers: Record<string, string> = {};
    for (const h of ['authorization', 'x-acs-dingtalk-access-token', 'content-type']) if (req.headers[h]) headers[h] = String(req.headers[h]);
    const r: Received = { method: req.method ?? 'GET', path: u.pathname, query: Object.fromEntries(u.searchParams), body, headers };
    this.received.push(r);
    this.route(r, res);
  }

  protected json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }

  protected page(res: ServerResponse, status: number, title: string, links: { id: string; href: string; text: string }[]): void {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><main><h1>${esc(title)}</h1><ul>${links
      .map((l) => `<li><a id="${esc(l.id)}" href="${esc(l.href)}">${esc(l.text)}</a></li>`)
      .join('')}</ul></main></body></html>`);
  }

  protected token(): string {
    return randomBytes(16).toString('hex');
  }
}

/** A code the fake issued: who, when, whether used, plus what the flow must check at exchange. */
interface Issued {
  who: string;
  at: number;
  used: boolean;
  redirectUri?: string;
  challenge?: string;
}

/** The href of `#approve-<id>` (or `#decline` when `id` is null) in an authorize page's HTML. */
export function approveUrl(html: string, id: string | null): string {
  const m = new RegExp(`id="${id === null ? 'decline' : `approve-${id}`}" href="([^"]+)"`).exec(html);
  if (!m) throw new Error(`no ${id === null ? 'decline' : `approve-${id}`} link in the page: ${html.slice(0, 300)}`);
  return m[1]!.replace(/&#38;/g, '&').replace(/&#61;/g, '=');
}

/** Fake WeCom login (企业微信登录) and the two server API calls of the exchange. */
export class FakeWecomLogin extends FakeLoginServer {
  private readonly codes = new Map<string, Issued>();
  private readonly tokens = new Set<string>();
  constructor(
    readonly app: { corpId: string; agentId: number; secret: string },
    /** Members by userid (as the admin typed it; the fake answers it lower case). */
    readonly members: string[],
    /** People who are not members (answered with openid only). */
    readonly outsiders: string[] = [],
    /** The app's 授权回调域 (host[:port]); null = any. */
    public trustedDomain: string | null = null,
  ) {
    super();
  }

  protected route(r: Received, res: ServerResponse): void {
    const q = r.query;
    if (r.path === '/wwlogin/sso/login') {
      if (q.login_type !== 'CorpApp' || q.appid !== this.app.corpId || q.agentid !== String(this.app.agentId) || !q.redirect_uri || !q.state) {
        return this.page(res, 400, 'bad login request (appid/agentid/login_type/redirect_uri/state)', []);
      }
      if (this.trustedDomain !== null && new URL(q.redirect_uri).host !== this.trustedDomain) return this.page(res, 400, '50001 redirect_uri not on the trusted domain', []);
      const back = (extra: Record<string, string>) => `${q.redirect_uri}${q.redirect_uri!.includes('?') ? '&' : '?'}${new URLSearchParams({ ...extra, state: q.state! })}`;
      const links = [...this.members, ...this.outsiders].map((who) => {
        const code = this.token() + this.token();
        this.codes.set(code, { who, at: this.now(), used: false });
        return { id: `approve-${who}`, href: back({ code }), text: `Sign in as ${who}` };
      });
      return this.page(res, 200, '企业微信登录 (fake)', [...links, { id: 'decline', href: back({}), text: 'Decline' }]);
    }
    if (r.path === '/cgi-bin/gettoken') {
      if (q.corpid !== this.app.corpId) return this.json(res, 200, { errcode: 40013, errmsg: 'invalid corpid' });
      if (q.corpsecret !== this.app.secret) return this.json(res, 200, { errcode: 40001, errmsg: 'invalid credential' });
      const t = this.token();
      this.tokens.add(t);
      return this.json(res, 200, { errcode: 0, errmsg: 'ok', access_token: t, expires_in: 7200 });
    }
    if (r.path === '/cgi-bin/auth/getuserinfo') {
      if (!this.tokens.has(q.access_token ?? '')) return this.json(res, 200, { errcode: 40014, errmsg: 'invalid access_token' });
      return this.json(res, 200, this.userInfo(q.code ?? ''));
    }
    return this.json(res, 404, { errcode: 404, errmsg: 'not faked' });
  }

  /**
   * The answer of auth/getuserinfo for `code` once the access_token has been accepted (path/98176):
   * `{errcode:0, userid}` (lower case) for a member, `{errcode:0, openid}` for an outsider, 40029 for a
   * code this fake did not issue, or used, or older than {@link FAKE_CODE_MS}. Marks the code used.
   * Used by this fake's own route and by {@link serveWecomLoginExchange} (the API fake's origin).
   */
  userInfo(code: string): { errcode: number; errmsg: string; [field: string]: unknown } {
    const c = this.codes.get(code);
    if (!c || c.used || this.now() - c.at > FAKE_CODE_MS) return { errcode: 40029, errmsg: 'invalid code' };
    c.used = true;
    if (this.outsiders.includes(c.who)) return { errcode: 0, errmsg: 'ok', openid: `o-${c.who}` };
    return { errcode: 0, errmsg: 'ok', userid: c.who.toLowerCase(), user_ticket: 'ticket' };
  }
}

/**
 * Serves the code exchange of `login` on the WeCom API fake (test/fakes/wecom-api.ts), as the real
 * qyapi.weixin.qq.com does: one server API origin (WECOM_API_BASE) answers message/send, the
 * directory and GET /cgi-bin/auth/getuserinfo with the same app access_token, while the login page
 * lives on another origin (WECOM_LOGIN_BASE = `login.url`). The API fake checks the token (its own
 * gettoken issued it, 40014/42001 otherwise); `login` checks the code it issued on its page.
 */
export function serveWecomLoginExchange(api: FakeWecom, login: FakeWecomLogin): void {
  api.route('GET', '/cgi-bin/auth/getuserinfo', (req) => api.checkToken(req) ?? login.userInfo(req.query['code'] ?? ''));
}

/** Fake DingTalk login (new OAuth2) and the calls of the exchange on api.dingtalk.com and oapi.dingtalk.com (one origin). */
export class FakeDingtalkLogin extends FakeLoginServer {
  private readonly codes = new Map<string, Issued>();
  private readonly userTokens = new Map<string, string>();
  private readonly appTokens = new Set<string>();
  constructor(
    readonly app: { appKey: string; appSecret: string; corpId: string },
    /** Members of our organisation: userid → unionId is `union-<userid>`. */
    readonly members: string[],
    /** People of another organisation (their corpId differs; getbyunionid answers 60121). */
    readonly outsiders: string[] = [],
  ) {
    super();
  }

  protected route(r: Received, res: ServerResponse): void {
    const q = r.query;
    const b = r.body ?? {};
    if (r.path === '/oauth2/auth') {
      const scopes = (q.scope ?? '').split(' ');
      if (q.client_id !== this.app.appKey || q.response_type !== 'code' || q.prompt !== 'consent' || !scopes.includes('openid') || !scopes.includes('corpid') || !q.redirect_uri || !q.state) {
        return this.page(res, 400, 'bad oauth2/auth request (client_id/response_type/scope/prompt/redirect_uri/state)', []);
      }
      const back = (extra: Record<string, string>) => `${q.redirect_uri}${q.redirect_uri!.includes('?') ? '&' : '?'}${new URLSearchParams({ ...extra, state: q.state! })}`;
      const links = [...this.members, ...this.outsiders].map((who) => {
        const code = this.token();
        this.codes.set(code, { who, at: this.now(), used: false });
        return { id: `approve-${who}`, href: back({ authCode: code }), text: `Sign in as ${who}` };
      });
      return this.page(res, 200, '钉钉登录 (fake)', [...links, { id: 'decline', href: back({ error: 'access_denied' }), text: 'Decline' }]);
    }
    if (r.path === '/v1.0/oauth2/userAccessToken' && r.method === 'POST') {
      if (b.clientId !== this.app.appKey || b.clientSecret !== this.app.appSecret) return this.json(res, 400, { code: 'InvalidClientSecret', message: 'clientId or clientSecret is wrong' });
      if (b.grantType !== 'authorization_code') return this.json(res, 400, { code: 'InvalidParameter', message: 'grantType' });
      const c = this.codes.get(String(b.code ?? ''));
      if (!c || c.used || this.now() - c.at > FAKE_CODE_MS) return this.json(res, 400, { code: 'InvalidAuthCode', message: 'authCode is invalid, used or expired' });
      c.used = true;
      const t = this.token();
      this.userTokens.set(t, c.who);
      return this.json(res, 200, { accessToken: t, refreshToken: this.token(), expireIn: 7200, corpId: this.outsiders.includes(c.who) ? 'ding-other-org' : this.app.corpId });
    }
    if (r.path === '/v1.0/contact/users/me') {
      const who = this.userTokens.get(r.headers['x-acs-dingtalk-access-token'] ?? '');
      if (!who) return this.json(res, 401, { code: 'InvalidAuthentication', message: 'token' });
      return this.json(res, 200, { nick: who, unionId: `union-${who}`, openId: `open-${who}` });
    }
    if (r.path === '/v1.0/oauth2/accessToken' && r.method === 'POST') {
      if (b.appKey !== this.app.appKey || b.appSecret !== this.app.appSecret) return this.json(res, 400, { code: 'InvalidClientSecret', message: 'appKey or appSecret is wrong' });
      const t = this.token();
      this.appTokens.add(t);
      return this.json(res, 200, { accessToken: t, expireIn: 7200 });
    }
    if (r.path === '/topapi/user/getbyunionid' && r.method === 'POST') {
      if (!this.appTokens.has(q.access_token ?? '')) return this.json(res, 200, { errcode: 40014, errmsg: '不合法的access_token' });
      const who = String(b.unionid ?? '').replace(/^union-/, '');
      if (!this.members.includes(who)) return this.json(res, 200, { errcode: 60121, errmsg: '找不到该用户' });
      return this.json(res, 200, { errcode: 0, errmsg: 'ok', result: { contact_type: 0, userid: who } });
    }
    return this.json(res, 404, { code: 'NotFaked', message: r.path });
  }
}

/** Fake Feishu OAuth (authorize with PKCE, v2 token, user_info). */
export class FakeFeishuLogin extends FakeLoginServer {
  private readonly codes = new Map<string, Issued>();
  private readonly userTokens = new Map<string, string>();
  constructor(
    readonly app: { appId: string; appSecret: string; tenantKey: string },
    /** People by open_id, with the tenant they belong to (default the app's). */
    readonly people: { openId: string; tenantKey?: string }[],
  ) {
    super();
  }

  protected route(r: Received, res: ServerResponse): void {
    const q = r.query;
    const b = r.body ?? {};
    if (r.path === '/open-apis/authen/v1/authorize') {
      if (q.client_id !== this.app.appId || q.response_type !== 'code' || !q.redirect_uri || !q.state || !q.code_challenge || q.code_challenge_method !== 'S256') {
        return this.page(res, 400, 'bad authorize request (client_id/response_type/redirect_uri/state/code_challenge S256)', []);
      }
      const back = (extra: Record<string, string>) => `${q.redirect_uri}${q.redirect_uri!.includes('?') ? '&' : '?'}${new URLSearchParams({ ...extra, state: q.state! })}`;
      const links = this.people.map((p) => {
        const code = this.token();
        this.codes.set(code, { who: p.openId, at: this.now(), used: false, redirectUri: q.redirect_uri!, challenge: q.code_challenge! });
        return { id: `approve-${p.openId}`, href: back({ code }), text: `Sign in as ${p.openId}` };
      });
      return this.page(res, 200, '飞书登录 (fake)', [...links, { id: 'decline', href: back({ error: 'access_denied' }), text: 'Decline' }]);
    }
    if (r.path === '/open-apis/authen/v2/oauth/token' && r.method === 'POST') {
      const err = (code: number, error: string) => this.json(res, 400, { code, error, error_description: error });
      if (b.client_id !== this.app.appId || b.client_secret !== this.app.appSecret) return err(20014, 'invalid_client');
      if (b.grant_type !== 'authorization_code') return err(20002, 'unsupported_grant_type');
      const c = this.codes.get(String(b.code ?? ''));
      if (!c) return err(20003, 'code not found');
      if (c.used) return err(20065, 'code already used');
      if (this.now() - c.at > FAKE_CODE_MS) return err(20004, 'code expired');
      c.used = true;
      if (b.redirect_uri !== c.redirectUri) return err(20071, 'redirect_uri mismatch');
      const expected = createHash('sha256').update(String(b.code_verifier ?? '')).digest('base64url');
      if (typeof b.code_verifier !== 'string' || expected !== c.challenge) return err(20049, 'PKCE verification failed');
      const t = this.token();
      this.userTokens.set(t, c.who);
      return this.json(res, 200, { code: 0, access_token: t, expires_in: 7200, token_type: 'Bearer', scope: '' });
    }
    if (r.path === '/open-apis/authen/v1/user_info') {
      const who = this.userTokens.get((r.headers.authorization ?? '').replace(/^Bearer /, ''));
      if (!who) return this.json(res, 401, { code: 99991668, msg: 'invalid user access token' });
      const p = this.people.find((x) => x.openId === who)!;
      return this.json(res, 200, { code: 0, msg: 'success', data: { open_id: who, union_id: `on_${who}`, tenant_key: p.tenantKey ?? this.app.tenantKey, name: who } });
    }
    return this.json(res, 404, { code: 404, msg: 'not faked' });
  }
}
