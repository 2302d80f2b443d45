import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { KeyValueStore } from '../store/ports/store.ts';
import type { BatchSettlement, BroadcastRecord, ClaimedBatch, ClaimedUser, NoticeLanguage } from '../store/ports/notices.ts';
import { ThrottledError, type NoticeBatchResult, type NoticeChannel, type NoticeDelivery } from '../platform/notices.ts';
import type { NoticeService } from './service.ts';

/** Defaults of {@link BroadcastWorkerOptions}, in ms unless said otherwise. */
export const WORKER_DEFAULTS = {
  /** A claimed batch belongs to its worker this long; then any worker may take it over. */
  leaseMs: 60_000,
  /** How long a recipient waits when another broadcast is sending them the same version right now. */
  deferMs: 5_000,
  /** Pause between two looks for work when there was none. */
  idleMs: 1_000,
  /** Batches in flight at once in one process. */
  concurrency: 4,
  /** Send attempts that ended in an error (not throttling) before a recipient is marked failed. */
  maxAttempts: 5,
  /** Times a platform may say "later" (DingTalk flowControlledStaffIdList) before a recipient is marked failed. */
  maxRetryLater: 10,
  /** Backoff after a failed attempt: base × 2^(attempt−1), at most max, plus jitter. */
  backoffBaseMs: 1_000,
  backoffMaxMs: 60_000,
  /** Random extra delay on every backoff, as a fraction of it (0.2 = up to +20 %). */
  jitter: 0.2,
  /** How often read receipts are polled (platforms with readSupported). */
  readPollMs: 60_000,
  /** Read receipts are polled for batches sent within this window (7 days). */
  readWindowMs: 7 * 24 * 60 * 60 * 1000,
} as const;

/** Options of {@link BroadcastWorker}; every number has a default in {@link WORKER_DEFAULTS}. */
export interface BroadcastWorkerOptions {
  service: NoticeService;
  log: Logger;
  /** This worker's id on leases and in the audit log; default '<host>:<pid>:<random>'. */
  owner?: string;
  /** For cross-instance locks of read polling (optional: without it, instances may poll the same handle). */
  kv?: KeyValueStore;
  leaseMs?: number;
  deferMs?: number;
  idleMs?: number;
  concurrency?: number;
  maxAttempts?: number;
  maxRetryLater?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  jitter?: number;
  readPollMs?: number;
  readWindowMs?: number;
  /** Random numbers in [0, 1) for jitter (default Math.random). */
  random?: () => number;
}

/**
 * Counters since the worker started (a later issue exports them to Prometheus). Recipients are
 * counted per outcome the store accepted.
 */
export interface WorkerMetrics {
  batchesClaimed: number;
  batchesSent: number;
  recipientsSent: number;
  recipientsFailed: number;
  recipientsRetried: number;
  remindersSent: number;
  /** Batches the platform throttled (ThrottledError), each backed off alone. */
  throttledBatches: number;
  /** Batches whose send threw another error (network, 5xx, …). */
  erroredBatches: number;
  /** Recipients taken over from an expired lease of another worker. */
  leasesTakenOver: number;
  /** Lease extensions sent while a batch was still being sent (heartbeats). */
  leaseRenewals: number;
  /** Recipients whose lease this worker gave back unfinished when it stopped (claimable at once by others). */
  leasesReleased: number;
  /** Claimed recipients recorded as sent without sending (the version had reached them already). */
  alreadyDelivered: number;
  deferred: number;
  /** Sends the store saw reach someone who already had the version (after a takeover). */
  duplicates: number;
  /** Results not recorded because this worker's lease had been lost. */
  staleResults: number;
  settleErrors: number;
  readsRecorded: number;
  readPollErrors: number;
  /** Preparations this worker marked failed because the instance preparing them died (expired lease). */
  preparationsInterrupted: number;
  /** Prepared broadcasts this worker cancelled because nobody confirmed them in time (PREPARE_TTL_MS). */
  preparationsExpired: number;
}

