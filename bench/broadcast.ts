/**
 * Broadcast benchmark (`npm run bench:broadcast`): archiving notices to 10,000 WeCom and
 * 2,000 DingTalk employees through the real adapters' notice channels, against the fake platform
 * servers of test/fakes/ with their documented rate limits on and random throttling.
 *
 * Phase 1 — one process, embedded SQLite store, one broadcast worker.
 * Phase 2 — Redis shared by two forked worker processes; worker A is killed (SIGKILL) once a third
 *           of the DingTalk recipients are recorded; worker B finishes, taking A's leased batches over after
 *           their lease (BENCH_LEASE_MS, default 10 s).
 * Printed per platform: audience resolution time, delivery time against the lower bound the rate
 * limits allow, recipients lost (must be 0), and employees who got the notice twice (phase 1 must
 * be 0; phase 2 prints them: a batch in flight when A died may be sent again — WeCom's
 * enable_duplicate_check absorbs that, DingTalk's batchSend has no idempotency key).
 *
 * Lower bounds (delivery only, audience already resolved): WeCom = message/send calls ÷ the base
 * API frequency (10,000 calls/min per corp and API, protocols.md §1.6); DingTalk = batchSend calls
 * (20 users each) ÷ 20 calls/s per app and API (protocols.md §3.4, UNVERIFIED figure the fake enforces).
 *
 * Environment: REDIS_URL (default redis://127.0.0.1:6379; phase 2 is skipped with a note when it
 * does not answer), BENCH_WECOM_USERS (10000), BENCH_DINGTALK_USERS (2000), BENCH_LEASE_MS (10000),
 * BENCH_THROTTLE (random throttling probability per call, default 0.02).
 * Exit code 1 when a recipient was lost or phase 1 sent a duplicate.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createAdapters } from '../adapters/index.ts';
import { loadConfig, type Config } from '../src/app/config.ts';
import { createLogger } from '../src/log.ts';
import { NoticeService } from '../src/notices/service.ts';
import { BroadcastWorker, type WorkerMetrics } from '../src/notices/worker.ts';
import { openStores } from '../src/store/index.ts';
import { deleteRedisPrefix } from '../test/helpers/redis-prefix.ts';
import type { NoticeStore } from '../src/store/ports/notices.ts';
import type { Store } from '../src/store/ports/store.ts';
import type { MessageHandler } from '../src/platform/message.ts';
import { startFakeWecom, type FakeWecom } from '../test/fakes/wecom-api.ts';
import { generateDirectory, startFakeDingtalk, type FakeDingtalk } from '../test/fakes/dingtalk-api.ts';

const SELF = fileURLToPath(import.meta.url);
const REPO = fileURLToPath(new URL('..', import.meta.url));
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const WECOM_USERS = Number(process.env.BENCH_WECOM_USERS ?? 10_000);
const DINGTALK_USERS = Number(process.env.BENCH_DINGTALK_USERS ?? 2_000);
const LEASE_MS = Number(process.env.BENCH_LEASE_MS ?? 10_000);
const THROTTLE = Number(process.env.BENCH_THROTTLE ?? 0.02);
/** Documented limits the lower bounds use (protocols.md §1.6, §3.4). */
const WECOM_CALLS_PER_MINUTE = 10_000;
const WECOM_BATCH = 1000;
const DINGTALK_CALLS_PER_SECOND = 20;
const DINGTALK_BATCH = 20;

const CONTENT = {
  title: { zh: '会话存档告知', en: 'Chat archiving notice' },
  body: { zh: '公司对工作聊天进行会话存档，保存 3 年，仅合规部门可查阅。', en: 'Work chats are archived for 3 years; only compliance may read them.' },
};

const silent = createLogger('silent');
const noReplies: MessageHandler = async () => ({ replies: [], intent: 'empty', topic: null, score: 0, suggestions: [], lang: 'zh-CN' });

/** The environment that configures both platforms against the fakes. */
function platformEnv(wecomUrl: string, dingtalkUrl: string, dataDir: string): Record<string, string> {
  return {
    KNOWLEDGE_DIR: join(REPO, 'knowledge'),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    WECOM_CORP_ID: 'wwbenchcorp000001',
    WECOM_AGENT_ID: '1000002',
    WECOM_SECRET: 'bench-secret',
    WECOM_TOKEN: 'QDG6eK',
    WECOM_ENCODING_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
    WECOM_API_BASE: wecomUrl,
    DINGTALK_APP_KEY: 'dingfakeappkey',
    DINGTALK_APP_SECRET: 'testSecret',
    DINGTALK_ROBOT_CODE: 'dingfakeappkey',
    DINGTALK_API_BASE: dingtalkUrl,
  };
}

