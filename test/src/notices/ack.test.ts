import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/app/config.ts';
import { createCore, type Core } from '../../../src/core.ts';
import { messagesFor } from '../../../src/bot/messages.ts';
import { createAckCommand, isAckPhrase, isReceiptOnly } from '../../../src/notices/ack.ts';
import { NoticeService } from '../../../src/notices/service.ts';
import { BroadcastWorker } from '../../../src/notices/worker.ts';
import { BotError } from '../../../src/errors.ts';
import type { NoticeStore } from '../../../src/store/ports/notices.ts';
import type { InboundMessage } from '../../../src/platform/message.ts';
import { REPO_ROOT } from '../../helpers/app.ts';
import { createLoopbackChannel, startFakeNoticePlatform, type FakeNoticePlatform } from '../../fakes/notice-platform.ts';
import { assertCountsAddUp, silent } from './helpers.ts';
import { deleteRedisPrefix } from '../../helpers/redis-prefix.ts';
import { redisUnreachable } from '../../e2e/notices-harness.ts';

let seq = 0;
function msg(text: string, over: Partial<InboundMessage> = {}): InboundMessage {
  seq += 1;
  return { platform: 'wecom', tenant: 'corp', userId: 'zhangsan', chat: { kind: 'single' }, kind: 'text', text, mentionedBot: false, messageId: `m${seq}`, receivedAt: Date.now(), ...over };
}

describe('acknowledgement phrases', () => {
  it('accepts the phrases, trimmed, any case, with trailing punctuation', () => {
    for (const t of ['确认', '確認', '已知悉', '知道了', '知道了。', ' 知道了！ ', 'ack', 'ACK', 'Ack.', 'I acknowledge', 'i  acknowledge!', '确认知悉', '確認知悉']) {
      assert.equal(isAckPhrase(t), true, t);
    }
  });
  it('refuses anything else, including questions that contain a phrase', () => {
    for (const t of ['', '确认什么', '我知道了吗', '知道了吗？', 'acknowledge', 'ack please', '不确认', 'I acknowledged', '已知悉？', '我不知悉', '知悉什么']) {
      assert.equal(isAckPhrase(t), false, t);
    }
  });
  it('accepts explicit read / understood wording with politeness around it (zh-CN, zh-TW, en; full width)', () => {
    for (const t of [
      '我已知悉', '已阅', '好的，已知悉', 'Acknowledged', '已閱', '知悉了', '已知悉了', '我已阅读并知悉', '已閱讀並確認', '嗯嗯，知道了',
      '收到，已知悉，谢谢', '已阅知悉', '本人已知悉。', '好的 已阅', 'Noted with thanks', 'noted', 'Acknowledged, thanks!', 'OK, acknowledged',
      'I have read and understood the notice.', 'read and understood', 'ＡＣＫ', '確認了', '我已經知悉', '已知悉～',
    ]) {
      assert.equal(isAckPhrase(t), true, t);
    }
  });
  it('does not count receipt or ok alone (that says it arrived, not that it was read)', () => {
    for (const t of ['收到', 'ok', 'OK', 'received', '好的', '收到，谢谢', '明白了', '了解', 'got it', '谢谢', 'understood']) {
      assert.equal(isAckPhrase(t), false, t);
    }
    for (const t of ['收到', '收到了', 'ok', 'Okay!', 'Received.', '好的', '好的，收到', '收到，谢谢', '👍']) assert.equal(isReceiptOnly(t), true, t);
    for (const t of ['谢谢', '确认', '收到什么？', '收到了吗', '你好', '已知悉']) assert.equal(isReceiptOnly(t), false, t);
  });
});

