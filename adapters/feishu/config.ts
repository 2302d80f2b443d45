import { z } from 'zod';
import { ConfigError } from '../../src/errors.ts';
import { readVariables, withoutTrailingSlashes } from '../../src/config.ts';
import { FEISHU_API_BASE_DEFAULT } from './limits.ts';

/**
 * Feishu / Lark configuration from the environment (docs/FEISHU.md "Variables").
 * Source: https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/request-url-configuration-case
 */

/** Feishu self-built app (飞书 企业自建应用) credentials and how events arrive. */
export interface FeishuConfig {
  /** App ID, `cli_` + 16 hex digits (FEISHU_APP_ID). */
  appId: string;
  /** App Secret (FEISHU_APP_SECRET). */
  appSecret: string;
  /** Verification Token of 事件与回调 → 加密策略 (FEISHU_VERIFICATION_TOKEN); null only in ws mode. */
  verificationToken: string | null;
  /** Encrypt Key (FEISHU_ENCRYPT_KEY); null = events arrive in plain JSON without a signature. */
  encryptKey: string | null;
  /** OpenAPI origin without trailing slash: https://open.feishu.cn, https://open.larksuite.com, or a fake. */
  apiBase: string;
  /** 'http' = Feishu POSTs to /feishu/callback; 'ws' = the SDK's long connection, no public URL. */
  mode: 'http' | 'ws';
}

/** One documented variable: its name, default ('' = none) and meaning (docs/FEISHU.md, `privacy-bot` help). */
export interface EnvironmentVariableRow {
  name: string;
  default: string;
  meaning: string;
}

/** The Feishu variables, for the README/docs table and start-up help. */
export const FEISHU_ENVIRONMENT_VARIABLES: readonly EnvironmentVariableRow[] = [
  { name: 'FEISHU_APP_ID', default: '', meaning: 'App ID of the self-built app (凭证与基础信息 → App ID, cli_…); enables Feishu with FEISHU_APP_SECRET' },
  { name: 'FEISHU_APP_SECRET', default: '', meaning: 'App Secret of the same page' },
  { name: 'FEISHU_VERIFICATION_TOKEN', default: '', meaning: 'Verification Token (事件与回调 → 加密策略); required in http mode' },
  { name: 'FEISHU_ENCRYPT_KEY', default: '', meaning: 'Encrypt Key of the same page; when set, events are encrypted and signed (recommended)' },
  { name: 'FEISHU_API_BASE', default: FEISHU_API_BASE_DEFAULT, meaning: 'OpenAPI origin: https://open.feishu.cn (Feishu) or https://open.larksuite.com (Lark)' },
  { name: 'FEISHU_MODE', default: 'http', meaning: 'http = events POSTed to /feishu/callback; ws = long connection (no public URL)' },
];

/** The variables that switch Feishu on (all or none). */
export const FEISHU_REQUIRED_VARIABLES = ['FEISHU_APP_ID', 'FEISHU_APP_SECRET'] as const;

/** The variables that enable Feishu: all or none (the name the other adapters use). */
export const FEISHU_REQUIRED = FEISHU_REQUIRED_VARIABLES;

/** Every Feishu variable (adapters/feishu/README.md, README "Configuration"). */
export const FEISHU_VARIABLES = [
  ...FEISHU_REQUIRED_VARIABLES, 'FEISHU_VERIFICATION_TOKEN', 'FEISHU_ENCRYPT_KEY', 'FEISHU_API_BASE', 'FEISHU_MODE',
] as const;

const SECRET = new Set(['FEISHU_APP_SECRET', 'FEISHU_VERIFICATION_TOKEN', 'FEISHU_ENCRYPT_KEY']);

const optionalNonEmpty = (message: string) =>
  z
    .string()
    .optional()
    .transform((s) => (s === undefined || s.trim() === '' ? undefined : s.trim()))
    .pipe(z.string().regex(/^[\x21-\x7e]{1,256}$/, message).optional());

