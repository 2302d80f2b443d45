import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness, type HarnessOptions } from './harness.ts';
import { sendRobotCallback, signDingtalkRequest } from '../../fakes/dingtalk-api.ts';
import { TEXT_PART_MAX_BYTES } from '../../../adapters/dingtalk/limits.ts';

let h: Harness | null = null;
async function harness(options?: HarnessOptions): Promise<Harness> {
  h = await startHarness(options);
  return h;
}
afterEach(async () => {
  await h?.close();
  h = null;
});

/** Nothing was sent anywhere. */
function assertNothingSent(x: Harness): void {
  assert.equal(x.fake.webhookMessages.length, 0, 'no webhook message');
  assert.equal(x.fake.otoMessages.length, 0, 'no batchSend');
  assert.equal(x.fake.groupMessages.length, 0, 'no group send');
  assert.equal(x.handled.length, 0, 'handler not called');
}

describe('POST /dingtalk/callback: verification before anything else', () => {
  it('a bad sign is 401 DINGTALK_BAD_SIGNATURE and nothing is handled or sent', async () => {
    const x = await harness();
    const { timestamp } = signDingtalkRequest(x.fake.appSecret, Date.now());
    const r = await x.send(x.fake.robotMessage(), { headers: { timestamp, sign: signDingtalkRequest('otherSecret', Number(timestamp)).sign } });
    assert.equal(r.status, 401);
    assert.match(await r.text(), /^DINGTALK_BAD_SIGNATURE/);
    await x.idle();
    assertNothingSent(x);
  });

  it('missing timestamp or sign headers are 401', async () => {
    const x = await harness();
    const body = JSON.stringify(x.fake.robotMessage());
    const signed = signDingtalkRequest(x.fake.appSecret, Date.now());
    for (const headers of [{}, { timestamp: signed.timestamp }, { sign: signed.sign }] as Record<string, string>[]) {
      const r = await fetch(x.callbackUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      assert.equal(r.status, 401, JSON.stringify(Object.keys(headers)));
      assert.match(await r.text(), /^DINGTALK_BAD_SIGNATURE/);
    }
    await x.idle();
    assertNothingSent(x);
  });

  it('a correctly signed timestamp more than 1 hour old (or ahead) is 401 DINGTALK_STALE_TIMESTAMP', async () => {
    const x = await harness();
    for (const skew of [-3_600_000 - 5_000, 3_600_000 + 5_000]) {
      const r = await x.send(x.fake.robotMessage(), { timestampMs: Date.now() + skew });
      assert.equal(r.status, 401);
      assert.match(await r.text(), /^DINGTALK_STALE_TIMESTAMP/);
    }
    await x.idle();
    assertNothingSent(x);
  });

  it('a timestamp 59 minutes old is still accepted', async () => {
    const x = await harness();
    const r = await x.send(x.fake.robotMessage(), { timestampMs: Date.now() - 59 * 60_000 });
    assert.equal(r.status, 200);
    await x.idle();
    assert.equal(x.fake.webhookMessages.length, 1);
  });

  it('a body for another robotCode is rejected with 403 DINGTALK_WRONG_ROBOT', async () => {
    const x = await harness();
    const r = await x.send(x.fake.robotMessage({ robotCode: 'dingsomeoneelse' }));
    assert.equal(r.status, 403);
    assert.match(await r.text(), /^DINGTALK_WRONG_ROBOT/);
    await x.idle();
    assertNothingSent(x);
  });

  it('a signed body that is not JSON is 400 DINGTALK_BAD_REQUEST', async () => {
    const x = await harness();
    const r = await x.send('{"msgId": "m1", ');
    assert.equal(r.status, 400);
    assert.match(await r.text(), /^DINGTALK_BAD_REQUEST: body is not JSON/);
    assertNothingSent(x);
  });

  it('JSON of the wrong shape is 400 naming the field', async () => {
    const x = await harness();
    const r = await x.send(x.fake.robotMessage({ conversationType: 1 as unknown as string }));
    assert.equal(r.status, 400);
    assert.match(await r.text(), /^DINGTALK_BAD_REQUEST: conversationType/);
    const r2 = await x.send([1, 2]);
    assert.equal(r2.status, 400);
    await x.idle();
    assertNothingSent(x);
  });

  it('a body over 1 MB is 413', async () => {
    const x = await harness();
    const big = x.fake.robotMessage({ text: { content: 'x'.repeat(1024 * 1024 + 10) } });
    const r = await x.send(big);
    assert.equal(r.status, 413);
    await x.idle();
    assertNothingSent(x);
  });
});

describe('POST /dingtalk/callback: one-to-one', () => {
  it('answers 200 {} and replies through the sessionWebhook, with the cleaned text given to the core', async () => {
    const x = await harness();
    const msg = x.fake.robotMessage({ text: { content: ' 我的聊天会被存档吗 ' } });
    const r = await x.send(msg);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), {});
    await x.idle();
    assert.equal(x.handled.length, 1);
    const m = x.handled[0]!;
    assert.equal(m.platform, 'dingtalk');
    assert.equal(m.userId, 'user001');
    assert.equal(m.tenant, 'dingfakecorp');
    assert.deepEqual(m.chat, { kind: 'single' });
    assert.equal(m.kind, 'text');
    assert.equal(m.text, '我的聊天会被存档吗');
    assert.equal(m.messageId, msg.msgId);
    assert.equal(m.anonymous, undefined);
    assert.equal(x.fake.webhookMessages.length, 1);
    const w = x.fake.webhookMessages[0]!;
    assert.deepEqual(w.body, { msgtype: 'text', text: { content: 'answer' } });
    assert.equal(x.fake.otoMessages.length, 0);
    assert.equal(x.fake.tokenRequests.length, 0, 'no token needed for the webhook');
  });

  it('an expired sessionWebhook is skipped: batchSend to senderStaffId (pitfall #6)', async () => {
    const x = await harness();
    const r = await x.send(x.fake.robotMessage({ sessionWebhookExpiredTime: Date.now() - 1000 }));
    assert.equal(r.status, 200);
    await x.idle();
    assert.equal(x.fake.webhookMessages.length, 0);
    assert.equal(x.fake.otoMessages.length, 1);
    const o = x.fake.otoMessages[0]!;
    assert.deepEqual(o.userIds, ['user001']);
    assert.equal(o.msgKey, 'sampleText');
    assert.equal(o.msgParam, '{"content":"answer"}');
    assert.equal(o.robotCode, x.fake.robotCode);
  });

  it('a sessionWebhook expiring within the safety margin is not used', async () => {
    const x = await harness();
    await x.send(x.fake.robotMessage({ sessionWebhookExpiredTime: Date.now() + 10_000 }));
    await x.idle();
    assert.equal(x.fake.webhookMessages.length, 0);
    assert.equal(x.fake.otoMessages.length, 1);
  });

  it('a webhook answering errcode 300001 falls back to batchSend', async () => {
    const x = await harness();
    x.fake.expireSession('gone');
    await x.send(x.fake.robotMessage({ sessionWebhook: x.fake.sessionWebhookUrl('gone') }));
    await x.idle();
    assert.equal(x.fake.webhookMessages.length, 1);
    assert.equal(x.fake.webhookMessages[0]!.errcode, 300001);
    assert.equal(x.fake.otoMessages.length, 1);
    assert.equal(x.fake.otoMessages[0]!.content, 'answer');
  });

  it('a webhook answering HTTP 404 falls back to batchSend', async () => {
    const x = await harness();
    x.fake.failSessionHttp('s404', 404);
    await x.send(x.fake.robotMessage({ sessionWebhook: x.fake.sessionWebhookUrl('s404') }));
    await x.idle();
    assert.equal(x.fake.otoMessages.length, 1);
  });

  it('a sessionWebhook on a foreign host is never called; the reply goes through the OpenAPI', async () => {
    const x = await harness();
    await x.send(x.fake.robotMessage({ sessionWebhook: 'http://127.0.0.1:9/robot/sendBySession?session=evil' }));
    await x.idle();
    assert.equal(x.fake.webhookMessages.length, 0);
    assert.equal(x.fake.otoMessages.length, 1);
    assert.deepEqual(x.fake.otoMessages[0]!.userIds, ['user001']);
  });

  it('the same msgId twice gives one answer (both answered 200)', async () => {
    const x = await harness();
    const msg = x.fake.robotMessage();
    const [a, b] = await Promise.all([x.send(msg), x.send(msg)]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    const c = await x.send(msg);
    assert.equal(c.status, 200);
    await x.idle();
    assert.equal(x.handled.length, 1);
    assert.equal(x.fake.webhookMessages.length, 1);
  });

  it('a non-text message reaches the core as kind non-text with empty text', async () => {
    const x = await harness();
    const msg = x.fake.robotMessage({ msgtype: 'picture', text: undefined, content: { downloadCode: 'dc1' } });
    assert.equal((await x.send(msg)).status, 200);
    await x.idle();
    assert.equal(x.handled[0]!.kind, 'non-text');
    assert.equal(x.handled[0]!.text, '');
  });

  it('long replies are split into ordered parts within the byte limit', async () => {
    const lines = Array.from({ length: 400 }, (_, i) => `第${i}行：会话存档只保存开启范围内的聊天记录。`);
    const long = lines.join('\n');
    const x = await harness({ replies: () => [{ text: long, visibility: 'chat' }] });
    await x.send(x.fake.robotMessage());
    await x.idle();
    const parts = x.fake.webhookMessages.map((w) => w.content!);
    assert.ok(parts.length >= 3, `${parts.length} parts`);
    for (const p of parts) assert.ok(Buffer.byteLength(p, 'utf8') <= TEXT_PART_MAX_BYTES);
    assert.equal(parts.join('\n'), long, 'parts are in order, cut at line breaks');
  });

  it('long replies that fall back mid-way continue through batchSend in order', async () => {
    const long = Array.from({ length: 300 }, (_, i) => `段落${i}：这是一个比较长的回答的一部分。`).join('\n');
    const x = await harness({ replies: () => [{ text: long, visibility: 'chat' }] });
    x.fake.expireSession('mid');
    await x.send(x.fake.robotMessage({ sessionWebhook: x.fake.sessionWebhookUrl('mid') }));
    await x.idle();
    assert.equal(x.fake.webhookMessages.length, 1, 'webhook tried once, then abandoned');
    const parts = x.fake.otoMessages.map((o) => o.content!);
    assert.ok(parts.length >= 2);
    assert.equal(parts.join('\n'), long);
  });

  it('logs carry a hashed user id and never the question or the answer', async () => {
    const x = await harness({ replies: () => [{ text: '答案正文ABC', visibility: 'chat' }] });
    await x.send(x.fake.robotMessage({ text: { content: '秘密问题XYZ' }, sessionWebhookExpiredTime: Date.now() - 1 }));
    await x.idle();
    const text = x.logText();
    assert.doesNotMatch(text, /秘密问题XYZ/);
    assert.doesNotMatch(text, /答案正文ABC/);
    assert.doesNotMatch(text, /user001/);
    assert.ok(x.logs.some((l) => l.msg === 'message accepted' && typeof l.user === 'string'));
  });
});