function emptyMetrics(): WorkerMetrics {
  return {
    batchesClaimed: 0, batchesSent: 0, recipientsSent: 0, recipientsFailed: 0, recipientsRetried: 0, remindersSent: 0,
    throttledBatches: 0, erroredBatches: 0, leasesTakenOver: 0, leaseRenewals: 0, leasesReleased: 0, alreadyDelivered: 0, deferred: 0, duplicates: 0,
    staleResults: 0, settleErrors: 0, readsRecorded: 0, readPollErrors: 0, preparationsInterrupted: 0, preparationsExpired: 0,
  };
}

/** A claimed batch not yet settled: being sent, or (`settling`) having its results recorded. */
interface HeldBatch {
  batch: ClaimedBatch;
  userIds: string[];
  heartbeat: NodeJS.Timeout;
  released: boolean;
  settling: boolean;
  /** Resolves when the batch is settled (or settling failed). */
  done: Promise<void>;
}

/**
 * Delivers broadcasts: one per process, any number of processes sharing one store. A loop
 * claims batches of due recipients (size = the platform's `maxBatchSize`) with a lease, sends
 * each through the platform's {@link NoticeChannel}, and records the outcome:
 * - sent / failed(reason) as the platform said; `retryLater` users back to the queue with backoff;
 * - {@link ThrottledError}: the whole batch back to the queue after `retryAfterMs` plus jitter
 *   (only that batch backs off; throttling is never counted as a failed attempt);
 * - any other error: the batch back with exponential backoff; a recipient whose attempts reach
 *   `maxAttempts` is marked failed with the error code.
 * While a batch is being sent its lease is renewed every `leaseMs / 3`; a worker that dies
 * mid-batch stops renewing, and after `leaseMs` another worker takes the batch over (the store
 * skips recipients already recorded as sent). It also polls read receipts
 * (channels with readSupported) every `readPollMs`, and on every round marks failed the
 * preparations whose instance died, and cancels ready preparations nobody confirmed in time
 * ({@link NoticeService.recoverPreparations}).
 *
 * Each recipient gets the notice in their language ({@link NoticeService.languagesFor}): a claimed
 * batch is sent as one platform call per language, and each part is recorded with its language.
 *
 * Stopping ({@link BroadcastWorker.stop}, e.g. on SIGTERM) claims nothing more, lets batches in
 * flight finish and record their results, and — past the grace period — gives the leases of
 * batches still unfinished back to the store, so another instance takes them over at once
 * rather than after `leaseMs`.
 */
export class BroadcastWorker {
  readonly owner: string;
  readonly metrics: WorkerMetrics = emptyMetrics();
  private readonly o: Required<Omit<BroadcastWorkerOptions, 'kv' | 'owner' | 'service' | 'log'>>;
  private readonly service: NoticeService;
  private readonly log: Logger;
  private readonly kv: KeyValueStore | undefined;
  private readonly deliveries = new Map<string, Promise<NoticeDelivery>>();
  private readonly broadcasts = new Map<string, Pick<BroadcastRecord, 'id' | 'noticeId' | 'version' | 'platform' | 'notBefore'>>();
  private running: Promise<void> | null = null;
  private stopping = false;
  private wakeUp = new AbortController();
  private lastReadPoll = Number.NEGATIVE_INFINITY;
  private unsubscribe: (() => void) | null = null;
  /** Batches claimed and not yet settled, by lease id. */
  private readonly held = new Map<string, HeldBatch>();

  constructor(options: BroadcastWorkerOptions) {
    this.service = options.service;
    this.log = options.log;
    this.kv = options.kv;
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.o = {
      leaseMs: options.leaseMs ?? WORKER_DEFAULTS.leaseMs,
      deferMs: options.deferMs ?? WORKER_DEFAULTS.deferMs,
      idleMs: options.idleMs ?? WORKER_DEFAULTS.idleMs,
      concurrency: Math.max(1, options.concurrency ?? WORKER_DEFAULTS.concurrency),
      maxAttempts: Math.max(1, options.maxAttempts ?? WORKER_DEFAULTS.maxAttempts),
      maxRetryLater: Math.max(1, options.maxRetryLater ?? WORKER_DEFAULTS.maxRetryLater),
      backoffBaseMs: options.backoffBaseMs ?? WORKER_DEFAULTS.backoffBaseMs,
      backoffMaxMs: options.backoffMaxMs ?? WORKER_DEFAULTS.backoffMaxMs,
      jitter: options.jitter ?? WORKER_DEFAULTS.jitter,
      readPollMs: options.readPollMs ?? WORKER_DEFAULTS.readPollMs,
      readWindowMs: options.readWindowMs ?? WORKER_DEFAULTS.readWindowMs,
      random: options.random ?? Math.random,
    };
  }

