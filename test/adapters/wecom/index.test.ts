import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openCallback } from '../../../adapters/wecom/crypto.ts';
import { parseWecomXml } from '../../../adapters/wecom/xml.ts';
import { hashUserId } from '../../../src/log.ts';
import type { BotResult } from '../../../src/platform/message.ts';
import { withLinks } from '../../../src/reply-links.ts';
import { buildWecomCallback, buildWecomVerification, wecomEventXml, wecomMediaXml, wecomTextXml } from '../../fakes/wecom-api.ts';
import { SET_A, SET_B, result, startHarness, type Harness } from './harness.ts';

const V1A_QUERY =
  'msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780&echostr=P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D';
const V1B_QUERY = 'msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813&nonce=1372623149';
const V1B_BODY =
  '<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>';
const V2B_ENCRYPT =
  'Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+';
const V1_NOW = 1409659813_000;

async function withHarness(opts: Parameters<typeof startHarness>[0], fn: (h: Harness) => Promise<void>): Promise<void> {
  const h = await startHarness(opts);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

/** Opens an encrypted passive reply with our own decrypt and returns its fields. */
function openPassive(body: string, keys: typeof SET_A | typeof SET_B = SET_A): Record<string, string> {
  const outer = parseWecomXml(body);
  const plain = openCallback(keys, { msgSignature: outer['MsgSignature']!, timestamp: outer['TimeStamp']!, nonce: outer['Nonce']!, encrypt: outer['Encrypt']! });
  return { ...parseWecomXml(plain), TimeStamp: outer['TimeStamp']! };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const textCallback = (from: string, content: string, msgId: string, keys = SET_A) =>
  buildWecomCallback({ ...keys, xml: wecomTextXml({ corpId: keys.corpId, from, content, msgId, agentId: keys.agentId }) });

test('V1a through the route: the bare echo string, text/plain, no newline', async () => {
  await withHarness({ now: () => V1_NOW }, async (h) => {
    const res = await h.get(V1A_QUERY);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(await res.text(), '1616140317555161061');
    // a client that sent echostr's '+' unencoded (decoded to spaces by the query parser) still works
    const raw = await h.get(V1A_QUERY.replaceAll('%2B', '+'));
    assert.equal(raw.status, 200);
    assert.equal(await raw.text(), '1616140317555161061');
  });
});

test('V2a through the route (set B)', async () => {
  // The vector's own time: a signed timestamp more than an hour from our clock is refused as stale.
  await withHarness({ keys: SET_B, now: () => 1476416373_000 }, async (h) => {
    const q = new URLSearchParams({
      msg_signature: '012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb',
      timestamp: '1476416373',
      nonce: '47744683',
      echostr: 'fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==',
    });
    const res = await h.get(q.toString());
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '1288432023552776189');
  });
});

test('GET with a bad signature or missing echostr -> 4xx, never the echo', async () => {
  await withHarness({}, async (h) => {
    const bad = await h.get(V1A_QUERY.replace('5c45ff5e', '00000000'));
    assert.equal(bad.status, 401);
    assert.match(await bad.text(), /^WECOM_BAD_SIGNATURE/);
    const missing = await h.get(V1A_QUERY.replace(/&echostr=.*/, ''));
    assert.equal(missing.status, 400);
    assert.match(await missing.text(), /echostr/);
    const built = buildWecomVerification({ ...SET_A, echo: 'x', corpId: 'ww-other' });
    const other = await h.get(built.query);
    assert.equal(other.status, 401);
    assert.match(await other.text(), /^WECOM_RECEIVEID_MISMATCH/);
  });
});

test('V1b through the route: the handler gets text "hello" from mycreate with the MsgId as a string; passive reply', async () => {
  await withHarness({ now: () => V1_NOW }, async (h) => {
    const res = await h.post(V1B_QUERY, V1B_BODY);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /xml/);
    const body = await res.text();
    assert.equal(h.calls.length, 1);
    assert.deepEqual(h.calls[0], {
      platform: 'wecom',
      tenant: 'wx5823bf96d3bd56c7',
      userId: 'mycreate',
      chat: { kind: 'single' },
      kind: 'text',
      text: 'hello',
      mentionedBot: false,
      messageId: '4561255354251345929',
      receivedAt: V1_NOW,
    });
    const reply = openPassive(body);
    assert.deepEqual(reply, {
      ToUserName: 'mycreate',
      FromUserName: 'wx5823bf96d3bd56c7',
      CreateTime: '1409659813',
      MsgType: 'text',
      Content: 'hello back',
      TimeStamp: '1409659813',
    });
    await h.idle();
    assert.equal(h.fake.requests.length, 0, 'nothing sent through the API');
  });
});

