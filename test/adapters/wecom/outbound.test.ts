import { test, before, after, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { createWecomClient, splitForWecom, tokenCacheKey, tokenCacheTtlMs, wecomTextMessages, type WecomClient } from '../../../adapters/wecom/outbound.ts';
import { withLinks } from '../../../src/reply-links.ts';
import { WECOM_TEXT_MAX_BYTES } from '../../../adapters/wecom/limits.ts';
import { createLogger } from '../../../src/log.ts';

/** Waits until the fake has recorded what `done` expects (requests it held land late); 30 s is a failure guard only. */
async function landed(done: () => boolean): Promise<void> {
  const guard = Date.now() + 30_000;
  while (!done()) {
    assert.ok(Date.now() < guard, 'the held requests never landed at the fake');
    await new Promise((r) => setTimeout(r, 10));
  }
}
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import { FAKE_WECOM_CALLER_IP, startFakeWecom, type FakeWecom } from '../../fakes/wecom-api.ts';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

test('splitForWecom: 1500 Chinese characters -> parts ≤ 2048 bytes whose concatenation is the original', () => {
  const text = '存'.repeat(1500);
  const parts = splitForWecom(text);
  assert.equal(parts.length, 3);
  for (const p of parts) assert.ok(bytes(p) <= WECOM_TEXT_MAX_BYTES);
  assert.equal(parts.join(''), text);
  assert.equal(bytes(parts[0]!), 2046); // 682 × 3 bytes: the next character would cross 2048
});

test('splitForWecom: 700 × "存" (2100 bytes, protocols.md §8.9) is split, not sent whole', () => {
  const parts = splitForWecom('存'.repeat(700));
  assert.equal(parts.length, 2);
  assert.ok(parts.every((p) => bytes(p) <= 2048));
});

test('splitForWecom prefers line breaks, then sentence ends, within the last half of a part', () => {
  const line = `${'a'.repeat(99)}\n`; // 100 bytes per line
  const text = line.repeat(50); // 5000 bytes
  const parts = splitForWecom(text);
  assert.equal(parts.join(''), text);
  for (const p of parts.slice(0, -1)) {
    assert.ok(p.endsWith('\n'), 'cut after a line break');
    assert.equal(bytes(p), 2000);
  }
  const sentences = '这是一个句子。'.repeat(200); // 21 bytes each, no newline
  const sParts = splitForWecom(sentences);
  assert.equal(sParts.join(''), sentences);
  for (const p of sParts.slice(0, -1)) assert.ok(p.endsWith('。'));
  // a line break very early is not worth a tiny part: fill instead
  const early = `x\n${'b'.repeat(3000)}`;
  const eParts = splitForWecom(early);
  assert.equal(bytes(eParts[0]!), 2048);
});

test('splitForWecom never cuts inside a code point (emoji, surrogate pairs) and small texts stay whole', () => {
  assert.deepEqual(splitForWecom(''), []);
  assert.deepEqual(splitForWecom('hello'), ['hello']);
  const emoji = '😀'.repeat(600); // 4 bytes each
  const parts = splitForWecom(emoji);
  assert.equal(parts.join(''), emoji);
  for (const p of parts) {
    assert.ok(bytes(p) <= 2048);
    assert.ok(!/^[\uDC00-\uDFFF]/.test(p) && !/[\uD800-\uDBFF]$/.test(p), 'no split surrogate pair');
  }
});

test('splitForWecom property: join is identity, every part within the limit and non-empty, cut on code points', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.integer({ min: 4, max: 64 }), (text, max) => {
      const parts = splitForWecom(text, max);
      assert.equal(parts.join(''), text);
      for (const [i, p] of parts.entries()) {
        assert.ok(p.length > 0);
        assert.ok(bytes(p) <= max);
        if (i > 0) assert.ok(!(/[\uD800-\uDBFF]$/.test(parts[i - 1]!) && /^[\uDC00-\uDFFF]/.test(p)), 'cut inside a surrogate pair');
      }
    }),
    { numRuns: 300 },
  );
});

test('tokenCacheTtlMs: expires_in minus a 300 s margin, at least 90 %; nothing for bad values', () => {
  assert.equal(tokenCacheTtlMs(7200), 6_900_000);
  assert.equal(tokenCacheTtlMs(1), 900);
  assert.equal(tokenCacheTtlMs(0), 0);
  assert.equal(tokenCacheTtlMs(Number.NaN), 0);
});

let fake: FakeWecom;
let store: Store;
let dir: string;
let client: WecomClient;
const log = createLogger('silent');
const CORP = 'wwclienttest';
const AGENT = 1000005;

function newClient(extra: { timeoutMs?: number } = {}): WecomClient {
  return createWecomClient({ corpId: CORP, agentId: AGENT, secret: 'sec', apiBase: fake.url, kv: store, log, backoffMs: 5, ...extra });
}

