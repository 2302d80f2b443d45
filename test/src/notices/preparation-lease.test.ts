/**
 * A broadcast being prepared (the console's prepare: audience resolved in the background) whose
 * instance dies is not left "preparing": the preparation holds a store-backed lease with a
 * heartbeat; any instance's worker finds the expired lease and marks the preparation failed
 * ("准备中断，请重试 / preparation interrupted — retry"), which the console's poll then shows and
 * the confirm refuses. The dying instance is a real child process (test/src/notices/prepare-child.ts)
 * killed with SIGKILL mid-preparation (the test waits for its exit event); time is an injected
 * clock moved past the lease. On the embedded SQLite store and on real Redis. Also: a live
 * preparation that renews its lease is never interrupted, and a sending broadcast whose worker
 * died is taken over by another instance's worker (batch leases, on both backends). A ready
 * preparation nobody confirms within PREPARE_TTL_MS (the admin closed the tab) is cancelled by any
 * instance's worker as "未确认，已过期 / not confirmed, expired".
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NoticeService, PREPARATION_EXPIRED, PREPARATION_INTERRUPTED, PREPARE_TTL_MS } from '../../../src/notices/service.ts';
import { BroadcastWorker } from '../../../src/notices/worker.ts';
import type { NoticeStore } from '../../../src/store/ports/notices.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import type { NoticeChannel } from '../../../src/platform/notices.ts';
import { openSqliteNoticeStore } from '../../../src/store/sqlite/notices.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import { openRedisNoticeStore } from '../../../src/store/redis/notices.ts';
import { openRedisStore } from '../../../src/store/redis/store.ts';
import { redisTestEnv } from '../store/redis-test-env.ts';
import { CONTENT, ManualClock, silent } from './helpers.ts';

const LEASE = 1000;
const redisEnv = await redisTestEnv('prep-lease', openRedisNoticeStore);
const root = fileURLToPath(new URL('../../../', import.meta.url));

interface Backend {
  store: NoticeStore;
  kv: Store;
  childEnv: Record<string, string>;
  close(): Promise<void>;
}

async function sqliteBackend(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), 'prep-lease-'));
  const file = join(dir, 'privacy-bot.db');
  const store = openSqliteNoticeStore(file);
  const kv = openSqliteStore(file);
  return {
    store, kv, childEnv: { PREP_BACKEND: 'sqlite', PREP_DB_FILE: file },
    async close() {
      await store.close();
      await kv.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function redisBackend(label: string): Promise<Backend> {
  const prefix = redisEnv.prefixFor(label);
  const store = await openRedisNoticeStore(redisEnv.url, { keyPrefix: prefix });
  const kv = await openRedisStore(redisEnv.url, { keyPrefix: prefix });
  return {
    store, kv, childEnv: { PREP_BACKEND: 'redis', PREP_REDIS_URL: redisEnv.url, PREP_REDIS_PREFIX: prefix },
    async close() {
      await store.close();
      await kv.close();
    },
  };
}

/** Starts the dying instance; resolves with its broadcast id once it is resolving the audience. */
async function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; id: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/src/notices/prepare-child.ts'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let id = '';
  let resolving = false;
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`the child exited early (${code ?? signal})`)));
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as { id?: string; resolving?: boolean };
      if (msg.id) id = msg.id;
      if (msg.resolving) resolving = true;
      if (id && resolving) resolve();
    });
  });
  return { child, id };
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
}

/** A channel whose directory answers when the test says so. */
function gatedChannel(users: string[]): { channel: NoticeChannel; asked: Promise<void>; answer(): void } {
  let answer!: () => void;
  const gate = new Promise<void>((r) => (answer = r));
  let asked!: () => void;
  const askedP = new Promise<void>((r) => (asked = r));
  const channel: NoticeChannel = {
    platform: 'hang',
    maxBatchSize: 10,
    readSupported: false,
    async resolveAudience() {
      asked();
      await gate;
      return users;
    },
    async sendBatch(ids) {
      return { sent: ids, failed: [], retryLater: [] };
    },
  };
  return { channel, asked: askedP, answer };
}

