import { test } from 'node:test';
import assert from 'node:assert/strict';
import { userIdOf, wecomToInbound } from '../../../adapters/wecom/inbound.ts';

const ctx = { corpId: 'wwcorp', receivedAt: 1_700_000_000_000 };
const base = { ToUserName: 'wwcorp', FromUserName: 'zhangsan', CreateTime: '1700000000', AgentID: '1000002' };

test('text -> kind text with the sender, the MsgId as string and a MsgId dedup key', () => {
  const r = wecomToInbound({ ...base, MsgType: 'text', Content: ' 我的聊天会被存档吗？ ', MsgId: '4561255354251345929' }, ctx);
  assert.equal(r.action, 'handle');
  if (r.action !== 'handle') return;
  assert.deepEqual(r.message, {
    platform: 'wecom',
    tenant: 'wwcorp',
    userId: 'zhangsan',
    chat: { kind: 'single' },
    kind: 'text',
    text: ' 我的聊天会被存档吗？ ',
    mentionedBot: false,
    messageId: '4561255354251345929',
    receivedAt: 1_700_000_000_000,
  });
  assert.equal(r.dedupKey, 'dedup:wecom:4561255354251345929');
  assert.equal(r.replyTo, 'zhangsan');
  assert.equal(r.passiveReplyAllowed, true);
});

test("'CorpID/UserID' senders keep the UserID; the passive reply goes to the raw FromUserName", () => {
  assert.equal(userIdOf('wwupstream/lisi'), 'lisi');
  assert.equal(userIdOf('lisi'), 'lisi');
  const r = wecomToInbound({ ...base, FromUserName: 'wwupstream/lisi', MsgType: 'text', Content: 'hi', MsgId: '1' }, ctx);
  assert.ok(r.action === 'handle');
  assert.equal(r.message.userId, 'lisi');
  assert.equal(r.replyTo, 'wwupstream/lisi');
});

test('image, voice, video, location, link, file and unknown types -> non-text with empty text', () => {
  for (const t of ['image', 'voice', 'video', 'location', 'link', 'file', 'miniprogram']) {
    const r = wecomToInbound({ ...base, MsgType: t, MsgId: '42', Content: 'ignored' }, ctx);
    assert.ok(r.action === 'handle', t);
    assert.equal(r.message.kind, 'non-text');
    assert.equal(r.message.text, '');
  }
});

test('enter_agent -> enter, deduped on FromUserName + CreateTime + Event', () => {
  const r = wecomToInbound({ ...base, MsgType: 'event', Event: 'enter_agent', EventKey: '' }, ctx);
  assert.ok(r.action === 'handle');
  assert.equal(r.message.kind, 'enter');
  assert.equal(r.message.text, '');
  assert.equal(r.dedupKey, 'dedup:wecom:evt:zhangsan:1700000000:enter_agent:');
  assert.equal(r.message.messageId, 'evt:zhangsan:1700000000:enter_agent:');
  const later = wecomToInbound({ ...base, CreateTime: '1700000001', MsgType: 'event', Event: 'enter_agent' }, ctx);
  assert.ok(later.action === 'handle');
  assert.notEqual(later.dedupKey, r.dedupKey);
});

test('template_card_event -> ack-action with the EventKey; no passive reply', () => {
  const r = wecomToInbound({ ...base, MsgType: 'event', Event: 'template_card_event', EventKey: 'ack:notice-3', TaskId: 't1' }, ctx);
  assert.ok(r.action === 'handle');
  assert.equal(r.message.kind, 'ack-action');
  assert.equal(r.message.text, 'ack:notice-3');
  assert.equal(r.passiveReplyAllowed, false);
});

test('other events are ignored', () => {
  for (const e of ['subscribe', 'unsubscribe', 'LOCATION', 'click', 'view', 'msgaudit_notify']) {
    assert.deepEqual(wecomToInbound({ ...base, MsgType: 'event', Event: e }, ctx), { action: 'ignore', reason: `event:${e}` });
  }
});

test('missing FromUserName, MsgType, MsgId (message) or Event (event) -> WECOM_BAD_REQUEST', () => {
  const cases: Record<string, string>[] = [
    { ...base, FromUserName: '', MsgType: 'text', MsgId: '1' },
    { ...base, MsgType: 'text' },
    { ToUserName: 'wwcorp', MsgType: 'text', MsgId: '1' },
    { ...base, MsgType: 'event' },
    { FromUserName: 'a', MsgType: 'event', Event: 'enter_agent' },
  ];
  for (const fields of cases) {
    assert.throws(() => wecomToInbound(fields, ctx), { code: 'WECOM_BAD_REQUEST', status: 400 }, JSON.stringify(fields));
  }
});
