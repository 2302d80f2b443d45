/**
 * Resilience: the platforms' APIs fail. HTTP 5xx, resets and timeouts of a reply send are retried a
 * bounded number of times with backoff and jitter, and the reply still arrives exactly once (WeCom:
 * its duplicate check absorbs a retry of a send that had got through); a wrong secret makes
 * /readyz answer 503 naming the platform and its error code.
 * Faults are injected by an HTTP proxy in front of the fake platforms (real HTTP on loopback).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeWecom, wecomEventXml, type FakeWecom } from '../fakes/wecom-api.ts';
import { sendRobotCallback, startFakeDingtalk, type FakeDingtalk } from '../fakes/dingtalk-api.ts';
import { WECOM_API_TIMEOUT_MS, WECOM_BUSY_MAX_RETRIES } from '../../adapters/wecom/limits.ts';
import { SEND_TRANSIENT_RETRIES } from '../../adapters/dingtalk/limits.ts';
import { DING, WECOM, dingEnv, postWecom, startBot, startFaultProxy, waitUntil, wecomEnv, type Bot, type FaultProxy } from './harness.ts';

/** Gaps between consecutive requests to `path` seen by the proxy since index `from`, in ms. */
function gaps(proxy: FaultProxy, path: string, from: number): number[] {
  const at = proxy.seen.slice(from).filter((s) => s.path.endsWith(path)).map((s) => s.at);
  return at.slice(1).map((t, i) => t - at[i]!);
}

