import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { signWecom } from '../../../adapters/wecom/crypto.ts';
import { hashUserId } from '../../../src/log.ts';
import type { BotResult, MessageHandler } from '../../../src/platform/message.ts';
import { aibotEvent, aibotMessage, aibotStreamRefresh, aibotText, buildAibotCallback, buildAibotVerification } from '../../fakes/wecom-aibot-ws.ts';
import { AIBOT_KEYS, chatAndPrivate, GENERAL_ANSWER, openPassive, PRIVATE_STATUS, S3, S3_NOW, startHarness, type Harness } from './harness.ts';

async function withHarness(opts: Parameters<typeof startHarness>[0], fn: (h: Harness) => Promise<void>): Promise<void> {
  const h = await startHarness(opts);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

const S3_QUERY = new URLSearchParams({ msg_signature: S3.msgSignature, timestamp: S3.timestamp, nonce: S3.nonce }).toString();
const S3_BODY = JSON.stringify({ encrypt: S3.encrypt });

function slowHandler(ms: number, result: BotResult = chatAndPrivate()): MessageHandler {
  return async () => {
    await sleep(ms);
    return result;
  };
}

test('GET URL verification: 200 text/plain with the bare echo; bad signature 401; CorpID receiveid 401; missing echostr 400', async () => {
  await withHarness({}, async (h) => {
    const v = buildAibotVerification({ ...AIBOT_KEYS, echo: '2837465019283746501' });
    const ok = await h.get(v.query);
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(await ok.text(), '2837465019283746501');

    const bad = await h.get(v.query.replace(/msg_signature=[0-9a-f]{8}/, 'msg_signature=00000000'));
    assert.equal(bad.status, 401);
    assert.match(await bad.text(), /^WECOM_BAD_SIGNATURE/);

    const corp = await h.get(buildAibotVerification({ ...AIBOT_KEYS, echo: 'x', receiveId: 'wx5823bf96d3bd56c7' }).query);
    assert.equal(corp.status, 401);
    assert.match(await corp.text(), /^AIBOT_RECEIVEID_MISMATCH/);

    const missing = await h.get(v.query.replace(/&echostr=.*/, ''));
    assert.equal(missing.status, 400);
    assert.match(await missing.text(), /echostr/);
  });
});

test('vector S3 in a group: the passive reply is the general answer only; the status goes 1:1 via message/send', async () => {
  await withHarness({ now: () => S3_NOW }, async (h) => {
    const res = await h.post(S3_QUERY, S3_BODY);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const raw = await res.text();
    const outer = JSON.parse(raw) as Record<string, unknown>;
    assert.deepEqual(Object.keys(outer).sort(), ['encrypt', 'msgsignature', 'nonce', 'timestamp']);
    assert.equal(typeof outer['timestamp'], 'string');
    const reply = openPassive(raw);
    assert.equal(reply['msgtype'], 'stream');
    assert.equal(reply['stream'].finish, true);
    assert.equal(reply['stream'].content, GENERAL_ANSWER);
    assert.match(reply['stream'].id, /^stream_[0-9a-f]{24}$/);
    assert.equal(raw.includes(PRIVATE_STATUS), false);
    assert.equal(JSON.stringify(reply).includes(PRIVATE_STATUS), false);

    assert.equal(h.calls.length, 1);
    assert.equal(h.calls[0]!.text, '我的聊天会被存档吗');
    assert.deepEqual(h.calls[0]!.chat, { kind: 'group', chatId: 'c1' });
    assert.equal(h.calls[0]!.mentionedBot, true);

    await h.idle();
    assert.deepEqual(h.backgroundErrors, []);
    assert.equal(h.fake.sent.length, 1);
    assert.equal(h.fake.sent[0]!.touser, 'zhangsan');
    assert.equal(h.fake.sent[0]!.text?.content, PRIVATE_STATUS);
    for (const m of h.fake.sent) assert.equal(m.text?.content.includes(GENERAL_ANSWER), false);
  });
});

test('S3 signed correctly but encrypted for a CorpID receiveid: 401, nothing handled or sent, the server keeps serving', async () => {
  await withHarness({ now: () => S3_NOW }, async (h) => {
    const cb = buildAibotCallback({ ...AIBOT_KEYS, json: S3.plaintext, receiveId: 'wx5823bf96d3bd56c7', timestamp: S3.timestamp });
    const res = await h.post(cb.query, cb.body);
    assert.equal(res.status, 401);
    assert.match(await res.text(), /^AIBOT_RECEIVEID_MISMATCH/);
    assert.equal(h.calls.length, 0);
    const again = await h.post(S3_QUERY, S3_BODY);
    assert.equal(again.status, 200);
  });
});

test('bad signature: 401 before anything else; nothing handled, nothing sent', async () => {
  await withHarness({}, async (h) => {
    const res = await h.post(S3_QUERY.replace('c42c84ac', '00000000'), S3_BODY);
    assert.equal(res.status, 401);
    assert.match(await res.text(), /^WECOM_BAD_SIGNATURE/);
    // A body that is not even valid ciphertext, with a wrong signature, is a 401 too (signature first).
    const junk = await h.post(S3_QUERY, JSON.stringify({ encrypt: 'not*base64!' }));
    assert.equal(junk.status, 401);
    await h.idle();
    assert.equal(h.calls.length, 0);
    assert.equal(h.fake.sent.length, 0);
    assert.equal(h.fake.requests.length, 0);
  });
});

test('malformed input: 400 with a short reason, nothing handled', async () => {
  await withHarness({}, async (h) => {
    const cases: [string, string, RegExp][] = [
      [S3_QUERY, '{"encrypt":', /^AIBOT_BAD_REQUEST: body is not JSON/],
      [S3_QUERY, '<xml><Encrypt>x</Encrypt></xml>', /^AIBOT_BAD_REQUEST/],
      [S3_QUERY, '{"Encrypt":"abc"}', /^AIBOT_BAD_REQUEST: body has no "encrypt"/],
      [S3_QUERY, '{"encrypt":42}', /^AIBOT_BAD_REQUEST/],
      ['timestamp=1&nonce=2', S3_BODY, /^WECOM_BAD_REQUEST: missing parameter msg_signature/],
    ];
    for (const [q, body, expected] of cases) {
      const res = await h.post(q, body);
      assert.equal(res.status, 400, body);
      assert.match(await res.text(), expected);
    }
    // Correctly signed, but not base64 / not whole AES blocks.
    for (const encrypt of ['not*base64!', 'QUJD']) {
      const sig = signWecom(AIBOT_KEYS.token, '1700000000', '42', encrypt);
      const res = await h.post(`msg_signature=${sig}&timestamp=1700000000&nonce=42`, JSON.stringify({ encrypt }));
      assert.equal(res.status, 400);
      assert.match(await res.text(), /^WECOM_DECRYPT_FAILED/);
    }
    // Decrypts, but the plaintext is not JSON / lacks fields.
    for (const [json, expected] of [
      ['hello', /^AIBOT_BAD_MESSAGE: decrypted message is not JSON/],
      ['{"msgtype":"text","text":{"content":"x"}}', /^AIBOT_BAD_MESSAGE: message has no from\.userid/],
      ['{"msgid":"m","msgtype":"text","from":{"userid":"u"},"chattype":"group","text":{"content":"x"}}', /^AIBOT_BAD_MESSAGE: group message has no chatid/],
    ] as const) {
      const res = await h.postJson(json);
      assert.equal(res.status, 400);
      assert.match(await res.text(), expected);
    }
    const tooBig = await h.post(S3_QUERY, JSON.stringify({ encrypt: 'A'.repeat(1024 * 1024 + 10) }));
    assert.equal(tooBig.status, 413);
    await h.idle();
    assert.equal(h.calls.length, 0);
    assert.equal(h.fake.sent.length, 0);
  });
});

test('1:1 chat: general answer and private status both in the passive reply; nothing via message/send', async () => {
  await withHarness({}, async (h) => {
    const res = await h.postJson(aibotText({ msgid: 'one-1', userid: 'lisi', content: '我的聊天会被存档吗' }));
    assert.equal(res.status, 200);
    const reply = openPassive(await res.text());
    assert.equal(reply['stream'].finish, true);
    assert.equal(reply['stream'].content, `${GENERAL_ANSWER}\n\n${PRIVATE_STATUS}`);
    assert.deepEqual(h.calls[0]!.chat, { kind: 'single' });
    await h.idle();
    assert.equal(h.fake.sent.length, 0);
  });
});

test('a duplicate msgid (WeCom retry) gets the same stream and one answer; the core runs once', async () => {
  await withHarness({}, async (h) => {
    const body = aibotText({ msgid: 'dup-1', userid: 'wangwu', content: '@bot 我的聊天会被存档吗', chatid: 'g1' });
    const first = openPassive(await (await h.postJson(body)).text());
    const second = openPassive(await (await h.postJson(body)).text());
    const third = openPassive(await (await h.postJson(body)).text());
    assert.equal(h.calls.length, 1);
    assert.equal(second['stream'].id, first['stream'].id);
    assert.equal(third['stream'].id, first['stream'].id);
    assert.equal(second['stream'].content, GENERAL_ANSWER);
    await h.idle();
    assert.equal(h.fake.sent.length, 1);
    assert.equal(h.fake.sent[0]!.touser, 'wangwu');
  });
});

test('slow core: an unfinished stream at once, refresh callbacks get "…" then the finished answer (never the status)', async () => {
  // The core is held until the test releases it: "before the core finished" is an event, not a duration.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let finished = false;
  const handler: MessageHandler = async () => {
    await held;
    finished = true;
    return chatAndPrivate();
  };
  await withHarness({ handler, options: { firstAnswerBudgetMs: 100 } }, async (h) => {
    const res = await h.postJson(aibotText({ msgid: 'slow-1', userid: 'zhaoliu', content: '@bot 我的聊天会被存档吗', chatid: 'g2' }));
    const first = openPassive(await res.text());
    assert.equal(finished, false, 'answered before the core finished');
    assert.equal(first['stream'].finish, false);
    assert.equal(first['stream'].content, '…');
    const id = first['stream'].id as string;

    const refresh = () => h.postJson(aibotStreamRefresh({ msgid: `r-${Math.random()}`, userid: 'zhaoliu', streamId: id, chatid: 'g2' }));
    const early = openPassive(await (await refresh()).text());
    assert.equal(early['stream'].id, id);
    assert.equal(early['stream'].finish, false);

    release();
    await h.idle();
    const done = openPassive(await (await refresh()).text());
    assert.equal(done['stream'].id, id);
    assert.equal(done['stream'].finish, true);
    assert.equal(done['stream'].content, GENERAL_ANSWER);
    assert.equal(JSON.stringify(done).includes(PRIVATE_STATUS), false);
    assert.equal(h.calls.length, 1);
    assert.equal(h.fake.sent.length, 1);
    assert.equal(h.fake.sent[0]!.touser, 'zhaoliu');
    assert.equal(h.fake.sent[0]!.text?.content, PRIVATE_STATUS);
  });
});

test('a refresh for an unknown stream is an empty 200', async () => {
  await withHarness({}, async (h) => {
    const res = await h.postJson(aibotStreamRefresh({ msgid: 'r', userid: 'u', streamId: 'stream_unknown' }));
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '');
    assert.equal(h.calls.length, 0);
  });
});

