import { createHash } from 'node:crypto';
import type { Lang } from '../platform/message.ts';
import type { Bilingual, NoticeLanguage } from '../store/ports/notices.ts';
import type { KeyValueStore } from '../store/ports/store.ts';
import { toTaiwanTraditional } from '../matching/traditional.ts';

/**
 * A notice's text in each reply language, with these fallbacks: Simplified Chinese is
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

// ---- the language each employee is sent a notice in (NOTICE_LANGUAGE and the employee's own) ----

/** NOTICE_LANGUAGE when not set: Simplified Chinese and English together (the cards of before the setting). */
export const DEFAULT_NOTICE_LANGUAGE: NoticeLanguage = 'bilingual';

/** How long an employee's language is remembered after their last question, in ms (180 days). */
export const EMPLOYEE_LANGUAGE_TTL_MS = 180 * 24 * 60 * 60 * 1000;

/**
 * Key-value key of an employee's remembered language: 'notice-lang:' + SHA-256 (hex) of
 * 'notice-language', NUL, '<platform>:<userId>'. Only this hash is stored, never the user id itself
 * nor anything they asked (README "Privacy").
 */
export function employeeLanguageKey(platform: string, userId: string): string {
  return `notice-lang:${createHash('sha256').update(`notice-language\u0000${platform}:${userId}`).digest('hex')}`;
}

const LANGS: readonly Lang[] = ['zh-CN', 'zh-TW', 'en'];

/**
 * The languages employees last asked the bot in (the language the bot detected for its answer):
 * `hash(platform, userId) -> 'zh-CN' | 'zh-TW' | 'en'` in the shared key-value store, each with a
 * TTL of {@link EMPLOYEE_LANGUAGE_TTL_MS} renewed by every question. Nothing else is kept.
 */
export class EmployeeLanguages {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly ttlMs = EMPLOYEE_LANGUAGE_TTL_MS,
  ) {}

  /** Remembers the language of an employee's question. @throws what the store throws */
  async remember(platform: string, userId: string, lang: Lang): Promise<void> {
    if (!LANGS.includes(lang)) return;
    await this.kv.set(employeeLanguageKey(platform, userId), lang, this.ttlMs);
  }

  /** The employee's remembered language, or null. @throws what the store throws */
  async get(platform: string, userId: string): Promise<Lang | null> {
    const v = await this.kv.get(employeeLanguageKey(platform, userId));
    return v !== null && (LANGS as readonly string[]).includes(v) ? (v as Lang) : null;
  }
}

/**
 * Whether a notice version can be sent in `lang`: zh-CN always; zh-TW always too (the body written in Traditional,
 * else the OpenCC twp conversion of the Simplified one — what the console and README promise); en only when its
 * body was written (English is never machine-made from the Chinese).
 */
export function versionHas(v: { title: Bilingual; body: Bilingual }, lang: Lang): boolean {
  if (lang === 'en') return v.body.en.trim() !== '';
  return true;
}

/**
 * The language a recipient is sent a notice version in: their own (the language they last asked
 * the bot in), else the company's NOTICE_LANGUAGE, else zh-CN. zh-TW is always sent in zh-TW — the written
 * Traditional text, else its conversion from Simplified ({@link noticeTextIn}); English the version was not
 * written in falls back to zh-CN ('bilingual' is always possible: its English falls back as before).
 */
export function recipientLanguage(v: { title: Bilingual; body: Bilingual }, own: Lang | null, company: NoticeLanguage | null): NoticeLanguage {
  const wanted: NoticeLanguage = own ?? company ?? 'zh-CN';
  if (wanted === 'bilingual') return 'bilingual';
  return versionHas(v, wanted) ? wanted : 'zh-CN';
}

/** The text languages of a notice as employees read it: Simplified, Traditional, English. */
export type TextLanguage = 'zh' | 'zh-TW' | 'en';

/** A notice version's title and body in each text language it was sent in (see {@link sentTexts}). */
export type SentTexts = Partial<Record<TextLanguage, { title: string; body: string }>>;

/**
 * The texts employees were actually sent of a version, given the languages it was sent in (recipients' first
 * deliveries and reminders): 'bilingual' = the Simplified text and the English one (when written; without it the card
 * repeats the Chinese), 'zh-CN' = the Simplified, 'zh-TW' = the Traditional (written, else the conversion, as sent),
 * 'en' = the English. In the order zh, zh-TW, en; a language nobody was sent is left out.
 */
export function sentTexts(v: { title: Bilingual; body: Bilingual }, languages: Iterable<NoticeLanguage>): SentTexts {
  const wanted = new Set<TextLanguage>();
  for (const l of languages) {
    if (l === 'bilingual') {
      wanted.add('zh');
      if (v.body.en.trim() !== '') wanted.add('en');
    } else wanted.add(l === 'zh-CN' ? 'zh' : l);
  }
  const out: SentTexts = {};
  for (const t of ['zh', 'zh-TW', 'en'] as const) {
    if (!wanted.has(t)) continue;
    const lang: Lang = t === 'zh' ? 'zh-CN' : t;
    out[t] = { title: noticeTextIn(v.title, lang), body: noticeTextIn(v.body, lang) };
  }
  return out;
}

/**
 * A notice text as a channel gets it for `language`: 'bilingual' = every language filled in
 * ({@link withFallbacks}: channels render zh and en together); one language = that text in `zh` and
 * '' in `en` (nothing else to render; see NoticeDelivery.language).
 */
export function deliveryText(text: Bilingual, language: NoticeLanguage): Bilingual {
  if (language === 'bilingual') return withFallbacks(text);
  return { zh: noticeTextIn(text, language), en: '' };
}
