import { BotError } from '../../errors.ts';
/**
 * One basic audience as a platform's directory resolves it (NoticeChannel.resolveAudience). Ids
 * are the platform's own (WeCom department id / UserID, DingTalk dept_id / staffId).
 */
export type Audience = { all: true } | { departmentIds: string[] } | { userIds: string[] };

/** Who is left out of an audience: members of these departments and these people. */
export interface AudienceExclusion {
  departmentIds?: string[];
  userIds?: string[];
}

/**
 * Who a broadcast goes to, as an admin chose it: everyone, or departments and/or people (picked
 * or uploaded as a CSV), less the exclusions. The core resolves it part by part through the
 * platform's {@link Audience} resolution (src/notices/audience.ts); a basic {@link Audience} is one too.
 */
export type AudienceSpec =
  | ({ all: true } & { exclude?: AudienceExclusion })
  | ({ departmentIds: string[]; userIds?: string[] } & { exclude?: AudienceExclusion })
  | ({ userIds: string[]; departmentIds?: string[] } & { exclude?: AudienceExclusion });

/**
 * A notice text in its languages, as written by the admin: `zh` (Simplified Chinese) is always
 * written; `en` is '' when no English was written (the Chinese is then shown, see
 * src/notices/languages.ts); `zh-TW` is absent when no Traditional text was written (an OpenCC
 * conversion of `zh` is then shown).
 */
export interface Bilingual {
  zh: string;
  en: string;
  'zh-TW'?: string;
}

/**
 * The notice store port: archiving notices with versions, broadcasts, one record per
 * recipient, an append-only audit log, batch claiming with leases, and the per-employee record of
 * which notice versions were delivered to them and acknowledged. Two implementations —
 * src/store/sqlite/notices.ts (embedded) and src/store/redis/notices.ts (shared, several
 * instances) — pass one contract suite (test/src/store/notices-contract.ts).
 *
 * Times are ms since the Unix epoch and are always passed in by the caller (`now`), so one
 * injected clock drives leases, backoff and the audit log. Ids are chosen by the caller
 * (src/notices/ids.ts): letters, digits, '-' and '_', at most 64 characters.
 *
 * Recipient states (one record per recipient per broadcast):
 *
 *     pending ──▶ sent ──▶ read ──▶ acknowledged        (read/acknowledged are recorded on a sent
 *        │          └───────────────▶ acknowledged       recipient: they stay counted among `sent`)
 *        └──▶ failed(reason) ──(resend failed)──▶ pending
 *
 * Invariant kept by every write, atomically: counts.targeted = pending + sent + failed;
 * read ≤ sent and acknowledged ≤ sent.
 *
 * Delivery at most once per employee and notice version: a claimed recipient is checked against
 * the per-employee record of (platform, userId, noticeId, version) in the same claim, so a
 * re-claimed batch (lease expired) or a second broadcast of the same version skips employees the
 * version was already sent to (they are recorded as sent, with the original time and broadcast).
 * The one window left is a worker that dies after the platform accepted a batch and before it
 * recorded the result: its batch is sent again after the lease expires (at-least-once; WeCom's
 * `enable_duplicate_check` with the stable `deliveryKey` also covers that case on WeCom).
 */

/** Life cycle of a broadcast: audience being resolved, being sent, finished, or stopped by an admin. */
export type BroadcastState = 'resolving' | 'sending' | 'done' | 'cancelled';

/** Delivery state of one recipient; read and acknowledged are recorded on top of 'sent'. */
export type DeliveryState = 'pending' | 'sent' | 'failed';

/** The most advanced state of a recipient, as exports and audit entries name it. */
export type RecipientState = DeliveryState | 'read' | 'acknowledged';

/** How an acknowledgement arrived: a reply in the 1:1 chat, or the card's button. */
export type AckChannel = 'text' | 'card';

/**
 * The language(s) a notice is delivered in: one language, or 'bilingual' (Simplified Chinese and
 * English together, the cards of before NOTICE_LANGUAGE). src/notices/languages.ts picks it per recipient.
 */
export type NoticeLanguage = 'zh-CN' | 'zh-TW' | 'en' | 'bilingual';

/** Every {@link NoticeLanguage}, in the order the README lists them. */
export const NOTICE_LANGUAGES: readonly NoticeLanguage[] = ['zh-CN', 'zh-TW', 'en', 'bilingual'];

