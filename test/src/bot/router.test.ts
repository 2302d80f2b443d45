import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKnowledge } from '../../../src/knowledge/load.ts';
import { createMatcher } from '../../../src/matching/matcher.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import { createRouter } from '../../../src/bot/router.ts';
import { createLogger, hashUserId } from '../../../src/log.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import type { InboundMessage, MessageHandler } from '../../../src/platform/message.ts';
import { EmployeeLanguages } from '../../../src/notices/languages.ts';
import { toTaiwanTraditional } from '../../../src/bot/traditional.ts';
import Database from 'better-sqlite3';
import { REPO_ROOT } from '../../helpers/app.ts';
import { ambiguousEnglishQuestion } from '../../helpers/vague-questions.ts';

let seq = 0;
function msg(text: string, over: Partial<InboundMessage> = {}): InboundMessage {
  seq += 1;
  return {
    platform: 'wecom', tenant: 'corp', userId: 'zhangsan', chat: { kind: 'single' }, kind: 'text',
    text, mentionedBot: false, messageId: `m${seq}`, receivedAt: Date.now(), ...over,
  };
}

describe('router', () => {
  let dir: string;
  let store: Store;
  let handle: MessageHandler;
  let matcher: Awaited<ReturnType<typeof createMatcher>>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'router-test-'));
    store = openSqliteStore(join(dir, 'db.sqlite'));
    const kb = await loadKnowledge(join(REPO_ROOT, 'knowledge'));
    matcher = await createMatcher(kb);
    handle = createRouter({ kb, matcher, store, log: createLogger('silent') });
    await store.putStatuses([
      { platform: 'wecom', userId: 'zhangsan', archived: true, since: '2026-03-01', scope: 'internal and external chats', source: 'import', updatedAt: '2026-05-02T08:00:00.000Z' },
      { platform: 'dingtalk', userId: 'lisi', archived: false, since: null, scope: null, source: 'import', updatedAt: '2026-05-02T08:00:00.000Z' },
    ]);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('"am I archived?": the asker’s own status leads, then the general answer, then the sources', async () => {
    const r = await handle(msg('我的聊天记录现在有没有被公司存档'));
    assert.equal(r.intent, 'faq');
    assert.equal(r.topic, 'am-i-archived');
    assert.equal(r.replies.length, 1);
    const [reply] = r.replies;
    assert.equal(reply!.visibility, 'chat');
    assert.match(reply!.text, /^你的会话存档状态：自 2026-03-01 起已存档/, 'the first line is the status');
    assert.match(reply!.text, /来源：\n- .+https?:\/\//);
    assert.ok(reply!.text.indexOf('看两样') > reply!.text.indexOf('2026-03-01'), 'the general answer after the status');
    assert.ok(reply!.text.indexOf('2026-03-01') < reply!.text.indexOf('来源：'), 'status before sources');
    const en = await handle(msg('is archiving on for me?'));
    assert.equal(en.topic, 'am-i-archived');
    assert.match(en.replies[0]!.text, /^Your archiving status: archived since 2026-03-01/);
  });

  it('another topic with the status: the answer first, then the asker’s own status, then the sources', async () => {
    const r = await handle(msg('企业微信管理员能看到我的聊天记录吗'));
    assert.equal(r.topic, 'wecom-admin-access');
    const text = r.replies[0]!.text;
    assert.doesNotMatch(text, /^你的会话存档状态/);
    assert.ok(text.indexOf('你的会话存档状态') > 0 && text.indexOf('你的会话存档状态') < text.indexOf('来源：'), text);
  });

  it('a sub-question the answer does not open with gets its lead first: turning read receipts off, calls in the archive', async () => {
    const off = await handle(msg('钉钉的已读能关掉吗'));
    assert.equal(off.topic, 'read-receipts');
    assert.match(off.replies[0]!.text, /^能不能关掉要看平台和公司的设置/);
    assert.match(off.replies[0]!.text, /\n\n领导可能看得到/, 'the general answer follows the lead');
    const seen = await handle(msg('老板能看到我有没有读他的消息吗'));
    assert.equal(seen.topic, 'read-receipts');
    assert.match(seen.replies[0]!.text, /^领导可能看得到/, 'no cue: the answer opens as written');
    const tw = await handle(msg('已讀可以關掉嗎'));
    assert.equal(tw.topic, 'read-receipts');
    assert.match(tw.replies[0]!.text, /^能不能關掉要看平台和公司的設定/, 'a Traditional question matches the Simplified cue and gets the lead in Traditional');
    const calls = await handle(msg('are voice calls archived too?'));
    assert.equal(calls.topic, 'archive-scope');
    assert.match(calls.replies[0]!.text, /^Calls only on the Enterprise edition/);
    const fired = await handle(msg('如果我拒绝会话存档，公司能开除我吗'));
    assert.equal(fired.topic, 'refuse-archiving');
    assert.match(fired.replies[0]!.text, /^开除需要公司能证明的合法依据/);
  });

  it('source titles are in the reply\'s language only, not "中文 / English" side by side', async () => {
    for (const [q, lang, own, other] of [
      ['企业微信管理员能看我的私聊吗', 'zh-CN', /^- 企业微信开发者文档：获取会话内容: https:/m, /WeCom docs/],
      ['can wecom admins read my private chats', 'en', /^- WeCom docs: fetching archived conversation content: https:/m, /\p{Script=Han}/u],
      ['企業微信管理員能看我的私聊嗎', 'zh-TW', /^- 企業微信開發者文件：獲取會話內容: https:/m, /WeCom docs/],
    ] as const) {
      const r = await handle(msg(q, { userId: `sources-${lang}` }));
      assert.equal(r.topic, 'wecom-admin-access', q);
      const text = r.replies.map((x) => x.text).join('\n');
      const sources = text.slice(text.search(/^(来源|來源|Sources)[:：]/m));
      assert.match(sources, own, `${lang}: ${sources}`);
      assert.doesNotMatch(sources, other, `${lang}: ${sources}`);
      assert.doesNotMatch(sources, / \/ /, `${lang}: no bilingual title`);
    }
  });

  it('says "not archived" and "no record" for the other two states', async () => {
    const notArchived = await handle(msg('我的聊天有被存档吗', { platform: 'dingtalk', userId: 'lisi' }));
    assert.match(notArchived.replies[0]!.text, /未存档/);
    const unknown = await handle(msg('我的聊天有被存档吗', { userId: 'wangwu' }));
    assert.match(unknown.replies[0]!.text, /暂无记录/);
  });

  it('in a group: the general answer to the group, the personal status only privately', async () => {
    const r = await handle(msg('我的聊天记录有没有被存档', { chat: { kind: 'group', chatId: 'g1' }, mentionedBot: true }));
    assert.equal(r.topic, 'am-i-archived');
    const group = r.replies.filter((x) => x.visibility === 'chat');
    const priv = r.replies.filter((x) => x.visibility === 'private');
    assert.equal(group.length, 1);
    assert.equal(priv.length, 1);
    assert.doesNotMatch(group[0]!.text, /2026-03-01/);
    assert.match(group[0]!.text, /私信/);
    assert.equal(group[0]!.mentionAsker, true);
    assert.match(priv[0]!.text, /2026-03-01/);
  });

  it('in a group with no private channel to the asker: no personal part at all, and a pointer to a 1:1 chat', async () => {
    const r = await handle(msg('我的聊天记录有没有被存档', { chat: { kind: 'group', chatId: 'g1' }, mentionedBot: true, canReplyPrivately: false }));
    assert.equal(r.topic, 'am-i-archived');
    assert.equal(r.replies.length, 1);
    assert.equal(r.replies[0]!.visibility, 'chat');
    assert.doesNotMatch(r.replies[0]!.text, /2026-03-01|私信发给你/);
    assert.match(r.replies[0]!.text, /私聊我/);
  });

  it('never adds a status to topics not flagged for it, nor for anonymous askers', async () => {
    const legal = await handle(msg('公司监控员工的聊天记录在中国合不合法'));
    assert.equal(legal.topic, 'legality');
    assert.doesNotMatch(legal.replies[0]!.text, /2026-03-01|存档状态/);
    const anon = await handle(msg('我的聊天记录有没有被存档', { anonymous: true }));
    assert.equal(anon.topic, 'am-i-archived');
    assert.doesNotMatch(anon.replies[0]!.text, /2026-03-01/);
  });

  it('answers in the asker’s language: English and Traditional Chinese', async () => {
    const en = await handle(msg('Can my boss read my WeCom chats?'));
    assert.equal(en.lang, 'en');
    assert.equal(en.topic, 'wecom-admin-access');
    assert.match(en.replies[0]!.text, /Sources:/);
    assert.match(en.replies[0]!.text, /archiving status/i);
    const tw = await handle(msg('企業微信的管理員可以看我的聊天嗎'));
    assert.equal(tw.lang, 'zh-TW');
    assert.match(tw.replies[0]!.text, /來源：/);
  });

  it('help, greetings and thanks get the help intent with no topic', async () => {
    for (const t of ['帮助', 'help', '菜单', '?', '你好', 'thanks']) {
      const r = await handle(msg(t));
      assert.equal(r.intent, 'help', t);
      assert.equal(r.topic, null, t);
      assert.equal(r.replies.length, 1, t);
    }
    // A thank-you is answered "you're welcome", in its language, not with the introduction a greeting gets.
    assert.match((await handle(msg('谢谢'))).replies[0]!.text, /^不客气/);
    assert.match((await handle(msg('thanks!'))).replies[0]!.text, /^You're welcome/);
    assert.match((await handle(msg('你好'))).replies[0]!.text, /我是隐私助手/);
  });

  it('declines off-topic questions; a number picks a suggestion, same user, within 10 minutes', async () => {
    // A bare domain word is too vague to answer but close enough to suggest topics.
    const r = await handle(msg('存档', { userId: 'picker' }));
    assert.equal(r.intent, 'fallback');
    assert.ok(r.suggestions.length >= 1 && r.suggestions.length <= 3);
    assert.match(r.replies[0]!.text, /^1\. /m);
    const picked = await handle(msg('1', { userId: 'picker' }));
    assert.equal(picked.intent, 'faq');
    assert.equal(picked.topic, r.suggestions[0]);
    assert.equal(picked.lang, 'zh-CN');
    const other = await handle(msg('1', { userId: 'someone-else' }));
    assert.notEqual(other.intent, 'faq');
    const lunch = await handle(msg('今天中午食堂吃什么'));
    assert.equal(lunch.intent, 'fallback');
    assert.equal(lunch.topic, null);
  });

  it('a privacy question that fits several topics asks which one is meant; an off-topic one is told what the bot answers', async () => {
    for (const [q, intro, none] of [
      ['公司可以监控我吗', /^这个问题可以有几种理解，你想问的是哪一个？/, /^都不是？/m],
      [ambiguousEnglishQuestion(matcher), /^That could mean a few things\. Which one do you mean\?/, /^None of these\?/m],
    ] as const) {
      const r = await handle(msg(q, { userId: 'clarify' }));
      assert.equal(r.intent, 'fallback', q);
      assert.ok(r.suggestions.length >= 2, q);
      assert.match(r.replies[0]!.text, intro, q);
      assert.match(r.replies[0]!.text, /^1\. .+\n2\. /m, q);
      assert.match(r.replies[0]!.text, none, q);
      assert.doesNotMatch(r.replies[0]!.text, /不太确定|not sure/, q);
      const picked = await handle(msg('2', { userId: 'clarify' }));
      assert.equal(picked.topic, r.suggestions[1], `${q}: a number picks from the list`);
    }
    // A message the classifier is sure is off topic: what the bot answers (work chats at companies in mainland China) and
    // where to go instead — HR / IT, or a legal adviser for other places' laws (a fifth trial's Taiwan LINE and GDPR
    // questions were sent to HR and IT) — in its language.
    for (const [q, text] of [['帮我写一首关于春天的诗', /^这个问题不在我回答的范围：我只回答中国大陆公司里企业微信、钉钉、飞书工作聊天的隐私问题.*请联系 HR 或 IT，其他地区的法律/u], ['tell me a joke', /^That is not something I answer: .*mainland China.*contact HR or IT, and for other places' laws/u], ['工資條在哪裡看', /^這個問題不在我回答的範圍.*中國大陸.*請聯繫 HR 或 IT/u]] as const) {
      const r = await handle(msg(q, { userId: 'off-topic' }));
      assert.equal(r.intent, 'fallback', q);
      assert.deepEqual(r.suggestions, [], q);
      assert.match(r.replies[0]!.text, text, q);
      assert.doesNotMatch(r.replies[0]!.text, /不太确定|不太確定|not sure/, q);
    }
    // "Who are you" is answered with the introduction, not "not sure".
    assert.equal((await handle(msg('你是谁？'))).intent, 'help');
  });

  it('an admin-access question naming no platform, from an asker of unknown platform: each platform\'s opening, then a number picks one', async () => {
    const tryMsg = (text: string) => msg(text, { platform: 'try', userId: 'try-visitor', anonymous: true });
    const r = await handle(tryMsg('管理员能看到我的聊天记录吗'));
    assert.equal(r.intent, 'platform-choice');
    assert.ok(r.topic?.endsWith('-admin-access'), String(r.topic));
    assert.deepEqual([...r.suggestions].sort(), ['dingtalk-admin-access', 'feishu-admin-access', 'wecom-admin-access']);
    assert.deepEqual(r.suggestions, ['wecom-admin-access', 'dingtalk-admin-access', 'feishu-admin-access'], 'always the same order');
    const text = r.replies[0]!.text;
    assert.match(text, /^要看你的公司用的是哪个平台：\n1\. /);
    for (const name of ['企业微信', '钉钉', '飞书']) assert.match(text, new RegExp(`^\\d\\. ${name}：\\S`, 'm'), text);
    assert.doesNotMatch(text, /来源：/, 'no sources until one platform is chosen');
    const n = r.suggestions.indexOf('feishu-admin-access') + 1;
    const picked = await handle(tryMsg(String(n)));
    assert.equal(picked.intent, 'faq');
    assert.equal(picked.topic, 'feishu-admin-access');
    assert.match(picked.replies[0]!.text, /来源：/);
    // The platform's name picks too (the list is pending again after a new question); not without a list.
    for (const [name, want] of [['钉钉', 'dingtalk-admin-access'], ['Lark', 'feishu-admin-access'], ['用的是企业微信', 'wecom-admin-access']] as const) {
      assert.equal((await handle(tryMsg('管理员能看到我的聊天记录吗'))).intent, 'platform-choice');
      const byName = await handle(tryMsg(name));
      assert.equal(byName.intent, 'faq', name);
      assert.equal(byName.topic, want, name);
    }
    assert.notEqual((await handle(tryMsg('钉钉'))).topic, 'dingtalk-admin-access', 'no pending list: a bare name is a question');
    // English, and the same question from an asker whose platform is known: that platform's full answer.
    const en = await handle(tryMsg('Can admins read my chats?'));
    assert.equal(en.intent, 'platform-choice');
    assert.match(en.replies[0]!.text, /^It depends on which app your company uses:\n/);
    assert.match(en.replies[0]!.text, /^\d\. DingTalk: /m);
    const onDingTalk = await handle(msg('管理员能看到我的聊天记录吗', { platform: 'dingtalk', userId: 'lisi' }));
    assert.equal(onDingTalk.intent, 'faq');
    assert.equal(onDingTalk.topic, 'dingtalk-admin-access');
    // A question that names its platform is answered for it, whoever asks.
    const named = await handle(tryMsg('企业微信管理员可以翻看我的私聊记录吗'));
    assert.equal(named.intent, 'faq');
    assert.equal(named.topic, 'wecom-admin-access');
  });

  it('a follow-up naming another platform ("那钉钉呢", "what about lark?") asks the previous question for that platform', async () => {
    const tryMsg = (text: string, userId: string) => msg(text, { platform: 'try', userId, anonymous: true });
    // A platform-neutral topic (retention) is answered again, opened by how it applies to the platform named.
    assert.equal((await handle(tryMsg('企业微信的存档保存多久', 'fu-zh'))).topic, 'retention');
    for (const [q, line] of [['那钉钉呢', /^关于钉钉：看下面回答里讲到钉钉的部分。\n\n取决于/], ['飛書呢', /^關於飛書：下面的回答沒有單獨講飛書；講到具體平台的內容只適用於那個平台/], ['換成企微的呢', /^關於企業微信：/]] as const) {
      const r = await handle(tryMsg(q, 'fu-zh'));
      assert.equal(r.intent, 'faq', q);
      assert.equal(r.topic, 'retention', q);
      assert.match(r.replies[0]!.text, line, q);
    }
    // After the platform menu, and after one platform's answer: the admin-access question for the platform named.
    assert.equal((await handle(tryMsg('can admins read my chats?', 'fu-en'))).intent, 'platform-choice');
    for (const [q, want] of [['what about lark?', 'feishu-admin-access'], ['how about dingtalk', 'dingtalk-admin-access'], ['and WeCom?', 'wecom-admin-access'], ['what about Feishu', 'feishu-admin-access']] as const) {
      const r = await handle(tryMsg(q, 'fu-en'));
      assert.equal(r.intent, 'faq', q);
      assert.equal(r.topic, want, q);
      assert.equal(r.lang, 'en', q);
    }
    // An employee on WeCom: the same, with their own status kept on their own platform.
    assert.equal((await handle(msg('企业微信管理员能看我的聊天吗', { userId: 'fu-emp' }))).topic, 'wecom-admin-access');
    assert.equal((await handle(msg('那钉钉呢', { userId: 'fu-emp' }))).topic, 'dingtalk-admin-access');
    // With no previous answer it is a normal question, not a retention answer nor an introduction.
    const fresh = await handle(tryMsg('那钉钉呢', 'fu-fresh'));
    assert.notEqual(fresh.topic, 'retention');
    assert.doesNotMatch(fresh.replies[0]!.text, /^关于钉钉：/);
  });

  it('welcomes on enter and asks for text on other kinds', async () => {
    assert.equal((await handle(msg('', { kind: 'enter' }))).intent, 'welcome');
    const nt = await handle(msg('', { kind: 'non-text' }));
    assert.equal(nt.intent, 'non-text');
    assert.match(nt.replies[0]!.text, /text|文字/);
  });
});

describe('router with a store that fails', () => {
  it('still answers the FAQ and says the status is temporarily unavailable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'router-test-'));
    const store = openSqliteStore(join(dir, 'db.sqlite'));
    const kb = await loadKnowledge(join(REPO_ROOT, 'knowledge'));
    const handle = createRouter({ kb, matcher: await createMatcher(kb), store, log: createLogger('silent') });
    await store.close();
    const r = await handle(msg('我的聊天记录有没有被存档'));
    assert.equal(r.topic, 'am-i-archived');
    assert.match(r.replies[0]!.text, /暂时无法查询/);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('router: "详细" / "more" right after an answer with detail', () => {
  let dir: string;
  let store: Store;
  let handle: MessageHandler;
  let kb: Awaited<ReturnType<typeof loadKnowledge>>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'router-detail-'));
    store = openSqliteStore(join(dir, 'db.sqlite'));
    kb = await loadKnowledge(join(REPO_ROOT, 'knowledge'));
    handle = createRouter({ kb, matcher: await createMatcher(kb), store, log: createLogger('silent') });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One of the entry's own phrasings: any matcher answers it with that entry. */
  const ask = (id: string, lang: 'zh' | 'en' = 'zh') => kb.byId.get(id)!.questions[lang][0]!;
  const WITH_DETAIL = 'legality';
  const WITHOUT_DETAIL = 'two-factor';

  it('the KB has entries with and without detail to test with', () => {
    assert.ok(kb.byId.get(WITH_DETAIL)!.detail);
    assert.equal(kb.byId.get(WITHOUT_DETAIL)!.detail, undefined);
  });

  it('zh-CN: the answer says more is available; "详细" as the next message sends the detail with the sources', async () => {
    const a = await handle(msg(ask(WITH_DETAIL), { userId: 'd-cn' }));
    assert.equal(a.topic, WITH_DETAIL);
    assert.match(a.replies[0]!.text, /回复“详细”查看更多。\n\n来源：/);
    const d = await handle(msg('详细', { userId: 'd-cn' }));
    assert.equal(d.intent, 'detail');
    assert.equal(d.topic, WITH_DETAIL);
    assert.equal(d.lang, 'zh-CN');
    assert.ok(d.replies[0]!.text.startsWith(kb.byId.get(WITH_DETAIL)!.detail!.zh.trim()), 'detail text first');
    assert.match(d.replies[0]!.text, /\n\n来源：\n- .+: https?:\/\//);
    assert.equal(d.replies[0]!.links?.items.length, kb.byId.get(WITH_DETAIL)!.sources.length);
    // Once: a second "详细" is no longer right after the answer.
    const again = await handle(msg('详细', { userId: 'd-cn' }));
    assert.equal(again.intent, 'fallback');
    assert.match(again.replies[0]!.text, /没有更多细节/);
  });

  it('zh-TW: "詳細" gets the detail in Traditional Chinese', async () => {
    const a = await handle(msg(toTaiwanTraditional(ask(WITH_DETAIL)), { userId: 'd-tw' }));
    assert.equal(a.lang, 'zh-TW');
    assert.equal(a.topic, WITH_DETAIL);
    assert.match(a.replies[0]!.text, /回覆「詳細」查看更多。/);
    const d = await handle(msg('詳細', { userId: 'd-tw' }));
    assert.equal(d.intent, 'detail');
    assert.equal(d.lang, 'zh-TW');
    assert.equal(d.replies[0]!.text.split('\n\n來源：')[0], toTaiwanTraditional(kb.byId.get(WITH_DETAIL)!.detail!.zh.trim()));
  });

  it('en: "more" (any case, with punctuation) gets the English detail', async () => {
    const a = await handle(msg(ask(WITH_DETAIL, 'en'), { userId: 'd-en' }));
    assert.equal(a.lang, 'en');
    assert.match(a.replies[0]!.text, /Reply "more" for details\.\n\nSources:/);
    const d = await handle(msg('More!', { userId: 'd-en' }));
    assert.equal(d.intent, 'detail');
    assert.equal(d.lang, 'en');
    assert.ok(d.replies[0]!.text.startsWith(kb.byId.get(WITH_DETAIL)!.detail!.en.trim()));
  });

  it('not after an unrelated message, nor after an answer without detail', async () => {
    await handle(msg(ask(WITH_DETAIL), { userId: 'd-gap' }));
    await handle(msg('今天中午食堂吃什么', { userId: 'd-gap' }));
    const late = await handle(msg('详细', { userId: 'd-gap' }));
    assert.equal(late.intent, 'fallback');
    assert.equal(late.topic, null);

    const plain = await handle(msg(ask(WITHOUT_DETAIL), { userId: 'd-plain' }));
    assert.equal(plain.topic, WITHOUT_DETAIL);
    assert.doesNotMatch(plain.replies[0]!.text, /详细/);
    const none = await handle(msg('详细', { userId: 'd-plain' }));
    assert.equal(none.intent, 'fallback');
    assert.match(none.replies[0]!.text, /没有更多细节/);
  });

  it('an answer without detail ends the previous answer\'s pending detail', async () => {
    await handle(msg(ask(WITH_DETAIL), { userId: 'd-replaced' }));
    await handle(msg(ask(WITHOUT_DETAIL), { userId: 'd-replaced' }));
    assert.equal((await handle(msg('more', { userId: 'd-replaced' }))).intent, 'fallback');
  });

  it('per user: another user\'s "more" gets nothing and does not use up the first user\'s detail', async () => {
    await handle(msg(ask(WITH_DETAIL), { userId: 'd-alice' }));
    const bob = await handle(msg('more', { userId: 'd-bob' }));
    assert.equal(bob.intent, 'fallback');
    const other = await handle(msg('详细', { userId: 'd-alice', platform: 'dingtalk' }));
    assert.equal(other.intent, 'fallback', 'same user id on another platform is another user');
    const alice = await handle(msg('详细', { userId: 'd-alice' }));
    assert.equal(alice.intent, 'detail');
  });

  it('in a group the detail goes to the group, mentioning the asker; non-text messages end it too', async () => {
    const group = { chat: { kind: 'group' as const, chatId: 'g-detail' }, mentionedBot: true, userId: 'd-group' };
    await handle(msg(ask(WITH_DETAIL), group));
    const d = await handle(msg('详细', group));
    assert.equal(d.intent, 'detail');
    assert.equal(d.replies.length, 1);
    assert.equal(d.replies[0]!.visibility, 'chat');
    assert.equal(d.replies[0]!.mentionAsker, true);

    await handle(msg(ask(WITH_DETAIL), { userId: 'd-image' }));
    await handle(msg('', { userId: 'd-image', kind: 'non-text' }));
    assert.equal((await handle(msg('详细', { userId: 'd-image' }))).intent, 'fallback');
  });

  it('stores the topic id and language only, never a text', async () => {
    await handle(msg(ask(WITH_DETAIL), { userId: 'd-stored' }));
    const key = `last-reply:wecom:${hashUserId('wecom', 'd-stored')}`;
    assert.deepEqual(JSON.parse((await store.get(key))!), { id: WITH_DETAIL, topic: WITH_DETAIL, lang: 'zh-CN' });
    // An answer without detail: its topic (for a follow-up naming a platform) and language (for "more" and
    // language-neutral messages after it).
    await handle(msg(ask(WITHOUT_DETAIL, 'en'), { userId: 'd-stored' }));
    assert.deepEqual(JSON.parse((await store.get(key))!), { topic: WITHOUT_DETAIL, lang: 'en' });
    // A reply that answers nothing: its language only.
    await handle(msg('hello', { userId: 'd-stored' }));
    assert.deepEqual(JSON.parse((await store.get(key))!), { lang: 'en' });
  });
});

describe('router: replies to language-neutral messages ("2", "?", "？？", an emoji) follow the asker', () => {
  let dir: string;
  let file: string;
  let store: Store;
  let handle: MessageHandler;
  let kb: Awaited<ReturnType<typeof loadKnowledge>>;
  let languages: EmployeeLanguages;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'router-neutral-'));
    file = join(dir, 'db.sqlite');
    store = openSqliteStore(file);
    kb = await loadKnowledge(join(REPO_ROOT, 'knowledge'));
    // The per-employee language record the notices use (src/notices/languages.ts), wired as src/core.ts wires it.
    languages = new EmployeeLanguages(store);
    handle = createRouter({
      kb,
      matcher: await createMatcher(kb),
      store,
      log: createLogger('silent'),
      onQuestionLanguage: (m, lang) => languages.remember(m.platform, m.userId, lang),
      lastQuestionLanguage: (m) => languages.get(m.platform, m.userId),
    });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const NEUTRAL = ['2', '?', '？？', '👍', '🙂'];
  const ask = (id: string) => kb.byId.get(id)!.questions.zh[0]!;

  it('a brand-new employee gets zh-CN (nothing known), and nothing is recorded for them', async () => {
    for (const t of NEUTRAL) {
      const r = await handle(msg(t, { userId: `n-new-${t}` }));
      assert.equal(r.lang, 'zh-CN', `"${t}"`);
      assert.match(r.replies[0]!.text, /[隐私问题你]/u, `"${t}": a Simplified Chinese reply`);
      assert.equal(await languages.get('wecom', `n-new-${t}`), null, `"${t}" records no language`);
    }
    // "ok" alone is what Chinese chat types too: it follows the asker (nothing known: zh-CN); "ok thanks" is English.
    assert.equal((await handle(msg('ok', { userId: 'n-new-ok' }))).lang, 'zh-CN');
    await languages.remember('wecom', 'n-en-ok', 'en');
    assert.equal((await handle(msg('OK!', { userId: 'n-en-ok' }))).lang, 'en');
    assert.equal((await handle(msg('ok thanks', { userId: 'n-new-ok2' }))).lang, 'en');
  });

  it('an employee who last asked in zh-TW (days ago: nothing pending) gets zh-TW; in en, en — and the record is not changed', async () => {
    await languages.remember('wecom', 'n-tw', 'zh-TW');
    await languages.remember('wecom', 'n-en', 'en');
    for (const t of NEUTRAL) {
      const tw = await handle(msg(t, { userId: 'n-tw' }));
      assert.equal(tw.lang, 'zh-TW', `"${t}"`);
      const en = await handle(msg(t, { userId: 'n-en' }));
      assert.equal(en.lang, 'en', `"${t}"`);
    }
    // "2" with nothing pending is "not sure" in the asker's language.
    const two = await handle(msg('2', { userId: 'n-tw' }));
    assert.equal(two.intent, 'fallback');
    assert.match(two.replies[0]!.text, /^我不太確定你問的是哪個問題。/);
    assert.equal((await handle(msg('？？', { userId: 'n-en' }))).replies[0]!.text.startsWith("I'm not sure"), true);
    assert.equal(await languages.get('wecom', 'n-tw'), 'zh-TW');
    assert.equal(await languages.get('wecom', 'n-en'), 'en');
  });

  it('right after a reply, the language of that reply comes first (also for anonymous askers, who have no record)', async () => {
    await languages.remember('wecom', 'n-switch', 'en');
    const tw = await handle(msg(toTaiwanTraditional(ask('two-factor')), { userId: 'n-switch' }));
    assert.equal(tw.lang, 'zh-TW');
    assert.equal((await handle(msg('?', { userId: 'n-switch' }))).lang, 'zh-TW');
    // Anonymous (/try): nothing is remembered for 180 days, but the last reply's language still counts.
    const anon = { platform: 'try', userId: 'try-session-1', anonymous: true };
    await handle(msg('Can admins read my chats?', anon));
    const q = await handle(msg('👍', anon));
    assert.equal(q.lang, 'en');
    assert.equal(await languages.get('try', 'try-session-1'), null);
  });

  it('a language hint (the /try page\'s language) decides only when nothing earlier does, and only for a neutral message', async () => {
    const anon = (userId: string, langHint: 'zh-CN' | 'zh-TW' | 'en') => ({ platform: 'try', userId, anonymous: true, langHint });
    // Nothing before: the hint.
    for (const t of NEUTRAL) {
      const tw = await handle(msg(t, anon(`try-hint-tw-${t}`, 'zh-TW')));
      assert.equal(tw.lang, 'zh-TW', `"${t}" with a zh-TW hint`);
      assert.doesNotMatch(tw.replies[0]!.text, /[问题这个们吗]/u, `"${t}": no Simplified-only character in the zh-TW reply`);
      assert.equal((await handle(msg(t, anon(`try-hint-en-${t}`, 'en')))).lang, 'en', `"${t}" with an en hint`);
    }
    // A message with a language of its own: its language, whatever the hint.
    assert.equal((await handle(msg('Can admins read my chats?', anon('try-hint-q', 'zh-TW')))).lang, 'en');
    assert.equal((await handle(msg(ask('two-factor'), anon('try-hint-q2', 'en')))).lang, 'zh-CN');
    // The bot's last reply comes first: an English answer, then "?" with a zh-TW hint is answered in English.
    await handle(msg('Can admins read my chats?', anon('try-hint-last', 'zh-TW')));
    assert.equal((await handle(msg('?', anon('try-hint-last', 'zh-TW')))).lang, 'en');
    // The employee's remembered language comes before it too, and the hint is never remembered as theirs.
    await languages.remember('wecom', 'n-hint-record', 'en');
    assert.equal((await handle(msg('?', { userId: 'n-hint-record', langHint: 'zh-TW' }))).lang, 'en');
    assert.equal((await handle(msg('👍', { userId: 'n-hint-new', langHint: 'zh-TW' }))).lang, 'zh-TW');
    assert.equal(await languages.get('wecom', 'n-hint-new'), null, 'a hint is not the employee\'s language');
  });

  it('Chinese that could be either script follows a zh-TW hint; Simplified-only characters still mean zh-CN', async () => {
    const anon = (userId: string, langHint: 'zh-CN' | 'zh-TW' | 'en') => ({ platform: 'try', userId, anonymous: true, langHint });
    // "更多" as the very first message on a zh-TW page: no answer to expand, said in zh-TW.
    const more = await handle(msg('更多', anon('try-zh-open-more', 'zh-TW')));
    assert.equal(more.lang, 'zh-TW');
    assert.doesNotMatch(more.replies[0]!.text, /[这个们问题没说]/u, 'no Simplified-only character');
    // A script-neutral question: answered in zh-TW on a zh-TW page, in zh-CN on a zh-CN page or with no hint.
    const q = '公司可以看我的私人聊天嗎'.replace('嗎', '吧');
    assert.equal((await handle(msg(q, anon('try-zh-open-q', 'zh-TW')))).lang, 'zh-TW');
    assert.equal((await handle(msg(q, anon('try-zh-open-q-cn', 'zh-CN')))).lang, 'zh-CN');
    assert.equal((await handle(msg(q, { userId: 'n-zh-open' }))).lang, 'zh-CN');
    // Simplified-only characters: zh-CN whatever the hint.
    assert.equal((await handle(msg('公司能看我的聊天记录吗', anon('try-zh-open-cn', 'zh-TW')))).lang, 'zh-CN');
    // An employee's script-neutral question with a zh-TW hint is not remembered as zh-TW.
    await handle(msg(q, { userId: 'n-zh-open-hint', langHint: 'zh-TW' }));
    assert.equal(await languages.get('wecom', 'n-zh-open-hint'), null);
  });

  it('"更多" / "more" after a zh-TW answer with no further detail answers in zh-TW', async () => {
    for (const t of ['更多', 'more', '详细']) {
      const a = await handle(msg(toTaiwanTraditional(ask('two-factor')), { userId: `n-more-${t}` }));
      assert.equal(a.lang, 'zh-TW');
      assert.equal(kb.byId.get(a.topic!)!.detail, undefined, 'an answer without detail');
      const more = await handle(msg(t, { userId: `n-more-${t}` }));
      assert.equal(more.intent, 'fallback');
      assert.equal(more.lang, 'zh-TW', `"${t}"`);
      assert.match(more.replies[0]!.text, /^上一則回答沒有更多細節。/);
    }
    // A detail already sent: "更多" again says there is no more, still in zh-TW.
    const withDetail = await handle(msg(toTaiwanTraditional(ask('legality')), { userId: 'n-more-twice' }));
    assert.equal(withDetail.lang, 'zh-TW');
    assert.equal((await handle(msg('詳細', { userId: 'n-more-twice' }))).intent, 'detail');
    const again = await handle(msg('更多', { userId: 'n-more-twice' }));
    assert.equal(again.lang, 'zh-TW');
    // Nothing before it: "更多" is Chinese, "more" English.
    assert.equal((await handle(msg('更多', { userId: 'n-more-none' }))).lang, 'zh-CN');
    assert.equal((await handle(msg('more', { userId: 'n-more-none2' }))).lang, 'en');
  });

  it('the store holds hashed user ids only, and the language and topic id — never a user id or a text', async () => {
    const db = new Database(file, { readonly: true });
    try {
      const dump = JSON.stringify(db.prepare('SELECT * FROM kv').all());
      for (const id of ['n-tw', 'n-en', 'n-switch', 'try-session-1', 'n-more-']) assert.ok(!dump.includes(id), `${id} is not stored`);
      for (const text of ['read my chats', '確定', toTaiwanTraditional(ask('two-factor'))]) assert.ok(!dump.includes(text), `${text} is not stored`);
    } finally {
      db.close();
    }
  });
});
