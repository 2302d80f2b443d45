import { after, before, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { encryptFeishu } from '../../../adapters/feishu/crypto.ts';
import { cardActionEvent, messageEvent, postCallback, type SentRecord } from '../../fakes/feishu-api.ts';
import { ENCRYPT_KEY, VERIFICATION_TOKEN, startFeishuHarness, type FeishuHarness } from './harness.ts';
import { PACE_HEADROOM, SEND_QPS_PER_CHAT } from '../../../adapters/feishu/limits.ts';
import { jumpClock, maxInWindow, minGap } from '../../helpers/virtual-clock.ts';

const ASKER = 'ou_asker000000000000000000000001';
const OTHER = 'ou_other000000000000000000000002';
const STATUS_QUESTION = '我的聊天记录有没有被存档';
const FAQ_QUESTION = '撤回的消息公司还能看到吗';

function texts(sent: SentRecord[]): string[] {
  return sent.map((s) => String(s.content.text ?? ''));
}

describe('Feishu adapter over HTTP (encrypted, signed)', () => {
  let h: FeishuHarness;
  let n = 0;
  const msgId = (): string => `om_test_${++n}`;
  before(async () => {
    h = await startFeishuHarness();
    await h.core.store.putStatuses([
      { platform: 'feishu', userId: ASKER, archived: true, since: '2026-04-15', scope: 'group chats', source: 'company policy', updatedAt: '2026-05-02T08:00:00.000Z' },
    ]);
  });
  after(async () => {
    await h.close();
  });
  const event = (o: Partial<Parameters<typeof messageEvent>[0]> & { messageId: string; text: string }) =>
    messageEvent({ appId: h.fake.appId, token: VERIFICATION_TOKEN, openId: ASKER, ...o });

  it('answers an encrypted url_verification (no signature headers) after checking its token', async () => {
    const body = { challenge: 'ch-123', token: VERIFICATION_TOKEN, type: 'url_verification' };
    const res = await postCallback(h.callbackUrl, body, { encryptKey: ENCRYPT_KEY, unsigned: true });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { challenge: 'ch-123' });
    const wrong = await postCallback(h.callbackUrl, { ...body, token: 'nope' }, { encryptKey: ENCRYPT_KEY, unsigned: true });
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /^FEISHU_BAD_TOKEN/);
  });

  // The timeout only stops a hang (an adapter that waited for its reply would never answer while the fake holds it).
  it('answers a 1:1 question with a reply to the message, its status included, within the deadline', { timeout: 120_000 }, async () => {
    h.fake.sent.length = 0;
    const id = msgId();
    // Feishu redelivers a callback not answered within 3 s: the answer must not wait for the reply. The fake
    // holds every message call, so the 200 can only come before the reply left (an event, not a duration).
    const release = h.fake.holdMessages();
    let res: Response;
    try {
      res = await postCallback(h.callbackUrl, event({ messageId: id, text: STATUS_QUESTION }), { encryptKey: ENCRYPT_KEY });
      assert.equal(res.status, 200);
      assert.equal(h.fake.sent.length, 0, 'answered before any reply was recorded');
    } finally {
      release();
    }
    assert.deepEqual(await res.json(), {});
    await h.idle();
    assert.ok(h.fake.sent.length >= 1);
    assert.ok(h.fake.sent.every((s) => (s.kind === 'reply' && s.parentId === id) || (s.kind === 'send' && s.receiveId === ASKER)));
    assert.match(texts(h.fake.sent).join('\n'), /2026-04-15/);
    assert.ok(h.fake.sent.every((s) => typeof s.uuid === 'string' && s.uuid.length > 0 && s.uuid.length <= 50));
    assert.equal(new Set(h.fake.sent.map((s) => s.uuid)).size, h.fake.sent.length);
  });

  it('verifies the signature over the raw bytes: another serialisation verifies, one changed byte does not', async () => {
    h.fake.sent.length = 0;
    const id = msgId();
    const inner = event({ messageId: id, text: FAQ_QUESTION });
    // Pretty-printed, keys reordered: JSON.stringify(JSON.parse(body)) would give other bytes.
    const bytes = Buffer.from(`{\n  "encrypt" :  "${encryptFeishu(ENCRYPT_KEY, JSON.stringify(inner, null, 1))}"\n}\n`, 'utf8');
    const tampered = await postCallback(h.callbackUrl, null, {
      encryptKey: ENCRYPT_KEY,
      rawBytes: bytes,
      tamper: (b) => {
        const c = Buffer.from(b);
        c[c.length - 1] = 0x20; // the trailing newline becomes a space: same JSON, other bytes
        return c;
      },
    });
    assert.equal(tampered.status, 401);
    assert.match(await tampered.text(), /^FEISHU_BAD_SIGNATURE/);
    await h.idle();
    assert.equal(h.fake.sent.length, 0);
    const ok = await postCallback(h.callbackUrl, null, { encryptKey: ENCRYPT_KEY, rawBytes: bytes });
    assert.equal(ok.status, 200);
    await h.idle();
    assert.equal(h.fake.sent.length, 1);
    assert.equal(h.fake.sent[0]!.parentId, id);
  });

  it('refuses an unsigned event, a wrong header token and another app', async () => {
    h.fake.sent.length = 0;
    const unsigned = await postCallback(h.callbackUrl, event({ messageId: msgId(), text: FAQ_QUESTION }), { encryptKey: ENCRYPT_KEY, unsigned: true });
    assert.equal(unsigned.status, 401);
    const badToken = await postCallback(h.callbackUrl, messageEvent({ appId: h.fake.appId, token: 'wrong', openId: ASKER, messageId: msgId(), text: FAQ_QUESTION }), { encryptKey: ENCRYPT_KEY });
    assert.equal(badToken.status, 401);
    assert.match(await badToken.text(), /^FEISHU_BAD_TOKEN/);
    const otherApp = await postCallback(h.callbackUrl, messageEvent({ appId: 'cli_ffffffffffffffff', token: VERIFICATION_TOKEN, openId: ASKER, messageId: msgId(), text: FAQ_QUESTION }), { encryptKey: ENCRYPT_KEY });
    assert.equal(otherApp.status, 403);
    const garbage = await postCallback(h.callbackUrl, null, { encryptKey: ENCRYPT_KEY, rawBytes: Buffer.from('{"encrypt":"@@@"}') });
    assert.equal(garbage.status, 400);
    await h.idle();
    assert.equal(h.fake.sent.length, 0);
  });

  it('group @-mention: the group gets the general answer @-mentioning the asker; the status goes 1:1 only', async () => {
    h.fake.sent.length = 0;
    const id = msgId();
    const res = await postCallback(
      h.callbackUrl,
      event({ messageId: id, chatType: 'group', chatId: 'oc_group1', text: `@_user_1 ${STATUS_QUESTION}`, mentions: [{ key: '@_user_1', openId: h.fake.botOpenId, name: 'privacy-bot' }] }),
      { encryptKey: ENCRYPT_KEY },
    );
    assert.equal(res.status, 200);
    await h.idle();
    const inGroup = h.fake.sent.filter((s) => s.kind === 'reply');
    const private1 = h.fake.sent.filter((s) => s.kind === 'send');
    assert.ok(inGroup.length >= 1);
    assert.ok(inGroup.every((s) => s.parentId === id));
    assert.doesNotMatch(texts(inGroup).join('\n'), /2026-04-15/);
    assert.match(texts(inGroup)[0]!, new RegExp(`^<at user_id="${ASKER}"></at> `));
    assert.ok(private1.length >= 1);
    assert.ok(private1.every((s) => s.receiveIdType === 'open_id' && s.receiveId === ASKER));
    assert.match(texts(private1).join('\n'), /2026-04-15/);
    // The bot's placeholder was stripped before the core saw the question.
    assert.equal(h.handled.at(-1)!.text, STATUS_QUESTION);
  });

  it('a group message without the bot mentioned (or mentioning someone else) is not answered', async () => {
    h.fake.sent.length = 0;
    const plain = await postCallback(h.callbackUrl, event({ messageId: msgId(), chatType: 'group', chatId: 'oc_group1', text: FAQ_QUESTION }), { encryptKey: ENCRYPT_KEY });
    const other = await postCallback(
      h.callbackUrl,
      event({ messageId: msgId(), chatType: 'group', chatId: 'oc_group1', text: `@_user_1 ${FAQ_QUESTION}`, mentions: [{ key: '@_user_1', openId: OTHER, name: 'Li' }] }),
      { encryptKey: ENCRYPT_KEY },
    );
    assert.equal(plain.status, 200);
    assert.equal(other.status, 200);
    await h.idle();
    assert.equal(h.fake.sent.length, 0);
  });

  it('a person from another tenant in a group gets the FAQ answer only, nothing 1:1', async () => {
    h.fake.sent.length = 0;
    const res = await postCallback(
      h.callbackUrl,
      event({ messageId: msgId(), chatType: 'group', chatId: 'oc_group2', senderTenantKey: 'tenant_other', text: `@_user_1 ${STATUS_QUESTION}`, mentions: [{ key: '@_user_1', openId: h.fake.botOpenId, name: 'bot' }] }),
      { encryptKey: ENCRYPT_KEY },
    );
    assert.equal(res.status, 200);
    await h.idle();
    assert.ok(h.fake.sent.length >= 1);
    assert.ok(h.fake.sent.every((s) => s.kind === 'reply'));
    assert.doesNotMatch(texts(h.fake.sent).join('\n'), /2026-04-15/);
  });

  it('a card click that is not an acknowledge button is answered with nothing', async () => {
    h.fake.sent.length = 0;
    const res = await postCallback(h.callbackUrl, cardActionEvent({ appId: h.fake.appId, token: VERIFICATION_TOKEN, openId: ASKER, openMessageId: 'om_x', value: { other: 1 } }), { encryptKey: ENCRYPT_KEY });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {});
    await h.idle();
    assert.equal(h.fake.sent.length, 0);
  });

  it('never logs the question, the answer or a raw user id', () => {
    const log = h.logText();
    assert.ok(!log.includes(STATUS_QUESTION));
    assert.ok(!log.includes('2026-04-15'));
    assert.ok(!log.includes(ASKER));
  });
});