describe('POST /dingtalk/callback: groups', () => {
  const group = { conversationType: '2', conversationId: 'cidGroupA==', conversationTitle: '隐私讨论群', isInAtList: true };

  it('an @-mention is answered in the group, @-mentioning the asker via at.atUserIds', async () => {
    const x = await harness({ replies: () => [{ text: '群里的回答', visibility: 'chat', mentionAsker: true }] });
    await x.send(x.fake.robotMessage({ ...group, text: { content: '@隐私助手\u2005我的聊天会被存档吗' } }));
    await x.idle();
    const m = x.handled[0]!;
    assert.deepEqual(m.chat, { kind: 'group', chatId: 'cidGroupA==' });
    assert.equal(m.mentionedBot, true);
    assert.equal(m.text, '我的聊天会被存档吗');
    assert.equal(x.fake.webhookMessages.length, 1);
    assert.deepEqual(x.fake.webhookMessages[0]!.body, {
      msgtype: 'text',
      text: { content: '群里的回答' },
      at: { atUserIds: ['user001'], isAtAll: false },
    });
  });

  it('a private reply goes 1:1 via batchSend to the asker only, never into the group', async () => {
    const x = await harness({
      replies: () => [
        { text: 'FAQ answer for everyone', visibility: 'chat', mentionAsker: true },
        { text: 'Your archiving status: on since 2026-03-01', visibility: 'private' },
      ],
    });
    await x.send(x.fake.robotMessage({ ...group }));
    await x.idle();
    assert.equal(x.fake.webhookMessages.length, 1);
    assert.equal(x.fake.webhookMessages[0]!.content, 'FAQ answer for everyone');
    assert.equal(x.fake.groupMessages.length, 0);
    assert.equal(x.fake.otoMessages.length, 1);
    assert.deepEqual(x.fake.otoMessages[0]!.userIds, ['user001']);
    assert.equal(x.fake.otoMessages[0]!.content, 'Your archiving status: on since 2026-03-01');
    const everythingInGroup = JSON.stringify(x.fake.webhookMessages) + JSON.stringify(x.fake.groupMessages);
    assert.doesNotMatch(everythingInGroup, /archiving status/);
  });

  it('a private reply in a 1:1 chat also goes via batchSend, not the webhook', async () => {
    const x = await harness({ replies: () => [{ text: 'status', visibility: 'private' }] });
    await x.send(x.fake.robotMessage());
    await x.idle();
    assert.equal(x.fake.webhookMessages.length, 0);
    assert.equal(x.fake.otoMessages.length, 1);
  });

  it('group with an expired webhook: groupMessages/send to the conversation, "@nick " prefixed', async () => {
    const x = await harness({ replies: () => [{ text: '群里的回答', visibility: 'chat', mentionAsker: true }] });
    x.fake.expireSession('g-old');
    await x.send(x.fake.robotMessage({ ...group, sessionWebhook: x.fake.sessionWebhookUrl('g-old') }));
    await x.idle();
    assert.equal(x.fake.groupMessages.length, 1);
    const g = x.fake.groupMessages[0]!;
    assert.equal(g.openConversationId, 'cidGroupA==');
    assert.equal(g.msgKey, 'sampleText');
    assert.equal(g.content, '@张三 群里的回答');
    assert.equal(x.fake.otoMessages.length, 0);
  });

  it('a group message that does not @-mention the robot is ignored with 200', async () => {
    const x = await harness();
    const r = await x.send(x.fake.robotMessage({ ...group, isInAtList: false }));
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), {});
    await x.idle();
    assertNothingSent(x);
  });

  it('a group member outside the org (no senderStaffId) is answered anonymously; private replies are dropped', async () => {
    const x = await harness({
      replies: (m) => [
        { text: 'FAQ', visibility: 'chat', mentionAsker: true },
        { text: 'personal', visibility: 'private' },
        ...(m.anonymous ? [] : [{ text: 'should not happen', visibility: 'chat' as const }]),
      ],
    });
    await x.send(x.fake.robotMessage({ ...group, senderStaffId: undefined, senderCorpId: 'dingothercorp', senderId: '$:LWCP_v1:$ext' }));
    await x.idle();
    const m = x.handled[0]!;
    assert.equal(m.anonymous, true);
    assert.equal(m.userId, '$:LWCP_v1:$ext');
    assert.equal(m.tenant, 'dingfakecorp');
    assert.equal(x.fake.webhookMessages.length, 1);
    assert.deepEqual(x.fake.webhookMessages[0]!.body, { msgtype: 'text', text: { content: 'FAQ' } });
    assert.equal(x.fake.otoMessages.length, 0);
  });
});

