// The sandbox overlay's own texts (adapters/sandbox/page.ts SANDBOX_PAGE_TEXTS) in its three languages: every set
// has every text, the zh-TW set is Traditional Chinese with Taiwan wording, the English set has no Chinese, and the
// script served at /try/sandbox.js carries them. The browser side (the page's language picks the set) is
// test/adapters/sandbox/browser.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX_PAGE_TEXTS, SANDBOX_SCRIPT } from '../../../adapters/sandbox/page.ts';
import { simplifiedOnly } from '../../helpers/chinese.ts';

test('every language has every text, none empty, each with its placeholders', () => {
  const keys = Object.keys(SANDBOX_PAGE_TEXTS['zh-CN']).sort();
  for (const [lang, texts] of Object.entries(SANDBOX_PAGE_TEXTS)) {
    assert.deepEqual(Object.keys(texts).sort(), keys, lang);
    for (const [key, text] of Object.entries(texts)) assert.ok(text.trim().length > 0, `${lang}.${key}`);
    assert.match(texts.acknowledged, /\{time\}/, `${lang}.acknowledged`);
    assert.match(texts.askingAs, /\{employee\}/, `${lang}.askingAs`);
  }
});

test('zh-TW: no Simplified-only character, Taiwan wording; zh-CN is Simplified (so the check can fail); en has no Chinese', () => {
  const tw = Object.values(SANDBOX_PAGE_TEXTS['zh-TW']).join('\n');
  assert.deepEqual(simplifiedOnly(tw), [], tw);
  assert.notDeepEqual(simplifiedOnly(Object.values(SANDBOX_PAGE_TEXTS['zh-CN']).join('\n')), [], 'the zh-CN texts are flagged');
  const t = SANDBOX_PAGE_TEXTS['zh-TW'];
  assert.equal(t.refresh, '重新整理收件匣');
  assert.equal(t.inbox, '沙盒收件匣');
  assert.equal(t.acknowledge, '確認知悉');
  assert.equal(t.anonymous, '匿名');
  assert.doesNotMatch(tw, /收件箱|演示|身份/u, 'mainland words a character conversion keeps');
  assert.doesNotMatch(Object.values(SANDBOX_PAGE_TEXTS.en).join('\n'), /\p{Script=Han}/u);
});

test('the script carries the texts and reads the page language the /try page sets', () => {
  const json = /var TEXTS = (\{.*\});\n/.exec(SANDBOX_SCRIPT)?.[1];
  assert.ok(json, 'the texts in the script');
  assert.deepEqual(JSON.parse(json), SANDBOX_PAGE_TEXTS);
  assert.match(SANDBOX_SCRIPT, /window\.privacyBotTry\.|api\.lang/);
  // No text of its own left in the script: every Han character in it comes from the texts.
  const rest = SANDBOX_SCRIPT.replace(json, '');
  assert.doesNotMatch(rest, /\p{Script=Han}/u, 'no hard-coded Chinese outside SANDBOX_PAGE_TEXTS');
});