describe('platform API faults', () => {
  let fake: FakeWecom;
  let ding: FakeDingtalk;
  let wecomProxy: FaultProxy;
  let dingProxy: FaultProxy;
  let bot: Bot;

  before(async () => {
    fake = await startFakeWecom({ corpId: WECOM.corpId, secret: WECOM.secret, agentId: Number(WECOM.agentId) });
    ding = await startFakeDingtalk({ appKey: DING.appKey, appSecret: DING.appSecret, robotCode: DING.robotCode });
    wecomProxy = await startFaultProxy(fake.url);
    dingProxy = await startFaultProxy(ding.url);
    bot = await startBot({ env: { ...wecomEnv(wecomProxy.url), ...dingEnv(dingProxy.url) } });
    await bot.core.store.putStatuses([
      { platform: 'dingtalk', userId: 'ding-user', archived: true, since: '2026-04-15', scope: 'group chats', source: 'import', updatedAt: '2026-05-02T08:00:00.000Z' },
    ]);
  });
  after(async () => {
    await bot.close();
    await wecomProxy.close();
    await dingProxy.close();
    await fake.close();
    await ding.close();
  });

  /** A card click: its reply goes through message/send (never a passive reply). */
  async function clickCard(user: string, key: string): Promise<void> {
    const res = await postWecom(bot.url, wecomEventXml({ corpId: WECOM.corpId, from: user, event: 'template_card_event', eventKey: key }));
    assert.equal(res.status, 200);
    await bot.server.idle();
  }

  const delivered = (user: string) => fake.sent.filter((m) => m.touser === user).length;

  it('WeCom message/send answering 502, 503, then OK: the reply arrives once, after 2 retries with growing, jittered delays', async (t) => {
    await clickCard('warm-up', 'ack:warm:1'); // the token is cached; the next call is the send itself
    const from = wecomProxy.seen.length;
    wecomProxy.inject({ kind: 'status', status: 502 }, 1, 'message/send');
    wecomProxy.inject({ kind: 'status', status: 503 }, 1, 'message/send');
    await clickCard('wecom-5xx', 'ack:none:1');
    assert.equal(delivered('wecom-5xx'), 1);
    const g = gaps(wecomProxy, 'message/send', from);
    t.diagnostic(`message/send attempts ${g.length + 1}; gaps ${g.join(', ')} ms (backoff 200 ms doubled, jitter: between half and all)`);
    assert.equal(g.length, 2);
    // Backoff 200 ms then 400 ms, each at least half of it; the upper bounds are failure guards
    // only (a loaded machine stretches every gap), the diagnostic above shows the real ones.
    assert.ok(g[0]! >= 100 && g[0]! < 10_000, `first gap ${g[0]}`);
    assert.ok(g[1]! >= 200 && g[1]! < 10_000, `second gap ${g[1]}`);
  });

  it('WeCom message/send timing out once: retried; WeCom’s duplicate check shows the text once although both sends got through', async (t) => {
    const sentBefore = fake.sent.length;
    const suppressedBefore = fake.duplicatesSuppressed;
    const started = Date.now();
    wecomProxy.inject({ kind: 'late-answer', ms: WECOM_API_TIMEOUT_MS + 500 }, 1, 'message/send');
    await clickCard('wecom-timeout', 'ack:none:2');
    const elapsed = Date.now() - started;
    await waitUntil(() => fake.duplicatesSuppressed > suppressedBefore, 30_000, 'the retry suppressed as a duplicate');
    t.diagnostic(`first send processed but its answer held ${WECOM_API_TIMEOUT_MS + 500} ms: retried after the ${WECOM_API_TIMEOUT_MS} ms timeout, done after ${elapsed} ms; the retry was suppressed as a duplicate`);
    assert.equal(fake.sent.length - sentBefore, 1);
    assert.equal(delivered('wecom-timeout'), 1);
  });

  it('WeCom message/send failing for good: 1 + 3 attempts, then given up (bounded), logged by code', async (t) => {
    const from = wecomProxy.seen.length;
    wecomProxy.inject({ kind: 'status', status: 500 }, 10, 'message/send');
    const started = Date.now();
    await clickCard('wecom-down', 'ack:none:3');
    const elapsed = Date.now() - started;
    wecomProxy.clearFaults();
    const attempts = wecomProxy.seen.slice(from).filter((s) => s.path.endsWith('message/send')).length;
    t.diagnostic(`HTTP 500 on every attempt: ${attempts} attempts in ${elapsed} ms, then the reply was given up`);
    assert.equal(attempts, 1 + WECOM_BUSY_MAX_RETRIES);
    assert.equal(delivered('wecom-down'), 0);
    assert.ok(bot.logLines.some((l) => l.includes('wecom api unreachable, retrying')));
  });

  it('DingTalk batchSend answering 500, then a connection reset, then OK: the private reply arrives once', async (t) => {
    ding.reset();
    // Warm the token up with a plain 1:1 question (answered through the sessionWebhook).
    await sendRobotCallback(`${bot.url}/dingtalk/callback`, ding.robotMessage({ senderStaffId: 'warm' }), DING.appSecret);
    await bot.server.idle();
    const from = dingProxy.seen.length;
    ding.failNext('batchSend', { status: 500, code: 'ServiceUnavailable' });
    dingProxy.inject({ kind: 'reset' }, 1, 'oToMessages/batchSend');
    // Fault order on the wire: the proxy resets the 1st call; the fake fails the 2nd with 500.
    const group = ding.robotMessage({ senderStaffId: 'ding-user', conversationType: '2', conversationId: 'cidFaults', isInAtList: true, text: { content: '我的聊天记录有没有被存档' } });
    assert.equal((await sendRobotCallback(`${bot.url}/dingtalk/callback`, group, DING.appSecret)).status, 200);
    await bot.server.idle();
    const g = gaps(dingProxy, 'oToMessages/batchSend', from);
    t.diagnostic(`batchSend attempts ${g.length + 1} (reset, 500, ok); gaps ${g.join(', ')} ms`);
    const mine = ding.otoMessages.filter((m) => m.userIds.includes('ding-user'));
    assert.equal(mine.length, 1);
    assert.match(mine[0]!.content!, /2026-04-15/);
    assert.equal(g.length, 2);
  });

  it('DingTalk batchSend failing for good: 1 + 3 attempts, then given up', async () => {
    ding.reset();
    const from = dingProxy.seen.length;
    dingProxy.inject({ kind: 'status', status: 502 }, 10, 'oToMessages/batchSend');
    const group = ding.robotMessage({ senderStaffId: 'ding-user', conversationType: '2', conversationId: 'cidFaults2', isInAtList: true, text: { content: '我的聊天记录有没有被存档' } });
    await sendRobotCallback(`${bot.url}/dingtalk/callback`, group, DING.appSecret);
    await bot.server.idle();
    dingProxy.clearFaults();
    assert.equal(dingProxy.seen.slice(from).filter((s) => s.path.endsWith('oToMessages/batchSend')).length, 1 + SEND_TRANSIENT_RETRIES);
    assert.equal(ding.otoMessages.filter((m) => m.userIds.includes('ding-user')).length, 0);
  });
});