/** A notice service with the adapters' channels registered, over the given stores. */
function serviceFor(config: Config, store: Store, notices: NoticeStore): NoticeService {
  const service = new NoticeService({ store: notices, log: silent });
  const { adapters } = createAdapters(config, { handle: noReplies, kv: store, log: silent, now: Date.now, background: (_n, w) => void w().catch(() => {}) });
  for (const a of adapters) if (a.noticeChannel) service.registerChannel(a.noticeChannel);
  return service;
}

interface Fakes {
  wecom: FakeWecom;
  dingtalk: FakeDingtalk;
  wecomUsers: string[];
  dingtalkUsers: string[];
}

async function startFakes(seed: number): Promise<Fakes> {
  const wecomUsers = Array.from({ length: WECOM_USERS }, (_, i) => `w${String(i + 1).padStart(5, '0')}`);
  const departments = Array.from({ length: 20 }, (_, i) => ({ id: 10 + i, parentid: 1 }));
  const wecom = await startFakeWecom({ corpId: 'wwbenchcorp000001', secret: 'bench-secret', agentId: 1000002, rateLimits: true });
  wecom.setDirectory(wecomUsers.map((userid, i) => ({ userid, department: [10 + (i % 20)] })), departments);
  wecom.throttleRandomly(THROTTLE, seed);
  const directory = generateDirectory({ users: DINGTALK_USERS, departments: 12 });
  const dingtalk = await startFakeDingtalk({ qpsLimit: DINGTALK_CALLS_PER_SECOND, seed });
  dingtalk.setDirectory(directory);
  dingtalk.throttleRandomly(THROTTLE);
  return { wecom, dingtalk, wecomUsers, dingtalkUsers: directory.users.map((u) => u.userid) };
}

/** Who got the notice how often (first deliveries only; the WeCom card is what carries the notice). */
function tally(f: Fakes): { wecom: Map<string, number>; dingtalk: Map<string, number> } {
  const wecom = new Map<string, number>();
  for (const d of f.wecom.deliveries) if (d.msgtype === 'template_card') wecom.set(d.userId, (wecom.get(d.userId) ?? 0) + 1);
  const dingtalk = new Map<string, number>();
  for (const d of f.dingtalk.deliveries) dingtalk.set(d.userId, (dingtalk.get(d.userId) ?? 0) + 1);
  return { wecom, dingtalk };
}

function report(label: string, users: string[], got: Map<string, number>, resolveMs: number, deliverMs: number, boundMs: number, extra = ''): { lost: number; duplicates: number } {
  const lost = users.filter((u) => !got.has(u)).length;
  const duplicates = [...got.values()].filter((n) => n > 1).length;
  const ratio = boundMs > 0 ? `${(deliverMs / boundMs).toFixed(1)}× the bound` : '';
  console.log(
    `  ${label.padEnd(9)} ${String(users.length).padStart(6)} recipients  resolve ${(resolveMs / 1000).toFixed(2)} s  deliver ${(deliverMs / 1000).toFixed(2)} s ` +
      `(lower bound ${(boundMs / 1000).toFixed(2)} s${ratio ? `, ${ratio}` : ''})  lost ${lost}  duplicates ${duplicates}${extra}`,
  );
  return { lost, duplicates };
}

const wecomBoundMs = (messagesPerBatch: number) => (Math.ceil(WECOM_USERS / WECOM_BATCH) * messagesPerBatch * 60_000) / WECOM_CALLS_PER_MINUTE;
const dingtalkBoundMs = () => (Math.ceil(DINGTALK_USERS / DINGTALK_BATCH) * 1000) / DINGTALK_CALLS_PER_SECOND;

/** Creates the notice and both broadcasts ("all"); returns ids and resolution times. */
async function startBroadcasts(service: NoticeService): Promise<{ wecom: string; dingtalk: string; resolveMs: { wecom: number; dingtalk: number }; started: { wecom: number; dingtalk: number } }> {
  const n = await service.createNotice(CONTENT);
  // Both audiences are resolved at once; each broadcast's delivery starts as soon as its own is.
  const one = async (platform: 'wecom' | 'dingtalk') => {
    const t = Date.now();
    const b = await service.createBroadcast({ noticeId: n.noticeId, platform, audience: { all: true }, createdBy: 'bench' });
    return { id: b.id, resolveMs: Date.now() - t, started: Date.now() };
  };
  const [w, d] = await Promise.all([one('wecom'), one('dingtalk')]);
  return { wecom: w.id, dingtalk: d.id, resolveMs: { wecom: w.resolveMs, dingtalk: d.resolveMs }, started: { wecom: w.started, dingtalk: d.started } };
}

