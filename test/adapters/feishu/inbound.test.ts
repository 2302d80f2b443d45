import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyCallback, fromDispatcherData, stripMentions, toCardClick, toInboundMessage, toReads, type FeishuHeader } from '../../../adapters/feishu/inbound.ts';
import { atMention, deliverFeishuReplies } from '../../../adapters/feishu/outbound.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../src/log.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import { createFeishuApi } from '../../../adapters/feishu/api.ts';
import { startFakeFeishu } from '../../fakes/feishu-api.ts';
import { PACE_HEADROOM, SEND_QPS_PER_CHAT } from '../../../adapters/feishu/limits.ts';
import { maxInWindow, minGap, quietClock } from '../../helpers/virtual-clock.ts';

const header: FeishuHeader = { event_id: 'ev1', event_type: 'im.message.receive_v1', token: 't', app_id: 'cli_a1b2c3d4e5f60718', tenant_key: 'tk' };
const BOT = 'ou_bot';

function event(message: Record<string, unknown>, sender: Record<string, unknown> = {}): unknown {
  return {
    sender: { sender_id: { open_id: 'ou_u1' }, sender_type: 'user', tenant_key: 'tk', ...sender },
    message: { message_id: 'om_1', chat_id: 'oc_1', chat_type: 'p2p', message_type: 'text', content: JSON.stringify({ text: 'hi' }), ...message },
  };
}

