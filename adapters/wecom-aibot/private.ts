import type { Logger } from 'pino';
import { hashUserId } from '../../src/log.ts';
import type { WecomClient } from '../wecom/outbound.ts';
import { errorSummary } from './replies.ts';

/**
 * 1:1 delivery of the asker's private replies (their own archiving status) through the WeCom
 * self-built app's `message/send` (developer.work.weixin.qq.com/document/path/90236) — the AI bot
 * itself can only answer in the chat it was asked in, which in a group is the whole group.
 */

/** Sends texts 1:1 to one member; resolves to the number of app messages sent (0 when dropped). */
export type PrivateDelivery = (userId: string, texts: string[]) => Promise<number>;

/**
 * @param client the self-built app's client (createWecomClient), or null when WECOM_* is not
 *   configured: then private replies are dropped with a warning (the group still gets its answer,
 *   which never holds anything personal)
 * @returns a delivery function; it throws the client's error (WecomApiError / BotError) after logging it
 */
export function createPrivateDelivery(client: Pick<WecomClient, 'sendText'> | null, log: Logger): PrivateDelivery {
  return async (userId, texts) => {
    const parts = texts.filter((t) => t.trim() !== '');
    if (parts.length === 0) return 0;
    const user = hashUserId('wecom', userId);
    if (client === null) {
      log.warn({ user, dropped: parts.length }, 'wecom-aibot private reply dropped: the WeCom self-built app (WECOM_*) is not configured');
      return 0;
    }
    let sent = 0;
    try {
      for (const text of parts) sent += await client.sendText(userId, text);
    } catch (err) {
      log.error({ user, sent, err: errorSummary(err) }, 'wecom-aibot private reply via message/send failed');
      throw err;
    }
    log.info({ user, sent }, 'wecom-aibot private replies sent 1:1');
    return sent;
  };
}