test('V2b through the route (set B, plain-text inner XML with Chinese)', async () => {
  await withHarness({ keys: SET_B, answer: result('你好！'), now: () => 1476422779_000 }, async (h) => {
    const body = `<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName><Encrypt><![CDATA[${V2B_ENCRYPT}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>`;
    const res = await h.post('msg_signature=0c3914025cb4b4d68103f6bfc8db550f79dcf48e&timestamp=1476422779&nonce=1597212914', body);
    assert.equal(res.status, 200);
    assert.equal(h.calls[0]?.text, '你好');
    assert.equal(h.calls[0]?.userId, 'ChenJiaShun');
    assert.equal(h.calls[0]?.messageId, '1456453720');
    assert.equal(openPassive(await res.text(), SET_B)['Content'], '你好！');
  });
});

test('bad signature -> 401, handler not called, nothing sent', async () => {
  await withHarness({}, async (h) => {
    for (const query of [V1B_QUERY.replace('477715d1', '477715d2'), V1B_QUERY.replace('1372623149', '1372623148')]) {
      const res = await h.post(query, V1B_BODY);
      assert.equal(res.status, 401);
      assert.equal(await res.text(), 'WECOM_BAD_SIGNATURE: msg_signature does not match');
    }
    await h.idle();
    assert.equal(h.calls.length, 0);
    assert.equal(h.fake.requests.length, 0);
    assert.equal(h.fake.sent.length, 0);
  });
});

test('wrong EncodingAESKey (signed with our token) -> 401 receiveid mismatch, not garbage', async () => {
  await withHarness({}, async (h) => {
    const cb = buildWecomCallback({ ...SET_A, encodingAESKey: SET_B.encodingAESKey, xml: wecomTextXml({ corpId: SET_A.corpId, from: 'u', content: 'x', msgId: '1' }) });
    const res = await h.post(cb.query, cb.body);
    assert.equal(res.status, 401);
    assert.match(await res.text(), /^WECOM_RECEIVEID_MISMATCH/);
    assert.equal(h.calls.length, 0);
  });
});

test('bad input -> 400 with a short reason, never 500, nothing handled', async () => {
  await withHarness({}, async (h) => {
    const signed = (encrypt: string) => buildWecomCallback({ ...SET_A, xml: '', encrypt });
    const innerOf = (xml: string) => buildWecomCallback({ ...SET_A, xml });
    const good = textCallback('u', 'hi', '77');
    const cases: { name: string; query: string; body: string; code: string }[] = [
      { name: 'missing msg_signature', query: good.query.replace(/msg_signature=[^&]*&?/, ''), body: good.body, code: 'WECOM_BAD_REQUEST' },
      { name: 'missing nonce', query: good.query.replace(/&nonce=[^&]*/, ''), body: good.body, code: 'WECOM_BAD_REQUEST' },
      { name: 'malformed outer XML', query: good.query, body: '<xml><Encrypt>abc</xml>', code: 'WECOM_XML_INVALID' },
      { name: 'JSON instead of XML', query: good.query, body: '{"encrypt":"abc"}', code: 'WECOM_XML_INVALID' },
      { name: 'empty body', query: good.query, body: '', code: 'WECOM_XML_INVALID' },
      { name: 'no Encrypt element', query: good.query, body: '<xml><ToUserName>x</ToUserName></xml>', code: 'WECOM_BAD_REQUEST' },
      {
        name: 'DOCTYPE + ENTITY',
        query: good.query,
        body: `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY big "${'A'.repeat(100)}">]><xml><Encrypt>&big;</Encrypt></xml>`,
        code: 'WECOM_XML_REJECTED',
      },
      { name: 'non-base64 ciphertext (signed)', ...pick(signed('%%%not-base64%%%')), code: 'WECOM_DECRYPT_FAILED' },
      { name: 'truncated ciphertext (signed)', ...pick(signed(good.encrypt.slice(0, -8))), code: 'WECOM_DECRYPT_FAILED' },
      { name: 'inner XML malformed', ...pick(innerOf('<xml><MsgType>text</xml>')), code: 'WECOM_XML_INVALID' },
      { name: 'inner XML with DOCTYPE', ...pick(innerOf('<!DOCTYPE xml><xml><MsgType>text</MsgType></xml>')), code: 'WECOM_XML_REJECTED' },
      { name: 'inner XML without MsgId', ...pick(innerOf('<xml><FromUserName>u</FromUserName><MsgType>text</MsgType></xml>')), code: 'WECOM_BAD_REQUEST' },
    ];
    for (const c of cases) {
      const res = await h.post(c.query, c.body);
      assert.equal(res.status, 400, c.name);
      const text = await res.text();
      assert.ok(text.startsWith(`${c.code}: `), `${c.name}: ${text}`);
      assert.ok(text.length < 120, c.name);
    }
    await h.idle();
    assert.equal(h.calls.length, 0);
    assert.equal(h.fake.requests.length, 0);
  });
});