describe('Feishu adapter: plain (unencrypted) callbacks', () => {
  let h: FeishuHarness;
  before(async () => {
    h = await startFeishuHarness({ config: { encryptKey: null } });
  });
  after(async () => {
    await h.close();
  });

  it('answers a plain url_verification and refuses a wrong token', async () => {
    const res = await postCallback(h.callbackUrl, { challenge: 'plain-1', token: VERIFICATION_TOKEN, type: 'url_verification' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { challenge: 'plain-1' });
    assert.equal((await postCallback(h.callbackUrl, { challenge: 'x', token: 'bad', type: 'url_verification' })).status, 401);
  });

  it('refuses an encrypted body when no Encrypt Key is configured, naming the variable', async () => {
    const res = await postCallback(h.callbackUrl, null, { rawBytes: Buffer.from('{"encrypt":"AAAA"}') });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /FEISHU_ENCRYPT_KEY/);
  });

  it('answers a plain event checked by its header token', async () => {
    h.fake.sent.length = 0;
    const res = await postCallback(h.callbackUrl, messageEvent({ appId: h.fake.appId, token: VERIFICATION_TOKEN, openId: ASKER, messageId: 'om_plain_1', text: FAQ_QUESTION }));
    assert.equal(res.status, 200);
    await h.idle();
    assert.equal(h.fake.sent.length, 1);
    const bad = await postCallback(h.callbackUrl, messageEvent({ appId: h.fake.appId, token: 'x', openId: ASKER, messageId: 'om_plain_2', text: FAQ_QUESTION }));
    assert.equal(bad.status, 401);
  });
});

