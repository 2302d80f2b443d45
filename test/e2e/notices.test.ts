/**
 * Archiving notices end to end over loopback: the admin HTTP API, the real bot (router, stores,
 * broadcast worker) and the fake notice platform, once on the embedded SQLite store and once on
 * Redis (skipped without Redis unless CI or REQUIRE_REDIS is set, then a failure). The counts
 * are checked after every step: targeted = pending + sent + failed, read and acknowledged ≤ sent.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exportRows } from '../helpers/export-csv.ts';
import { zonedIso } from '../../src/evidence/time.ts';
import { readFileSync } from 'node:fs';
import { parsePublicKey } from '../../src/evidence/key.ts';
import { verifyExport } from '../../src/evidence/verify.ts';

const EVIDENCE_SEED = readFileSync(new URL('../fixtures/evidence/seed.b64', import.meta.url), 'utf8').trim();
const EVIDENCE_PUBLIC_KEY = parsePublicKey(readFileSync(new URL('../fixtures/evidence/pub.pem', import.meta.url), 'utf8'));
import type { InboundMessage } from '../../src/platform/message.ts';
import { READ_UNKNOWN } from '../../src/evidence/csv.ts';
import { startFakeNoticePlatform } from '../fakes/notice-platform.ts';
import { systemClock, type Clock } from '../../src/notices/clock.ts';
import { REDIS_TEST_URL, redisUnreachable, startNoticeBot, type Backend, type NoticeBot } from './notices-harness.ts';

const mustHaveRedis = Boolean(process.env.CI || process.env.REQUIRE_REDIS);
const unreachable = await redisUnreachable();
if (unreachable && mustHaveRedis) {
  it('Redis is reachable (required because CI or REQUIRE_REDIS is set)', () => assert.fail(`Redis not reachable at ${REDIS_TEST_URL}: ${unreachable}`));
}
const redisSkip = unreachable && !mustHaveRedis ? `Redis not reachable at ${REDIS_TEST_URL} (${unreachable}); set REQUIRE_REDIS=1 to make this a failure` : false;
if (redisSkip) console.log(`# SKIP redis notice end-to-end tests: ${redisSkip}`);

/** Lease of the batch the crashed instance holds, in ms: far longer than any test step under load. */
const LEASE_MS = 10 * 60_000;
const USERS = Array.from({ length: 45 }, (_, i) => `u${String(i).padStart(2, '0')}`);
const INVALID = ['gone1', 'gone2'];
const CONTENT = { title: { zh: '会话存档告知', en: 'Chat archiving notice' }, body: { zh: '公司对工作聊天进行会话存档。', en: 'Work chats are archived.' } };

interface View {
  id: string;
  state: string;
  counts: { targeted: number; pending: number; sent: number; failed: number; read: number; acknowledged: number };
  reminder: { round: number; targeted: number; pending: number; sent: number; failed: number };
  failures: { userId: string; reason: string }[];
  duplicates: number;
}

let seq = 0;
function msg(userId: string, text: string, over: Partial<InboundMessage> = {}): InboundMessage {
  seq += 1;
  return { platform: 'wecom', tenant: 'corp', userId, chat: { kind: 'single' }, kind: 'text', text, mentionedBot: false, messageId: `e2e-${seq}`, receivedAt: Date.now(), ...over };
}

/** GET the broadcast and assert the counts add up. */
async function view(bot: NoticeBot, id: string): Promise<View> {
  const r = await bot.admin('GET', `/admin/broadcasts/${id}`);
  assert.equal(r.status, 200);
  const v = (await r.json()) as View;
  const c = v.counts;
  assert.equal(c.targeted, c.pending + c.sent + c.failed, `targeted = pending + sent + failed: ${JSON.stringify(c)}`);
  assert.ok(c.read <= c.sent && c.acknowledged <= c.sent, JSON.stringify(c));
  // The failure list and the counts are two reads: equal once nothing moves (a worker may be between them).
  if (v.state === 'done') assert.equal(v.failures.length, c.failed);
  const r2 = v.reminder;
  assert.equal(r2.targeted, r2.pending + r2.sent + r2.failed, `reminder counts: ${JSON.stringify(r2)}`);
  return v;
}