for (const kind of ['sqlite', 'redis'] as const) {
  describe(`preparation leases (${kind})`, { skip: kind === 'redis' ? redisEnv.skip : false }, () => {
    let backend: Backend;
    before(async () => {
      backend = kind === 'sqlite' ? await sqliteBackend() : await redisBackend('a');
    });
    after(() => backend?.close());

    it('an instance killed mid-preparation: after the lease, another instance’s worker marks it failed (interrupted); the confirm refuses it', async () => {
      const clock = new ManualClock();
      const other = new NoticeService({ store: backend.store, kv: backend.kv, log: silent, clock, instanceId: 'survivor', preparationLeaseMs: LEASE });
      other.registerChannel(gatedChannel([]).channel);
      const n = await other.createNotice(CONTENT);
      const { child, id } = await startChild({ ...backend.childEnv, PREP_CLOCK: String(clock.now()), PREP_LEASE_MS: String(LEASE), PREP_NOTICE_ID: n.noticeId, PREP_OWNER: 'doomed' });
      const worker = new BroadcastWorker({ service: other, log: silent, owner: 'survivor-worker' });
      assert.deepEqual(await other.preparation(id), { state: 'preparing' });
      // Alive (or not yet known dead): before the lease ends nothing happens.
      clock.advance(LEASE - 1);
      await worker.tick();
      assert.equal(worker.metrics.preparationsInterrupted, 0);
      assert.deepEqual(await other.preparation(id), { state: 'preparing' });

      await kill(child);
      clock.advance(1);
      await worker.tick();
      assert.equal(worker.metrics.preparationsInterrupted, 1);
      const p = await other.preparation(id);
      assert.equal(p?.state, 'failed');
      assert.ok(p?.state === 'failed' && p.interrupted === true);
      assert.ok(p?.state === 'failed' && p.error.startsWith(PREPARATION_INTERRUPTED), JSON.stringify(p));
      assert.match((p as { error: string }).error, /lease of doomed ended/);
      const b = await other.getBroadcast(id);
      assert.deepEqual([b.state, b.counts.targeted], ['cancelled', 0]);
      await assert.rejects(other.confirm(id), (e: { code?: string }) => e.code === 'BROADCAST_NOT_PREPARED');
      const last = (await backend.store.listAudit(id)).at(-1)!;
      assert.deepEqual([last.from, last.to], ['resolving', 'cancelled']);
      assert.match(last.reason, /^audience resolution failed: 准备中断，请重试 \/ preparation interrupted — retry/);
      // Once only: another round (or instance) finds nothing more.
      clock.advance(LEASE);
      await worker.tick();
      assert.equal(worker.metrics.preparationsInterrupted, 1);
    });

    it('a live preparation renews its lease and is never interrupted, however long the directory takes', async () => {
      const clock = new ManualClock();
      let renewed: (() => void) | null = null;
      const store = Object.create(backend.store) as NoticeStore;
      store.renewPreparation = async (...args) => {
        const held = await backend.store.renewPreparation(...args);
        renewed?.();
        return held;
      };
      const nextRenewal = () => new Promise<void>((r) => (renewed = r));
      const service = new NoticeService({ store, kv: backend.kv, log: silent, clock, instanceId: 'alive', preparationLeaseMs: 90 });
      const gated = gatedChannel(['u1', 'u2', 'u3']);
      service.registerChannel(gated.channel);
      const n = await service.createNotice(CONTENT);
      const id = await service.prepareBroadcast({ noticeId: n.noticeId, platform: 'hang', audience: { userIds: ['u1', 'u2', 'u3'] }, createdBy: 'test' });
      await gated.asked;
      const worker = new BroadcastWorker({ service, log: silent });
      for (let step = 0; step < 4; step++) {
        // Move time on by 2/3 of the lease, wait for a heartbeat at the new time, then look:
        // 4 steps = 240 ms of the clock, well past the first lease (90 ms).
        clock.advance(60);
        // The heartbeat timer is unref'd (it never keeps a process up): hold the loop open meanwhile.
        const keepAlive = setInterval(() => undefined, 1000);
        await nextRenewal();
        clearInterval(keepAlive);
        await worker.tick();
        assert.deepEqual(await service.preparation(id), { state: 'preparing' }, `step ${step}`);
      }
      assert.equal(worker.metrics.preparationsInterrupted, 0);
      gated.answer();
      await service.preparationsSettled();
      // No directory on this channel: the ids could not be checked, and all count.
      assert.deepEqual(await service.preparation(id), { state: 'ready', count: 3, unknown: [], checked: false });
      // Ready: the lease ended with it, so waiting for the admin's confirm is never "interrupted"
      // — and within PREPARE_TTL_MS it does not expire either.
      const readyAt = clock.now();
      assert.equal((await service.getBroadcast(id)).confirmBy, readyAt + PREPARE_TTL_MS);
      clock.advance(PREPARE_TTL_MS - 1);
      await worker.tick();
      assert.deepEqual([worker.metrics.preparationsInterrupted, worker.metrics.preparationsExpired], [0, 0]);
      const confirmed = await service.confirm(id);
      assert.deepEqual([confirmed.state, confirmed.confirmBy], ['sending', null]);
    });

    it('a ready preparation nobody confirms (the tab closed): once PREPARE_TTL_MS has passed, another instance’s worker cancels it as not confirmed, expired; the confirm refuses it', async () => {
      const clock = new ManualClock();
      const preparing = new NoticeService({ store: backend.store, kv: backend.kv, log: silent, clock, instanceId: 'walked-away', preparationLeaseMs: LEASE });
      const other = new NoticeService({ store: backend.store, kv: backend.kv, log: silent, clock, instanceId: 'sweeper', preparationLeaseMs: LEASE });
      const gated = gatedChannel(['u1', 'u2']);
      preparing.registerChannel(gated.channel);
      other.registerChannel(gatedChannel([]).channel);
      const n = await preparing.createNotice(CONTENT);
      const id = await preparing.prepareBroadcast({ noticeId: n.noticeId, platform: 'hang', audience: { userIds: ['u1', 'u2'] }, createdBy: 'console:hr.li' });
      gated.answer();
      await preparing.preparationsSettled();
      assert.equal((await preparing.preparation(id))?.state, 'ready');
      const readyAt = clock.now();
      const waiting = await other.getBroadcast(id);
      assert.deepEqual([waiting.state, waiting.confirmBy, waiting.counts.targeted], ['resolving', readyAt + PREPARE_TTL_MS, 2]);

      const worker = new BroadcastWorker({ service: other, log: silent, owner: 'sweeper-worker' });
      clock.advance(PREPARE_TTL_MS - 1);
      await worker.tick();
      assert.equal(worker.metrics.preparationsExpired, 0);
      assert.equal((await other.getBroadcast(id)).state, 'resolving');

      clock.advance(1);
      await worker.tick();
      assert.deepEqual([worker.metrics.preparationsExpired, worker.metrics.preparationsInterrupted], [1, 0]);
      const b = await other.getBroadcast(id);
      assert.deepEqual([b.state, b.confirmBy, b.counts.sent], ['cancelled', null, 0]);
      assert.ok(b.error?.startsWith(PREPARATION_EXPIRED), String(b.error));
      const p = await preparing.preparation(id);
      assert.ok(p?.state === 'failed' && p.expired === true && !p.interrupted, JSON.stringify(p));
      await assert.rejects(preparing.confirm(id), (e: { code?: string }) => e.code === 'BROADCAST_NOT_PREPARED');
      const last = (await backend.store.listAudit(id)).at(-1)!;
      assert.deepEqual([last.from, last.to], ['resolving', 'cancelled']);
      assert.match(last.reason, /^audience resolution failed: 未确认，已过期 \/ not confirmed, expired/);
      // Once only: the instance that prepared it finds nothing more.
      const own = new BroadcastWorker({ service: preparing, log: silent });
      await own.tick();
      assert.equal(own.metrics.preparationsExpired, 0);
    });

    it('a sending broadcast whose worker died: after the batch lease, another instance’s worker sends the rest, nobody twice', async () => {
      const clock = new ManualClock();
      const service = new NoticeService({ store: backend.store, kv: backend.kv, log: silent, clock });
      const sent: string[] = [];
      service.registerChannel({
        platform: 'sender', maxBatchSize: 5, readSupported: false,
        async resolveAudience(a) {
          return 'userIds' in a ? a.userIds : [];
        },
        async sendBatch(ids) {
          sent.push(...ids);
          return { sent: ids, failed: [], retryLater: [] };
        },
      });
      const n = await service.createNotice(CONTENT);
      const users = Array.from({ length: 12 }, (_, i) => `s${i}`);
      const b = await service.createBroadcast({ noticeId: n.noticeId, platform: 'sender', audience: { userIds: users }, createdBy: 'test' });
      // The dead worker's claim: leased, never sent nor settled.
      const lost = await backend.store.claimBatch(b.id, { owner: 'dead', max: 5, leaseMs: LEASE, deferMs: 100 }, clock.now());
      assert.equal(lost?.users.length, 5);
      const w = new BroadcastWorker({ service, log: silent, owner: 'alive', leaseMs: LEASE });
      await w.tick();
      assert.equal((await service.getBroadcast(b.id)).counts.pending, 5, 'the dead batch waits for its lease');
      clock.advance(LEASE);
      await w.tick();
      const done = await service.getBroadcast(b.id);
      assert.deepEqual([done.state, done.counts.sent], ['done', 12]);
      assert.equal(w.metrics.leasesTakenOver, 5);
      assert.deepEqual([...sent].sort(), [...users].sort(), 'everyone once');
    });
  });
}