describe('Feishu adapter: redelivery hours later', () => {
  let h: FeishuHarness;
  before(async () => {
    h = await startFeishuHarness();
  });
  after(async () => {
    mock.timers.reset();
    await h.close();
  });

  it('a redelivery 7 h later with another event_id gets no second answer; after the dedup window it would', async () => {
    const base = Date.now();
    mock.timers.enable({ apis: ['Date'], now: base });
    const body = (eventId: string) => messageEvent({ appId: h.fake.appId, token: VERIFICATION_TOKEN, openId: ASKER, messageId: 'om_redeliver', eventId, text: FAQ_QUESTION });
    assert.equal((await postCallback(h.callbackUrl, body('ev_first'), { encryptKey: ENCRYPT_KEY })).status, 200);
    await h.idle();
    assert.equal(h.fake.sent.length, 1);
    mock.timers.setTime(base + 7 * 3_600_000);
    assert.equal((await postCallback(h.callbackUrl, body('ev_second'), { encryptKey: ENCRYPT_KEY })).status, 200);
    await h.idle();
    assert.equal(h.fake.sent.length, 1, 'the redelivery was answered again');
    // Control: the clock really moves the store's expiry — 13 h later the id is forgotten.
    mock.timers.setTime(base + 13 * 3_600_000);
    assert.equal((await postCallback(h.callbackUrl, body('ev_third'), { encryptKey: ENCRYPT_KEY })).status, 200);
    await h.idle();
    assert.equal(h.fake.sent.length, 2);
    mock.timers.reset();
  });
});

