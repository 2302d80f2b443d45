import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aibotDedupKey, aibotToInbound, parseAibotCallback, stripMentions, validateAibotCallback } from '../../../adapters/wecom-aibot/inbound.ts';
import { RequestError } from '../../../src/errors.ts';
import { aibotEvent, aibotMessage, aibotStreamRefresh, aibotText } from '../../fakes/wecom-aibot-ws.ts';
import { S3 } from './harness.ts';
import { AIBOT_INBOUND_TEXT_MAX_BYTES } from '../../../adapters/wecom-aibot/limits.ts';

const ctx = { tenant: 'wwcorp', receivedAt: 1_700_000_000_000 };
const convert = (body: object) => aibotToInbound(validateAibotCallback(body), ctx);
const isBad = (e: unknown) => e instanceof RequestError && e.code === 'AIBOT_BAD_MESSAGE' && e.status === 400;

test('stripMentions: leading @BotName with a space or U+2005, other mentions, emails kept', () => {
  assert.equal(stripMentions('@bot 我的聊天会被存档吗'), '我的聊天会被存档吗');
  assert.equal(stripMentions('@隐私助手\u2005我的聊天会被存档吗'), '我的聊天会被存档吗');
  assert.equal(stripMentions('@RobotA\u2005@张三\u2005看看这个'), '看看这个');
  assert.equal(stripMentions('问一下 @bot'), '问一下');
  assert.equal(stripMentions('请发到 me@example.com 谢谢'), '请发到 me@example.com 谢谢');
  assert.equal(stripMentions('@bot\n第一行\n第二行'), '第一行\n第二行');
  assert.equal(stripMentions('  no mention here  '), 'no mention here');
  assert.equal(stripMentions('@bot'), '');
});

test('S3 plaintext: a group text message with the mention stripped', () => {
  const r = aibotToInbound(parseAibotCallback(S3.plaintext), ctx);
  assert.equal(r.action, 'handle');
  if (r.action !== 'handle') return;
  assert.equal(r.mode, 'stream');
  assert.equal(r.dedupKey, 'dedup:wecom-aibot:m1');
  assert.deepEqual(r.message, {
    platform: 'wecom',
    tenant: 'wwcorp',
    userId: 'zhangsan',
    chat: { kind: 'group', chatId: 'c1' },
    kind: 'text',
    text: '我的聊天会被存档吗',
    mentionedBot: true,
    messageId: 'm1',
    receivedAt: ctx.receivedAt,
  });
});

test('1:1 text: chat single, mentionedBot false; chattype inferred from chatid when absent', () => {
  const r = convert(aibotText({ msgid: 'm2', userid: 'lisi', content: '你好' }));
  assert.ok(r.action === 'handle');
  assert.deepEqual(r.message.chat, { kind: 'single' });
  assert.equal(r.message.mentionedBot, false);
  const { chattype: _drop, ...noType } = aibotText({ msgid: 'm3', userid: 'lisi', content: '@b hi', chatid: 'g9' });
  const g = convert(noType);
  assert.ok(g.action === 'handle');
  assert.deepEqual(g.message.chat, { kind: 'group', chatId: 'g9' });
});

test('voice with a transcription is text; mixed joins its text items; image/file/video are non-text', () => {
  const voice = convert(aibotMessage({ msgid: 'v1', userid: 'u', msgtype: 'voice', fields: { voice: { content: '我的聊天记录会被看吗' } } }));
  assert.ok(voice.action === 'handle');
  assert.equal(voice.message.kind, 'text');
  assert.equal(voice.message.text, '我的聊天记录会被看吗');
  const mixed = convert(
    aibotMessage({
      msgid: 'x1',
      userid: 'u',
      msgtype: 'mixed',
      chatid: 'g',
      fields: { mixed: { msg_item: [{ msgtype: 'text', text: { content: '@bot 这张图' } }, { msgtype: 'image', image: { url: 'u' } }, { msgtype: 'text', text: { content: '能看到吗' } }] } },
    }),
  );
  assert.ok(mixed.action === 'handle');
  assert.equal(mixed.message.kind, 'text');
  assert.equal(mixed.message.text, '这张图\n能看到吗');
  for (const msgtype of ['image', 'file', 'video', 'location-new-type']) {
    const r = convert(aibotMessage({ msgid: `n-${msgtype}`, userid: 'u', msgtype, fields: { [msgtype]: { url: 'https://x.invalid' } } }));
    assert.ok(r.action === 'handle');
    assert.equal(r.message.kind, 'non-text');
    assert.equal(r.message.text, '');
  }
  const silentVoice = convert(aibotMessage({ msgid: 'v2', userid: 'u', msgtype: 'voice', fields: { voice: {} } }));
  assert.ok(silentVoice.action === 'handle');
  assert.equal(silentVoice.message.kind, 'non-text');
  const imagesOnly = convert(aibotMessage({ msgid: 'x2', userid: 'u', msgtype: 'mixed', fields: { mixed: { msg_item: [{ msgtype: 'image', image: { url: 'u' } }] } } }));
  assert.ok(imagesOnly.action === 'handle');
  assert.equal(imagesOnly.message.kind, 'non-text');
});