  private get now(): number {
    return this.service.clock.now();
  }

  /** Starts the loop (idempotent). It wakes at once when the service reports new work. */
  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.unsubscribe = this.service.onWork(() => this.wake());
    this.running = this.loop();
  }

  /**
   * Stops claiming and waits for the batches in flight to be sent and recorded, at most
   * `graceMs` (default: no limit). Batches still unfinished then have their leases released
   * ({@link NoticeStore.releaseLease}): their recipients are claimable by another worker at once;
   * if such a send does complete later, its results are stale, but the per-employee record of the
   * send still keeps the next worker from sending to those employees again. Idempotent; never
   * throws (a release that fails is logged, and the lease then simply expires).
   * @returns how many recipients' leases were released (0 when everything finished in time).
   */
  async stop(options: { graceMs?: number } = {}): Promise<number> {
    this.stopping = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.wake();
    const running = this.running;
    let released = 0;
    if (running) {
      const grace = options.graceMs ?? Number.POSITIVE_INFINITY;
      let timer: NodeJS.Timeout | undefined;
      const finished = Number.isFinite(grace)
        ? await Promise.race([
            running.then(() => true),
            new Promise<boolean>((resolve) => {
              timer = setTimeout(() => resolve(false), Math.max(0, grace));
            }),
          ])
        : await running.then(() => true);
      clearTimeout(timer);
      if (!finished) released = await this.releaseHeld('still sending when the shutdown grace period ended');
    }
    this.running = null;
    return released;
  }

  /**
   * Gives back the leases of every batch still being sent; waits for batches whose results are
   * being recorded right now (one store call). Returns how many recipients were released.
   */
  private async releaseHeld(why: string): Promise<number> {
    let total = 0;
    const held = [...this.held.values()];
    await Promise.all(
      held.filter((h) => !h.released && !h.settling).map(async (h) => {
        total += await this.release(h.batch, h.userIds, why);
      }),
    );
    await Promise.allSettled(held.filter((h) => h.settling).map((h) => h.done));
    return total;
  }

  /** Releases one batch's lease (stops its heartbeat first). Never throws. */
  private async release(batch: ClaimedBatch, userIds: string[], why: string): Promise<number> {
    const h = this.held.get(batch.leaseId);
    if (h) {
      h.released = true;
      clearInterval(h.heartbeat);
    }
    try {
      const n = await this.service.store.releaseLease(batch, userIds, this.now);
      this.metrics.leasesReleased += n;
      this.log.info({ broadcast: batch.broadcastId, users: n, owner: this.owner }, `lease released: ${why}`);
      return n;
    } catch (err) {
      const e = err as { code?: string; message?: string };
      this.log.warn({ broadcast: batch.broadcastId, code: e.code, err: e.message }, 'could not release a lease; it will expire');
      return 0;
    }
  }

  /** Ends the current idle pause early. */
  wake(): void {
    this.wakeUp.abort();
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let worked = 0;
      try {
        worked = await this.tick();
        if (this.now - this.lastReadPoll >= this.o.readPollMs) {
          this.lastReadPoll = this.now;
          await this.pollReads();
        }
      } catch (err) {
        const e = err as { code?: string; message?: string };
        this.log.error({ code: e.code, err: e.message }, 'broadcast worker: round failed');
      }
      if (this.stopping) break;
      if (worked === 0) {
        const signal = this.wakeUp.signal;
        await this.service.clock.sleep(this.o.idleMs, signal);
        if (signal.aborted) this.wakeUp = new AbortController();
      }
    }
  }

  /**
   * One round: claims and sends batches of every sending broadcast this process has a channel
   * for, round robin, up to `concurrency` at a time, until nothing is claimable now; waits for
   * them to be recorded. Returns the number of batches sent (0 = idle).
   */
  async tick(): Promise<number> {
    try {
      const marked = await this.service.recoverPreparations();
      this.metrics.preparationsInterrupted += marked.interrupted;
      this.metrics.preparationsExpired += marked.expired;
    } catch (err) {
      const e = err as { code?: string; message?: string };
      this.log.warn({ code: e.code, err: e.message }, 'broadcast worker: could not look for interrupted or expired preparations');
    }
    const ids = await this.service.store.activeBroadcastIds();
    const queue = [...ids];
    const inflight = new Set<Promise<void>>();
    let batches = 0;
    while (queue.length > 0 && !this.stopping) {
      const id = queue.shift()!;
      while (inflight.size >= this.o.concurrency) await Promise.race(inflight);
      if (this.stopping) break;
      const b = await this.broadcast(id);
      const channel = b ? this.service.channelFor(b.platform) : undefined;
      if (!b || !channel) continue;
      // Scheduled for later: nothing is claimed before its time (the idle loop looks again).
      if (b.notBefore !== null && this.now < b.notBefore) continue;
      const batch = await this.service.store.claimBatch(
        id,
        { owner: this.owner, max: channel.maxBatchSize, leaseMs: this.o.leaseMs, deferMs: this.o.deferMs },
        this.now,
      );
      if (!batch) continue;
      if (this.stopping) {
        // Claimed while stop() was called: give it back rather than start sending now.
        await this.release(batch, batch.users.map((u) => u.userId), 'claimed while stopping');
        continue;
      }
      this.metrics.batchesClaimed++;
      this.metrics.leasesTakenOver += batch.takenOver;
      this.metrics.alreadyDelivered += batch.alreadyDelivered;
      this.metrics.deferred += batch.deferred;
      queue.push(id);
      batches++;
      const p = this.process(b, channel, batch).finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await Promise.all(inflight);
    return batches;
  }

  /**
   * Runs rounds until nothing is claimable and `done(now)` says stop, pausing `idleMs` between
   * idle rounds (used by the CLI to deliver in the foreground, and by tests).
   */
  async runUntil(done: () => Promise<boolean>, timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    const deadline = this.now + timeoutMs;
    for (;;) {
      const worked = await this.tick();
      if (worked === 0 && (await done())) return true;
      if (this.now >= deadline) return false;
      if (worked === 0) await this.service.clock.sleep(this.o.idleMs);
    }
  }

  private async broadcast(id: string): Promise<Pick<BroadcastRecord, 'id' | 'noticeId' | 'version' | 'platform' | 'notBefore'> | null> {
    const cached = this.broadcasts.get(id);
    if (cached) return cached;
    const b = await this.service.store.getBroadcast(id);
    if (!b) return null;
    const slim = { id: b.id, noticeId: b.noticeId, version: b.version, platform: b.platform, notBefore: b.notBefore };
    this.broadcasts.set(id, slim);
    return slim;
  }

  private delivery(b: Pick<BroadcastRecord, 'id' | 'noticeId' | 'version'>, batch: ClaimedBatch, language: NoticeLanguage): Promise<NoticeDelivery> {
    const key = `${b.id}:${batch.kind}:${batch.round}:${language}`;
    let d = this.deliveries.get(key);
    if (!d) {
      d = this.service.deliveryFor(b, batch.kind, batch.round, language);
      d.catch(() => this.deliveries.delete(key));
      this.deliveries.set(key, d);
    }
    return d;
  }

  /** Delay before attempt `attempt + 1`, with jitter. */
  private backoff(attempt: number): number {
    const base = Math.min(this.o.backoffMaxMs, this.o.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
    return Math.round(base * (1 + this.o.jitter * this.o.random()));
  }

  private async process(b: Pick<BroadcastRecord, 'id' | 'noticeId' | 'version' | 'platform'>, channel: NoticeChannel, batch: ClaimedBatch): Promise<void> {
    const userIds = batch.users.map((u) => u.userId);
    // Heartbeat: while this batch is being sent (a channel may wait out a platform pause), keep
    // its lease alive, so only a dead worker's batch is ever taken over.
    const heartbeat = setInterval(() => {
      this.service.store.renewLease(batch, userIds, this.now + this.o.leaseMs, this.now).then(
        (held) => {
          this.metrics.leaseRenewals++;
          if (held < userIds.length) this.log.warn({ broadcast: b.id, lost: userIds.length - held, owner: this.owner }, 'part of a lease was lost while sending');
        },
        (err: unknown) => this.log.warn({ broadcast: b.id, code: (err as { code?: string }).code }, 'could not renew a lease'),
      );
    }, Math.max(20, Math.floor(this.o.leaseMs / 3)));
    heartbeat.unref();
    let finish: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    this.held.set(batch.leaseId, { batch, userIds, heartbeat, released: false, settling: false, done });
    try {
      await this.sendAndSettle(b, channel, batch, userIds, heartbeat);
    } finally {
      this.held.delete(batch.leaseId);
      finish();
    }
  }

  private async sendAndSettle(
    b: Pick<BroadcastRecord, 'id' | 'noticeId' | 'version' | 'platform'>,
    channel: NoticeChannel,
    batch: ClaimedBatch,
    userIds: string[],
    heartbeat: NodeJS.Timeout,
  ): Promise<void> {
    const settlements: BatchSettlement[] = [];
    try {
      // One send per language, in the order the languages first appear in the batch.
      const groups = new Map<NoticeLanguage, ClaimedUser[]>();
      const languages = await this.service.languagesFor(b, userIds);
      for (const u of batch.users) {
        const lang = languages.get(u.userId) ?? this.service.noticeLanguage;
        const list = groups.get(lang);
        if (list) list.push(u);
        else groups.set(lang, [u]);
      }
      let throttled: unknown = null;
      for (const [language, users] of groups) {
        const part: ClaimedBatch = { ...batch, users };
        // Throttled: the parts not sent yet back off with it rather than hit the platform now.
        if (throttled !== null) {
          settlements.push(this.fromError(part, throttled, false));
          continue;
        }
        try {
          const delivery = await this.delivery(b, batch, language);
          const result = await channel.sendBatch(users.map((u) => u.userId), delivery);
          settlements.push({ ...this.fromResult(part, result), language });
          this.metrics.batchesSent++;
        } catch (err) {
          if (err instanceof ThrottledError) throttled = err;
          settlements.push(this.fromError(part, err));
        }
      }
    } catch (err) {
      // The languages (the notice version) could not be read: the whole batch retries.
      settlements.push(this.fromError(batch, err));
    } finally {
      clearInterval(heartbeat);
    }
    // Sent (or failed): record it rather than release it, even when stopping. A batch whose lease
    // was released meanwhile settles as stale, but its sends are still recorded per employee.
    const h = this.held.get(batch.leaseId);
    if (h) h.settling = true;
    for (const settlement of settlements) {
      try {
        const r = await this.service.store.settleBatch(batch, settlement, this.now);
        const stale = new Set(r.stale);
        const applied = (ids: string[]) => ids.filter((u) => !stale.has(u)).length;
        if (batch.kind === 'remind') this.metrics.remindersSent += applied(settlement.sent);
        else this.metrics.recipientsSent += applied(settlement.sent);
        this.metrics.recipientsFailed += applied(settlement.failed.map((f) => f.userId));
        this.metrics.recipientsRetried += applied(settlement.retry.map((t) => t.userId));
        this.metrics.staleResults += r.stale.length;
        this.metrics.duplicates += r.duplicates.length;
        if (r.stale.length > 0) this.log.warn({ broadcast: b.id, stale: r.stale.length, owner: this.owner }, 'batch results arrived after the lease was lost');
      } catch (err) {
        // The lease expires and another round (any worker) takes the batch over; users the store
        // had recorded as sent per employee are not sent again.
        this.metrics.settleErrors++;
        const e = err as { code?: string; message?: string };
        this.log.error({ broadcast: b.id, code: e.code, err: e.message }, 'could not record batch results');
      }
    }
  }

  private fromResult(batch: ClaimedBatch, result: NoticeBatchResult): BatchSettlement {
    const now = this.now;
    const inBatch = new Map(batch.users.map((u) => [u.userId, u.attempts]));
    const seen = new Set<string>();
    const take = (u: string): boolean => {
      if (!inBatch.has(u) || seen.has(u)) return false;
      seen.add(u);
      return true;
    };
    const s: BatchSettlement = { sent: [], failed: [], retry: [] };
    for (const u of result.sent ?? []) if (take(u)) s.sent.push(u);
    for (const f of result.failed ?? []) if (take(f.userId)) s.failed.push({ userId: f.userId, reason: f.reason || 'failed' });
    const later = (u: string, reason: string, limit: number) => {
      const attempts = inBatch.get(u)! + 1;
      if (attempts >= limit) s.failed.push({ userId: u, reason: `${reason}: gave up after ${attempts} attempts` });
      else s.retry.push({ userId: u, notBefore: now + this.backoff(attempts), countsAsAttempt: true });
    };
    for (const u of result.retryLater ?? []) if (take(u)) later(u, 'flow-controlled by the platform', this.o.maxRetryLater);
    // A channel that forgot some users: treat them as a transient failure, never as sent.
    const missing = [...inBatch.keys()].filter((u) => !seen.has(u));
    if (missing.length > 0) {
      this.log.warn({ broadcast: batch.broadcastId, missing: missing.length }, 'channel result did not mention every user; retrying them');
      for (const u of missing) later(u, 'no result from the platform', this.o.maxAttempts);
    }
    if (result.readHandle) s.readHandle = result.readHandle;
    return s;
  }

  /** Settlement of a batch (or part) whose send threw `err`; `count` = count it in the metrics (false for parts backing off with a throttled one). */
  private fromError(batch: ClaimedBatch, err: unknown, count = true): BatchSettlement {
    const now = this.now;
    const s: BatchSettlement = { sent: [], failed: [], retry: [] };
    if (err instanceof ThrottledError) {
      if (count) this.metrics.throttledBatches++;
      const wait = Math.max(0, err.retryAfterMs) * (1 + this.o.jitter * this.o.random());
      for (const u of batch.users) s.retry.push({ userId: u.userId, notBefore: now + Math.round(Math.max(wait, 1)), countsAsAttempt: false });
      this.log.info({ broadcast: batch.broadcastId, users: batch.users.length, retryAfterMs: err.retryAfterMs }, 'batch throttled; backing off');
      return s;
    }
    this.metrics.erroredBatches++;
    const e = err as { code?: string; message?: string };
    const reason = `send error: ${e.code ?? e.message ?? String(err)}`;
    for (const u of batch.users) {
      const attempts = u.attempts + 1;
      if (attempts >= this.o.maxAttempts) s.failed.push({ userId: u.userId, reason: `${reason} (after ${attempts} attempts)` });
      else s.retry.push({ userId: u.userId, notBefore: now + this.backoff(attempts), countsAsAttempt: true });
    }
    this.log.warn({ broadcast: batch.broadcastId, users: batch.users.length, code: e.code, err: e.message }, 'batch send failed; will retry');
    return s;
  }

  /**
   * Polls read receipts of recent batches on platforms that report reads; records first reads.
   * A handle is dropped when all its users read or it is older than `readWindowMs`.
   */
  async pollReads(): Promise<number> {
    const now = this.now;
    let recorded = 0;
    const recent = (await this.service.store.listBroadcasts(200)).filter(
      (b) => b.readSupported && (b.state === 'sending' || b.state === 'done') && now - b.createdAt <= this.o.readWindowMs,
    );
    for (const b of recent) {
      const channel = this.service.channelFor(b.platform);
      if (!channel?.readSupported || !channel.readStatus) continue;
      for (const h of await this.service.store.listReadHandles(b.id)) {
        if (now - h.sentAt > this.o.readWindowMs) {
          await this.service.store.finishReadHandle(b.id, h.handle);
          continue;
        }
        if (this.kv && !(await this.kv.claim(`notice-read-poll:${b.id}:${h.handle}`, Math.max(1, Math.round(this.o.readPollMs * 0.9)), this.owner))) continue;
        try {
          const reads = await channel.readStatus(h.handle);
          const mine = new Set(h.userIds);
          const relevant = reads.filter((r) => mine.has(r.userId) && Number.isFinite(r.readAt));
          const fresh = await this.service.store.markRead(b.id, relevant, this.now);
          recorded += fresh;
          this.metrics.readsRecorded += fresh;
          if (new Set(relevant.map((r) => r.userId)).size >= mine.size) await this.service.store.finishReadHandle(b.id, h.handle);
        } catch (err) {
          this.metrics.readPollErrors++;
          const e = err as { code?: string; message?: string };
          this.log.warn({ broadcast: b.id, code: e.code, err: e.message }, 'read status poll failed');
        }
      }
    }
    return recorded;
  }
}
