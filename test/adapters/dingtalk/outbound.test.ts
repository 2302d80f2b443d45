import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dingtalkMarkdown, isSessionWebhookUsable, postSessionWebhook, sessionWebhookPolicy } from '../../../adapters/dingtalk/outbound.ts';
import { startHarness } from './harness.ts';
import { withLinks } from '../../../src/reply-links.ts';
import type { Reply } from '../../../src/platform/message.ts';
import type { DingtalkReplyTarget } from '../../../adapters/dingtalk/inbound.ts';
import { SESSION_WEBHOOK_MAX_RESPONSE_BYTES, SESSION_WEBHOOK_SAFETY_MARGIN_MS } from '../../../adapters/dingtalk/limits.ts';
import { startFakeDingtalk, type FakeDingtalk } from '../../fakes/dingtalk-api.ts';

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

describe('postSessionWebhook', () => {
  let fake: FakeDingtalk;
  /** A server whose answer each test sets (oddAnswer). */
  let odd: Server;
  let oddUrl: string;
  let oddAnswer: (res: ServerResponse) => void = (res) => res.end();
  before(async () => {
    fake = await startFakeDingtalk();
    odd = createServer((req, res) => {
      req.resume();
      req.on('end', () => oddAnswer(res));
    });
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
    oddUrl = `http://127.0.0.1:${(odd.address() as AddressInfo).port}/robot/sendBySession?session=x`;
  });
  after(async () => {
    await fake.close();
    await new Promise<void>((resolve) => {
      odd.close(() => resolve());
      odd.closeAllConnections();
    });
  });
  const text = (content: string) => ({ msgtype: 'text' as const, text: { content } });

  it('two consecutive replies go over one kept-alive connection', async () => {
    fake.reset();
    assert.deepEqual(await postSessionWebhook(fake.sessionWebhookUrl('ka'), text('first')), { ok: true });
    assert.deepEqual(await postSessionWebhook(fake.sessionWebhookUrl('ka'), text('second')), { ok: true });
    const posts = fake.requests.filter((r) => r.path === '/robot/sendBySession');
    assert.equal(posts.length, 2);
    assert.equal(posts[1]!.remotePort, posts[0]!.remotePort, 'the fake saw a new connection for the second reply');
    assert.deepEqual(fake.webhookMessages.map((m) => m.content), ['first', 'second']);
    assert.equal(posts[0]!.headers['content-type'], 'application/json; charset=utf-8');
  });

  it('outcomes as before: 300001, other errcode, HTTP status', async () => {
    fake.reset();
    fake.expireSession('gone');
    fake.expireSession('odd', 40035);
    fake.failSessionHttp('s500', 500);
    assert.deepEqual(await postSessionWebhook(fake.sessionWebhookUrl('gone'), text('a')), { ok: false, reason: 'session expired (300001)' });
    assert.deepEqual(await postSessionWebhook(fake.sessionWebhookUrl('odd'), text('a')), { ok: false, reason: 'errcode 40035' });
    assert.deepEqual(await postSessionWebhook(fake.sessionWebhookUrl('s500'), text('a')), { ok: false, reason: 'HTTP 500' });
  });

  it('no answer within the timeout: network: TimeoutError, after about timeoutMs', async () => {
    oddAnswer = () => {
      /* never answers */
    };
    const started = Date.now();
    assert.deepEqual(await postSessionWebhook(oddUrl, text('a'), 200), { ok: false, reason: 'network: TimeoutError' });
    const took = Date.now() - started;
    assert.ok(took >= 190 && took < 10_000, `took ${took} ms (upper bound: a failure guard against hanging)`);
  });

  it('an answer over SESSION_WEBHOOK_MAX_RESPONSE_BYTES is not trusted, even with errcode 0', async () => {
    const big = JSON.stringify({ errcode: 0, errmsg: 'ok', pad: 'x'.repeat(SESSION_WEBHOOK_MAX_RESPONSE_BYTES) });
    oddAnswer = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(big);
    };
    assert.deepEqual(await postSessionWebhook(oddUrl, text('a')), { ok: false, reason: 'answer without errcode' });
    const small = JSON.stringify({ errcode: 0, errmsg: 'ok' });
    oddAnswer = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(small);
    };
    assert.deepEqual(await postSessionWebhook(oddUrl, text('a')), { ok: true });
  });

  it('a redirect is not followed; a refused connection is a network failure', async () => {
    oddAnswer = (res) => {
      res.writeHead(302, { location: fake.sessionWebhookUrl('elsewhere') });
      res.end();
    };
    fake.reset();
    assert.deepEqual(await postSessionWebhook(oddUrl, text('a')), { ok: false, reason: 'HTTP 302' });
    assert.equal(fake.webhookMessages.length, 0);
    assert.deepEqual(await postSessionWebhook('http://127.0.0.1:9/robot/sendBySession?session=x', text('a')), {
      ok: false,
      reason: 'network: ECONNREFUSED',
    });
  });
});

