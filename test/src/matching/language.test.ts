import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectLanguage, isChineseScriptNeutral, isLanguageNeutral, toSimplified, toTraditional } from '../../../src/matching/language.ts';

const cases: Array<[string, string]> = [
  ['企业微信管理员能看到我的聊天记录吗', 'zh-CN'],
  ['企業微信管理員能看到我的聊天記錄嗎', 'zh-TW'],
  ['會話存檔是什麼', 'zh-TW'],
  ['Can my manager read my WeCom messages?', 'en'],
  ['WeCom 管理员能看吗', 'zh-CN'],
  ['WeCom 管理員能看嗎', 'zh-TW'],
  ['显著的成果', 'zh-CN'],
  ['😀😀', 'en'],
  ['', 'en'],
];
for (const [text, lang] of cases) {
  test(`detectLanguage(${JSON.stringify(text)}) = ${lang}`, () => {
    assert.equal(detectLanguage(text), lang);
  });
}

test('toTraditional converts simplified to Taiwan traditional', () => {
  assert.equal(toTraditional('会话存档需要同意吗'), '會話存檔需要同意嗎');
  assert.equal(toTraditional('管理员'), '管理員');
});

test('toSimplified converts traditional to simplified', () => {
  assert.equal(toSimplified('聊天記錄'), '聊天记录');
});

test('isLanguageNeutral: no letter of any script (digits, punctuation, emoji, space, nothing), or "ok" / "hi" alone; "二", "更多" and "more" are not', () => {
  for (const t of ['2', '２', '?', '？？', '👍', '🙂🙂', '...', ' ', '', '2️⃣', '!!!', 'ok', 'OK!', 'Ｏｋ', 'okay~', 'hi', 'Hello!']) assert.equal(isLanguageNeutral(t), true, JSON.stringify(t));
  for (const t of ['二', '更多', 'more', '1个', 'はい', 'thanks', 'ok thanks', 'hi there', 'book']) assert.equal(isLanguageNeutral(t), false, JSON.stringify(t));
});

test('isChineseScriptNeutral: Han text with no Simplified-only and no Traditional-only character', () => {
  for (const t of ['更多', '可以看', '公司', '私人聊天', 'WeCom 可以看']) assert.equal(isChineseScriptNeutral(t), true, t);
  for (const t of ['详细', '詳細', '管理员', '管理員', '聊天记录', 'more', '2', '', '👍']) assert.equal(isChineseScriptNeutral(t), false, t);
});
