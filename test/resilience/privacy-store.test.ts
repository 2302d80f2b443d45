/**
 * The bot keeps no question, answer or status sentence readable in its store (README "Privacy of
 * the bot itself"; docs/RELIABILITY.md "Nothing readable in the store").
 *
 * An end-to-end run on every platform — WeCom app, WeCom AI bot over HTTP (an answer given at once
 * and a slow one fetched through stream refresh callbacks) and over the long connection, DingTalk
 * HTTP and Stream, Feishu (1:1, a group @-mention, a notice card acknowledged by a click, its read
 * receipt), and /try — asks questions that each carry a unique marker, in 1:1 chats and
 * groups, with the askers' statuses imported so that status sentences are sent; it also
 * acknowledges a notice. Then every store file (the SQLite db, -wal and -shm, as raw bytes, while
 * the bots run and after they stopped) and every Redis key and value under the deployment's
 * prefix are scanned for the question markers, every line of every answer actually sent (as
 * UTF-8) and the status sentences: none may be found. A positive control then writes such text
 * the way the AI bot's stream state used to be kept (plain JSON) and checks the same scan finds
 * every kind of needle.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startTestBot, type TestBot } from '../helpers/app.ts';
import { deleteRedisPrefix } from '../helpers/redis-prefix.ts';
import { buildWecomCallback, startFakeWecom, wecomTextXml, type FakeWecom } from '../fakes/wecom-api.ts';
import { sendRobotCallback, startFakeDingtalk, type FakeDingtalk } from '../fakes/dingtalk-api.ts';
import { startFakeStreamGateway, type FakeStreamGateway } from '../fakes/dingtalk-stream.ts';
import { aibotStreamRefresh, aibotText, buildAibotCallback, startFakeAibotWs, type FakeAibotWs } from '../fakes/wecom-aibot-ws.ts';
import { openAibotCiphertext } from '../../adapters/wecom-aibot/crypto.ts';
import { cardActionEvent, messageEvent, postCallback as postFeishu, readEvent, startFakeFeishu, type FakeFeishu } from '../fakes/feishu-api.ts';
import type { AdapterOptions } from '../../adapters/index.ts';
import {
  AIBOT,
  DING,
  FEISHU,
  SHARED_REDIS_URL,
  WECOM,
  WECOM_KEYS,
  deliveredNotice,
  dingEnv,
  feishuEnv,
  nextMsgId,
  passiveReply,
  sharedRedisReachable,
  uniquePrefix,
  waitUntil,
  wecomEnv,
} from './harness.ts';

const AIBOT_WS = { botId: 'bot-privacy-store', secret: 'bot-privacy-store-secret' };
const STATUS_QUESTION = '我的聊天记录有没有被存档';
const GENERAL_QUESTION = '公司能看到我的聊天记录吗';
const EN_QUESTION = 'Are my chats archived?';
const FEISHU_USER = 'ou_privacy_store_feishu_0000000001';

const redisUp = await sharedRedisReachable();

/** A marker to put in one question: ASCII, unique, ignored by the matcher. */
function marker(): string {
  return `QMK${randomBytes(5).toString('hex')}`;
}

/** Everything the store must not hold, by kind. */
interface Needles {
  questions: string[];
  answers: string[];
  statuses: string[];
}

/** Lines of replies that count as answer lines: long enough to be distinctive. */
function answerLines(texts: string[]): string[] {
  const out = new Set<string>();
  for (const t of texts) {
    for (const line of t.split('\n')) {
      const l = line.trim();
      if ([...l].length >= 8) out.add(l);
    }
  }
  return [...out];
}

/** Status sentences among reply lines (the personal archiving status line). */
function statusLines(lines: string[]): string[] {
  return lines.filter((l) => /存档状态|存檔狀態|archiving status/i.test(l));
}

/** Which needles occur in `blobs` (raw bytes, searched as UTF-8). */
function found(blobs: { where: string; bytes: Buffer }[], needles: Needles): { kind: keyof Needles; needle: string; where: string }[] {
  const hits: { kind: keyof Needles; needle: string; where: string }[] = [];
  for (const kind of ['questions', 'answers', 'statuses'] as const) {
    for (const needle of needles[kind]) {
      const n = Buffer.from(needle, 'utf8');
      for (const b of blobs) if (b.bytes.includes(n)) hits.push({ kind, needle, where: b.where });
    }
  }
  return hits;
}

