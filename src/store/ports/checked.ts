import { BotError } from '../../errors.ts';
import { checkKey, checkStatus, checkTtlMs } from './args.ts';
import {
  checkClaimOptions,
  checkContent,
  checkId,
  checkNewBroadcast,
  checkOwner,
  checkPlatform,
  checkRecipientQuery,
  checkSettlement,
  checkTime,
  checkUserId,
  checkVersion,
  clipReason,
  normalRecipients,
} from './notices-args.ts';
import { AWAITING_CONFIRMATION, checkTimelineEdges } from './notices.ts';
import type {
  AckChannel,
  AckOutcome,
  AckTarget,
  AuditChainHead,
  AuditEvent,
  BatchSettlement,
  Bilingual,
  BroadcastRecord,
  ClaimedBatch,
  ClaimOptions,
  NewBroadcast,
  NewRecipient,
  PreparationLease,
  NoticeStore,
  NoticeSummary,
  NoticeVersionRecord,
  ReadHandleRecord,
  RecipientPage,
  RecipientQuery,
  RecipientRecord,
  ReminderRound,
  ResendTarget,
  SettleResult,
  UserNoticeRecord,
} from './notices.ts';
import {
  checkMemberId,
  checkNewPolicy,
  checkPolicyId,
  checkPolicyPlatform,
  checkPolicyTime,
  checkTtl,
  type PolicyFilter,
  type PolicyRecord,
  type PolicyStore,
} from './policies.ts';
import type { ArchivingStatus, Store } from './store.ts';

/**
 * The checked facades: every argument check of the three ports (./args.ts, ./notices-args.ts,
 * ./policies.ts) runs here, once, in front of whichever backend — so both backends reject the same
 * bad input the same way (BotError 'STORE_BAD_ARGUMENT', nothing sent to the backend) and the
 * backends (src/store/sqlite/, src/store/redis/) trust what they are given. Where a check also
 * normalises (a TTL rounded up to whole ms, a policy time rounded, a recipients query with its
 * defaults, recipient labels cut, failure reasons clipped), the backend receives the normalised value.
 * Every method returns a promise: a bad argument is a rejection, never a synchronous throw.
 */

/** A recipient of addRecipients as a backend receives it (see {@link normalRecipients}). */
export type NormalRecipient = { userId: string; name: string | null; department: string | null };

/** A recipients query as a backend receives it: checked, defaults filled in (see {@link checkRecipientQuery}). */
export type CheckedRecipientQuery = ReturnType<typeof checkRecipientQuery>;

/**
 * What a notice backend implements: the {@link NoticeStore} port, with the two arguments the
 * facade normalises in their normal form.
 */
export type NoticeBackend = Omit<NoticeStore, 'addRecipients' | 'queryRecipients'> & {
  addRecipients(broadcastId: string, recipients: NormalRecipient[], now: number): Promise<number>;
  queryRecipients(broadcastId: string, query: CheckedRecipientQuery): Promise<RecipientPage | null>;
};

/**
 * The key-value and status port over `backend`, with the argument checks in front.
 * @param backend an implementation that trusts its arguments (TTLs arrive as whole ms > 0)
 */
export function checkedStore(backend: Store): Store {
  return new CheckedStore(backend);
}

/** The notice port over `backend`, with the argument checks in front. */
export function checkedNoticeStore(backend: NoticeBackend): NoticeStore {
  return new CheckedNoticeStore(backend);
}

/** The policy port over `backend`, with the argument checks in front (times arrive rounded to whole ms). */
export function checkedPolicyStore(backend: PolicyStore): PolicyStore {
  return new CheckedPolicyStore(backend);
}

class CheckedStore implements Store {
  constructor(private readonly b: Store) {}

  get kind(): Store['kind'] {
    return this.b.kind;
  }

  async claim(key: string, ttlMs: number, value = '1'): Promise<boolean> {
    checkKey(key, 'claim');
    return this.b.claim(key, checkTtlMs(ttlMs, 'claim'), value);
  }

  async get(key: string): Promise<string | null> {
    return this.b.get(checkKey(key, 'get'));
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    checkKey(key, 'set');
    return this.b.set(key, value, ttlMs === undefined ? undefined : checkTtlMs(ttlMs, 'set'));
  }

