import type { BotResult, Chat, Reply } from '../../src/platform/message.ts';
import { markdownLinks } from '../../src/reply-links.ts';
import { AIBOT_STREAM_MAX_BYTES } from './limits.ts';
import { truncateToBytes } from '../kit/split.ts';

/**
 * Where the core's replies go on the AI bot, and the reply payloads (docs/PROTOCOLS.md §2.5;
 * developer.work.weixin.qq.com/document/path/101031).
 *
 * The product's privacy rule: in a group, only replies with visibility 'chat' enter the bot's answer
 * in the group; 'private' ones (the asker's own status) go 1:1 through the self-built app's
 * message/send, never into the group. In a 1:1 chat with the bot every reply may be answered in
 * the chat (the chat is private).
 */

/** The replies of one result, split by destination. */
export interface RouteResult {
  /** Text for the chat the message came from ('' = nothing to say there); at most
   * {@link AIBOT_STREAM_MAX_BYTES} bytes. */
  inChat: string;
  /** Texts to send 1:1 to the asker, in order (never shown in the group). */
  toAsker: string[];
}

/** Separator between replies joined into one stream message. */
const JOIN = '\n\n';

/**
 * A reply as the stream shows it: the stream `content` is rendered as markdown by the WeCom client
 * (developer.work.weixin.qq.com/document/path/101031), so a reply's links (an answer's sources) become
 * `[title](url)` links; the rest of the text is sent as it is.
 */
export function streamText(reply: Pick<Reply, 'text' | 'links'>): string {
  return reply.links ? `${reply.links.before}\n\n${markdownLinks(reply.links)}` : reply.text;
}

/**
 * Splits a result by destination (see the module doc); in-chat replies in their stream (markdown) form.
 * @param chat where the question was asked
 */
export function routeReplies(result: BotResult, chat: Chat): RouteResult {
  const texts = result.replies.filter((r) => r.text.trim() !== '');
  if (chat.kind === 'single') return { inChat: truncateUtf8(texts.map(streamText).join(JOIN)), toAsker: [] };
  return {
    inChat: truncateUtf8(texts.filter((r) => r.visibility === 'chat').map(streamText).join(JOIN)),
    // 1:1 through the self-built app's text messages: plain text ("title: url" lines).
    toAsker: texts.filter((r) => r.visibility === 'private').map((r) => r.text),
  };
}

/**
 * The longest prefix of `text` of at most `maxBytes` UTF-8 bytes that ends on a code-point boundary;
 * when it had to cut, the prefix ends with '…' (counted in the limit). adapters/kit/split.ts `truncateToBytes`.
 * @param maxBytes default {@link AIBOT_STREAM_MAX_BYTES}; ≥ 3
 */
export function truncateUtf8(text: string, maxBytes: number = AIBOT_STREAM_MAX_BYTES): string {
  return truncateToBytes(text, maxBytes);
}

/** Plaintext JSON of a stream reply: {"msgtype":"stream","stream":{"id","finish","content"}}. */
export function streamReplyJson(streamId: string, finish: boolean, content: string): string {
  return JSON.stringify({ msgtype: 'stream', stream: { id: streamId, finish, content } });
}

/** Plaintext JSON of the `enter_chat` welcome: {"msgtype":"text","text":{"content"}}. */
export function welcomeReplyJson(content: string): string {
  return JSON.stringify({ msgtype: 'text', text: { content } });
}

export { errorSummary } from '../kit/callback.ts';