test('without the self-built app: the group gets the general answer, the private reply is dropped with a warning', async () => {
  await withHarness({ withApp: false, now: () => S3_NOW }, async (h) => {
    const res = await h.post(S3_QUERY, S3_BODY);
    const reply = openPassive(await res.text());
    assert.equal(reply['stream'].content, GENERAL_ANSWER);
    await h.idle();
    assert.deepEqual(h.backgroundErrors, []);
    assert.equal(h.fake.requests.length, 0);
    const warning = h.logs.find((l) => l.includes('private reply dropped'));
    assert.ok(warning, 'a warning is logged');
    assert.equal(warning.includes(PRIVATE_STATUS), false);
  });
});

test('enter_chat is answered with a text welcome; template_card_event replies go 1:1; feedback_event is ignored', async () => {
  const welcome: BotResult = { ...chatAndPrivate(), intent: 'welcome', replies: [{ text: '你好，我是隐私助手', visibility: 'chat' }] };
  await withHarness({ handler: async () => welcome }, async (h) => {
    const enter = openPassive(await (await h.postJson(aibotEvent({ msgid: 'ev-1', userid: 'u1', eventtype: 'enter_chat' }))).text());
    assert.deepEqual(enter, { msgtype: 'text', text: { content: '你好，我是隐私助手' } });

    const card = await h.postJson(aibotEvent({ msgid: 'ev-2', userid: 'u1', eventtype: 'template_card_event', eventKey: 'ack:n1:1' }));
    assert.equal(card.status, 200);
    assert.equal(await card.text(), '');
    await h.idle();
    assert.equal(h.calls[1]!.kind, 'ack-action');
    assert.equal(h.calls[1]!.text, 'ack:n1:1');
    assert.equal(h.fake.sent.length, 1);
    assert.equal(h.fake.sent[0]!.touser, 'u1');

    const fb = await h.postJson(aibotEvent({ msgid: 'ev-3', userid: 'u1', eventtype: 'feedback_event' }));
    assert.equal(fb.status, 200);
    assert.equal(await fb.text(), '');
    assert.equal(h.calls.length, 2);
  });
});