const sends = () => fake.requests.filter((r) => r.path === '/cgi-bin/message/send');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wecom-outbound-'));
  store = openSqliteStore(join(dir, 'kv.db'));
  fake = await startFakeWecom({ corpId: CORP, secret: 'sec', agentId: AGENT });
});
after(async () => {
  await fake.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  fake.reset();
  await store.delete(tokenCacheKey(CORP, AGENT));
  client = newClient();
});

test('the token is fetched once, cached in the shared store, and reused by another client instance', async () => {
  const tokens = await Promise.all([client.getAccessToken(), client.getAccessToken(), client.getAccessToken()]);
  assert.equal(fake.tokenRequests, 1, 'single flight');
  assert.equal(new Set(tokens).size, 1);
  assert.equal(await store.get(tokenCacheKey(CORP, AGENT)), tokens[0]);
  await client.sendText('zhangsan', 'one');
  await newClient().sendText('zhangsan', 'two');
  assert.equal(fake.tokenRequests, 1);
  assert.deepEqual(fake.sent.map((m) => m.text?.content), ['one', 'two']);
  assert.deepEqual(fake.sent[0], {
    touser: 'zhangsan', msgtype: 'text', agentid: AGENT, text: { content: 'one' }, safe: 0, enable_duplicate_check: 1, duplicate_check_interval: 30,
  });
});

test('a long answer is sent as ordered parts, each accepted by the fake (≤ 2048 bytes)', async () => {
  const text = Array.from({ length: 1500 }, (_, i) => '隐私存档答案'[i % 6]).join('');
  assert.equal(await client.sendText('zhangsan', text), 3);
  assert.equal(fake.sent.length, 3);
  assert.equal(fake.sent.map((m) => m.text!.content).join(''), text);
  assert.ok(fake.sent.every((m) => bytes(m.text!.content) <= 2048));
});

test('42001 (token expired): exactly one refresh and one retry', async () => {
  await client.sendText('zhangsan', 'warm up');
  fake.reset();
  fake.failNext(42001);
  await client.sendText('zhangsan', 'after expiry');
  assert.equal(fake.tokenRequests, 1, 'one refresh');
  assert.equal(sends().length, 2, 'the failed call and one retry');
  assert.deepEqual(fake.sent.map((m) => m.text?.content), ['after expiry']);
  assert.deepEqual(sends().map((r) => r.answer.errcode), [42001, 0]);
  assert.notEqual(sends()[0]!.query['access_token'], sends()[1]!.query['access_token']);
});

test('a token the server expired early (40014/42001 on a cached token) is replaced once', async () => {
  await client.getAccessToken();
  fake.expireTokens();
  fake.reset();
  await client.sendText('zhangsan', 'hi');
  assert.equal(fake.tokenRequests, 1);
  assert.equal(fake.sent.length, 1);
});

test('a token error right after the refresh is not retried again (no loop)', async () => {
  fake.failNext(40014, 5);
  await assert.rejects(client.sendText('zhangsan', 'hi'), { code: 'WECOM_API_ERROR', errcode: 40014 });
  assert.equal(fake.tokenRequests, 2, 'first fetch + one refresh');
  assert.equal(sends().length, 2);
  assert.equal(fake.sent.length, 0);
});

test('60020 (IP not allowed): no refresh, no retry, an error naming the IP', async () => {
  await client.getAccessToken();
  fake.reset();
  fake.failNext(60020);
  await assert.rejects(client.sendText('zhangsan', 'hi'), (err: Error & { code: string; errcode: number }) => {
    assert.equal(err.code, 'WECOM_IP_NOT_ALLOWED');
    assert.equal(err.errcode, 60020);
    assert.ok(err.message.includes(FAKE_WECOM_CALLER_IP), err.message);
    assert.match(err.message, /企业可信IP/);
    return true;
  });
  assert.equal(fake.tokenRequests, 0);
  assert.equal(sends().length, 1);
  assert.notEqual(await store.get(tokenCacheKey(CORP, AGENT)), null, 'the token was not thrown away');
});

test('-1 (system busy): bounded retries with backoff, then success or a clear failure', async () => {
  fake.failNext(-1, 2);
  await client.sendText('zhangsan', 'busy then ok');
  assert.equal(sends().length, 3);
  assert.equal(fake.sent.length, 1);
  fake.reset();
  fake.failNext(-1, 100);
  await assert.rejects(client.sendText('zhangsan', 'always busy'), { code: 'WECOM_API_ERROR', errcode: -1 });
  assert.equal(sends().length, 4, '1 try + 3 retries');
  fake.reset();
});