  async delete(key: string): Promise<void> {
    return this.b.delete(checkKey(key, 'delete'));
  }

  async deleteIf(key: string, value: string): Promise<boolean> {
    return this.b.deleteIf(checkKey(key, 'deleteIf'), value);
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    checkKey(key, 'increment');
    return this.b.increment(key, checkTtlMs(ttlMs, 'increment'));
  }

  async getStatus(platform: string, userId: string): Promise<ArchivingStatus | null> {
    return this.b.getStatus(platform, userId);
  }

  async putStatuses(statuses: ArchivingStatus[]): Promise<number> {
    statuses.forEach(checkStatus);
    return this.b.putStatuses(statuses);
  }

  ping(): Promise<void> {
    return this.b.ping();
  }

  close(): Promise<void> {
    return this.b.close();
  }
}

class CheckedNoticeStore implements NoticeStore {
  constructor(private readonly b: NoticeBackend) {}

  get kind(): NoticeStore['kind'] {
    return this.b.kind;
  }

  async createNotice(id: string, content: { title: Bilingual; body: Bilingual }, now: number): Promise<NoticeVersionRecord> {
    checkId(id, 'notice id');
    checkContent(content);
    checkTime(now, 'now');
    return this.b.createNotice(id, content, now);
  }

  async addNoticeVersion(id: string, content: { title: Bilingual; body: Bilingual }, now: number): Promise<NoticeVersionRecord | null> {
    checkId(id, 'notice id');
    checkContent(content);
    checkTime(now, 'now');
    return this.b.addNoticeVersion(id, content, now);
  }

  async getNoticeVersion(id: string, version?: number): Promise<NoticeVersionRecord | null> {
    checkId(id, 'notice id');
    if (version !== undefined) checkVersion(version);
    return this.b.getNoticeVersion(id, version);
  }

  async listNoticeVersions(id: string): Promise<NoticeVersionRecord[]> {
    return this.b.listNoticeVersions(checkId(id, 'notice id'));
  }

  listNotices(): Promise<NoticeSummary[]> {
    return this.b.listNotices();
  }

  async createBroadcast(b: NewBroadcast, now: number): Promise<BroadcastRecord> {
    checkNewBroadcast(b);
    checkTime(now, 'now');
    return this.b.createBroadcast(b, now);
  }

  async addRecipients(broadcastId: string, recipients: (string | NewRecipient)[], now: number): Promise<number> {
    checkId(broadcastId, 'broadcast id');
    const list = normalRecipients(recipients, 'addRecipients');
    checkTime(now, 'now');
    return this.b.addRecipients(broadcastId, list, now);
  }

  async startSending(broadcastId: string, now: number): Promise<BroadcastRecord | null> {
    checkId(broadcastId, 'broadcast id');
    checkTime(now, 'now');
    return this.b.startSending(broadcastId, now);
  }

  async failResolution(broadcastId: string, error: string, now: number): Promise<BroadcastRecord | null> {
    checkId(broadcastId, 'broadcast id');
    checkTime(now, 'now');
    return this.b.failResolution(broadcastId, clipReason(error), now);
  }

  async renewPreparation(broadcastId: string, owner: string, leaseUntil: number, now: number): Promise<boolean> {
    checkId(broadcastId, 'broadcast id');
    checkOwner(owner, 'renewPreparation: owner');
    if (owner === AWAITING_CONFIRMATION) throw new BotError('STORE_BAD_ARGUMENT', 'renewPreparation: owner is reserved');
    checkTime(leaseUntil, 'leaseUntil');
    checkTime(now, 'now');
    return this.b.renewPreparation(broadcastId, owner, leaseUntil, now);
  }

  async endPreparation(broadcastId: string, owner: string, now: number, confirmBy?: number): Promise<void> {
    checkId(broadcastId, 'broadcast id');
    checkOwner(owner, 'endPreparation: owner');
    if (owner === AWAITING_CONFIRMATION) throw new BotError('STORE_BAD_ARGUMENT', 'endPreparation: owner is reserved');
    checkTime(now, 'now');
    if (confirmBy !== undefined) {
      checkTime(confirmBy, 'confirmBy');
      return this.b.endPreparation(broadcastId, owner, now, confirmBy);
    }
    return this.b.endPreparation(broadcastId, owner, now);
  }