describe('Feishu adapter: sending rules', () => {
  let h: FeishuHarness;
  const waits: number[] = [];
  // The pace gates and the fake share a virtual clock that moves only when a gate sleeps, and the
  // parts of a reply go one after another: each part's `at` is the time the gates released it, so
  // a stall of the (loaded) machine can neither bunch nor spread what the test reads.
  const clock = jumpClock();
  before(async () => {
    h = await startFeishuHarness({
      paceClock: clock,
      adapter: {
        partMaxBytes: 120,
        // Throttled waits only (the gates sleep on `clock`).
        sleep: async (ms) => {
          waits.push(ms);
        },
      },
    });
  });
  after(async () => {
    await h.close();
  });

  it('splits a long answer into parts, each with its own uuid, in order, paced per chat', async () => {
    h.fake.sent.length = 0;
    const res = await postCallback(h.callbackUrl, messageEvent({ appId: h.fake.appId, token: VERIFICATION_TOKEN, openId: ASKER, messageId: 'om_long', text: FAQ_QUESTION }), { encryptKey: ENCRYPT_KEY });
    assert.equal(res.status, 200);
    await h.idle();
    const sent = h.fake.sent;
    // More parts than the chat may get in one second: unpaced, they would break the rule.
    assert.ok(sent.length > SEND_QPS_PER_CHAT, `expected more than ${SEND_QPS_PER_CHAT} parts, got ${sent.length}`);
    assert.ok(sent.every((s) => Buffer.byteLength(String(s.content.text), 'utf8') <= 120));
    assert.equal(new Set(sent.map((s) => s.uuid)).size, sent.length);
    assert.equal(new Set(sent.map((s) => s.target)).size, 1, 'every part goes to the asker\'s chat');
    // The rule at the configured pace (5/s × headroom): consecutive parts at least one interval
    // apart on the gates' clock, hence never more than 5 in a second (Feishu's limit per chat).
    const intervalMs = 1000 / (SEND_QPS_PER_CHAT * PACE_HEADROOM);
    const at = sent.map((s) => s.at);
    assert.ok(minGap(at) >= intervalMs - 1e-6, `parts at +${at.map((t) => (t - at[0]!).toFixed(1)).join(', +')} ms; interval ${intervalMs.toFixed(1)} ms`);
    assert.ok(maxInWindow(at, 1000) <= SEND_QPS_PER_CHAT, `${maxInWindow(at, 1000)} parts within a second`);
    assert.deepEqual(h.fake.chatBursts(), []);
  });

  it('waits x-ogw-ratelimit-reset after a 429 / 99991400 and sends once', async () => {
    h.fake.sent.length = 0;
    waits.length = 0;
    h.fake.throttleNext(1, 3);
    const res = await postCallback(h.callbackUrl, messageEvent({ appId: h.fake.appId, token: VERIFICATION_TOKEN, openId: ASKER, messageId: 'om_throttled', text: '你好' }), { encryptKey: ENCRYPT_KEY });
    assert.equal(res.status, 200);
    await h.idle();
    assert.equal(h.fake.throttled, 1);
    assert.deepEqual(waits, [3000]);
    assert.ok(h.fake.sent.length >= 1);
  });

  it('fetches a new tenant_access_token once when Feishu says the cached one is invalid', async () => {
    h.fake.sent.length = 0;
    const before = h.fake.tokensIssued;
    h.fake.revokeTokens();
    const res = await postCallback(h.callbackUrl, messageEvent({ appId: h.fake.appId, token: VERIFICATION_TOKEN, openId: ASKER, messageId: 'om_token', text: '你好' }), { encryptKey: ENCRYPT_KEY });
    assert.equal(res.status, 200);
    await h.idle();
    assert.equal(h.fake.tokensIssued, before + 1);
    assert.ok(h.fake.sent.length >= 1);
  });
});