/** Which recipients a resend targets. */
export type ResendTarget = 'failed' | 'unacknowledged';

/** One version of a notice. Versions are 1, 2, 3…; an edit adds a version, old ones stay readable. */
export interface NoticeVersionRecord {
  noticeId: string;
  version: number;
  title: Bilingual;
  body: Bilingual;
  createdAt: number;
}

/** A notice as listed: its latest version's title. */
export interface NoticeSummary {
  id: string;
  latestVersion: number;
  title: Bilingual;
  createdAt: number;
  updatedAt: number;
}

/** Delivery tally of a broadcast. targeted = pending + sent + failed; read and acknowledged count among sent. */
export interface BroadcastCounts {
  targeted: number;
  pending: number;
  sent: number;
  failed: number;
  read: number;
  acknowledged: number;
}

/**
 * Tally of the latest reminder round (resend {only: 'unacknowledged'}); round 0 = none yet.
 * targeted = pending + sent + failed within the round.
 */
export interface ReminderCounts {
  round: number;
  targeted: number;
  pending: number;
  sent: number;
  failed: number;
}

/**
 * One reminder round of a broadcast as recorded when it was queued (resend {only: 'unacknowledged'}),
 * kept for every round (the broadcast's {@link ReminderCounts} tally only the latest).
 */
export interface ReminderRound {
  /** 1, 2, … */
  round: number;
  /** When it was queued, ms since the epoch. */
  at: number;
  /** How many unacknowledged recipients it was queued for. */
  queued: number;
  /**
   * Who asked for it, as {@link BroadcastRecord.createdBy} ('console:<name>', 'api', 'cli'); null
   * when not recorded (rounds queued before who asked was recorded: their time and count come from
   * the audit log).
   */
  by: string | null;
}

/**
 * The words of the audit entry (a broadcast event, no user) both stores append when a reminder
 * round is queued: round number, then how many were queued.
 */
export const REMINDER_QUEUED = /^reminder round (\d+) queued for (\d+) unacknowledged recipient\(s\)$/;

/** One broadcast: a notice version sent to an audience on one platform. */
export interface BroadcastRecord {
  id: string;
  noticeId: string;
  version: number;
  platform: string;
  audience: AudienceSpec;
  /**
   * Sending starts no earlier than this (ms since the epoch; a schedule chosen in the company time
   * zone), or null = as soon as the audience is resolved. Workers claim nothing before it.
   */
  notBefore: number | null;
  /** Whether the platform reports reads (from the channel at creation); false = read is unknown. */
  readSupported: boolean;
  state: BroadcastState;
  /** Who started it: 'api', 'cli', or 'chat:<platform>:<userId>'. */
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  /** Why resolution failed (state cancelled), else null. */
  error: string | null;
  /**
   * A prepared broadcast (the console's prepare) whose audience is resolved and that waits for the
   * admin's confirm: until when (ms), after which it expires — cancelled by a worker
   * ({@link NoticeStore.expiredPreparations}, owner {@link AWAITING_CONFIRMATION}). Null otherwise
   * (being prepared, resolved in the foreground, confirmed, cancelled).
   */
  confirmBy: number | null;
  counts: BroadcastCounts;
  reminder: ReminderCounts;
  /**
   * Sends the store saw that reached an employee who already had this version (a worker that
   * lost its lease while sending). 0 unless an instance died or stalled mid-batch.
   */
  duplicates: number;
}

/** Input of {@link NoticeStore.createBroadcast}. */
export interface NewBroadcast {
  id: string;
  noticeId: string;
  version: number;
  platform: string;
  audience: AudienceSpec;
  readSupported: boolean;
  createdBy: string;
  /** See {@link BroadcastRecord.notBefore}; absent = null. */
  notBefore?: number | null;
  /**
   * A preparation lease taken with the broadcast, atomically (the console's prepare): see
   * {@link NoticeStore.renewPreparation}. Absent = none (the broadcast is resolved in the foreground).
   */
  preparation?: { owner: string; leaseUntil: number };
}

/**
 * The owner of the "lease" a ready, unconfirmed preparation holds while it waits for the admin's
 * confirm ({@link NoticeStore.endPreparation} with `confirmBy`); no instance id can be it.
 */
export const AWAITING_CONFIRMATION = '(awaiting confirmation)';