  async expiredPreparations(now: number, limit: number): Promise<PreparationLease[]> {
    checkTime(now, 'now');
    if (!Number.isSafeInteger(limit) || limit < 1) throw new BotError('STORE_BAD_ARGUMENT', 'expiredPreparations: limit must be a positive integer');
    return this.b.expiredPreparations(now, limit);
  }

  async interruptPreparation(broadcastId: string, error: string, now: number): Promise<BroadcastRecord | null> {
    checkId(broadcastId, 'broadcast id');
    checkTime(now, 'now');
    return this.b.interruptPreparation(broadcastId, clipReason(error), now);
  }

  async getBroadcast(id: string): Promise<BroadcastRecord | null> {
    return this.b.getBroadcast(checkId(id, 'broadcast id'));
  }

  listBroadcasts(limit?: number): Promise<BroadcastRecord[]> {
    return this.b.listBroadcasts(limit);
  }

  activeBroadcastIds(): Promise<string[]> {
    return this.b.activeBroadcastIds();
  }

  async claimBatch(broadcastId: string, options: ClaimOptions, now: number): Promise<ClaimedBatch | null> {
    checkId(broadcastId, 'broadcast id');
    checkClaimOptions(options);
    checkTime(now, 'now');
    return this.b.claimBatch(broadcastId, options, now);
  }

  async settleBatch(batch: Pick<ClaimedBatch, 'broadcastId' | 'leaseId' | 'kind' | 'round'>, settlement: BatchSettlement, now: number): Promise<SettleResult> {
    checkId(batch.broadcastId, 'broadcast id');
    checkSettlement(settlement);
    checkTime(now, 'now');
    const failed = settlement.failed.map((f) => ({ ...f, reason: clipReason(f.reason) }));
    return this.b.settleBatch(batch, { ...settlement, failed }, now);
  }

  async renewLease(batch: Pick<ClaimedBatch, 'broadcastId' | 'leaseId' | 'kind'>, userIds: string[], leaseUntil: number, now: number): Promise<number> {
    checkId(batch.broadcastId, 'broadcast id');
    userIds.forEach((u) => checkUserId(u, 'renewLease'));
    checkTime(leaseUntil, 'leaseUntil');
    checkTime(now, 'now');
    return this.b.renewLease(batch, userIds, leaseUntil, now);
  }

  async releaseLease(batch: Pick<ClaimedBatch, 'broadcastId' | 'leaseId' | 'kind' | 'owner'>, userIds: string[], now: number): Promise<number> {
    checkId(batch.broadcastId, 'broadcast id');
    userIds.forEach((u) => checkUserId(u, 'releaseLease'));
    checkTime(now, 'now');
    return this.b.releaseLease(batch, userIds, now);
  }

  async listRecipients(broadcastId: string): Promise<RecipientRecord[]> {
    return this.b.listRecipients(checkId(broadcastId, 'broadcast id'));
  }

  async queryRecipients(broadcastId: string, query: RecipientQuery): Promise<RecipientPage | null> {
    checkId(broadcastId, 'broadcast id');
    return this.b.queryRecipients(broadcastId, checkRecipientQuery(query));
  }

  async timeline(broadcastId: string, edges: readonly number[]): Promise<{ read: number[]; acknowledged: number[] } | null> {
    checkId(broadcastId, 'broadcast id');
    checkTimelineEdges(edges);
    return this.b.timeline(broadcastId, edges);
  }

  async listFailures(broadcastId: string, limit?: number): Promise<{ userId: string; reason: string }[]> {
    return this.b.listFailures(checkId(broadcastId, 'broadcast id'), limit);
  }

  async resend(broadcastId: string, only: ResendTarget, now: number, by?: string): Promise<{ queued: number; round: number } | null> {
    checkId(broadcastId, 'broadcast id');
    checkTime(now, 'now');
    if (only !== 'failed' && only !== 'unacknowledged') throw new BotError('STORE_BAD_ARGUMENT', "resend: only must be 'failed' or 'unacknowledged'");
    if (by !== undefined && (typeof by !== 'string' || by.length === 0 || by.length > 300)) throw new BotError('STORE_BAD_ARGUMENT', 'resend: by must be 1–300 characters');
    return this.b.resend(broadcastId, only, now, by);
  }

