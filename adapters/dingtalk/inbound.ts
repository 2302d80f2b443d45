import { z } from 'zod';
import { RequestError } from '../../src/errors.ts';
import type { InboundMessage } from '../../src/platform/message.ts';
import { cutToUtf8Bytes } from '../../src/text-cap.ts';
import { INBOUND_TEXT_MAX_BYTES } from './limits.ts';
import { adapterRequestError } from '../errors.ts';

/** Platform id used in InboundMessage.platform, logs and store keys. */
export const DINGTALK_PLATFORM = 'dingtalk';

/**
 * The fields of an HTTP-mode robot callback body the adapter reads (other fields are kept but
 * ignored). Source: https://open.dingtalk.com/document/orgapp/receive-message (docs/PROTOCOLS.md §3.1).
 */
export const robotMessageSchema = z.looseObject({
  msgId: z.string().min(1).max(256),
  msgtype: z.string().min(1),
  text: z.looseObject({ content: z.string() }).optional(),
  /** '1' = one-to-one, '2' = group (a string, not a number). */
  conversationType: z.enum(['1', '2']),
  conversationId: z.string().min(1).optional(),
  senderId: z.string().min(1).optional(),
  senderNick: z.string().optional(),
  senderCorpId: z.string().min(1).optional(),
  /** The sender's userid in the org; absent for people outside the org. */
  senderStaffId: z.string().min(1).optional(),
  chatbotCorpId: z.string().min(1).optional(),
  isInAtList: z.boolean().optional(),
  sessionWebhook: z.string().min(1).optional(),
  /** ms since the epoch. */
  sessionWebhookExpiredTime: z.number().optional(),
  robotCode: z.string().min(1),
});

/** A validated robot callback body. */
export type RobotMessage = z.infer<typeof robotMessageSchema>;

/**
 * What the outbound side needs to answer one message; kept by the adapter, never given to the core.
 */
export interface DingtalkReplyTarget {
  /** '1' one-to-one, '2' group. */
  conversationType: '1' | '2';
  /** The conversation id (`openConversationId` for groupMessages/send); null when absent (1:1 only). */
  conversationId: string | null;
  /** senderStaffId (userid): the only id batchSend accepts; null for senders outside the org. */
  staffId: string | null;
  /** senderNick for the "@nick " prefix on groupMessages/send; null when absent. */
  senderNick: string | null;
  /** sessionWebhook URL, or null when absent. */
  sessionWebhook: string | null;
  /** sessionWebhookExpiredTime in ms since the epoch, or null when absent. */
  sessionWebhookExpiresAt: number | null;
}

/** Result of converting one callback: handle it, or answer 200 and do nothing. */
export type DingtalkInbound =
  | { action: 'handle'; message: InboundMessage; target: DingtalkReplyTarget }
  | { action: 'ignore'; reason: 'group-without-mention'; messageId: string };

/** What the converter needs from the configuration. */
export interface InboundOptions {
  /** The configured robotCode; a body for any other robot is rejected. */
  robotCode: string;
  /** Reception time, ms since the epoch. */
  receivedAt: number;
}

/** "@name" followed by U+2005 (the separator DingTalk puts after a mention) anywhere in the text. */
const MENTION_WITH_U2005 = /@[^\s@\u2005]{1,64}\u2005/gu;
/** Leading "@name " fragments (one or more), left where a client did not strip the bot's mention. */
const LEADING_MENTIONS = /^(?:@[^\s@\u2005]{1,64}[\s\u2005]+)+/u;

/**
 * The question text of a text message: `text.content` without @-mention leftovers (leading
 * "@Name " fragments and any "@Name\u2005"), trimmed (JS trim also removes U+2005).
 * @param content text.content as received (characters)
 */
export function cleanDingtalkText(content: string): string {
  let t = content.replace(MENTION_WITH_U2005, ' ').trim();
  t = t.replace(LEADING_MENTIONS, '').trim();
  return t;
}