/** Polls until both broadcasts are done; returns when each finished (ms epoch). */
async function waitDone(
  notices: NoticeStore,
  ids: { wecom: string; dingtalk: string },
  onTick?: (progress: Record<'wecom' | 'dingtalk', { recorded: number; targeted: number }>) => void,
  timeoutMs = 15 * 60_000,
): Promise<{ wecom: number; dingtalk: number }> {
  const doneAt: { wecom?: number; dingtalk?: number } = {};
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const progress = { wecom: { recorded: 0, targeted: 0 }, dingtalk: { recorded: 0, targeted: 0 } };
    for (const p of ['wecom', 'dingtalk'] as const) {
      const b = (await notices.getBroadcast(ids[p]))!;
      progress[p] = { recorded: b.counts.sent + b.counts.failed, targeted: b.counts.targeted };
      if (b.state === 'done' && doneAt[p] === undefined) doneAt[p] = Date.now();
    }
    onTick?.(progress);
    if (doneAt.wecom !== undefined && doneAt.dingtalk !== undefined) return { wecom: doneAt.wecom, dingtalk: doneAt.dingtalk };
    if (Date.now() > deadline) throw new Error('broadcasts did not finish in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function phase1(): Promise<boolean> {
  console.log(`\nPhase 1: one process, embedded SQLite store (${WECOM_USERS} WeCom + ${DINGTALK_USERS} DingTalk, random throttling ${THROTTLE * 100} % of calls)`);
  const fakes = await startFakes(1);
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-broadcast-'));
  const config = loadConfig(platformEnv(fakes.wecom.url, fakes.dingtalk.apiBase, dataDir));
  const { kv: store, notices } = await openStores({ redisUrl: null, dataDir });
  try {
    const service = serviceFor(config, store, notices);
    const worker = new BroadcastWorker({ service, log: silent, kv: store, idleMs: 100 });
    worker.start();
    const ids = await startBroadcasts(service);
    const done = await waitDone(notices, ids);
    await worker.stop();
    const got = tally(fakes);
    const perBatch = fakes.wecom.sent.length / Math.max(1, fakes.wecom.sent.filter((m) => m.msgtype === 'template_card').length);
    const w = report('WeCom', fakes.wecomUsers, got.wecom, ids.resolveMs.wecom, done.wecom - ids.started.wecom, wecomBoundMs(perBatch), `  (message/send calls accepted: ${fakes.wecom.sent.length})`);
    const d = report('DingTalk', fakes.dingtalkUsers, got.dingtalk, ids.resolveMs.dingtalk, done.dingtalk - ids.started.dingtalk, dingtalkBoundMs());
    printMetrics('worker', worker.metrics);
    return w.lost === 0 && d.lost === 0 && w.duplicates === 0 && d.duplicates === 0;
  } finally {
    await store.close();
    await fakes.wecom.close();
    await fakes.dingtalk.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function printMetrics(name: string, m: Partial<WorkerMetrics>): void {
  console.log(
    `  ${name}: batches ${m.batchesSent ?? 0}, sent ${m.recipientsSent ?? 0}, failed ${m.recipientsFailed ?? 0}, retried ${m.recipientsRetried ?? 0}, ` +
      `throttled batches ${m.throttledBatches ?? 0}, errored batches ${m.erroredBatches ?? 0}, taken over ${m.leasesTakenOver ?? 0}, ` +
      `already delivered ${m.alreadyDelivered ?? 0}, duplicates seen ${m.duplicates ?? 0}`,
  );
}

async function redisAnswers(): Promise<boolean> {
  const c = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 1000, retryStrategy: () => null });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.ping();
    return true;
  } catch {
    return false;
  } finally {
    c.disconnect();
  }
}

