/**
 * Acknowledgements recorded before the platform is told (docs/RELIABILITY.md, "Acknowledgements
 * recorded before the platform is told"). A platform never delivers a message again once it was
 * acknowledged, so the bot must have recorded an employee's "确认" (or an admin's "yes") before it
 * answers the callback 200, sends the Stream ack frame or the AI bot's first reply frame.
 *
 * Proof by killing, not by timing: a bot child process (kill-child.ts) SIGKILLs itself through the
 * `beforePlatformAck` seam at the exact instant its adapter is about to tell the platform about
 * one message; a bot restarted on the same store (SQLite file, or Redis under the same prefix)
 * must show the acknowledgement recorded, and the platform's redelivery must be handled — not
 * swallowed as a duplicate. The child's store is slow on purpose (every acknowledgement waits
 * 1.5 s before it is written — longer than the old "answer first" budgets of 0.7–1 s), so an
 * adapter that acknowledged before the record would die with the record missing.
 * One case per platform path: WeCom app (text, card click, an admin's "yes"), AI bot over HTTP
 * and over the long connection, DingTalk HTTP and Stream — on both stores.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestBot, type TestBot } from '../helpers/app.ts';
import { deleteRedisPrefix } from '../helpers/redis-prefix.ts';
import { buildWecomCallback, startFakeWecom, wecomEventXml, wecomTextXml, type FakeWecom } from '../fakes/wecom-api.ts';
import { sendRobotCallback, startFakeDingtalk, type FakeDingtalk, type RobotMessageBody } from '../fakes/dingtalk-api.ts';
import { startFakeStreamGateway, type FakeStreamGateway } from '../fakes/dingtalk-stream.ts';
import { aibotText, buildAibotCallback, startFakeAibotWs, type FakeAibotWs } from '../fakes/wecom-aibot-ws.ts';
import { openAibotCiphertext } from '../../adapters/wecom-aibot/crypto.ts';
import { wecomToInbound } from '../../adapters/wecom/inbound.ts';
import { parseWecomXml } from '../../adapters/wecom/xml.ts';
import { openSqliteNoticeStore } from '../../src/store/sqlite/notices.ts';
import { openRedisNoticeStore } from '../../src/store/redis/notices.ts';
import type { NoticeStore, RecipientRecord } from '../../src/store/ports/notices.ts';
import type { AdapterOptions } from '../../adapters/index.ts';
import {
  AIBOT,
  DING,
  REPO_ROOT,
  SHARED_REDIS_URL,
  WECOM,
  WECOM_KEYS,
  deliveredNotice,
  dingEnv,
  nextMsgId,
  passiveReply,
  sharedRedisReachable,
  uniquePrefix,
  wecomEnv,
} from './harness.ts';
import { embeddedStorePath } from '../../src/store/index.ts';

/** How long the child's store waits before writing an acknowledgement or a broadcast, ms. */
const SLOW_STORE_MS = 1500;
/** The child's commit deadlines (generous: the slow store must never miss them) and short dedup
 * leases (so the restarted bot handles the redelivery at once instead of after the production lease). */
const CHILD_COMMIT = { commitDeadlineMs: 20_000, leaseMs: 50 };
const CHILD_ADAPTER_OPTIONS: AdapterOptions = { wecom: { commit: CHILD_COMMIT }, dingtalk: { commit: CHILD_COMMIT }, wecomAibot: { commit: CHILD_COMMIT } };
const AIBOT_WS = { botId: 'bot-durable', secret: 'bot-durable-secret' };
const ADMIN = 'boss';
const ACKED = /确认知悉《会话存档告知》第 1 版/;

const redisUp = await sharedRedisReachable();

