/**
 * Resilience: hostile input on every route of one bot (WeCom app, WeCom AI bot, DingTalk, /try,
 * /admin). Each case must get a 4xx with a short "<CODE>: <reason>" (or the admin API's JSON error),
 * never a 5xx; nothing may reach a platform; the server must keep answering; and the heap must not
 * grow with the garbage sent.
 *
 * Signed platform callbacks that carry an unusual but genuine message (a 20,000-character question,
 * control characters) are the employee's own words, verified by the platform's signature: they are
 * answered normally (refusing would make the platform retry and leave the employee without an
 * answer). The same inputs on /try/ask, which anyone can call, are refused with 400.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { getSignature } from '@wecom/crypto';
import { buildWecomCallback, startFakeWecom, wecomTextXml, type FakeWecom } from '../fakes/wecom-api.ts';
import { aibotText, buildAibotCallback, buildAibotVerification } from '../fakes/wecom-aibot-ws.ts';
import { buildWecomVerification } from '../fakes/wecom-api.ts';
import { sendRobotCallback, signDingtalkRequest, startFakeDingtalk, type FakeDingtalk } from '../fakes/dingtalk-api.ts';
import { AIBOT, DING, WECOM, WECOM_KEYS, dingEnv, nextMsgId, passiveReply, startBot, wecomEnv, type Bot } from './harness.ts';

const ADMIN_TOKEN = 'resilience-admin-token-0123456789';
const OTHER_AES_KEY = 'kWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
const TWO_HOURS_S = 2 * 3600;
/** `depth` levels of JSON array nesting (2 × depth bytes). */
const deepJson = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const INVALID_UTF8 = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]);
/** `json` (an otherwise valid request) with three bytes that are not UTF-8 put in place of the marker '\u0001BAD'. */
function withInvalidUtf8(json: string): Uint8Array<ArrayBuffer> {
  const [head, tail] = json.split('\\u0001BAD');
  assert.ok(tail !== undefined, 'marker missing');
  return new Uint8Array(Buffer.concat([Buffer.from(head!), Buffer.from([0xff, 0xc3, 0x28]), Buffer.from(tail)]));
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('hostile input on every route', () => {
  let fake: FakeWecom;
  let ding: FakeDingtalk;
  let bot: Bot;
  /** Every status answered to a hostile request, by case name. */
  const outcomes: { name: string; status: number; body: string }[] = [];

  before(async () => {
    fake = await startFakeWecom({ corpId: WECOM.corpId, secret: WECOM.secret, agentId: Number(WECOM.agentId) });
    ding = await startFakeDingtalk({ appKey: DING.appKey, appSecret: DING.appSecret, robotCode: DING.robotCode });
    bot = await startBot({
      env: {
        ...wecomEnv(fake.url),
        ...dingEnv(ding.apiBase),
        WECOM_AIBOT_TOKEN: AIBOT.token,
        WECOM_AIBOT_ENCODING_AES_KEY: AIBOT.encodingAESKey,
        ADMIN_TOKEN,
        TRY_PAGE: 'on',
      },
    });
  });
  after(async () => {
    await bot.close();
    await fake.close();
    await ding.close();
  });

  /** Sends one hostile request; asserts a 4xx (one of `expected` when given) with a short reason. */
  async function refused(name: string, send: () => Promise<Response>, expected?: number | number[]): Promise<Response> {
    const res = await send();
    const body = await res.text();
    outcomes.push({ name, status: res.status, body });
    assert.ok(res.status >= 400 && res.status < 500, `${name}: HTTP ${res.status} ${body.slice(0, 200)}`);
    if (expected !== undefined) {
      const list = Array.isArray(expected) ? expected : [expected];
      assert.ok(list.includes(res.status), `${name}: HTTP ${res.status}, expected ${list.join('/')}: ${body.slice(0, 200)}`);
    }
    assert.ok(body.length > 0 && body.length <= 300, `${name}: reason of ${body.length} characters`);
    // A refused body may be left unread: the connection must not be reused, or the client's next
    // request on it hangs until the keep-alive timeout and fails with ECONNRESET.
    if (res.status === 413) assert.equal(res.headers.get('connection'), 'close', `${name}: 413 without Connection: close`);
    return res;
  }

  function nothingSent(): void {
    assert.equal(fake.sent.length, 0, 'WeCom message/send was called');
    assert.equal(ding.webhookMessages.length + ding.otoMessages.length + ding.groupMessages.length, 0, 'DingTalk got a message');
  }

  const wecomPost = (query: string, body: BodyInit, headers: Record<string, string> = {}) => () =>
    fetch(`${bot.url}/wecom/callback?${query}`, { method: 'POST', headers: { 'content-type': 'text/xml', ...headers }, body });
  const innerXml = (content = '管理员能导出我的聊天记录吗') => wecomTextXml({ corpId: WECOM.corpId, from: 'hostile-user', content, msgId: nextMsgId() });
  const outer = (encrypt: string) => `<xml><ToUserName><![CDATA[${WECOM.corpId}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt><AgentID>1000002</AgentID></xml>`;
  /** A query signed over `encrypt` with our token (so only the ciphertext is wrong). */
  function signedQuery(encrypt: string, timestamp = String(Math.floor(Date.now() / 1000)), token: string = WECOM.token): string {
    const nonce = '1234567890';
    return new URLSearchParams({ msg_signature: getSignature(token, timestamp, nonce, encrypt), timestamp, nonce }).toString();
  }

  it('WeCom POST /wecom/callback', async () => {
    const good = buildWecomCallback({ ...WECOM_KEYS, xml: innerXml() });
    await refused('wecom: no query', wecomPost('', good.body), 400);
    await refused('wecom: missing msg_signature', wecomPost(good.query.replace(/msg_signature=[^&]+&?/, ''), good.body), 400);
    await refused('wecom: bad signature', wecomPost(good.query.replace(/msg_signature=[0-9a-f]+/, `msg_signature=${'a'.repeat(40)}`), good.body), 401);
    const stale = buildWecomCallback({ ...WECOM_KEYS, xml: innerXml(), timestamp: String(Math.floor(Date.now() / 1000) - TWO_HOURS_S) });
    await refused('wecom: stale timestamp (2 h old, validly signed)', wecomPost(stale.query, stale.body), 401);
    const future = buildWecomCallback({ ...WECOM_KEYS, xml: innerXml(), timestamp: String(Math.floor(Date.now() / 1000) + TWO_HOURS_S) });
    await refused('wecom: timestamp 2 h in the future', wecomPost(future.query, future.body), 401);
    await refused('wecom: non-numeric timestamp', wecomPost(signedQuery(good.encrypt, 'yesterday'), good.body), [400, 401]);
    const truncated = good.encrypt.slice(0, good.encrypt.length - 24);
    await refused('wecom: truncated ciphertext', wecomPost(signedQuery(truncated), outer(truncated)), 400);
    const notBase64 = `${good.encrypt.slice(0, 40)}!!!*${good.encrypt.slice(44)}`;
    await refused('wecom: non-base64 ciphertext', wecomPost(signedQuery(notBase64), outer(notBase64)), 400);
    await refused('wecom: empty Encrypt', wecomPost(signedQuery(''), outer('')), 400);
    const otherKey = buildWecomCallback({ ...WECOM_KEYS, encodingAESKey: OTHER_AES_KEY, xml: innerXml() });
    await refused('wecom: wrong AES key', wecomPost(otherKey.query, otherKey.body), [400, 401]);
    const otherCorp = buildWecomCallback({ ...WECOM_KEYS, corpId: 'wwanothercorp0001', xml: innerXml() });
    await refused('wecom: wrong receiveid', wecomPost(otherCorp.query, otherCorp.body), 401);
    const doctype = `<!DOCTYPE xml [<!ENTITY x "${'a'.repeat(100)}">]>${good.body}`;
    await refused('wecom: outer XML with DOCTYPE', wecomPost(good.query, doctype), 400);
    const bomb = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><xml><Encrypt>&lol2;</Encrypt></xml>';
    await refused('wecom: entity expansion (billion laughs)', wecomPost(good.query, bomb), 400);
    const innerDoctype = buildWecomCallback({ ...WECOM_KEYS, xml: `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${innerXml('&e;')}` });
    await refused('wecom: inner (decrypted) XML with an external entity', wecomPost(innerDoctype.query, innerDoctype.body), 400);
    await refused('wecom: not XML', wecomPost(good.query, 'this is not xml <'), 400);
    await refused('wecom: root is not <xml>', wecomPost(good.query, `<html>${good.body}</html>`), 400);
    const innerBroken = buildWecomCallback({ ...WECOM_KEYS, xml: '<xml><FromUserName>x</FromUserName>' });
    await refused('wecom: decrypted XML not well formed / no MsgType', wecomPost(innerBroken.query, innerBroken.body), 400);
    await refused('wecom: body over 1 MB', wecomPost(good.query, good.body + ' '.repeat(1024 * 1024)), 413);
    await refused('wecom: body over 1 MB, chunked', () => fetch(`${bot.url}/wecom/callback?${good.query}`, {
      method: 'POST', body: streamOf(2 * 1024 * 1024), duplex: 'half',
    } as RequestInit), 413);
    await refused('wecom: invalid UTF-8', wecomPost(good.query, new Uint8Array(Buffer.concat([Buffer.from(good.body.slice(0, 30)), Buffer.from([0xff, 0xfe]), Buffer.from(good.body.slice(30))]))), 400);
    await bot.server.idle();
    nothingSent();
  });

  it('WeCom GET /wecom/callback (URL verification)', async () => {
    const v = buildWecomVerification({ ...WECOM_KEYS, echo: 'echo-123' });
    const ok = await fetch(`${bot.url}/wecom/callback?${v.query}`);
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'echo-123');
    const get = (q: string) => () => fetch(`${bot.url}/wecom/callback?${q}`);
    await refused('wecom GET: no query', get(''), 400);
    await refused('wecom GET: missing echostr', get(v.query.replace(/&?echostr=[^&]+/, '')), 400);
    await refused('wecom GET: bad signature', get(v.query.replace(/msg_signature=[0-9a-f]+/, `msg_signature=${'b'.repeat(40)}`)), 401);
    const trunc = v.echostr.slice(0, 20);
    await refused('wecom GET: truncated echostr', get(`${signedQuery(trunc)}&echostr=${encodeURIComponent(trunc)}`), 400);
    const other = buildWecomVerification({ ...WECOM_KEYS, encodingAESKey: OTHER_AES_KEY, echo: 'x' });
    await refused('wecom GET: wrong AES key', get(other.query), [400, 401]);
    const stale = buildWecomVerification({ ...WECOM_KEYS, echo: 'x', timestamp: String(Math.floor(Date.now() / 1000) - TWO_HOURS_S) });
    await refused('wecom GET: stale timestamp', get(stale.query), 401);
  });

  it('WeCom AI bot GET and POST /wecom/aibot/callback', async () => {
    const post = (query: string, body: BodyInit) => () =>
      fetch(`${bot.url}/wecom/aibot/callback?${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const json = aibotText({ msgid: `hostile-${nextMsgId()}`, userid: 'hostile-user', content: '群里说的话公司能看到吗' });
    const good = buildAibotCallback({ ...AIBOT, json });
    const q = (encrypt: string, timestamp?: string) => signedQuery(encrypt, timestamp, AIBOT.token);
    await refused('aibot: no query', post('', good.body), 400);
    await refused('aibot: bad signature', post(good.query.replace(/msg_signature=[0-9a-f]+/, `msg_signature=${'c'.repeat(40)}`), good.body), 401);
    const stale = buildAibotCallback({ ...AIBOT, json, timestamp: String(Math.floor(Date.now() / 1000) - TWO_HOURS_S) });
    await refused('aibot: stale timestamp', post(stale.query, stale.body), 401);
    const trunc = good.encrypt.slice(0, 30);
    await refused('aibot: truncated ciphertext', post(q(trunc), JSON.stringify({ encrypt: trunc })), 400);
    await refused('aibot: non-base64 ciphertext', post(q('%%%%'), JSON.stringify({ encrypt: '%%%%' })), 400);
    const otherKey = buildAibotCallback({ token: AIBOT.token, encodingAESKey: OTHER_AES_KEY, json });
    await refused('aibot: wrong AES key', post(otherKey.query, otherKey.body), [400, 401]);
    const corp = buildAibotCallback({ ...AIBOT, json, receiveId: WECOM.corpId });
    await refused('aibot: wrong receiveid (a CorpID instead of "")', post(corp.query, corp.body), 401);
    await refused('aibot: envelope is not JSON', post(good.query, '{"encrypt":'), 400);
    await refused('aibot: envelope without encrypt', post(good.query, '{"hello":"world"}'), 400);
    await refused('aibot: deeply nested JSON envelope', post(good.query, deepJson(400_000)), 400);
    const nested = buildAibotCallback({ ...AIBOT, json: `{"msgtype":"text","x":${deepJson(100_000)}}` });
    await refused('aibot: deeply nested decrypted JSON', post(nested.query, nested.body), 400);
    await refused('aibot: body over 1 MB', post(good.query, JSON.stringify({ encrypt: good.encrypt, pad: 'x'.repeat(1024 * 1024) })), 413);
    await refused('aibot: invalid UTF-8', post(good.query, INVALID_UTF8), 400);
    const v = buildAibotVerification({ ...AIBOT, echo: 'e-1' });
    await refused('aibot GET: bad signature', () => fetch(`${bot.url}/wecom/aibot/callback?${v.query.replace(/msg_signature=[0-9a-f]+/, `msg_signature=${'d'.repeat(40)}`)}`), 401);
    await refused('aibot GET: wrong receiveid', () => fetch(`${bot.url}/wecom/aibot/callback?${buildAibotVerification({ ...AIBOT, echo: 'e', receiveId: 'wwcorp' }).query}`), 401);
    await bot.server.idle();
    nothingSent();
  });

  it('DingTalk POST /dingtalk/callback', async () => {
    const url = `${bot.url}/dingtalk/callback`;
    const body = ding.robotMessage({ senderStaffId: 'hostile-ding' });
    const raw = (headers: Record<string, string>, payload: BodyInit) => () =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload });
    const fresh = () => signDingtalkRequest(DING.appSecret, Date.now());
    await refused('ding: no timestamp/sign headers', raw({}, JSON.stringify(body)), 401);
    await refused('ding: sign missing', raw({ timestamp: String(Date.now()) }, JSON.stringify(body)), 401);
    await refused('ding: bad sign', () => sendRobotCallback(url, body, 'wrong-secret'), 401);
    await refused('ding: sign not base64', raw({ timestamp: String(Date.now()), sign: '***' }, JSON.stringify(body)), 401);
    await refused('ding: stale timestamp (2 h)', () => sendRobotCallback(url, body, DING.appSecret, { timestampMs: Date.now() - 2 * 3600_000 }), 401);
    await refused('ding: timestamp not digits', raw({ timestamp: 'now', sign: fresh().sign }, JSON.stringify(body)), 401);
    await refused('ding: not JSON', raw(fresh(), '{"msgId":'), 400);
    await refused('ding: JSON but not a robot message', raw(fresh(), '{"hello":"world"}'), 400);
    await refused('ding: another robotCode', raw(fresh(), JSON.stringify({ ...body, msgId: 'x1', robotCode: 'someone-else' })), 403);
    await refused('ding: deeply nested JSON', raw(fresh(), deepJson(400_000)), 400);
    await refused('ding: deeply nested field', raw(fresh(), `{"msgId":"n1","msgtype":"text","conversationType":"1","robotCode":"${DING.robotCode}","senderStaffId":"u","text":${deepJson(100_000)}}`), 400);
    await refused('ding: body over 1 MB', raw(fresh(), JSON.stringify({ ...body, pad: 'x'.repeat(1024 * 1024) })), 413);
    await refused('ding: invalid UTF-8', raw(fresh(), INVALID_UTF8), 400);
    await refused('ding: invalid UTF-8 inside a valid message', raw(fresh(), withInvalidUtf8(JSON.stringify({ ...body, msgId: 'utf8-1', text: { content: '管理员\u0001BAD能看吗' } }))), 400);
    await bot.server.idle();
    nothingSent();
  });

  it('/try/ask', async () => {
    const ask = (payload: BodyInit, headers: Record<string, string> = {}) => () =>
      fetch(`${bot.url}/try/ask`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload });
    const session = 'hostile-session-1';
    await refused('try: not JSON', ask('{"question":'), 400);
    await refused('try: no question', ask(JSON.stringify({ session })), 400);
    await refused('try: bad session', ask(JSON.stringify({ question: 'hi', session: '../../etc' })), 400);
    await refused('try: 20,000-character question', ask(JSON.stringify({ question: '存'.repeat(20_000), session })), [400, 413]);
    await refused('try: control characters', ask(JSON.stringify({ question: '管理员\u0000能看\u0007到吗\u001b[2J', session })), 400);
    await refused('try: deeply nested JSON', ask(deepJson(8000)), 400);
    await refused('try: invalid UTF-8', ask(INVALID_UTF8), 400);
    await refused('try: invalid UTF-8 inside a valid question', ask(withInvalidUtf8(JSON.stringify({ question: '管理员\u0001BAD能看吗', session }))), 400);
    await refused('try: body over its limit', ask(JSON.stringify({ question: 'x', session, pad: 'y'.repeat(1024 * 1024) })), 413);
    const ok = await fetch(`${bot.url}/try/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: '管理员能导出我的聊天记录吗\n\t', session }) });
    assert.equal(ok.status, 200);
  });

  it('/admin/*', async () => {
    const admin = (method: string, path: string, payload?: BodyInit, token: string | null = ADMIN_TOKEN) => () =>
      fetch(`${bot.url}${path}`, {
        method,
        headers: { ...(token !== null ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
        ...(payload !== undefined ? { body: payload } : {}),
      });
    const notice = JSON.stringify({ title: { zh: '告知', en: 'Notice' }, body: { zh: '正文', en: 'Body' } });
    await refused('admin: no token', admin('POST', '/admin/notices', notice, null), 401);
    await refused('admin: wrong token', admin('POST', '/admin/notices', notice, 'wrong-token'), 401);
    await refused('admin: token as Basic', () => fetch(`${bot.url}/admin/notices`, { headers: { authorization: `Basic ${Buffer.from(`a:${ADMIN_TOKEN}`).toString('base64')}` } }), 401);
    await refused('admin: not JSON', admin('POST', '/admin/notices', '{"title":'), 400);
    await refused('admin: deeply nested JSON', admin('POST', '/admin/notices', deepJson(400_000)), 400);
    await refused('admin: invalid UTF-8', admin('POST', '/admin/notices', INVALID_UTF8), 400);
    await refused('admin: invalid UTF-8 inside a valid notice', admin('POST', '/admin/notices', withInvalidUtf8(JSON.stringify({ title: { zh: '告知\u0001BAD', en: 'N' }, body: { zh: 'b', en: 'b' } }))), 400);
    await refused('admin: unknown field', admin('POST', '/admin/notices', JSON.stringify({ ...JSON.parse(notice), extra: 1 })), 400);
    await refused('admin: 20,000-character title', admin('POST', '/admin/notices', JSON.stringify({ title: { zh: '存'.repeat(20_000), en: 'x' }, body: { zh: 'b', en: 'b' } })), 400);
    await refused('admin: control characters in a notice', admin('POST', '/admin/notices', JSON.stringify({ title: { zh: '告\u0000知', en: 'N\u0007' }, body: { zh: 'b', en: 'b' } })), 400);
    await refused('admin: broadcast with a bad audience', admin('POST', '/admin/broadcasts', JSON.stringify({ noticeId: 'x', platform: 'wecom', audience: { everyone: true } })), 400);
    for (const key of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      await refused(`admin: audience keyed "${key}" (prototype property)`, admin('POST', '/admin/broadcasts', `{"noticeId":"x","platform":"wecom","audience":{"${key}":1}}`), 400);
    }
    await refused('admin: body over 4 MB (its limit)', admin('POST', '/admin/notices', JSON.stringify({ pad: 'x'.repeat(5 * 1024 * 1024) })), 413);
    await refused('admin: unknown broadcast', admin('GET', '/admin/broadcasts/nope'), 404);
    nothingSent();
  });

  it('signed callbacks with a 20,000-character question or control characters are answered normally, once, fast', async (t) => {
    const longXml = wecomTextXml({ corpId: WECOM.corpId, from: 'long-asker', content: `${'管理员能导出我的聊天记录吗'.repeat(1600)}`, msgId: nextMsgId() });
    const started = performance.now();
    const cb = buildWecomCallback({ ...WECOM_KEYS, xml: longXml });
    const res = await fetch(`${bot.url}/wecom/callback?${cb.query}`, { method: 'POST', body: cb.body });
    const elapsed = performance.now() - started;
    assert.equal(res.status, 200);
    const text = await passiveReply(res);
    await bot.server.idle();
    const sent = fake.sent.filter((m) => m.touser === 'long-asker');
    assert.equal((text !== null ? 1 : 0) + sent.length, 1);
    // The bound that matters: WeCom retries a callback not answered within 5 s. (About 100 ms when idle.)
    assert.ok(elapsed < 4500, `${elapsed} ms`);
    t.diagnostic(`signed WeCom callback with a 20,800-character question: answered once in ${elapsed.toFixed(0)} ms`);
    const ctl = buildWecomCallback({ ...WECOM_KEYS, xml: wecomTextXml({ corpId: WECOM.corpId, from: 'ctl-asker', content: '管理员\u0001能导出\u001b我的聊天记录吗\u007f', msgId: nextMsgId() }) });
    const res2 = await fetch(`${bot.url}/wecom/callback?${ctl.query}`, { method: 'POST', body: ctl.body });
    assert.equal(res2.status, 200);
    const dingLong = ding.robotMessage({ senderStaffId: 'long-ding', text: { content: '存'.repeat(20_000) } });
    assert.equal((await sendRobotCallback(`${bot.url}/dingtalk/callback`, dingLong, DING.appSecret)).status, 200);
    await bot.server.idle();
    assert.equal(ding.webhookMessages.filter((m) => m.errcode === 0).length, 1);
    fake.reset();
    ding.reset();
  });

  it('after a barrage of garbage the server still answers, nothing crashed, and the heap is back where it was', async (t) => {
    gc();
    const before = process.memoryUsage().heapUsed;
    const good = buildWecomCallback({ ...WECOM_KEYS, xml: innerXml() });
    const big = good.body + ' '.repeat(1024 * 1024 + 10);
    const rounds = 100;
    for (let i = 0; i < rounds; i++) {
      await Promise.all([
        fetch(`${bot.url}/wecom/callback?${good.query}`, { method: 'POST', body: big }).then((r) => r.text()),
        fetch(`${bot.url}/wecom/aibot/callback?x=1`, { method: 'POST', body: deepJson(200_000) }).then((r) => r.text()),
        sendRobotCallback(`${bot.url}/dingtalk/callback`, deepJson(200_000), DING.appSecret).then((r) => r.text()),
        fetch(`${bot.url}/try/ask`, { method: 'POST', body: 'z'.repeat(64 * 1024) }).then((r) => r.text()),
      ]);
    }
    gc();
    const after = process.memoryUsage().heapUsed;
    const growthMb = (after - before) / 1024 / 1024;
    t.diagnostic(`${rounds * 4} hostile requests (${rounds} × (1 MB + 400 KB + 400 KB + 64 KB)); heap ${(before / 1048576).toFixed(1)} MB -> ${(after / 1048576).toFixed(1)} MB (${growthMb >= 0 ? '+' : ''}${growthMb.toFixed(1)} MB)`);
    assert.ok(growthMb < 20, `heap grew ${growthMb.toFixed(1)} MB`);
    assert.equal((await fetch(`${bot.url}/healthz`)).status, 200);
    const fiveXx = outcomes.filter((o) => o.status >= 500);
    assert.deepEqual(fiveXx, []);
    t.diagnostic(`${outcomes.length} hostile cases: ${[...new Set(outcomes.map((o) => o.status))].sort().join(', ')}; longest reason ${Math.max(...outcomes.map((o) => o.body.length))} characters`);
  });
});

/** A request body stream of `bytes` spaces, sent chunked (no content-length). */
function streamOf(bytes: number): ReadableStream<Uint8Array> {
  let left = bytes;
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  return new ReadableStream({
    pull(controller) {
      if (left <= 0) return controller.close();
      const n = Math.min(left, chunk.length);
      controller.enqueue(chunk.subarray(0, n));
      left -= n;
    },
  });
}