test('an image in 1:1 reaches the core as non-text and is answered in the chat', async () => {
  const textOnly: BotResult = { ...chatAndPrivate(), intent: 'non-text', replies: [{ text: '我只能读文字', visibility: 'chat' }] };
  await withHarness({ handler: async () => textOnly }, async (h) => {
    const reply = openPassive(await (await h.postJson(aibotMessage({ msgid: 'img-1', userid: 'u2', msgtype: 'image', fields: { image: { url: 'https://x.invalid/i' } } }))).text());
    assert.equal(reply['stream'].content, '我只能读文字');
    assert.equal(h.calls[0]!.kind, 'non-text');
  });
});

test('a core failure within the budget: 500, and the retry is handled (dedup claim released)', async () => {
  let n = 0;
  const flaky: MessageHandler = async () => {
    n++;
    if (n === 1) throw new Error('bug');
    return chatAndPrivate();
  };
  await withHarness({ handler: flaky }, async (h) => {
    const body = aibotText({ msgid: 'flaky-1', userid: 'u3', content: 'hi' });
    const first = await h.postJson(body);
    assert.equal(first.status, 500);
    assert.equal(await first.text(), 'AIBOT_HANDLER_FAILED: internal error');
    const retry = await h.postJson(body);
    assert.equal(retry.status, 200);
    assert.equal(openPassive(await retry.text())['stream'].finish, true);
    assert.equal(n, 2);
  });
});