/** One deployment's store: where the child, the restarted bot and the test's own view point. */
interface Deployment {
  /** Environment of the child (DATA_DIR or REDIS_URL + prefix). */
  env: Record<string, string>;
  notices: NoticeStore;
  /** Starts the restarted bot (in this process) on the same store. */
  restart(env: Record<string, string>, adapterOptions?: AdapterOptions): Promise<TestBot>;
  close(): Promise<void>;
}

async function sqliteDeployment(): Promise<Deployment> {
  const dir = mkdtempSync(join(tmpdir(), 'ack-durable-'));
  const notices = openSqliteNoticeStore(embeddedStorePath(dir));
  return {
    env: { DATA_DIR: dir },
    notices,
    restart: (env, adapterOptions) => startTestBot(env, { dataDir: dir, noticeWorker: { idleMs: 50 }, ...(adapterOptions ? { adapterOptions } : {}) }),
    async close() {
      await notices.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function redisDeployment(): Promise<Deployment> {
  const prefix = uniquePrefix('ack-durable');
  const notices = await openRedisNoticeStore(SHARED_REDIS_URL, { keyPrefix: prefix });
  return {
    env: { REDIS_URL: SHARED_REDIS_URL, KILL_TEST_REDIS_PREFIX: prefix },
    notices,
    async restart(env, adapterOptions) {
      return startTestBot(env, { redis: { url: SHARED_REDIS_URL, keyPrefix: prefix }, noticeWorker: { idleMs: 50 }, ...(adapterOptions ? { adapterOptions } : {}) });
    },
    async close() {
      await notices.close();
      await deleteRedisPrefix(SHARED_REDIS_URL, prefix);
    },
  };
}

async function recipient(store: NoticeStore, broadcastId: string, userId: string): Promise<RecipientRecord> {
  const r = (await store.listRecipients(broadcastId)).find((x) => x.userId === userId);
  assert.ok(r, `recipient ${userId}`);
  return r;
}

/** A kill-child.ts process. */
interface KillChild {
  url: string;
  /** Resolves with how it ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The point it died at, once it printed it. */
  killedAt(): Record<string, unknown> | null;
  stderr(): string;
  kill(): void;
}

/** Every child started, so none outlives the file whatever a test did. */
const children = new Set<{ kill(): void }>();
after(() => {
  for (const c of children) c.kill();
});

async function spawnKillChild(env: Record<string, string>, killAt: string): Promise<KillChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test', 'resilience', 'kill-child.ts')], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      LOG_LEVEL: 'warn',
      TRY_PAGE: 'off',
      PORT: '0',
      KNOWLEDGE_DIR: join(REPO_ROOT, 'knowledge'),
      KILL_AT_MESSAGE: killAt,
      KILL_TEST_SLOW_STORE_MS: String(SLOW_STORE_MS),
      KILL_TEST_ADAPTER_OPTIONS: JSON.stringify(CHILD_ADAPTER_OPTIONS),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let buffered = '';
  let stderr = '';
  let onLine: (() => void) | null = null;
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    // The DingTalk Stream SDK prints its own plain-text lines on stdout ("connect success").
    for (const p of parts.filter((x) => x.startsWith('{'))) {
      try {
        lines.push(JSON.parse(p) as Record<string, unknown>);
      } catch {
        /* not ours */
      }
    }
    onLine?.();
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const handle = { kill: () => child.kill('SIGKILL') };
  children.add(handle);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(handle);
      resolve({ code, signal });
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    // Waits for the child's "listening" line or its exit (events); the timer is only a guard against a
    // hang, long enough for a child starting on a machine loaded by parallel runs.
    const timer = setTimeout(() => reject(new Error(`kill-child did not start within 300 s: ${stderr.slice(0, 2000)}`)), 300_000);
    const check = (): void => {
      const l = lines.find((x) => typeof x.listening === 'string');
      if (l) {
        clearTimeout(timer);
        resolve(l.listening as string);
      }
    };
    onLine = check;
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`kill-child exited before listening: ${stderr.slice(0, 2000)}`));
    });
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  return {
    url,
    exited,
    killedAt: () => (lines.find((x) => x.killing)?.killing as Record<string, unknown> | undefined) ?? null,
    stderr: () => stderr,
    kill: () => child.kill('SIGKILL'),
  };
}