describe('acknowledging in the chat (router + store + worker)', () => {
  let dir: string;
  let core: Core;
  let fake: FakeNoticePlatform;
  let noticeId: string;
  let broadcastId: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ack-test-'));
    core = await createCore(loadConfig({ KNOWLEDGE_DIR: join(REPO_ROOT, 'knowledge'), DATA_DIR: dir }), silent);
    fake = await startFakeNoticePlatform({ users: ['zhangsan', 'lisi', 'wangwu', 'zhaoliu', 'sunqi', 'zhouba'] });
    core.notices.registerChannel(createLoopbackChannel({ url: fake.url, platform: 'wecom', readSupported: false }));
    const v = await core.notices.createNotice({ title: { zh: '会话存档告知', en: 'Chat archiving notice' }, body: { zh: '正文', en: 'Body' } });
    noticeId = v.noticeId;
    const b = await core.notices.createBroadcast({ noticeId, platform: 'wecom', audience: { userIds: ['zhangsan', 'lisi', 'wangwu', 'sunqi', 'zhouba'] }, createdBy: 'test' });
    broadcastId = b.id;
    await new BroadcastWorker({ service: core.notices, log: silent }).runUntil(async () => (await core.notices.store.getBroadcast(b.id))!.state === 'done');
  });
  after(async () => {
    await core.store.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());

  it('"确认" in the 1:1 chat acknowledges the latest notice and confirms it with title and version', async () => {
    const r = await core.handle(msg('确认'));
    assert.equal(r.replies.length, 1);
    assert.equal(r.replies[0]!.text, `已记录：你已于 ${today()} 确认知悉《会话存档告知》第 1 版。谢谢！`);
    assert.equal(r.replies[0]!.visibility, 'chat');
    const b = await assertCountsAddUp(core.notices.store, broadcastId);
    assert.equal(b.counts.acknowledged, 1);
    const z = (await core.notices.store.listRecipients(broadcastId)).find((x) => x.userId === 'zhangsan')!;
    assert.equal(z.ackChannel, 'text');
  });

  it('acknowledging twice changes nothing and says when it was done', async () => {
    const r = await core.handle(msg('知道了'));
    assert.equal(r.replies[0]!.text, `你已于 ${today()} 确认知悉《会话存档告知》第 1 版，无需再次确认。`);
    assert.equal((await core.notices.store.getBroadcast(broadcastId))!.counts.acknowledged, 1);
    assert.equal((await core.notices.store.listAudit(broadcastId)).filter((e) => e.to === 'acknowledged').length, 1);
  });

  it('answers in English for "I acknowledge"', async () => {
    const r = await core.handle(msg('I acknowledge', { userId: 'lisi' }));
    assert.equal(r.lang, 'en');
    assert.equal(r.replies[0]!.text, `Recorded: you acknowledged notice "Chat archiving notice" v1 on ${today()}. Thank you!`);
  });

  it('the card button acknowledges that version (channel card), with a bilingual confirmation', async () => {
    const r = await core.handle(msg(`ack:${noticeId}:1`, { userId: 'wangwu', kind: 'ack-action' }));
    assert.match(r.replies[0]!.text, /^已记录：你已于 \d{4}-\d{2}-\d{2} 确认知悉《会话存档告知》第 1 版。谢谢！\nRecorded: you acknowledged notice "Chat archiving notice" v1 on/);
    const w = (await core.notices.store.listRecipients(broadcastId)).find((x) => x.userId === 'wangwu')!;
    assert.equal(w.ackChannel, 'card');
    const again = await core.handle(msg(`ack:${noticeId}:1`, { userId: 'wangwu', kind: 'ack-action' }));
    assert.match(again.replies[0]!.text, /无需再次确认/);
    const other = await core.handle(msg(`ack:${noticeId}:2`, { userId: 'wangwu', kind: 'ack-action' }));
    assert.match(other.replies[0]!.text, /没有找到发给你的这份通知/);
    assert.equal((await assertCountsAddUp(core.notices.store, broadcastId)).counts.acknowledged, 3);
  });

  it("the card button answers in the employee's remembered question language only", async () => {
    const en = await core.handle(msg('Can my admin read my chats?', { userId: 'sunqi' }));
    assert.equal(en.lang, 'en');
    const r = await core.handle(msg(`ack:${noticeId}:1`, { userId: 'sunqi', kind: 'ack-action' }));
    assert.equal(r.lang, 'en');
    assert.equal(r.replies[0]!.text, `Recorded: you acknowledged notice "Chat archiving notice" v1 on ${today()}. Thank you!`);
    const tw = await core.handle(msg('公司管理員看得到我的聊天紀錄嗎？', { userId: 'zhouba' }));
    assert.equal(tw.lang, 'zh-TW');
    const t = await core.handle(msg(`ack:${noticeId}:1`, { userId: 'zhouba', kind: 'ack-action' }));
    assert.equal(t.lang, 'zh-TW');
    assert.equal(t.replies[0]!.text, `已記錄：你已於 ${today()} 確認知悉《會話存檔告知》第 1 版。謝謝！`);
    const missing = await core.handle(msg(`ack:${noticeId}:9`, { userId: 'zhouba', kind: 'ack-action' }));
    assert.doesNotMatch(missing.replies[0]!.text, /[a-z]{4}/i, 'the not-found reply is in zh-TW only');
  });

  it('with nothing to acknowledge, "知道了" is left to the FAQ/help (no acknowledgement reply)', async () => {
    const r = await core.handle(msg('知道了', { userId: 'zhaoliu' }));
    assert.doesNotMatch(r.replies.map((x) => x.text).join('\n'), /确认知悉|已记录/);
  });

  it('is never handled in a group or for anonymous askers', async () => {
    const g = await core.handle(msg('确认', { userId: 'zhaoliu', chat: { kind: 'group', chatId: 'c1' }, mentionedBot: true }));
    assert.doesNotMatch(g.replies.map((x) => x.text).join('\n'), /确认知悉/);
    const a = await core.handle(msg('确认', { anonymous: true }));
    assert.doesNotMatch(a.replies.map((x) => x.text).join('\n'), /确认知悉/);
    const bad = await core.handle(msg('ack:not a key', { kind: 'ack-action' }));
    assert.equal(bad.replies[0]!.text, messagesFor(bad.lang).help, 'an unknown button key gets the help reply');
  });

  it('the status answer names the acknowledged notice', async () => {
    const r = await core.handle(msg('我的聊天记录现在有没有被公司存档'));
    assert.equal(r.topic, 'am-i-archived');
    assert.match(r.replies[0]!.text, new RegExp(`你已于 ${today()} 确认知悉《会话存档告知》第 1 版。`));
    const en = await core.handle(msg('Are my chats archived?', { userId: 'lisi' }));
    assert.match(en.replies.map((x) => x.text).join('\n'), /You acknowledged notice "Chat archiving notice" v1 on \d{4}-\d{2}-\d{2}\./);
  });

  it('when the store cannot record it, the employee is told to try again (never a false confirmation)', async () => {
    const broken = new Proxy(core.notices.store, {
      get(target, prop, receiver) {
        if (prop === 'acknowledge') return async () => { throw new BotError('STORE_UNAVAILABLE', 'down', { status: 503 }); };
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as NoticeStore;
    const ack = createAckCommand(new NoticeService({ store: broken, log: silent }), silent);
    const r = await ack(msg('确认', { userId: 'zhaoliu' }), 'zh-CN');
    assert.equal(r?.replies[0]!.text, '抱歉，你的确认暂时没能记录下来，请稍后再发一次“确认”（或再点一次按钮）。');
    const c = await ack(msg(`ack:${noticeId}:1`, { userId: 'zhaoliu', kind: 'ack-action' }), 'en');
    assert.match(c?.replies[0]!.text ?? '', /暂时没能记录[\s\S]*could not be recorded/);
  });
});

/**
 * A notice still in flight to the employee — their batch is claimed (the version reserved for
 * them) but not yet delivered — cannot be acknowledged: "确认" in the chat and the card button
 * both get no confirmation and nothing is counted, on the embedded SQLite store and on Redis.
 */
const redisUrl = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';
const redisDown = await redisUnreachable(redisUrl);
const mustHaveRedis = Boolean(process.env.CI || process.env.REQUIRE_REDIS);
for (const backend of ['sqlite', 'redis'] as const) {
  const skip = backend === 'redis' && redisDown && !mustHaveRedis ? `Redis not reachable at ${redisUrl}` : false;
  describe(`acknowledging a notice still in flight (${backend})`, { skip }, () => {
    let dir: string;
    let core: Core;
    let fake: FakeNoticePlatform;
    const prefix = `privacy-bot-test:ack-inflight-${process.pid}-${Date.now()}:`;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ack-inflight-'));
      const config = loadConfig({ KNOWLEDGE_DIR: join(REPO_ROOT, 'knowledge'), DATA_DIR: dir, ...(backend === 'redis' ? { REDIS_URL: redisUrl } : {}) });
      core = await createCore(config, silent, backend === 'redis' ? { redisKeyPrefix: prefix } : {});
      fake = await startFakeNoticePlatform({ users: ['inflight'] });
      core.notices.registerChannel(createLoopbackChannel({ url: fake.url, platform: 'wecom', readSupported: false }));
    });
    after(async () => {
      await core?.store.close();
      await fake?.close();
      rmSync(dir, { recursive: true, force: true });
      if (backend === 'redis') await deleteRedisPrefix(redisUrl, prefix);
    });

    it('"确认" and the card button are refused and not counted while the batch is in flight; accepted once delivered', async () => {
      const v = await core.notices.createNotice({ title: { zh: '会话存档告知', en: 'Chat archiving notice' }, body: { zh: '正文', en: 'Body' } });
      const b = await core.notices.createBroadcast({ noticeId: v.noticeId, platform: 'wecom', audience: { userIds: ['inflight'] }, createdBy: 'test' });
      // The worker of another instance has claimed the batch and is sending it right now.
      const batch = await core.notices.store.claimBatch(b.id, { owner: 'sending-instance', max: 10, leaseMs: 600_000, deferMs: 1000 }, Date.now());
      assert.deepEqual(batch?.users.map((u) => u.userId), ['inflight']);

      const text = await core.handle(msg('确认', { userId: 'inflight' }));
      assert.doesNotMatch(text.replies.map((x) => x.text).join('\n'), /确认知悉|已记录/, 'no confirmation by text');
      const card = await core.handle(msg(`ack:${v.noticeId}:1`, { userId: 'inflight', kind: 'ack-action' }));
      assert.match(card.replies[0]!.text, /没有找到发给你的这份通知/, 'no confirmation by card');
      let counted = await assertCountsAddUp(core.notices.store, b.id);
      assert.equal(counted.counts.acknowledged, 0);
      assert.equal((await core.notices.store.listAudit(b.id)).filter((e) => e.to === 'acknowledged').length, 0);

      await core.notices.store.settleBatch(batch!, { sent: ['inflight'], failed: [], retry: [] }, Date.now());
      const after = await core.handle(msg(`ack:${v.noticeId}:1`, { userId: 'inflight', kind: 'ack-action' }));
      assert.match(after.replies[0]!.text, /^已记录/);
      counted = await assertCountsAddUp(core.notices.store, b.id);
      assert.equal(counted.counts.acknowledged, 1);
    });
  });
}
