/**
 * Resilience: DingTalk may deliver one robot message more than once (HTTP mode: its retry policy is
 * undocumented; Stream mode re-pushes after ~60 s). Exactly one reply per msgId — on one instance
 * over 10 s, and when two instances sharing Redis get it at once; different msgIds from one sender
 * in the same second are all answered.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { sendRobotCallback, startFakeDingtalk, type FakeDingtalk } from '../fakes/dingtalk-api.ts';
import { DING, SHARED_REDIS_URL, dingEnv, startBot, uniquePrefix, type Bot } from './harness.ts';
import { deleteRedisPrefix } from '../helpers/redis-prefix.ts';

describe('DingTalk platform retries', () => {
  let fake: FakeDingtalk;
  let a: Bot;
  let b: Bot;
  const prefix = uniquePrefix('retries-dingtalk');

  before(async () => {
    fake = await startFakeDingtalk({ appKey: DING.appKey, appSecret: DING.appSecret, robotCode: DING.robotCode });
    a = await startBot({ env: dingEnv(fake.apiBase), redis: { url: SHARED_REDIS_URL, prefix } });
    b = await startBot({ env: dingEnv(fake.apiBase), redis: { url: SHARED_REDIS_URL, prefix } });
  });
  after(async () => {
    await a.close();
    await b.close();
    await fake.close();
    await deleteRedisPrefix(SHARED_REDIS_URL, prefix);
  });

  /** Messages DingTalk delivered for the staffId (webhook + OpenAPI), after both instances are idle. */
  async function repliesTo(staffId: string, sessions: Set<string>): Promise<number> {
    await a.server.idle();
    await b.server.idle();
    const webhook = fake.webhookMessages.filter((m) => sessions.has(m.session) && m.errcode === 0).length;
    const oto = fake.otoMessages.filter((m) => m.userIds.includes(staffId)).length;
    return webhook + oto;
  }

  function sessionOf(body: { sessionWebhook?: string }): string {
    return new URL(body.sessionWebhook!).searchParams.get('session')!;
  }

  it('the same msgId at 0, 5 and 10 s (each re-signed, as a retry would be) gets exactly one reply', async (t) => {
    const body = fake.robotMessage({ senderStaffId: 'ding-retry-1', text: { content: '撤回的消息公司还能看到吗' } });
    const statuses: number[] = [];
    for (const delay of [0, 5000, 5000]) {
      await sleep(delay);
      statuses.push((await sendRobotCallback(`${a.url}/dingtalk/callback`, body, DING.appSecret)).status);
    }
    const n = await repliesTo('ding-retry-1', new Set([sessionOf(body)]));
    t.diagnostic(`HTTP ${statuses.join('/')}; replies ${n}`);
    assert.deepEqual(statuses, [200, 200, 200]);
    assert.equal(n, 1);
  });

  it('the same msgId sent at once to two instances sharing Redis gets exactly one reply (20 rounds)', async (t) => {
    let total = 0;
    for (let i = 0; i < 20; i++) {
      const staffId = `ding-race-${i}`;
      const body = fake.robotMessage({ senderStaffId: staffId, text: { content: '钉钉管理员能看到我的聊天吗' } });
      const send = (base: string) => sendRobotCallback(`${base}/dingtalk/callback`, body, DING.appSecret);
      const answers = i % 2 === 0 ? await Promise.all([send(a.url), send(b.url)]) : await Promise.all([send(b.url), send(a.url)]);
      assert.deepEqual(answers.map((r) => r.status), [200, 200]);
      const n = await repliesTo(staffId, new Set([sessionOf(body)]));
      assert.equal(n, 1, `round ${i}: ${n} replies`);
      total += n;
    }
    t.diagnostic(`20 races: ${total} replies in all`);
  });

  it('two messages from one sender in the same second (different msgIds) are both answered', async () => {
    const now = Date.now();
    const m1 = fake.robotMessage({ senderStaffId: 'ding-same-second', createAt: now, text: { content: '聊天记录是加密的吗' } });
    const m2 = fake.robotMessage({ senderStaffId: 'ding-same-second', createAt: now, text: { content: '存档的聊天记录保存多久' } });
    await Promise.all([
      sendRobotCallback(`${a.url}/dingtalk/callback`, m1, DING.appSecret, { timestampMs: now }),
      sendRobotCallback(`${b.url}/dingtalk/callback`, m2, DING.appSecret, { timestampMs: now + 1 }),
    ]);
    assert.equal(await repliesTo('ding-same-second', new Set([sessionOf(m1), sessionOf(m2)])), 2);
  });
});
