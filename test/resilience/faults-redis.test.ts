/**
 * Resilience: the shared store (Redis) is killed in the middle of a run and comes back later,
 * without restarting the bot. While it is down: FAQ answers keep flowing on WeCom, the AI bot and
 * DingTalk; a personal status says it is temporarily unavailable; /readyz answers 503 naming the
 * store; an acknowledgement that cannot be written is never confirmed (the employee is asked to
 * send it again); a platform retry reaching the same instance still gets no second answer. When
 * Redis is back: /readyz is 200 again, statuses show, and the acknowledgement sent again is recorded.
 *
 * A throwaway redis-server of this test (AOF, fsync always: data survives the kill, as in
 * production); the shared server on 6379 is never touched.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakeWecom, wecomTextXml, type FakeWecom } from '../fakes/wecom-api.ts';
import { sendRobotCallback, startFakeDingtalk, type FakeDingtalk } from '../fakes/dingtalk-api.ts';
import { aibotText, buildAibotCallback } from '../fakes/wecom-aibot-ws.ts';
import { openAibotCiphertext } from '../../adapters/wecom-aibot/crypto.ts';
import { messagesFor } from '../../src/bot/messages.ts';
import { ackTexts } from '../../src/notices/messages.ts';
import {
  AIBOT,
  DING,
  WECOM,
  dingEnv,
  nextMsgId,
  passiveReply,
  postWecom,
  startBot,
  startThrowawayRedis,
  uniquePrefix,
  waitUntil,
  wecomEnv,
  type Bot,
  type ThrowawayRedis,
} from './harness.ts';

const ADMIN_TOKEN = 'faults-admin-token-0123456789';
const STATUS_QUESTION = '我的聊天记录有没有被存档';
const UNAVAILABLE = messagesFor('zh-CN').statusUnavailable;
/** How long Redis stays down, in ms. */
const OUTAGE_MS = 6000;