/** A preparation lease as {@link NoticeStore.expiredPreparations} lists it. */
export interface PreparationLease {
  broadcastId: string;
  /**
   * The instance that was preparing it (the service's instance id), or {@link AWAITING_CONFIRMATION}:
   * the preparation was ready and nobody confirmed it before `leaseUntil`.
   */
  owner: string;
  /** When the lease ended (ms): its holder stopped renewing it before then (or the confirm was due). */
  leaseUntil: number;
}

/** One recipient of one broadcast. */
export interface RecipientRecord {
  userId: string;
  state: DeliveryState;
  /** Failure reason (state failed), e.g. 'invaliduser'; else null. */
  reason: string | null;
  sentAt: number | null;
  readAt: number | null;
  acknowledgedAt: number | null;
  ackChannel: AckChannel | null;
  /** Failed send attempts so far (reset by a resend). */
  attempts: number;
  /** Last reminder round delivered to this recipient (0 = none) and when. */
  remindedRound: number;
  remindedAt: number | null;
  /** Set when the version had already reached this employee through another broadcast: that broadcast's id. */
  deliveredBy: string | null;
  /** Display name from the platform's directory when the audience was resolved; null when it gave none. */
  name: string | null;
  /** Department name from the directory, likewise; null when it gave none. */
  department: string | null;
  /**
   * The language the notice was delivered to this recipient in (first delivery; a fallback to
   * zh-CN is recorded as zh-CN); null until sent, for a recipient recorded as sent because another
   * broadcast had delivered the version, and for sends recorded before languages were recorded.
   */
  language: NoticeLanguage | null;
  /**
   * The language of the latest reminder sent to this recipient (a reminder goes in the language the recipient would
   * be sent the notice in at that time, which may differ from the first delivery's); null when no reminder was sent,
   * or it was sent before these were recorded. Named in the reminder's audit entry too.
   */
  remindedLanguage: NoticeLanguage | null;
}

/** A recipient as added to a resolving broadcast: its user id, with display name and department when the directory gave them. */
export interface NewRecipient {
  userId: string;
  name?: string | null;
  department?: string | null;
}

/** Longest recipient name or department kept, in characters (longer ones are cut). */
export const MAX_RECIPIENT_LABEL_CHARS = 200;

/**
 * One audit entry. `userId` null = an event of the broadcast itself (from/to are broadcast states).
 * Each entry is a link of the broadcast's hash chain (docs/EVIDENCE.md, "The chain";
 * src/store/ports/audit-chain.ts): `hash` covers the entry's fields, its `seq` and `prevHash`.
 */
export interface AuditEvent {
  /** Integer ms since the Unix epoch. */
  at: number;
  broadcastId: string;
  userId: string | null;
  from: string;
  to: string;
  reason: string;
  /** Position in the broadcast's chain: 1, 2, 3… in append order. */
  seq: number;
  /** Hash of entry seq − 1 (for seq 1: the genesis hash of the broadcast), 64 lower-case hex digits. */
  prevHash: string;
  /** SHA-256 of this entry's canonical serialisation, 64 lower-case hex digits. */
  hash: string;
}

/** The last link of a broadcast's audit chain: how many entries it has and the hash of the last one. */
export interface AuditChainHead {
  /** Entries in the chain (= seq of the last one). */
  rows: number;
  /** Hash of the last entry, 64 lower-case hex digits. */
  hash: string;
}

/** A claimed recipient and how many attempts already failed for it. */
export interface ClaimedUser {
  userId: string;
  attempts: number;
}

/** Which queue a batch came from: the first delivery, or a reminder round. */
export type BatchKind = 'deliver' | 'remind';

/** A batch leased to one worker: send it, then {@link NoticeStore.settleBatch} it before `leaseUntil`. */
export interface ClaimedBatch {
  broadcastId: string;
  leaseId: string;
  owner: string;
  kind: BatchKind;
  /** Reminder round for kind 'remind', else 0. */
  round: number;
  leaseUntil: number;
  /** Users to send to now (never empty). */
  users: ClaimedUser[];
  /** How many of `users` came from an expired lease of another claim. */
  takenOver: number;
  /** Claimed recipients recorded as sent without sending: the version had already reached them. */
  alreadyDelivered: number;
  /** Claimed recipients put back for later: another broadcast is delivering the same version to them right now. */
  deferred: number;
}

