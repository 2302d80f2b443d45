/**
 * A store too slow for the platform's deadline (docs/RELIABILITY.md, "Acknowledgements recorded
 * before the platform is told"): a state change not recorded within the adapter's commit deadline
 * is not acknowledged — HTTP 503 (WeCom app, AI bot, DingTalk HTTP) or no Stream ack frame — and
 * the dedup claim is given back, so the platform's redelivery is handled, not swallowed as a
 * duplicate. The slow store is a gate the test holds shut (no timing): the acknowledgement write
 * waits until the test opens it. The real bot in process on SQLite, the fake platforms.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startTestBot, type TestBot } from '../helpers/app.ts';
import { buildWecomCallback, startFakeWecom, wecomTextXml, type FakeWecom } from '../fakes/wecom-api.ts';
import { sendRobotCallback, startFakeDingtalk, type FakeDingtalk } from '../fakes/dingtalk-api.ts';
import { startFakeStreamGateway, type FakeStreamGateway } from '../fakes/dingtalk-stream.ts';
import { aibotText, buildAibotCallback } from '../fakes/wecom-aibot-ws.ts';
import type { NoticeStore } from '../../src/store/ports/notices.ts';
import { dingtalkDedupKey } from '../../adapters/dingtalk/index.ts';
import { aibotDedupKey } from '../../adapters/wecom-aibot/inbound.ts';
import { AIBOT, DING, WECOM, WECOM_KEYS, deliveredNotice, dingEnv, nextMsgId, passiveReply, waitUntil, wecomEnv } from './harness.ts';

/**
 * The commit deadline of these bots as an event the test fires (no clock decides): it passes when a
 * held acknowledgement write reaches the gate, and never otherwise, so a write that is not held
 * always makes it however slow the machine is. The lease outlives any step of the test.
 */
const pendingDeadlines = new Set<() => void>();
const COMMIT = {
  commitDeadlineMs: 100,
  leaseMs: 120_000,
  deadline: () => new Promise<void>((resolve) => pendingDeadlines.add(resolve)),
};
/** Fires every commit deadline now running. */
function passDeadlines(): void {
  for (const resolve of pendingDeadlines) resolve();
  pendingDeadlines.clear();
}
const NOT_RECORDED_LOG = /state change not recorded within the platform deadline/;

/** Holds every acknowledgement write of `store` until `open()`. */
function gateAcknowledgements(store: NoticeStore): { open(): void; waiting(): number } {
  const acknowledge = store.acknowledge.bind(store);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let waiting = 0;
  store.acknowledge = async (...args) => {
    waiting += 1;
    // The write is held: its platform deadline passes now.
    passDeadlines();
    await gate;
    return acknowledge(...args);
  };
  return {
    open() {
      store.acknowledge = acknowledge;
      release();
    },
    waiting: () => waiting,
  };
}

async function acknowledged(store: NoticeStore, broadcastId: string, userId: string): Promise<boolean> {
  return (await store.listRecipients(broadcastId)).find((r) => r.userId === userId)?.acknowledgedAt != null;
}

