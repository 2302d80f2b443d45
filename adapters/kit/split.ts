/**
 * Reply text against a platform's byte limit: normalising, splitting into parts, truncating.
 * Used by every adapter; the limits are named constants beside each adapter (limits.ts).
 */

/** Control characters other than \t and \n (and a lone \r, normalised to \n) have no place in a chat text. */
const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/**
 * Normalises reply text for sending: CRLF/CR → LF, control characters other than \t and \n
 * removed (so JSON escaping at most doubles the byte size). Characters in, characters out.
 */
export function sanitizeReplyText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(CONTROL_CHARS, '');
}

/**
 * A `replace` callback that drops the match when it ends the text and keeps it otherwise: `.replace(/\n+/g,
 * trailingRunOnly)` removes trailing line breaks in linear time, where /\n+$/ takes quadratic time.
 */
function trailingRunOnly(run: string, at: number, all: string): string {
  return at + run.length === all.length ? '' : run;
}

const SENTENCE_END = new Set(['。', '！', '？', '；', '.', '!', '?', ';', '…']);
const SOFT_BREAK = new Set([' ', '，', ',', '、', '\t']);

/**
 * Splits `text` into ordered parts of at most `maxBytes` UTF-8 bytes each, cutting only between code
 * points, so that `parts.join('') === text`. A cut prefers, within the last half of a full part: after
 * the last line break, else after the last sentence end (。！？；.!?;…), else after the last space or
 * comma; otherwise it fills the part to the byte limit. Empty text gives []. Every platform's text
 * limit is a byte limit (named beside each adapter, e.g. adapters/wecom/limits.ts WECOM_TEXT_MAX_BYTES).
 * @param maxBytes limit per part in UTF-8 bytes (≥ 4, so any code point fits)
 * @throws RangeError when maxBytes < 4
 */
export function splitByBytes(text: string, maxBytes: number): string[] {
  if (!(maxBytes >= 4)) throw new RangeError('maxBytes must be at least 4');
  const parts: string[] = [];
  let start = 0;
  while (start < text.length) {
    // Walk code points to find the longest prefix within maxBytes, remembering preferred cut points.
    let bytes = 0;
    let end = start;
    let lastLine = -1;
    let lastSentence = -1;
    let lastSoft = -1;
    const minBytes = maxBytes / 2;
    while (end < text.length) {
      const cp = text.codePointAt(end)!;
      const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (bytes + size > maxBytes) break;
      bytes += size;
      const ch = String.fromCodePoint(cp);
      end += ch.length;
      if (bytes >= minBytes) {
        if (ch === '\n') lastLine = end;
        else if (SENTENCE_END.has(ch)) lastSentence = end;
        else if (SOFT_BREAK.has(ch)) lastSoft = end;
      }
    }
    let cut = end;
    if (end < text.length) {
      if (lastLine > 0) cut = lastLine;
      else if (lastSentence > 0) cut = lastSentence;
      else if (lastSoft > 0) cut = lastSoft;
    }
    parts.push(text.slice(start, cut));
    start = cut;
  }
  return parts;
}

/**
 * {@link splitByBytes}, each part trimmed of surrounding line breaks and empty parts dropped ('' and
 * '\n\n' give []): for platforms that send every part as a message of its own and would show a
 * leading or trailing blank line (DingTalk, Feishu). Only line breaks are lost.
 * @param text reply text (characters)
 * @param maxBytes limit per part in UTF-8 bytes (≥ 4)
 * @throws RangeError when maxBytes < 4
 */
export function splitTextByBytes(text: string, maxBytes: number): string[] {
  return splitByBytes(text, maxBytes)
    .map((part) => part.replace(/^\n+/, '').replace(/\n+/g, trailingRunOnly))
    .filter((part) => part !== '');
}

/**
 * The longest prefix of `text` of at most `maxBytes` UTF-8 bytes that ends on a code-point boundary;
 * when it had to cut, the prefix ends with '…' (counted in the limit). For a platform that takes one
 * message only (the WeCom AI bot's stream content).
 * @param maxBytes ≥ 3 (the ellipsis)
 */
export function truncateToBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const ellipsis = '…';
  const budget = maxBytes - Buffer.byteLength(ellipsis, 'utf8');
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (bytes + size > budget) break;
    bytes += size;
    end += ch.length;
  }
  return text.slice(0, end) + ellipsis;
}