describe('access token', () => {
  it('one token request serves several messages', async () => {
    const x = await harness();
    for (let i = 0; i < 3; i++) await x.send(x.fake.robotMessage({ sessionWebhookExpiredTime: 1 }));
    await x.idle();
    assert.equal(x.fake.otoMessages.length, 3);
    assert.equal(x.fake.tokenRequests.length, 1);
    assert.equal(new Set(x.fake.otoMessages.map((o) => o.token)).size, 1);
  });

  it('InvalidAuthentication on send: exactly one refresh and one retry', async () => {
    const x = await harness();
    await x.send(x.fake.robotMessage({ sessionWebhookExpiredTime: 1 }));
    await x.idle();
    x.fake.revokeTokens();
    await x.send(x.fake.robotMessage({ sessionWebhookExpiredTime: 1 }));
    await x.idle();
    assert.equal(x.fake.tokenRequests.length, 2);
    assert.equal(x.fake.otoMessages.length, 2);
    assert.equal(x.fake.otoMessages[1]!.token, x.fake.issuedTokens[1]);
    const sends = x.fake.requests.filter((r) => r.path === '/v1.0/robot/oToMessages/batchSend');
    assert.deepEqual(sends.map((r) => r.status), [200, 401, 200]);
  });

  it('a token rejected again after the refresh is not retried in a loop', async () => {
    const x = await harness();
    x.fake.failNext('batchSend', { status: 401, code: 'InvalidAuthentication' }, 5);
    await x.send(x.fake.robotMessage({ sessionWebhookExpiredTime: 1 }));
    await x.idle();
    const sends = x.fake.requests.filter((r) => r.path === '/v1.0/robot/oToMessages/batchSend');
    assert.equal(sends.length, 2);
    assert.equal(x.fake.tokenRequests.length, 2);
    assert.ok(x.logs.some((l) => l.msg === 'reply not delivered' && l.code === 'DINGTALK_API_ERROR'));
  });

  it('wrong AppSecret: the token request fails, the reply is logged as DINGTALK_API_ERROR, no retry storm', async () => {
    const x = await harness({ config: { appSecret: 'notTheAppSecret' } });
    // DingTalk signs callbacks with the same AppSecret, so sign with the configured one.
    const r = await sendRobotCallback(x.callbackUrl, x.fake.robotMessage({ sessionWebhookExpiredTime: 1 }), 'notTheAppSecret');
    assert.equal(r.status, 200);
    await x.idle();
    assert.equal(x.fake.tokenRequests.length, 1);
    assert.equal(x.fake.tokenRequests[0]!.ok, false);
    assert.equal(x.fake.otoMessages.length, 0);
    assert.ok(x.logs.some((l) => l.msg === 'reply not delivered' && l.code === 'DINGTALK_API_ERROR'));
    assert.doesNotMatch(x.logText(), /notTheAppSecret/);
  });
});
