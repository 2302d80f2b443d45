/**
 * Resilience: DingTalk's callback sign covers the timestamp only. A captured (timestamp, sign) pair
 * reused within its hour with another body — here someone else's staffId and the attacker's own
 * sessionWebhook, to have that person's status posted into the attacker's chat — must be refused,
 * on the instance that saw the pair and on any other instance sharing the store. A genuine retry
 * (same body, same or fresh pair) is still accepted and answered once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { signDingtalkRequest, startFakeDingtalk, type FakeDingtalk, type RobotMessageBody } from '../fakes/dingtalk-api.ts';
import { DING, SHARED_REDIS_URL, deletePrefix, dingEnv, startBot, uniquePrefix, type Bot } from './harness.ts';

describe('DingTalk replay of a captured timestamp/sign pair', () => {
  let fake: FakeDingtalk;
  let a: Bot;
  let b: Bot;
  const prefix = uniquePrefix('replay');

  before(async () => {
    fake = await startFakeDingtalk({ appKey: DING.appKey, appSecret: DING.appSecret, robotCode: DING.robotCode });
    a = await startBot({ env: dingEnv(fake.apiBase), redis: { url: SHARED_REDIS_URL, prefix } });
    b = await startBot({ env: dingEnv(fake.apiBase), redis: { url: SHARED_REDIS_URL, prefix } });
    for (const bot of [a, b]) {
      await bot.core.store.putStatuses([
        { platform: 'dingtalk', userId: 'victim', archived: true, since: '2026-01-15', scope: 'all chats', source: 'import', updatedAt: '2026-05-02T08:00:00.000Z' },
      ]);
    }
  });
  after(async () => {
    await a.close();
    await b.close();
    await fake.close();
    await deletePrefix(SHARED_REDIS_URL, prefix);
  });

  function send(base: string, body: RobotMessageBody | string, pair: { timestamp: string; sign: string }): Promise<Response> {
    return fetch(`${base}/dingtalk/callback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...pair },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  async function idle(): Promise<void> {
    await a.server.idle();
    await b.server.idle();
  }

  const attackerSession = (name: string) => fake.sessionWebhookUrl(`attacker-${name}`);
  const sentTo = (session: string) => fake.webhookMessages.filter((m) => m.session === session && m.errcode === 0);

  it('a captured pair reused with a forged body (another person, the attacker’s webhook) is refused, on both instances', async (t) => {
    fake.reset();
    const pair = signDingtalkRequest(DING.appSecret, Date.now());
    const genuine = fake.robotMessage({ senderStaffId: 'attacker', text: { content: '钉钉管理员能看到我的聊天吗' } });
    assert.equal((await send(a.url, genuine, pair)).status, 200);
    const forged = fake.robotMessage({
      senderStaffId: 'victim', senderNick: '受害人', sessionWebhook: attackerSession('1'), text: { content: '我的聊天记录有没有被存档' },
    });
    const onA = await send(a.url, forged, pair);
    const onB = await send(b.url, { ...forged, msgId: `${forged.msgId}-b` }, pair);
    await idle();
    t.diagnostic(`forged body with the captured pair: instance A ${onA.status} ${await onA.clone().text()}, instance B ${onB.status}`);
    assert.equal(onA.status, 401);
    assert.match(await onA.text(), /^DINGTALK_SIGN_REUSED/);
    assert.equal(onB.status, 401);
    assert.deepEqual(sentTo(new URL(attackerSession('1')).searchParams.get('session')!), []);
    assert.equal(fake.otoMessages.filter((m) => m.userIds.includes('victim')).length, 0);
    assert.doesNotMatch(JSON.stringify(fake.webhookMessages), /2026-01-15/);
  });

  it('a genuine retry (same body, same pair or a fresh pair) is accepted and answered once', async () => {
    fake.reset();
    const body = fake.robotMessage({ senderStaffId: 'retry-person', text: { content: '撤回的消息公司还能看到吗' } });
    const pair = signDingtalkRequest(DING.appSecret, Date.now());
    const statuses = [
      (await send(a.url, body, pair)).status,
      (await send(b.url, body, pair)).status,
      (await send(a.url, body, signDingtalkRequest(DING.appSecret, Date.now() + 5))).status,
    ];
    await idle();
    assert.deepEqual(statuses, [200, 200, 200]);
    const session = new URL(body.sessionWebhook!).searchParams.get('session')!;
    assert.equal(sentTo(session).length + fake.otoMessages.length, 1);
  });

  it('a forged body racing the genuine one with the same pair: exactly one of them is accepted (50 races)', async (t) => {
    fake.reset();
    let accepted = 0;
    let forgedWon = 0;
    for (let i = 0; i < 50; i++) {
      const pair = signDingtalkRequest(DING.appSecret, Date.now() + i * 7);
      const genuine = fake.robotMessage({ senderStaffId: `race-genuine-${i}` });
      const forged = fake.robotMessage({ senderStaffId: 'victim', sessionWebhook: attackerSession(`race-${i}`) });
      const [g, f] = i % 2 === 0
        ? await Promise.all([send(a.url, genuine, pair), send(b.url, forged, pair)])
        : await Promise.all([send(b.url, forged, pair), send(a.url, genuine, pair)]).then(([x, y]) => [y, x] as const);
      const ok = [g.status, f.status].filter((s) => s === 200).length;
      assert.equal(ok, 1, `race ${i}: ${g.status}/${f.status}`);
      accepted += ok;
      if (f.status === 200) forgedWon++;
    }
    await idle();
    t.diagnostic(`50 races of two bodies on one pair: ${accepted} accepted, the forged one first in ${forgedWon} (a tap ahead of DingTalk's request wins once; see RELIABILITY.md)`);
  });

  it('the pair of an ignored group message (no @-mention) is bound as well', async () => {
    const pair = signDingtalkRequest(DING.appSecret, Date.now() + 999);
    const ignored = fake.robotMessage({ conversationType: '2', conversationId: 'cidG', isInAtList: false });
    assert.equal((await send(a.url, ignored, pair)).status, 200);
    const forged = fake.robotMessage({ senderStaffId: 'victim', sessionWebhook: attackerSession('g') });
    assert.equal((await send(b.url, forged, pair)).status, 401);
  });

  it('a pair outside the ±1 h window is stale whatever the body', async () => {
    const old = signDingtalkRequest(DING.appSecret, Date.now() - 3_600_000 - 60_000);
    assert.equal((await send(a.url, fake.robotMessage({ senderStaffId: 'victim' }), old)).status, 401);
  });
});