describe('Feishu inbound', () => {
  it('classifies challenges, v2 events and legacy v1 bodies', () => {
    assert.deepEqual(classifyCallback({ type: 'url_verification', challenge: 'c', token: 't' }), { kind: 'challenge', challenge: 'c', token: 't' });
    assert.equal(classifyCallback({ schema: '2.0', header, event: {} }).kind, 'event');
    assert.equal(classifyCallback({ uuid: 'x', token: 't', ts: '1', type: 'event_callback', event: { type: 'message' } }).kind, 'legacy');
    assert.throws(() => classifyCallback([]), { code: 'FEISHU_BAD_REQUEST', status: 400 });
    assert.throws(() => classifyCallback({ schema: '2.0', header: { event_type: 'x' } }), /header\.event_id/);
    // A url_verification says what is wrong with its challenge: missing, or not a string.
    assert.throws(() => classifyCallback({ type: 'url_verification', token: 't' }), /challenge: required/);
    assert.throws(() => classifyCallback({ type: 'url_verification', challenge: { a: 1 }, token: 't' }), /challenge: must be a string, got an object/);
    assert.throws(() => classifyCallback({ type: 'url_verification', challenge: ['x'], token: 't' }), /challenge: must be a string, got an array/);
  });

  it('strips the bot placeholder, keeps other people by name, longest keys first', () => {
    const mentions = [
      { key: '@_user_1', id: { open_id: BOT }, name: 'Bot' },
      { key: '@_user_10', id: { open_id: 'ou_x' }, name: 'Wang' },
    ];
    assert.equal(stripMentions('@_user_1  ask @_user_10 about @_all archiving', mentions, (m) => m.id?.open_id === BOT), 'ask @Wang about archiving');
  });

  it('turns 1:1 and @-mentioned group messages into InboundMessages; ignores the rest', () => {
    const p2p = toInboundMessage(header, event({}), { botOpenId: BOT, receivedAt: 5 });
    assert.equal(p2p.action, 'handle');
    if (p2p.action === 'handle') {
      assert.deepEqual(p2p.message, { platform: 'feishu', tenant: 'tk', userId: 'ou_u1', chat: { kind: 'single' }, kind: 'text', text: 'hi', mentionedBot: false, messageId: 'om_1', receivedAt: 5 });
      assert.deepEqual(p2p.target, { chatType: 'p2p', chatId: 'oc_1', messageId: 'om_1', openId: 'ou_u1', member: true });
    }
    const mention = [{ key: '@_user_1', id: { open_id: BOT }, name: 'Bot' }];
    const group = toInboundMessage(header, event({ chat_type: 'group', content: JSON.stringify({ text: '@_user_1 问题' }), mentions: mention }), { botOpenId: BOT, receivedAt: 5 });
    assert.equal(group.action === 'handle' && group.message.text, '问题');
    assert.equal(toInboundMessage(header, event({ chat_type: 'group' }), { botOpenId: BOT, receivedAt: 5 }).action, 'ignore');
    // Bot id unknown: a mention typed 'bot' counts.
    const typed = toInboundMessage(header, event({ chat_type: 'group', content: JSON.stringify({ text: '@_user_1 q' }), mentions: [{ key: '@_user_1', id: { open_id: 'ou_?' }, name: 'B', mentioned_type: 'bot' }] }), { botOpenId: null, receivedAt: 5 });
    assert.equal(typed.action, 'handle');
    assert.equal(toInboundMessage(header, event({}, { sender_type: 'app' }), { botOpenId: BOT, receivedAt: 5 }).action, 'ignore');
    const external = toInboundMessage(header, event({}, { tenant_key: 'other' }), { botOpenId: BOT, receivedAt: 5 });
    assert.equal(external.action === 'handle' && external.message.anonymous, true);
  });

  it('reads post (rich text) as text and other types as non-text', () => {
    const post = { zh_cn: { title: '标题', content: [[{ tag: 'text', text: '存档' }, { tag: 'a', text: '链接', href: 'https://x' }], [{ tag: 'img', image_key: 'k' }]] } };
    const r = toInboundMessage(header, event({ message_type: 'post', content: JSON.stringify(post) }), { botOpenId: BOT, receivedAt: 1 });
    assert.equal(r.action === 'handle' && r.message.text, '标题\n存档链接');
    const img = toInboundMessage(header, event({ message_type: 'image', content: '{"image_key":"x"}' }), { botOpenId: BOT, receivedAt: 1 });
    assert.equal(img.action === 'handle' && img.message.kind, 'non-text');
    assert.throws(() => toInboundMessage(header, event({ content: 'not json' }), { botOpenId: BOT, receivedAt: 1 }), /content/);
    assert.throws(() => toInboundMessage(header, { message: {} }, { botOpenId: BOT, receivedAt: 1 }), { code: 'FEISHU_BAD_REQUEST' });
  });

  it('gives one message id per (card, person, key) to card clicks', () => {
    const ev = (open: string) => ({ operator: { open_id: open }, action: { value: { ack: 'ack:n1:1' } }, context: { open_message_id: 'om_card' } });
    const a = toCardClick(header, ev('ou_a'), 1);
    const again = toCardClick({ ...header, event_id: 'ev2' }, ev('ou_a'), 2);
    const b = toCardClick(header, ev('ou_b'), 1);
    assert.ok(a.action === 'handle' && again.action === 'handle' && b.action === 'handle');
    if (a.action === 'handle' && again.action === 'handle' && b.action === 'handle') {
      assert.equal(a.message.kind, 'ack-action');
      assert.equal(a.message.text, 'ack:n1:1');
      assert.equal(a.message.messageId, again.message.messageId);
      assert.notEqual(a.message.messageId, b.message.messageId);
    }
  });

  it('reads read receipts (ms or s) and rebuilds the SDK-flattened event', () => {
    assert.deepEqual(toReads({ reader: { reader_id: { open_id: 'ou_a' }, read_time: '1700000000000' }, message_id_list: ['om_1'] }, 0), { readerOpenId: 'ou_a', readAt: 1700000000000, messageIds: ['om_1'] });
    assert.equal(toReads({ reader: { reader_id: { open_id: 'ou_a' }, read_time: 1700000000 }, message_id_list: [] }, 0).readAt, 1700000000000);
    const flat = fromDispatcherData({ schema: '2.0', event_id: 'e', event_type: 'im.message.receive_v1', app_id: 'cli_x', tenant_key: 'tk', message: { message_id: 'm' } }, 'im.message.receive_v1');
    assert.equal(flat.header.event_id, 'e');
    assert.deepEqual(flat.event, { message: { message_id: 'm' } });
  });
});

