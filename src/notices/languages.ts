import type { Lang } from '../platform/message.ts';
import type { Bilingual } from '../store/ports/notices.ts';
import { toTaiwanTraditional } from '../matching/traditional.ts';

/**
 * A notice's text in each reply language, with the fallbacks of issue 13: Simplified Chinese is
 * always written; English falls back to the Simplified text when not written; Taiwan Traditional
 * falls back to an OpenCC conversion (cn → twp, plus the reviewed phrase fixes of
 * src/bot/traditional.ts) of the Simplified text. See README "Notices" and docs/NOTICES.md if present.
 */

/** A notice text in `lang` (fallbacks as in the module doc). Never empty for a stored notice. */
export function noticeTextIn(text: Bilingual, lang: Lang): string {
  if (lang === 'en') return text.en.trim() ? text.en : text.zh;
  if (lang === 'zh-TW') return text['zh-TW'] ?? toTaiwanTraditional(text.zh);
  return text.zh;
}

/**
 * The text with every language filled in: `en` = the Simplified text when not written, `zh-TW` =
 * the conversion when not written. What channels get to render (src/notices/service.ts deliveryFor).
 */
export function withFallbacks(text: Bilingual): Required<Bilingual> {
  return { zh: text.zh, en: noticeTextIn(text, 'en'), 'zh-TW': noticeTextIn(text, 'zh-TW') };
}

/** Simplified Chinese converted to Taiwan Traditional (OpenCC twp with the phrase fixes); '' stays ''. */
export function convertToTaiwan(text: string): string {
  return text === '' ? '' : toTaiwanTraditional(text);
}
