import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AIBOT_STREAM_MAX_BYTES } from '../../../adapters/wecom-aibot/limits.ts';
import { routeReplies, streamReplyJson, truncateUtf8, welcomeReplyJson } from '../../../adapters/wecom-aibot/replies.ts';
import type { BotResult } from '../../../src/platform/message.ts';
import { chatAndPrivate, GENERAL_ANSWER, PRIVATE_STATUS } from './harness.ts';

test('group: only chat replies in the chat; private ones to the asker', () => {
  const r = routeReplies(chatAndPrivate(), { kind: 'group', chatId: 'g' });
  assert.equal(r.inChat, GENERAL_ANSWER);
  assert.deepEqual(r.toAsker, [PRIVATE_STATUS]);
  assert.equal(r.inChat.includes(PRIVATE_STATUS), false);
});

test('1:1: every reply in the chat, in order, nothing separate', () => {
  const r = routeReplies(chatAndPrivate(), { kind: 'single' });
  assert.equal(r.inChat, `${GENERAL_ANSWER}\n\n${PRIVATE_STATUS}`);
  assert.deepEqual(r.toAsker, []);
});

test('empty replies are skipped; a group result with only private replies says nothing in the group', () => {
  const only: BotResult = { ...chatAndPrivate(), replies: [{ text: '  ', visibility: 'chat' }, { text: PRIVATE_STATUS, visibility: 'private' }] };
  assert.deepEqual(routeReplies(only, { kind: 'group', chatId: 'g' }), { inChat: '', toAsker: [PRIVATE_STATUS] });
});

test('a long chat reply is cut to 20480 UTF-8 bytes on a code-point boundary', () => {
  const long: BotResult = { ...chatAndPrivate(), replies: [{ text: '存'.repeat(8000), visibility: 'chat' }] };
  const r = routeReplies(long, { kind: 'single' });
  assert.ok(Buffer.byteLength(r.inChat, 'utf8') <= AIBOT_STREAM_MAX_BYTES);
  assert.ok(r.inChat.endsWith('…'));
  assert.ok(r.inChat.startsWith('存'.repeat(6000)));
});

test('truncateUtf8 property: within the limit, a prefix (plus …), never a broken code point', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.integer({ min: 3, max: 200 }), (s, max) => {
      const out = truncateUtf8(s, max);
      assert.ok(Buffer.byteLength(out, 'utf8') <= max);
      if (Buffer.byteLength(s, 'utf8') <= max) assert.equal(out, s);
      else {
        assert.ok(out.endsWith('…'));
        assert.ok(s.startsWith(out.slice(0, -1)));
        assert.equal(Buffer.from(out, 'utf8').toString('utf8'), out);
      }
    }),
  );
});

test('reply payloads follow the documented shapes', () => {
  assert.deepEqual(JSON.parse(streamReplyJson('s1', true, '你好')), { msgtype: 'stream', stream: { id: 's1', finish: true, content: '你好' } });
  assert.deepEqual(JSON.parse(welcomeReplyJson('欢迎')), { msgtype: 'text', text: { content: '欢迎' } });
});

test('an answer\'s sources become markdown links in the stream; text without links is unchanged', () => {
  const links = { before: '答案。', heading: '来源：', items: [{ title: 'WeCom (docs)', url: 'https://developer.work.weixin.qq.com/document/path/91774' }] };
  const result = {
    intent: 'faq' as const, topic: 't', score: 1, suggestions: [], lang: 'zh-CN' as const,
    replies: [
      { text: `答案。\n\n来源：\n- WeCom (docs): ${links.items[0]!.url}`, links, visibility: 'chat' as const },
      { text: 'status', visibility: 'private' as const },
    ],
  };
  const single = routeReplies(result, { kind: 'single' });
  assert.equal(single.inChat, '答案。\n\n来源：\n- [WeCom (docs)](https://developer.work.weixin.qq.com/document/path/91774)\n\nstatus');
  const group = routeReplies(result, { kind: 'group', chatId: 'g' });
  assert.equal(group.inChat, '答案。\n\n来源：\n- [WeCom (docs)](https://developer.work.weixin.qq.com/document/path/91774)');
  assert.deepEqual(group.toAsker, ['status']);
});