describe('replies with links (an answer\'s sources)', () => {
  const sources = [
    { title: '《劳动合同法》[statute]', url: 'https://github.com/LawRefBook/Laws/blob/master/社会法/劳动合同法(2012-12-28).md' },
    { title: 'WeCom docs', url: 'https://developer.work.weixin.qq.com/document/path/91774' },
  ];
  const answer = (): Reply => ({ ...withLinks('可以，但有条件。\n\n- 第一点 *重要*\n- 第二点\n第二行 #1', '来源：', sources), visibility: 'chat', mentionAsker: true });

  it('markdown form: literal text with line breaks kept, the sources as a list of links, a short title', () => {
    const md = dingtalkMarkdown(answer().links!);
    assert.equal(md.title, '可以，但有条件。');
    assert.equal(
      md.text,
      '可以，但有条件。\n\n- 第一点 ＊重要＊  \n- 第二点  \n第二行 ＃1\n\n来源：\n\n' +
        '- [《劳动合同法》［statute］](https://github.com/LawRefBook/Laws/blob/master/%E7%A4%BE%E4%BC%9A%E6%B3%95/%E5%8A%B3%E5%8A%A8%E5%90%88%E5%90%8C%E6%B3%95%282012-12-28%29.md)\n' +
        '- [WeCom docs](https://developer.work.weixin.qq.com/document/path/91774)',
    );
  });

  it('1:1: one markdown message through the sessionWebhook; replies without links stay text', async () => {
    const h = await startHarness({ replies: () => [answer(), { text: '你的状态：已存档', visibility: 'chat' }] });
    try {
      await h.send(h.fake.robotMessage({ text: { content: '问题' } }));
      await h.idle();
      assert.deepEqual(h.fake.webhookMessages.map((m) => m.msgtype), ['markdown', 'text']);
      const body = h.fake.webhookMessages[0]!.body as { markdown: { title: string; text: string } };
      assert.equal(body.markdown.title, '可以，但有条件。');
      assert.match(body.markdown.text, /\n- \[WeCom docs\]\(https:\/\/developer\.work\.weixin\.qq\.com\/document\/path\/91774\)$/);
      assert.equal(h.fake.webhookMessages[1]!.content, '你的状态：已存档');
    } finally {
      await h.close();
    }
  });

  it('group: text with "title: url" lines and the @-mention (markdown mentions are not documented)', async () => {
    const h = await startHarness({ replies: () => [answer()] });
    try {
      await h.send(h.fake.robotMessage({ conversationType: '2', conversationId: 'cidG', isInAtList: true, text: { content: '问题' } }));
      await h.idle();
      assert.equal(h.fake.webhookMessages.length, 1);
      assert.equal(h.fake.webhookMessages[0]!.msgtype, 'text');
      assert.equal(h.fake.webhookMessages[0]!.content, answer().text);
      assert.match(answer().text, /\n- WeCom docs: https:\/\/developer\.work\.weixin\.qq\.com\/document\/path\/91774$/);
      assert.equal(h.fake.webhookMessages[0]!.atUserIds.length, 1);
    } finally {
      await h.close();
    }
  });

  it('a reply too long for one markdown part goes as text parts', async () => {
    const long = (): Reply => ({ ...withLinks('长'.repeat(2500), '来源：', sources), visibility: 'chat' });
    const h = await startHarness({ replies: () => [long()] });
    try {
      await h.send(h.fake.robotMessage({ text: { content: '问题' } }));
      await h.idle();
      assert.ok(h.fake.webhookMessages.length >= 2);
      assert.ok(h.fake.webhookMessages.every((m) => m.msgtype === 'text'));
    } finally {
      await h.close();
    }
  });
});