/**
 * Every file of the SQLite store directory, raw. A file gone between listing and reading (SQLite
 * removes -wal and -shm when the last connection closes) holds nothing any more and is skipped.
 */
function sqliteBlobs(dir: string): { where: string; bytes: Buffer }[] {
  const out: { where: string; bytes: Buffer }[] = [];
  for (const name of readdirSync(dir)) {
    try {
      out.push({ where: name, bytes: readFileSync(join(dir, name)) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return out;
}

/** Every key under `prefix` and its value(s), raw, whatever the type. */
async function redisBlobs(url: string, prefix: string): Promise<{ where: string; bytes: Buffer }[]> {
  const c = new Redis(url);
  try {
    const out: { where: string; bytes: Buffer }[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await c.scanBuffer(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = String(next);
      for (const k of keys) {
        const key = k.toString('utf8');
        const type = await c.type(k);
        const parts: Buffer[] = [k];
        if (type === 'string') parts.push((await c.getBuffer(k)) ?? Buffer.alloc(0));
        else if (type === 'hash') for (const [f, v] of Object.entries(await c.hgetallBuffer(k))) parts.push(Buffer.from(f), v);
        else if (type === 'set') parts.push(...(await c.smembersBuffer(k)));
        else if (type === 'zset') parts.push(...(await c.zrangeBuffer(k, 0, -1, 'WITHSCORES')));
        else if (type === 'list') parts.push(...(await c.lrangeBuffer(k, 0, -1)));
        else if (type === 'stream') parts.push(Buffer.from(JSON.stringify(await c.xrange(k, '-', '+'))));
        else parts.push(Buffer.from(`<unread type ${type}>`));
        out.push({ where: `${key} (${type})`, bytes: Buffer.concat(parts) });
      }
    } while (cursor !== '0');
    return out;
  } finally {
    c.disconnect();
  }
}

function openAibot(text: string): { stream?: { id: string; finish: boolean; content: string } } {
  const outer = JSON.parse(text) as { encrypt: string; msgsignature: string; timestamp: string; nonce: string };
  return JSON.parse(openAibotCiphertext(AIBOT, { msgSignature: outer.msgsignature, timestamp: outer.timestamp, nonce: outer.nonce, encrypt: outer.encrypt }));
}

for (const kind of ['sqlite', 'redis'] as const) {
  describe(`nothing readable in the store after a run on every platform (${kind})`, { skip: kind === 'redis' && !redisUp ? `no Redis at ${SHARED_REDIS_URL}` : false }, () => {
    let dir: string;
    let prefix: string;
    let wecom: FakeWecom;
    let ding: FakeDingtalk;
    let gateway: FakeStreamGateway;
    let aibotWs: FakeAibotWs;
    let feishu: FakeFeishu;
    const bots: TestBot[] = [];
    const questions: string[] = [];
    /** Every reply text that reached a fake platform or an HTTP answer. */
    const replies: string[] = [];

    async function startBot(env: Record<string, string>, adapterOptions?: AdapterOptions): Promise<TestBot> {
      const options = adapterOptions ? { adapterOptions } : {};
      const bot =
        kind === 'sqlite'
          ? await startTestBot(env, { dataDir: dir, ...options })
          : await startTestBot(env, { redis: { url: SHARED_REDIS_URL, keyPrefix: prefix }, ...options });
      bots.push(bot);
      return bot;
    }

    function ask(q: string): string {
      const m = marker();
      questions.push(m);
      return `${q} ${m}`;
    }

    async function scan(): Promise<{ where: string; bytes: Buffer }[]> {
      return kind === 'sqlite' ? sqliteBlobs(dir) : redisBlobs(SHARED_REDIS_URL, prefix);
    }

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'privacy-store-'));
      prefix = uniquePrefix('privacy-store');
      wecom = await startFakeWecom({ corpId: WECOM.corpId, secret: WECOM.secret, agentId: Number(WECOM.agentId) });
      ding = await startFakeDingtalk({ appKey: DING.appKey, appSecret: DING.appSecret, robotCode: DING.robotCode });
      gateway = await startFakeStreamGateway({ clientId: DING.appKey, clientSecret: DING.appSecret });
      ding.setStreamGateway(gateway.gatewayUrl);
      aibotWs = await startFakeAibotWs(AIBOT_WS);
      feishu = await startFakeFeishu();
    });
    after(async () => {
      for (const b of bots) await b.close().catch(() => undefined);
      await Promise.allSettled([wecom?.close(), ding?.close(), gateway?.close(), aibotWs?.close(), feishu?.close()]);
      rmSync(dir, { recursive: true, force: true });
      await deleteRedisPrefix(SHARED_REDIS_URL, prefix);
    });

    it('runs every platform, then finds no marker, answer line or status sentence in the store', async () => {
      const aibotEnv = { WECOM_AIBOT_TOKEN: AIBOT.token, WECOM_AIBOT_ENCODING_AES_KEY: AIBOT.encodingAESKey };
      // A: WeCom app, AI bot over HTTP (answers at once), DingTalk HTTP, Feishu over HTTP, /try.
      const a = await startBot({ ...wecomEnv(wecom.url), ...dingEnv(ding.url), ...aibotEnv, ...feishuEnv(feishu) });
      // B: the AI bot over HTTP with a core slower than its first answer: refresh callbacks.
      const b = await startBot({ ...wecomEnv(wecom.url), ...aibotEnv }, { wecomAibot: { firstAnswerBudgetMs: 20 } });
      // C: the AI bot over the long connection, DingTalk Stream.
      const c = await startBot({
        ...wecomEnv(wecom.url),
        ...dingEnv(ding.url),
        DINGTALK_MODE: 'stream',
        WECOM_AIBOT_MODE: 'ws',
        WECOM_AIBOT_BOT_ID: AIBOT_WS.botId,
        WECOM_AIBOT_SECRET: AIBOT_WS.secret,
        WECOM_AIBOT_WS_URL: aibotWs.url,
      });
      const updatedAt = new Date().toISOString();
      await a.core.store.putStatuses([
        { platform: 'wecom', userId: 'zhangsan', archived: true, since: '2026-03-01', scope: '单聊和群聊', source: 'import', updatedAt },
        { platform: 'wecom', userId: 'lisi', archived: false, since: '2026-04-01', scope: null, source: 'import', updatedAt },
        { platform: 'dingtalk', userId: 'user001', archived: true, since: '2026-05-01', scope: 'internal chats', source: 'import', updatedAt },
        { platform: 'feishu', userId: FEISHU_USER, archived: true, since: '2026-06-01', scope: '群聊', source: 'import', updatedAt },
      ]);
      await deliveredNotice(a.core.notices.store, 'wecom', ['zhangsan']);

      // WeCom app, 1:1: a status question, a general one, an English one, an acknowledgement.
      for (const [from, q] of [['zhangsan', STATUS_QUESTION], ['lisi', STATUS_QUESTION], ['zhangsan', GENERAL_QUESTION], ['zhangsan', EN_QUESTION], ['zhangsan', '确认']] as const) {
        const text = q === '确认' ? q : ask(q);
        const cb = buildWecomCallback({ ...WECOM_KEYS, xml: wecomTextXml({ corpId: WECOM.corpId, from, content: text, msgId: nextMsgId() }) });
        const res = await fetch(`${a.url}/wecom/callback?${cb.query}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: cb.body });
        assert.equal(res.status, 200);
        const passive = await passiveReply(res);
        if (passive) replies.push(passive);
      }
      // AI bot over HTTP: a group question (status 1:1 via the app) and a 1:1 one, answered at once.
      for (const body of [
        aibotText({ msgid: `ps-g-${marker()}`, userid: 'zhangsan', chatid: 'wrGroupPS', content: `@隐私助手\u2005${ask(STATUS_QUESTION)}` }),
        aibotText({ msgid: `ps-s-${marker()}`, userid: 'zhangsan', content: ask(STATUS_QUESTION) }),
      ]) {
        const cb = buildAibotCallback({ ...AIBOT, json: body });
        const res = await fetch(`${a.url}/wecom/aibot/callback?${cb.query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: cb.body });
        assert.equal(res.status, 200);
        const content = openAibot(await res.text()).stream?.content;
        assert.ok(content, 'an answer at once');
        replies.push(content);
      }
      // AI bot over HTTP, slow: an unfinished stream, then refresh callbacks until it is finished.
      {
        // The status lookup waits for the test: the core is late for sure.
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        const lookup = b.core.statuses.lookup.bind(b.core.statuses);
        b.core.statuses.lookup = async (platform, userId) => {
          await gate;
          return lookup(platform, userId);
        };
        const cb = buildAibotCallback({ ...AIBOT, json: aibotText({ msgid: `ps-late-${marker()}`, userid: 'zhangsan', content: ask(STATUS_QUESTION) }) });
        const res = await fetch(`${b.url}/wecom/aibot/callback?${cb.query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: cb.body });
        const first = openAibot(await res.text()).stream!;
        assert.equal(first.finish, false, 'the slow path');
        release();
        await b.server.idle();
        // While the finished answer waits for its refresh, it is in the store — encrypted.
        const waiting = found(await scan(), { questions: [], answers: [], statuses: statusLines(answerLines(replies)) });
        assert.deepEqual(waiting, [], 'the waiting answer is not readable');
        const refresh = buildAibotCallback({ ...AIBOT, json: aibotStreamRefresh({ msgid: `ps-r-${marker()}`, userid: 'zhangsan', streamId: first.id }) });
        const done = openAibot(await (await fetch(`${b.url}/wecom/aibot/callback?${refresh.query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: refresh.body })).text()).stream!;
        assert.equal(done.finish, true);
        replies.push(done.content);
        await b.server.idle();
      }
      // AI bot over the long connection: a group question and a 1:1 one.
      await aibotWs.waitForAuth(1, 10_000);
      for (const body of [
        aibotText({ msgid: `ps-wsg-${marker()}`, userid: 'zhangsan', chatid: 'wrGroupWS', content: `@隐私助手 ${ask(STATUS_QUESTION)}` }),
        aibotText({ msgid: `ps-wss-${marker()}`, userid: 'zhangsan', content: ask(EN_QUESTION) }),
      ]) {
        const reqId = aibotWs.push(body);
        const frame = await aibotWs.waitFor((f) => f.cmd === 'aibot_respond_msg' && f.headers.req_id === reqId && f.body?.stream?.finish === true);
        replies.push(String(frame.body.stream.content));
      }
      // DingTalk HTTP: 1:1 status question, a group question.
      for (const body of [
        ding.robotMessage({ text: { content: ` ${ask(STATUS_QUESTION)}` }, senderStaffId: 'user001' }),
        ding.robotMessage({ text: { content: ` ${ask(GENERAL_QUESTION)}` }, senderStaffId: 'user001', conversationType: '2', conversationId: 'cidGroupPS', isInAtList: true }),
      ]) {
        assert.equal((await sendRobotCallback(`${a.url}/dingtalk/callback`, body, DING.appSecret)).status, 200);
      }
      // DingTalk Stream: a 1:1 status question.
      await gateway.waitFor(() => gateway.openConnections().length > 0, 10_000);
      const frameId = gateway.pushCallback(ding.robotMessage({ text: { content: ` ${ask(STATUS_QUESTION)}` }, senderStaffId: 'user001' }));
      await gateway.waitFor(() => gateway.isAcked(frameId), 10_000);
      // Feishu over HTTP (encrypted, signed): a 1:1 status question, a group @-mention (the status
      // goes 1:1), a notice card sent by the broadcast worker, acknowledged by a click, and read.
      {
        const post = (body: unknown) => postFeishu(`${a.url}/feishu/callback`, body, { encryptKey: FEISHU.encryptKey });
        const event = (o: Partial<Parameters<typeof messageEvent>[0]> & { text: string }) =>
          messageEvent({ appId: feishu.appId, token: FEISHU.verificationToken, messageId: `om_ps_${marker()}`, openId: FEISHU_USER, ...o });
        assert.equal((await post(event({ text: ask(STATUS_QUESTION) }))).status, 200);
        const mention = [{ key: '@_user_1', openId: feishu.botOpenId, name: '隐私助手' }];
        assert.equal((await post(event({ text: `@_user_1 ${ask(STATUS_QUESTION)}`, chatType: 'group', chatId: 'oc_group_ps', mentions: mention }))).status, 200);
        const notice = await a.core.notices.createNotice({ title: { zh: '飞书存档告知', en: 'Feishu archiving notice' }, body: { zh: '工作群聊会存档。', en: 'Work group chats are archived.' } });
        await a.core.notices.createBroadcast({ noticeId: notice.noticeId, platform: 'feishu', audience: { userIds: [FEISHU_USER] }, createdBy: 'api' });
        await waitUntil(() => feishu.sent.some((m) => m.msgType === 'interactive' && m.receiveId === FEISHU_USER), 30_000, 'the Feishu notice card');
        const card = feishu.sent.find((m) => m.msgType === 'interactive' && m.receiveId === FEISHU_USER)!;
        const button = (card.content.body as { elements: Record<string, unknown>[] }).elements.find((e) => e.tag === 'button')!;
        const value = (button.behaviors as { value: Record<string, unknown> }[])[0]!.value;
        const click = await post(cardActionEvent({ appId: feishu.appId, token: FEISHU.verificationToken, openId: FEISHU_USER, openMessageId: card.messageId, value }));
        assert.equal(click.status, 200);
        assert.equal(((await click.json()) as { toast?: { type: string } }).toast?.type, 'success');
        assert.equal((await post(readEvent({ appId: feishu.appId, token: FEISHU.verificationToken, openId: FEISHU_USER, messageIds: [card.messageId], readTime: Date.now() }))).status, 200);
        await a.server.idle();
      }
      // /try.
      for (const q of [STATUS_QUESTION, '这个问题和隐私无关，今天午饭吃什么']) {
        const res = await fetch(`${a.url}/try/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: ask(q), session: 'privacy-store-session' }) });
        assert.equal(res.status, 200);
        replies.push(...((await res.json()) as { replies: string[] }).replies);
      }
      for (const bot of bots) await bot.server.idle();
      await waitUntil(() => ding.webhookMessages.length + ding.otoMessages.length >= 3, 10_000, 'the DingTalk replies');
      for (const m of wecom.sent) if (m.text?.content) replies.push(m.text.content);
      for (const m of ding.webhookMessages) if (m.content) replies.push(m.content);
      for (const m of ding.otoMessages) if (m.content) replies.push(m.content);
      for (const m of ding.groupMessages) if (m.content) replies.push(m.content);
      const feishuTexts = feishu.sent.filter((m) => m.msgType === 'text').map((m) => String(m.content.text ?? ''));
      assert.ok(feishuTexts.length >= 4, `Feishu replies: ${feishuTexts.length}`);
      assert.ok(feishuTexts.some((t) => t.includes('2026-06-01')), 'a Feishu status sentence was sent');
      replies.push(...feishuTexts);

      const lines = answerLines(replies);
      const needles: Needles = { questions, answers: lines, statuses: statusLines(lines) };
      assert.ok(needles.questions.length >= 12, `questions asked: ${needles.questions.length}`);
      assert.ok(needles.statuses.length >= 3, `status sentences sent: ${JSON.stringify(needles.statuses)}`);
      assert.ok(needles.answers.length >= 20, `answer lines sent: ${needles.answers.length}`);
      assert.ok(lines.some((l) => /[\u4e00-\u9fff]/.test(l)) && lines.some((l) => /^[\x20-\x7e]+$/.test(l)), 'answer lines in Chinese and English');

      const running = await scan();
      if (kind === 'sqlite') assert.ok(running.some((f) => f.where.endsWith('-wal')), `the WAL is scanned (${running.map((f) => f.where).join(', ')})`);
      else assert.ok(running.length > 0, 'keys under the prefix');
      assert.deepEqual(found(running, needles), [], 'nothing readable while the bots run');
      for (const bot of bots.splice(0)) await bot.close();
      assert.deepEqual(found(await scan(), needles), [], 'nothing readable after they stopped');
      const bytes = (await scan()).reduce((n, f) => n + f.bytes.length, 0);
      console.log(
        `# ${kind}: scanned ${bytes} bytes for ${needles.questions.length} question markers, ${needles.answers.length} answer lines, ${needles.statuses.length} status sentences: 0 found`,
      );

      // Positive control: the same text written as the AI bot's stream state used to be kept
      // (plain JSON under aibot:stream:<id>) is found by the same scan, every kind of needle.
      const control = await startBot({});
      const q = needles.questions[0]!;
      const s = needles.statuses[0]!;
      const answer = needles.answers.find((l) => !needles.statuses.includes(l) && /[\u4e00-\u9fff]/.test(l))!;
      await control.core.store.set('aibot:stream:stream_control', JSON.stringify({ finish: true, content: `${answer}\n\n${s}` }), 600_000);
      await control.core.store.set('suggest:control', JSON.stringify({ question: q }), 600_000);
      const hits = found(await scan(), { questions: [q], answers: [answer], statuses: [s] });
      assert.deepEqual([...new Set(hits.map((h) => h.kind))].sort(), ['answers', 'questions', 'statuses'], `the scan finds planted text: ${JSON.stringify(hits.map((h) => [h.kind, h.where]))}`);
    });
  });
}
