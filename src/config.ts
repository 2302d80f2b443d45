import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { redisUrlProblem } from './store/redis/connect.ts';
import { LOOPBACK_NETWORKS, parseNetworks, type IpNetwork } from './http/networks.ts';
import { parseSigningKey, SIGNING_KEY_VARIABLE, type EvidenceSigningKey } from './evidence/key.ts';
import { NOTICE_LANGUAGES, type NoticeLanguage } from './store/ports/notices.ts';

/**
 * The platform-neutral part of the configuration, read from the environment once at start. Each
 * platform adapter reads its own variables (adapters/<platform>/config.ts); the composition root
 * merges both (src/app/config.ts).
 */
export interface CoreConfig {
  /** TCP port to listen on (default 3000). */
  port: number;
  /** Directory for the embedded store file privacy-bot.db (default ./data). */
  dataDir: string;
  /** Redis URL; null = embedded SQLite store. */
  redisUrl: string | null;
  /** Knowledge base directory: KNOWLEDGE_DIR (relative to the working directory), default this package's own ({@link packageKnowledgeDir}). */
  knowledgeDir: string;
  /** pino level: fatal|error|warn|info|debug|trace|silent (default info). */
  logLevel: string;
  /** The local /try chat page is served unless TRY_PAGE=off. */
  tryPage: boolean;
  /**
   * Bearer token of the admin API (/admin/…); null = the admin API is off (its routes
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
   * HOST: the address the HTTP listeners bind to; null = the default (every address, or loopback only while
   * the sandbox organisation stands in for a real platform — src/app/server.ts).
   */
  host: string | null;
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
  /**
   * Public origin of the console as the browser reaches it (CONSOLE_PUBLIC_URL, e.g. https://bot.example.com;
   * no trailing slash): platform sign-in redirects back to `<it>/console/login/<platform>/callback`. null = no platform sign-in.
   */
  consolePublicUrl: string | null;
  /**
   * The language archiving notices are sent in (NOTICE_LANGUAGE): 'zh-CN', 'zh-TW', 'en' or
   * 'bilingual' (default: Simplified Chinese and English together). An employee who asked the bot
   * something in the last 180 days gets their notices in that language instead; a language a notice
   * was not written in falls back to zh-CN (src/notices/languages.ts).
   */
  noticeLanguage: NoticeLanguage;
}

/** The platform-neutral variables (README "Configuration"); each adapter lists its own in adapters/<platform>/config.ts. */
export const CORE_VARIABLES = [
  'PORT', 'HOST', 'DATA_DIR', 'REDIS_URL', 'KNOWLEDGE_DIR', 'LOG_LEVEL', 'TRY_PAGE',
  'ADMIN_TOKEN', 'ADMIN_USERS', 'ADMIN_ALLOW_FROM', 'TRUSTED_PROXIES', 'ADMIN_PORT',
  'EVIDENCE_SIGNING_KEY', 'CONSOLE', 'CONSOLE_IDLE_MINUTES', 'CONSOLE_PUBLIC_URL', 'NOTICE_LANGUAGE',
] as const;

/** Core variables whose values are never shown in error messages. */
const SECRET_VARIABLES = ['ADMIN_TOKEN', 'REDIS_URL', 'EVIDENCE_SIGNING_KEY'];

/** `url` without trailing slashes (a loop: /\/+$/ takes quadratic time on long runs of slashes). */
export function withoutTrailingSlashes(url: string): string {
  let end = url.length;
  while (end > 0 && url[end - 1] === '/') end--;
  return url.slice(0, end);
}

/** An http(s) URL variable; the trailing slashes are dropped. For adapters' API base URLs. */
export const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'must start with http:// or https://')
  .transform(withoutTrailingSlashes);

/** A TCP port, 0–65535 (0 = any free port), from an environment string; one message for every way it can be wrong. */
const PORT_MESSAGE = 'must be a port number 0–65535';
const portNumber = z.coerce.number(PORT_MESSAGE).int(PORT_MESSAGE).min(0, PORT_MESSAGE).max(65535, PORT_MESSAGE);

const schema = z.object({
  PORT: portNumber.default(3000),
  // "localhost" is read as 127.0.0.1 (what it names on every machine this runs on); other names are refused, since a
  // name that resolves to several addresses would make the listening address depend on the resolver.
  HOST: z
    .string()
    .transform((h) => (h.trim().toLowerCase() === 'localhost' ? '127.0.0.1' : h))
    .refine((h) => isIP(h) !== 0, 'must be an IP address to listen on (0.0.0.0 = every IPv4 address, :: = every address, 127.0.0.1 or localhost = this machine only)')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  // One server, Sentinel or Cluster; formats in src/store/redis/connect.ts and README "Deployment".
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
  KNOWLEDGE_DIR: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRY_PAGE: z.enum(['on', 'off']).default('on'),
  CONSOLE: z.enum(['on', 'off']).default('on'),
  CONSOLE_IDLE_MINUTES: z.coerce.number().int().min(1).max(1440).default(30),
  CONSOLE_PUBLIC_URL: httpUrl.refine((u) => new URL(u).pathname === '/' || new URL(u).pathname === '', 'must be an origin such as https://bot.example.com (no path)').optional(),
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
  NOTICE_LANGUAGE: z.enum(NOTICE_LANGUAGES as [NoticeLanguage, ...NoticeLanguage[]]).default('bilingual'),
  ADMIN_PORT: portNumber.optional(),
});