function pick(cb: { query: string; body: string }): { query: string; body: string } {
  return { query: cb.query, body: cb.body };
}

test('a body over 1 MB -> 413', async () => {
  await withHarness({}, async (h) => {
    const good = textCallback('u', 'hi', '78');
    const res = await h.post(good.query, `<xml><Encrypt>${'A'.repeat(1024 * 1024)}</Encrypt></xml>`);
    assert.equal(res.status, 413);
    assert.match(await res.text(), /^BODY_TOO_LARGE/);
    assert.equal(h.calls.length, 0);
  });
});

test('the same MsgId three times (V1b) -> one handler call, one answer, then empty 200s', async () => {
  await withHarness({ now: () => V1_NOW }, async (h) => {
    const bodies: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await h.post(V1B_QUERY, V1B_BODY);
      assert.equal(res.status, 200);
      bodies.push(await res.text());
    }
    await h.idle();
    assert.equal(h.calls.length, 1);
    assert.equal(openPassive(bodies[0]!)['Content'], 'hello back');
    assert.deepEqual(bodies.slice(1), ['', '']);
    assert.equal(h.fake.sent.length, 0);
  });
});

test('retries arriving while a slow answer is still being computed -> one handler call, one message/send', async () => {
  await withHarness(
    { handler: async () => (await sleep(300), result('slow answer')), adapterOptions: { passiveReplyBudgetMs: 100, client: { backoffMs: 5 } } },
    async (h) => {
      const cb = textCallback('wangwu', 'question', '9001');
      const answers = await Promise.all([h.post(cb.query, cb.body), h.post(cb.query, cb.body), h.post(cb.query, cb.body)]);
      for (const res of answers) {
        assert.equal(res.status, 200);
        assert.equal(await res.text(), '');
      }
      await h.idle();
      assert.equal(h.calls.length, 1);
      assert.deepEqual(h.fake.sent.map((m) => [m.touser, m.text?.content]), [['wangwu', 'slow answer']]);
    },
  );
});

test('the HTTP answer comes back after the passive budget while the core is still running (default budget)', async () => {
  // The core is held until the test releases it, so "answered before the core finished" is an
  // event, whatever the machine's load.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let finished = false;
  await withHarness({ handler: async () => (await held, (finished = true), result('late but delivered')), adapterOptions: {} }, async (h) => {
    const cb = textCallback('zhaoliu', 'q', '9002');
    const started = performance.now();
    const res = await h.post(cb.query, cb.body);
    const elapsed = performance.now() - started;
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '');
    assert.equal(finished, false, 'answered while the core was still running');
    assert.ok(elapsed >= 600, 'waited for the core about the passive budget');
    assert.equal(h.fake.sent.length, 0);
    release();
    await h.idle();
    assert.deepEqual(h.fake.sent.map((m) => m.text?.content), ['late but delivered']);
  });
});

test('enter_agent twice (same FromUserName + CreateTime) -> one welcome', async () => {
  await withHarness({ answer: result('welcome') }, async (h) => {
    const xml = wecomEventXml({ corpId: SET_A.corpId, from: 'zhangsan', event: 'enter_agent', createTime: 1700000000 });
    const first = await h.post(...args(buildWecomCallback({ ...SET_A, xml })));
    const second = await h.post(...args(buildWecomCallback({ ...SET_A, xml })));
    assert.equal(h.calls.length, 1);
    assert.equal(h.calls[0]?.kind, 'enter');
    assert.equal(openPassive(await first.text())['Content'], 'welcome');
    assert.equal(await second.text(), '');
  });
});

function args(cb: { query: string; body: string }): [string, string] {
  return [cb.query, cb.body];
}