describe('Feishu adapter: state changes not recorded in time', () => {
  let h: FeishuHarness;
  let release: () => void = () => undefined;
  before(async () => {
    // Commits are held until the end: none can finish within the (shortened) deadline.
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    h = await startFeishuHarness({ adapter: { commit: { commitDeadlineMs: 50 } }, holdCommits: hold });
  });
  after(async () => {
    release();
    await h.close();
  });

  it('answers 503 to an acknowledgement it could not record (Feishu delivers it again), and a retry toast to a card click', async () => {
    h.fake.sent.length = 0;
    const ack = messageEvent({ appId: h.fake.appId, token: VERIFICATION_TOKEN, openId: ASKER, messageId: 'om_ack_1', text: '确认' });
    const res = await postCallback(h.callbackUrl, ack, { encryptKey: ENCRYPT_KEY });
    assert.equal(res.status, 503);
    assert.match(await res.text(), /^FEISHU_NOT_RECORDED/);
    // The claim was given back: the redelivery is handled (and again not recorded here), not swallowed as a duplicate.
    assert.equal((await postCallback(h.callbackUrl, ack, { encryptKey: ENCRYPT_KEY })).status, 503);
    const click = await postCallback(
      h.callbackUrl,
      cardActionEvent({ appId: h.fake.appId, token: VERIFICATION_TOKEN, openId: ASKER, openMessageId: 'om_card_1', value: { ack: 'ack:n1:1' } }),
      { encryptKey: ENCRYPT_KEY },
    );
    assert.equal(click.status, 200);
    const answer = (await click.json()) as { toast: { type: string }; card?: unknown };
    assert.equal(answer.toast.type, 'error');
    assert.equal(answer.card, undefined);
    // A plain question needs no commit and is answered as usual.
    assert.equal((await postCallback(h.callbackUrl, messageEvent({ appId: h.fake.appId, token: VERIFICATION_TOKEN, openId: ASKER, messageId: 'om_q_1', text: FAQ_QUESTION }), { encryptKey: ENCRYPT_KEY })).status, 200);
    await h.idle();
    assert.equal(h.fake.sent.length, 1);
    assert.equal(h.fake.sent[0]!.parentId, 'om_q_1');
  });

  it('offers no archive source: Feishu statuses come from policies and imports', () => {
    assert.equal(h.adapter.archiveSource, undefined);
    assert.equal(h.adapter.noticeChannel?.platform, 'feishu');
  });
});