async function phase2(): Promise<boolean> {
  console.log(`\nPhase 2: two worker processes sharing Redis (${REDIS_URL}); worker A is killed (SIGKILL) a third of the way through DingTalk; lease ${LEASE_MS / 1000} s`);
  if (!(await redisAnswers())) {
    console.log(`  skipped: Redis does not answer at ${REDIS_URL} (start it: redis-server --daemonize yes --port 6379 --save "" --appendonly no)`);
    return true;
  }
  const fakes = await startFakes(2);
  const prefix = `privacy-bot-bench:${process.pid}-${randomBytes(3).toString('hex')}:`;
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-broadcast-'));
  const env = { ...platformEnv(fakes.wecom.url, fakes.dingtalk.apiBase, dataDir), REDIS_URL, BENCH_PREFIX: prefix, BENCH_LEASE_MS: String(LEASE_MS) };
  const config = loadConfig(env);
  const { kv: store, notices } = await openStores({ redisUrl: REDIS_URL, dataDir }, { redisKeyPrefix: prefix });
  const metrics = new Map<string, Partial<WorkerMetrics>>();
  const workers: ChildProcess[] = [];
  try {
    for (const name of ['A', 'B']) {
      const child = fork(SELF, ['--worker', name], { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      child.on('message', (m) => metrics.set(name, m as Partial<WorkerMetrics>));
      workers.push(child);
    }
    await Promise.all(workers.map((w) => new Promise<void>((resolve) => w.once('message', () => resolve()))));
    const service = serviceFor(config, store, notices); // resolves audiences; delivery is the workers'
    const ids = await startBroadcasts(service);
    let killedAt = 0;
    let killedWith = 0;
    // DingTalk is the slow one (20 users per call, 20 calls/s): kill A a third of the way through it.
    const done = await waitDone(notices, ids, (p) => {
      if (!killedAt && p.dingtalk.recorded >= p.dingtalk.targeted / 3) {
        killedAt = Date.now();
        killedWith = p.wecom.recorded + p.dingtalk.recorded;
        workers[0]!.kill('SIGKILL');
      }
    });
    const t = (ms: number) => `${((ms - Math.min(ids.started.wecom, ids.started.dingtalk)) / 1000).toFixed(2)} s`;
    console.log(`  worker A killed ${t(killedAt)} after the first broadcast started, with ${killedWith} recipients recorded; all done after ${t(Math.max(done.wecom, done.dingtalk))}`);
    const got = tally(fakes);
    const perBatch = fakes.wecom.sent.length / Math.max(1, fakes.wecom.sent.filter((m) => m.msgtype === 'template_card').length);
    const w = report('WeCom', fakes.wecomUsers, got.wecom, ids.resolveMs.wecom, done.wecom - ids.started.wecom, wecomBoundMs(perBatch), `  (duplicate sends absorbed by enable_duplicate_check: ${fakes.wecom.duplicatesSuppressed})`);
    const d = report('DingTalk', fakes.dingtalkUsers, got.dingtalk, ids.resolveMs.dingtalk, done.dingtalk - ids.started.dingtalk, dingtalkBoundMs(), `  (includes waiting out A's leases)`);
    for (const p of ['wecom', 'dingtalk'] as const) {
      const b = (await notices.getBroadcast(ids[p]))!;
      console.log(`  ${p} in the store: ${JSON.stringify(b.counts)}, duplicates recorded ${b.duplicates}`);
    }
    workers[1]!.send('report');
    await new Promise((r) => setTimeout(r, 300));
    printMetrics('worker A (last report before the kill)', metrics.get('A') ?? {});
    printMetrics('worker B', metrics.get('B') ?? {});
    return w.lost === 0 && d.lost === 0;
  } finally {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGTERM');
    await store.close();
    await deleteRedisPrefix(REDIS_URL, prefix);
    await fakes.wecom.close();
    await fakes.dingtalk.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A forked worker process of phase 2: a BroadcastWorker on the shared Redis, metrics to the parent. */
async function workerProcess(name: string): Promise<void> {
  const config = loadConfig(process.env);
  const prefix = process.env.BENCH_PREFIX!;
  const { kv: store, notices } = await openStores({ redisUrl: REDIS_URL, dataDir: config.dataDir }, { redisKeyPrefix: prefix });
  const service = serviceFor(config, store, notices);
  const worker = new BroadcastWorker({ service, log: silent, kv: store, owner: `bench-worker-${name}`, idleMs: 100, leaseMs: Number(process.env.BENCH_LEASE_MS) });
  worker.start();
  const send = () => process.send?.({ ...worker.metrics });
  send();
  const timer = setInterval(send, 100);
  process.on('message', (m) => {
    if (m === 'report') send();
  });
  process.on('SIGTERM', () => {
    clearInterval(timer);
    void worker.stop().then(async () => {
      await store.close();
      process.exit(0);
    });
  });
}

if (process.argv[2] === '--worker') {
  await workerProcess(process.argv[3] ?? '?');
} else {
  console.log(`Broadcast benchmark — ${new Date().toISOString()}, Node ${process.version}`);
  const ok1 = await phase1();
  const ok2 = await phase2();
  console.log(ok1 && ok2 ? '\nOK: nobody lost; no duplicate in phase 1.' : '\nFAILED: see lost / duplicates above.');
  process.exit(ok1 && ok2 ? 0 : 1);
}