describe('a state change the store cannot record in time is not acknowledged; the redelivery is handled', () => {
  let wecom: FakeWecom;
  let ding: FakeDingtalk;
  let bot: TestBot;
  let wecomB: string;
  let dingB: string;

  before(async () => {
    wecom = await startFakeWecom({ corpId: WECOM.corpId, secret: WECOM.secret, agentId: Number(WECOM.agentId) });
    ding = await startFakeDingtalk({ appKey: DING.appKey, appSecret: DING.appSecret, robotCode: DING.robotCode });
    bot = await startTestBot(
      { ...wecomEnv(wecom.url), ...dingEnv(ding.url), WECOM_AIBOT_TOKEN: AIBOT.token, WECOM_AIBOT_ENCODING_AES_KEY: AIBOT.encodingAESKey },
      { adapterOptions: { wecom: { commit: COMMIT }, dingtalk: { commit: COMMIT }, wecomAibot: { commit: COMMIT } } },
    );
    wecomB = (await deliveredNotice(bot.core.notices.store, 'wecom', ['zhangsan', 'lisi'])).broadcastId;
    dingB = (await deliveredNotice(bot.core.notices.store, 'dingtalk', ['user001'])).broadcastId;
  });
  after(async () => {
    await bot?.close();
    await Promise.allSettled([wecom?.close(), ding?.close()]);
  });

  it('WeCom app: 503, the claim given back; WeCom’s retry is answered', async () => {
    const msgId = nextMsgId();
    const cb = buildWecomCallback({ ...WECOM_KEYS, xml: wecomTextXml({ corpId: WECOM.corpId, from: 'zhangsan', content: '确认', msgId }) });
    const post = { method: 'POST', headers: { 'content-type': 'text/xml' }, body: cb.body };
    const gate = gateAcknowledgements(bot.core.notices.store);
    const res = await fetch(`${bot.url}/wecom/callback?${cb.query}`, post);
    assert.equal(res.status, 503);
    assert.match(await res.text(), /^WECOM_NOT_RECORDED/);
    assert.equal(await bot.core.store.get(`dedup:wecom:${msgId}`), null, 'the dedup claim was given back');
    assert.equal(gate.waiting(), 1);
    gate.open();
    await waitUntil(() => acknowledged(bot.core.notices.store, wecomB, 'zhangsan'), 30_000, 'the late write');
    await bot.server.idle();
    const sentBefore = wecom.sent.length;
    const retry = await fetch(`${bot.url}/wecom/callback?${cb.query}`, post);
    assert.equal(retry.status, 200);
    assert.match((await passiveReply(retry)) ?? '', /无需再次确认/);
    await bot.server.idle();
    assert.equal(wecom.sent.length, sentBefore, 'the late commit’s own reply was not sent: the retry answered');
  });

  it('WeCom AI bot (HTTP): 503, the claim given back; the retry is answered', async () => {
    const msgid = `deadline-${randomBytes(4).toString('hex')}`;
    const cb = buildAibotCallback({ ...AIBOT, json: aibotText({ msgid, userid: 'lisi', content: '确认' }) });
    const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body: cb.body };
    const gate = gateAcknowledgements(bot.core.notices.store);
    const res = await fetch(`${bot.url}/wecom/aibot/callback?${cb.query}`, post);
    assert.equal(res.status, 503);
    assert.match(await res.text(), /^AIBOT_NOT_RECORDED/);
    assert.equal(await bot.core.store.get(aibotDedupKey(msgid)), null, 'the dedup claim was given back');
    gate.open();
    await waitUntil(() => acknowledged(bot.core.notices.store, wecomB, 'lisi'), 30_000, 'the late write');
    const retry = await fetch(`${bot.url}/wecom/aibot/callback?${cb.query}`, post);
    assert.equal(retry.status, 200);
    assert.notEqual(await retry.text(), '', 'a stream answer');
  });

  it('DingTalk HTTP: 503, the claim given back; the redelivery is answered once', async () => {
    const body = ding.robotMessage({ text: { content: ' 确认' }, senderStaffId: 'user001' });
    const gate = gateAcknowledgements(bot.core.notices.store);
    const before = ding.webhookMessages.length;
    const res = await sendRobotCallback(`${bot.url}/dingtalk/callback`, body, DING.appSecret);
    assert.equal(res.status, 503);
    assert.match(await res.text(), /^DINGTALK_NOT_RECORDED/);
    assert.equal(await bot.core.store.get(dingtalkDedupKey(body.msgId)), null, 'the dedup claim was given back');
    gate.open();
    await waitUntil(() => acknowledged(bot.core.notices.store, dingB, 'user001'), 30_000, 'the late write');
    const again = await sendRobotCallback(`${bot.url}/dingtalk/callback`, body, DING.appSecret);
    assert.equal(again.status, 200);
    await bot.server.idle();
    const replies = ding.webhookMessages.slice(before).map((m) => m.content ?? '');
    assert.equal(replies.length, 1, 'one reply, from the redelivery');
    assert.match(replies[0]!, /无需再次确认/);
  });
});

describe('DingTalk Stream: a state change not recorded in time is left unacknowledged; the re-push is handled', () => {
  let ding: FakeDingtalk;
  let gateway: FakeStreamGateway;
  let bot: TestBot;
  let dingB: string;

  before(async () => {
    ding = await startFakeDingtalk({ appKey: DING.appKey, appSecret: DING.appSecret, robotCode: DING.robotCode });
    // The re-push comes when the test has opened the gate (it waits for the bot's refusal first).
    gateway = await startFakeStreamGateway({ clientId: DING.appKey, clientSecret: DING.appSecret, repushAfterMs: 1000, maxRepushes: 5 });
    ding.setStreamGateway(gateway.gatewayUrl);
    bot = await startTestBot({ ...dingEnv(ding.url), DINGTALK_MODE: 'stream' }, { adapterOptions: { dingtalk: { commit: COMMIT } } });
    dingB = (await deliveredNotice(bot.core.notices.store, 'dingtalk', ['user002'])).broadcastId;
    await gateway.waitFor(() => gateway.openConnections().length > 0, 10_000);
  });
  after(async () => {
    await bot?.close();
    await Promise.allSettled([gateway?.close(), ding?.close()]);
  });

  it('no ack frame while the write waits; after it, DingTalk’s re-push is acknowledged and answered once', async () => {
    const body = ding.robotMessage({ text: { content: ' 确认' }, senderStaffId: 'user002' });
    const gate = gateAcknowledgements(bot.core.notices.store);
    const before = ding.webhookMessages.length;
    const frameId = gateway.pushCallback(body);
    await waitUntil(() => bot.logLines.some((l) => NOT_RECORDED_LOG.test(l)), 30_000, 'the refusal');
    assert.equal(gateway.isAcked(frameId), false, 'not acknowledged');
    assert.equal(await bot.core.store.get(dingtalkDedupKey(body.msgId)), null, 'the dedup claim was given back');
    gate.open();
    await gateway.waitFor(() => gateway.isAcked(frameId), 10_000);
    assert.ok(gateway.pushes.some((p) => p.messageId === frameId && p.attempt > 0), 'acknowledged on the re-push');
    assert.ok(await acknowledged(bot.core.notices.store, dingB, 'user002'));
    await bot.server.idle();
    const replies = ding.webhookMessages.slice(before).map((m) => m.content ?? '');
    assert.equal(replies.length, 1, 'one reply, from the re-push');
  });
});
