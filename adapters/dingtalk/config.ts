import { z } from 'zod';
import { allOrNone, httpUrl, parseVariables, readVariables } from '../../src/config.ts';

/** DingTalk enterprise internal app robot (钉钉 企业内部应用机器人) credentials. open.dingtalk.com/document/orgapp/receive-message */
export interface DingtalkConfig {
  /** AppKey (= clientId). */
  appKey: string;
  /** AppSecret (= clientSecret); also the HMAC key of the callback `sign` header. */
  appSecret: string;
  /** robotCode (for internal apps usually equal to the AppKey). */
  robotCode: string;
  /** OpenAPI base URL, default https://api.dingtalk.com; 'http://host:port' points the client at a fake. */
  apiBase: string;
  /**
   * How robot messages arrive (DINGTALK_MODE): 'http' (default) = DingTalk POSTs to /dingtalk/callback;
   * 'stream' = the bot holds an outbound WebSocket (dingtalk-stream), no public URL needed.
   * Absent means 'http'. docs/PROTOCOLS.md, DingTalk Stream mode
   */
  mode?: 'http' | 'stream';
}

/** The variables that enable DingTalk: all or none. */
export const DINGTALK_REQUIRED = ['DINGTALK_APP_KEY', 'DINGTALK_APP_SECRET', 'DINGTALK_ROBOT_CODE'] as const;

/** Every DingTalk variable (README "Configuration"). */
export const DINGTALK_VARIABLES = [...DINGTALK_REQUIRED, 'DINGTALK_API_BASE', 'DINGTALK_MODE'] as const;

/** Default OpenAPI base. */
export const DINGTALK_API_BASE = 'https://api.dingtalk.com';

const schema = z.object({
  DINGTALK_APP_KEY: z.string().min(1).optional(),
  DINGTALK_APP_SECRET: z.string().min(1).optional(),
  DINGTALK_ROBOT_CODE: z.string().min(1).optional(),
  DINGTALK_API_BASE: httpUrl.default(DINGTALK_API_BASE),
  DINGTALK_MODE: z.enum(['http', 'stream']).default('http'),
});

/**
 * Reads the DingTalk variables.
 * @returns null when none of {@link DINGTALK_REQUIRED} is set
 * @throws ConfigError naming the bad or missing variable
 */
export function loadDingtalkConfig(env: NodeJS.ProcessEnv): DingtalkConfig | null {
  const raw = readVariables(env, DINGTALK_VARIABLES);
  const e = parseVariables(schema, raw);
  if (!allOrNone(raw, DINGTALK_REQUIRED, 'DingTalk')) return null;
  return {
    appKey: e.DINGTALK_APP_KEY!,
    appSecret: e.DINGTALK_APP_SECRET!,
    robotCode: e.DINGTALK_ROBOT_CODE!,
    apiBase: e.DINGTALK_API_BASE,
    mode: e.DINGTALK_MODE,
  };
}
