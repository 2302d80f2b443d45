import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { redisUrlProblem } from './store/redis-connect.ts';
import { LOOPBACK_NETWORKS, parseNetworks, type IpNetwork } from './http/networks.ts';
import { parseSigningKey, SIGNING_KEY_VARIABLE, type EvidenceSigningKey } from './evidence/key.ts';

/** WeCom self-built app (企业微信 自建应用) credentials. developer.work.weixin.qq.com/document/path/90930 */
export interface WecomConfig {
  /** 企业ID, e.g. 'ww…' or legacy 'wx…'; also the receiveid of every callback. */
  corpId: string;
  /** The app's AgentId (integer, e.g. 1000002). */
  agentId: number;
  /** The app's Secret (for gettoken). */
  secret: string;
  /** Callback Token (letters/digits, ≤ 32 characters). */
  token: string;
  /** Callback EncodingAESKey (exactly 43 characters of [A-Za-z0-9]). */
  encodingAESKey: string;
  /** API base URL without trailing slash, default https://qyapi.weixin.qq.com (a fake server in tests). */
  apiBase: string;
}

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
   * Absent means 'http'. protocols.md §3.3
   */
  mode?: 'http' | 'stream';
}

/**
 * WeCom AI bot (企业微信 智能机器人) for group chats and 1:1 (shared/protocols.md §2.5).
 * 'http': callbacks to /wecom/aibot/callback with the bot's own Token and EncodingAESKey (receiveid "");
 * 'ws': a long connection to WeCom with the bot's BotID and Secret (no public URL needed).
 * developer.work.weixin.qq.com/document/path/101039
 */
export type WecomAibotConfig =
  | {
      mode: 'http';
      /** Callback Token of the bot's API settings (letters/digits, ≤ 32 characters). */
      token: string;
      /** Callback EncodingAESKey of the bot (exactly 43 characters of [A-Za-z0-9]). */
      encodingAESKey: string;
    }
  | {
      mode: 'ws';
      /** BotID from the bot's API settings (long connection). */
      botId: string;
      /** The bot's Secret (long connection). */
      secret: string;
      /** Long-connection endpoint, default wss://openws.work.weixin.qq.com (a fake in tests). */
      wsUrl: string;
    };

/**
 * WeCom session-content archive (会话内容存档) sync (shared/protocols.md §2.1–2.3). Needs `wecom` too.
 * developer.work.weixin.qq.com/document/path/91614
 */
export interface WecomArchiveConfig {
  /** The archive's own Secret (管理工具 → 会话内容存档); the app Secret gets 48002 on msgaudit APIs. */
  secret: string;
  /** Minutes between two syncs of the archived-member list (1–1440, default 10). */
  syncMinutes: number;
}

/** The whole configuration, read from the environment once at start. */
export interface Config {
  /** TCP port to listen on (default 3000). */
  port: number;
  /** Directory for the embedded store file privacy-bot.db (default ./data). */
  dataDir: string;
  /** Redis URL; null = embedded SQLite store. */
  redisUrl: string | null;
  /** Knowledge base directory (default ./knowledge). */
  knowledgeDir: string;
  /** null = WeCom disabled (credentials absent). */
  wecom: WecomConfig | null;
  /** null = DingTalk disabled (credentials absent). */
  dingtalk: DingtalkConfig | null;
  /** null = archive sync off (WECOM_ARCHIVE_SECRET unset): statuses come from imports only. */
  wecomArchive: WecomArchiveConfig | null;
  /** null = WeCom AI bot disabled (no WECOM_AIBOT_* variable set). Private replies need `wecom` too. */
  wecomAibot: WecomAibotConfig | null;
  /** pino level: fatal|error|warn|info|debug|trace|silent (default info). */
  logLevel: string;
  /** The local /try chat page is served unless TRY_PAGE=off. */
  tryPage: boolean;
  /**
   * The built-in demo organisation (adapters/sandbox/): on unless SANDBOX=off; it is only mounted
   * while no real platform (WeCom, WeCom AI bot, DingTalk) is configured.
   */
  sandbox: boolean;
  /**
   * Bearer token of the admin API (/admin/…, issue 4); null = the admin API is off (its routes
   * answer 404). At least 16 printable ASCII characters without spaces.
   */
  adminToken: string | null;
  /**
   * Chat admins who may use `/notice …` commands (1:1 only), as 'platform:userId' strings
   * (ADMIN_USERS, comma-separated, e.g. 'wecom:zhangsan,dingtalk:0123'); [] = nobody.
   */
  adminUsers: string[];
  /**
   * Networks whose clients may reach /admin and /console (ADMIN_ALLOW_FROM, comma-separated CIDRs,
   * IPv4 and IPv6). Default: loopback only (127.0.0.0/8, ::1/128); a value replaces the default.
   * Decided on the socket's peer address (see `trustedProxies`).
   */
  adminAllowFrom: IpNetwork[];
  /**
   * Proxies whose X-Forwarded-For is believed (TRUSTED_PROXIES, comma-separated CIDRs); [] = never:
   * the client is the socket's peer. src/http/networks.ts `clientAddress`.
   */
  trustedProxies: IpNetwork[];
  /**
   * ADMIN_PORT: a listener of their own for /admin and /console (0 = any free port, tests); the
   * main port then answers 404 there. null = served on PORT with everything else.
   */
  adminPort: number | null;
  /**
   * Ed25519 key that signs evidence exports (EVIDENCE_SIGNING_KEY: base64 of the 32-byte seed, or a
   * PKCS#8 PEM; docs/EVIDENCE.md); null = exports are marked unsigned and a warning is logged.
   */
  evidenceKey: EvidenceSigningKey | null;
  /** The admin console at /console is served unless CONSOLE=off (src/console/server.ts). */
  console: boolean;
  /** Minutes a console session lives without use (CONSOLE_IDLE_MINUTES, 1–1440, default 30). */
  consoleIdleMinutes: number;
}