test('gettoken with a wrong secret fails with WECOM_TOKEN_FAILED and nothing is cached', async () => {
  const bad = createWecomClient({ corpId: CORP, agentId: AGENT, secret: 'wrong', apiBase: fake.url, kv: store, log, backoffMs: 5 });
  await assert.rejects(bad.sendText('zhangsan', 'hi'), { code: 'WECOM_TOKEN_FAILED', errcode: 40001 });
  assert.equal(await store.get(tokenCacheKey(CORP, AGENT)), null);
  assert.equal(fake.sent.length, 0);
});

test('message/send errors surface with their errcode (e.g. all recipients invalid, 81013)', async () => {
  fake.failNext(81013, 1, { errmsg: 'user & party & tag all invalid' });
  await assert.rejects(client.sendText('ghost', 'hi'), { code: 'WECOM_API_ERROR', errcode: 81013 });
});

test('a send that times out is retried; WeCom\'s duplicate check keeps it to one delivery', async () => {
  const slow = newClient({ timeoutMs: 100 });
  await slow.getAccessToken();
  fake.delayNext(400);
  assert.equal(await slow.sendText('zhangsan', 'hi'), 1);
  // The first, timed-out request is still held by the fake: wait until it has landed too.
  await landed(() => sends().length >= 2);
  assert.equal(sends().length, 2);
  assert.equal(fake.sent.length, 1);
  assert.equal(fake.duplicatesSuppressed, 1);
});

test('a WeCom API that never answers in time gives WECOM_API_UNREACHABLE after 1 + 3 attempts', async () => {
  const slow = newClient({ timeoutMs: 100 });
  await slow.getAccessToken();
  fake.delayNext(300, 10);
  await assert.rejects(slow.sendText('zhangsan', 'hi'), { code: 'WECOM_API_UNREACHABLE' });
  await landed(() => sends().length >= 4 && fake.sent.length >= 1);
  assert.equal(sends().length, 4);
  assert.equal(fake.sent.length, 1);
});

test('sendText refuses an empty or multi-user recipient', async () => {
  await assert.rejects(client.sendText('', 'hi'), { code: 'WECOM_BAD_ARGUMENT' });
  await assert.rejects(client.sendText('a|b', 'hi'), { code: 'WECOM_BAD_ARGUMENT' });
  assert.equal(fake.requests.length, 0);
});

test('the token cache is best-effort: with the store down, messages still go out', async () => {
  const downDir = mkdtempSync(join(tmpdir(), 'wecom-outbound-down-'));
  const down = openSqliteStore(join(downDir, 'kv.db'));
  await down.close();
  try {
    const c = createWecomClient({ corpId: CORP, agentId: AGENT, secret: 'sec', apiBase: fake.url, kv: down, log, backoffMs: 5 });
    await c.sendText('zhangsan', 'still delivered');
    assert.deepEqual(fake.sent.map((m) => m.text?.content), ['still delivered']);
  } finally {
    rmSync(downDir, { recursive: true, force: true });
  }
});

describe('wecomTextMessages: sources as <a href> links in app text messages', () => {
  const items = [
    { title: 'WeCom <docs>', url: 'https://developer.work.weixin.qq.com/document/path/91774' },
    { title: '《劳动合同法》', url: 'https://github.com/LawRefBook/Laws/blob/master/社会法/劳动合同法(2012-12-28).md' },
  ];
  const lawHref = new URL(items[1]!.url).href;

  it('a reply that fits is one message with the links as tags', () => {
    const parts = wecomTextMessages(withLinks('答案。', '来源：', items));
    assert.deepEqual(parts, [
      `答案。\n\n来源：\n- <a href="https://developer.work.weixin.qq.com/document/path/91774">WeCom ＜docs＞</a>\n- <a href="${lawHref}">《劳动合同法》</a>`,
    ]);
    assert.doesNotMatch(lawHref, /["\s]/);
  });

  it('a long reply: the text split, then the links block as its own message, never a cut tag', () => {
    const long = withLinks('长'.repeat(1000), '来源：', items);
    const parts = wecomTextMessages(long);
    assert.ok(parts.length >= 3);
    assert.ok(parts.every((p) => Buffer.byteLength(p, 'utf8') <= 2048));
    assert.equal(parts.slice(0, -1).join(''), '长'.repeat(1000));
    assert.match(parts.at(-1)!, /^来源：\n- <a href="[^"]+">WeCom ＜docs＞<\/a>\n- <a href="[^"]+">《劳动合同法》<\/a>$/);
  });

  it('without links, or when even the links block does not fit: plain text split as before', () => {
    assert.deepEqual(wecomTextMessages({ text: 'plain' }), ['plain']);
    const many = withLinks('x', 'Sources:', Array.from({ length: 40 }, (_, i) => ({ title: `title ${i}`, url: `https://example.org/${'p'.repeat(40)}/${i}` })));
    const parts = wecomTextMessages(many);
    assert.equal(parts.join(''), many.text);
    assert.doesNotMatch(parts.join(''), /<a /);
  });
});
