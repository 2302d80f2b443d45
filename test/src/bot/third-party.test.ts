import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asksAboutSomeoneElse, createThirdPartyRefusal } from '../../../src/bot/third-party.ts';
import { loadKnowledge } from '../../../src/knowledge/load.ts';
import { createLogger } from '../../../src/log.ts';
import { REPO_ROOT } from '../../helpers/app.ts';

const ABOUT_OTHERS = [
  '查一下张三的存档状态',
  '查一下張三的存檔狀態',
  '王五的聊天记录有没有被存档',
  '帮我看看李四有没有被存档',
  '李四是不是在存档名单里',
  '他的聊天有没有被公司存档',
  '她的企业微信开没开会话存档',
  '小王的消息会被存档吗',
  '张总的聊天记录有没有被监控',
  '查一下 lisi 的存档状态',
  'zhangsan的会话存档开了吗',
  '陈晓明的存档情况怎么样',
  "What is lisi's archiving status?",
  "What’s Zhang San's archiving status?",
  'Is zhangsan archived?',
  'Is Wang Wu being monitored?',
  "Are lisi's chats archived?",
  'Show me the archiving status of lisi',
  'archiving status for user wangwu',
  'Are her messages archived by the company?',
  "Is John's chat archived?",
  'Is zhang.san archived?',
  // the owner-at-the-end, pronoun and pinyin tests are loops now (linear time); the same questions still count
  '查一下 user.name_01 的存档状态',
  'Their chats, as far as I know, are archived?',
  'Is wangxiaoming archived?',
  "What is zhuangxiaoer's archiving status?",
];

const NOT_ABOUT_OTHERS = [
  '查一下我的存档状态',
  '我的聊天有没有被存档',
  '我和张三的聊天有没有被存档',
  '我跟李四的聊天记录会被存档吗',
  '员工的聊天会被存档吗',
  '客户的聊天记录存档要客户点同意吗',
  '任何人的聊天都会被存档吗',
  '公司的存档状态怎么查',
  '群里说的话公司能看到吗',
  '领导能看到我的聊天吗',
  '老板能不能偷看我在企业微信里的聊天',
  '同事能看到我问机器人的问题吗',
  '管理员能导出我的聊天记录吗',
  'Am I archived?',
  'Is my chat archived?',
  "What is the company's archiving policy?",
  "Are WeCom's chats archived?",
  'Can my boss read my chats?',
  'Is everyone archived?',
  'What is my archiving status?',
  'Show me my archiving status.',
  '撤回的消息公司还能看到吗',
  '存档的聊天记录保存多久',
  'CEO的聊天记录会被存档吗',
  'HR的聊天会被存档吗',
  '高管的聊天也会被存档吗',
  '老板的聊天会被存档吗',
  '新员工的聊天会被存档吗',
  '其他同事的聊天有没有被存档',
  'Is audio archived?',
  'Are files archived?',
  'Is data archived?',
  "What is Tencent's archiving policy?",
  "Is Alibaba's DingTalk archiving my chats?",
  'Is everything archived?',
  'Is my voice recorded?',
  'Are group chats archived too?',
  // ".*" never crossed a line break: a pronoun on one line and "archived" on the next is not about a person
  'his chats\nare archived',
  // "their" refers to a group named before it, not to one other person
  'Do external customers have to agree before their chats with me are archived?',
  'Do employees get told before their messages are archived?',
  // 他们 / 他 standing for customers or a group named before it (a fourth newcomer trial: refused as "someone else's status")
  '客户知道他们的聊天被存档吗',
  '客戶知道他們的聊天被存檔嗎',
  '外部联系人会知道他的聊天记录被存档吗',
  '同事们知道他们的聊天记录被存档了吗',
];

test('questions about another person’s status are recognised', () => {
  const missed = ABOUT_OTHERS.filter((q) => !asksAboutSomeoneElse(q));
  assert.deepEqual(missed, []);
});

test('questions about one’s own status, general questions and other topics are not', () => {
  const wrong = NOT_ABOUT_OTHERS.filter((q) => asksAboutSomeoneElse(q));
  assert.deepEqual(wrong, []);
});

test('no phrasing of the knowledge base and no question of the dev set is taken for one', async () => {
  const kb = await loadKnowledge(join(REPO_ROOT, 'knowledge'));
  const phrasings = kb.entries.flatMap((e) => [...e.questions.zh, ...e.questions.en, e.title.zh, e.title.en]);
  const devFile = join(REPO_ROOT, '..', 'shared', 'eval', 'dev.jsonl');
  let dev: string[] = [];
  try {
    dev = readFileSync(devFile, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { q: string }).q);
  } catch {
    // the shared eval set is outside the repository; the knowledge base alone still counts
  }
  const wrong = [...phrasings, ...dev].filter((q) => asksAboutSomeoneElse(q));
  assert.deepEqual(wrong, []);
  assert.ok(phrasings.length > 100);
});

test('a very long question is answered the same way, whatever it is made of', () => {
  // Inputs that made the old expressions backtrack for seconds; now each is a quick no (or yes) — no timing here.
  assert.equal(asksAboutSomeoneElse('his chats '.repeat(5000) + 'status'), false);
  assert.equal(asksAboutSomeoneElse('a.'.repeat(25_000) + " status's archive"), false);
  assert.equal(asksAboutSomeoneElse('我的聊天'.repeat(2000) + '存档状态'), false);
  assert.equal(asksAboutSomeoneElse('x '.repeat(20_000) + "What is lisi's archiving status?"), true);
});

test('the command answers politely in the asker’s language and looks nothing up', async () => {
  const refuse = createThirdPartyRefusal({ log: createLogger('silent') });
  const base = { platform: 'wecom', tenant: 't', userId: 'u', kind: 'text' as const, mentionedBot: false, messageId: 'm', receivedAt: 0 };
  const zh = await refuse({ ...base, chat: { kind: 'single' }, text: '查一下张三的存档状态' }, 'zh-CN');
  assert.equal(zh?.intent, 'other-person');
  assert.match(zh!.replies[0]!.text, /只能告诉你你本人的存档状态/);
  const en = await refuse({ ...base, chat: { kind: 'group', chatId: 'g' }, text: "What is lisi's archiving status?" }, 'en');
  assert.match(en!.replies[0]!.text, /only tell you your own/);
  assert.equal(en!.replies[0]!.mentionAsker, true);
  assert.equal(await refuse({ ...base, chat: { kind: 'single' }, text: '我的聊天有没有被存档' }, 'zh-CN'), null);
});