/** Every variable the bot reads, with its meaning; the README's table is written from this list. */
export const ENVIRONMENT_VARIABLES = [
  'PORT', 'DATA_DIR', 'REDIS_URL', 'KNOWLEDGE_DIR', 'LOG_LEVEL', 'TRY_PAGE', 'SANDBOX',
  'WECOM_CORP_ID', 'WECOM_AGENT_ID', 'WECOM_SECRET', 'WECOM_TOKEN', 'WECOM_ENCODING_AES_KEY', 'WECOM_API_BASE',
  'DINGTALK_APP_KEY', 'DINGTALK_APP_SECRET', 'DINGTALK_ROBOT_CODE', 'DINGTALK_API_BASE', 'DINGTALK_MODE',
  'WECOM_ARCHIVE_SECRET', 'WECOM_ARCHIVE_SYNC_MINUTES',
  'ADMIN_TOKEN', 'ADMIN_USERS', 'ADMIN_ALLOW_FROM', 'TRUSTED_PROXIES', 'ADMIN_PORT',
  'EVIDENCE_SIGNING_KEY', 'CONSOLE', 'CONSOLE_IDLE_MINUTES',
  'WECOM_AIBOT_MODE', 'WECOM_AIBOT_TOKEN', 'WECOM_AIBOT_ENCODING_AES_KEY', 'WECOM_AIBOT_BOT_ID', 'WECOM_AIBOT_SECRET', 'WECOM_AIBOT_WS_URL',
] as const;

/** Variables whose values are never shown in error messages. */
const SECRET_VARIABLES = new Set<string>(['ADMIN_TOKEN', 'REDIS_URL', 'EVIDENCE_SIGNING_KEY']);

const WECOM_VARS = ['WECOM_CORP_ID', 'WECOM_AGENT_ID', 'WECOM_SECRET', 'WECOM_TOKEN', 'WECOM_ENCODING_AES_KEY'] as const;
const DINGTALK_VARS = ['DINGTALK_APP_KEY', 'DINGTALK_APP_SECRET', 'DINGTALK_ROBOT_CODE'] as const;