/**
 * The child died by SIGKILL at the seam, right before telling the platform about `messageId`.
 * @returns whether the adapter had committed the message first (asserted by the callers after
 *   they checked the record, so that an adapter acknowledging first fails on the record itself)
 */
async function assertKilledAt(child: KillChild, platform: string, channel: string, messageId: string): Promise<boolean> {
  const timer = setTimeout(() => child.kill(), 30_000);
  const end = await child.exited;
  clearTimeout(timer);
  assert.equal(end.signal, 'SIGKILL', `the child died by SIGKILL (stderr: ${child.stderr().slice(0, 1500)})`);
  const point = child.killedAt();
  assert.deepEqual({ ...point, committed: undefined }, { platform, channel, messageId, committed: undefined }, 'killed at the acknowledgement of that message');
  return point?.committed === true;
}

/** POSTs a WeCom callback; resolves with the Response, or null when the connection died without one. */
async function postOrDie(url: string, init: RequestInit): Promise<Response | null> {
  try {
    return await fetch(url, init);
  } catch {
    return null;
  }
}

function decryptAibotAnswer(text: string): { msgtype: string; stream?: { id: string; finish: boolean; content: string } } {
  const outer = JSON.parse(text) as { encrypt: string; msgsignature: string; timestamp: string; nonce: string };
  return JSON.parse(openAibotCiphertext(AIBOT, { msgSignature: outer.msgsignature, timestamp: outer.timestamp, nonce: outer.nonce, encrypt: outer.encrypt }));
}

