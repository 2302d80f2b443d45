// The /try page's own texts (title, heading, note, button, …) in its three languages: the zh-TW set is what the
// reviewed Taiwan conversion (src/matching/traditional.ts) makes of the zh-CN set, every set has every text, and the
// served page carries them for its script. The browser side (chosen by the browser's language, the placeholder
// never cut off) is test/e2e/try-browser.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TRY_PAGE_HTML, TRY_PAGE_TEXTS, TRY_STARTER_QUESTIONS } from '../../../src/http/try-page.ts';
import { toTaiwanTraditional } from '../../../src/matching/traditional.ts';

test('zh-TW page texts are the reviewed Taiwan conversion of the zh-CN ones', () => {
  const cn = TRY_PAGE_TEXTS['zh-CN'];
  for (const [key, tw] of Object.entries(TRY_PAGE_TEXTS['zh-TW'])) {
    assert.equal(tw, toTaiwanTraditional(cn[key as keyof typeof cn]), key);
  }
});

test('zh-TW starter questions are the reviewed Taiwan conversion of the zh-CN ones; three per language', () => {
  assert.deepEqual(TRY_STARTER_QUESTIONS['zh-TW'], TRY_STARTER_QUESTIONS['zh-CN'].map(toTaiwanTraditional));
  for (const lang of ['zh-CN', 'zh-TW', 'en'] as const) assert.equal(TRY_STARTER_QUESTIONS[lang].length, 3, lang);
});

test('every language has every text, none empty', () => {
  const keys = Object.keys(TRY_PAGE_TEXTS.en).sort();
  for (const [lang, texts] of Object.entries(TRY_PAGE_TEXTS)) {
    assert.deepEqual(Object.keys(texts).sort(), keys, lang);
    for (const [key, text] of Object.entries(texts)) assert.ok(text.trim().length > 0, `${lang}.${key}`);
  }
});

test('the served page carries the texts for its script (HTML-escaped JSON on <main>)', () => {
  const attr = /<main data-texts="([^"]*)">/.exec(TRY_PAGE_HTML)?.[1];
  assert.ok(attr, 'data-texts on <main>');
  const unescaped = attr.replace(/&(quot|#39|lt|gt|amp);/g, (_, e: string) => ({ quot: '"', '#39': "'", lt: '<', gt: '>', amp: '&' })[e]!);
  assert.deepEqual(JSON.parse(unescaped), TRY_PAGE_TEXTS);
});
