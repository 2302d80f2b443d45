import { createHash } from 'node:crypto';
import { z } from 'zod';
import { RequestError } from '../../src/errors.ts';
import type { InboundMessage, Lang } from '../../src/platform/message.ts';
import { adapterRequestError } from '../errors.ts';
import { isSingleNoticeLanguage } from '../kit/notice-language.ts';

/** Platform id used in InboundMessage.platform, logs and store keys. */
export const FEISHU_PLATFORM = 'feishu';

/**
 * Parsing Feishu callbacks (v2 schema) into what the adapter acts on.
 * Source: https://open.feishu.cn/document/server-docs/im-v1/message/events/receive,
 * https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-callback-communication,
 * https://open.feishu.cn/document/server-docs/im-v1/message/events/message_read
 */

const idsSchema = z.looseObject({ open_id: z.string().min(1).optional(), user_id: z.string().optional(), union_id: z.string().optional() });

/** The v2 header (`"schema":"2.0"`). */
export const headerSchema = z.looseObject({
  event_id: z.string().min(1),
  event_type: z.string().min(1),
  token: z.string().optional(),
  app_id: z.string().optional(),
  tenant_key: z.string().optional(),
  create_time: z.string().optional(),
});
/** A validated v2 header. */
export type FeishuHeader = z.infer<typeof headerSchema>;

const mentionSchema = z.looseObject({
  key: z.string().min(1),
  id: idsSchema.optional(),
  name: z.string().optional(),
  mentioned_type: z.string().optional(),
});

/** `event` of im.message.receive_v1. */
export const messageEventSchema = z.looseObject({
  sender: z.looseObject({
    sender_id: idsSchema.optional(),
    sender_type: z.string().optional(),
    tenant_key: z.string().optional(),
  }),
  message: z.looseObject({
    message_id: z.string().min(1).max(256),
    chat_id: z.string().min(1),
    chat_type: z.string().min(1),
    message_type: z.string().min(1),
    content: z.string(),
    mentions: z.array(mentionSchema).optional(),
  }),
});

/** `event` of card.action.trigger (the new card callback). */
export const cardActionSchema = z.looseObject({
  operator: z.looseObject({ open_id: z.string().min(1), tenant_key: z.string().optional() }),
  action: z.looseObject({ value: z.unknown().optional(), tag: z.string().optional() }),
  context: z.looseObject({ open_message_id: z.string().min(1), open_chat_id: z.string().optional() }).optional(),
});

/** `event` of im.message.message_read_v1. */
export const readEventSchema = z.looseObject({
  reader: z.looseObject({ reader_id: idsSchema, read_time: z.union([z.string(), z.number()]).optional() }),
  message_id_list: z.array(z.string().min(1)),
});

/** What one callback body is. */
export type FeishuCallback =
  | { kind: 'challenge'; challenge: string; token: unknown }
  | { kind: 'event'; header: FeishuHeader; event: unknown }
  /** v1 schema or a legacy card callback: answered 200, not handled. */
  | { kind: 'legacy' };

function bad(field: string, reason: string): RequestError {
  return adapterRequestError('FEISHU_BAD_REQUEST', `${field}: ${reason}`);
}

/**
 * Classifies a decrypted, JSON-parsed callback body.
 * @throws RequestError FEISHU_BAD_REQUEST (400) for a body that is no object, a challenge without
 *   a string `challenge`, or a v2 body without a valid header
 */
