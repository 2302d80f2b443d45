import { z } from 'zod';
import { RequestError } from '../../src/errors.ts';
import type { Chat, InboundKind, InboundMessage } from '../../src/platform/message.ts';
import { cutToUtf8Bytes } from '../../src/text-cap.ts';
import { AIBOT_INBOUND_TEXT_MAX_BYTES } from './limits.ts';
import { adapterRequestError } from '../errors.ts';

/**
 * Converter: a decrypted AI-bot callback (HTTP mode) or the body of an `aibot_msg_callback` /
 * `aibot_event_callback` frame (long connection) -> what the adapter does with it.
 * Formats: developer.work.weixin.qq.com/document/path/100719 (接收消息), /path/101031 (stream refresh);
 * docs/PROTOCOLS.md §2.5.
 *
 * - msgtype text -> kind 'text' (mentions stripped, see {@link stripMentions});
 * - voice with a transcription (`voice.content`) -> 'text'; without one -> 'non-text';
 * - mixed -> 'text' with its text items joined by line breaks (images dropped); no text item -> 'non-text';
 * - image, file, video and any other message type -> 'non-text';
 * - event enter_chat -> 'enter' (answered with a welcome); template_card_event -> 'ack-action'
 *   (text = event_key); feedback_event, disconnected_event and other events -> ignored;
 * - msgtype stream -> a stream refresh callback: answer with the stored state of `stream.id`.
 * Platform is 'wecom': an AI bot lives in the same corp as the self-built app, so UserIDs — and the
 * archiving statuses keyed by them — are the same. In groups `chat` is { group, chatId } and
 * `mentionedBot` is true (the bot only receives messages that @-mention it).
 */

/** The fields we use of a decrypted callback; unknown fields are ignored. */
export const aibotCallbackSchema = z.object({
  msgid: z.union([z.string().min(1), z.number().int()]).transform(String).optional(),
  aibotid: z.string().optional(),
  chatid: z.string().optional(),
  chattype: z.enum(['single', 'group']).optional(),
  from: z.object({ userid: z.string().min(1), corpid: z.string().optional() }).optional(),
  create_time: z.union([z.number(), z.string()]).transform(String).optional(),
  response_url: z.string().optional(),
  msgtype: z.string().min(1),
  text: z.object({ content: z.string() }).optional(),
  voice: z.object({ content: z.string().optional() }).optional(),
  mixed: z
    .object({ msg_item: z.array(z.object({ msgtype: z.string(), text: z.object({ content: z.string() }).optional() })) })
    .optional(),
  stream: z.object({ id: z.string().min(1) }).optional(),
  event: z
    .object({ eventtype: z.string().min(1), event_key: z.string().optional(), task_id: z.string().optional() })
    .optional(),
});

/** A validated callback. */
export type AibotCallback = z.infer<typeof aibotCallbackSchema>;

/** How the core's answer to a handled callback is delivered. */
export type AibotAnswerMode =
  /** as a stream (a message in the chat it came from) */
  | 'stream'
  /** as the `enter_chat` welcome (`text`) */
  | 'welcome'
  /** nothing passive: every reply goes 1:1 to the sender (card clicks) */
  | 'private-only';

/** What to do with one callback. */
export type AibotInbound =
  | { action: 'handle'; message: InboundMessage; dedupKey: string; mode: AibotAnswerMode }
  | { action: 'refresh'; streamId: string }
  | { action: 'ignore'; /** e.g. 'event:feedback_event', for logs */ reason: string };

/**
 * Parses and validates a callback's JSON text.
 * @throws RequestError AIBOT_BAD_MESSAGE (400) when it is not JSON or lacks a field we need
 */
export function parseAibotCallback(json: string): AibotCallback {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw adapterRequestError('AIBOT_BAD_MESSAGE', 'decrypted message is not JSON');
  }
  return validateAibotCallback(raw);
}

/**
 * Validates an already-parsed callback (a long-connection frame's body).
 * @throws RequestError AIBOT_BAD_MESSAGE (400) naming the first bad field
 */