describe('Feishu outbound (against the fake Feishu)', () => {
  it('sends private replies 1:1 only, never into the group; drops them for askers outside the tenant', async () => {
    const fake = await startFakeFeishu();
    const dir = mkdtempSync(join(tmpdir(), 'feishu-outbound-'));
    const store = openSqliteStore(join(dir, 'bot.db'));
    try {
      const log = createLogger('silent');
      const api = createFeishuApi({ appId: fake.appId, appSecret: fake.appSecret, apiBase: fake.apiBase, kv: store, log });
      const target = { chatType: 'group' as const, chatId: 'oc_g', messageId: 'om_q', openId: 'ou_a', member: true };
      const report = await deliverFeishuReplies(
        [
          { text: 'general', visibility: 'chat', mentionAsker: true },
          { text: 'personal', visibility: 'private' },
        ],
        target,
        'om_q',
        { api, log },
      );
      assert.deepEqual(
        fake.sent.map((s) => [s.kind, s.parentId ?? `${s.receiveIdType}:${s.receiveId}`, s.content.text]),
        [
          ['reply', 'om_q', `${atMention('ou_a')} general`],
          ['send', 'open_id:ou_a', 'personal'],
        ],
      );
      assert.deepEqual(report, { chat: 1, private: 1, failed: 0 });
      fake.sent.length = 0;
      const outsider = await deliverFeishuReplies([{ text: 'personal', visibility: 'private' }], { ...target, member: false }, 'om_q2', { api, log });
      assert.deepEqual(fake.sent, []);
      assert.equal(outsider.failed, 1);
      // The same reply again (a retry): the uuid makes Feishu show it once.
      await deliverFeishuReplies([{ text: 'general', visibility: 'chat' }], target, 'om_q', { api, log });
      assert.equal(fake.sent.length, 0);
    } finally {
      await store.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Feishu API pacing (against the fake Feishu)', () => {
  it('keeps one person under 5 messages per second and the app under its per-second budget', async () => {
    // The gates and the fake share a clock that stands still while a request is on its way: each
    // send's `at` is the time the gates let it leave, not when a loaded machine delivered it.
    const clock = quietClock();
    const fake = await startFakeFeishu({ now: clock.now });
    const dir = mkdtempSync(join(tmpdir(), 'feishu-pace-'));
    const store = openSqliteStore(join(dir, 'bot.db'));
    const realFetch = globalThis.fetch;
    globalThis.fetch = ((...args: Parameters<typeof fetch>) => clock.hold(realFetch(...args))) as typeof fetch;
    try {
      const log = createLogger('silent');
      const api = createFeishuApi({ appId: fake.appId, appSecret: fake.appSecret, apiBase: fake.apiBase, kv: store, log, appQps: 10, clock });
      await clock.run(Promise.all(Array.from({ length: 12 }, (_, i) => api.send('open_id', 'ou_same', 'text', JSON.stringify({ text: `p${i}` }), `same-${i}`))));
      assert.equal(fake.sent.length, 12);
      // One person: one chat interval (5/s × headroom) between any two, never more than 5 in a second.
      const one = fake.sent.map((s) => s.at).sort((a, b) => a - b);
      const chatIntervalMs = 1000 / (SEND_QPS_PER_CHAT * PACE_HEADROOM);
      assert.ok(minGap(one) >= chatIntervalMs - 1e-6, `sends at +${one.map((t) => (t - one[0]!).toFixed(1)).join(', +')} ms`);
      assert.ok(maxInWindow(one, 1000) <= SEND_QPS_PER_CHAT);
      assert.deepEqual(fake.chatBursts(), []);
      fake.sent.length = 0;
      // 25 people at once: the app's 10/s, one send every 100 ms, never 11 in a second.
      await clock.run(Promise.all(Array.from({ length: 25 }, (_, i) => api.send('open_id', `ou_u${i}`, 'text', JSON.stringify({ text: 'x' }), `many-${i}`))));
      assert.equal(fake.sent.length, 25);
      const times = fake.sent.map((s) => s.at).sort((a, b) => a - b);
      assert.ok(minGap(times) >= 100 - 1e-6, `sends at +${times.map((t) => (t - times[0]!).toFixed(1)).join(', +')} ms`);
      assert.equal(maxInWindow(times, 1000), 10);
    } finally {
      globalThis.fetch = realFetch;
      await store.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
