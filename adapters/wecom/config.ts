import { z } from 'zod';
import { allOrNone, httpUrl, parseVariables, readVariables } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';

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

/**
 * WeCom session-content archive (会话内容存档) sync (docs/PROTOCOLS.md, WeCom archive). Needs `wecom` too.
 * developer.work.weixin.qq.com/document/path/91614
 */
export interface WecomArchiveConfig {
  /** The archive's own Secret (管理工具 → 会话内容存档); the app Secret gets 48002 on msgaudit APIs. */
  secret: string;
  /** Minutes between two syncs of the archived-member list (1–1440, default 10). */
  syncMinutes: number;
}

/** The variables that enable WeCom: all or none. */
export const WECOM_REQUIRED = ['WECOM_CORP_ID', 'WECOM_AGENT_ID', 'WECOM_SECRET', 'WECOM_TOKEN', 'WECOM_ENCODING_AES_KEY'] as const;

/** Every variable of the WeCom self-built app and its archive sync (README "Configuration"). */
export const WECOM_VARIABLES = [...WECOM_REQUIRED, 'WECOM_API_BASE', 'WECOM_ARCHIVE_SECRET', 'WECOM_ARCHIVE_SYNC_MINUTES'] as const;

/** Default API base of the WeCom server API. */
export const WECOM_API_BASE = 'https://qyapi.weixin.qq.com';

/** Default minutes between two syncs of the archived-member list. */
export const WECOM_ARCHIVE_SYNC_MINUTES = 10;

const schema = z.object({
  WECOM_CORP_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be the CorpID from 我的企业 → 企业ID').optional(),
  WECOM_AGENT_ID: z.coerce.number().int().positive('must be the app AgentId, a positive integer').optional(),
  WECOM_SECRET: z.string().min(1).optional(),
  WECOM_TOKEN: z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'must be 1–32 letters or digits (the callback Token)').optional(),
  WECOM_ENCODING_AES_KEY: z.string().regex(/^[A-Za-z0-9]{43}$/, 'must be exactly 43 letters or digits').optional(),
  WECOM_API_BASE: httpUrl.default(WECOM_API_BASE),
  WECOM_ARCHIVE_SECRET: z.string().min(1).optional(),
  WECOM_ARCHIVE_SYNC_MINUTES: z.coerce.number().int().min(1, 'must be 1–1440 minutes').max(1440, 'must be 1–1440 minutes').default(WECOM_ARCHIVE_SYNC_MINUTES),
});

/**
 * Reads the WeCom variables.
 * @returns `wecom` null when none of {@link WECOM_REQUIRED} is set; `wecomArchive` null when
 *   WECOM_ARCHIVE_SECRET is unset (statuses then come from imports and policies only)
 * @throws ConfigError naming the bad or missing variable (a partial block; an archive secret without WeCom)
 */
export function loadWecomConfig(env: NodeJS.ProcessEnv): { wecom: WecomConfig | null; wecomArchive: WecomArchiveConfig | null } {
  const raw = readVariables(env, WECOM_VARIABLES);
  const e = parseVariables(schema, raw);
  const on = allOrNone(raw, WECOM_REQUIRED, 'WeCom');
  if (e.WECOM_ARCHIVE_SECRET !== undefined && !on) {
    throw new ConfigError(`WECOM_ARCHIVE_SECRET is set but WeCom is not: set ${WECOM_REQUIRED.join(', ')} too, or unset WECOM_ARCHIVE_SECRET`);
  }
  return {
    wecom: on
      ? {
          corpId: e.WECOM_CORP_ID!,
          agentId: e.WECOM_AGENT_ID!,
          secret: e.WECOM_SECRET!,
          token: e.WECOM_TOKEN!,
          encodingAESKey: e.WECOM_ENCODING_AES_KEY!,
          apiBase: e.WECOM_API_BASE,
        }
      : null,
    wecomArchive: e.WECOM_ARCHIVE_SECRET !== undefined ? { secret: e.WECOM_ARCHIVE_SECRET, syncMinutes: e.WECOM_ARCHIVE_SYNC_MINUTES } : null,
  };
}