test('events: enter_chat -> enter (welcome), template_card_event -> ack-action with the key (1:1 only), others ignored', () => {
  const enter = convert(aibotEvent({ msgid: 'e1', userid: 'u', eventtype: 'enter_chat' }));
  assert.ok(enter.action === 'handle');
  assert.equal(enter.mode, 'welcome');
  assert.equal(enter.message.kind, 'enter');
  const card = convert(aibotEvent({ msgid: 'e2', userid: 'u', eventtype: 'template_card_event', eventKey: 'ack:n1:2' }));
  assert.ok(card.action === 'handle');
  assert.equal(card.mode, 'private-only');
  assert.equal(card.message.kind, 'ack-action');
  assert.equal(card.message.text, 'ack:n1:2');
  assert.deepEqual(convert(aibotEvent({ msgid: 'e3', userid: 'u', eventtype: 'feedback_event' })), { action: 'ignore', reason: 'event:feedback_event' });
  const { msgid: _m, ...noId } = aibotEvent({ msgid: 'x', userid: 'u', eventtype: 'enter_chat' });
  const fallback = convert(noId);
  assert.ok(fallback.action === 'handle');
  assert.match(fallback.dedupKey, /^dedup:wecom-aibot:evt:u:\d+:enter_chat:$/);
});

test('stream refresh -> refresh with the stream id', () => {
  assert.deepEqual(convert(aibotStreamRefresh({ msgid: 'r1', userid: 'u', streamId: 'stream_abc' })), { action: 'refresh', streamId: 'stream_abc' });
});

test('tenant: ours when known, else from.corpid, else aibotid', () => {
  const noTenant = (body: object) => aibotToInbound(validateAibotCallback(body), { tenant: '', receivedAt: 0 });
  const a = noTenant(aibotEvent({ msgid: 'e', userid: 'u', eventtype: 'enter_chat' }));
  assert.ok(a.action === 'handle');
  assert.equal(a.message.tenant, 'wwfakecorp');
  const b = noTenant(aibotText({ msgid: 'm', userid: 'u', content: 'x', aibotid: 'aib-77' }));
  assert.ok(b.action === 'handle');
  assert.equal(b.message.tenant, 'aib-77');
});

test('bad input: 400 AIBOT_BAD_MESSAGE naming what is missing', () => {
  assert.throws(() => parseAibotCallback('{not json'), isBad);
  assert.throws(() => parseAibotCallback('[]'), isBad);
  assert.throws(() => parseAibotCallback('{"msgid":"m"}'), (e: unknown) => isBad(e) && /msgtype/.test((e as Error).message));
  assert.throws(() => convert({ msgid: 'm', msgtype: 'text', text: { content: 'x' } }), (e: unknown) => isBad(e) && /from\.userid/.test((e as Error).message));
  assert.throws(() => convert({ msgtype: 'text', from: { userid: 'u' }, text: { content: 'x' } }), (e: unknown) => isBad(e) && /msgid/.test((e as Error).message));
  assert.throws(() => convert({ msgid: 'm', chattype: 'group', msgtype: 'text', from: { userid: 'u' }, text: { content: 'x' } }), (e: unknown) => isBad(e) && /chatid/.test((e as Error).message));
  assert.throws(() => convert({ msgid: 'm', msgtype: 'text', from: { userid: 'u' } }), (e: unknown) => isBad(e) && /text\.content/.test((e as Error).message));
  assert.throws(() => convert({ msgid: 'm', msgtype: 'stream', from: { userid: 'u' } }), isBad);
  assert.throws(() => convert({ msgid: 'm', msgtype: 'event', from: { userid: 'u' } }), isBad);
  assert.throws(() => convert({ msgid: 'm', msgtype: 'text', from: { userid: 7 }, text: { content: 'x' } }), isBad);
  assert.throws(() => convert({ msgid: 'm', msgtype: 'text', chattype: 'channel', from: { userid: 'u' }, text: { content: 'x' } }), isBad);
});

test('dedup key and numeric msgid', () => {
  assert.equal(aibotDedupKey('abc'), 'dedup:wecom-aibot:abc');
  const r = convert({ msgid: 12345, msgtype: 'text', from: { userid: 'u' }, text: { content: 'x' } });
  assert.ok(r.action === 'handle');
  assert.equal(r.message.messageId, '12345');
});

test('text longer than AIBOT_INBOUND_TEXT_MAX_BYTES is cut to it before mentions are stripped, and marked truncated', () => {
  const long = '@bot\u2005' + '存'.repeat(50_000);
  const r = convert(aibotText({ msgid: 'long-1', userid: 'zhangsan', content: long }));
  assert.equal(r.action, 'handle');
  if (r.action !== 'handle') return;
  assert.equal(r.message.truncated, true);
  assert.ok(Buffer.byteLength(r.message.text) <= AIBOT_INBOUND_TEXT_MAX_BYTES);
  assert.equal(r.message.text, '存'.repeat(Math.floor((AIBOT_INBOUND_TEXT_MAX_BYTES - Buffer.byteLength('@bot\u2005')) / 3)));
  const short = convert(aibotText({ msgid: 'short-1', userid: 'zhangsan', content: '我的聊天会被存档吗' }));
  assert.equal(short.action === 'handle' && short.message.truncated, undefined);
});
