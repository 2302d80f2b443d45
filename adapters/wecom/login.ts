/**
 * WeCom web login (企业微信登录, self-built app) for console admins: the authorize URL and the code
 * exchange. https://developer.work.weixin.qq.com/document/path/98171 (authorize URL),
 * /path/98152 (login panel), /path/98177 (code: single use, 5 min, ≤ 512 bytes), /path/98176
 * (auth/getuserinfo), /path/91039 (gettoken), /path/98173 (授权回调域).
 *
 * Flow: browser → `<login base>/wwlogin/sso/login?login_type=CorpApp&appid=<CorpID>&agentid=<AgentId>
 * &redirect_uri=…&state=…&lang=zh|en`; back with `?code&state` (only `state` when refused); then
 * `GET /cgi-bin/gettoken?corpid&corpsecret` (the same app) and `GET /cgi-bin/auth/getuserinfo?access_token&code`
 * → lower-case `userid` for members; `openid`/`external_userid` for non-members (refused as other_org).
 */
import type { AdminLogin, AuthorizeRequest, IdentifyRequest, LoginPlatformInfo } from '../../src/platform/login.ts';
import { LoginRefused } from '../../src/platform/login.ts';
import { loginJson, param } from '../kit/login-http.ts';

/** WeCom's sign-in as the console knows it: UserIDs are case-insensitive (auth/getuserinfo returns them lower case, path/98176). */
export const WECOM_LOGIN_PLATFORM: LoginPlatformInfo = { id: 'wecom', label: { zh: '企业微信', en: 'WeCom' },
  signInHint: { zh: '在企业微信登录页用企业微信 App 扫码确认。', en: 'Scan the QR code on the WeCom login page with the WeCom app.' },
  userIdHint: { zh: '企业微信填成员的 userid（账号，不区分大小写）。', en: 'WeCom: the member\'s userid (account; case does not matter).' },
  caseInsensitiveIds: true,
};

/** Default origin of the WeCom login page. */
export const WECOM_LOGIN_BASE = 'https://login.work.weixin.qq.com';
/** Longest code WeCom issues, in bytes (path/98177). */
export const WECOM_MAX_CODE_BYTES = 512;

/** What the WeCom sign-in needs: the app of adapters/wecom/config.ts plus the login page origin. */
export interface WecomLoginConfig {
  corpId: string;
  agentId: number;
  secret: string;
  /** Server API origin (WECOM_API_BASE), e.g. https://qyapi.weixin.qq.com or a fake. */
  apiBase: string;
  /** Login page origin (WECOM_LOGIN_BASE), default {@link WECOM_LOGIN_BASE}. */
  loginBase: string;
}

/**
 * The WeCom errcodes of this flow and what they mean to the person signing in:
 * 40029 invalid code (used, expired, another app's) → bad_code; 50001 redirect_uri not on the app's
 * trusted domain, 40001/40013 wrong secret/corpid, 60020 server IP not trusted → misconfigured.
 */
export function wecomLoginRefusal(where: string, errcode: number, errmsg: string): LoginRefused {
  const detail = `${where} errcode ${errcode} ${errmsg.slice(0, 80)}`;
  if (errcode === 40029) return new LoginRefused('bad_code', detail);
  if ([50001, 40001, 40013, 40056, 60020, 48002].includes(errcode)) return new LoginRefused('misconfigured', detail);
  return new LoginRefused('unreachable', detail);
}

/** The WeCom {@link AdminLogin}. */
export function createWecomLogin(config: WecomLoginConfig): AdminLogin {
  return {
    platform: WECOM_LOGIN_PLATFORM.id,
    pkce: false,
    authorizeUrl({ state, redirectUri, lang }: AuthorizeRequest): string {
      const q = new URLSearchParams({ login_type: 'CorpApp', appid: config.corpId, agentid: String(config.agentId), redirect_uri: redirectUri, state, lang });
      return `${config.loginBase}/wwlogin/sso/login?${q}`;
    },
    async identify({ query }: IdentifyRequest): Promise<string> {
      const code = param(query, 'code');
      if (!code) throw new LoginRefused('denied', 'no code in the callback');
      if (Buffer.byteLength(code) > WECOM_MAX_CODE_BYTES) throw new LoginRefused('bad_code', 'code longer than 512 bytes');
      const t = await loginJson('gettoken', `${config.apiBase}/cgi-bin/gettoken?${new URLSearchParams({ corpid: config.corpId, corpsecret: config.secret })}`);
      if (t.body.errcode !== 0 || typeof t.body.access_token !== 'string') throw wecomLoginRefusal('gettoken', Number(t.body.errcode ?? -1), String(t.body.errmsg ?? ''));
      const u = await loginJson('auth/getuserinfo', `${config.apiBase}/cgi-bin/auth/getuserinfo?${new URLSearchParams({ access_token: t.body.access_token, code })}`);
      if (u.body.errcode !== 0) throw wecomLoginRefusal('auth/getuserinfo', Number(u.body.errcode ?? -1), String(u.body.errmsg ?? ''));
      // The older /cgi-bin/user/getuserinfo says `UserId`; this one says `userid`.
      const userId = typeof u.body.userid === 'string' ? u.body.userid : '';
      if (!userId) throw new LoginRefused('other_org', 'auth/getuserinfo: not a member of this organisation (openid/external_userid only)');
      return userId.toLowerCase();
    },
  };
}
