// Picking a "not sure" suggestion: by topic id + language (a suggestion button), or by a bare number — only from
// the latest list, only as the very next message of that user in that conversation, on every platform. And the
// status wording: an answer or help text promises the asker's own status only where one is shown.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKnowledge } from '../../../src/knowledge/load.ts';
import { createMatcher } from '../../../src/matching/matcher.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import { createRouter } from '../../../src/bot/router.ts';
import { messagesFor } from '../../../src/bot/messages.ts';
import { toTaiwanTraditional } from '../../../src/bot/traditional.ts';
import { createLogger } from '../../../src/log.ts';
import type { KnowledgeBase } from '../../../src/knowledge/types.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import type { BotResult, InboundMessage, MessageHandler } from '../../../src/platform/message.ts';
import { REPO_ROOT } from '../../helpers/app.ts';

let seq = 0;
function msg(text: string, over: Partial<InboundMessage> = {}): InboundMessage {
  seq += 1;
  return {
    platform: 'wecom', tenant: 'corp', userId: 'u1', chat: { kind: 'single' }, kind: 'text',
    text, mentionedBot: false, messageId: `s${seq}`, receivedAt: Date.now(), ...over,
  };
}

/** A vague question that gets "not sure" with three suggestions, in the question's language. */
const VAGUE = { 'zh-CN': '存档', 'zh-TW': '存檔', en: 'archiving' } as const;

