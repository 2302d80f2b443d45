import { z } from 'zod';
import { parseVariables, readVariables, withoutTrailingSlashes } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';

/**
 * WeCom AI bot (企业微信 智能机器人) for group chats and 1:1 (docs/PROTOCOLS.md, WeCom AI bot).
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

/** Every WeCom AI bot variable (README "Configuration"). */
export const WECOM_AIBOT_VARIABLES = [
  'WECOM_AIBOT_MODE', 'WECOM_AIBOT_TOKEN', 'WECOM_AIBOT_ENCODING_AES_KEY', 'WECOM_AIBOT_BOT_ID', 'WECOM_AIBOT_SECRET', 'WECOM_AIBOT_WS_URL',
] as const;

/** Default long-connection endpoint. */
export const WECOM_AIBOT_WS_URL = 'wss://openws.work.weixin.qq.com';

const schema = z.object({
  WECOM_AIBOT_MODE: z.enum(['http', 'ws']).optional(),
  WECOM_AIBOT_TOKEN: z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'must be 1–32 letters or digits (the AI bot callback Token)').optional(),
  WECOM_AIBOT_ENCODING_AES_KEY: z.string().regex(/^[A-Za-z0-9]{43}$/, 'must be exactly 43 letters or digits').optional(),
  WECOM_AIBOT_BOT_ID: z.string().min(1).optional(),
  WECOM_AIBOT_SECRET: z.string().min(1).optional(),
  WECOM_AIBOT_WS_URL: z
    .string()
    .url()
    .refine((u) => /^wss?:\/\//.test(u), 'must start with ws:// or wss://')
    .default(WECOM_AIBOT_WS_URL),
});

/**
 * The AI bot block: enabled when any WECOM_AIBOT_* credential or the mode is set; the mode
 * (default http) decides which pair is required.
 * @returns null when no WECOM_AIBOT_* variable other than WECOM_AIBOT_WS_URL is set
 * @throws ConfigError naming the bad or missing variable
 */
export function loadWecomAibotConfig(env: NodeJS.ProcessEnv): WecomAibotConfig | null {
  const raw = readVariables(env, WECOM_AIBOT_VARIABLES);
  const e = parseVariables(schema, raw);
  const names = WECOM_AIBOT_VARIABLES.filter((n) => n !== 'WECOM_AIBOT_WS_URL');
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