for (const kind of ['sqlite', 'redis'] as const) {
  describe(`acknowledgements survive a SIGKILL right before the platform is told (${kind})`, { skip: kind === 'redis' && !redisUp ? `no Redis at ${SHARED_REDIS_URL}` : false }, () => {
    let deployment: Deployment;
    let wecom: FakeWecom;
    let ding: FakeDingtalk;
    let gateway: FakeStreamGateway;
    let aibotWs: FakeAibotWs;
    let wecomNotice: { noticeId: string; broadcastId: string };
    let dingNotice: { noticeId: string; broadcastId: string };
    const wecomEnvAll = (): Record<string, string> => ({ ...wecomEnv(wecom.url) });

    before(async () => {
      deployment = kind === 'sqlite' ? await sqliteDeployment() : await redisDeployment();
      wecom = await startFakeWecom({ corpId: WECOM.corpId, secret: WECOM.secret, agentId: Number(WECOM.agentId) });
      ding = await startFakeDingtalk({ appKey: DING.appKey, appSecret: DING.appSecret, robotCode: DING.robotCode });
      // DingTalk re-pushes an unacknowledged frame after ~60 s; here after 5 s (longer than the
      // child's slow store, so the child itself never sees the re-push).
      gateway = await startFakeStreamGateway({ clientId: DING.appKey, clientSecret: DING.appSecret, repushAfterMs: 5000, maxRepushes: 3 });
      ding.setStreamGateway(gateway.gatewayUrl);
      aibotWs = await startFakeAibotWs(AIBOT_WS);
      wecomNotice = await deliveredNotice(deployment.notices, 'wecom', ['zhangsan', 'lisi', 'wangwu', 'zhaoliu', ADMIN]);
      dingNotice = await deliveredNotice(deployment.notices, 'dingtalk', ['user001', 'user002']);
    });
    after(async () => {
      await Promise.allSettled([wecom?.close(), ding?.close(), gateway?.close(), aibotWs?.close()]);
      await deployment?.close();
    });

    it('WeCom app, "确认" as text: recorded before the 200; the retry after the restart is answered, not dropped', async () => {
      const msgId = nextMsgId();
      const child = await spawnKillChild({ ...deployment.env, ...wecomEnvAll() }, msgId);
      const cb = buildWecomCallback({ ...WECOM_KEYS, xml: wecomTextXml({ corpId: WECOM.corpId, from: 'zhangsan', content: '确认', msgId }) });
      const post = { method: 'POST', headers: { 'content-type': 'text/xml' }, body: cb.body };
      assert.equal(await postOrDie(`${child.url}/wecom/callback?${cb.query}`, post), null, 'no answer: the process died first');
      const committed = await assertKilledAt(child, 'wecom', 'http', msgId);

      const bot = await deployment.restart(wecomEnvAll());
      try {
        const r = await recipient(bot.core.notices.store, wecomNotice.broadcastId, 'zhangsan');
        assert.ok(r.acknowledgedAt !== null, 'the acknowledgement is recorded');
        assert.equal(committed, true, 'committed before the platform was told');
        assert.equal(r.ackChannel, 'text');
        // WeCom got no 200, so it retries the same callback: answered (not swallowed as a duplicate).
        const retry = await fetch(`${bot.url}/wecom/callback?${cb.query}`, post);
        assert.equal(retry.status, 200);
        assert.match((await passiveReply(retry)) ?? '', /无需再次确认/);
      } finally {
        await bot.close();
      }
    });

    it('WeCom app, the card’s button: recorded before the 200', async () => {
      const createTime = Math.floor(Date.now() / 1000);
      // Card clicks carry no MsgId: the adapter's id is FromUserName + CreateTime + Event + EventKey.
      const xml = wecomEventXml({ corpId: WECOM.corpId, from: 'lisi', event: 'template_card_event', eventKey: `ack:${wecomNotice.noticeId}:1`, createTime });
      const inbound = wecomToInbound(parseWecomXml(xml), { corpId: WECOM.corpId, receivedAt: Date.now() });
      assert.equal(inbound.action, 'handle');
      const messageId = inbound.action === 'handle' ? inbound.message.messageId : '';
      const child = await spawnKillChild({ ...deployment.env, ...wecomEnvAll() }, messageId);
      const cb = buildWecomCallback({ ...WECOM_KEYS, xml });
      assert.equal(await postOrDie(`${child.url}/wecom/callback?${cb.query}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: cb.body }), null);
      const committed = await assertKilledAt(child, 'wecom', 'http', messageId);
      const r = await recipient(deployment.notices, wecomNotice.broadcastId, 'lisi');
      assert.ok(r.acknowledgedAt !== null, 'the acknowledgement is recorded');
      assert.equal(committed, true, 'committed before the platform was told');
      assert.equal(r.ackChannel, 'card');
    });

    it('WeCom app, an admin’s "yes": the broadcast is recorded before the 200; the retry after the restart starts it', async () => {
      const env = { ...wecomEnvAll(), ADMIN_USERS: `wecom:${ADMIN}` };
      const askId = nextMsgId();
      const yesId = nextMsgId();
      const child = await spawnKillChild({ ...deployment.env, ...env }, yesId);
      const ask = buildWecomCallback({ ...WECOM_KEYS, xml: wecomTextXml({ corpId: WECOM.corpId, from: ADMIN, content: `/notice send ${wecomNotice.noticeId} users wangwu`, msgId: askId }) });
      const asked = await fetch(`${child.url}/wecom/callback?${ask.query}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: ask.body });
      assert.match((await passiveReply(asked)) ?? '', /About to send/);
      const before = (await deployment.notices.listBroadcasts(100)).length;
      const yes = buildWecomCallback({ ...WECOM_KEYS, xml: wecomTextXml({ corpId: WECOM.corpId, from: ADMIN, content: 'yes', msgId: yesId }) });
      const post = { method: 'POST', headers: { 'content-type': 'text/xml' }, body: yes.body };
      assert.equal(await postOrDie(`${child.url}/wecom/callback?${yes.query}`, post), null);
      const committed = await assertKilledAt(child, 'wecom', 'http', yesId);
      const all = await deployment.notices.listBroadcasts(100);
      assert.equal(all.length, before + 1, 'the confirmed broadcast is recorded');
      assert.equal(committed, true, 'committed before the platform was told');
      const confirmed = all.filter((b) => b.createdBy === `chat:wecom:${ADMIN}`);
      assert.equal(confirmed.length, 1);
      const recorded = confirmed;

      const bot = await deployment.restart(env);
      try {
        const retry = await fetch(`${bot.url}/wecom/callback?${yes.query}`, post);
        assert.equal(retry.status, 200);
        await bot.server.idle();
        const sent = wecom.sent.filter((m) => m.touser === ADMIN).map((m) => m.text?.content ?? '');
        const passive = (await passiveReply(retry)) ?? '';
        // The child may have begun resolving the audience before it died (WeCom waits for a passive
        // reply): the retry then finds it started, otherwise it resumes it.
        assert.match([passive, ...sent].join('\n'), new RegExp(`Sending started: ${recorded[0]!.id}, 1 recipient|already confirmed: ${recorded[0]!.id} \\((?:sending|done)\\)`));
        const b = (await deployment.notices.getBroadcast(recorded[0]!.id))!;
        assert.ok(b.state === 'sending' || b.state === 'done', `started (${b.state})`);
        assert.equal(b.counts.targeted, 1, 'its one recipient');
        assert.equal((await deployment.notices.listBroadcasts(100)).length, before + 1, 'one broadcast');
        await bot.core.notices.cancel(recorded[0]!.id).catch(() => undefined);
      } finally {
        await bot.close();
      }
    });

    it('WeCom AI bot over HTTP, "确认" in the 1:1 chat: recorded before the answer; the retry is answered', async () => {
      const env = { ...wecomEnvAll(), WECOM_AIBOT_TOKEN: AIBOT.token, WECOM_AIBOT_ENCODING_AES_KEY: AIBOT.encodingAESKey };
      const msgid = `aibot-durable-${randomBytes(4).toString('hex')}`;
      const child = await spawnKillChild({ ...deployment.env, ...env }, msgid);
      const cb = buildAibotCallback({ ...AIBOT, json: aibotText({ msgid, userid: 'wangwu', content: '确认' }) });
      const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body: cb.body };
      assert.equal(await postOrDie(`${child.url}/wecom/aibot/callback?${cb.query}`, post), null);
      const committed = await assertKilledAt(child, 'wecom-aibot', 'http', msgid);

      const bot = await deployment.restart(env);
      try {
        const r = await recipient(bot.core.notices.store, wecomNotice.broadcastId, 'wangwu');
        assert.ok(r.acknowledgedAt !== null, 'the acknowledgement is recorded');
        assert.equal(committed, true, 'committed before the platform was told');
        const retry = await fetch(`${bot.url}/wecom/aibot/callback?${cb.query}`, post);
        assert.equal(retry.status, 200);
        const answer = decryptAibotAnswer(await retry.text());
        assert.equal(answer.stream?.finish, true);
        assert.match(answer.stream!.content, /无需再次确认/);
      } finally {
        await bot.close();
      }
    });

    it('WeCom AI bot over the long connection, "确认": recorded before the first reply frame', async () => {
      const env = { ...wecomEnvAll(), WECOM_AIBOT_MODE: 'ws', WECOM_AIBOT_BOT_ID: AIBOT_WS.botId, WECOM_AIBOT_SECRET: AIBOT_WS.secret, WECOM_AIBOT_WS_URL: aibotWs.url };
      const msgid = `aibot-ws-durable-${randomBytes(4).toString('hex')}`;
      const auths = aibotWs.authCount;
      const child = await spawnKillChild({ ...deployment.env, ...env }, msgid);
      await aibotWs.waitForAuth(auths + 1, 30_000);
      const reqId = aibotWs.push(aibotText({ msgid, userid: 'zhaoliu', content: '确认' }));
      const committed = await assertKilledAt(child, 'wecom-aibot', 'ws', msgid);
      assert.equal(aibotWs.replies.filter((f) => f.headers.req_id === reqId).length, 0, 'no frame was sent for it');
      const bot = await deployment.restart(env);
      try {
        const r = await recipient(bot.core.notices.store, wecomNotice.broadcastId, 'zhaoliu');
        assert.ok(r.acknowledgedAt !== null, 'the acknowledgement is recorded');
        assert.equal(committed, true, 'committed before the platform was told');
      } finally {
        await bot.close();
      }
    });

    it('DingTalk HTTP, "确认": recorded before the 200; the redelivery after the restart is answered', async () => {
      const env = dingEnv(ding.url);
      const body: RobotMessageBody = ding.robotMessage({ text: { content: ' 确认' }, senderStaffId: 'user001' });
      const child = await spawnKillChild({ ...deployment.env, ...env }, body.msgId);
      const died = await sendRobotCallback(`${child.url}/dingtalk/callback`, body, DING.appSecret).then(
        () => false,
        () => true,
      );
      assert.equal(died, true, 'no answer: the process died first');
      const committed = await assertKilledAt(child, 'dingtalk', 'http', body.msgId);

      const bot = await deployment.restart(env);
      try {
        const r = await recipient(bot.core.notices.store, dingNotice.broadcastId, 'user001');
        assert.ok(r.acknowledgedAt !== null, 'the acknowledgement is recorded');
        assert.equal(committed, true, 'committed before the platform was told');
        assert.equal(r.ackChannel, 'text');
        const before = ding.webhookMessages.length;
        const again = await sendRobotCallback(`${bot.url}/dingtalk/callback`, body, DING.appSecret);
        assert.equal(again.status, 200);
        await bot.server.idle();
        const replies = ding.webhookMessages.slice(before).map((m) => m.content ?? '');
        assert.equal(replies.length, 1, 'the redelivery was answered once');
        assert.match(replies[0]!, /无需再次确认/);
      } finally {
        await bot.close();
      }
    });

    it('DingTalk Stream, "确认": recorded before the ack frame; DingTalk’s re-push reaches the restarted bot and is acknowledged', async () => {
      const env = { ...dingEnv(ding.url), DINGTALK_MODE: 'stream' };
      const body: RobotMessageBody = ding.robotMessage({ text: { content: ' 确认' }, senderStaffId: 'user002' });
      const child = await spawnKillChild({ ...deployment.env, ...env }, body.msgId);
      await gateway.waitFor(() => gateway.openConnections().length > 0, 30_000);
      const frameId = gateway.pushCallback(body);
      const committed = await assertKilledAt(child, 'dingtalk', 'stream', body.msgId);
      assert.equal(gateway.isAcked(frameId), false, 'the frame was never acknowledged');
      const r0 = await recipient(deployment.notices, dingNotice.broadcastId, 'user002');
      assert.ok(r0.acknowledgedAt !== null, 'the acknowledgement is recorded');
      assert.equal(committed, true, 'committed before the platform was told');

      const bot = await deployment.restart(env);
      try {
        const before = ding.webhookMessages.length;
        await gateway.waitFor(() => gateway.isAcked(frameId), 30_000);
        await bot.server.idle();
        const replies = ding.webhookMessages.slice(before).map((m) => m.content ?? '');
        assert.equal(replies.length, 1, 'the re-push was answered once');
        assert.match(replies[0]!, /无需再次确认/);
        assert.ok(gateway.pushes.some((p) => p.messageId === frameId && p.attempt > 0), 'it came as DingTalk’s re-push');
      } finally {
        await bot.close();
      }
    });
  });
}