export function classifyCallback(body: unknown): FeishuCallback {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bad('body', 'not a JSON object');
  const b = body as Record<string, unknown>;
  if (b.type === 'url_verification') {
    if (b.challenge === undefined || b.challenge === '') throw bad('challenge', 'required');
    if (typeof b.challenge !== 'string') {
      const got = Array.isArray(b.challenge) ? 'an array' : b.challenge === null ? 'null' : typeof b.challenge === 'object' ? 'an object' : `a ${typeof b.challenge}`;
      throw bad('challenge', `must be a string, got ${got}`);
    }
    return { kind: 'challenge', challenge: b.challenge, token: b.token };
  }
  if (b.schema === undefined) return { kind: 'legacy' };
  const h = headerSchema.safeParse(b.header);
  if (!h.success) {
    const issue = h.error.issues[0]!;
    throw bad(['header', ...issue.path].join('.'), issue.message);
  }
  return { kind: 'event', header: h.data, event: b.event };
}

/**
 * Turns the flattened object the SDK's EventDispatcher hands a handler (header fields merged into
 * the event) back into a v2 header and event, so both modes share one path.
 * Source: @larksuiteoapi/node-sdk 1.74.0 lib/index.js RequestHandle.parse
 */
export function fromDispatcherData(data: Record<string, unknown>, eventType: string): { header: FeishuHeader; event: Record<string, unknown> } {
  const { event_id, event_type, token, app_id, tenant_key, create_time, schema: _schema, ...event } = data;
  const header = headerSchema.parse({ event_id, event_type: typeof event_type === 'string' ? event_type : eventType, token, app_id, tenant_key, create_time });
  return { header, event };
}

/** What the outbound side needs to answer one message; kept by the adapter. */
export interface FeishuReplyTarget {
  chatType: 'p2p' | 'group';
  chatId: string;
  /** The message to reply to in the chat; null for card clicks (answers go 1:1). */
  messageId: string | null;
  /** The asker's open_id (1:1 sends, @-mention in groups); null when unknown. */
  openId: string | null;
  /** False for askers outside the tenant: nothing personal, nothing 1:1. */
  member: boolean;
}

/** Result of converting one message event. */
export type FeishuInbound =
  | { action: 'handle'; message: InboundMessage; target: FeishuReplyTarget }
  | { action: 'ignore'; reason: 'group-without-mention' | 'not-from-user' | 'unsupported-chat'; messageId: string };

/** Text of a `post` (rich text) content: the text, link and @ elements of every locale, in order. */
function postText(content: Record<string, unknown>): string {
  const blocks: unknown[] = [];
  const add = (p: unknown): void => {
    if (p && typeof p === 'object' && Array.isArray((p as { content?: unknown }).content)) {
      const o = p as { title?: unknown; content: unknown[] };
      if (typeof o.title === 'string' && o.title.trim() !== '') blocks.push([{ tag: 'text', text: o.title }]);
      blocks.push(...o.content);
    }
  };
  if (Array.isArray(content.content)) add(content);
  else for (const v of Object.values(content)) if (v && typeof v === 'object') { add(v); break; }
  const lines: string[] = [];
  for (const line of blocks) {
    if (!Array.isArray(line)) continue;
    lines.push(
      line
        .map((el: { tag?: unknown; text?: unknown; user_id?: unknown }) => {
          if (el.tag === 'text' || el.tag === 'a') return typeof el.text === 'string' ? el.text : '';
          if (el.tag === 'at') return typeof el.user_id === 'string' ? el.user_id : '';
          return '';
        })
        .join(''),
    );
  }
  return lines.join('\n');
}

/**
 * The question text: `@_user_N` placeholders of the bot (and `@_all`) removed, other people's
 * replaced by "@name"; whitespace trimmed.
 * @param isBot whether a mention entry is this bot
 */
export function stripMentions(text: string, mentions: z.infer<typeof mentionSchema>[], isBot: (m: z.infer<typeof mentionSchema>) => boolean): string {
  let t = text;
  // Longest keys first: "@_user_10" before "@_user_1".
  for (const m of [...mentions].sort((a, b) => b.key.length - a.key.length)) {
    t = t.split(m.key).join(isBot(m) ? ' ' : m.name ? `@${m.name}` : ' ');
  }
  t = t.split('@_all').join(' ');
  return t.replace(/[ \t\u00a0]+/g, ' ').replace(/ *\n */g, '\n').trim();
}

