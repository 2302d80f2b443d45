/**
 * Resilience: DingTalk's callback sign covers the timestamp only. A captured (timestamp, sign) pair
 * reused within its hour with another body — someone else's staffId and the attacker's own
 * sessionWebhook, to have that person's status posted into the attacker's chat, or a "确认" to
 * acknowledge a notice in their name — must not be accepted as a message from that person: it is
 * answered as anonymous (FAQ only), on the instance that saw the pair and on any other instance
 * sharing the store. A genuine retry (same body) is answered once; two genuine messages signed in
 * the same millisecond are both answered.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { signDingtalkRequest, startFakeDingtalk, type FakeDingtalk, type RobotMessageBody } from '../fakes/dingtalk-api.ts';
import { DING, SHARED_REDIS_URL, dingEnv, startBot, uniquePrefix, waitUntil, type Bot } from './harness.ts';
import { deleteRedisPrefix } from '../helpers/redis-prefix.ts';

const VICTIM_STATUS = /2026-01-15/;

describe('DingTalk replay of a captured timestamp/sign pair', () => {
  let fake: FakeDingtalk;
  let a: Bot;
  let b: Bot;
  const prefix = uniquePrefix('replay');

  before(async () => {
    fake = await startFakeDingtalk({ appKey: DING.appKey, appSecret: DING.appSecret, robotCode: DING.robotCode });
    a = await startBot({ env: dingEnv(fake.apiBase), redis: { url: SHARED_REDIS_URL, prefix } });
    b = await startBot({ env: dingEnv(fake.apiBase), redis: { url: SHARED_REDIS_URL, prefix } });
    await a.core.store.putStatuses([
      { platform: 'dingtalk', userId: 'victim', archived: true, since: '2026-01-15', scope: 'all chats', source: 'import', updatedAt: '2026-05-02T08:00:00.000Z' },
    ]);
  });
  after(async () => {
    await a.close();
    await b.close();
    await fake.close();
    await deleteRedisPrefix(SHARED_REDIS_URL, prefix);
  });

  function send(base: string, body: RobotMessageBody, pair: { timestamp: string; sign: string }): Promise<Response> {
    return fetch(`${base}/dingtalk/callback`, { method: 'POST', headers: { 'content-type': 'application/json', ...pair }, body: JSON.stringify(body) });
  }

  async function idle(): Promise<void> {
    await a.server.idle();
    await b.server.idle();
  }

  const sessionOf = (body: RobotMessageBody) => new URL(body.sessionWebhook!).searchParams.get('session')!;
  const textsTo = (session: string) => fake.webhookMessages.filter((m) => m.session === session && m.errcode === 0).map((m) => m.content ?? '');
  const everything = () => JSON.stringify([fake.webhookMessages, fake.otoMessages, fake.groupMessages]);

  it('a captured pair reused with a forged body (another person, the attacker’s webhook) is answered as anonymous: no status anywhere, on both instances', async (t) => {
    fake.reset();
    const pair = signDingtalkRequest(DING.appSecret, Date.now());
    const genuine = fake.robotMessage({ senderStaffId: 'attacker', text: { content: '钉钉管理员能看到我的聊天吗' } });
    assert.equal((await send(a.url, genuine, pair)).status, 200);
    const forged = [a, b].map((_, i) =>
      fake.robotMessage({ senderStaffId: 'victim', senderNick: '受害人', sessionWebhook: fake.sessionWebhookUrl(`attacker-chat-${i}`), text: { content: '我的聊天记录有没有被存档' } }),
    );
    const statuses = [(await send(a.url, forged[0]!, pair)).status, (await send(b.url, forged[1]!, pair)).status];
    await idle();
    const toAttacker = forged.flatMap((f) => textsTo(sessionOf(f)));
    t.diagnostic(`forged bodies with the captured pair: HTTP ${statuses.join('/')}; the attacker's chat got ${toAttacker.length} general answers, ${toAttacker.filter((x) => VICTIM_STATUS.test(x)).length} with the victim's status; private sends to the victim ${fake.otoMessages.length}`);
    assert.deepEqual(statuses, [200, 200]);
    assert.equal(toAttacker.length, 2);
    for (const text of toAttacker) assert.match(text, /来源/);
    assert.doesNotMatch(everything(), VICTIM_STATUS);
    assert.equal(fake.otoMessages.length, 0);
    assert.ok([...a.logLines, ...b.logLines].some((l) => l.includes('answered as anonymous')));
  });

  it('the same victim asking with a pair of their own still gets their status (the defence binds pairs, not people)', async () => {
    fake.reset();
    const own = fake.robotMessage({ senderStaffId: 'victim', text: { content: '我的聊天记录有没有被存档' } });
    await send(b.url, own, signDingtalkRequest(DING.appSecret, Date.now() + 17));
    await idle();
    assert.match(textsTo(sessionOf(own)).join('\n'), VICTIM_STATUS);
  });

  it('a forged "确认" with a captured pair does not acknowledge a notice in someone else’s name', async () => {
    fake.reset();
    const notice = await a.core.notices.createNotice({ title: { zh: '会话存档告知', en: 'Archiving notice' }, body: { zh: '工作聊天会存档。', en: 'Work chats are archived.' } });
    const bc = await a.core.notices.createBroadcast({ noticeId: notice.noticeId, platform: 'dingtalk', audience: { userIds: ['victim'] }, createdBy: 'test' });
    await waitUntil(async () => (await a.core.notices.getBroadcast(bc.id)).counts.sent === 1, 10_000, 'notice delivered');
    const pair = signDingtalkRequest(DING.appSecret, Date.now() + 31);
    await send(a.url, fake.robotMessage({ senderStaffId: 'attacker', text: { content: '聊天记录是加密的吗' } }), pair);
    await send(b.url, fake.robotMessage({ senderStaffId: 'victim', text: { content: '确认' } }), pair);
    await idle();
    assert.equal((await a.core.notices.getBroadcast(bc.id)).counts.acknowledged, 0);
    // The victim's own "确认" (a fresh pair) is recorded.
    await send(a.url, fake.robotMessage({ senderStaffId: 'victim', text: { content: '确认' } }), signDingtalkRequest(DING.appSecret, Date.now() + 43));
    await idle();
    assert.equal((await a.core.notices.getBroadcast(bc.id)).counts.acknowledged, 1);
  });

  it('a genuine retry (same body, same pair or a fresh pair) is answered once', async () => {
    fake.reset();
    const body = fake.robotMessage({ senderStaffId: 'retry-person', text: { content: '撤回的消息公司还能看到吗' } });
    const pair = signDingtalkRequest(DING.appSecret, Date.now() + 53);
    const statuses = [
      (await send(a.url, body, pair)).status,
      (await send(b.url, body, pair)).status,
      (await send(a.url, body, signDingtalkRequest(DING.appSecret, Date.now() + 59))).status,
    ];
    await idle();
    assert.deepEqual(statuses, [200, 200, 200]);
    assert.equal(textsTo(sessionOf(body)).length + fake.otoMessages.length, 1);
  });

  it('two genuine messages signed in the same millisecond are both answered (the second without personal lines)', async (t) => {
    fake.reset();
    const pair = signDingtalkRequest(DING.appSecret, Date.now() + 71);
    const m1 = fake.robotMessage({ senderStaffId: 'victim', text: { content: '我的聊天记录有没有被存档' } });
    const m2 = fake.robotMessage({ senderStaffId: 'colleague', text: { content: '存档的聊天记录保存多久' } });
    const statuses = await Promise.all([send(a.url, m1, pair), send(b.url, m2, pair)]).then((r) => r.map((x) => x.status));
    await idle();
    const answered = [textsTo(sessionOf(m1)), textsTo(sessionOf(m2))].map((x) => x.length);
    t.diagnostic(`same-ms pair, two senders: HTTP ${statuses.join('/')}, replies ${answered.join('/')}`);
    assert.deepEqual(statuses, [200, 200]);
    assert.deepEqual(answered, [1, 1]);
  });

  it('a pair outside the ±1 h window is refused whatever the body', async () => {
    const old = signDingtalkRequest(DING.appSecret, Date.now() - 3_600_000 - 60_000);
    assert.equal((await send(a.url, fake.robotMessage({ senderStaffId: 'victim' }), old)).status, 401);
  });
});
