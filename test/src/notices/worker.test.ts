import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BroadcastWorker } from '../../../src/notices/worker.ts';
import type { NoticeService } from '../../../src/notices/service.ts';
import type { NoticeStore } from '../../../src/store/ports/notices.ts';
import { createLoopbackChannel, startFakeNoticePlatform, type FakeNoticePlatform } from '../../fakes/notice-platform.ts';
import { assertCountsAddUp, CONTENT, ManualClock, newService, silent, tempSqliteNoticeStore } from './helpers.ts';

const users = (n: number, prefix = 'u') => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);

describe('BroadcastWorker', () => {
  let fake: FakeNoticePlatform;
  let store: NoticeStore;
  let cleanup: () => Promise<void>;
  let service: NoticeService;
  let clock: ManualClock;
  const everyone = [...users(120), 'bad1', 'bad2'];

  before(async () => {
    fake = await startFakeNoticePlatform({ users: users(120), departments: { '7': users(30) }, batchLimit: 25, invalidUsers: ['bad1', 'bad2'] });
  });
  after(() => fake.close());

  async function fresh(): Promise<void> {
    await cleanup?.();
    ({ store, cleanup } = tempSqliteNoticeStore());
    clock = new ManualClock();
    service = newService(store, clock);
    service.registerChannel(createLoopbackChannel({ url: fake.url, platform: 'fake', maxBatchSize: 25 }));
    fake.reset();
  }
  after(() => cleanup?.());

  const worker = (over: Partial<ConstructorParameters<typeof BroadcastWorker>[0]> = {}) =>
    new BroadcastWorker({ service, log: silent, idleMs: 10, leaseMs: 1000, backoffBaseMs: 100, jitter: 0, ...over });

  async function run(w: BroadcastWorker, id: string): Promise<void> {
    const ok = await w.runUntil(async () => {
      const b = await store.getBroadcast(id);
      return b!.state === 'done' || b!.state === 'cancelled';
    }, 600_000);
    assert.ok(ok, 'broadcast finished');
  }

  it('delivers every recipient in batches within the limit; invalid users fail with the reason; counts add up', async () => {
    await fresh();
    const n = await service.createNotice(CONTENT);
    const b = await service.createBroadcast({ noticeId: n.noticeId, platform: 'fake', audience: { userIds: everyone }, createdBy: 'test' });
    assert.deepEqual(b.counts, { targeted: 122, pending: 122, sent: 0, failed: 0, read: 0, acknowledged: 0 });
    const w = worker();
    await run(w, b.id);
    const done = await assertCountsAddUp(store, b.id);
    assert.deepEqual(done.counts, { targeted: 122, pending: 0, sent: 120, failed: 2, read: 0, acknowledged: 0 });
    assert.deepEqual((await service.getBroadcast(b.id)).failures, [{ userId: 'bad1', reason: 'invaliduser' }, { userId: 'bad2', reason: 'invaliduser' }]);
    assert.equal(fake.stats.batchLimitViolations, 0);
    assert.ok(fake.stats.maxBatch <= 25);
    assert.deepEqual(fake.duplicates(), []);
    assert.equal(fake.firstDeliveries().size, 120);
    assert.equal(w.metrics.recipientsSent, 120);
    assert.equal(w.metrics.recipientsFailed, 2);
    const d = fake.delivered[0]!;
    assert.deepEqual([d.noticeId, d.version, d.deliveryKey, d.reminder], [n.noticeId, 1, `${b.id}-v1`, null]);
  });

  it('backs off only the throttled batch and delivers it later; throttling is not a failed attempt', async () => {
    await fresh();
    const n = await service.createNotice(CONTENT);
    const b = await service.createBroadcast({ noticeId: n.noticeId, platform: 'fake', audience: { userIds: users(50) }, createdBy: 'test' });
    fake.throttleNext(3);
    const w = worker({ maxAttempts: 1, concurrency: 1 });
    const t0 = clock.now();
    assert.equal(await w.tick(), 2, 'both batches claimed');
    let c = await assertCountsAddUp(store, b.id);
    assert.deepEqual([c.counts.sent, c.counts.pending, c.counts.failed], [0, 50, 0], 'two throttled batches went back to pending');
    assert.equal(w.metrics.throttledBatches, 2);
    assert.equal(await w.tick(), 0, 'not claimable before retryAfterMs');
    clock.advance(50);
    await w.tick();
    c = await assertCountsAddUp(store, b.id);
    assert.equal(w.metrics.throttledBatches, 3);
    assert.equal(c.counts.sent, 25, 'the batch not throttled again went out');
    await run(w, b.id);
    c = await assertCountsAddUp(store, b.id);
    assert.deepEqual([c.state, c.counts.sent, c.counts.failed], ['done', 50, 0]);
    assert.ok(clock.now() >= t0 + 100);
    assert.deepEqual(fake.duplicates(), []);
  });

  it('retries transient errors with backoff and marks users failed after maxAttempts', async () => {
    await fresh();
    const n = await service.createNotice(CONTENT);
    const b1 = await service.createBroadcast({ noticeId: n.noticeId, platform: 'fake', audience: { userIds: users(10) }, createdBy: 'test' });
    fake.failNext(2);
    const w = worker({ maxAttempts: 3 });
    await w.tick();
    let rs = await store.listRecipients(b1.id);
    assert.ok(rs.every((r) => r.state === 'pending' && r.attempts === 1));
    clock.advance(99);
    assert.equal(await w.tick(), 0, 'first backoff is backoffBaseMs (100)');
    clock.advance(1);
    await w.tick();
    rs = await store.listRecipients(b1.id);
    assert.ok(rs.every((r) => r.attempts === 2));
    clock.advance(199);
    assert.equal(await w.tick(), 0, 'second backoff doubles');
    await run(w, b1.id);
    assert.equal((await assertCountsAddUp(store, b1.id)).counts.sent, 10);
    assert.equal(w.metrics.erroredBatches, 2);

    const n2 = await service.createNotice(CONTENT);
    const b2 = await service.createBroadcast({ noticeId: n2.noticeId, platform: 'fake', audience: { userIds: users(3) }, createdBy: 'test' });
    fake.failNext(100);
    await run(worker({ maxAttempts: 2 }), b2.id);
    const view = await service.getBroadcast(b2.id);
    assert.deepEqual(view.counts, { targeted: 3, pending: 0, sent: 0, failed: 3, read: 0, acknowledged: 0 });
    assert.match(view.failures[0]!.reason, /send error: FAKE_PLATFORM_ERROR \(after 2 attempts\)/);
  });

  it('puts "retry later" users back and delivers them; gives up after maxRetryLater', async () => {
    await fresh();
    const n = await service.createNotice(CONTENT);
    fake.flowControl(['u0001'], 2);
    fake.flowControl(['u0002'], 50);
    const b = await service.createBroadcast({ noticeId: n.noticeId, platform: 'fake', audience: { userIds: users(5) }, createdBy: 'test' });
    await run(worker({ maxRetryLater: 4 }), b.id);
    const view = await service.getBroadcast(b.id);
    assert.deepEqual([view.counts.sent, view.counts.failed], [4, 1]);
    assert.deepEqual(view.failures, [{ userId: 'u0002', reason: 'flow-controlled by the platform: gave up after 4 attempts' }]);
  });

  it('takes over the batch of a worker that crashed: after the lease, another worker sends it, nobody twice', async () => {
    await fresh();
    const n = await service.createNotice(CONTENT);
    const b = await service.createBroadcast({ noticeId: n.noticeId, platform: 'fake', audience: { userIds: users(60) }, createdBy: 'test' });
    // Worker A claims a batch and "crashes": it never sends nor settles.
    const lost = await store.claimBatch(b.id, { owner: 'worker-a', max: 25, leaseMs: 1000, deferMs: 100 }, clock.now());
    assert.equal(lost?.users.length, 25);
    const w = worker({ owner: 'worker-b', leaseMs: 1000 });
    await w.tick();
    let c = await assertCountsAddUp(store, b.id);
    assert.deepEqual([c.counts.sent, c.counts.pending], [35, 25], 'B sends the rest; A’s batch waits for its lease');
    clock.advance(1000);
    await w.tick();
    c = await assertCountsAddUp(store, b.id);
    assert.deepEqual([c.state, c.counts.sent, c.counts.pending], ['done', 60, 0]);
    assert.equal(w.metrics.leasesTakenOver, 25);
    assert.deepEqual(fake.duplicates(), []);
    assert.equal(fake.firstDeliveries().size, 60);
    // A comes back from the dead and reports: nothing is applied twice.
    const late = await store.settleBatch(lost!, { sent: lost!.users.map((u) => u.userId), failed: [], retry: [] }, clock.now());
    assert.equal(late.applied, 0);
    assert.equal(late.stale.length, 25);
    await assertCountsAddUp(store, b.id);
    const takeovers = (await store.listAudit(b.id)).filter((e) => /lease of worker-a expired; taken over by worker-b/.test(e.reason));
    assert.equal(takeovers.length, 25);
  });

  it('renews the lease of a slow send, so no other worker takes it over and nobody gets it twice', async () => {
    await fresh();
    // Both workers share one manual clock; the heartbeat runs on real timers. The slow send is
    // held until the test releases it, and the test moves the clock on only after a renewal was
    // recorded — so the lease is proven renewed past its original end, however slow the machine.
    const shared = new ManualClock();
    const real = newService(store, shared);
    const fast = createLoopbackChannel({ url: fake.url, platform: 'fake', maxBatchSize: 25 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let sendStarted!: () => void;
    const started = new Promise<void>((r) => (sendStarted = r));
    const slow = { ...fast, sendBatch: async (...a: Parameters<typeof fast.sendBatch>) => { sendStarted(); await held; return fast.sendBatch(...a); } };
    real.registerChannel(slow);
    const other = newService(store, shared);
    other.registerChannel(fast);
    const n = await real.createNotice(CONTENT);
    const b = await real.createBroadcast({ noticeId: n.noticeId, platform: 'fake', audience: { userIds: users(25) }, createdBy: 'test' });
    const LEASE = 150;
    const a = new BroadcastWorker({ service: real, log: silent, owner: 'slow', leaseMs: LEASE });
    const c = new BroadcastWorker({ service: other, log: silent, owner: 'other', leaseMs: LEASE });
    const sending = a.tick();
    await started;
    // Four steps of 100 ms of the shared clock: 400 ms in all, well past the 150 ms lease.
    for (let step = 0; step < 4; step++) {
      shared.advance(100);
      const renewals = a.metrics.leaseRenewals;
      const guard = Date.now() + 30_000; // failure guard only
      while (a.metrics.leaseRenewals <= renewals) {
        assert.ok(Date.now() < guard, 'no lease renewal within 30 s');
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.equal(await c.tick(), 0, `step ${step}: the slow batch is still leased`);
    }
    release();
    await sending;
    assert.ok(a.metrics.leaseRenewals >= 4, `renewed ${a.metrics.leaseRenewals} times`);
    assert.equal(c.metrics.leasesTakenOver, 0);
    const done = await assertCountsAddUp(store, b.id);
    assert.deepEqual([done.state, done.counts.sent, done.duplicates], ['done', 25, 0]);
    assert.deepEqual(fake.duplicates(), []);
  });

  it('two workers on one store deliver every recipient exactly once', async () => {
    await fresh();
    const n = await service.createNotice(CONTENT);
    const b = await service.createBroadcast({ noticeId: n.noticeId, platform: 'fake', audience: { userIds: users(120) }, createdBy: 'test' });
    const a = worker({ owner: 'a' });
    const c = worker({ owner: 'c' });
    await Promise.all([a.tick(), c.tick()]);
    const done = await assertCountsAddUp(store, b.id);
    assert.deepEqual([done.state, done.counts.sent], ['done', 120]);
    assert.deepEqual(fake.duplicates(), []);
    assert.equal(a.metrics.recipientsSent + c.metrics.recipientsSent, 120);
    assert.ok(a.metrics.batchesClaimed > 0 && c.metrics.batchesClaimed > 0, 'both took part');
  });

  it('polls read receipts, records first reads, and finishes a handle once everyone read', async () => {
    await fresh();
    const n = await service.createNotice(CONTENT);
    const b = await service.createBroadcast({ noticeId: n.noticeId, platform: 'fake', audience: { userIds: users(3) }, createdBy: 'test' });
    const w = worker();
    await run(w, b.id);
    assert.equal((await store.listReadHandles(b.id)).length, 1);
    fake.read('u0000', clock.now() + 5);
    assert.equal(await w.pollReads(), 1);
    assert.equal(await w.pollReads(), 0, 'a read is recorded once');
    let c = await assertCountsAddUp(store, b.id);
    assert.equal(c.counts.read, 1);
    assert.equal((await store.listRecipients(b.id))[0]!.readAt, clock.now() + 5);
    fake.read('u0001', clock.now() + 6);
    fake.read('u0002', clock.now() + 7);
    assert.equal(await w.pollReads(), 2);
    c = await assertCountsAddUp(store, b.id);
    assert.equal(c.counts.read, 3);
    assert.deepEqual(await store.listReadHandles(b.id), [], 'finished: everyone read');
  });

  it('sends a reminder round to unacknowledged recipients with its own delivery key', async () => {
    await fresh();
    const n = await service.createNotice(CONTENT);
    const b = await service.createBroadcast({ noticeId: n.noticeId, platform: 'fake', audience: { userIds: users(4) }, createdBy: 'test' });
    const w = worker();
    await run(w, b.id);
    await service.acknowledge('fake', 'u0000', 'latest', 'text');
    const r = await service.resend(b.id, 'unacknowledged');
    assert.deepEqual(r, { id: b.id, only: 'unacknowledged', queued: 3, round: 1 });
    await run(w, b.id);
    const reminders = fake.delivered.filter((d) => d.reminder !== null);
    assert.deepEqual(reminders.map((d) => d.userId).sort(), ['u0001', 'u0002', 'u0003']);
    assert.ok(reminders.every((d) => d.reminder === 1 && d.deliveryKey === `${b.id}-v1-r1`));
    assert.deepEqual(fake.duplicates(), [], 'reminders are not accidental duplicates');
    assert.equal(w.metrics.remindersSent, 3);
    const view = await service.getBroadcast(b.id);
    assert.deepEqual(view.reminder, { round: 1, targeted: 3, pending: 0, sent: 3, failed: 0 });
    assert.deepEqual(view.counts, { targeted: 4, pending: 0, sent: 4, failed: 0, read: 0, acknowledged: 1 });
  });

  it('start() wakes at once for a new broadcast and stop() waits for the batch in flight', async () => {
    await fresh();
    const real = newService(store); // real clock for the loop
    real.registerChannel(createLoopbackChannel({ url: fake.url, platform: 'fake', maxBatchSize: 25 }));
    const w = new BroadcastWorker({ service: real, log: silent, idleMs: 60_000 });
    w.start();
    const n = await real.createNotice(CONTENT);
    const b = await real.createBroadcast({ noticeId: n.noticeId, platform: 'fake', audience: { userIds: users(30) }, createdBy: 'test' });
    // Failure guard only: 30 s is still half the 60 s idle pause a worker that did not wake would take.
    const deadline = Date.now() + 30_000;
    while ((await store.getBroadcast(b.id))!.state !== 'done' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await w.stop();
    assert.equal((await assertCountsAddUp(store, b.id)).counts.sent, 30, 'delivered without waiting for the 60 s idle pause');
  });
});