/** Options of {@link toInboundMessage}. */
export interface InboundOptions {
  /** The bot's own open_id; null = unknown (then a mention with mentioned_type 'bot' counts). */
  botOpenId: string | null;
  /** Reception time, ms since the epoch. */
  receivedAt: number;
}

/**
 * Converts an im.message.receive_v1 event.
 * - 1:1 (`p2p`) messages are always handled; group messages only when the bot is @-mentioned
 *   (its open_id in `mentions[]`), else 'ignore'. Other chat types: 'ignore'.
 * - Messages not sent by a user (`sender_type` other than 'user': apps, bots): 'ignore'.
 * - userId = the sender's open_id. A sender whose `tenant_key` differs from the event's (another
 *   organisation, in an external group) is handled as anonymous (FAQ only, nothing 1:1).
 * - `text` → kind 'text' (placeholders stripped); `post` → 'text' from its text elements; any other
 *   message_type → 'non-text'.
 * @throws RequestError FEISHU_BAD_REQUEST (400) when the event does not have the documented shape
 */
export function toInboundMessage(header: FeishuHeader, rawEvent: unknown, options: InboundOptions): FeishuInbound {
  const parsed = messageEventSchema.safeParse(rawEvent);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw bad(['event', ...issue.path].join('.'), issue.message);
  }
  const { sender, message: m } = parsed.data;
  if (sender.sender_type !== undefined && sender.sender_type !== 'user') return { action: 'ignore', reason: 'not-from-user', messageId: m.message_id };
  if (m.chat_type !== 'p2p' && m.chat_type !== 'group') return { action: 'ignore', reason: 'unsupported-chat', messageId: m.message_id };
  const openId = sender.sender_id?.open_id ?? null;
  if (!openId) throw bad('event.sender.sender_id.open_id', 'required');
  const mentions = m.mentions ?? [];
  const isBot = (x: z.infer<typeof mentionSchema>): boolean =>
    options.botOpenId !== null ? x.id?.open_id === options.botOpenId : x.mentioned_type === 'bot';
  const mentioned = mentions.some(isBot);
  const isGroup = m.chat_type === 'group';
  if (isGroup && !mentioned) return { action: 'ignore', reason: 'group-without-mention', messageId: m.message_id };
  let text = '';
  let kind: InboundMessage['kind'] = 'non-text';
  if (m.message_type === 'text' || m.message_type === 'post') {
    let content: Record<string, unknown>;
    try {
      content = JSON.parse(m.content) as Record<string, unknown>;
    } catch {
      throw bad('event.message.content', 'not a JSON string');
    }
    const rawText = m.message_type === 'text' ? (typeof content.text === 'string' ? content.text : '') : postText(content);
    text = stripMentions(rawText, mentions, isBot);
    kind = 'text';
  }
  const member = sender.tenant_key === undefined || header.tenant_key === undefined || sender.tenant_key === header.tenant_key;
  const message: InboundMessage = {
    platform: FEISHU_PLATFORM,
    tenant: header.tenant_key ?? header.app_id ?? 'feishu',
    userId: openId,
    chat: isGroup ? { kind: 'group', chatId: m.chat_id } : { kind: 'single' },
    kind,
    text,
    mentionedBot: mentioned,
    messageId: m.message_id,
    receivedAt: options.receivedAt,
  };
  if (!member) {
    message.anonymous = true;
    message.canReplyPrivately = false;
  }
  return {
    action: 'handle',
    message,
    target: { chatType: isGroup ? 'group' : 'p2p', chatId: m.chat_id, messageId: m.message_id, openId, member },
  };
}

/** The acknowledge key a notice card's button carries in `behaviors[].value` (see ./cards.ts). */
export const CARD_ACK_FIELD = 'ack';

