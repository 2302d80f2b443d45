import type { Logger } from 'pino';
import type { KeyValueStore } from '../store/ports/store.ts';
import { hashUserId } from '../log.ts';
import type { BotResult, Lang } from '../platform/message.ts';
import type { CommandHandler } from './router.ts';

/** Questions one employee may ask per window before getting a slow-down reply. */
export const USER_RATE_LIMIT = 20;
/** The rate-limit window, in ms (one minute, fixed window). */
export const USER_RATE_WINDOW_MS = 60_000;

const SLOW_DOWN: Record<Lang, string> = {
  'zh-CN': '你提问得有点快了，请稍等一分钟再问。',
  'zh-TW': '你提問得有點快了，請稍等一分鐘再問。',
  en: 'You are asking a bit fast — please wait a minute and ask again.',
};

/**
 * A command that answers a polite slow-down reply once an employee has sent more than
 * `limit` messages in the current window. Counters live in the shared store, so all instances
 * count together. When the store is unreachable the question goes through (never block answers
 * on the limiter). Anonymous /try askers are limited per session id and hear the slow-down reply on every refused
 * question (a chat hears it once per window); the local CLI is not limited.
 * @param onLimited called for each refused message (metrics)
 */
export function createRateLimit(options: {
  kv: KeyValueStore;
  log: Logger;
  limit?: number;
  windowMs?: number;
  now?: () => number;
  onLimited?: (platform: string) => void;
}): CommandHandler {
  const limit = options.limit ?? USER_RATE_LIMIT;
  const windowMs = options.windowMs ?? USER_RATE_WINDOW_MS;
  const now = options.now ?? Date.now;
  return async (m, lang): Promise<BotResult | null> => {
    if (m.platform === 'cli') return null; // the operator's own terminal (e.g. `ask` over a file of questions)
    const window = Math.floor(now() / windowMs);
    let count: number;
    try {
      count = await options.kv.increment(`rate:${m.platform}:${m.userId}:${window}`, windowMs * 2);
    } catch (err) {
      options.log.warn({ err: (err as Error).message }, 'rate limiter unavailable; letting the message through');
      return null;
    }
    if (count <= limit) return null;
    options.onLimited?.(m.platform);
    options.log.info({ platform: m.platform, user: hashUserId(m.platform, m.userId) }, 'rate limited');
    // In a chat, say it once per window, then stay quiet so a flood does not become a flood of replies. The /try
    // page is request and response: a request without a reply looks like a hang there, so it hears it every time.
    const replies = count === limit + 1 || m.platform === 'try' ? [{ text: SLOW_DOWN[lang], visibility: 'chat' as const, mentionAsker: m.chat.kind === 'group' }] : [];
    return { intent: 'rate-limited', topic: null, score: 0, suggestions: [], lang, replies };
  };
}