test('other events (subscribe, LOCATION, …) -> empty 200, nothing handled', async () => {
  await withHarness({}, async (h) => {
    for (const event of ['subscribe', 'unsubscribe', 'LOCATION', 'click']) {
      const res = await h.post(...args(buildWecomCallback({ ...SET_A, xml: wecomEventXml({ corpId: SET_A.corpId, from: 'a', event }) })));
      assert.equal(res.status, 200);
      assert.equal(await res.text(), '');
    }
    assert.equal(h.calls.length, 0);
  });
});

test('an image message reaches the core as non-text', async () => {
  await withHarness({ answer: result('text only, please') }, async (h) => {
    const res = await h.post(...args(buildWecomCallback({ ...SET_A, xml: wecomMediaXml({ corpId: SET_A.corpId, from: 'a', msgType: 'image', msgId: '5' }) })));
    assert.equal(h.calls[0]?.kind, 'non-text');
    assert.equal(openPassive(await res.text())['Content'], 'text only, please');
  });
});

test('a long answer (1500 Chinese characters) -> empty 200, then ordered message/send parts ≤ 2048 bytes', async () => {
  const long = Array.from({ length: 1500 }, (_, i) => '企业微信会话存档说明'[i % 10]).join('');
  await withHarness({ answer: result(long) }, async (h) => {
    const cb = textCallback('lisi', '会话存档是什么', '9003');
    const res = await h.post(cb.query, cb.body);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '');
    await h.idle();
    assert.deepEqual(h.backgroundErrors, []);
    assert.equal(h.fake.sent.length, 3);
    for (const m of h.fake.sent) {
      assert.equal(m.touser, 'lisi');
      assert.equal(m.agentid, SET_A.agentId);
      assert.ok(Buffer.byteLength(m.text!.content, 'utf8') <= 2048);
    }
    assert.equal(h.fake.sent.map((m) => m.text!.content).join(''), long);
    assert.equal(h.fake.tokenRequests, 1);
  });
});

test("two replies ('chat' and 'private') -> both sent 1:1 to the sender, in order", async () => {
  const two: BotResult = { ...result(), replies: [{ text: 'FAQ answer', visibility: 'chat' }, { text: 'your status', visibility: 'private' }] };
  await withHarness({ answer: two }, async (h) => {
    const cb = buildWecomCallback({ ...SET_A, xml: wecomTextXml({ corpId: SET_A.corpId, from: 'wwup/lisi', content: 'q', msgId: '9004' }) });
    const res = await h.post(cb.query, cb.body);
    assert.equal(await res.text(), '');
    await h.idle();
    assert.deepEqual(h.fake.sent.map((m) => [m.touser, m.text?.content]), [['lisi', 'FAQ answer'], ['lisi', 'your status']]);
  });
});

test('no replies -> empty 200 and nothing sent', async () => {
  await withHarness({ answer: result() }, async (h) => {
    const cb = textCallback('a', 'q', '9005');
    assert.equal(await (await h.post(cb.query, cb.body)).text(), '');
    await h.idle();
    assert.equal(h.fake.requests.length, 0);
  });
});

test('a template card click -> ack-action, answered through message/send (no passive text)', async () => {
  await withHarness({ answer: result('thanks, acknowledged') }, async (h) => {
    const xml = wecomEventXml({ corpId: SET_A.corpId, from: 'zhangsan', event: 'template_card_event', eventKey: 'ack:n1' });
    const res = await h.post(...args(buildWecomCallback({ ...SET_A, xml })));
    assert.equal(await res.text(), '');
    await h.idle();
    assert.equal(h.calls[0]?.kind, 'ack-action');
    assert.equal(h.calls[0]?.text, 'ack:n1');
    assert.deepEqual(h.fake.sent.map((m) => m.text?.content), ['thanks, acknowledged']);
  });
});

test('a core failure -> 500 and the claim is released, so WeCom\'s retry is handled', async () => {
  let n = 0;
  await withHarness(
    {
      handler: async () => {
        n++;
        if (n === 1) throw new Error('bug');
        return result('second time lucky');
      },
    },
    async (h) => {
      const cb = textCallback('a', 'q', '9006');
      const first = await h.post(cb.query, cb.body);
      assert.equal(first.status, 500);
      const retry = await h.post(cb.query, cb.body);
      assert.equal(retry.status, 200);
      assert.equal(openPassive(await retry.text())['Content'], 'second time lucky');
      assert.equal(h.calls.length, 2);
    },
  );
});

