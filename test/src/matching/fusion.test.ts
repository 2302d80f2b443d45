/**
 * The matcher with the shipped topic classifier fused in (matcher.ts, MatcherOptions.classifier), on the real
 * knowledge base. The questions are written for this test, not taken from an evaluation set.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadKnowledge } from '../../../src/knowledge/load.ts';
import { buildMatcher, DEFAULT_MATCHER_OPTIONS, type ExplainingMatcher } from '../../../src/matching/matcher.ts';
import type { KnowledgeBase } from '../../../src/knowledge/types.ts';
import { ambiguousEnglishQuestion } from '../../helpers/vague-questions.ts';

const kbDir = fileURLToPath(new URL('../../../knowledge', import.meta.url));
let kb: KnowledgeBase;
let fused: ExplainingMatcher;
let ranking: ExplainingMatcher;

before(async () => {
  kb = await loadKnowledge(kbDir);
  fused = await buildMatcher(kb);
  ranking = await buildMatcher(kb, { classifier: false });
});

test('the classifier settles questions the ranking alone gets wrong (each written for this test)', () => {
  const cases: [string, string][] = [
    ['领导会不会偷偷翻我跟同事吐槽的那些消息', 'wecom-admin-access'],
    ['不签同意书会怎样，能拒绝存档吗', 'refuse-archiving'],
    ['存档这事儿合法不', 'legality'],
    ['用个人微信聊工作会被看到吗', 'personal-wechat'],
  ];
  for (const [q, want] of cases) {
    assert.equal(fused.match(q).topic, want, q);
    assert.notEqual(ranking.match(q).topic, want, `${q}: the ranking alone answers it too, so this case shows nothing`);
  }
});

test('the explanation carries the classifier\'s view; without a classifier it is absent', () => {
  const e = fused.explain('离职以后公司还留着我的聊天记录吗');
  assert.equal(e.result.topic, 'after-leaving');
  assert.equal(e.classifier?.topic, 'after-leaving');
  assert.ok((e.classifier?.probability ?? 0) >= 0.5 && (e.classifier?.outOfScope ?? 1) < 0.1, JSON.stringify(e.classifier));
  assert.equal(ranking.explain('离职以后公司还留着我的聊天记录吗').classifier, undefined);
});

test('a question naming no platform is about the asker\'s platform (the admin-access family)', () => {
  const q = '管理员能看到我的聊天记录吗？';
  assert.equal(fused.match(q, { platform: 'dingtalk' }).topic, 'dingtalk-admin-access');
  assert.equal(fused.match(q, { platform: 'feishu' }).topic, 'feishu-admin-access');
  assert.equal(fused.match(q, { platform: 'wecom-aibot' }).topic, 'wecom-admin-access');
  // No platform known: the ranking's choice among the family (WeCom, the default platform).
  assert.equal(fused.match(q).topic, 'wecom-admin-access');
  // A question that names its platform keeps it whatever the asker's platform.
  assert.equal(fused.match('飞书管理员能看到我的聊天记录吗', { platform: 'dingtalk' }).topic, 'feishu-admin-access');
});

test('a question the classifier is sure is about privacy, though not which topic, keeps the ranking\'s answer', () => {
  // Written for this test (the fourteenth round's model is sure of 「公司能看到我的聊天记录吗」, the earlier example).
  const q = '公司会看员工聊天吗？';
  const e = fused.explain(q);
  assert.ok((e.classifier?.probability ?? 1) < 0.5 && (e.classifier?.outOfScope ?? 1) <= DEFAULT_MATCHER_OPTIONS.classifierSureInScope, JSON.stringify(e.classifier));
  assert.equal(e.result.topic, ranking.match(q).topic);
  assert.equal(e.result.topic, 'wecom-admin-access');
  // The same question in other words (written for this test): the classifier spreads it over several topics too.
  for (const [other, asker] of [['我的聊天记录公司能看到吗', 'wecom'], ['领导能看到我的聊天记录吗', 'wecom'], ['Can my company see my chats?', 'wecom'], ['单位能查看我的聊天记录吗', 'dingtalk']] as const) {
    assert.equal(fused.match(other, { platform: asker }).topic, `${asker}-admin-access`, other);
  }
});

test('the ranking\'s answer does not stand when the classifier leans out of scope (classifierAgreeMaxOos)', async () => {
  // A near-domain question written for this test: fingerprint clock-in data is not chat archiving.
  const q = '指纹打卡的数据公司会存多久';
  const e = fused.explain(q);
  const c = e.classifier!;
  const o = DEFAULT_MATCHER_OPTIONS;
  const classifierAnswers = c.probability >= o.classifierAccept && c.probability >= o.classifierOosRatio * c.outOfScope;
  assert.ok(c.probability >= o.classifierAgree && !classifierAnswers && c.outOfScope >= o.classifierAgreeMaxOos, JSON.stringify(c));
  assert.equal(e.candidates[0]?.id, c.topic, 'the ranking puts the same topic first');
  assert.equal(e.result.topic, null, 'declined');
  const uncapped = await buildMatcher(kb, { classifierAgreeMaxOos: 1 });
  assert.equal(uncapped.match(q).topic, c.topic, 'without the cap the ranking\'s answer would stand');
});

test('out of scope: app how-to, pay and small talk are declined', () => {
  for (const q of ['企业微信怎么撤回消息', '这个月工资什么时候发', '今天中午吃什么', '钉钉怎么建群']) assert.equal(fused.match(q).topic, null, q);
});

test('a topic the model does not know (an operator\'s own entry) is still answered by the ranking', async () => {
  const renamed = kb.entries.map((e) => (e.id === 'two-factor' ? { ...e, id: 'company-own-2fa' } : e));
  const custom: KnowledgeBase = { ...kb, entries: renamed, byId: new Map(renamed.map((e) => [e.id, e])) };
  const m = await buildMatcher(custom);
  const q = '企业微信怎么开启二次验证保护账号';
  assert.equal(ranking.match(q).topic, 'two-factor', 'the ranking answers the original entry');
  assert.equal(m.match(q).topic, 'company-own-2fa');
  for (const s of m.match('今天中午吃什么').suggestions) assert.ok(custom.byId.has(s), `suggestion ${s} exists in the knowledge base`);
});

test('declined: suggestions come from the classifier first, are known topics and never the answer', () => {
  const r = fused.match('存档');
  if (r.topic === null) assert.ok(r.suggestions.length > 0 && r.suggestions.length <= 3, JSON.stringify(r));
  for (const s of r.suggestions) assert.ok(kb.byId.has(s));
  assert.equal(r.suggestionScores?.length, r.suggestions.length);
  for (const v of r.suggestionScores ?? []) assert.ok(v < 0.5);
});

test('a message the classifier is sure is off topic gets no suggestions; a short in-scope one ("what is PIPL") is answered', () => {
  // Written for this test: expense claims and a joke are not privacy questions.
  for (const q of ['报销怎么走流程', 'tell me a joke']) {
    const e = fused.explain(q);
    assert.ok((e.classifier?.outOfScope ?? 0) >= 0.9, JSON.stringify(e.classifier));
    assert.deepEqual([e.result.topic, e.result.suggestions], [null, []], q);
    assert.equal(e.result.offTopic, true, q);
  }
  for (const q of ['公司可以监控我吗', '2']) assert.equal(fused.match(q).offTopic, undefined, `${q}: not sure of off topic`);
  assert.equal(ranking.match('报销怎么走流程').offTopic, undefined, 'no classifier, no claim');
  // "what is PIPL" was declined with legality suggested until the fourteenth round's model, which answers it (a
  // newcomer's trial asked for that).
  assert.equal(fused.match('what is PIPL').topic, 'legality');
});

test('a platform named in the question wins over the asker\'s own, even where jieba cuts the name apart (企业微信管理员)', () => {
  for (const q of ['企业微信管理员可以翻看我的私聊记录吗', '企微管理员能看我私聊吗', 'can wecom admins read my dms']) {
    for (const platform of ['dingtalk', 'feishu', 'try']) {
      const r = fused.match(q, { platform });
      assert.equal(r.topic, 'wecom-admin-access', `${q} on ${platform}`);
      assert.equal(r.platformVariants, undefined, `${q} on ${platform}: it names its platform`);
    }
  }
  for (const q of ['钉钉管理员可以翻看我的私聊记录吗', '飞书管理员能看我私聊吗']) {
    const want = q.startsWith('钉钉') ? 'dingtalk-admin-access' : 'feishu-admin-access';
    assert.equal(fused.match(q, { platform: 'wecom' }).topic, want, q);
  }
});

test('platformVariants: only for a family question from an asker whose platform is unknown', () => {
  const q = '管理员能看到我的聊天记录吗';
  const unknown = fused.match(q, { platform: 'try' });
  assert.deepEqual(unknown.platformVariants, ['dingtalk-admin-access', 'feishu-admin-access', 'wecom-admin-access']);
  assert.ok(unknown.platformVariants?.includes(unknown.topic as string));
  assert.equal(fused.match(q).platformVariants?.length, 3, 'no context at all is unknown too');
  for (const platform of ['wecom', 'wecom-aibot', 'dingtalk', 'feishu']) assert.equal(fused.match(q, { platform }).platformVariants, undefined, platform);
  assert.equal(fused.match('存档的聊天记录保存多久', { platform: 'try' }).platformVariants, undefined, 'not a family topic');
});

test('ambiguous: declined questions the classifier is sure are about privacy, never off-topic ones', () => {
  for (const q of ['公司可以监控我吗', ambiguousEnglishQuestion(fused)]) {
    const r = fused.match(q);
    assert.equal(r.topic, null, q);
    assert.equal(r.ambiguous, true, q);
  }
  for (const q of ['帮我写一首关于春天的诗', '报销怎么走流程', '企业微信怎么发红包']) assert.equal(fused.match(q).ambiguous, undefined, q);
  assert.equal(fused.match('企业微信管理员能看我的私聊吗').ambiguous, undefined, 'answered');
  assert.equal(ranking.match('公司可以监控我吗').ambiguous, undefined, 'no classifier, no claim');
});