export function validateAibotCallback(raw: unknown): AibotCallback {
  const parsed = aibotCallbackSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.join('.') : 'message';
    throw adapterRequestError('AIBOT_BAD_MESSAGE', `${where}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * @-mentions at the start of a word, with the separator after them: WeCom writes a mention as
 * "@Name" followed by U+2005 (four-per-em space) or a plain space.
 */
const MENTION = /(?<=^|[\s\u2005])@[^\s\u2005]+(?:[\u2005 \t]+|(?=[\r\n])|$)/gu;

/**
 * Removes every @-mention (the leading "@BotName " WeCom puts into group messages and any other
 * "@Name") and turns remaining U+2005 into plain spaces; trims. "me@example.com" is kept (the '@'
 * is not at a word start). A mention typed with no separator before the question ("@Bot你好")
 * cannot be told apart from the name and is removed whole.
 */
export function stripMentions(text: string): string {
  return text.replace(MENTION, '').replaceAll('\u2005', ' ').trim();
}

/** Dedup key of a message or event: 'dedup:wecom-aibot:<msgid>' (docs/PROTOCOLS.md §2.5, §7.5). */
export function aibotDedupKey(msgId: string): string {
  return `dedup:wecom-aibot:${msgId}`;
}

/**
 * Converts a validated callback.
 * @param context.tenant the organisation id to put on messages (our CorpID when known);
 *   context.receivedAt ms since the epoch
 * @throws RequestError AIBOT_BAD_MESSAGE (400): a message without msgid or from.userid, a group
 *   message without chatid, a stream refresh without stream.id, an event without event.eventtype
 */
export function aibotToInbound(cb: AibotCallback, context: { tenant: string; receivedAt: number }): AibotInbound {
  if (cb.msgtype === 'stream') {
    if (!cb.stream) throw bad('stream refresh has no stream.id');
    return { action: 'refresh', streamId: cb.stream.id };
  }
  const userId = cb.from?.userid;
  if (!userId) throw bad('message has no from.userid');
  const chattype = cb.chattype ?? (cb.chatid ? 'group' : 'single');
  if (chattype === 'group' && !cb.chatid) throw bad('group message has no chatid');
  const chat: Chat = chattype === 'group' ? { kind: 'group', chatId: cb.chatid! } : { kind: 'single' };
  const tenant = context.tenant || cb.from?.corpid || cb.aibotid || '';

  const build = (kind: InboundKind, text: string, messageId: string, truncated = false): InboundMessage => ({
    platform: 'wecom',
    tenant,
    userId,
    chat,
    kind,
    text,
    mentionedBot: chat.kind === 'group',
    messageId,
    receivedAt: context.receivedAt,
    ...(truncated ? { truncated: true } : {}),
  });

  if (cb.msgtype === 'event') {
    const event = cb.event;
    if (!event) throw bad('event has no event.eventtype');
    const eventKey = cutToUtf8Bytes(event.event_key ?? '', AIBOT_INBOUND_TEXT_MAX_BYTES);
    const messageId = cb.msgid ?? `evt:${userId}:${cb.create_time ?? ''}:${event.eventtype}:${eventKey}`;
    const dedupKey = aibotDedupKey(messageId);
    if (event.eventtype === 'enter_chat') return { action: 'handle', message: build('enter', '', messageId), dedupKey, mode: 'welcome' };
    if (event.eventtype === 'template_card_event') {
      return { action: 'handle', message: build('ack-action', eventKey, messageId), dedupKey, mode: 'private-only' };
    }
    return { action: 'ignore', reason: `event:${event.eventtype}` };
  }

  const msgId = cb.msgid;
  if (!msgId) throw bad('message has no msgid');
  const dedupKey = aibotDedupKey(msgId);
  const fullText = textOf(cb);
  if (fullText === null) return { action: 'handle', message: build('non-text', '', msgId), dedupKey, mode: 'stream' };
  // Cut to the platform's limit before anything (a regular expression, normalisation) reads it.
  const text = cutToUtf8Bytes(fullText, AIBOT_INBOUND_TEXT_MAX_BYTES);
  return { action: 'handle', message: build('text', stripMentions(text), msgId, text.length < fullText.length), dedupKey, mode: 'stream' };
}

/** The text of a text, voice (transcribed) or mixed message; null for other types. */
function textOf(cb: AibotCallback): string | null {
  switch (cb.msgtype) {
    case 'text':
      if (!cb.text) throw bad('text message has no text.content');
      return cb.text.content;
    case 'voice':
      return cb.voice?.content ? cb.voice.content : null;
    case 'mixed': {
      const parts = (cb.mixed?.msg_item ?? []).filter((i) => i.msgtype === 'text' && i.text).map((i) => i.text!.content);
      return parts.length > 0 ? parts.join('\n') : null;
    }
    default:
      return null;
  }
}

function bad(reason: string): RequestError {
  return adapterRequestError('AIBOT_BAD_MESSAGE', reason);
}
