import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createWecomAibotAdapter } from '../../../adapters/wecom-aibot/index.ts';
import { BotError } from '../../../src/errors.ts';
import { createLogger } from '../../../src/log.ts';
import type { BotResult, MessageHandler } from '../../../src/platform/message.ts';
import { aibotEvent, aibotText, type AibotFrame } from '../../fakes/wecom-aibot-ws.ts';
import { chatAndPrivate, GENERAL_ANSWER, PRIVATE_STATUS, startHarness, type Harness } from './harness.ts';

async function withWs(opts: Parameters<typeof startHarness>[0], fn: (h: Harness) => Promise<void>): Promise<void> {
  const h = await startHarness({ mode: 'ws', ...opts, options: { wsClient: { reconnectInterval: 50 }, ...opts?.options } });
  try {
    await h.adapter.start!();
    await fn(h);
  } finally {
    await h.close();
  }
}

const finishedFor = (reqId: string) => (f: AibotFrame) =>
  f.cmd === 'aibot_respond_msg' && f.headers.req_id === reqId && f.body?.stream?.finish === true;

test('start() authenticates with aibot_subscribe {bot_id, secret}; no HTTP routes are mounted', async () => {
  await withWs({}, async (h) => {
    assert.equal(h.ws!.authCount, 1);
    const auth = h.ws!.received.find((f) => f.cmd === 'aibot_subscribe')!;
    assert.equal(auth.body.bot_id, 'bot-1');
    assert.equal(auth.body.secret, 'bot-secret');
    assert.equal((await fetch(`${h.url}/wecom/aibot/callback`)).status, 404);
  });
});

test('group message: replyStream with the callback req_id, general answer only; the status goes via message/send', async () => {
  await withWs({}, async (h) => {
    const reqId = h.ws!.push(aibotText({ msgid: 'ws-g1', userid: 'zhangsan', content: '@bot 我的聊天会被存档吗', chatid: 'g1' }));
    const frame = await h.ws!.waitFor(finishedFor(reqId));
    assert.equal(frame.body.msgtype, 'stream');
    assert.equal(frame.body.stream.content, GENERAL_ANSWER);
    assert.match(frame.body.stream.id, /^stream_/);
    await h.idle();
    const toGroup = JSON.stringify(h.ws!.received.filter((f) => f.cmd !== 'aibot_subscribe'));
    assert.equal(toGroup.includes(PRIVATE_STATUS), false);
    assert.equal(h.calls[0]!.text, '我的聊天会被存档吗');
    assert.deepEqual(h.calls[0]!.chat, { kind: 'group', chatId: 'g1' });
    assert.equal(h.fake.sent.length, 1);
    assert.equal(h.fake.sent[0]!.touser, 'zhangsan');
    assert.equal(h.fake.sent[0]!.text?.content, PRIVATE_STATUS);
  });
});

test('1:1 message: both replies in the stream, nothing via message/send', async () => {
  await withWs({}, async (h) => {
    const reqId = h.ws!.push(aibotText({ msgid: 'ws-s1', userid: 'lisi', content: '我的聊天会被存档吗' }));
    const frame = await h.ws!.waitFor(finishedFor(reqId));
    assert.equal(frame.body.stream.content, `${GENERAL_ANSWER}\n\n${PRIVATE_STATUS}`);
    await h.idle();
    assert.equal(h.fake.sent.length, 0);
  });
});

test('slow core: an unfinished "…" stream first, then the finished one with the same stream id', async () => {
  const slow: MessageHandler = async () => {
    await sleep(400);
    return chatAndPrivate();
  };
  await withWs({ handler: slow, options: { firstAnswerBudgetMs: 50 } }, async (h) => {
    const reqId = h.ws!.push(aibotText({ msgid: 'ws-slow', userid: 'u', content: '@bot hi', chatid: 'g' }));
    const last = await h.ws!.waitFor(finishedFor(reqId));
    const mine = h.ws!.replies.filter((f) => f.headers.req_id === reqId);
    assert.equal(mine.length, 2);
    assert.deepEqual(mine[0]!.body.stream, { id: last.body.stream.id, finish: false, content: '…' });
    assert.equal(mine[1]!.body.stream.content, GENERAL_ANSWER);
  });
});