describe('Redis stopped mid-run', () => {
  let redis: ThrowawayRedis;
  let fake: FakeWecom;
  let ding: FakeDingtalk;
  let bot: Bot;
  const figures: string[] = [];

  before(async () => {
    redis = await startThrowawayRedis({ persistent: true });
    fake = await startFakeWecom({ corpId: WECOM.corpId, secret: WECOM.secret, agentId: Number(WECOM.agentId) });
    ding = await startFakeDingtalk({ appKey: DING.appKey, appSecret: DING.appSecret, robotCode: DING.robotCode });
    bot = await startBot({
      env: { ...wecomEnv(fake.url), ...dingEnv(ding.apiBase), WECOM_AIBOT_TOKEN: AIBOT.token, WECOM_AIBOT_ENCODING_AES_KEY: AIBOT.encodingAESKey, ADMIN_TOKEN },
      redis: { url: redis.url, prefix: uniquePrefix('faults-redis') },
    });
    await bot.core.store.putStatuses([
      { platform: 'wecom', userId: 'zhangsan', archived: true, since: '2026-03-01', scope: 'internal chats', source: 'import', updatedAt: '2026-05-02T08:00:00.000Z' },
      { platform: 'dingtalk', userId: 'ding-user', archived: true, since: '2026-04-15', scope: 'group chats', source: 'import', updatedAt: '2026-05-02T08:00:00.000Z' },
    ]);
  });
  after(async () => {
    await bot.close();
    await redis.stop();
    await fake.close();
    await ding.close();
  });

  /** Every reply `user` got for these answers (passive replies + message/send), after the bot is idle. */
  async function wecomReplies(user: string, answers: Response[], sentBefore: number): Promise<string[]> {
    const out: string[] = [];
    for (const r of answers) {
      assert.equal(r.status, 200, `HTTP ${r.status}`);
      const t = await passiveReply(r);
      if (t !== null) out.push(t);
    }
    await bot.server.idle();
    for (const m of fake.sent.slice(sentBefore)) if (m.touser === user && m.msgtype === 'text') out.push(m.text!.content);
    return out;
  }

  async function askWecom(user: string, content: string): Promise<string[]> {
    const before = fake.sent.length;
    return wecomReplies(user, [await postWecom(bot.url, wecomTextXml({ corpId: WECOM.corpId, from: user, content, msgId: nextMsgId() }))], before);
  }

  async function askAibot(user: string, content: string): Promise<string> {
    const cb = buildAibotCallback({ ...AIBOT, json: aibotText({ msgid: `faults-${nextMsgId()}`, userid: user, content }) });
    const res = await fetch(`${bot.url}/wecom/aibot/callback?${cb.query}`, { method: 'POST', body: cb.body });
    assert.equal(res.status, 200);
    const outer = JSON.parse(await res.text()) as { encrypt: string; msgsignature: string; timestamp: string; nonce: string };
    const reply = JSON.parse(openAibotCiphertext(AIBOT, { msgSignature: outer.msgsignature, timestamp: outer.timestamp, nonce: outer.nonce, encrypt: outer.encrypt })) as { stream: { content: string } };
    return reply.stream.content;
  }

  async function admin(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${bot.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }

  it('before: statuses show and /readyz is ready; a notice reaches the employee', async () => {
    assert.equal((await fetch(`${bot.url}/readyz`)).status, 200);
    assert.match((await askWecom('zhangsan', STATUS_QUESTION)).join('\n'), /2026-03-01/);
    const n = (await (await admin('POST', '/admin/notices', { title: { zh: '会话存档告知', en: 'Archiving notice' }, body: { zh: '公司对工作聊天存档。', en: 'Work chats are archived.' } })).json()) as { id: string };
    const b = (await (await admin('POST', '/admin/broadcasts', { noticeId: n.id, platform: 'wecom', audience: { userIds: ['ack-user'] } })).json()) as { id: string };
    await waitUntil(async () => ((await (await admin('GET', `/admin/broadcasts/${b.id}`)).json()) as { counts: { sent: number } }).counts.sent === 1, 10_000, 'notice delivered');
    (globalThis as { broadcastId?: string }).broadcastId = b.id;
  });

  it('while Redis is down: FAQ answers flow on every platform, statuses are "temporarily unavailable", /readyz says why, no acknowledgement is confirmed', async (t) => {
    await redis.stop();
    const downAt = Date.now();

    const ready = await fetch(`${bot.url}/readyz`);
    const readyBody = (await ready.json()) as { status: string; reason?: string; store?: string };
    figures.push(`/readyz while down: ${ready.status} ${JSON.stringify(readyBody)}`);
    assert.equal(ready.status, 503);
    assert.match(JSON.stringify(readyBody), /redis/i);

    // FAQ (no personal part) on WeCom, the AI bot and DingTalk.
    let started = performance.now();
    const faq = await askWecom('lisi', '撤回的消息管理员还能看到吗');
    const wecomMs = performance.now() - started;
    assert.equal(faq.length, 1);
    assert.match(faq[0]!, /来源/);
    started = performance.now();
    const aibot = await askAibot('wangwu', '群里说的话公司能看到吗');
    const aibotMs = performance.now() - started;
    assert.match(aibot, /来源/);
    ding.reset();
    const dingBody = ding.robotMessage({ senderStaffId: 'ding-user', text: { content: STATUS_QUESTION } });
    assert.equal((await sendRobotCallback(`${bot.url}/dingtalk/callback`, dingBody, DING.appSecret)).status, 200);
    await bot.server.idle();
    assert.equal(ding.webhookMessages.filter((m) => m.errcode === 0).length, 1);
    const dingText = ding.webhookMessages[0]!.content!;
    assert.match(dingText, new RegExp(UNAVAILABLE.slice(0, 8)));
    assert.doesNotMatch(dingText, /2026-04-15/);

    // In a group: the group gets the general answer, the asker a private "temporarily unavailable"
    // through the OpenAPI (its access token is fetched although the token cache cannot be read).
    ding.reset();
    const group = ding.robotMessage({ senderStaffId: 'ding-user', conversationType: '2', conversationId: 'cidDown', isInAtList: true, text: { content: STATUS_QUESTION } });
    assert.equal((await sendRobotCallback(`${bot.url}/dingtalk/callback`, group, DING.appSecret)).status, 200);
    await bot.server.idle();
    assert.equal(ding.webhookMessages.filter((m) => m.errcode === 0).length + ding.groupMessages.length, 1);
    assert.equal(ding.otoMessages.length, 1, 'private reply to the asker');
    assert.ok(ding.otoMessages[0]!.content!.includes(UNAVAILABLE.slice(0, 8)));

    // A personal status: "temporarily unavailable", never a wrong "no record".
    const status = (await askWecom('zhangsan', STATUS_QUESTION)).join('\n');
    assert.ok(status.includes(UNAVAILABLE), status);
    assert.doesNotMatch(status, /2026-03-01|没有.*记录/);

    // A retry of one callback reaching this instance again: still one answer.
    const before = fake.sent.length;
    const xml = wecomTextXml({ corpId: WECOM.corpId, from: 'retry-down', content: '聊天记录是加密的吗', msgId: nextMsgId() });
    const twice = await wecomReplies('retry-down', [await postWecom(bot.url, xml), await postWecom(bot.url, xml)], before);
    assert.equal(twice.length, 1);

    // The acknowledgement cannot be written: the employee is asked to send it again, not confirmed.
    const ack = (await askWecom('ack-user', '确认')).join('\n');
    assert.equal(ack, ackTexts('zh-CN').tryAgain);

    // Stay down long enough for the client's reconnect backoff to reach its cap (2 s).
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downAt)));
    figures.push(`Redis down ${Date.now() - downAt} ms; WeCom FAQ answered in ${wecomMs.toFixed(0)} ms, AI bot in ${aibotMs.toFixed(0)} ms`);
    t.diagnostic(figures.join('; '));
  });

  it('when Redis is back (no restart of the bot): ready again, statuses show, the acknowledgement sent again is recorded', async (t) => {
    const restartedAt = Date.now();
    await redis.start();
    await waitUntil(async () => (await fetch(`${bot.url}/readyz`)).status === 200, 15_000, '/readyz 200');
    const readyMs = Date.now() - restartedAt;
    let statusMs = 0;
    await waitUntil(async () => {
      const text = (await askWecom('zhangsan', STATUS_QUESTION)).join('\n');
      statusMs = Date.now() - restartedAt;
      return /2026-03-01/.test(text);
    }, 15_000, 'status shown again');
    const ack = (await askWecom('ack-user', '确认')).join('\n');
    assert.match(ack, /已确认|确认知悉|会话存档告知/);
    const b = (await (await admin('GET', `/admin/broadcasts/${(globalThis as { broadcastId?: string }).broadcastId}`)).json()) as { counts: { acknowledged: number } };
    assert.equal(b.counts.acknowledged, 1);
    t.diagnostic(`Redis restarted: /readyz 200 after ${readyMs} ms, first status answer after ${statusMs} ms; acknowledgement recorded on the second try`);
  });
});