describe('router: picking a suggestion', () => {
  let dir: string;
  let store: Store;
  let kb: KnowledgeBase;
  let handle: MessageHandler;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'router-suggest-'));
    store = openSqliteStore(join(dir, 'db.sqlite'));
    kb = await loadKnowledge(join(REPO_ROOT, 'knowledge'));
    handle = createRouter({ kb, matcher: await createMatcher(kb), store, log: createLogger('silent') });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function notSure(over: Partial<InboundMessage>, lang: keyof typeof VAGUE = 'zh-CN'): Promise<BotResult> {
    const r = await handle(msg(VAGUE[lang], over));
    assert.equal(r.intent, 'fallback');
    assert.equal(r.suggestions.length, 3, 'three suggestions to pick from');
    return r;
  }

  it('"1", "2", "２" and "第三个" pick from the list as the very next message, in the list\'s language', async () => {
    for (const [text, index] of [['1', 0], ['2', 1], ['２', 1], ['第三个', 2]] as const) {
      const user = `n-${text}`;
      const r = await notSure({ userId: user });
      const picked = await handle(msg(text, { userId: user }));
      assert.equal(picked.intent, 'faq', text);
      assert.equal(picked.topic, r.suggestions[index], text);
      assert.equal(picked.lang, 'zh-CN', text);
    }
    const en = await notSure({ userId: 'n-en' }, 'en');
    const pickedEn = await handle(msg('2', { userId: 'n-en' }));
    assert.equal(pickedEn.topic, en.suggestions[1]);
    assert.equal(pickedEn.lang, 'en');
    assert.ok(pickedEn.replies[0]!.text.startsWith(kb.byId.get(en.suggestions[1]!)!.answer.en.trim().slice(0, 40)), 'English answer');
  });

  it('only once: a second number is a normal question again', async () => {
    const r = await notSure({ userId: 'once' });
    assert.equal((await handle(msg('1', { userId: 'once' }))).topic, r.suggestions[0]);
    const again = await handle(msg('2', { userId: 'once' }));
    assert.notEqual(again.intent, 'faq');
    assert.notEqual(again.topic, r.suggestions[1]);
  });

  it('any other message in between ends the list: an answered question, a help request, a non-text message', async () => {
    for (const between of [msg('公司监控聊天合法吗', { userId: 'b1' }), msg('帮助', { userId: 'b2' }), msg('', { userId: 'b3', kind: 'non-text' })]) {
      const r = await notSure({ userId: between.userId });
      await handle(between);
      const late = await handle(msg('1', { userId: between.userId }));
      assert.notEqual(late.intent, 'faq', `after ${between.kind} "${between.text}"`);
      assert.notEqual(late.topic, r.suggestions[0]);
    }
  });

  it('a number with no list pending is a normal question', async () => {
    const r = await handle(msg('1', { userId: 'nobody-asked' }));
    assert.notEqual(r.intent, 'faq');
    assert.equal(r.topic, null);
  });

  it('only from the latest list: a second "not sure" replaces the first', async () => {
    await notSure({ userId: 'latest' }, 'zh-CN');
    const second = await handle(msg('monitoring', { userId: 'latest' }));
    assert.equal(second.intent, 'fallback');
    const picked = await handle(msg('1', { userId: 'latest' }));
    assert.equal(picked.topic, second.suggestions[0]);
    assert.equal(picked.lang, 'en', 'the language of the latest list');
  });

  it('per conversation: a list offered in a group is not picked from a 1:1 chat or another group, nor by another user', async () => {
    const g1 = { kind: 'group', chatId: 'g1' } as const;
    const r = await notSure({ userId: 'conv', chat: g1, mentionedBot: true });
    // Elsewhere: nothing to pick (and these messages are in other conversations, so the group's list stays).
    assert.notEqual((await handle(msg('1', { userId: 'conv' }))).intent, 'faq', '1:1 chat');
    assert.notEqual((await handle(msg('1', { userId: 'conv', chat: { kind: 'group', chatId: 'g2' }, mentionedBot: true }))).intent, 'faq', 'other group');
    assert.notEqual((await handle(msg('1', { userId: 'someone-else', chat: g1, mentionedBot: true }))).intent, 'faq', 'other user');
    assert.notEqual((await handle(msg('1', { userId: 'conv', platform: 'dingtalk', chat: g1, mentionedBot: true }))).intent, 'faq', 'other platform');
    const picked = await handle(msg('1', { userId: 'conv', chat: g1, mentionedBot: true }));
    assert.equal(picked.intent, 'faq');
    assert.equal(picked.topic, r.suggestions[0]);
  });

  it('a pick (topic id + language) answers that topic in that language, whatever the text', async () => {
    const en = await handle(msg('', { userId: 'p1', anonymous: true, pick: { topic: 'refuse-archiving', lang: 'en' } }));
    assert.equal(en.intent, 'faq');
    assert.equal(en.topic, 'refuse-archiving');
    assert.equal(en.lang, 'en');
    assert.ok(en.replies[0]!.text.startsWith(kb.byId.get('refuse-archiving')!.answer.en.trim().slice(0, 40)));
    assert.match(en.replies[0]!.text, /Sources:/);
    const tw = await handle(msg('retention', { userId: 'p2', pick: { topic: 'legality', lang: 'zh-TW' } }));
    assert.equal(tw.topic, 'legality');
    assert.equal(tw.lang, 'zh-TW');
    assert.ok(tw.replies[0]!.text.startsWith(toTaiwanTraditional(kb.byId.get('legality')!.answer.zh.trim()).slice(0, 20)));
    // An unknown topic is ignored: the text is answered as usual.
    const unknown = await handle(msg('帮助', { userId: 'p3', pick: { topic: 'no-such-topic', lang: 'en' } }));
    assert.equal(unknown.intent, 'help');
  });

  it('a pick also ends the pending list (a number after it is a normal question)', async () => {
    await notSure({ userId: 'p4' });
    const byButton = await handle(msg('', { userId: 'p4', pick: { topic: 'retention', lang: 'zh-CN' } }));
    assert.equal(byButton.topic, 'retention');
    assert.notEqual((await handle(msg('1', { userId: 'p4' }))).intent, 'faq');
  });
});

