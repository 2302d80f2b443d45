import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKnowledge } from '../../../src/knowledge/load.ts';
import { createMatcher } from '../../../src/matching/matcher.ts';
import { openSqliteStore } from '../../../src/store/sqlite.ts';
import { createRouter } from '../../../src/bot/router.ts';
import { createLogger } from '../../../src/log.ts';
import type { Store } from '../../../src/store/port.ts';
import type { InboundMessage, MessageHandler } from '../../../src/types.ts';
import { REPO_ROOT } from '../../helpers/app.ts';

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

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'router-test-'));
    store = openSqliteStore(join(dir, 'db.sqlite'));
    const kb = await loadKnowledge(join(REPO_ROOT, 'knowledge'));
    const matcher = await createMatcher(kb);
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

  it('answers a FAQ, then the asker’s own status, then the sources', async () => {
    const r = await handle(msg('我的聊天记录现在有没有被公司存档'));
    assert.equal(r.intent, 'faq');
    assert.equal(r.topic, 'am-i-archived');
    assert.equal(r.replies.length, 1);
    const [reply] = r.replies;
    assert.equal(reply!.visibility, 'chat');
    assert.match(reply!.text, /2026-03-01/);
    assert.match(reply!.text, /来源：\n- .+https?:\/\//);
    assert.ok(reply!.text.indexOf('2026-03-01') < reply!.text.indexOf('来源：'), 'status before sources');
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