/** What happened to the users of a batch. Every user of the batch should appear in exactly one list. */
export interface BatchSettlement {
  sent: string[];
  failed: { userId: string; reason: string }[];
  /** Back to the queue, claimable from `notBefore`; `countsAsAttempt` adds 1 to the recipient's attempts. */
  retry: { userId: string; notBefore: number; countsAsAttempt: boolean }[];
  /** Platform handle to poll read status of the sent users (DingTalk processQueryKey). */
  readHandle?: string;
  /**
   * The language the `sent` users got, recorded on each recipient ({@link RecipientRecord.language} for kind
   * 'deliver', {@link RecipientRecord.remindedLanguage} for 'remind') and named in its audit entry. Absent = not recorded.
   */
  language?: NoticeLanguage;
}

/** Result of settling a batch. */
export interface SettleResult {
  /** How many users' results were recorded. */
  applied: number;
  /** Users not recorded because the lease was lost (expired and claimed again) or already settled. */
  stale: string[];
  /** Users sent in this batch whom the version had already reached (counted in BroadcastRecord.duplicates). */
  duplicates: string[];
  /** The broadcast's state after settling ('done' once nothing is left to send). */
  state: BroadcastState;
}

/** What the store knows of one notice version delivered to one employee. */
export interface UserNoticeRecord {
  platform: string;
  userId: string;
  noticeId: string;
  version: number;
  /** The broadcast that delivered it. */
  broadcastId: string;
  sentAt: number;
  readAt: number | null;
  acknowledgedAt: number | null;
  ackChannel: AckChannel | null;
}

/** Which notice an acknowledgement is for: a given version (card button) or the latest unacknowledged one (text). */
export type AckTarget = { noticeId: string; version: number } | 'latest';

/** Result of {@link NoticeStore.acknowledge}. */
export type AckOutcome =
  | { kind: 'acknowledged'; record: UserNoticeRecord }
  | { kind: 'already'; record: UserNoticeRecord }
  | { kind: 'not-found' };

/** A platform read handle of a sent batch, polled until every user read or the poll window closes. */
export interface ReadHandleRecord {
  broadcastId: string;
  handle: string;
  userIds: string[];
  sentAt: number;
}

/** Order of a recipients page: by user id, by state (see {@link RECIPIENT_STATE_RANK}) then user id, or by state time then user id. */
export type RecipientSort = 'user' | 'state' | 'time';

/**
 * Rank of each recipient state when sorting by state (ascending): the delivery's progress, with
 * failed between pending and sent.
 */
export const RECIPIENT_STATE_RANK: Readonly<Record<RecipientState, number>> = { pending: 0, failed: 1, sent: 2, read: 3, acknowledged: 4 };

/**
 * One page of recipients asked of {@link NoticeStore.queryRecipients}. Sort keys: 'user' = (userId);
 * 'state' = (rank, userId); 'time' = (state time, userId), where the state time is when the
 * recipient reached its state — acknowledgedAt, else readAt, else sentAt for sent recipients, 0
 * for pending and failed ones. Ties never happen: the user id ends every key.
 */
export interface RecipientQuery {
  /** Only recipients in this state (the most advanced one, {@link recipientState}); absent = all. */
  state?: RecipientState;
  /** Only user ids starting with this (case-sensitive); '' or absent = all. */
  prefix?: string;
  /**
   * A search: with it, a recipient matches when its user id starts with `prefix` (when not '') OR its name or
   * department (from the directory, recipients since SQLite notice schema 6) contains this text,
   * A–Z folded to lower case (other letters as written). '' or absent = no search (`prefix` alone).
   * A search walks the broadcast's recipients (O(N)): it is meant for the console's search box.
   */
  text?: string;
  sort: RecipientSort;
  order: 'asc' | 'desc';
  /** 1..1000. */
  limit: number;
  /** Continue after this cursor (from a previous page's `next`, same query); null/absent = from the start. */
  after?: string | null;
  /** Skip this many matching recipients first (page numbers); with `after`, skipped after the cursor. Default 0. */
  offset?: number;
}

/** One recipient row of a page: the record with its most advanced state and the state time. */
export interface RecipientView extends RecipientRecord {
  view: RecipientState;
  /** When it reached `view` (ms), null for pending and failed. */
  viewAt: number | null;
}

/** A page of recipients. */
export interface RecipientPage {
  recipients: RecipientView[];
  /** How many recipients match state, prefix and text (the whole result, not this page). */
  total: number;
  /** Opaque cursor of the next page of the same query; null when this is the last page. */
  next: string | null;
}

