/**
 * Feishu / Lark sign-in (OAuth 2 authorization code with PKCE) for console admins.
 * Authorize: https://open.feishu.cn/document/common-capabilities/sso/api/obtain-oauth-code;
 * token: https://open.feishu.cn/document/authentication-management/access-token/get-user-access-token;
 * identity: https://open.feishu.cn/document/server-docs/authentication-management/login-state-management/get.
 *
 * Flow: browser → `<accounts base>/open-apis/authen/v1/authorize?client_id&response_type=code&redirect_uri
 * &state&code_challenge&code_challenge_method=S256`; back with `?code&state` (or `?error=access_denied`);
 * `POST <api>/open-apis/authen/v2/oauth/token {grant_type:"authorization_code", client_id, client_secret,
 * code, redirect_uri, code_verifier}` → access_token; `GET <api>/open-apis/authen/v1/user_info` (Bearer)
 * → open_id, tenant_key (checked against FEISHU_TENANT_KEY when set).
 */
import type { AdminLogin, AuthorizeRequest, IdentifyRequest, LoginPlatformInfo } from '../../src/platform/login.ts';
import { LoginRefused } from '../../src/platform/login.ts';
import { loginJson, param } from '../kit/login-http.ts';

/** Feishu/Lark's sign-in as the console knows it (open_ids compared as given). */
export const FEISHU_LOGIN_PLATFORM: LoginPlatformInfo = { id: 'feishu', label: { zh: '飞书', en: 'Feishu / Lark' },
  signInHint: { zh: '在飞书（Lark）登录页扫码，或输入飞书账号登录。', en: 'Scan the QR code on the Feishu / Lark login page, or sign in with your account there.' },
  userIdHint: { zh: '飞书填成员的 open_id（ou_ 开头）。', en: 'Feishu / Lark: the member\'s open_id (ou_…).' },
  caseInsensitiveIds: false,
};

/** Default origin of the Feishu authorize page. */
export const FEISHU_ACCOUNTS_BASE = 'https://accounts.feishu.cn';
/** Origin of the Lark authorize page, used when FEISHU_API_BASE is open.larksuite.com (UNVERIFIED: not in Lark's docs we read). */
export const LARK_ACCOUNTS_BASE = 'https://accounts.larksuite.com';

/** What the Feishu sign-in needs: the app of adapters/feishu/config.ts, the authorize page origin and our tenant. */
export interface FeishuLoginConfig {
  appId: string;
  appSecret: string;
  /** OpenAPI origin (FEISHU_API_BASE). */
  apiBase: string;
  /** Authorize page origin (FEISHU_ACCOUNTS_BASE). */
  accountsBase: string;
  /** Our tenant_key (FEISHU_TENANT_KEY); null = not checked (a self-built app serves its own tenant only). */
  tenantKey: string | null;
}

/**
 * Feishu OAuth error codes as refusals: 20003 code not found, 20065 already used → bad_code;
 * 20004 expired → expired; 20010 user has no access to the app → no_access; 20029/20071
 * redirect_uri not listed or mismatched, 20049 PKCE failed, 20014/20024 wrong app secret → misconfigured.
 */
export function feishuLoginRefusal(where: string, code: number, message: string): LoginRefused {
  const detail = `${where} code ${code} ${message.slice(0, 80)}`;
  if (code === 20003 || code === 20065) return new LoginRefused('bad_code', detail);
  if (code === 20004) return new LoginRefused('expired', detail);
  if (code === 20010) return new LoginRefused('no_access', detail);
  if ([20029, 20071, 20049, 20014, 20024, 20002].includes(code)) return new LoginRefused('misconfigured', detail);
  return new LoginRefused('unreachable', detail);
}

/** The Feishu {@link AdminLogin} (PKCE S256). */
export function createFeishuLogin(config: FeishuLoginConfig): AdminLogin {
  return {
    platform: FEISHU_LOGIN_PLATFORM.id,
    pkce: true,
    authorizeUrl({ state, redirectUri, codeChallenge }: AuthorizeRequest): string {
      const q = new URLSearchParams({ client_id: config.appId, response_type: 'code', redirect_uri: redirectUri, state });
      if (codeChallenge) {
        q.set('code_challenge', codeChallenge);
        q.set('code_challenge_method', 'S256');
      }
      return `${config.accountsBase}/open-apis/authen/v1/authorize?${q}`;
    },
    async identify({ query, redirectUri, codeVerifier }: IdentifyRequest): Promise<string> {
      if (param(query, 'error')) throw new LoginRefused('denied', `error=${param(query, 'error').slice(0, 40)}`);
      const code = param(query, 'code');
      if (!code) throw new LoginRefused('denied', 'no code in the callback');
      const t = await loginJson('authen/v2/oauth/token', `${config.apiBase}/open-apis/authen/v2/oauth/token`, {
        method: 'POST',
        body: { grant_type: 'authorization_code', client_id: config.appId, client_secret: config.appSecret, code, redirect_uri: redirectUri, ...(codeVerifier ? { code_verifier: codeVerifier } : {}) },
      });
      if (Number(t.body.code ?? -1) !== 0 || typeof t.body.access_token !== 'string') {
        throw feishuLoginRefusal('authen/v2/oauth/token', Number(t.body.code ?? -1), String(t.body.error_description ?? t.body.msg ?? t.body.error ?? ''));
      }
      const u = await loginJson('authen/v1/user_info', `${config.apiBase}/open-apis/authen/v1/user_info`, { headers: { authorization: `Bearer ${t.body.access_token}` } });
      if (Number(u.body.code ?? -1) !== 0) throw feishuLoginRefusal('authen/v1/user_info', Number(u.body.code ?? -1), String(u.body.msg ?? ''));
      const data = (u.body.data ?? {}) as { open_id?: unknown; tenant_key?: unknown };
      if (typeof data.open_id !== 'string' || !data.open_id) throw new LoginRefused('unreachable', 'authen/v1/user_info: no open_id');
      if (config.tenantKey !== null && data.tenant_key !== config.tenantKey) throw new LoginRefused('other_org', 'authen/v1/user_info: tenant_key is not FEISHU_TENANT_KEY');
      return data.open_id;
    },
  };
}
