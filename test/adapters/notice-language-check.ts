/**
 * Shared by the adapters' notice tests: single-language deliveries (NoticeDelivery.language) and
 * the check that a rendering in one language carries no text of another.
 */
import assert from 'node:assert/strict';
import type { Lang } from '../../src/platform/message.ts';
import type { NoticeDelivery } from '../../src/platform/notices.ts';

/** The languages a single-language delivery can be in. */
export const SINGLE_LANGS: readonly Lang[] = ['zh-CN', 'zh-TW', 'en'];

/** A short notice written in each language. */
export const SAMPLE: Readonly<Record<Lang, { title: string; body: string }>> = {
  'zh-CN': { title: '会话存档告知', body: '公司自3月1日起存档工作聊天。' },
  'zh-TW': { title: '會話存檔告知', body: '公司自3月1日起存檔工作聊天。' },
  en: { title: 'Chat archiving notice', body: 'Work chats are archived from 1 March.' },
};

/** `base` delivered in `lang` as the core hands it over: the text in `zh`, '' in `en`. */
export function single(base: NoticeDelivery, lang: Lang, text: { title: string; body: string } = SAMPLE[lang]): NoticeDelivery {
  return { ...base, language: lang, title: { zh: text.title, en: '' }, body: { zh: text.body, en: '' } };
}

const CJK = /[\u2E80-\u9FFF\u3000-\u303F\uFF00-\uFFEF]/u;
const LATIN = /[A-Za-z]/;
/** Characters written differently in Taiwan Traditional, as they appear in the adapters' labels and the samples. */
const SIMPLIFIED_ONLY = /[确认读点击复讯条见隐请与机阅对暂无录后这单记为会话档钮]/u;
const TRADITIONAL_ONLY = /[確認讀點擊覆訊條見隱請與機閱對暫無錄後這單記為會話檔鈕]/u;

/**
 * Asserts that every visible text of a rendering is non-empty and in `lang` only: English has no
 * Chinese character or full-width punctuation; zh-CN and zh-TW have no Latin letter, and neither has a
 * character of the other script.
 */
export function assertOnly(lang: Lang, texts: string[], what: string): void {
  assert.ok(texts.length > 0, `${what}: something rendered`);
  for (const t of texts) {
    assert.notEqual(t.trim(), '', `${what}: no empty part`);
    if (lang === 'en') assert.doesNotMatch(t, CJK, `${what} (en): ${JSON.stringify(t)}`);
    else assert.doesNotMatch(t, LATIN, `${what} (${lang}): ${JSON.stringify(t)}`);
    if (lang === 'zh-CN') assert.doesNotMatch(t, TRADITIONAL_ONLY, `${what} (zh-CN): ${JSON.stringify(t)}`);
    if (lang === 'zh-TW') assert.doesNotMatch(t, SIMPLIFIED_ONLY, `${what} (zh-TW): ${JSON.stringify(t)}`);
  }
}