/** Options of {@link NoticeStore.claimBatch}. */
export interface ClaimOptions {
  /** Worker id (host:pid:random), recorded on the lease and in takeover audit entries. */
  owner: string;
  /** Most users to claim (the channel's maxBatchSize). */
  max: number;
  /** Lease length in ms: after `now + leaseMs` other workers may take the batch over. */
  leaseMs: number;
  /** How long to defer a recipient another broadcast is delivering the same version to, in ms. */
  deferMs: number;
}

/**
 * Everything the notice feature keeps. Every method may throw BotError 'STORE_UNAVAILABLE' when
 * the backend cannot answer; bad arguments throw 'STORE_BAD_ARGUMENT'.
 */
export interface NoticeStore {
  readonly kind: 'redis' | 'sqlite';

  /** Creates a notice with version 1. @throws STORE_BAD_ARGUMENT when the id exists. */
  createNotice(id: string, content: { title: Bilingual; body: Bilingual }, now: number): Promise<NoticeVersionRecord>;
  /** Adds the next version of a notice; null when the notice does not exist. */
  addNoticeVersion(id: string, content: { title: Bilingual; body: Bilingual }, now: number): Promise<NoticeVersionRecord | null>;
  /** One version (latest when `version` is omitted); null when absent. */
  getNoticeVersion(id: string, version?: number): Promise<NoticeVersionRecord | null>;
  /** Every version of a notice, oldest first; [] when the notice does not exist. */
  listNoticeVersions(id: string): Promise<NoticeVersionRecord[]>;
  /** Every notice, newest first. */
  listNotices(): Promise<NoticeSummary[]>;

  /** Records a broadcast in state 'resolving' with no recipients. @throws STORE_BAD_ARGUMENT when the id exists. */
  createBroadcast(b: NewBroadcast, now: number): Promise<BroadcastRecord>;
  /**
   * Adds recipients (state pending; ids already present are ignored; a bare string is a user id
   * without name or department; names and departments are cut to {@link MAX_RECIPIENT_LABEL_CHARS}) to a broadcast that is
   * still resolving. Returns how many were added. @throws STORE_BAD_ARGUMENT for another state.
   */
  addRecipients(broadcastId: string, recipients: (string | NewRecipient)[], now: number): Promise<number>;
  /** resolving -> sending (-> done at once when there are no recipients). Null when unknown. */
  startSending(broadcastId: string, now: number): Promise<BroadcastRecord | null>;
  /** resolving -> cancelled with `error` (audience resolution failed). Null when unknown. */
  failResolution(broadcastId: string, error: string, now: number): Promise<BroadcastRecord | null>;
  getBroadcast(id: string): Promise<BroadcastRecord | null>;
  /** Broadcasts, newest first, at most `limit` (default 100). */
  listBroadcasts(limit?: number): Promise<BroadcastRecord[]>;

  /**
   * The preparation lease of a resolving broadcast (the console's prepare, resolved in the
   * background by one instance): taken with the broadcast ({@link NewBroadcast.preparation}),
   * renewed by the instance preparing it (heartbeat) while the audience is being resolved, ended
   * when the preparation is ready or failed. A lease not renewed in time means that instance died;
   * any instance's worker then interrupts the preparation ({@link expiredPreparations},
   * {@link interruptPreparation}).
   *
   * Extends `owner`'s lease to `leaseUntil` (even an expired one: its holder was only slow, nobody
   * interrupted it yet). Returns false when `owner` does not hold it — ended, interrupted, another
   * owner's, or the broadcast is no longer resolving (confirmed, cancelled) or unknown.
   */
  renewPreparation(broadcastId: string, owner: string, leaseUntil: number, now: number): Promise<boolean>;
  /**
   * Ends `owner`'s preparation lease (the preparation finished, ready or failed). With `confirmBy`
   * (ms; the preparation is ready) the broadcast then awaits the admin's confirm until that time:
   * the lease passes to {@link AWAITING_CONFIRMATION} with `leaseUntil = confirmBy`
   * ({@link BroadcastRecord.confirmBy}), so an unconfirmed preparation is listed by
   * {@link expiredPreparations} once it is due and {@link interruptPreparation} expires it (confirming
   * — startSending — or cancelling ends the wait). No-op when `owner` does not hold the lease or the
   * broadcast is no longer resolving.
   */
  endPreparation(broadcastId: string, owner: string, now: number, confirmBy?: number): Promise<void>;
  /**
   * Resolving broadcasts whose preparation lease ended at or before `now` (the preparing instance
   * died, or owner {@link AWAITING_CONFIRMATION}: the confirm was not given in time), earliest first,
   * at most `limit`.
   */
  expiredPreparations(now: number, limit: number): Promise<PreparationLease[]>;
  /**
   * resolving -> cancelled with `error` (as {@link failResolution}, audit entry "audience
   * resolution failed: <error>"), only while the broadcast's preparation lease (or its wait for the
   * confirm) is still expired at `now` — checked in the same atomic step, so a holder that renewed
   * meanwhile keeps its preparation, and a broadcast confirmed meanwhile is sending. Returns the
   * broadcast when it was interrupted, null otherwise.
   */
  interruptPreparation(broadcastId: string, error: string, now: number): Promise<BroadcastRecord | null>;
  /** Ids of broadcasts in state 'sending' (the workers' to-do list). */
  activeBroadcastIds(): Promise<string[]>;