/** Polls the broadcast (checking counts each time) until `done(view)`. */
async function until(bot: NoticeBot, id: string, done: (v: View) => boolean, timeoutMs = 60_000): Promise<View> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await view(bot, id);
    if (done(v)) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting; last view ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

async function createNotice(bot: NoticeBot): Promise<string> {
  const r = await bot.admin('POST', '/admin/notices', CONTENT);
  assert.equal(r.status, 201);
  return ((await r.json()) as { id: string }).id;
}

async function broadcast(bot: NoticeBot, body: unknown): Promise<string> {
  const r = await bot.admin('POST', '/admin/broadcasts', body);
  assert.equal(r.status, 201, await r.clone().text());
  return ((await r.json()) as { id: string }).id;
}

function suite(name: string, backend: () => Backend, skip: string | false): void {
  describe(`archiving notices end to end (${name})`, { skip }, () => {
    const bots: NoticeBot[] = [];
    after(async () => {
      for (const b of bots.reverse()) await b.close();
    });
    const start = async (opts: Parameters<typeof startNoticeBot>[0]) => {
      const b = await startNoticeBot(opts);
      bots.push(b);
      return b;
    };

    it('whole lifecycle: create, send to all, invalid users, ack by text and card, exports, reminder, resend failed', async () => {
      const bot = await start({ backend: backend(), fake: { users: USERS, departments: { '1': USERS.slice(0, 10) }, batchLimit: 20, invalidUsers: INVALID }, env: { EVIDENCE_SIGNING_KEY: EVIDENCE_SEED } });
      // The directory lists two people the platform then refuses.
      bot.fake.reset();
      const noticeId = await createNotice(bot);
      const id = await broadcast(bot, { noticeId, platform: 'wecom', audience: { userIds: [...USERS, ...INVALID] } });
      const done = await until(bot, id, (v) => v.state === 'done');
      assert.deepEqual(done.counts, { targeted: 47, pending: 0, sent: 45, failed: 2, read: 0, acknowledged: 0 });
      assert.deepEqual(done.failures, INVALID.map((userId) => ({ userId, reason: 'invaliduser' })));
      assert.equal(done.duplicates, 0);
      assert.deepEqual(bot.fake.duplicates(), [], 'no employee got the version twice');
      assert.deepEqual([...bot.fake.firstDeliveries().keys()].sort(), USERS);
      assert.ok(bot.fake.stats.maxBatch <= 20 && bot.fake.stats.batchLimitViolations === 0);

      // Acknowledgement by text, then by the card button; twice changes nothing.
      const t = await bot.core.handle(msg('u00', '确认'));
      assert.match(t.replies[0]!.text, /^已记录：你已于 \d{4}-\d{2}-\d{2} 确认知悉《会话存档告知》第 1 版。/);
      let v = await view(bot, id);
      assert.equal(v.counts.acknowledged, 1);
      const c = await bot.core.handle(msg('u01', `ack:${noticeId}:1`, { kind: 'ack-action' }));
      assert.match(c.replies[0]!.text, /Recorded: you acknowledged notice "Chat archiving notice" v1/);
      v = await view(bot, id);
      assert.equal(v.counts.acknowledged, 2);
      const twice = await bot.core.handle(msg('u01', 'ack'));
      assert.match(twice.replies[0]!.text, /You already acknowledged notice "Chat archiving notice" v1 on \d{4}-\d{2}-\d{2}/);
      assert.equal((await view(bot, id)).counts.acknowledged, 2);
      const none = await bot.core.handle(msg('gone1', '知道了'));
      assert.doesNotMatch(none.replies.map((x) => x.text).join('\n'), /确认知悉/, 'a failed recipient has nothing to acknowledge');

      // Exports.
      const csvRes = await bot.admin('GET', `/admin/broadcasts/${id}/recipients.csv`);
      const csvBytes = Buffer.from(await csvRes.arrayBuffer()); // the bytes as downloaded (text() would drop the BOM)
      const csvText = csvBytes.toString('utf8');
      const rows = exportRows(csvText);
      assert.equal(rows.length, 47);
      const byUser = new Map(rows.map((r) => [r.userId!, r]));
      assert.equal(byUser.get('u00')!.state, 'acknowledged');
      assert.equal(byUser.get('u00')!.acknowledgedVia, 'text');
      assert.equal(byUser.get('u01')!.acknowledgedVia, 'card');
      assert.equal(byUser.get('u02')!.state, 'sent');
      assert.match(byUser.get('u02')!.sentAt!, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$/, 'the company time zone with its offset');
      assert.equal(byUser.get('u02')!.readAt, READ_UNKNOWN);
      assert.deepEqual([byUser.get('gone1')!.state, byUser.get('gone1')!.failureReason], ['failed', 'invaliduser']);
      const auditBytes = Buffer.from(await (await bot.admin('GET', `/admin/broadcasts/${id}/audit.csv`)).arrayBuffer());
      const audit = exportRows(auditBytes.toString('utf8'));
      // Both exports are signed evidence: offline verification with the published key says intact.
      for (const [kind, bytes] of [['audit', auditBytes], ['recipients', csvBytes]] as const) {
        const report = verifyExport(bytes, { publicKey: EVIDENCE_PUBLIC_KEY });
        assert.deepEqual([report.ok, report.kind, report.signature, report.problems], [true, kind, 'valid', []], kind);
      }
      assert.deepEqual(audit.map((e) => Number(e.seq)), audit.map((_e, i) => i + 1), 'the audit rows are the whole chain');
      assert.deepEqual(audit.filter((e) => Date.parse(e.time!) !== Number(e.timeMs) || !e.time!.endsWith('+08:00')), [], 'time = timeMs, in the company zone');
      const trail = (u: string) => audit.filter((e) => e.userId === u).map((e) => `${e.from}->${e.to}`);
      assert.deepEqual(trail('u00'), ['none->pending', 'pending->sent', 'sent->acknowledged']);
      assert.deepEqual(trail('gone1'), ['none->pending', 'pending->failed']);
      assert.deepEqual(audit.filter((e) => e.userId === '').map((e) => e.to), ['resolving', 'sending', 'done']);

      // A reminder to the unacknowledged: same version, recorded as a reminder, counts unchanged.
      let r = await bot.admin('POST', `/admin/broadcasts/${id}/resend`, { only: 'unacknowledged' });
      assert.deepEqual(await r.json(), { id, only: 'unacknowledged', queued: 43, round: 1 });
      v = await until(bot, id, (x) => x.state === 'done');
      assert.deepEqual(v.reminder, { round: 1, targeted: 43, pending: 0, sent: 43, failed: 0 });
      assert.deepEqual(v.counts, { targeted: 47, pending: 0, sent: 45, failed: 2, read: 0, acknowledged: 2 });
      const reminded = bot.fake.delivered.filter((d) => d.reminder === 1).map((d) => d.userId).sort();
      assert.equal(reminded.length, 43);
      assert.ok(!reminded.includes('u00') && !reminded.includes('u01'));
      assert.deepEqual(bot.fake.duplicates(), [], 'a reminder is not an accidental duplicate');

      // Resend failed: they are tried again (and fail again: still invalid).
      r = await bot.admin('POST', `/admin/broadcasts/${id}/resend`, { only: 'failed' });
      assert.deepEqual(await r.json(), { id, only: 'failed', queued: 2, round: 0 });
      v = await until(bot, id, (x) => x.state === 'done');
      assert.deepEqual(v.counts, { targeted: 47, pending: 0, sent: 45, failed: 2, read: 0, acknowledged: 2 });

      // The employee's status answer names the acknowledged notice.
      const s = await bot.core.handle(msg('u00', '我的聊天记录现在有没有被公司存档'));
      assert.match(s.replies[0]!.text, /你已于 \d{4}-\d{2}-\d{2} 确认知悉《会话存档告知》第 1 版。/);

      // A second broadcast of the same version to a department skips everyone who already has it.
      const again = await broadcast(bot, { noticeId, platform: 'wecom', audience: { departmentIds: ['1'] } });
      v = await until(bot, again, (x) => x.state === 'done');
      assert.deepEqual(v.counts, { targeted: 10, pending: 0, sent: 10, failed: 0, read: 0, acknowledged: 2 });
      assert.deepEqual(bot.fake.duplicates(), []);
    });

    it('throttling backs off and retries only that batch; nobody is lost or sent twice', async () => {
      const bot = await start({ backend: backend(), fake: { users: USERS, batchLimit: 20, randomThrottle: 0.3, retryAfterMs: 30 } });
      bot.fake.throttleNext(2);
      const noticeId = await createNotice(bot);
      const id = await broadcast(bot, { noticeId, platform: 'wecom', audience: { all: true } });
      const v = await until(bot, id, (x) => x.state === 'done');
      assert.deepEqual(v.counts, { targeted: 45, pending: 0, sent: 45, failed: 0, read: 0, acknowledged: 0 });
      assert.ok(bot.fake.stats.throttled >= 2);
      assert.deepEqual(bot.fake.duplicates(), []);
      assert.equal(bot.fake.firstDeliveries().size, 45);
      assert.ok(bot.server.noticeWorker!.metrics.throttledBatches >= 2);
    });

    it('read receipts are polled on a platform that has them', async () => {
      const bot = await start({ backend: backend(), fake: { users: USERS.slice(0, 5) } });
      const noticeId = await createNotice(bot);
      const id = await broadcast(bot, { noticeId, platform: 'dingtalk', audience: { all: true } });
      await until(bot, id, (x) => x.state === 'done');
      const readAt = Date.now();
      bot.fake.read('u03', readAt);
      const v = await until(bot, id, (x) => x.counts.read === 1);
      assert.equal(v.counts.sent, 5);
      const rows = exportRows(await (await bot.admin('GET', `/admin/broadcasts/${id}/recipients.csv`)).text());
      assert.equal(rows.find((r) => r.userId === 'u03')!.readAt, zonedIso(readAt, 'Asia/Shanghai'));
      assert.equal(rows.find((r) => r.userId === 'u03')!.state, 'read');
      assert.equal(rows.find((r) => r.userId === 'u04')!.readAt, '', 'not read yet (known, unlike WeCom)');
    });

    it('an instance that crashes mid-batch: another instance takes the batch over after the lease; nobody twice, nobody lost', async () => {
      const fake = await startFakeNoticePlatform({ users: USERS, batchLimit: 20 });
      try {
        // Instance A (no worker) starts the broadcast, claims a batch and "crashes" (never sends or records).
        const a = await start({ backend: backend(), fake, worker: false });
        const noticeId = await createNotice(a);
        const id = await broadcast(a, { noticeId, platform: 'wecom', audience: { all: true } });
        const lost = await a.core.notices.store.claimBatch(id, { owner: 'instance-a', max: 20, leaseMs: LEASE_MS, deferMs: 100 }, Date.now());
        assert.equal(lost?.users.length, 20);
        // Instance B shares the store and runs a worker. Its clock is the real one until the test
        // moves it past A's lease: however slow the machine, the lease holds until then.
        const moved = { ms: 0 };
        const clock: Clock = { now: () => Date.now() + moved.ms, sleep: (ms, signal) => systemClock.sleep(ms, signal) };
        const b = await start({ backend: a.backend, fake, worker: { idleMs: 20 }, clock });
        let v = await until(b, id, (x) => x.counts.sent === 25);
        assert.equal(v.counts.pending, 20, 'A’s batch waits for its lease');
        moved.ms = LEASE_MS + 1; // A's lease is over for B
        v = await until(b, id, (x) => x.state === 'done');
        assert.deepEqual(v.counts, { targeted: 45, pending: 0, sent: 45, failed: 0, read: 0, acknowledged: 0 });
        assert.deepEqual(fake.duplicates(), []);
        assert.deepEqual([...fake.firstDeliveries().keys()].sort(), USERS);
        assert.equal(b.server.noticeWorker!.metrics.leasesTakenOver, 20);
        // A's results, should they ever arrive, are not applied.
        const late = await a.core.notices.store.settleBatch(lost!, { sent: lost!.users.map((u) => u.userId), failed: [], retry: [] }, Date.now());
        assert.equal(late.applied, 0);
        assert.deepEqual((await view(b, id)).counts.sent, 45);
      } finally {
        await fake.close();
      }
    });
  });
}

suite('embedded SQLite store', () => ({ kind: 'sqlite' }), false);
if (!unreachable || !mustHaveRedis) suite('Redis', () => ({ kind: 'redis', url: REDIS_TEST_URL }), redisSkip);
