/**
 * Language of a question, and simplified <-> traditional Chinese conversion (OpenCC tables via opencc-js).
 * Pure functions; the traditional -> simplified table loads when this module is imported, the simplified ->
 * traditional one on the first {@link toTraditional} call (each ~15 MB, tens of ms).
 */
import * as OpenCC from 'opencc-js';
import type { Lang } from '../platform/message.ts';

const traditionalToSimplified = OpenCC.Converter({ from: 't', to: 'cn' });
/** Built on first use (only zh-TW answers need it), to keep start-up short. */
let simplifiedToTaiwan: ((text: string) => string) | null = null;

/** Any Han ideograph (CJK unified ideographs incl. extensions and compatibility ideographs). */
const HAN = /\p{Script=Han}/u;

/**
 * Detects the language of a question.
 * - No Han character -> 'en' (also for empty or emoji-only text).
 * - Han characters, and the text changes under OpenCC traditional -> simplified conversion
 *   (it holds traditional-only characters such as 會/錄/員) -> 'zh-TW'.
 * - Otherwise 'zh-CN', including mixed text such as "WeCom 管理员能看吗".
 * Never throws.
 */
export function detectLanguage(text: string): Lang {
  if (typeof text !== 'string' || !HAN.test(text)) return 'en';
  return toSimplified(text) !== text ? 'zh-TW' : 'zh-CN';
}

/** A letter of any script (Latin, Han, kana, Hangul, …): what a text's language can be read from. */
const LETTER = /\p{L}/u;

/** Latin words Chinese chat uses as its own ("ok", "hi"): alone, they say nothing of the writer's language. */
const SHARED_WORDS: ReadonlySet<string> = new Set(['ok', 'okay', 'okk', 'okok', 'k', 'hi', 'hello', 'hey']);

/**
 * True when a text says nothing of its language: it holds no letter of any script — only digits ("2"),
 * punctuation ("?", "？？"), symbols and emoji ("👍"), whitespace, or nothing — or it is one of the Latin words
 * Chinese chat uses too ("ok", "OK!", "hi"). {@link detectLanguage} answers 'en' for such a text only because it holds
 * no Han character; a caller that knows the writer's language should use that instead. "more" and "1个" are not
 * neutral. Never throws.
 */
export function isLanguageNeutral(text: string): boolean {
  if (typeof text !== 'string' || !LETTER.test(text)) return true;
  return SHARED_WORDS.has(text.normalize('NFKC').toLowerCase().replace(/[\p{P}\p{S}\s]+/gu, ''));
}

/**
 * True when a Chinese text could be either script: it holds Han characters, none of them Traditional-only (OpenCC
 * traditional -> simplified leaves it as it is) and none Simplified-only (simplified -> Taiwan traditional leaves it
 * as it is) — "更多", "可以看", "公司" — so {@link detectLanguage} reads it as 'zh-CN' only by default. Loads the
 * simplified -> traditional table on first use (see {@link toTraditional}). Never throws.
 */
export function isChineseScriptNeutral(text: string): boolean {
  if (typeof text !== 'string' || !HAN.test(text)) return false;
  return toSimplified(text) === text && toTraditional(text) === text;
}

/** Converts traditional characters to simplified (OpenCC 't' -> 'cn', character level plus OpenCC's phrase table). */
export function toSimplified(text: string): string {
  return traditionalToSimplified(text);
}

/** Converts simplified text to Taiwan traditional (OpenCC 'cn' -> 'tw'), used to answer zh-TW askers. */
export function toTraditional(text: string): string {
  const convert = (simplifiedToTaiwan ??= OpenCC.Converter({ from: 'cn', to: 'tw' }));
  return convert(text);
}