  /**
   * Atomically leases up to `max` claimable recipients of a sending broadcast to `owner` until
   * `now + leaseMs`: first-delivery recipients (pending, due, lease absent or expired), else
   * recipients queued for the current reminder round. Recipients whose version already reached
   * the employee are recorded as sent instead (`alreadyDelivered`); those another broadcast is
   * sending the version to right now are deferred by `deferMs`. Returns null when nothing is
   * claimable (or the broadcast is not sending).
   */
  claimBatch(broadcastId: string, options: ClaimOptions, now: number): Promise<ClaimedBatch | null>;
  /**
   * Records a batch's results, only for users still leased under `batch.leaseId` (a lost lease's
   * results are not applied; settling twice applies once). Sent users are recorded per employee
   * first, so a takeover that comes later skips them. Marks the broadcast done when nothing is left.
   */
  settleBatch(batch: Pick<ClaimedBatch, 'broadcastId' | 'leaseId' | 'kind' | 'round'>, settlement: BatchSettlement, now: number): Promise<SettleResult>;
  /**
   * Extends a live lease to `leaseUntil` (a worker still sending renews it, so only a dead
   * worker's batch is taken over), for the users of the batch still held under `leaseId`.
   * Returns how many users are still held (fewer than sent = part of the lease was lost).
   */
  renewLease(batch: Pick<ClaimedBatch, 'broadcastId' | 'leaseId' | 'kind'>, userIds: string[], leaseUntil: number, now: number): Promise<number>;
  /**
   * Gives a lease back before it ends (a worker shutting down with a batch it will not finish):
   * the users of the batch still held under `batch.leaseId` (and still waiting) lose the lease
   * and are claimable again at `now` by any worker, without an attempt counted; one audit entry
   * per user names `batch.owner`. The employees' reservations stay until they expire, so only
   * this broadcast may send to them meanwhile (its next claim proceeds at once). Results the
   * worker settles later for these users are stale. Returns how many users were released.
   */
  releaseLease(batch: Pick<ClaimedBatch, 'broadcastId' | 'leaseId' | 'kind' | 'owner'>, userIds: string[], now: number): Promise<number>;

