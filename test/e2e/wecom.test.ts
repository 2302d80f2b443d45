/**
 * End to end over loopback: a fake WeCom API, the real bot (knowledge base, matcher, router, SQLite
 * store, HTTP server), and encrypted, signed callbacks built the way WeCom builds them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBot, type TestBot } from '../helpers/app.ts';
import { buildWecomCallback, startFakeWecom, wecomEventXml, wecomMediaXml, wecomTextXml, type FakeWecom } from '../fakes/wecom-api.ts';
import { decryptWecom } from '../../adapters/wecom/crypto.ts';
import { parseWecomXml } from '../../adapters/wecom/xml.ts';

const KEYS = { token: 'QDG6eK', encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', corpId: 'wx5823bf96d3bd56c7' };

describe('WeCom end to end', () => {
  let fake: FakeWecom;
  let bot: TestBot;
  let msgSeq = 4561255354251345929n;

  before(async () => {
    fake = await startFakeWecom({ corpId: KEYS.corpId, secret: 'app-secret', agentId: 1000002 });
    bot = await startTestBot({
      WECOM_CORP_ID: KEYS.corpId, WECOM_AGENT_ID: '1000002', WECOM_SECRET: 'app-secret',
      WECOM_TOKEN: KEYS.token, WECOM_ENCODING_AES_KEY: KEYS.encodingAESKey, WECOM_API_BASE: fake.url,
    });
    await bot.core.store.putStatuses([
      { platform: 'wecom', userId: 'zhangsan', archived: true, since: '2026-03-01', scope: 'internal chats', source: 'import', updatedAt: '2026-05-02T08:00:00.000Z' },
    ]);
  });
  after(async () => {
    await bot.close();
    await fake.close();
  });

  async function post(xml: string): Promise<Response> {
    const cb = buildWecomCallback({ ...KEYS, xml });
    return fetch(`${bot.url}/wecom/callback?${cb.query}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: cb.body });
  }

  /** Everything the user received for one callback: the passive reply (decrypted) and message/send texts. */
  async function repliesTo(res: Response, user: string, sentBefore: number): Promise<string[]> {
    const out: string[] = [];
    const body = await res.text();
    if (body !== '') {
      const outer = parseWecomXml(body);
      const inner = parseWecomXml(decryptWecom(KEYS, outer.Encrypt!));
      assert.equal(inner.ToUserName, user);
      out.push(inner.Content!);
    }
    await bot.server.idle();
    for (const m of fake.sent.slice(sentBefore)) {
      assert.equal(m.touser, user);
      out.push(m.text!.content);
    }
    return out;
  }

  function nextMsgId(): string {
    msgSeq += 1n;
    return msgSeq.toString();
  }

  it('answers a question with the FAQ, its sources and the asker’s own status', async () => {
    const before = fake.sent.length;
    const res = await post(wecomTextXml({ corpId: KEYS.corpId, from: 'zhangsan', content: '我的聊天记录有没有被公司存档', msgId: nextMsgId() }));
    assert.equal(res.status, 200);
    const texts = await repliesTo(res, 'zhangsan', before);
    const all = texts.join('');
    assert.match(all, /自 2026-03-01 起已存档/);
    assert.match(all, /来源：/);
  });

  it('a retried callback (same MsgId three times) gets exactly one answer', async () => {
    const before = fake.sent.length;
    const xml = wecomTextXml({ corpId: KEYS.corpId, from: 'lisi', content: '管理员能导出我的聊天记录吗', msgId: nextMsgId() });
    const answers: string[] = [];
    for (let i = 0; i < 3; i++) answers.push(...(await repliesTo(await post(xml), 'lisi', before + answers.length)));
    assert.equal(answers.length, 1);
  });

  it('a bad signature is 401 and nothing is sent', async () => {
    const before = fake.sent.length;
    const cb = buildWecomCallback({ ...KEYS, xml: wecomTextXml({ corpId: KEYS.corpId, from: 'zhangsan', content: 'hi', msgId: nextMsgId() }) });
    const q = cb.query.replace(/msg_signature=[0-9a-f]+/, `msg_signature=${'0'.repeat(40)}`);
    const res = await fetch(`${bot.url}/wecom/callback?${q}`, { method: 'POST', body: cb.body });
    assert.equal(res.status, 401);
    await bot.server.idle();
    assert.equal(fake.sent.length, before);
  });

  it('a malformed body is 400 and nothing is sent', async () => {
    const before = fake.sent.length;
    const cb = buildWecomCallback({ ...KEYS, xml: '<xml/>' });
    const res = await fetch(`${bot.url}/wecom/callback?${cb.query}`, { method: 'POST', body: 'this is not xml <' });
    assert.ok(res.status === 400 || res.status === 401, `status ${res.status}`);
    assert.equal((await fetch(`${bot.url}/wecom/callback`, { method: 'POST', body: cb.body })).status, 400);
    await bot.server.idle();
    assert.equal(fake.sent.length, before);
  });

  it('welcomes on enter_agent and asks for text on an image', async () => {
    let before = fake.sent.length;
    const welcome = await repliesTo(await post(wecomEventXml({ corpId: KEYS.corpId, from: 'wangwu', event: 'enter_agent' })), 'wangwu', before);
    assert.equal(welcome.length, 1);
    assert.match(welcome[0]!, /隐私助手/);
    before = fake.sent.length;
    const image = await repliesTo(await post(wecomMediaXml({ corpId: KEYS.corpId, from: 'wangwu', msgType: 'image', msgId: nextMsgId() })), 'wangwu', before);
    assert.equal(image.length, 1);
    assert.match(image[0]!, /文字|text/);
  });

  it('an English question gets an English answer', async () => {
    const before = fake.sent.length;
    const texts = await repliesTo(await post(wecomTextXml({ corpId: KEYS.corpId, from: 'zhaoliu', content: 'Can my boss read my WeCom chats?', msgId: nextMsgId() })), 'zhaoliu', before);
    assert.match(texts.join(''), /Sources:/);
    assert.match(texts.join(''), /no record/);
  });

  it('logs hold no question, answer or status text and no raw user id', () => {
    const logs = bot.logLines.join('\n');
    assert.ok(bot.logLines.length > 0);
    for (const secret of ['我的聊天记录有没有被公司存档', '2026-03-01', 'Can my boss read', 'zhangsan', '来源']) {
      assert.equal(logs.includes(secret), false, `log contains ${secret}`);
    }
  });
});