/**
 * Converts a parsed callback body into an {@link InboundMessage} plus the reply target.
 *
 * Decisions:
 * - Group messages ('2') are handled only when `isInAtList` is true; otherwise 'ignore' (answer 200,
 *   send nothing). One-to-one messages are always handled.
 * - A sender without `senderStaffId` (outside the org, e.g. an external contact in a group) is
 *   handled as anonymous (`anonymous: true`, userId = the encrypted `senderId`): the FAQ is public
 *   and useful to them too, but the core gives anonymous askers nothing personal, and the adapter
 *   never sends private replies without a staffId. A body with neither id is rejected.
 * - tenant = chatbotCorpId ?? senderCorpId ?? robotCode.
 * - msgtype 'text' → kind 'text': `text.content` cut to {@link INBOUND_TEXT_MAX_BYTES}, then {@link cleanDingtalkText}; any other msgtype → 'non-text', text ''.
 *
 * @param body the JSON-parsed request body
 * @throws RequestError DINGTALK_BAD_REQUEST (400) when the body does not have the documented shape
 *   (the message names the first bad field); DINGTALK_WRONG_ROBOT (403) when `robotCode` is not the
 *   configured one (the signature was valid, so the caller is known but the message is not for us).
 * Source: https://open.dingtalk.com/document/orgapp/receive-message
 */
export function toInboundMessage(body: unknown, options: InboundOptions): DingtalkInbound {
  const parsed = robotMessageSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length > 0 ? issue.path.join('.') : 'body';
    throw adapterRequestError('DINGTALK_BAD_REQUEST', `${field}: ${issue.message}`);
  }
  const m = parsed.data;
  if (m.robotCode !== options.robotCode) {
    throw adapterRequestError('DINGTALK_WRONG_ROBOT', 'robotCode is not the configured robot');
  }
  const isGroup = m.conversationType === '2';
  if (isGroup && !m.conversationId) {
    throw adapterRequestError('DINGTALK_BAD_REQUEST', 'conversationId: required for group messages');
  }
  if (isGroup && m.isInAtList !== true) {
    return { action: 'ignore', reason: 'group-without-mention', messageId: m.msgId };
  }
  const userId = m.senderStaffId ?? m.senderId;
  if (!userId) {
    throw adapterRequestError('DINGTALK_BAD_REQUEST', 'senderStaffId or senderId: one is required');
  }
  if (m.msgtype === 'text' && m.text === undefined) {
    throw adapterRequestError('DINGTALK_BAD_REQUEST', 'text: required for msgtype text');
  }
  const isText = m.msgtype === 'text';
  // Cut to the platform's limit before anything (a regular expression, normalisation) reads it.
  const content = isText ? cutToUtf8Bytes(m.text!.content, INBOUND_TEXT_MAX_BYTES) : '';
  const message: InboundMessage = {
    platform: DINGTALK_PLATFORM,
    tenant: m.chatbotCorpId ?? m.senderCorpId ?? m.robotCode,
    userId,
    chat: isGroup ? { kind: 'group', chatId: m.conversationId! } : { kind: 'single' },
    kind: isText ? 'text' : 'non-text',
    text: isText ? cleanDingtalkText(content) : '',
    mentionedBot: m.isInAtList === true,
    messageId: m.msgId,
    receivedAt: options.receivedAt,
  };
  if (m.senderStaffId === undefined) message.anonymous = true;
  if (isText && content.length < m.text!.content.length) message.truncated = true;
  return {
    action: 'handle',
    message,
    target: {
      conversationType: m.conversationType,
      conversationId: m.conversationId ?? null,
      staffId: m.senderStaffId ?? null,
      senderNick: m.senderNick && m.senderNick.trim() !== '' ? m.senderNick.trim() : null,
      sessionWebhook: m.sessionWebhook ?? null,
      sessionWebhookExpiresAt: m.sessionWebhookExpiredTime ?? null,
    },
  };
}