/** zod schema of the Feishu variables (unknown keys ignored). */
export const feishuEnvSchema = z.object({
  FEISHU_APP_ID: optionalNonEmpty('must be the App ID (cli_ followed by 16 hex digits)').pipe(
    z.string().regex(/^cli_[0-9a-fA-F]{16}$/, 'must be the App ID (cli_ followed by 16 hex digits)').optional(),
  ),
  FEISHU_APP_SECRET: optionalNonEmpty('must be the App Secret (printable ASCII, no spaces)'),
  FEISHU_VERIFICATION_TOKEN: optionalNonEmpty('must be the Verification Token (printable ASCII, no spaces)'),
  FEISHU_ENCRYPT_KEY: optionalNonEmpty('must be the Encrypt Key (printable ASCII, no spaces)'),
  FEISHU_API_BASE: z
    .string()
    .optional()
    .transform((s) => (s === undefined || s.trim() === '' ? FEISHU_API_BASE_DEFAULT : s.trim()))
    .pipe(
      z
        .string()
        .refine((u) => {
          try {
            const p = new URL(u);
            return (p.protocol === 'https:' || p.protocol === 'http:') && (p.pathname === '/' || p.pathname === '') && !p.search && !p.username;
          } catch {
            return false;
          }
        }, 'must be an origin such as https://open.feishu.cn or https://open.larksuite.com')
        .transform(withoutTrailingSlashes),
    ),
  FEISHU_MODE: z
    .string()
    .optional()
    .transform((s) => (s === undefined || s.trim() === '' ? 'http' : s.trim()))
    .pipe(z.enum(['http', 'ws'], { message: 'must be http or ws' })),
});

/**
 * Reads the Feishu configuration from `env`.
 * @returns null when neither FEISHU_APP_ID nor FEISHU_APP_SECRET is set (Feishu off)
 * @throws ConfigError with a one-line message naming the variable: a bad value (secrets are not
 *   echoed, only their length), one of the pair without the other, http mode without
 *   FEISHU_VERIFICATION_TOKEN
 */
export function parseFeishuConfig(env: Record<string, string | undefined>): FeishuConfig | null {
  const parsed = feishuEnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'FEISHU_*');
    const raw = env[name] ?? '';
    const got = SECRET.has(name) ? `a value of ${raw.length} characters` : JSON.stringify(raw);
    throw new ConfigError(`${name} is invalid: ${issue.message} (got ${got})`);
  }
  const e = parsed.data;
  const present = FEISHU_REQUIRED_VARIABLES.filter((n) => e[n] !== undefined);
  if (present.length === 0) return null;
  if (present.length < FEISHU_REQUIRED_VARIABLES.length) {
    const missing = FEISHU_REQUIRED_VARIABLES.filter((n) => e[n] === undefined);
    throw new ConfigError(`${missing.join(', ')} is not set: Feishu needs ${FEISHU_REQUIRED_VARIABLES.join(' and ')} (or neither)`);
  }
  if (e.FEISHU_MODE === 'http' && e.FEISHU_VERIFICATION_TOKEN === undefined) {
    throw new ConfigError('FEISHU_VERIFICATION_TOKEN is not set: FEISHU_MODE=http needs the Verification Token of 事件与回调 → 加密策略 (or set FEISHU_MODE=ws)');
  }
  return {
    appId: e.FEISHU_APP_ID!,
    appSecret: e.FEISHU_APP_SECRET!,
    verificationToken: e.FEISHU_VERIFICATION_TOKEN ?? null,
    encryptKey: e.FEISHU_ENCRYPT_KEY ?? null,
    apiBase: e.FEISHU_API_BASE,
    mode: e.FEISHU_MODE,
  };
}

/**
 * Reads the Feishu variables from the environment (only FEISHU_*, trimmed, empty = unset), as the other
 * adapters' loaders do; the composition root merges the result (adapters/index.ts).
 * @returns null when neither FEISHU_APP_ID nor FEISHU_APP_SECRET is set (Feishu off)
 * @throws ConfigError naming the bad or missing variable ({@link parseFeishuConfig})
 */
export function loadFeishuConfig(env: NodeJS.ProcessEnv): FeishuConfig | null {
  return parseFeishuConfig(readVariables(env, FEISHU_VARIABLES));
}