  async listReminderRounds(broadcastId: string): Promise<ReminderRound[]> {
    return this.b.listReminderRounds(checkId(broadcastId, 'broadcast id'));
  }

  async cancel(broadcastId: string, now: number): Promise<BroadcastRecord | null> {
    checkId(broadcastId, 'broadcast id');
    checkTime(now, 'now');
    return this.b.cancel(broadcastId, now);
  }

  async markRead(broadcastId: string, reads: { userId: string; readAt: number }[], now: number): Promise<number> {
    checkId(broadcastId, 'broadcast id');
    reads.forEach((r) => {
      checkUserId(r.userId, 'markRead');
      checkTime(r.readAt, 'readAt');
    });
    checkTime(now, 'now');
    return this.b.markRead(broadcastId, reads, now);
  }

  async acknowledge(platform: string, userId: string, target: AckTarget, channel: AckChannel, now: number): Promise<AckOutcome> {
    checkPlatform(platform);
    checkUserId(userId, 'acknowledge');
    if (target !== 'latest') {
      checkId(target.noticeId, 'notice id');
      checkVersion(target.version);
    }
    if (channel !== 'text' && channel !== 'card') throw new BotError('STORE_BAD_ARGUMENT', "acknowledge: channel must be 'text' or 'card'");
    checkTime(now, 'now');
    return this.b.acknowledge(platform, userId, target, channel, now);
  }

  async userNotices(platform: string, userId: string): Promise<UserNoticeRecord[]> {
    checkPlatform(platform);
    checkUserId(userId, 'userNotices');
    return this.b.userNotices(platform, userId);
  }

  async listReadHandles(broadcastId: string): Promise<ReadHandleRecord[]> {
    return this.b.listReadHandles(checkId(broadcastId, 'broadcast id'));
  }

  async finishReadHandle(broadcastId: string, handle: string): Promise<void> {
    return this.b.finishReadHandle(checkId(broadcastId, 'broadcast id'), handle);
  }

  async listAudit(broadcastId: string): Promise<AuditEvent[]> {
    return this.b.listAudit(checkId(broadcastId, 'broadcast id'));
  }

  async auditHead(broadcastId: string): Promise<AuditChainHead | null> {
    return this.b.auditHead(checkId(broadcastId, 'broadcast id'));
  }

  ping(): Promise<void> {
    return this.b.ping();
  }

  close(): Promise<void> {
    return this.b.close();
  }
}

class CheckedPolicyStore implements PolicyStore {
  constructor(private readonly b: PolicyStore) {}

  get kind(): PolicyStore['kind'] {
    return this.b.kind;
  }

  async createPolicy(policy: PolicyRecord): Promise<void> {
    checkNewPolicy(policy);
    return this.b.createPolicy(policy);
  }

  async getPolicy(id: string): Promise<PolicyRecord | null> {
    return this.b.getPolicy(checkPolicyId(id));
  }

  async listPolicies(filter: PolicyFilter = {}): Promise<PolicyRecord[]> {
    if (filter.platform !== undefined) checkPolicyPlatform(filter.platform);
    return this.b.listPolicies(filter);
  }

  async withdrawPolicy(id: string, now: number): Promise<PolicyRecord | null> {
    checkPolicyId(id);
    return this.b.withdrawPolicy(id, checkPolicyTime(now, 'now'));
  }

  revision(): Promise<number> {
    return this.b.revision();
  }

  async cacheDepartment(platform: string, departmentId: string, userIds: string[], now: number, ttlMs: number): Promise<void> {
    checkPolicyPlatform(platform);
    checkMemberId(departmentId, 'department id');
    for (const u of userIds) checkMemberId(u, 'user id');
    const at = checkPolicyTime(now, 'now');
    return this.b.cacheDepartment(platform, departmentId, userIds, at, checkTtl(ttlMs));
  }

  async isDepartmentMember(platform: string, departmentId: string, userId: string, now: number): Promise<boolean | null> {
    checkPolicyPlatform(platform);
    checkMemberId(departmentId, 'department id');
    checkMemberId(userId, 'user id');
    return this.b.isDepartmentMember(platform, departmentId, userId, checkPolicyTime(now, 'now'));
  }

  ping(): Promise<void> {
    return this.b.ping();
  }

  close(): Promise<void> {
    return this.b.close();
  }
}