describe('a wrong secret', () => {
  let fake: FakeWecom;
  let ding: FakeDingtalk;
  let bot: Bot;

  before(async () => {
    fake = await startFakeWecom({ corpId: WECOM.corpId, secret: WECOM.secret, agentId: Number(WECOM.agentId) });
    ding = await startFakeDingtalk({ appKey: DING.appKey, appSecret: DING.appSecret, robotCode: DING.robotCode });
    bot = await startBot({ env: { ...wecomEnv(fake.url), WECOM_SECRET: 'not-the-secret', ...dingEnv(ding.apiBase), DINGTALK_APP_SECRET: 'not-the-secret' } });
  });
  after(async () => {
    await bot.close();
    await fake.close();
    await ding.close();
  });

  // First, before this describe's bot has seen any message.
  it('/readyz names both platforms within seconds of start (the bot checks its credentials at start)', async (t) => {
    const started = Date.now();
    let res: Response;
    let body: { status: string; reason: string; platforms?: Record<string, { code: string; message: string }> };
    for (;;) {
      res = await fetch(`${bot.url}/readyz`);
      body = (await res.json()) as typeof body;
      // 30 s is a failure guard only (a loaded machine); the diagnostic below says how long it took.
      if ((res.status === 503 && body.platforms?.['wecom'] && body.platforms['dingtalk']) || Date.now() - started > 30_000) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    t.diagnostic(`/readyz ${res.status} after ${Date.now() - started} ms without any message: ${body.reason}`);
    assert.equal(res.status, 503);
    assert.match(body.platforms!['wecom']!.message, /40001/);
    assert.match(body.platforms!['dingtalk']!.message, /InvalidAuthentication/);
    assert.equal(fake.sent.length + ding.otoMessages.length, 0, 'nothing sent');
  });

  it('/readyz answers 503 naming each platform and its error code (WeCom 40001, DingTalk InvalidAuthentication)', async (t) => {
    // Whatever made the bot call the platforms (here: a reply that needs a token on each).
    await postWecom(bot.url, wecomEventXml({ corpId: WECOM.corpId, from: 'u1', event: 'template_card_event', eventKey: 'ack:none:1' }));
    const group = ding.robotMessage({ senderStaffId: 'u2', conversationType: '2', conversationId: 'cidSecret', isInAtList: true, text: { content: '我的聊天记录有没有被存档' } });
    // DingTalk signs with the secret the bot knows, so the callback itself is accepted.
    await sendRobotCallback(`${bot.url}/dingtalk/callback`, group, 'not-the-secret');
    await bot.server.idle();
    const res = await fetch(`${bot.url}/readyz`);
    const body = (await res.json()) as { status: string; reason: string; platforms: Record<string, { code: string; message: string }> };
    t.diagnostic(`/readyz ${res.status}: ${body.reason}`);
    assert.equal(res.status, 503);
    assert.ok(body.platforms['wecom'], 'wecom named');
    assert.match(body.platforms['wecom']!.message, /40001/);
    assert.ok(body.platforms['dingtalk'], 'dingtalk named');
    assert.match(body.platforms['dingtalk']!.message, /InvalidAuthentication/);
    assert.equal(fake.sent.length + ding.otoMessages.length, 0);
  });
});
