import { RequestError } from '../../src/errors.ts';
import type { InboundKind, InboundMessage } from '../../src/platform/message.ts';
import { cutToUtf8Bytes } from '../../src/text-cap.ts';
import { WECOM_INBOUND_TEXT_MAX_BYTES } from './limits.ts';
import type { WecomXmlFields } from './xml.ts';
import { adapterRequestError } from '../errors.ts';

/**
 * Converter WeCom platform message -> {@link InboundMessage} (platform 'wecom').
 * Message formats: developer.work.weixin.qq.com/document/path/96467 (消息格式), events:
 * /path/90376 (事件格式); docs/PROTOCOLS.md §1.3.
 *
 * - MsgType text -> kind 'text' (text = Content, cut to {@link WECOM_INBOUND_TEXT_MAX_BYTES});
 * - MsgType image, voice, video, location, link, file (and any other non-event type) -> 'non-text';
 * - Event enter_agent -> 'enter'; Event template_card_event -> 'ack-action' (text = EventKey);
 * - every other event (subscribe, unsubscribe, LOCATION, click, view, msgaudit_notify, …) is ignored.
 * A self-built app talks 1:1, so chat is always { kind: 'single' }; tenant is our CorpID.
 */

/** What to do with one decrypted callback. */
export type WecomInbound =
  | {
      action: 'handle';
      message: InboundMessage;
      /** Store key that makes WeCom's retries of this callback no-ops ('dedup:wecom:…'). */
      dedupKey: string;
      /** FromUserName exactly as received (the passive reply's ToUserName). */
      replyTo: string;
      /** Whether a passive text reply may answer it (not for template card clicks, whose passive reply shape differs). */
      passiveReplyAllowed: boolean;
    }
  | { action: 'ignore'; /** e.g. 'event:subscribe', for logs */ reason: string };

/**
 * The UserID of a FromUserName. Members of interconnected corps have been seen as 'CorpID/UserID'
 * (UNVERIFIED, docs/PROTOCOLS.md §1.3): the part after the last '/' is kept.
 */
export function userIdOf(fromUserName: string): string {
  const slash = fromUserName.lastIndexOf('/');
  return slash >= 0 ? fromUserName.slice(slash + 1) : fromUserName;
}

/** Dedup key of a message: 'dedup:wecom:<MsgId>' (docs/PROTOCOLS.md §1.4). */
export function messageDedupKey(msgId: string): string {
  return `dedup:wecom:${msgId}`;
}

/** Dedup key of an event (events have no MsgId): FromUserName + CreateTime + Event (+ EventKey, for card buttons). */
export function eventDedupKey(fromUserName: string, createTime: string, event: string, eventKey: string): string {
  return `dedup:wecom:evt:${fromUserName}:${createTime}:${event}:${eventKey}`;
}

/**
 * Converts the decrypted message fields.
 * @param fields direct children of the decrypted `<xml>` (xml.ts parseWecomXml)
 * @param context.corpId our CorpID (the tenant); context.receivedAt ms since the epoch
 * @throws RequestError WECOM_BAD_REQUEST (400) when FromUserName or MsgType is missing, a message
 *   has no MsgId, or an event has no CreateTime or Event
 */
export function wecomToInbound(fields: WecomXmlFields, context: { corpId: string; receivedAt: number }): WecomInbound {
  const from = required(fields, 'FromUserName');
  const msgType = required(fields, 'MsgType');
  const build = (kind: InboundKind, fullText: string, messageId: string): InboundMessage => {
    // Cut to the platform's limit before anything (a regular expression, normalisation) reads it.
    const text = cutToUtf8Bytes(fullText, WECOM_INBOUND_TEXT_MAX_BYTES);
    return {
      platform: 'wecom',
      tenant: context.corpId,
      userId: userIdOf(from),
      chat: { kind: 'single' },
      kind,
      text,
      mentionedBot: false,
      messageId,
      receivedAt: context.receivedAt,
      ...(text.length < fullText.length ? { truncated: true } : {}),
    };
  };

  if (msgType === 'event') {
    const event = required(fields, 'Event');
    const createTime = required(fields, 'CreateTime');
    const eventKey = fields['EventKey'] ?? '';
    const dedupKey = eventDedupKey(from, createTime, event, eventKey);
    const messageId = dedupKey.slice('dedup:wecom:'.length);
    if (event === 'enter_agent') {
      return { action: 'handle', message: build('enter', '', messageId), dedupKey, replyTo: from, passiveReplyAllowed: true };
    }
    if (event === 'template_card_event') {
      return { action: 'handle', message: build('ack-action', eventKey, messageId), dedupKey, replyTo: from, passiveReplyAllowed: false };
    }
    return { action: 'ignore', reason: `event:${event}` };
  }

  const msgId = required(fields, 'MsgId');
  const dedupKey = messageDedupKey(msgId);
  if (msgType === 'text') {
    return { action: 'handle', message: build('text', fields['Content'] ?? '', msgId), dedupKey, replyTo: from, passiveReplyAllowed: true };
  }
  // image, voice, video, location, link, file — and any type WeCom adds later: the core answers
  // "text only" politely rather than staying silent.
  return { action: 'handle', message: build('non-text', '', msgId), dedupKey, replyTo: from, passiveReplyAllowed: true };
}

function required(fields: WecomXmlFields, name: string): string {
  const v = fields[name];
  if (v === undefined || v.trim() === '') {
    throw adapterRequestError('WECOM_BAD_REQUEST', `message has no ${name}`);
  }
  return v.trim();
}