/** The language a single-language notice card's button carries beside the key ('zh-CN' | 'zh-TW' | 'en'; absent on a bilingual card). */
export const CARD_LANG_FIELD = 'lang';

/** A card click converted: the ack message and its dedup id, or not an acknowledge button. */
export type FeishuCardClick =
  | {
      action: 'handle';
      message: InboundMessage;
      target: FeishuReplyTarget;
      cardMessageId: string;
      ackKey: string;
      /** The card's single language (its button's `lang`), null for a bilingual card. */
      language: Lang | null;
    }
  | { action: 'ignore'; reason: 'not-an-ack-button' };

/**
 * Converts a card.action.trigger event: a button whose value is `{"ack":"ack:<notice>:<version>"}`
 * (and, on a single-language card, `"lang"`: its language, returned as `language`)
 * becomes an 'ack-action' message from the operator in the 1:1 chat, with messageId
 * `card:<sha256(open_message_id, operator, key) 32 hex>` — the same for every click of the same
 * person on the same card, so a second click is a duplicate.
 * @throws RequestError FEISHU_BAD_REQUEST (400) when the event does not have the documented shape
 */
export function toCardClick(header: FeishuHeader, rawEvent: unknown, receivedAt: number): FeishuCardClick {
  const parsed = cardActionSchema.safeParse(rawEvent);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw bad(['event', ...issue.path].join('.'), issue.message);
  }
  const e = parsed.data;
  const value = e.action.value;
  const ackKey = value && typeof value === 'object' ? (value as Record<string, unknown>)[CARD_ACK_FIELD] : undefined;
  if (typeof ackKey !== 'string' || ackKey === '' || !e.context) return { action: 'ignore', reason: 'not-an-ack-button' };
  const cardMessageId = e.context.open_message_id;
  const lang = (value as Record<string, unknown>)[CARD_LANG_FIELD];
  const id = createHash('sha256').update(`${cardMessageId}\u0000${e.operator.open_id}\u0000${ackKey}`).digest('hex').slice(0, 32);
  const member = e.operator.tenant_key === undefined || header.tenant_key === undefined || e.operator.tenant_key === header.tenant_key;
  const message: InboundMessage = {
    platform: FEISHU_PLATFORM,
    tenant: header.tenant_key ?? header.app_id ?? 'feishu',
    userId: e.operator.open_id,
    chat: { kind: 'single' },
    kind: 'ack-action',
    text: ackKey,
    mentionedBot: true,
    messageId: `card:${id}`,
    receivedAt,
  };
  if (!member) message.anonymous = true;
  return {
    action: 'handle',
    message,
    target: { chatType: 'p2p', chatId: e.context.open_chat_id ?? '', messageId: null, openId: e.operator.open_id, member },
    cardMessageId,
    ackKey,
    language: isSingleNoticeLanguage(lang) ? lang : null,
  };
}

/** Read receipts of one im.message.message_read_v1 event. */
export interface FeishuReads {
  readerOpenId: string;
  /** ms since the epoch (the event's read_time; `fallback` when absent). */
  readAt: number;
  messageIds: string[];
}

/**
 * Converts an im.message.message_read_v1 event.
 * @param fallback read time when the event carries none (ms)
 * @throws RequestError FEISHU_BAD_REQUEST (400) when the event does not have the documented shape
 */
export function toReads(rawEvent: unknown, fallback: number): FeishuReads {
  const parsed = readEventSchema.safeParse(rawEvent);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw bad(['event', ...issue.path].join('.'), issue.message);
  }
  const r = parsed.data;
  const openId = r.reader.reader_id.open_id;
  if (!openId) throw bad('event.reader.reader_id.open_id', 'required');
  const t = Number(r.reader.read_time);
  return { readerOpenId: openId, readAt: Number.isFinite(t) && t > 0 ? (t < 1e12 ? t * 1000 : t) : fallback, messageIds: r.message_id_list };
}