/** `url` without trailing slashes (a loop: /\/+$/ takes quadratic time on long runs of slashes). */
function withoutTrailingSlashes(url: string): string {
  let end = url.length;
  while (end > 0 && url[end - 1] === '/') end--;
  return url.slice(0, end);
}

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'must start with http:// or https://')
  .transform(withoutTrailingSlashes);

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATA_DIR: z.string().min(1).default('./data'),
  // One server, Sentinel or Cluster; formats in src/store/redis-connect.ts and README "Deployment".
  // May hold a password: the error says what is wrong, never the value.
  REDIS_URL: z
    .string()
    .superRefine((url, ctx) => {
      const problem = redisUrlProblem(url);
      if (problem !== null) {
        ctx.addIssue({
          code: 'custom',
          message: `${problem} (formats: redis://[user:password@]host[:port][/db], rediss://…, redis+sentinel://[:password@]host:port[,host:port…]/<masterName>[/db], redis+cluster://[:password@]host:port[,host:port…])`,
        });
      }
    })
    .optional(),
  KNOWLEDGE_DIR: z.string().min(1).default('./knowledge'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRY_PAGE: z.enum(['on', 'off']).default('on'),
  CONSOLE: z.enum(['on', 'off']).default('on'),
  CONSOLE_IDLE_MINUTES: z.coerce.number().int().min(1).max(1440).default(30),
  SANDBOX: z.enum(['on', 'off']).default('on'),
  WECOM_CORP_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be the CorpID from 我的企业 → 企业ID').optional(),
  WECOM_AGENT_ID: z.coerce.number().int().positive('must be the app AgentId, a positive integer').optional(),
  WECOM_SECRET: z.string().min(1).optional(),
  WECOM_TOKEN: z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'must be 1–32 letters or digits (the callback Token)').optional(),
  WECOM_ENCODING_AES_KEY: z.string().regex(/^[A-Za-z0-9]{43}$/, 'must be exactly 43 letters or digits').optional(),
  WECOM_API_BASE: httpUrl.default('https://qyapi.weixin.qq.com'),
  DINGTALK_APP_KEY: z.string().min(1).optional(),
  DINGTALK_APP_SECRET: z.string().min(1).optional(),
  DINGTALK_ROBOT_CODE: z.string().min(1).optional(),
  DINGTALK_API_BASE: httpUrl.default('https://api.dingtalk.com'),
  DINGTALK_MODE: z.enum(['http', 'stream']).default('http'),
  ADMIN_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{16,256}$/, 'must be 16–256 printable ASCII characters without spaces (e.g. openssl rand -hex 32)')
    .optional(),
  ADMIN_USERS: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x !== ''))
    .pipe(
      z.array(
        z.string().regex(/^[a-z][a-z0-9-]{0,31}:[^\s,]{1,256}$/, 'each entry must be platform:userId, e.g. wecom:zhangsan (comma-separated)'),
      ),
    )
    .optional(),
  ADMIN_ALLOW_FROM: z.string().optional(),
  TRUSTED_PROXIES: z.string().optional(),
  ADMIN_PORT: z.coerce.number().int().min(0, 'must be a port number 0–65535').max(65535, 'must be a port number 0–65535').optional(),
  WECOM_ARCHIVE_SECRET: z.string().min(1).optional(),
  WECOM_ARCHIVE_SYNC_MINUTES: z.coerce.number().int().min(1, 'must be 1–1440 minutes').max(1440, 'must be 1–1440 minutes').default(10),
  WECOM_AIBOT_MODE: z.enum(['http', 'ws']).optional(),
  WECOM_AIBOT_TOKEN: z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'must be 1–32 letters or digits (the AI bot callback Token)').optional(),
  WECOM_AIBOT_ENCODING_AES_KEY: z.string().regex(/^[A-Za-z0-9]{43}$/, 'must be exactly 43 letters or digits').optional(),
  WECOM_AIBOT_BOT_ID: z.string().min(1).optional(),
  WECOM_AIBOT_SECRET: z.string().min(1).optional(),
  WECOM_AIBOT_WS_URL: z
    .string()
    .url()
    .refine((u) => /^wss?:\/\//.test(u), 'must start with ws:// or wss://')
    .default('wss://openws.work.weixin.qq.com'),
});

/**
 * The AI bot block: enabled when any WECOM_AIBOT_* credential or the mode is set; the mode
 * (default http) decides which pair is required.
 * @throws ConfigError naming the missing variable
 */
function wecomAibotConfig(raw: Record<string, string>, e: z.infer<typeof schema>): WecomAibotConfig | null {
  const names = ['WECOM_AIBOT_MODE', 'WECOM_AIBOT_TOKEN', 'WECOM_AIBOT_ENCODING_AES_KEY', 'WECOM_AIBOT_BOT_ID', 'WECOM_AIBOT_SECRET'];
  if (!names.some((n) => raw[n] !== undefined)) return null;
  const mode = e.WECOM_AIBOT_MODE ?? 'http';
  const needed = mode === 'http' ? ['WECOM_AIBOT_TOKEN', 'WECOM_AIBOT_ENCODING_AES_KEY'] : ['WECOM_AIBOT_BOT_ID', 'WECOM_AIBOT_SECRET'];
  const missing = needed.filter((n) => raw[n] === undefined);
  if (missing.length > 0) {
    throw new ConfigError(
      `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set: WECOM_AIBOT_MODE=${mode} needs ${needed.join(' and ')} ` +
        `(or unset every WECOM_AIBOT_* variable to disable the WeCom AI bot)`,
    );
  }
  return mode === 'http'
    ? { mode, token: e.WECOM_AIBOT_TOKEN!, encodingAESKey: e.WECOM_AIBOT_ENCODING_AES_KEY! }
    : { mode, botId: e.WECOM_AIBOT_BOT_ID!, secret: e.WECOM_AIBOT_SECRET!, wsUrl: withoutTrailingSlashes(e.WECOM_AIBOT_WS_URL) };
}