test('a re-pushed msgid is answered once', async () => {
  await withWs({}, async (h) => {
    const body = aibotText({ msgid: 'ws-dup', userid: 'u', content: 'hi' });
    const first = h.ws!.push(body);
    await h.ws!.waitFor(finishedFor(first));
    h.ws!.push(body);
    await sleep(200);
    await h.idle();
    assert.equal(h.calls.length, 1);
    assert.equal(h.ws!.replies.length, 1);
  });
});

test('enter_chat: replyWelcome with a text body on the event req_id', async () => {
  const welcome: BotResult = { ...chatAndPrivate(), intent: 'welcome', replies: [{ text: '欢迎使用隐私助手', visibility: 'chat' }] };
  await withWs({ handler: async () => welcome }, async (h) => {
    const reqId = h.ws!.push(aibotEvent({ msgid: 'ws-e1', userid: 'u', eventtype: 'enter_chat' }));
    const frame = await h.ws!.waitFor((f) => f.cmd === 'aibot_respond_welcome_msg' && f.headers.req_id === reqId);
    assert.deepEqual(frame.body, { msgtype: 'text', text: { content: '欢迎使用隐私助手' } });
  });
});

test('a malformed frame body is logged and skipped; the connection keeps working', async () => {
  await withWs({}, async (h) => {
    h.ws!.push({ msgtype: 'text', text: { content: 'no sender' } });
    const reqId = h.ws!.push(aibotText({ msgid: 'ws-after', userid: 'u', content: 'hi' }));
    await h.ws!.waitFor(finishedFor(reqId));
    assert.equal(h.calls.length, 1);
    assert.ok(h.logs.some((l) => l.includes('frame refused')));
  });
});

test('wrong secret: start() rejects with AIBOT_WS_AUTH_FAILED and does not keep retrying', async () => {
  const h = await startHarness({ mode: 'ws', wsSecret: 'wrong', options: { wsClient: { reconnectInterval: 50 } } });
  try {
    await assert.rejects(h.adapter.start!(), (e: unknown) => e instanceof BotError && e.code === 'AIBOT_WS_AUTH_FAILED' && /WECOM_AIBOT_SECRET/.test(e.message));
    await sleep(300);
    assert.equal(h.ws!.authFailures, 1);
    assert.equal(h.ws!.openConnections, 0);
  } finally {
    await h.close();
  }
});

test('a dropped connection is re-established by the SDK; stop() closes it for good', async () => {
  await withWs({}, async (h) => {
    h.ws!.dropConnections();
    await h.ws!.waitForAuth(2);
    const reqId = h.ws!.push(aibotText({ msgid: 'ws-re', userid: 'u', content: 'hi' }));
    await h.ws!.waitFor(finishedFor(reqId));

    await h.adapter.stop!();
    await h.adapter.stop!(); // idempotent
    await sleep(300);
    assert.equal(h.ws!.openConnections, 0);
    assert.equal(h.ws!.authCount, 2);
  });
});

test('one connection per bot: a second instance kicks the first (disconnected_event), which does not reconnect', async () => {
  await withWs({}, async (h) => {
    const second = createWecomAibotAdapter(
      { mode: 'ws', botId: 'bot-1', secret: 'bot-secret', wsUrl: h.ws!.url },
      {
        handle: async () => chatAndPrivate(),
        kv: h.store,
        log: createLogger('silent'),
        now: () => Date.now(),
        background: (_n, work) => void work(),
      },
      { privateClient: null },
      { wsClient: { reconnectInterval: 50 } },
    );
    try {
      await second.start!();
      await h.ws!.waitForAuth(2);
      await sleep(300);
      assert.equal(h.ws!.authCount, 2, 'the kicked instance did not reconnect and kick back');
      assert.equal(h.ws!.openConnections, 1);
      assert.ok(h.logs.some((l) => l.includes('another connection for this bot took over')));
    } finally {
      await second.stop!();
    }
  });
});