describe('router: a status is promised only where one is shown', () => {
  let dir: string;
  let store: Store;
  let kb: KnowledgeBase;
  let handle: MessageHandler;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'router-status-words-'));
    store = openSqliteStore(join(dir, 'db.sqlite'));
    kb = await loadKnowledge(join(REPO_ROOT, 'knowledge'));
    handle = createRouter({ kb, matcher: await createMatcher(kb), store, log: createLogger('silent') });
    await store.putStatuses([
      { platform: 'wecom', userId: 'w1', archived: true, since: '2026-03-01', scope: null, source: 'import', updatedAt: '2026-05-02T08:00:00.000Z' },
    ]);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Words that say the assistant shows/adds the asker's own status, and words that make it conditional on a 1:1 chat. */
  const PROMISE = /below|下方|附上|adds? your|本助手附|this assistant (adds|shows)|直接显示|直接顯示/iu;
  const ONLY_IN_1TO1 = /1:1|one-to-one|单聊|單聊|私聊|私訊|私信|privately/iu;

  it('every answer of a topic that appends a status promises it only for a 1:1 chat (zh-CN, zh-TW, en)', () => {
    let checked = 0;
    for (const e of kb.entries.filter((x) => x.appendStatus)) {
      for (const text of [e.answer.zh, toTaiwanTraditional(e.answer.zh), e.answer.en]) {
        for (const sentence of text.split(/(?<=[。.；;！!？?])\s*|\n+/u).filter((s) => PROMISE.test(s))) {
          assert.match(sentence, ONLY_IN_1TO1, `${e.id}: "${sentence}" promises a status without saying where`);
          checked++;
        }
      }
    }
    assert.ok(checked >= 3, 'am-i-archived refers to the status in all three languages');
  });

  it('am-i-archived: in a 1:1 chat the status follows; anonymous, in a group, or with no private channel it says where (not "below")', async () => {
    const q = { 'zh-CN': '我的聊天有没有被存档', en: 'Are my chats archived?' } as const;
    for (const [lang, text] of Object.entries(q) as [keyof typeof q, string][]) {
      const own = await handle(msg(text, { userId: 'w1' }));
      assert.equal(own.topic, 'am-i-archived', lang);
      assert.equal(own.replies.length, 1);
      assert.match(own.replies[0]!.text, /2026-03-01/, `${lang}: the promised status is there`);

      const anon = await handle(msg(text, { userId: 'w1', anonymous: true }));
      assert.equal(anon.topic, 'am-i-archived');
      assert.doesNotMatch(anon.replies[0]!.text, /2026-03-01/);
      assert.ok(anon.replies[0]!.text.includes(messagesFor(anon.lang).anonymousStatus), `${lang}: anonymous note`);
      assert.ok(anon.replies[0]!.text.split('\n')[0]!.match(ONLY_IN_1TO1), `${lang}: the first sentence is conditional`);

      const group = await handle(msg(text, { userId: 'w1', chat: { kind: 'group', chatId: 'g9' }, mentionedBot: true }));
      const inGroup = group.replies.filter((r) => r.visibility === 'chat');
      assert.equal(inGroup.length, 1);
      assert.ok(inGroup[0]!.text.includes(messagesFor(group.lang).groupPrivateNote), `${lang}: the group is told it went privately`);
      assert.match(group.replies.find((r) => r.visibility === 'private')!.text, /2026-03-01/);

      const noPrivate = await handle(msg(text, { userId: 'w1', chat: { kind: 'group', chatId: 'g9' }, mentionedBot: true, canReplyPrivately: false }));
      assert.equal(noPrivate.replies.length, 1);
      assert.ok(noPrivate.replies[0]!.text.includes(messagesFor(noPrivate.lang).groupAskPrivately));
    }
  });

  it('help promises the asker\'s own status only where one can be shown', async () => {
    for (const [text, lang] of [['帮助', 'zh-CN'], ['幫助', 'zh-TW'], ['help', 'en']] as const) {
      const m = messagesFor(lang);
      const direct = await handle(msg(text, { userId: 'h1' }));
      assert.equal(direct.replies[0]!.text, m.help);
      const anon = await handle(msg(text, { userId: 'h1', anonymous: true }));
      assert.equal(anon.replies[0]!.text, m.helpAnonymous);
      const noPrivate = await handle(msg(text, { userId: 'h1', chat: { kind: 'group', chatId: 'g9' }, mentionedBot: true, canReplyPrivately: false }));
      assert.equal(noPrivate.replies[0]!.text, m.helpNoPrivate);
      for (const t of [m.helpAnonymous, m.helpNoPrivate]) assert.doesNotMatch(t, /我会附上|我會附上|I add your own/u, `${lang}: no promise`);
      assert.match(m.help, /我会附上|我會附上|I add your own/u, `${lang}: the 1:1 help does promise it`);
    }
  });
});
