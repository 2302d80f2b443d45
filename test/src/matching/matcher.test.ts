import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadKnowledge } from '../../../src/knowledge/load.ts';
import { buildMatcher, createMatcher } from '../../../src/matching/matcher.ts';
import type { Matcher } from '../../../src/matching/types.ts';

const kbDir = fileURLToPath(new URL('../../fixtures/kb-small', import.meta.url));
let matcher: Matcher;
let ids: Set<string>;

before(async () => {
  const kb = await loadKnowledge(kbDir);
  ids = new Set(kb.entries.map((e) => e.id));
  matcher = await createMatcher(kb);
});

function assertShape(q: string): void {
  const r = matcher.match(q);
  assert.ok(r.score >= 0 && r.score <= 1, `score in [0,1]: ${r.score}`);
  assert.ok(r.suggestions.length <= 3);
  assert.ok(r.topic === null || ids.has(r.topic));
  assert.ok(r.topic === null || !r.suggestions.includes(r.topic), 'suggestions exclude the topic');
  for (const s of r.suggestions) assert.ok(ids.has(s));
  assert.ok(['zh-CN', 'zh-TW', 'en'].includes(r.lang));
  assert.equal(r.topic !== null, r.score >= 0.5, 'answered exactly when score >= 0.5');
}

const hostile: Array<[string, string]> = [
  ['empty', ''],
  ['whitespace', ' \t\n '],
  ['20,000 characters', '企业微信管理员'.repeat(3000)],
  ['20,000 Latin characters', 'a'.repeat(20_000)],
  ['control characters', '\u0000\u0001\u0007\u001b[31m钉钉\u007f'],
  ['emoji only', '😀🎉👨‍👩‍👧❤️'],
  ['lone surrogates', '\ud800\udc00\ud800 管理员 \udfff'],
  ['only @-mentions', '@张三 @李四\u2005＠王五'],
  ['punctuation only', '？？？！！！。。。'],
  ['regex metacharacters', '.*+?^${}()|[]\\ 存档'],
];
for (const [name, q] of hostile) {
  test(`match never throws: ${name}`, () => {
    assert.doesNotThrow(() => assertShape(q));
  });
}

test('match never throws on non-string input', () => {
  for (const q of [undefined, null, 42, {}, []]) {
    const r = matcher.match(q as unknown as string);
    assert.equal(r.topic, null);
  }
});

test('declines lunch, weather and other off-topic questions', () => {
  for (const q of ['今天中午吃什么', '明天会下雨吗', "What's for lunch today?", '帮我订一张去上海的机票']) {
    const r = matcher.match(q);
    assert.equal(r.topic, null, q);
    assert.ok(r.score < 0.5);
  }
});

test('declines with no evidence gives no suggestions', () => {
  const r = matcher.match('明天会下雨吗');
  assert.deepEqual(r.suggestions, []);
});

test('declined but related gives suggestions', () => {
  const r = matcher.match('钉钉');
  assert.equal(r.topic, null);
  assert.ok(r.suggestions.includes('dingtalk-admin-access'), JSON.stringify(r));
});

test('answers a plain Chinese question', () => {
  const r = matcher.match('钉钉的管理员可以看我的聊天记录吗');
  assert.equal(r.topic, 'dingtalk-admin-access');
  assert.equal(r.lang, 'zh-CN');
  assert.ok(r.score >= 0.5);
});

test('answers a question with a homophone typo', () => {
  assert.equal(matcher.match('钉丁管理员能看到我的聊天记录吗').topic, 'dingtalk-admin-access');
  assert.equal(matcher.match('企业威信后台能看到我的聊天吗').topic, 'wecom-admin-access');
});

test('answers a traditional-character question and reports zh-TW', () => {
  const r = matcher.match('撤回的訊息公司還能看到嗎');
  assert.equal(r.topic, 'recalled-deleted');
  assert.equal(r.lang, 'zh-TW');
});

test('answers an English question and reports en', () => {
  const r = matcher.match('Can my boss read my DingTalk messages?');
  assert.equal(r.topic, 'dingtalk-admin-access');
  assert.equal(r.lang, 'en');
});

test('answers an @-mentioned question', () => {
  assert.equal(matcher.match('@隐私助手 个人微信聊天公司能看到吗').topic, 'personal-wechat');
  assert.equal(matcher.match('@Privacy Bot\u2005撤回的消息公司能看到吗').topic, 'recalled-deleted');
});

test('the same question gives the same answer cold and memoised', async () => {
  const kb = await loadKnowledge(kbDir);
  const m = await buildMatcher(kb, { memoSize: 4 });
  const qs = ['撤回的消息公司能看到吗', '钉钉管理员能看聊天吗', '个人微信会被监控吗', '机器人会记录我的问题吗', '会话存档是什么'];
  const first = qs.map((q) => m.match(q));
  const second = qs.map((q) => m.match(q));
  m.clearMemo();
  const third = qs.map((q) => m.match(q));
  assert.deepEqual(second, first);
  assert.deepEqual(third, first);
});