/**
 * The variables named in `names`, trimmed; empty strings count as unset, so `FOO=` in a compose
 * file means "not configured".
 */
export function readVariables(env: NodeJS.ProcessEnv, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const v = env[name];
    if (v !== undefined && v.trim() !== '') out[name] = v.trim();
  }
  return out;
}

/**
 * Validates `raw` against a zod object schema of variables.
 * @param secrets variables whose values are never echoed (the error says how long the value was)
 * @throws ConfigError (code CONFIG_INVALID) "<NAME> is invalid: <why> (got …)" for the first bad variable
 */
export function parseVariables<S extends z.ZodType>(schema: S, raw: Record<string, string>, secrets: readonly string[] = []): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const name = String(issue.path[0] ?? 'environment');
  // Never echo a secret into logs: say only how long the rejected value was.
  const got = secrets.includes(name) ? `a value of ${(raw[name] ?? '').length} characters` : JSON.stringify(raw[name] ?? '');
  throw new ConfigError(`${name} is invalid: ${issue.message} (got ${got})`);
}

/**
 * All or none of a platform's required variables: a partial set is a mistake worth stopping for.
 * @returns true when all are set, false when none is
 * @throws ConfigError naming the missing variables when only some are set
 */
export function allOrNone(env: Record<string, string>, names: readonly string[], platform: string): boolean {
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
 * The knowledge base shipped with this package: `knowledge/` beside its package.json, found from this file (src/ or
 * dist/src/), so that `node /path/to/bin/privacy-bot.mjs serve` works from any directory (the default was
 * './knowledge' of the working directory: "KB_INVALID: knowledge: directory does not exist" anywhere else). Falls back
 * to './knowledge' when no such directory is found (the loader then names it).
 */
export function packageKnowledgeDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'knowledge');
    if (existsSync(path.join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return './knowledge';
}

/**
 * Reads and validates the platform-neutral configuration (the app adds the adapters': src/app/config.ts).
 * @param env the environment (default process.env)
 * @throws ConfigError (code CONFIG_INVALID) naming the first bad variable and why
 */
export function loadCoreConfig(env: NodeJS.ProcessEnv = process.env): CoreConfig {
  const raw = readVariables(env, CORE_VARIABLES);
  const e = parseVariables(schema, raw, SECRET_VARIABLES);
  const adminAllowFrom = e.ADMIN_ALLOW_FROM !== undefined ? parseNetworks(e.ADMIN_ALLOW_FROM, 'ADMIN_ALLOW_FROM') : [...LOOPBACK_NETWORKS];
  const trustedProxies = e.TRUSTED_PROXIES !== undefined ? parseNetworks(e.TRUSTED_PROXIES, 'TRUSTED_PROXIES') : [];
  if (e.ADMIN_PORT !== undefined && e.ADMIN_PORT !== 0 && e.ADMIN_PORT === e.PORT) {
    throw new ConfigError(`ADMIN_PORT is invalid: must differ from PORT (both ${e.PORT}), or unset ADMIN_PORT to serve /admin on PORT`);
  }
  const evidenceKey = raw[SIGNING_KEY_VARIABLE] !== undefined ? parseSigningKey(raw[SIGNING_KEY_VARIABLE]) : null;
  return {
    port: e.PORT,
    host: e.HOST ?? null,
    dataDir: e.DATA_DIR,
    redisUrl: e.REDIS_URL ?? null,
    knowledgeDir: e.KNOWLEDGE_DIR ?? packageKnowledgeDir(),
    logLevel: e.LOG_LEVEL,
    tryPage: e.TRY_PAGE === 'on',
    console: e.CONSOLE === 'on',
    consoleIdleMinutes: e.CONSOLE_IDLE_MINUTES,
    consolePublicUrl: e.CONSOLE_PUBLIC_URL ?? null,
    adminToken: e.ADMIN_TOKEN ?? null,
    adminUsers: [...new Set(e.ADMIN_USERS ?? [])],
    adminAllowFrom,
    trustedProxies,
    adminPort: e.ADMIN_PORT ?? null,
    evidenceKey,
    noticeLanguage: e.NOTICE_LANGUAGE,
  };
}
