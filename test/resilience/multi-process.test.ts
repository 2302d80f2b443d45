/**
 * Several instances: three `privacy-bot serve` processes on one Redis (a
 * throwaway redis-server of this test) behind a round-robin load balancer written here, talking to
 * one fake WeCom and one fake DingTalk — each process through its own recording proxy, so the test
 * knows which process made which platform call. Shown: one reply per message when the same
 * callback reaches all three; one token fetch at a time across the processes (cold start and
 * after a forced expiry); the per-user rate limit shared (21 questions spread over the three give
 * one slow-down reply); a broadcast delivered by more than one process, nobody twice.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startFakeWecom, wecomEventXml, wecomTextXml, type FakeWecom } from '../fakes/wecom-api.ts';
import { sendRobotCallback, startFakeDingtalk, type FakeDingtalk } from '../fakes/dingtalk-api.ts';
import { loadKnowledge } from '../../src/knowledge/load.ts';
import { USER_RATE_LIMIT, USER_RATE_WINDOW_MS } from '../../src/bot/rate-limit.ts';
import { hashUserId } from '../../src/log.ts';
import {
  DING,
  REPO_ROOT,
  WECOM,
  WECOM_KEYS,
  dingEnv,
  nextMsgId,
  passiveReply,
  spawnBot,
  startFaultProxy,
  startRoundRobin,
  startThrowawayRedis,
  waitUntil,
  wecomEnv,
  type BotProcess,
  type FaultProxy,
  type RoundRobin,
  type ThrowawayRedis,
} from './harness.ts';
import { buildWecomCallback } from '../fakes/wecom-api.ts';

const ADMIN_TOKEN = 'multi-process-admin-token-0123456789';
const N = 3;

describe('three bot processes on one Redis behind a load balancer', () => {
  let redis: ThrowawayRedis;
  let fake: FakeWecom;
  let ding: FakeDingtalk;
  const wecomProxies: FaultProxy[] = [];
  const dingProxies: FaultProxy[] = [];
  const bots: BotProcess[] = [];
  let lb: RoundRobin;

  before(async () => {
    redis = await startThrowawayRedis();
    fake = await startFakeWecom({ corpId: WECOM.corpId, secret: WECOM.secret, agentId: Number(WECOM.agentId) });
    ding = await startFakeDingtalk({ appKey: DING.appKey, appSecret: DING.appSecret, robotCode: DING.robotCode });
    for (let i = 0; i < N; i++) {
      wecomProxies.push(await startFaultProxy(fake.url));
      dingProxies.push(await startFaultProxy(ding.url));
    }
    bots.push(
      ...(await Promise.all(
        wecomProxies.map((wp, i) =>
          spawnBot({ ...wecomEnv(wp.url), ...dingEnv(dingProxies[i]!.url), REDIS_URL: redis.url, ADMIN_TOKEN, DATA_DIR: join(REPO_ROOT, '.unused-data') }),
        ),
      )),
    );
    lb = await startRoundRobin(bots.map((b) => b.url));
  });
  after(async () => {
    await lb?.close();
    await Promise.all(bots.map((b) => b.stop()));
    for (const p of [...wecomProxies, ...dingProxies]) await p.close();
    await fake?.close();
    await ding?.close();
    await redis?.stop();
  });

  /**
   * What the processes logged about `user` (hashed as in the bot's logs) with one of `msgs`: one
   * entry per line, in the order each process wrote them. The lines are how a test knows, across
   * processes, that each one has decided what to do with a callback (there is no idle() across
   * processes).
   */
  function decisions(platform: string, user: string, msgs: readonly string[]): { proc: number; msg: string; delivery?: string }[] {
    const hashed = hashUserId(platform, user);
    const out: { proc: number; msg: string; delivery?: string }[] = [];
    bots.forEach((b, proc) => {
      for (const l of b.lines) {
        let j: { msg?: string; user?: string; delivery?: string };
        try {
          j = JSON.parse(l) as typeof j;
        } catch {
          continue;
        }
        if (j.user === hashed && j.msg !== undefined && msgs.includes(j.msg)) out.push({ proc, msg: j.msg, ...(j.delivery ? { delivery: j.delivery } : {}) });
      }
    });
    return out;
  }

  /**
   * WeCom replies `user` got once every process has finished with the callback: each of the N
   * logged its decision (handled or duplicate), and a reply sent in the background was logged as
   * sent. Waits for those events; 30 s is a failure guard only.
   */
  async function wecomRepliesTo(user: string, answers: Response[]): Promise<string[]> {
    const out: string[] = [];
    for (const r of answers) {
      assert.equal(r.status, 200);
      const t = await passiveReply(r);
      if (t !== null) out.push(t);
    }
    const decided = () => decisions('wecom', user, ['wecom message handled', 'wecom callback duplicate']);
    await waitUntil(() => decided().length >= N, 30_000, `all ${N} processes decided about ${user}`);
    const handled = decided().filter((d) => d.msg === 'wecom message handled');
    assert.equal(handled.length, 1, `exactly one process handled the message: ${JSON.stringify(decided())}`);
    if (handled[0]!.delivery === 'api') {
      await waitUntil(() => decisions('wecom', user, ['wecom replies sent']).length >= 1, 30_000, `background reply to ${user} sent`);
    }
    for (const m of fake.sent) if (m.touser === user && m.msgtype === 'text') out.push(m.text!.content);
    return out;
  }

  function postCallback(base: string, query: string, body: string): Promise<Response> {
    return fetch(`${base}/wecom/callback?${query}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
  }

  it('one reply per message when the same callback reaches all three processes (WeCom and DingTalk, 20 messages each)', async (t) => {
    let wecomReplies = 0;
    for (let i = 0; i < 20; i++) {
      const user = `mp-dup-${i}`;
      const cb = buildWecomCallback({ ...WECOM_KEYS, xml: wecomTextXml({ corpId: WECOM.corpId, from: user, content: '撤回的消息管理员还能看到吗', msgId: nextMsgId() }) });
      const answers = await Promise.all(bots.map((b) => postCallback(b.url, cb.query, cb.body)));
      const replies = await wecomRepliesTo(user, answers);
      assert.equal(replies.length, 1, `message ${i}: ${replies.length} replies`);
      wecomReplies += replies.length;
    }
    let dingReplies = 0;
    for (let i = 0; i < 20; i++) {
      const staffId = `mp-ding-dup-${i}`;
      const body = ding.robotMessage({ senderStaffId: staffId, sessionWebhookExpiredTime: Date.now() - 1000, text: { content: '钉钉管理员能看到我的私聊吗' } });
      const statuses = await Promise.all(bots.map((b) => sendRobotCallback(`${b.url}/dingtalk/callback`, body, DING.appSecret)));
      assert.deepEqual(statuses.map((r) => r.status), [200, 200, 200]);
      // Every process logged its decision; the one that accepted it logged the delivery.
      const decided = () => decisions('dingtalk', staffId, ['message accepted', 'duplicate message ignored']);
      await waitUntil(() => decided().length >= N, 30_000, `all ${N} processes decided about ${staffId}`);
      assert.equal(decided().filter((d) => d.msg === 'message accepted').length, 1, `exactly one process accepted it: ${JSON.stringify(decided())}`);
      await waitUntil(() => decisions('dingtalk', staffId, ['replies delivered']).length >= 1, 30_000, `reply to ${staffId} delivered`);
      const n = ding.otoMessages.filter((m) => m.userIds.includes(staffId)).length;
      assert.equal(n, 1, `DingTalk message ${i}: ${n} replies`);
      dingReplies += n;
    }
    t.diagnostic(`each callback sent to all ${N} processes at once: WeCom 20 messages -> ${wecomReplies} replies, DingTalk 20 msgIds -> ${dingReplies} replies`);
  });

  it('one token fetch at a time across the processes: on a cold cache and after a forced expiry (WeCom and DingTalk)', async (t) => {
    const wecomBefore = fake.tokenRequests;
    const dingBefore = ding.tokenRequests.length;
    // The first test warmed both tokens up; drop them everywhere, as a restart of Redis would.
    await flushTokens(redis.url);
    const clicks = (tag: string) =>
      Array.from({ length: 30 }, (_, i) => {
        const cb = buildWecomCallback({ ...WECOM_KEYS, xml: wecomEventXml({ corpId: WECOM.corpId, from: `mp-tok-${tag}-${i}`, event: 'template_card_event', eventKey: `ack:none-${tag}:1` }) });
        return postCallback(lb.url, cb.query, cb.body);
      });
    const dingAsks = (tag: string) =>
      Array.from({ length: 30 }, (_, i) =>
        sendRobotCallback(`${lb.url}/dingtalk/callback`, ding.robotMessage({ senderStaffId: `mp-dtok-${tag}-${i}`, sessionWebhookExpiredTime: Date.now() - 1000 }), DING.appSecret),
      );
    const sentBefore = fake.sent.length;
    const otoBefore = ding.otoMessages.length;
    await Promise.all([...clicks('cold'), ...dingAsks('cold')]);
    await waitUntil(() => fake.sent.length - sentBefore >= 30 && ding.otoMessages.length - otoBefore >= 30, 60_000, 'replies after the cold start').catch((err: Error) => {
      throw new Error(`${err.message}: WeCom ${fake.sent.length - sentBefore}/30, DingTalk ${ding.otoMessages.length - otoBefore}/30 (throttled ${ding.throttled.batchSend})`);
    });
    const wecomCold = fake.tokenRequests - wecomBefore;
    const dingCold = ding.tokenRequests.length - dingBefore;
    const callers = new Set(wecomProxies.map((p, i) => (p.seen.some((s) => s.path.endsWith('message/send')) ? i : -1)).filter((i) => i >= 0));

    // Forced expiry: every token issued so far is refused (42001 / 401), while replies are in flight.
    fake.expireTokens();
    ding.revokeTokens();
    const sent2 = fake.sent.length;
    const oto2 = ding.otoMessages.length;
    await Promise.all([...clicks('expired'), ...dingAsks('expired')]);
    await waitUntil(() => fake.sent.length - sent2 >= 30 && ding.otoMessages.length - oto2 >= 30, 60_000, 'replies after the expiry').catch((err: Error) => {
      throw new Error(`${err.message}: WeCom ${fake.sent.length - sent2}/30, DingTalk ${ding.otoMessages.length - oto2}/30 (throttled ${ding.throttled.batchSend})`);
    });
    const wecomExpired = fake.tokenRequests - wecomBefore - wecomCold;
    const dingExpired = ding.tokenRequests.length - dingBefore - dingCold;
    t.diagnostic(`30 WeCom + 30 DingTalk replies at once over ${N} processes (WeCom sends from ${callers.size} processes): token fetches on a cold cache WeCom ${wecomCold}, DingTalk ${dingCold}; after a forced expiry WeCom ${wecomExpired}, DingTalk ${dingExpired}`);
    assert.equal(callers.size, N, 'every process sent replies');
    assert.equal(wecomCold, 1);
    assert.equal(dingCold, 1);
    assert.equal(wecomExpired, 1);
    assert.equal(dingExpired, 1);
  });

  it('the per-user rate limit is shared: 21 questions spread over the three processes get 20 answers and one slow-down reply', async (t) => {
    const kb = await loadKnowledge(join(REPO_ROOT, 'knowledge'));
    const questions = kb.entries.slice(0, USER_RATE_LIMIT + 1).map((e) => e.questions.zh[0]!);
    assert.equal(questions.length, 21);
    // The limit counts in fixed one-minute windows of the wall clock (the processes' own clocks).
    // However slow the machine, a round that straddled a window boundary is not evidence either
    // way: it is run again with another employee (every round of a minute apart cannot straddle).
    const isSlowDown = (r: string) => /提问得有点快|asking a bit fast/.test(r);
    for (let round = 0; ; round++) {
      assert.ok(round < 3, 'three rounds in a row straddled a minute boundary');
      const user = `mp-rate-user-${round}`;
      const windowAtStart = Math.floor(Date.now() / USER_RATE_WINDOW_MS);
      const from = lb.counts.slice();
      const answers = await Promise.all(
        questions.map((q) => postCallback(lb.url, ...callbackParts(wecomTextXml({ corpId: WECOM.corpId, from: user, content: q, msgId: nextMsgId() })))),
      );
      const perProcess = lb.counts.map((c, i) => c - from[i]!);
      // An answer longer than one WeCom text message (2048 bytes) arrives as several messages, so messages are
      // counted per question: each passive reply belongs to one question; a message sent in the background
      // either continues an answer or is a whole answer. What must hold: exactly one slow-down reply.
      const passive: string[] = [];
      for (const r of answers) {
        assert.equal(r.status, 200);
        const text = await passiveReply(r);
        if (text !== null) passive.push(text);
      }
      const all = () => [...passive, ...fake.sent.filter((m) => m.touser === user && m.msgtype === 'text').map((m) => m.text!.content)];
      const answered = () => all().filter((r) => !isSlowDown(r)).length;
      await waitUntil(() => (all().some(isSlowDown) && answered() >= USER_RATE_LIMIT) || answered() >= questions.length, 60_000, 'answers and the slow-down reply');
      const replies = all();
      const slowDown = replies.filter(isSlowDown);
      if (slowDown.length === 0 && Math.floor(Date.now() / USER_RATE_WINDOW_MS) !== windowAtStart) {
        t.diagnostic(`round ${round} straddled a minute boundary: run again`);
        continue;
      }
      t.diagnostic(`21 questions from one employee, ${perProcess.join('/')} per process: ${replies.length - slowDown.length} answer messages, ${slowDown.length} slow-down reply`);
      assert.ok(perProcess.every((n) => n >= 6), 'spread over all three');
      assert.equal(slowDown.length, 1);
      // Exactly one of the 21 was slowed down, so the other 20 were answered (each with one or more messages).
      assert.ok(replies.length - slowDown.length >= USER_RATE_LIMIT);
      break;
    }
  });

  it('a broadcast is delivered by more than one process, to every recipient once', async (t) => {
    const users = Array.from({ length: 1000 }, (_, i) => `mp-staff-${String(i).padStart(4, '0')}`);
    const before = dingProxies.map((p) => p.seen.filter((s) => s.path.endsWith('oToMessages/batchSend')).length);
    ding.reset();
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`${lb.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const n = (await (await admin('POST', '/admin/notices', { title: { zh: '会话存档告知', en: 'Archiving notice' }, body: { zh: '公司对工作聊天存档。', en: 'Work chats are archived.' } })).json()) as { id: string };
    const started = Date.now();
    const b = (await (await admin('POST', '/admin/broadcasts', { noticeId: n.id, platform: 'dingtalk', audience: { userIds: users } })).json()) as { id: string };
    let view: { state: string; counts: { sent: number; failed: number; pending: number } } = { state: '', counts: { sent: 0, failed: 0, pending: 1 } };
    await waitUntil(async () => {
      view = (await (await admin('GET', `/admin/broadcasts/${b.id}`)).json()) as typeof view;
      return view.counts.sent + view.counts.failed === users.length;
    }, 120_000, 'broadcast finished');
    const elapsed = Date.now() - started;
    const batchesPerProcess = dingProxies.map((p, i) => p.seen.filter((s) => s.path.endsWith('oToMessages/batchSend')).length - before[i]!);
    const reached = ding.reachedUsers();
    t.diagnostic(`1000 recipients on DingTalk (batches of 20): ${view.counts.sent} sent in ${elapsed} ms; batchSend calls per process ${batchesPerProcess.join('/')}; ${ding.duplicateDeliveries()} duplicates, ${users.length - reached.size} missed`);
    assert.equal(view.counts.sent, users.length);
    assert.equal(reached.size, users.length);
    assert.equal(ding.duplicateDeliveries(), 0);
    assert.ok(batchesPerProcess.filter((c) => c > 0).length >= 2, `split over processes: ${batchesPerProcess.join('/')}`);
  });
});

function callbackParts(xml: string): [string, string] {
  const cb = buildWecomCallback({ ...WECOM_KEYS, xml });
  return [cb.query, cb.body];
}

/** Deletes the cached access tokens (any prefix) on the test's Redis. */
async function flushTokens(url: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const c = new Redis(url);
  try {
    const keys = await c.keys('*token:*');
    if (keys.length) await c.del(...keys);
  } finally {
    c.disconnect();
  }
}