test('a failing delivery (60020) is reported by the background task; the callback still answered 200', async () => {
  await withHarness({ answer: result('x'.repeat(3000)) }, async (h) => {
    h.fake.failNext(60020);
    const cb = textCallback('a', 'q', '9007');
    assert.equal((await h.post(cb.query, cb.body)).status, 200);
    await h.idle();
    assert.equal(h.backgroundErrors.length, 1);
    assert.equal((h.backgroundErrors[0] as { code: string }).code, 'WECOM_IP_NOT_ALLOWED');
    assert.equal(h.fake.tokenRequests, 1);
    assert.equal(h.fake.sent.length, 0);
  });
});

test('store unavailable: the dedup claim is held in this process, the message answered once, a retry dropped', async () => {
  await withHarness({}, async (h) => {
    await h.store.close();
    const cb = textCallback('a', 'q', '9008');
    const res = await h.post(cb.query, cb.body);
    assert.equal(res.status, 200);
    assert.equal(h.calls.length, 1);
    const retry = await h.post(cb.query, cb.body);
    assert.equal(retry.status, 200);
    assert.equal(await retry.text(), '');
    assert.equal(h.calls.length, 1);
  });
});

test('logs carry hashed user ids only, never the question, the answer or the raw user id', async () => {
  const secretQuestion = '我的老板能看我的私聊吗 secret-question';
  const secretAnswer = 'secret-answer-text';
  await withHarness({ answer: result(secretAnswer) }, async (h) => {
    const cb = textCallback('user-visible-id', secretQuestion, '9009');
    await h.post(cb.query, cb.body);
    await h.post(cb.query, cb.body);
    await h.idle();
    const all = h.logs.join('\n');
    assert.ok(h.logs.length >= 2);
    assert.ok(!all.includes('secret-question'));
    assert.ok(!all.includes(secretAnswer));
    assert.ok(!all.includes('user-visible-id'));
    assert.ok(all.includes(hashUserId('wecom', 'user-visible-id')));
  });
});

test('the fake rejects what WeCom would reject (content over 2048 bytes, wrong agentid)', async () => {
  await withHarness({}, async (h) => {
    const token = await h.adapter.client.getAccessToken();
    const send = (body: unknown) =>
      fetch(`${h.fake.url}/cgi-bin/message/send?access_token=${token}`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json() as Promise<{ errcode: number }>);
    assert.equal((await send({ touser: 'a', msgtype: 'text', agentid: SET_A.agentId, text: { content: '存'.repeat(683) } })).errcode, 40058);
    assert.equal((await send({ touser: 'a', msgtype: 'text', agentid: 1, text: { content: 'x' } })).errcode, 40056);
    assert.equal((await send({ touser: 'a', msgtype: 'text', agentid: SET_A.agentId, text: { content: 'x' } })).errcode, 0);
    const stale = await fetch(`${h.fake.url}/cgi-bin/message/send?access_token=nope`, { method: 'POST', body: '{}' }).then((r) => r.json() as Promise<{ errcode: number }>);
    assert.equal(stale.errcode, 40014);
    assert.equal(h.fake.sent.length, 1);
  });
});

test('message/send path: an answer\'s sources go as <a href> links; the passive reply keeps "title: url" lines', async () => {
  const links = [{ title: 'WeCom docs', url: 'https://developer.work.weixin.qq.com/document/path/91774' }];
  const two: BotResult = {
    ...result(),
    replies: [{ ...withLinks('FAQ answer', 'Sources:', links), visibility: 'chat' }, { text: 'your status', visibility: 'private' }],
  };
  await withHarness({ answer: two }, async (h) => {
    const cb = buildWecomCallback({ ...SET_A, xml: wecomTextXml({ corpId: SET_A.corpId, from: 'wwup/lisi', content: 'q', msgId: '9104' }) });
    assert.equal(await (await h.post(cb.query, cb.body)).text(), '');
    await h.idle();
    assert.deepEqual(h.fake.sent.map((m) => m.text?.content), [
      'FAQ answer\n\nSources:\n- <a href="https://developer.work.weixin.qq.com/document/path/91774">WeCom docs</a>',
      'your status',
    ]);
  });
  const one: BotResult = { ...result(), replies: [{ ...withLinks('FAQ answer', 'Sources:', links), visibility: 'chat' }] };
  await withHarness({ answer: one }, async (h) => {
    const cb = textCallback('a', 'q', '9105');
    const passive = openPassive(await (await h.post(cb.query, cb.body)).text());
    assert.equal(passive['Content'], 'FAQ answer\n\nSources:\n- WeCom docs: https://developer.work.weixin.qq.com/document/path/91774');
    assert.equal(h.fake.sent.length, 0, 'answered passively');
  });
});