/** Treat empty strings as unset, so `FOO=` in a compose file means "not configured". */
function cleaned(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ENVIRONMENT_VARIABLES) {
    const v = env[name];
    if (v !== undefined && v.trim() !== '') out[name] = v.trim();
  }
  return out;
}

/** All or none of a platform's variables: a partial set is a mistake worth stopping for. */
function platformGroup(env: Record<string, string>, names: readonly string[], platform: string): boolean {
  const present = names.filter((n) => env[n] !== undefined);
  if (present.length === 0) return false;
  const missing = names.filter((n) => env[n] === undefined);
  if (missing.length > 0) {
    throw new ConfigError(
      `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set, but ${present.join(', ')} ${present.length === 1 ? 'is' : 'are'}: ` +
        `set all of ${names.join(', ')} to enable ${platform}, or none to disable it`,
    );
  }
  return true;
}

/**
 * Reads and validates the configuration.
 * @param env the environment (default process.env)
 * @throws ConfigError (code CONFIG_INVALID) naming the first bad variable and why
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = cleaned(env);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    // Never echo a secret into logs: say only how long the rejected value was.
    const got = SECRET_VARIABLES.has(name) ? `a value of ${(raw[name] ?? '').length} characters` : JSON.stringify(raw[name] ?? '');
    throw new ConfigError(`${name} is invalid: ${issue.message} (got ${got})`);
  }
  const e = parsed.data;
  const wecomOn = platformGroup(raw, WECOM_VARS, 'WeCom');
  const dingOn = platformGroup(raw, DINGTALK_VARS, 'DingTalk');
  const wecomAibot = wecomAibotConfig(raw, e);
  const adminAllowFrom = e.ADMIN_ALLOW_FROM !== undefined ? parseNetworks(e.ADMIN_ALLOW_FROM, 'ADMIN_ALLOW_FROM') : [...LOOPBACK_NETWORKS];
  const trustedProxies = e.TRUSTED_PROXIES !== undefined ? parseNetworks(e.TRUSTED_PROXIES, 'TRUSTED_PROXIES') : [];
  if (e.ADMIN_PORT !== undefined && e.ADMIN_PORT !== 0 && e.ADMIN_PORT === e.PORT) {
    throw new ConfigError(`ADMIN_PORT is invalid: must differ from PORT (both ${e.PORT}), or unset ADMIN_PORT to serve /admin on PORT`);
  }
  if (e.WECOM_ARCHIVE_SECRET !== undefined && !wecomOn) {
    throw new ConfigError(`WECOM_ARCHIVE_SECRET is set but WeCom is not: set ${WECOM_VARS.join(', ')} too, or unset WECOM_ARCHIVE_SECRET`);
  }
  const evidenceKey = raw[SIGNING_KEY_VARIABLE] !== undefined ? parseSigningKey(raw[SIGNING_KEY_VARIABLE]) : null;
  return {
    port: e.PORT,
    dataDir: e.DATA_DIR,
    redisUrl: e.REDIS_URL ?? null,
    knowledgeDir: e.KNOWLEDGE_DIR,
    logLevel: e.LOG_LEVEL,
    tryPage: e.TRY_PAGE === 'on',
    console: e.CONSOLE === 'on',
    consoleIdleMinutes: e.CONSOLE_IDLE_MINUTES,
    sandbox: e.SANDBOX === 'on',
    adminToken: e.ADMIN_TOKEN ?? null,
    adminUsers: [...new Set(e.ADMIN_USERS ?? [])],
    adminAllowFrom,
    trustedProxies,
    adminPort: e.ADMIN_PORT ?? null,
    wecom: wecomOn
      ? {
          corpId: e.WECOM_CORP_ID!,
          agentId: e.WECOM_AGENT_ID!,
          secret: e.WECOM_SECRET!,
          token: e.WECOM_TOKEN!,
          encodingAESKey: e.WECOM_ENCODING_AES_KEY!,
          apiBase: e.WECOM_API_BASE,
        }
      : null,
    dingtalk: dingOn
      ? {
          appKey: e.DINGTALK_APP_KEY!,
          appSecret: e.DINGTALK_APP_SECRET!,
          robotCode: e.DINGTALK_ROBOT_CODE!,
          apiBase: e.DINGTALK_API_BASE,
          mode: e.DINGTALK_MODE,
        }
      : null,
    wecomArchive: e.WECOM_ARCHIVE_SECRET !== undefined ? { secret: e.WECOM_ARCHIVE_SECRET, syncMinutes: e.WECOM_ARCHIVE_SYNC_MINUTES } : null,
    wecomAibot,
    evidenceKey,
  };
}
