/**
 * DingTalk sign-in (new OAuth2, internal app) for console admins: the authorize URL and the code
 * exchange. https://github.com/open-dingtalk/developerpedia docs/develop/permission/token/browser/get_user_app_token_browser.md;
 * userAccessToken https://open.dingtalk.com/document/orgapp/obtain-user-token; users/me
 * https://open.dingtalk.com/document/orgapp/dingtalk-retrieve-user-information; getbyunionid
 * https://open.dingtalk.com/document/orgapp/query-a-user-by-the-union-id.
 *
 * Flow: browser → `<login base>/oauth2/auth?client_id=<AppKey>&redirect_uri=…&response_type=code
 * &scope=openid corpid&prompt=consent&state=…`; back with `?authCode&state` (or `?error&state`);
 * `POST /v1.0/oauth2/userAccessToken {clientId, clientSecret, code, grantType}` → accessToken, corpId
 * (must be DINGTALK_CORP_ID); `GET /v1.0/contact/users/me` (x-acs-dingtalk-access-token) → unionId;
 * app token `POST /v1.0/oauth2/accessToken {appKey, appSecret}`; `POST <oapi>/topapi/user/getbyunionid
 * ?access_token {unionid}` → result.userid (60121 = not in this organisation).
 */
import type { AdminLogin, AuthorizeRequest, IdentifyRequest, LoginPlatformInfo } from '../../src/platform/login.ts';
import { LoginRefused } from '../../src/platform/login.ts';
import { loginJson, param } from '../kit/login-http.ts';
import { legacyApiBase } from './openapi.ts';

/** DingTalk's sign-in as the console knows it (userids compared as given). */
export const DINGTALK_LOGIN_PLATFORM: LoginPlatformInfo = { id: 'dingtalk', label: { zh: '钉钉', en: 'DingTalk' },
  signInHint: { zh: '在钉钉登录页扫码，或输入钉钉账号登录。', en: 'Scan the QR code on the DingTalk login page, or sign in with your DingTalk account there.' },
  userIdHint: { zh: '钉钉填成员的 userid。', en: 'DingTalk: the member\'s userid.' },
  caseInsensitiveIds: false,
};

/** Default origin of the DingTalk login page. */
export const DINGTALK_LOGIN_BASE = 'https://login.dingtalk.com';

/** What the DingTalk sign-in needs: the app of adapters/dingtalk/config.ts, our corpId and the login page origin. */
export interface DingtalkLoginConfig {
  appKey: string;
  appSecret: string;
  /** OpenAPI origin (DINGTALK_API_BASE); the legacy oapi origin is derived from it. */
  apiBase: string;
  /** Login page origin (DINGTALK_LOGIN_BASE), default {@link DINGTALK_LOGIN_BASE}. */
  loginBase: string;
  /** Our organisation's corpId (DINGTALK_CORP_ID): an identity of another organisation is refused. */
  corpId: string;
}

/** A new-API error answer (HTTP 4xx `{code, message}`) as a refusal. */
function newApiRefusal(where: string, status: number, body: Record<string, unknown>): LoginRefused {
  const code = String(body.code ?? '');
  const detail = `${where}: HTTP ${status} ${code} ${String(body.message ?? '').slice(0, 80)}`.trim();
  if (/authcode|code\b|invalid\.?code/i.test(code) || /authCode/i.test(String(body.message ?? ''))) return new LoginRefused('bad_code', detail);
  if (/InvalidAuthentication|Forbidden|AccessDenied|unauthorized|clientId|clientSecret|appkey|appsecret/i.test(code)) return new LoginRefused('misconfigured', detail);
  return new LoginRefused('unreachable', detail);
}

/** The DingTalk {@link AdminLogin}. */
export function createDingtalkLogin(config: DingtalkLoginConfig): AdminLogin {
  const oapi = legacyApiBase(config.apiBase);
  return {
    platform: DINGTALK_LOGIN_PLATFORM.id,
    pkce: false,
    authorizeUrl({ state, redirectUri }: AuthorizeRequest): string {
      const q = new URLSearchParams({ client_id: config.appKey, redirect_uri: redirectUri, response_type: 'code', scope: 'openid corpid', prompt: 'consent', state });
      return `${config.loginBase}/oauth2/auth?${q.toString().replace(/\+/g, '%20')}`;
    },
    async identify({ query }: IdentifyRequest): Promise<string> {
      if (param(query, 'error')) throw new LoginRefused('denied', `error=${param(query, 'error').slice(0, 40)}`);
      const code = param(query, 'authCode') || param(query, 'code');
      if (!code) throw new LoginRefused('denied', 'no authCode in the callback');
      const t = await loginJson('oauth2/userAccessToken', `${config.apiBase}/v1.0/oauth2/userAccessToken`, {
        method: 'POST',
        body: { clientId: config.appKey, clientSecret: config.appSecret, code, grantType: 'authorization_code' },
      });
      if (t.status !== 200 || typeof t.body.accessToken !== 'string') throw newApiRefusal('oauth2/userAccessToken', t.status, t.body);
      if (t.body.corpId !== config.corpId) throw new LoginRefused('other_org', 'oauth2/userAccessToken: corpId is not DINGTALK_CORP_ID');
      const me = await loginJson('contact/users/me', `${config.apiBase}/v1.0/contact/users/me`, { headers: { 'x-acs-dingtalk-access-token': t.body.accessToken } });
      if (me.status !== 200 || typeof me.body.unionId !== 'string' || !me.body.unionId) throw newApiRefusal('contact/users/me', me.status, me.body);
      const app = await loginJson('oauth2/accessToken', `${config.apiBase}/v1.0/oauth2/accessToken`, { method: 'POST', body: { appKey: config.appKey, appSecret: config.appSecret } });
      if (app.status !== 200 || typeof app.body.accessToken !== 'string') throw new LoginRefused('misconfigured', `oauth2/accessToken: HTTP ${app.status} ${String(app.body.code ?? '')}`);
      const u = await loginJson('topapi/user/getbyunionid', `${oapi}/topapi/user/getbyunionid?${new URLSearchParams({ access_token: app.body.accessToken })}`, {
        method: 'POST',
        body: { unionid: me.body.unionId },
      });
      const errcode = Number(u.body.errcode ?? -1);
      const detail = `topapi/user/getbyunionid errcode ${errcode} ${String(u.body.errmsg ?? '').slice(0, 80)}`;
      if (errcode === 60121) throw new LoginRefused('other_org', detail);
      if (errcode === 60011 || errcode === 88 || errcode === 40014 || errcode === 33012) throw new LoginRefused('misconfigured', detail);
      const userId = (u.body.result as { userid?: unknown } | undefined)?.userid;
      if (errcode !== 0 || typeof userId !== 'string' || !userId) throw new LoginRefused('unreachable', detail);
      return userId;
    },
  };
}
