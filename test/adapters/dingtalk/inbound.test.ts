import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cleanDingtalkText, toInboundMessage } from '../../../adapters/dingtalk/inbound.ts';
import { buildRobotMessage } from '../../fakes/dingtalk-api.ts';
import { RequestError } from '../../../src/errors.ts';

const opts = { robotCode: 'dingfakeappkey', receivedAt: 1_700_000_000_000 };

function rejects(body: unknown, code: string, status: number, field?: RegExp): void {
  assert.throws(
    () => toInboundMessage(body, opts),
    (err: unknown) => {
      assert.ok(err instanceof RequestError);
      assert.equal(err.code, code);
      assert.equal(err.status, status);
      if (field) assert.match(err.message, field);
      return true;
    },
  );
}

describe('cleanDingtalkText', () => {
  it('trims the leading space left where the mention was', () => {
    assert.equal(cleanDingtalkText(' 你好'), '你好');
  });
  it('removes leading "@Name " fragments and "@Name\\u2005" anywhere', () => {
    assert.equal(cleanDingtalkText('@隐私助手 我的聊天会被存档吗'), '我的聊天会被存档吗');
    assert.equal(cleanDingtalkText('@隐私助手\u2005我的聊天会被存档吗'), '我的聊天会被存档吗');
    assert.equal(cleanDingtalkText('\u2005@Bot\u2005 @李四 can HR read my chats?'), 'can HR read my chats?');
    assert.equal(cleanDingtalkText('请问@隐私助手\u2005存档吗'), '请问 存档吗');
  });
  it('keeps an e-mail address or a trailing @ in the question', () => {
    assert.equal(cleanDingtalkText('写信给 privacy@example.com 可以吗'), '写信给 privacy@example.com 可以吗');
    assert.equal(cleanDingtalkText('@'), '@');
  });
});

describe('toInboundMessage', () => {
  it('a 1:1 text message becomes a single-chat text InboundMessage', () => {
    const body = buildRobotMessage({ msgId: 'msgA', text: { content: ' 存档吗 ' } });
    const r = toInboundMessage(body, opts);
    assert.equal(r.action, 'handle');
    if (r.action !== 'handle') return;
    assert.deepEqual(r.message, {
      platform: 'dingtalk',
      tenant: 'dingfakecorp',
      userId: 'user001',
      chat: { kind: 'single' },
      kind: 'text',
      text: '存档吗',
      mentionedBot: false,
      messageId: 'msgA',
      receivedAt: opts.receivedAt,
    });
    assert.equal(r.target.staffId, 'user001');
    assert.equal(r.target.conversationType, '1');
    assert.equal(r.target.sessionWebhook, body.sessionWebhook);
    assert.equal(r.target.sessionWebhookExpiresAt, body.sessionWebhookExpiredTime);
    assert.equal(r.target.senderNick, '张三');
  });

  it('tenant falls back from chatbotCorpId to senderCorpId to robotCode', () => {
    const a = toInboundMessage(buildRobotMessage({ chatbotCorpId: undefined, senderCorpId: 'dingS' }), opts);
    const b = toInboundMessage(buildRobotMessage({ chatbotCorpId: undefined, senderCorpId: undefined }), opts);
    assert.equal(a.action === 'handle' && a.message.tenant, 'dingS');
    assert.equal(b.action === 'handle' && b.message.tenant, 'dingfakeappkey');
  });

  it('a group @-mention becomes a group message with chatId = conversationId', () => {
    const r = toInboundMessage(buildRobotMessage({ conversationType: '2', conversationId: 'cidG', isInAtList: true }), opts);
    assert.equal(r.action, 'handle');
    if (r.action !== 'handle') return;
    assert.deepEqual(r.message.chat, { kind: 'group', chatId: 'cidG' });
    assert.equal(r.message.mentionedBot, true);
  });

  it('a group message without the robot in the @-list is ignored', () => {
    for (const isInAtList of [false, undefined]) {
      const r = toInboundMessage(buildRobotMessage({ msgId: 'm9', conversationType: '2', conversationId: 'cidG', isInAtList }), opts);
      assert.deepEqual(r, { action: 'ignore', reason: 'group-without-mention', messageId: 'm9' });
    }
  });

  it('non-text messages are kind non-text with empty text', () => {
    for (const msgtype of ['picture', 'richText', 'audio', 'file', 'video']) {
      const r = toInboundMessage(buildRobotMessage({ msgtype, text: undefined, content: { downloadCode: 'x' } }), opts);
      assert.equal(r.action === 'handle' && r.message.kind, 'non-text');
      assert.equal(r.action === 'handle' && r.message.text, '');
    }
  });

  it('a sender without senderStaffId is anonymous, identified by senderId', () => {
    const r = toInboundMessage(buildRobotMessage({ senderStaffId: undefined, senderId: '$:LWCP_v1:$x' }), opts);
    assert.equal(r.action, 'handle');
    if (r.action !== 'handle') return;
    assert.equal(r.message.anonymous, true);
    assert.equal(r.message.userId, '$:LWCP_v1:$x');
    assert.equal(r.target.staffId, null);
  });

  it('rejects another robot with 403', () => {
    rejects(buildRobotMessage({ robotCode: 'dingother' }), 'DINGTALK_WRONG_ROBOT', 403);
  });

  it('rejects bad shapes with 400 naming the field', () => {
    rejects(null, 'DINGTALK_BAD_REQUEST', 400, /body/);
    rejects('text', 'DINGTALK_BAD_REQUEST', 400);
    rejects(buildRobotMessage({ msgId: '' }), 'DINGTALK_BAD_REQUEST', 400, /msgId/);
    rejects(buildRobotMessage({ msgId: undefined }), 'DINGTALK_BAD_REQUEST', 400, /msgId/);
    rejects(buildRobotMessage({ conversationType: '3' }), 'DINGTALK_BAD_REQUEST', 400, /conversationType/);
    rejects(buildRobotMessage({ robotCode: undefined }), 'DINGTALK_BAD_REQUEST', 400, /robotCode/);
    rejects(buildRobotMessage({ text: { content: 5 } as unknown as { content: string } }), 'DINGTALK_BAD_REQUEST', 400, /text\.content/);
    rejects(buildRobotMessage({ text: undefined }), 'DINGTALK_BAD_REQUEST', 400, /text/);
    rejects(buildRobotMessage({ sessionWebhookExpiredTime: '123' as unknown as number }), 'DINGTALK_BAD_REQUEST', 400, /sessionWebhookExpiredTime/);
    rejects(buildRobotMessage({ senderStaffId: undefined, senderId: undefined }), 'DINGTALK_BAD_REQUEST', 400, /senderStaffId or senderId/);
    rejects(buildRobotMessage({ conversationType: '2', conversationId: undefined, isInAtList: true }), 'DINGTALK_BAD_REQUEST', 400, /conversationId/);
  });
});
