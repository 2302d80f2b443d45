/**
 * End to end over loopback: a fake DingTalk (OpenAPI + sessionWebhook), the real bot, and robot
 * callbacks signed the way DingTalk signs them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBot, type TestBot } from '../helpers/app.ts';
import { sendRobotCallback, startFakeDingtalk, type FakeDingtalk } from '../fakes/dingtalk-api.ts';

describe('DingTalk end to end', () => {
  let fake: FakeDingtalk;
  let bot: TestBot;
  let callback: string;

  before(async () => {
    fake = await startFakeDingtalk({ appKey: 'dingkey', appSecret: 'dingsecret', robotCode: 'dingkey' });
    bot = await startTestBot({
      DINGTALK_APP_KEY: 'dingkey', DINGTALK_APP_SECRET: 'dingsecret', DINGTALK_ROBOT_CODE: 'dingkey', DINGTALK_API_BASE: fake.apiBase,
    });
    callback = `${bot.url}/dingtalk/callback`;
    await bot.core.store.putStatuses([
      { platform: 'dingtalk', userId: 'user001', archived: true, since: '2026-04-15', scope: 'group chats', source: 'company policy', updatedAt: '2026-05-02T08:00:00.000Z' },
    ]);
  });
  after(async () => {
    await bot.close();
    await fake.close();
  });

  it('1:1: answers through the sessionWebhook with the asker’s status', async () => {
    fake.reset();
    const res = await sendRobotCallback(callback, fake.robotMessage({ text: { content: '我的聊天记录有没有被存档' } }), 'dingsecret');
    assert.equal(res.status, 200);
    await bot.server.idle();
    assert.equal(fake.webhookMessages.length, 1);
    assert.match(fake.webhookMessages[0]!.content!, /自 2026-04-15 起已存档/);
    assert.equal(fake.otoMessages.length, 0);
  });

  it('group @-mention: the group gets the general answer @-mentioning the asker, the status goes 1:1 only', async () => {
    fake.reset();
    const body = fake.robotMessage({
      conversationType: '2', conversationId: 'cidGroup1', conversationTitle: '项目群', isInAtList: true,
      text: { content: ' 我的聊天记录有没有被存档' },
    });
    const res = await sendRobotCallback(callback, body, 'dingsecret');
    assert.equal(res.status, 200);
    await bot.server.idle();
    const groupTexts = [...fake.webhookMessages.map((m) => m.content ?? ''), ...fake.groupMessages.map((m) => m.content ?? '')];
    assert.equal(groupTexts.length, 1);
    assert.doesNotMatch(groupTexts[0]!, /2026-04-15/);
    assert.match(groupTexts[0]!, /私信/);
    if (fake.webhookMessages.length === 1) assert.deepEqual(fake.webhookMessages[0]!.atUserIds, ['user001']);
    assert.equal(fake.otoMessages.length, 1);
    assert.deepEqual(fake.otoMessages[0]!.userIds, ['user001']);
    assert.match(fake.otoMessages[0]!.content!, /2026-04-15/);
  });

  it('a group message that does not @-mention the bot is ignored', async () => {
    fake.reset();
    const body = fake.robotMessage({ conversationType: '2', conversationId: 'cidGroup1', isInAtList: false });
    assert.equal((await sendRobotCallback(callback, body, 'dingsecret')).status, 200);
    await bot.server.idle();
    assert.equal(fake.webhookMessages.length + fake.otoMessages.length + fake.groupMessages.length, 0);
  });

  it('the same msgId twice gets one answer', async () => {
    fake.reset();
    const body = fake.robotMessage({ text: { content: '撤回的消息公司还能看到吗' } });
    await sendRobotCallback(callback, body, 'dingsecret');
    await sendRobotCallback(callback, body, 'dingsecret');
    await bot.server.idle();
    assert.equal(fake.webhookMessages.length + fake.otoMessages.length, 1);
  });

  it('an expired sessionWebhook falls back to oToMessages/batchSend', async () => {
    fake.reset();
    const body = fake.robotMessage({ sessionWebhookExpiredTime: Date.now() - 1000, text: { content: 'Can DingTalk admins read my chats?' } });
    await sendRobotCallback(callback, body, 'dingsecret');
    await bot.server.idle();
    assert.equal(fake.webhookMessages.length, 0);
    assert.equal(fake.otoMessages.length, 1);
    // A 1:1 answer goes as markdown: the sources are links.
    assert.equal(fake.otoMessages[0]!.msgKey, 'sampleMarkdown');
    assert.match(fake.otoMessages[0]!.content!, /Sources:\n\n- \[[^\]]+\]\(https?:\/\/[^)\s]+\)/);
    assert.equal(typeof fake.otoMessages[0]!.param.title, 'string');
  });

  it('a bad signature is 401, a malformed body 400, and nothing is sent', async () => {
    fake.reset();
    const body = fake.robotMessage();
    assert.equal((await sendRobotCallback(callback, body, 'wrong-secret')).status, 401);
    assert.equal((await sendRobotCallback(callback, '{"msgId":', 'dingsecret')).status, 400);
    assert.equal((await sendRobotCallback(callback, { hello: 'world' }, 'dingsecret')).status, 400);
    await bot.server.idle();
    assert.equal(fake.webhookMessages.length + fake.otoMessages.length + fake.groupMessages.length, 0);
  });
});
