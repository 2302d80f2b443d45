/**
 * Bounds on the length of what an employee writes, applied before any regular expression or
 * normalisation reads it: a message of tens of thousands of characters must cost no more than a
 * long question. Each adapter cuts a message's text to its platform's limit (the `*_INBOUND_TEXT_MAX_*`
 * constants in adapters/<platform>/limits.ts) with {@link cutToUtf8Bytes}; the router cuts every
 * message once more to {@link MAX_MESSAGE_CHARS} ({@link capMessage}), the last line for entry points
 * without a limit of their own. docs/RELIABILITY.md "Long messages".
 */
import type { InboundMessage } from './platform/message.ts';

/**
 * Longest message text the core reads, in UTF-16 code units (JavaScript string length). Above
 * every platform limit (the largest, DingTalk's, is 15 000 bytes, at most 15 000 characters), so it
 * never shortens what an adapter let through; far above a question (the matcher itself reads only
 * the first 2 000 units, src/matching/normalize.ts RAW_INPUT_CAP). Own choice.
 */
export const MAX_MESSAGE_CHARS = 16_384;

/**
 * The longest prefix of `text` that is at most `maxBytes` bytes in UTF-8 and ends on a code-point
 * boundary (a surrogate pair is never split). Reads at most about `maxBytes` characters of `text`,
 * whatever its length. No ellipsis is added: the result is still the employee's own words.
 * @param maxBytes ≥ 0
 */
export function cutToUtf8Bytes(text: string, maxBytes: number): string {
  // Every UTF-16 code unit is at most 3 UTF-8 bytes (a pair of them, 4).
  if (text.length * 3 <= maxBytes) return text;
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    let size = 3;
    let units = 1;
    if (c < 0x80) size = 1;
    else if (c < 0x800) size = 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      size = 4;
      units = 2;
    }
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += units;
  }
  return text.slice(0, i);
}

/**
 * The longest prefix of `text` of at most `maxChars` UTF-16 code units that does not end inside a
 * surrogate pair.
 */
export function cutToChars(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let end = maxChars;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end);
}

/**
 * `m` with its text cut to {@link MAX_MESSAGE_CHARS} (and `truncated` set), or `m` itself when it
 * is not longer.
 */
export function capMessage(m: InboundMessage): InboundMessage {
  if (m.text.length <= MAX_MESSAGE_CHARS) return m;
  return { ...m, text: cutToChars(m.text, MAX_MESSAGE_CHARS), truncated: true };
}
