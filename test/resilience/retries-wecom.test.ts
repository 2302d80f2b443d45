/**
 * Resilience: WeCom retries a callback it got no timely answer for (5 s deadline, about three
 * retries) and, behind a load balancer, a retry may reach another instance. Exactly one reply per
 * MsgId in both cases; distinct messages (other MsgId, or other event) in the same second are all
 * answered. Two instances share one Redis under a private key prefix.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakeWecom, wecomEventXml, wecomTextXml, type FakeWecom } from '../fakes/wecom-api.ts';
import { aibotText, buildAibotCallback } from '../fakes/wecom-aibot-ws.ts';
import { AIBOT, SHARED_REDIS_URL, WECOM, nextMsgId, passiveReply, postWecom, startBot, uniquePrefix, waitUntil, wecomEnv, type Bot,  } from './harness.ts';
import { deleteRedisPrefix } from '../helpers/redis-prefix.ts';

describe('WeCom platform retries', () => {
  let fake: FakeWecom;
  let a: Bot;
  let b: Bot;
  const prefix = uniquePrefix('retries-wecom');

  before(async () => {
    fake = await startFakeWecom({ corpId: WECOM.corpId, secret: WECOM.secret, agentId: Number(WECOM.agentId) });
    const env = { ...wecomEnv(fake.url), WECOM_AIBOT_TOKEN: AIBOT.token, WECOM_AIBOT_ENCODING_AES_KEY: AIBOT.encodingAESKey };
    a = await startBot({ env, redis: { url: SHARED_REDIS_URL, prefix } });
    b = await startBot({ env, redis: { url: SHARED_REDIS_URL, prefix } });
  });
  after(async () => {
    await a.close();
    await b.close();
    await fake.close();
    await deleteRedisPrefix(SHARED_REDIS_URL, prefix);
  });

  /** Replies `user` got: passive replies in `answers` plus message/send texts to them. */
  async function repliesFor(user: string, answers: Response[]): Promise<string[]> {
    const out: string[] = [];
    for (const r of answers) {
      assert.equal(r.status, 200);
      const text = await passiveReply(r);
      if (text !== null) out.push(text);
    }
    await a.server.idle();
    await b.server.idle();
    for (const m of fake.sent) if (m.touser === user) out.push(m.text?.content ?? '');
    return out;
  }

  it('the same callback at 0, 5 and 10 s gets exactly one reply', async (t) => {
    const xml = wecomTextXml({ corpId: WECOM.corpId, from: 'retry-user-1', content: '管理员能导出我的聊天记录吗', msgId: nextMsgId() });
    const answers: Response[] = [];
    const started = Date.now();
    const at: number[] = [];
    for (const delay of [0, 5000, 5000]) {
      await sleep(delay);
      at.push(Date.now() - started);
      answers.push(await postWecom(a.url, xml));
    }
    const replies = await repliesFor('retry-user-1', answers);
    t.diagnostic(`sent at ${at.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')}; HTTP ${answers.map((r) => r.status).join('/')}; replies ${replies.length}`);
    assert.equal(replies.length, 1);
    assert.match(replies[0]!, /来源/);
  });

  it('the same callback sent at once to two instances sharing Redis gets exactly one reply (20 rounds)', async (t) => {
    let total = 0;
    const winners = { a: 0, b: 0 };
    for (let i = 0; i < 20; i++) {
      const user = `race-user-${i}`;
      const xml = wecomTextXml({ corpId: WECOM.corpId, from: user, content: '撤回的消息管理员还能看到吗', msgId: nextMsgId() });
      // Alternate which instance gets the request first, so both win some races.
      const [ra, rb] =
        i % 2 === 0
          ? await Promise.all([postWecom(a.url, xml), postWecom(b.url, xml)])
          : await Promise.all([postWecom(b.url, xml), postWecom(a.url, xml)]).then(([x, y]) => [y, x] as const);
      const ta = await passiveReply(ra);
      const tb = await passiveReply(rb);
      if (ta !== null) winners.a++;
      if (tb !== null) winners.b++;
      const replies = await repliesFor(user, []);
      const n = replies.length + (ta !== null ? 1 : 0) + (tb !== null ? 1 : 0);
      assert.equal(n, 1, `round ${i}: ${n} replies`);
      total += n;
    }
    t.diagnostic(`20 races: ${total} replies in all; answered by instance A ${winners.a}, by B ${winners.b}`);
  });

  it('an AI bot retry (same msgid) on the other instance shows the same stream; the core runs once', async () => {
    const msgid = `aibot-retry-${nextMsgId()}`;
    const body = aibotText({ msgid, userid: 'aibot-retry-user', content: '群里说的话公司能看到吗' });
    const post = async (base: string) => {
      const cb = buildAibotCallback({ ...AIBOT, json: body });
      return fetch(`${base}/wecom/aibot/callback?${cb.query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: cb.body });
    };
    const first = await post(a.url);
    const second = await post(b.url);
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    const [s1, s2] = [await first.text(), await second.text()];
    assert.notEqual(s1, '');
    // The retry is answered with the stored stream (same id), not with a second run of the core.
    const handled = [...a.logLines, ...b.logLines].filter((l) => l.includes('wecom-aibot message handled') && l.includes('"stream"'));
    const duplicates = [...a.logLines, ...b.logLines].filter((l) => l.includes('wecom-aibot callback duplicate'));
    assert.equal(duplicates.length >= 1, true);
    assert.equal(handled.length, 1);
    assert.notEqual(s2, '');
  });

  it('two messages from one user in the same second (different MsgIds) are both answered', async () => {
    const user = 'same-second-user';
    const createTime = Math.floor(Date.now() / 1000);
    const x1 = wecomTextXml({ corpId: WECOM.corpId, from: user, content: '聊天记录是加密的吗', msgId: nextMsgId(), createTime });
    const x2 = wecomTextXml({ corpId: WECOM.corpId, from: user, content: '存档的聊天记录保存多久', msgId: nextMsgId(), createTime });
    const answers = await Promise.all([postWecom(a.url, x1), postWecom(b.url, x2)]);
    const replies = await repliesFor(user, answers);
    assert.equal(replies.length, 2);
    assert.notEqual(replies[0], replies[1]);
  });

  it('two events from one user in the same second (enter_agent, card button) are both handled; each event once', async () => {
    const user = 'same-second-events';
    const createTime = Math.floor(Date.now() / 1000);
    const enter = wecomEventXml({ corpId: WECOM.corpId, from: user, event: 'enter_agent', createTime });
    const click = wecomEventXml({ corpId: WECOM.corpId, from: user, event: 'template_card_event', eventKey: 'ack:n-unknown:1', createTime });
    const answers = await Promise.all([postWecom(a.url, enter), postWecom(b.url, click), postWecom(a.url, enter), postWecom(b.url, click)]);
    const replies = await repliesFor(user, answers);
    // one welcome (enter_agent) + one answer to the button (nothing to acknowledge), duplicates dropped
    assert.equal(replies.length, 2, replies.join(' | '));
  });

  it('two card clicks in the same second on two notices’ buttons: both acknowledged', async () => {
    const user = 'same-second-clicks';
    const ids: { notice: string; broadcast: string }[] = [];
    for (const title of ['告知一', '告知二']) {
      const n = await a.core.notices.createNotice({ title: { zh: title, en: title }, body: { zh: '工作聊天会存档。', en: 'Work chats are archived.' } });
      const b0 = await a.core.notices.createBroadcast({ noticeId: n.noticeId, platform: 'wecom', audience: { userIds: [user] }, createdBy: 'test' });
      ids.push({ notice: n.noticeId, broadcast: b0.id });
    }
    await waitUntil(async () => {
      for (const x of ids) if ((await a.core.notices.getBroadcast(x.broadcast)).counts.sent !== 1) return false;
      return true;
    }, 10_000, 'both notices delivered');
    const createTime = Math.floor(Date.now() / 1000);
    const [c1, c2] = ids.map((x) => wecomEventXml({ corpId: WECOM.corpId, from: user, event: 'template_card_event', eventKey: `ack:${x.notice}:1`, createTime }));
    await repliesFor(user, await Promise.all([postWecom(a.url, c1!), postWecom(b.url, c2!)]));
    for (const x of ids) assert.equal((await a.core.notices.getBroadcast(x.broadcast)).counts.acknowledged, 1);
  });
});
