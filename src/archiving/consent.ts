import type { PersonalSection } from '../platform/plugins.ts';
import { toTraditional } from '../matching/language.ts';
import type { Lang } from '../platform/message.ts';
import type { ArchiveSource, ExternalConsentCounts } from '../platform/archive.ts';

/**
 * The personal section of the external-contact-consent topic: for the asking
 * employee only — `message.userId`, the verified sender, never an id taken from the question —
 * the counts of their own external contacts' answers to archiving (Agree / Disagree /
 * Default_Agree) and what each means, in zh-CN, zh-TW or en, with where the figures come from and
 * when they were read. Facts used (docs/PROTOCOLS.md §2.3, §2.4): the platform records each
 * contact's answer [official]; that a contact who never chose counts as agreeing, that a refusing
 * contact's chats are not archived and that the admin may block serving them are integrators'
 * reports [vendor-blog], and the wording says so.
 * Returns null for other topics, other platforms, anonymous askers, or a source without
 * externalConsent. A source error is thrown (the router answers "temporarily unavailable").
 */

/** Topic ids whose answer gets the section (knowledge/external-contact-consent.yaml). */
export const EXTERNAL_CONSENT_TOPICS: readonly string[] = ['external-contact-consent'];

export interface ConsentSectionOptions {
  /**
   * The source, or a getter of the asker's platform's source read at each question (for wiring
   * before the adapters exist; undefined = no section).
   */
  source: ArchiveSource | ((platform: string) => ArchiveSource | undefined);
  /** Default {@link EXTERNAL_CONSENT_TOPICS}. */
  topics?: readonly string[];
  /** Clock in ms (default Date.now) for "checked at". */
  now?: () => number;
}

/** Creates the section; add it to RouterDeps.personalSections. */
export function createConsentSection(options: ConsentSectionOptions): PersonalSection {
  const topics = new Set(options.topics ?? EXTERNAL_CONSENT_TOPICS);
  const now = options.now ?? Date.now;
  return async (message, entry, lang) => {
    const source = typeof options.source === 'function' ? options.source(message.platform) : options.source;
    if (!source || message.anonymous || message.platform !== source.platform || !topics.has(entry.id)) return null;
    const consent = source.externalConsent;
    if (!consent) return null;
    const counts = await consent.call(source, message.userId);
    const name = source.platformName ?? { en: source.platform, 'zh-CN': source.platform, 'zh-TW': source.platform };
    return formatConsent(counts, lang, new Date(now()), name);
  };
}

/**
 * The consent text for `lang`, e.g. en "Your external contacts' consent to archiving (source:
 * WeCom, checked 2026-05-02 06:30 UTC): 150 in total — 40 agreed, 10 disagreed, 100 default
 * agreement." followed by one line per answer type saying what it means. With no contacts: one
 * sentence saying none were found. Contacts without any answer are counted as "no answer on record".
 * @param platform the source platform's name per language (ArchiveSource.platformName), e.g. en "WeCom"
 */
export function formatConsent(counts: ExternalConsentCounts, lang: Lang, checkedAt: Date, platform: Readonly<Record<Lang, string>>): string {
  const when = `${checkedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const unknown = Math.max(0, counts.total - counts.agree - counts.disagree - counts.defaultAgree);
  if (lang === 'en') {
    const head = `Your external contacts' consent to archiving (source: ${platform.en}, checked ${when})`;
    if (counts.total === 0) return `${head}: ${platform.en} lists no customers for you.`;
    return [
      `${head}: ${counts.total} in total — ${counts.agree} agreed, ${counts.disagree} disagreed, ${counts.defaultAgree} default agreement` +
        `${unknown > 0 ? `, ${unknown} with no answer on record` : ''}.`,
      '- Agreed: the customer accepted archiving, so your chats with them can be archived.',
      '- Disagreed: the customer refused; integrators report that these chats are not archived and that, if your administrator turned on the restriction, you may be unable to message them.',
      `- Default agreement: the customer has not chosen; ${platform.en} reports this as agreement, and integrators say these chats are archived.`,
    ].join('\n');
  }
  const zh = zhText(counts, unknown, when, platform[lang === 'zh-TW' ? 'zh-TW' : 'zh-CN']);
  return lang === 'zh-TW' ? toTraditional(zh) : zh;
}

function zhText(counts: ExternalConsentCounts, unknown: number, when: string, platform: string): string {
  const head = `你的外部联系人（客户）对会话存档的同意情况（来源：${platform}，查询于 ${when}）`;
  if (counts.total === 0) return `${head}：${platform}中没有你名下的客户。`;
  return [
    `${head}：共 ${counts.total} 位，同意 ${counts.agree} 位，不同意 ${counts.disagree} 位，默认同意 ${counts.defaultAgree} 位` +
      `${unknown > 0 ? `，暂无记录 ${unknown} 位` : ''}。`,
    '- 同意：客户已同意存档，你与其的聊天可以被存档。',
    '- 不同意：客户拒绝了存档；据集成商介绍，与其的聊天不会被存档，若管理员开启了相应限制，你可能无法与其互发消息。',
    `- 默认同意：客户尚未作出选择，${platform}按同意记录；据集成商介绍，这类聊天会被存档。`,
  ].join('\n');
}
