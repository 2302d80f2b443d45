import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSessionWebhookUsable, sessionWebhookPolicy } from '../../../adapters/dingtalk/outbound.ts';
import type { DingtalkReplyTarget } from '../../../adapters/dingtalk/inbound.ts';
import { SESSION_WEBHOOK_SAFETY_MARGIN_MS } from '../../../adapters/dingtalk/limits.ts';

describe('sessionWebhookPolicy', () => {
  it('production: only https on DingTalk hosts', () => {
    const allowed = sessionWebhookPolicy('https://api.dingtalk.com');
    assert.equal(allowed('https://oapi.dingtalk.com/robot/sendBySession?session=abc'), true);
    assert.equal(allowed('http://oapi.dingtalk.com/robot/sendBySession?session=abc'), false);
    assert.equal(allowed('https://oapi.dingtalk.com:8443/robot/sendBySession'), false);
    assert.equal(allowed('https://oapi.dingtalk.com.evil.example/robot/sendBySession'), false);
    assert.equal(allowed('https://user@oapi.dingtalk.com/robot/sendBySession'), false);
    assert.equal(allowed('http://127.0.0.1:8080/robot/sendBySession'), false);
    assert.equal(allowed('not a url'), false);
  });
  it('a fake apiBase allows its own origin as well', () => {
    const allowed = sessionWebhookPolicy('http://127.0.0.1:4567');
    assert.equal(allowed('http://127.0.0.1:4567/robot/sendBySession?session=x'), true);
    assert.equal(allowed('http://127.0.0.1:4568/robot/sendBySession?session=x'), false);
    assert.equal(allowed('https://oapi.dingtalk.com/robot/sendBySession?session=x'), true);
  });
});

describe('isSessionWebhookUsable', () => {
  const now = 1_700_000_000_000;
  const target = (over: Partial<DingtalkReplyTarget>): DingtalkReplyTarget => ({
    conversationType: '1',
    conversationId: 'cid',
    staffId: 'u1',
    senderNick: null,
    sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=a',
    sessionWebhookExpiresAt: now + 90 * 60_000,
    ...over,
  });
  const allowAll = () => true;
  it('needs a URL, an expiry beyond the safety margin, and an allowed host', () => {
    assert.equal(isSessionWebhookUsable(target({}), now, allowAll), true);
    assert.equal(isSessionWebhookUsable(target({ sessionWebhookExpiresAt: now + SESSION_WEBHOOK_SAFETY_MARGIN_MS }), now, allowAll), false);
    assert.equal(isSessionWebhookUsable(target({ sessionWebhookExpiresAt: now + SESSION_WEBHOOK_SAFETY_MARGIN_MS + 1 }), now, allowAll), true);
    assert.equal(isSessionWebhookUsable(target({ sessionWebhookExpiresAt: null }), now, allowAll), false);
    assert.equal(isSessionWebhookUsable(target({ sessionWebhook: null }), now, allowAll), false);
    assert.equal(isSessionWebhookUsable(target({}), now, () => false), false);
  });
});
