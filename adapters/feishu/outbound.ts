import type { Logger } from 'pino';
import type { Reply } from '../../src/platform/message.ts';
import { hashUserId } from '../../src/log.ts';
import { sanitizeReplyText, splitTextByBytes } from '../kit/split.ts';
import { idempotencyKey, type FeishuApi } from './api.ts';
import { FEISHU_PLATFORM, type FeishuReplyTarget } from './inbound.ts';
import { TEXT_PART_MAX_BYTES } from './limits.ts';

/**
 * Delivering the core's replies on Feishu.
 * Source: https://open.feishu.cn/document/server-docs/im-v1/message/reply,
 * https://open.feishu.cn/document/server-docs/im-v1/message/create,
 * https://open.feishu.cn/document/server-docs/im-v1/message-content-description/create_json (text, <at>)
 */

/** Counts of text parts per path, for logs and tests. */
export interface FeishuDeliveryReport {
  /** Parts sent with im/v1/messages/:id/reply into the chat of the question. */
  chat: number;
  /** Parts sent 1:1 with im/v1/messages?receive_id_type=open_id. */
  private: number;
  /** Parts not sent (no open_id, an asker outside the tenant for a private reply, or a failed call). */
  failed: number;
}

/** The `content` of a text message: a JSON string `{"text":"…"}`. */
export function textContent(text: string): string {
  return JSON.stringify({ text });
}

/** `<at user_id="ou_…"></at>` for an @-mention in text (Feishu fills in the name). */
export function atMention(openId: string): string {
  return `<at user_id="${openId.replace(/[^A-Za-z0-9_-]/g, '')}"></at>`;
}

/** What delivery needs. */
export interface FeishuDeliveryDeps {
  api: Pick<FeishuApi, 'send' | 'reply'>;
  log: Logger;
  /** Part size in bytes (default {@link TEXT_PART_MAX_BYTES}; smaller in tests). */
  partMaxBytes?: number;
}

/**
 * Delivers the replies to one message, in order, each split into parts of at most
 * {@link TEXT_PART_MAX_BYTES} bytes.
 * - 'private': 1:1 to the asker's open_id (`receive_id_type=open_id`) — never into a group. An asker
 *   outside the tenant (or without open_id) gets no private reply (dropped and logged).
 * - 'chat': a reply to the question's message (in a group the first part starts with an @-mention
 *   of the asker when `mentionAsker`); for a card click (no message) 1:1 to the asker.
 * Every send carries a `uuid` derived from (message id, reply index, part index), so a redelivery
 * or retry inside Feishu's 1 h window is not shown twice. A failing reply stops its remaining parts
 * and is logged by code; the next reply is still tried. Never throws; logs carry hashed ids only.
 * @param sourceId the question's message id (or the card click's id), for the idempotency keys
 */
export async function deliverFeishuReplies(replies: Reply[], target: FeishuReplyTarget, sourceId: string, deps: FeishuDeliveryDeps): Promise<FeishuDeliveryReport> {
  const report: FeishuDeliveryReport = { chat: 0, private: 0, failed: 0 };
  const user = target.openId ? hashUserId(FEISHU_PLATFORM, target.openId) : 'anonymous';
  const max = deps.partMaxBytes ?? TEXT_PART_MAX_BYTES;
  for (let r = 0; r < replies.length; r++) {
    const reply = replies[r]!;
    const parts = splitTextByBytes(sanitizeReplyText(reply.text), max);
    if (parts.length === 0) continue;
    const toPerson = reply.visibility === 'private' || target.messageId === null;
    if (toPerson && (!target.openId || (reply.visibility === 'private' && !target.member))) {
      report.failed += parts.length;
      deps.log.warn({ user }, 'private reply dropped: the asker cannot be reached 1:1');
      continue;
    }
    for (let i = 0; i < parts.length; i++) {
      const uuid = idempotencyKey('feishu-reply', sourceId, String(r), String(i));
      try {
        if (toPerson) {
          await deps.api.send('open_id', target.openId!, 'text', textContent(parts[i]!), uuid);
          report.private++;
        } else {
          const mention = i === 0 && target.chatType === 'group' && reply.mentionAsker === true && target.openId ? `${atMention(target.openId)} ` : '';
          // 1:1 replies are paced with the person's 1:1 sends (one 5 QPS budget per person), group replies per chat.
          const paceKey = target.chatType === 'p2p' && target.openId ? target.openId : target.chatId;
          await deps.api.reply(target.messageId!, paceKey, 'text', textContent(mention + parts[i]!), uuid);
          report.chat++;
        }
      } catch (err) {
        report.failed += parts.length - i;
        const e = err as { code?: string; feishuCode?: number; message?: string };
        deps.log.error({ user, code: e.code, feishuCode: e.feishuCode }, 'reply not delivered');
        break;
      }
    }
  }
  return report;
}