  /** Every recipient, by user id. [] for an unknown broadcast. */
  listRecipients(broadcastId: string): Promise<RecipientRecord[]>;
  /**
   * One page of a broadcast's recipients, filtered, sorted and paged in the store (indexed: SQLite
   * generated columns with indexes, Redis sorted sets kept by every recipient write), so a page
   * costs about the same at 100 000 recipients as at 100. A prefix with sort 'time', or with sort
   * 'state' and no state, is filtered while walking the index. Null for an unknown broadcast.
   * @throws STORE_BAD_ARGUMENT for a bad limit/offset, a cursor of another store or query
   */
  queryRecipients(broadcastId: string, query: RecipientQuery): Promise<RecipientPage | null>;
  /**
   * How many recipients of a broadcast were first read, and acknowledged, in each interval
   * [edges[i], edges[i + 1]) (ms; edges ascending, 2..{@link MAX_TIMELINE_EDGES}): `read[i]` and
   * `acknowledged[i]`, one fewer than the edges. Counted from indexes on the stored times (SQLite:
   * partial indexes on read_at / ack_at; Redis: lex-ordered sorted sets of '<time>:<userId>', one
   * ZLEXCOUNT per interval), so the cost grows with the intervals, not with the recipients.
   * Null for an unknown broadcast. @throws STORE_BAD_ARGUMENT for bad edges
   */
  timeline(broadcastId: string, edges: readonly number[]): Promise<{ read: number[]; acknowledged: number[] } | null>;
  /** Failed recipients with reasons, by user id, at most `limit` (default 1000). */
  listFailures(broadcastId: string, limit?: number): Promise<{ userId: string; reason: string }[]>;
  /**
   * 'failed': failed recipients back to pending (attempts reset). 'unacknowledged': a new
   * reminder round for sent recipients without acknowledgement (each gets this round at most
   * once). A done broadcast becomes sending again when there is something to send.
   * A reminder round that queued anyone is recorded ({@link listReminderRounds}) with `by`, who
   * asked for it (1–300 characters, as createdBy; absent = not recorded).
   * Returns how many recipients were queued and the reminder round (0 for 'failed');
   * null when the broadcast is unknown. @throws STORE_BAD_ARGUMENT for a resolving or cancelled broadcast.
   */
  resend(broadcastId: string, only: ResendTarget, now: number, by?: string): Promise<{ queued: number; round: number } | null>;
  /**
   * Every reminder round of a broadcast, oldest first ([] for none, and for an unknown broadcast).
   * Rounds queued before rounds were recorded are read from the audit log once (their `by` is null).
   */
  listReminderRounds(broadcastId: string): Promise<ReminderRound[]>;
  /**
   * Stops a resolving or sending broadcast: nothing more is claimed; batches in flight are
   * still recorded. Cancelling twice or a done broadcast changes nothing. Null when unknown.
   */
  cancel(broadcastId: string, now: number): Promise<BroadcastRecord | null>;

  /** Records reads of sent recipients (first read wins); returns how many were new. */
  markRead(broadcastId: string, reads: { userId: string; readAt: number }[], now: number): Promise<number>;
  /**
   * Records an employee's acknowledgement of a notice version delivered to them (once: a second
   * one returns 'already' with the first time and channel), on the per-employee record and on
   * every broadcast of that version that counts them.
   */
  acknowledge(platform: string, userId: string, target: AckTarget, channel: AckChannel, now: number): Promise<AckOutcome>;
  /** Notice versions delivered to one employee, newest sent first. */
  userNotices(platform: string, userId: string): Promise<UserNoticeRecord[]>;

  /** Read handles of a broadcast not yet finished, oldest first. */
  listReadHandles(broadcastId: string): Promise<ReadHandleRecord[]>;
  /** Stops polling a read handle (everyone read, or the poll window closed). */
  finishReadHandle(broadcastId: string, handle: string): Promise<void>;

  /**
   * The audit log of a broadcast in append order, every entry with its chain fields. Appending
   * reads the chain head and writes the new one atomically (one transaction on SQLite; on Redis
   * a compare-and-set script, see src/store/redis/notices.ts), so concurrent writers never fork
   * the chain. [] for an unknown broadcast.
   */
  listAudit(broadcastId: string): Promise<AuditEvent[]>;
  /** The head of a broadcast's audit chain; null for an unknown broadcast (or one without entries). */
  auditHead(broadcastId: string): Promise<AuditChainHead | null>;

  /** Resolves when the backend answers. */
  ping(): Promise<void>;
  /** Closes connections / the database. Idempotent. */
  close(): Promise<void>;
}

/** Most edges {@link NoticeStore.timeline} takes (a year of hours fits). */
export const MAX_TIMELINE_EDGES = 10_000;

/** @throws BotError STORE_BAD_ARGUMENT unless `edges` are 2..MAX_TIMELINE_EDGES ascending integers ≥ 0. */
export function checkTimelineEdges(edges: readonly number[]): void {
  const ok = edges.length >= 2 && edges.length <= MAX_TIMELINE_EDGES && edges.every((e, i) => Number.isSafeInteger(e) && e >= 0 && (i === 0 || e > edges[i - 1]!));
  if (!ok) throw new BotError('STORE_BAD_ARGUMENT', `timeline: edges must be 2..${MAX_TIMELINE_EDGES} ascending whole ms`);
}

/** The most advanced state of a recipient: acknowledged > read > sent/failed/pending. */
export function recipientState(r: Pick<RecipientRecord, 'state' | 'readAt' | 'acknowledgedAt'>): RecipientState {
  if (r.state === 'sent' && r.acknowledgedAt !== null) return 'acknowledged';
  if (r.state === 'sent' && r.readAt !== null) return 'read';
  return r.state;
}