test('a core failure after the stream started finishes the stream with a fixed apology', async () => {
  const failing: MessageHandler = async () => {
    await sleep(300);
    throw new Error('bug');
  };
  await withHarness({ handler: failing, options: { firstAnswerBudgetMs: 50 } }, async (h) => {
    const first = openPassive(await (await h.postJson(aibotText({ msgid: 'late-fail', userid: 'u4', content: 'hi' }))).text());
    assert.equal(first['stream'].finish, false);
    await h.idle();
    const done = openPassive(await (await h.postJson(aibotStreamRefresh({ msgid: 'r', userid: 'u4', streamId: first['stream'].id }))).text());
    assert.equal(done['stream'].finish, true);
    assert.match(done['stream'].content, /稍后再试/);
  });
});

test('logs hold no question, answer, status or raw user id', async () => {
  await withHarness({}, async (h) => {
    await h.post(S3_QUERY, S3_BODY);
    await h.postJson(aibotText({ msgid: 'log-2', userid: 'zhangsan', content: '我的聊天会被存档吗' }));
    await h.idle();
    const logs = h.logs.join('\n');
    assert.ok(logs.includes(hashUserId('wecom', 'zhangsan')));
    for (const secret of ['我的聊天会被存档吗', GENERAL_ANSWER, PRIVATE_STATUS, '"zhangsan"', 'c1"']) {
      assert.equal(logs.includes(secret), false, `log contains ${secret}`);
    }
  });
});

test('slow core in a 1:1 chat: the stored answer (with the asker’s status) is unreadable, and deleted once the finished stream was fetched', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const held: MessageHandler = async () => {
    await gate;
    return chatAndPrivate();
  };
  await withHarness({ handler: held, options: { firstAnswerBudgetMs: 50 } }, async (h) => {
    const first = openPassive(await (await h.postJson(aibotText({ msgid: 'held-1', userid: 'zhaoliu', content: '我的聊天会被存档吗' }))).text());
    assert.equal(first['stream'].finish, false);
    const id = first['stream'].id as string;
    const key = `aibot:stream:${id}`;
    assert.ok(await h.store.get(key), 'the unfinished stream is kept for the refresh callbacks');
    release();
    await h.idle();
    const stored = (await h.store.get(key))!;
    for (const secret of [GENERAL_ANSWER, PRIVATE_STATUS, '2026-03-01', '存档']) assert.equal(stored.includes(secret), false, `stored value shows ${secret}`);

    const refresh = () => h.postJson(aibotStreamRefresh({ msgid: `r-${Math.random()}`, userid: 'zhaoliu', streamId: id }));
    const done = openPassive(await (await refresh()).text());
    assert.equal(done['stream'].finish, true);
    assert.match(done['stream'].content as string, new RegExp(PRIVATE_STATUS), '1:1: the status is part of the answer');
    await h.idle();
    assert.equal(await h.store.get(key), null, 'deleted once the finished stream was fetched');
    const after = await refresh();
    assert.equal(after.status, 200);
    assert.equal(await after.text(), '', 'nothing left to show');
  });
});
