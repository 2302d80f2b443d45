/**
 * End to end over loopback: the real bot (knowledge base, matcher, router, SQLite store, HTTP server)
 * with the WeCom AI bot in a group chat, a fake WeCom API for the self-built app's message/send, and
 * encrypted, signed AI-bot callbacks (receiveid "") — plus the long-connection mode against the fake
 * WebSocket server. The product's rule under test: the asker's own status never goes to the group.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestBot, type TestBot } from '../helpers/app.ts';
import { startFakeWecom, type FakeWecom } from '../fakes/wecom-api.ts';
import { aibotText, buildAibotCallback, startFakeAibotWs, type AibotFrame, type FakeAibotWs } from '../fakes/wecom-aibot-ws.ts';
import { openAibotCiphertext } from '../../adapters/wecom-aibot/crypto.ts';

const APP = { corpId: 'wx5823bf96d3bd56c7', agentId: '1000002', secret: 'app-secret' };
const AIBOT = { token: 'QDG6eK', encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C' };
const APP_ENV = {
  WECOM_CORP_ID: APP.corpId, WECOM_AGENT_ID: APP.agentId, WECOM_SECRET: APP.secret,
  WECOM_TOKEN: 'appToken1', WECOM_ENCODING_AES_KEY: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
};
const STATUS = /自 2026-03-01 起已存档/;
const QUESTION = '我的聊天记录有没有被存档';

async function importStatus(bot: TestBot): Promise<void> {
  await bot.core.store.putStatuses([
    { platform: 'wecom', userId: 'zhangsan', archived: true, since: '2026-03-01', scope: 'internal chats', source: 'import', updatedAt: '2026-05-02T08:00:00.000Z' },
  ]);
}

describe('WeCom AI bot end to end (HTTP callbacks)', () => {
  let fake: FakeWecom;
  let bot: TestBot;

  before(async () => {
    fake = await startFakeWecom({ corpId: APP.corpId, secret: APP.secret, agentId: Number(APP.agentId) });
    bot = await startTestBot({ ...APP_ENV, WECOM_API_BASE: fake.url, WECOM_AIBOT_TOKEN: AIBOT.token, WECOM_AIBOT_ENCODING_AES_KEY: AIBOT.encodingAESKey });
    await importStatus(bot);
  });
  after(async () => {
    await bot.close();
    await fake.close();
  });

  async function ask(body: object): Promise<{ streamContent: string; finished: boolean }> {
    const cb = buildAibotCallback({ ...AIBOT, json: body });
    const res = await fetch(`${bot.url}/wecom/aibot/callback?${cb.query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: cb.body });
    assert.equal(res.status, 200);
    const outer = JSON.parse(await res.text()) as { encrypt: string; msgsignature: string; timestamp: string; nonce: string };
    const reply = JSON.parse(
      openAibotCiphertext(AIBOT, { msgSignature: outer.msgsignature, timestamp: outer.timestamp, nonce: outer.nonce, encrypt: outer.encrypt }),
    ) as { msgtype: string; stream: { content: string; finish: boolean } };
    assert.equal(reply.msgtype, 'stream');
    return { streamContent: reply.stream.content, finished: reply.stream.finish };
  }

  it('a group question gets the general answer in the group; the asker’s status goes only 1:1 via message/send', async () => {
    const before = fake.sent.length;
    const group = await ask(aibotText({ msgid: 'e2e-g1', userid: 'zhangsan', chatid: 'wrGroup1', content: `@隐私助手\u2005${QUESTION}` }));
    assert.equal(group.finished, true);
    assert.match(group.streamContent, /来源：/);
    assert.doesNotMatch(group.streamContent, STATUS);
    assert.doesNotMatch(group.streamContent, /2026-03-01/);
    await bot.server.idle();
    const sent = fake.sent.slice(before);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.touser, 'zhangsan');
    assert.match(sent[0]!.text!.content, STATUS);
  });

  it('in a 1:1 chat with the AI bot the status is part of the answer, nothing is sent separately', async () => {
    const before = fake.sent.length;
    const single = await ask(aibotText({ msgid: 'e2e-s1', userid: 'zhangsan', content: QUESTION }));
    assert.match(single.streamContent, STATUS);
    await bot.server.idle();
    assert.equal(fake.sent.length, before);
  });

  it('logs hold no question, answer, status or raw user id', () => {
    const logs = bot.logLines.join('\n');
    for (const secret of [QUESTION, '2026-03-01', 'zhangsan', '来源', 'wrGroup1']) assert.equal(logs.includes(secret), false, `log contains ${secret}`);
  });
});

describe('WeCom AI bot end to end (long connection)', () => {
  let fake: FakeWecom;
  let ws: FakeAibotWs;
  let bot: TestBot;

  before(async () => {
    fake = await startFakeWecom({ corpId: APP.corpId, secret: APP.secret, agentId: Number(APP.agentId) });
    ws = await startFakeAibotWs({ botId: 'bot-e2e', secret: 'bot-secret' });
    bot = await startTestBot({
      ...APP_ENV, WECOM_API_BASE: fake.url,
      WECOM_AIBOT_MODE: 'ws', WECOM_AIBOT_BOT_ID: 'bot-e2e', WECOM_AIBOT_SECRET: 'bot-secret', WECOM_AIBOT_WS_URL: ws.url,
    });
    await importStatus(bot);
  });
  after(async () => {
    try {
      await bot.close();
      // The server sees the client's close a moment later.
      const guard = Date.now() + 30_000; // failure guard only
      while (ws.openConnections > 0 && Date.now() < guard) await sleep(20);
      assert.equal(ws.openConnections, 0, 'shutdown closes the long connection');
    } finally {
      await ws.close();
      await fake.close();
    }
  });

  it('connects at start; a group question is answered in the group without the status, which goes 1:1', async () => {
    assert.equal(ws.authCount, 1);
    const before = fake.sent.length;
    const reqId = ws.push(aibotText({ msgid: 'e2e-ws-1', userid: 'zhangsan', chatid: 'wrGroup2', content: `@隐私助手 ${QUESTION}` }));
    const frame: AibotFrame = await ws.waitFor((f) => f.cmd === 'aibot_respond_msg' && f.headers.req_id === reqId && f.body?.stream?.finish === true);
    assert.match(frame.body.stream.content, /来源：/);
    assert.doesNotMatch(frame.body.stream.content, STATUS);
    await bot.server.idle();
    const sent = fake.sent.slice(before);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.touser, 'zhangsan');
    assert.match(sent[0]!.text!.content, STATUS);
  });
});
