/**
 * Splitting reply text into parts that fit a platform's byte limit.
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

/** Sentence ends and spaces: the second-best places to cut when a part holds no line break. */
/**
 * A `replace` callback that drops the match when it ends the text and keeps it otherwise: `.replace(/\n+/g,
 * trailingRunOnly)` removes trailing line breaks in linear time, where /\n+$/ takes quadratic time.
 */
function trailingRunOnly(run: string, at: number, all: string): string {
  return at + run.length === all.length ? '' : run;
}

const SOFT_BREAK = /[。！？；.!?;，,、\s]/u;

/**
 * Splits `text` into ordered parts of at most `maxBytes` UTF-8 bytes each, cutting only on
 * code-point boundaries (never inside a surrogate pair). Preference: after the last line break
 * in the window (the break itself is dropped), else after the last sentence end or space in the
 * second half of the window, else as many whole code points as fit. Parts are trimmed of
 * surrounding line breaks; empty parts are dropped, so '' gives [].
 * @param text reply text (characters)
 * @param maxBytes limit per part in UTF-8 bytes (≥ 4, so any code point fits)
 * @throws RangeError when maxBytes < 4
 */
export function splitTextByBytes(text: string, maxBytes: number): string[] {
  if (!(maxBytes >= 4)) throw new RangeError('maxBytes must be at least 4');
  const parts: string[] = [];
  let rest = text;
  while (Buffer.byteLength(rest, 'utf8') > maxBytes) {
    // The longest prefix (in code points) that fits.
    let end = 0;
    let bytes = 0;
    let lastNewline = -1;
    let lastSoft = -1;
    for (const cp of rest) {
      const b = Buffer.byteLength(cp, 'utf8');
      if (bytes + b > maxBytes) break;
      bytes += b;
      if (cp === '\n') lastNewline = end;
      else if (SOFT_BREAK.test(cp)) lastSoft = end;
      end += cp.length;
    }
    let cut: number;
    let skip = 0;
    if (lastNewline > 0) {
      cut = lastNewline;
      skip = 1;
    } else if (lastSoft >= end / 2) {
      cut = lastSoft + 1;
    } else {
      cut = end;
    }
    const part = rest.slice(0, cut).replace(/^\n+/, '').replace(/\n+/g, trailingRunOnly);
    if (part !== '') parts.push(part);
    rest = rest.slice(cut + skip);
  }
  const last = rest.replace(/^\n+/, '').replace(/\n+/g, trailingRunOnly);
  if (last !== '') parts.push(last);
  return parts;
}
