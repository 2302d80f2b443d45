/**
 * The registry of admin sign-in with a work platform (src/platform/login.ts): one {@link AdminLogin}
 * per configured platform that can sign admins in. Each reuses its platform's app credentials
 * (adapters/<platform>/config.ts) plus a few variables of its own:
 * - WeCom: WECOM_LOGIN_BASE (login page origin, default https://login.work.weixin.qq.com; a fake in tests).
 * - DingTalk: DINGTALK_CORP_ID (required for sign-in: an identity of another organisation is refused),
 *   DINGTALK_LOGIN_BASE (default https://login.dingtalk.com).
 * - Feishu/Lark: FEISHU_TENANT_KEY (optional: checked when set), FEISHU_ACCOUNTS_BASE (default
 *   https://accounts.feishu.cn, or https://accounts.larksuite.com when FEISHU_API_BASE is Lark's).
 */
import { z } from 'zod';
import { httpUrl, parseVariables, readVariables } from '../src/config.ts';
import type { AdminLogin, LoginPlatformInfo } from '../src/platform/login.ts';
import type { PlatformConfigs } from './index.ts';
import { createWecomLogin, WECOM_LOGIN_BASE, WECOM_LOGIN_PLATFORM } from './wecom/login.ts';
import { createDingtalkLogin, DINGTALK_LOGIN_BASE, DINGTALK_LOGIN_PLATFORM } from './dingtalk/login.ts';
import { createFeishuLogin, FEISHU_ACCOUNTS_BASE, FEISHU_LOGIN_PLATFORM, LARK_ACCOUNTS_BASE } from './feishu/login.ts';

/**
 * Every platform an admin may sign in with, as each adapter describes itself, in the order the console
 * shows them. Links to these platforms may be made whether or not the platform is configured here.
 */
export const LOGIN_PLATFORMS: readonly LoginPlatformInfo[] = [WECOM_LOGIN_PLATFORM, DINGTALK_LOGIN_PLATFORM, FEISHU_LOGIN_PLATFORM];

/** The variables of platform sign-in (README "Platform sign-in"). */
export const LOGIN_VARIABLES = ['WECOM_LOGIN_BASE', 'DINGTALK_CORP_ID', 'DINGTALK_LOGIN_BASE', 'FEISHU_TENANT_KEY', 'FEISHU_ACCOUNTS_BASE'] as const;

const schema = z.object({
  WECOM_LOGIN_BASE: httpUrl.default(WECOM_LOGIN_BASE),
  DINGTALK_CORP_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be the corpId of 开发者后台 → 基础信息 (e.g. ding…)').optional(),
  DINGTALK_LOGIN_BASE: httpUrl.default(DINGTALK_LOGIN_BASE),
  FEISHU_TENANT_KEY: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be the tenant_key of your organisation').optional(),
  FEISHU_ACCOUNTS_BASE: httpUrl.optional(),
});

/** The sign-in variables, read and checked (defaults applied). */
export type LoginConfig = z.infer<typeof schema>;

/**
 * Reads the sign-in variables ({@link LOGIN_VARIABLES}).
 * @throws ConfigError naming a bad variable
 */
export function loadLoginConfig(env: NodeJS.ProcessEnv): LoginConfig {
  return parseVariables(schema, readVariables(env, LOGIN_VARIABLES));
}

/** The platform sign-ins that can be offered, and why a configured platform offers none. */
export interface AdminLoginSet {
  logins: AdminLogin[];
  /** One line per configured platform without sign-in, naming what to set (start-up log). */
  notes: string[];
}

/**
 * The admin sign-ins of the configured platforms (WeCom self-built app, DingTalk, Feishu; never the
 * WeCom AI bot or the sandbox, which have no web login).
 * @param login the sign-in variables; absent = read from an empty environment (defaults)
 */
export function createAdminLogins(platforms: PlatformConfigs, login?: LoginConfig): AdminLoginSet {
  const e = login ?? loadLoginConfig({});
  const logins: AdminLogin[] = [];
  const notes: string[] = [];
  const w = platforms.wecom;
  if (w) logins.push(createWecomLogin({ corpId: w.corpId, agentId: w.agentId, secret: w.secret, apiBase: w.apiBase, loginBase: e.WECOM_LOGIN_BASE }));
  const d = platforms.dingtalk;
  if (d && e.DINGTALK_CORP_ID) logins.push(createDingtalkLogin({ appKey: d.appKey, appSecret: d.appSecret, apiBase: d.apiBase, loginBase: e.DINGTALK_LOGIN_BASE, corpId: e.DINGTALK_CORP_ID }));
  else if (d) notes.push('DingTalk sign-in to the console is off: set DINGTALK_CORP_ID (开发者后台 → 基础信息 → CorpId) to turn it on');
  const f = platforms.feishu;
  if (f) {
    const accountsBase = e.FEISHU_ACCOUNTS_BASE ?? (new URL(f.apiBase).hostname === 'open.larksuite.com' ? LARK_ACCOUNTS_BASE : FEISHU_ACCOUNTS_BASE);
    logins.push(createFeishuLogin({ appId: f.appId, appSecret: f.appSecret, apiBase: f.apiBase, accountsBase, tenantKey: e.FEISHU_TENANT_KEY ?? null }));
  }
  return { logins, notes };
}
