import type { Logger } from 'pino';
import { z } from 'zod';
import { botError, BotError } from '../errors.ts';
import type {
  AckChannel,
  AckTarget,
  AudienceSpec,
  BatchKind,
  BroadcastCounts,
  BroadcastRecord,
  NoticeStore,
  NoticeSummary,
  NoticeVersionRecord,
  RecipientRecord,
  ReminderCounts,
  ReminderRound,
  ResendTarget,
  UserNoticeRecord,
} from '../store/ports/notices.ts';
import { ID_PATTERN, MAX_USER_ID_CHARS } from '../store/ports/notices-args.ts';
import { AWAITING_CONFIRMATION } from '../store/ports/notices.ts';
import type { Lang } from '../platform/message.ts';
import { ThrottledError, MAX_PEOPLE_RESULTS, type Audience, type DirectoryDepartment, type DirectoryPerson, type NoticeBatchResult, type NoticeChannel, type NoticeDelivery, type NoticePreview } from '../platform/notices.ts';
import type { KeyValueStore } from '../store/ports/store.ts';
import { formatDate, systemClock, type Clock } from './clock.ts';
import { auditCsv, auditPeople, recipientsCsv } from '../evidence/csv.ts';
import { withEvidenceTrailer, type ExportKind } from '../evidence/export.ts';
import type { EvidenceSigningKey } from '../evidence/key.ts';
import { newBroadcastId, newNoticeId } from './ids.ts';
import { ackTexts, titleIn } from './messages.ts';
import { convertToTaiwan, deliveryText, DEFAULT_NOTICE_LANGUAGE, EmployeeLanguages, recipientLanguage, sentTexts, type SentTexts } from './languages.ts';
import type { Bilingual, NoticeLanguage } from '../store/ports/notices.ts';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ackKey } from '../platform/notices.ts';
import { audienceSchema, broadcastAudienceSchema, convertRequestSchema, firstIssue, noticeContentSchema, type NoticeContent } from './schema.ts';
import { AUDIENCE_TEXT_MAX_NAMES, describeAudience, resolveAudienceSpec, type UnmatchedExclusions } from './audience.ts';
import { LOCAL_DATETIME, zonedIso, zonedLocalToEpoch } from '../evidence/time.ts';

/** Time zone of the dates employees read ("acknowledged on YYYY-MM-DD"), unless configured. */
export const DEFAULT_NOTICE_TIME_ZONE = 'Asia/Shanghai';

/** How long the state of a prepared broadcast is kept, in ms (a day: confirm it before then). */
export const PREPARE_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * How long the preparation lease of a broadcast being prepared lasts without a renewal, in ms: the
 * instance preparing it renews it every third of that; when it is not renewed (the instance died),
 * any instance's worker marks the preparation failed ({@link NoticeService.recoverPreparations}).
 */
export const PREPARATION_LEASE_MS = 30_000;

/** What a preparation interrupted by the death of the instance preparing it says (the console shows it). */
export const PREPARATION_INTERRUPTED = '准备中断，请重试 / preparation interrupted — retry';

/**
 * What a prepared broadcast nobody confirmed within {@link PREPARE_TTL_MS} of its head count says
 * (the admin closed the tab or walked away): it is cancelled with this reason, nothing was sent.
 */
export const PREPARATION_EXPIRED = '未确认，已过期 / not confirmed, expired';

/**
 * Whether a broadcast is scheduled and has not started at `now` (ms): confirmed (state sending) and
 * waiting for its `notBefore` — the workers claim nothing before then, so nobody has been sent
 * anything, and there is nobody to remind or retry yet. A broadcast's `notBefore` never changes
 * after it is recorded, so the answer only ever turns from true to false as time passes.
 */
export function isScheduled(b: Pick<BroadcastRecord, 'state' | 'notBefore'>, now: number): boolean {
  return b.state === 'sending' && b.notBefore !== null && b.notBefore > now;
}

/**
 * Whether a broadcast is expired at `now` (ms, the notice service's clock) — shown as
 * {@link PREPARATION_EXPIRED} ("未确认，已过期 / expired") by the API, the CLI and the console; nothing of it
 * was sent and nothing will be:
 * - cancelled by a worker because nobody confirmed its preparation in time (its error says so);
 * - prepared, awaiting the admin's confirm, and `confirmBy` has passed (a worker will cancel it so);
 * - still resolving, not awaiting a confirm, {@link PREPARE_TTL_MS} or more after it was created:
 *   its resolution never finished (the process resolving it died — a foreground send has no
 *   preparation lease for a worker to notice — or no worker ran to mark an interrupted preparation).
 *   Decided from the stored `createdAt`, so broadcasts recorded before this rule expire too, with no
 *   change to the data; a resolution takes minutes at most, never a day.
 */
export function isExpired(b: Pick<BroadcastRecord, 'state' | 'error' | 'confirmBy' | 'createdAt'>, now: number): boolean {
  if (b.state === 'cancelled') return b.error?.startsWith(PREPARATION_EXPIRED) ?? false;
  if (b.state !== 'resolving') return false;
  return b.confirmBy !== null ? b.confirmBy <= now : b.createdAt + PREPARE_TTL_MS <= now;
}

/**
 * The state of a prepared broadcast ({@link NoticeService.prepareBroadcast}):
 * - 'ready': `count` recipients recorded (resolved, after exclusions, deduplicated, less the
 *   unknown ids); `unknown` = typed or uploaded user ids the platform's directory does not know
 *   (not recorded, not counted, never sent); `checked` = whether the ids could be checked at all
 *   (false: the channel has no directory, or it failed — every id is counted, as before);
 *   `unmatchedExclusions` (present only when not empty) = excluded user ids that are not in the
 *   audience and excluded departments that removed nobody from it (a typo, or the wrong person
 *   picked: the exclusion changed nothing — a warning, the broadcast can still be confirmed);
 * - 'failed': `error` says why ("CODE: message"; `code` and `message` apart, for a client to word the
 *   code in its language); `interrupted` = the instance preparing it died (prepare again);
 *   `expired` = it was ready but not confirmed within {@link PREPARE_TTL_MS} (prepare again);
 *   `unknown` when every typed id was unknown.
 */
export type Preparation =
  | { state: 'preparing' }
  | { state: 'ready'; count: number; unknown: string[]; checked: boolean; unmatchedExclusions?: UnmatchedExclusions }
  | { state: 'failed'; error: string; code?: string; message?: string; interrupted?: boolean; expired?: boolean; unknown?: string[] };

/** Most unknown ids named in an error message (the preparation's `unknown` lists them all). */
const MAX_UNKNOWN_NAMED = 10;

const prepareKey = (id: string) => `notice:prepare:${id}`;

/** Usable user ids, deduplicated in order. */
function validUserIds(users: string[]): string[] {
  // eslint-disable-next-line no-control-regex
  return [...new Set(users.filter((u) => typeof u === 'string' && u.length > 0 && u.length <= MAX_USER_ID_CHARS && !/[\u0000-\u001f\u007f]/.test(u)))];
}

/** Recipients added to the store per call while a broadcast resolves. */
const RECIPIENT_CHUNK = 1000;

/** Longest platform error text quoted in a failed test send's message, in characters. */
const MAX_REASON_CHARS = 300;

/** Most failures listed in a broadcast view (the CSV export has all of them). */
export const MAX_FAILURES_SHOWN = 1000;

const audienceOnly = z.object({ audience: broadcastAudienceSchema });

/** A broadcast as the admin API, CLI and chat show it. */
export interface BroadcastView {
  id: string;
  noticeId: string;
  version: number;
  platform: string;
  audience: AudienceSpec;
  /** Sending starts no earlier than this (ms), or null. */
  notBefore: number | null;
  state: BroadcastRecord['state'];
  /** false = the platform has no read receipts (WeCom): `counts.read` stays 0 and exports say "unknown". */
  readSupported: boolean;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  error: string | null;
  /** A prepared broadcast awaiting the admin's confirm: when it expires unconfirmed (ms), else null ({@link PREPARATION_EXPIRED}). */
  confirmBy: number | null;
  counts: BroadcastCounts;
  reminder: ReminderCounts;
  /** Every reminder round, oldest first: when, for how many, who asked ([] before the first). `reminder` tallies the last one. */
  reminderRounds: ReminderRound[];
  duplicates: number;
  /** Failed recipients with the platform's reason, by user id (at most {@link MAX_FAILURES_SHOWN}). */
  failures: { userId: string; reason: string }[];
}

/** A notice with every version, oldest first. */
export interface NoticeView {
  id: string;
  latestVersion: number;
  versions: NoticeVersionRecord[];
}

/** Result of an employee's acknowledgement, with the notice version it concerns. */
export type AckResult =
  | { kind: 'acknowledged' | 'already'; record: UserNoticeRecord; notice: NoticeVersionRecord }
  | { kind: 'not-found' };

/** Options of {@link NoticeService}. */
export interface NoticeServiceOptions {
  store: NoticeStore;
  /** Shared key-value store for the state of prepared broadcasts (several instances see one answer). */
  kv?: KeyValueStore;
  log: Logger;
  /** Default {@link systemClock}. */
  clock?: Clock;
  /** IANA time zone of dates shown to employees; default 'Asia/Shanghai'. */
  timeZone?: string;
  /**
   * Key that signs CSV exports (EVIDENCE_SIGNING_KEY, docs/EVIDENCE.md); null or absent = exports
   * say they are unsigned and each export logs a warning.
   */
  evidenceKey?: EvidenceSigningKey | null;
  /**
   * The company's notice language (NOTICE_LANGUAGE, src/config.ts): the language of employees who
   * have not asked the bot anything recently; default 'bilingual'.
   */
  noticeLanguage?: NoticeLanguage;
  /** See {@link PREPARATION_LEASE_MS} (tests shorten it). */
  preparationLeaseMs?: number;
  /** This instance's id on preparation leases; default '<host>:<pid>:<random>'. */
  instanceId?: string;
}

function notFound(what: 'notice' | 'broadcast', id: string, version?: number): BotError {
  const code = what === 'notice' ? 'NOTICE_NOT_FOUND' : 'BROADCAST_NOT_FOUND';
  return new BotError(code, version === undefined ? `no ${what} ${id}` : `notice ${id} has no version ${version}`, { status: 404 });
}

function badRequest(message: string): BotError {
  return botError('NOTICE_BAD_REQUEST', message);
}

/**
 * The platform-neutral notice engine's front: notices and their versions, broadcasts (audience
 * resolution through the platform's {@link NoticeChannel}), status, resend, cancel, CSV exports
 * and employees' acknowledgements. Delivery itself is done by {@link BroadcastWorker}s
 * (src/notices/worker.ts), one per process, which share the work through store leases.
 *
 * Errors are BotErrors with an HTTP status: NOTICE_BAD_REQUEST (400, names the field),
 * NOTICE_PLATFORM_UNAVAILABLE (400), NOTICE_NOT_FOUND / BROADCAST_NOT_FOUND (404),
 * BROADCAST_NOT_RESENDABLE / BROADCAST_NOT_STARTED (409), NOTICE_AUDIENCE_EMPTY (422), NOTICE_AUDIENCE_FAILED (502),
 * STORE_UNAVAILABLE (503).
 */
export class NoticeService {
  readonly store: NoticeStore;
  readonly clock: Clock;
  readonly timeZone: string;
  private readonly log: Logger;
  private readonly channels = new Map<string, NoticeChannel>();
  private readonly startedListeners = new Set<(broadcastId: string) => void>();
  private readonly evidenceKey: EvidenceSigningKey | null;
  private readonly kv: KeyValueStore | null;
  private readonly preparing = new Set<Promise<unknown>>();
  /** NOTICE_LANGUAGE. */
  readonly noticeLanguage: NoticeLanguage;
  /** This instance's id on preparation leases. */
  readonly instanceId: string;
  private readonly preparationLeaseMs: number;
  private readonly languages: EmployeeLanguages | null;

  constructor(options: NoticeServiceOptions) {
    this.store = options.store;
    this.kv = options.kv ?? null;
    this.languages = this.kv ? new EmployeeLanguages(this.kv) : null;
    this.noticeLanguage = options.noticeLanguage ?? DEFAULT_NOTICE_LANGUAGE;
    this.preparationLeaseMs = options.preparationLeaseMs ?? PREPARATION_LEASE_MS;
    this.instanceId = options.instanceId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.log = options.log;
    this.evidenceKey = options.evidenceKey ?? null;
    this.clock = options.clock ?? systemClock;
    this.timeZone = options.timeZone ?? DEFAULT_NOTICE_TIME_ZONE;
  }

  /** Makes a platform's notice delivery available (called by the server and the CLI per configured adapter). */
  registerChannel(channel: NoticeChannel): void {
    if (!Number.isSafeInteger(channel.maxBatchSize) || channel.maxBatchSize < 1) {
      throw new BotError('NOTICE_CHANNEL_INVALID', `${channel.platform} notice channel: maxBatchSize must be a positive integer`);
    }
    this.channels.set(channel.platform, channel);
  }

  /** The channel of a platform, or undefined when that platform is not configured here. */
  channelFor(platform: string): NoticeChannel | undefined {
    return this.channels.get(platform);
  }

  /** Platforms with a registered channel. */
  platforms(): string[] {
    return [...this.channels.keys()].sort();
  }

  /**
   * How many distinct users an audience covers on a platform right now (the console shows it
   * before the admin confirms a send). Records nothing.
   * @throws NOTICE_BAD_REQUEST, NOTICE_PLATFORM_UNAVAILABLE (400); the channel's directory errors
   */
  async audienceSize(platform: string, audience: unknown): Promise<number> {
    const parsed = audienceOnly.safeParse({ audience });
    if (!parsed.success) throw badRequest(firstIssue(parsed.error));
    const channel = this.channels.get(platform);
    if (!channel) throw botError('NOTICE_PLATFORM_UNAVAILABLE', `platform ${platform} cannot send notices here`);
    return new Set((await resolveAudienceSpec(channel, parsed.data.audience)).users).size;
  }

  /** Calls `listener(broadcastId)` whenever a broadcast gets something to send (so a local worker wakes at once). */
  onWork(listener: (broadcastId: string) => void): () => void {
    this.startedListeners.add(listener);
    return () => this.startedListeners.delete(listener);
  }

  private workAvailable(broadcastId: string): void {
    for (const l of this.startedListeners) l(broadcastId);
  }

  private parseContent(input: unknown): NoticeContent {
    const r = noticeContentSchema.safeParse(input);
    if (!r.success) throw badRequest(firstIssue(r.error));
    return r.data;
  }

  // ---- notices ----

  /**
   * Simplified Chinese title and/or body converted to Taiwan Traditional (OpenCC twp, as employees
   * get when no zh-TW text is written); records nothing. Input `{"title"?, "body"?}`.
   * @throws NOTICE_BAD_REQUEST (400) naming the field
   */
  convertToTaiwan(input: unknown): { title?: string; body?: string } {
    const r = convertRequestSchema.safeParse(input);
    if (!r.success) throw badRequest(firstIssue(r.error));
    return {
      ...(r.data.title !== undefined ? { title: convertToTaiwan(r.data.title) } : {}),
      ...(r.data.body !== undefined ? { body: convertToTaiwan(r.data.body) } : {}),
    };
  }

  /** Creates a notice (version 1) from `{title: {zh, en?, zh-TW?}, body: {zh, en?, zh-TW?}}` (validated). */
  async createNotice(input: unknown): Promise<NoticeVersionRecord> {
    const content = this.parseContent(input);
    return this.store.createNotice(newNoticeId(), content, this.clock.now());
  }

  /** Adds a version to a notice (the old ones stay readable). @throws NOTICE_NOT_FOUND */
  async editNotice(id: string, input: unknown): Promise<NoticeVersionRecord> {
    const content = this.parseContent(input);
    if (!ID_PATTERN.test(id)) throw notFound('notice', id);
    const v = await this.store.addNoticeVersion(id, content, this.clock.now());
    if (!v) throw notFound('notice', id);
    return v;
  }

  /** A notice with all its versions. @throws NOTICE_NOT_FOUND */
  async getNotice(id: string): Promise<NoticeView> {
    if (!ID_PATTERN.test(id)) throw notFound('notice', id);
    const versions = await this.store.listNoticeVersions(id);
    if (versions.length === 0) throw notFound('notice', id);
    return { id, latestVersion: versions[versions.length - 1]!.version, versions };
  }

  /** One version (latest when omitted). @throws NOTICE_NOT_FOUND */
  async getNoticeVersion(id: string, version?: number): Promise<NoticeVersionRecord> {
    if (!ID_PATTERN.test(id) || (version !== undefined && (!Number.isSafeInteger(version) || version < 1))) throw notFound('notice', id, version);
    const v = await this.store.getNoticeVersion(id, version);
    if (!v) throw notFound('notice', id, version);
    return v;
  }

  listNotices(): Promise<NoticeSummary[]> {
    return this.store.listNotices();
  }

  // ---- broadcasts ----

  /**
   * Creates a broadcast of a notice version (latest unless given) to an audience on a platform:
   * records it (state resolving), resolves the audience through the platform's channel,
   * records every recipient as pending, and hands it to the workers (state sending). Resolves
   * once the recipients are recorded; delivery runs in the background.
   * Equals {@link recordBroadcast} then {@link startBroadcast}.
   * @param createdBy 'api', 'cli' or 'chat:<platform>:<userId>' (kept in the audit log)
   * @throws NOTICE_BAD_REQUEST (bad audience), NOTICE_PLATFORM_UNAVAILABLE, NOTICE_NOT_FOUND,
   *   NOTICE_AUDIENCE_FAILED (the directory API failed; the broadcast is cancelled with the reason),
   *   NOTICE_AUDIENCE_EMPTY (nobody in the audience; cancelled too)
   */
  async createBroadcast(input: { noticeId: string; version?: number; platform: string; audience: unknown; createdBy: string; notBefore?: number | string }): Promise<BroadcastView> {
    const id = await this.recordBroadcast(input);
    return this.startBroadcast(id);
  }

  /**
   * The first, fast half of {@link createBroadcast}: checks the audience, the platform and the
   * notice version and records the broadcast (state resolving, no recipients) — store calls
   * only, no platform call. The decision to send is durable when this resolves.
   * @param input.id the broadcast id to use (default a new one); recording an id that exists throws
   *   STORE_BAD_ARGUMENT, so a caller that chose the id beforehand records it at most once
   * @returns the broadcast id
   * @throws NOTICE_BAD_REQUEST, NOTICE_PLATFORM_UNAVAILABLE, NOTICE_NOT_FOUND; STORE_BAD_ARGUMENT when `id` exists
   */
  async recordBroadcast(input: { id?: string; noticeId: string; version?: number; platform: string; audience: unknown; createdBy: string; notBefore?: number | string }): Promise<string> {
    return this.record(input);
  }

  /** {@link recordBroadcast}, with a preparation lease taken with the record when `preparation` is given. */
  private async record(
    input: { id?: string; noticeId: string; version?: number; platform: string; audience: unknown; createdBy: string; notBefore?: number | string },
    preparation?: { owner: string; leaseMs: number },
  ): Promise<string> {
    const parsed = audienceOnly.safeParse({ audience: input.audience });
    if (!parsed.success) throw badRequest(firstIssue(parsed.error));
    const audience = parsed.data.audience;
    const channel = this.channels.get(input.platform);
    if (!channel) {
      const known = this.platforms();
      throw botError('NOTICE_PLATFORM_UNAVAILABLE',
        `platform ${input.platform} cannot send notices here (${known.length ? `configured: ${known.join(', ')}` : 'no platform is configured'})`);
    }
    const notice = await this.getNoticeVersion(input.noticeId, input.version);
    const id = input.id ?? newBroadcastId();
    const notBefore = input.notBefore === undefined ? null : typeof input.notBefore === 'number' ? input.notBefore
      : LOCAL_DATETIME.test(input.notBefore) ? zonedLocalToEpoch(input.notBefore, this.timeZone) : Date.parse(input.notBefore);
    if (notBefore !== null && (!Number.isSafeInteger(notBefore) || notBefore < 0)) {
      throw badRequest('notBefore: must be "YYYY-MM-DDTHH:mm" in the company time zone, an ISO 8601 time with an offset, or ms since the epoch');
    }
    await this.store.createBroadcast(
      {
        id, noticeId: notice.noticeId, version: notice.version, platform: channel.platform, audience, readSupported: channel.readSupported, createdBy: input.createdBy,
        // A time already past is "now": nothing to wait for.
        notBefore: notBefore !== null && notBefore > this.clock.now() ? notBefore : null,
        ...(preparation ? { preparation: { owner: preparation.owner, leaseUntil: this.clock.now() + preparation.leaseMs } } : {}),
      },
      this.clock.now(),
    );
    return id;
  }

  /**
   * The second half of {@link createBroadcast}: resolves the audience of a recorded broadcast
   * (state resolving) through its platform's channel, records every recipient as pending and
   * starts sending. A broadcast no longer resolving is returned as it is. Run it once per
   * broadcast (two runs at once would both resolve it).
   * @throws BROADCAST_NOT_FOUND, NOTICE_PLATFORM_UNAVAILABLE, NOTICE_AUDIENCE_FAILED, NOTICE_AUDIENCE_EMPTY
   */
  async startBroadcast(id: string): Promise<BroadcastView> {
    const b = await this.store.getBroadcast(id);
    if (!b) throw notFound('broadcast', id);
    if (b.state !== 'resolving') return this.getBroadcast(id);
    const channel = this.channels.get(b.platform);
    if (!channel) {
      await this.store.failResolution(id, `platform ${b.platform} cannot send notices here`, this.clock.now());
      throw botError('NOTICE_PLATFORM_UNAVAILABLE', `platform ${b.platform} cannot send notices here; broadcast ${id} was cancelled`);
    }
    let users: string[];
    try {
      users = (await resolveAudienceSpec(channel, b.audience)).users;
    } catch (err) {
      const e = err as { code?: string; message?: string };
      const reason = `${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}`;
      await this.store.failResolution(id, reason, this.clock.now());
      this.log.warn({ broadcast: id, platform: channel.platform, code: e.code }, 'audience resolution failed');
      throw new BotError('NOTICE_AUDIENCE_FAILED', `the ${channel.platform} directory could not resolve the audience (${reason}); broadcast ${id} was cancelled`, {
        status: 502,
        cause: err,
      });
    }
    // eslint-disable-next-line no-control-regex
    const valid = [...new Set(users.filter((u) => typeof u === 'string' && u.length > 0 && u.length <= MAX_USER_ID_CHARS && !/[\u0000-\u001f\u007f]/.test(u)))];
    if (valid.length < users.length) this.log.warn({ broadcast: id, dropped: users.length - valid.length }, 'audience: duplicate or unusable user ids dropped');
    if (valid.length === 0) {
      await this.store.failResolution(id, 'the audience has no users the app can see', this.clock.now());
      throw botError('NOTICE_AUDIENCE_EMPTY', `the audience has no users the app can see on ${channel.platform}; broadcast ${id} was cancelled`);
    }
    await this.addNamedRecipients(id, channel, valid);
    await this.store.startSending(id, this.clock.now());
    this.log.info({ broadcast: id, notice: b.noticeId, version: b.version, platform: channel.platform, recipients: valid.length }, 'broadcast started');
    this.workAvailable(id);
    return this.getBroadcast(id);
  }

  // ---- prepare, then confirm (the console's send) ----

  /**
   * Company Communicator's "prepare, then send": records the broadcast (state resolving, checks as
   * {@link recordBroadcast}, so bad input is a 4xx at once) and resolves its audience in the
   * background — after the HTTP request has been answered — adding every recipient (with display
   * name and department when the directory gives them) without starting to send. Typed or uploaded
   * user ids the channel's directory does not know are left out and reported, and so are
   * exclusions that removed nobody from the audience ({@link Preparation}).
   * The console polls {@link preparation} for the head count, then {@link confirm} starts sending
   * (or {@link cancel} drops it). Preparation state is kept in the shared key-value store for
   * {@link PREPARE_TTL_MS}.
   *
   * The preparation is a lease ({@link PREPARATION_LEASE_MS}) taken with the broadcast record and
   * renewed by this instance while it resolves; if this instance dies, any instance's worker finds
   * the expired lease and marks the preparation failed ({@link PREPARATION_INTERRUPTED}) rather
   * than resuming it — see {@link recoverPreparations} for why.
   * @returns the broadcast id
   * @throws as {@link recordBroadcast}; BotError 'NOTICE_BAD_REQUEST' without a key-value store
   */
  async prepareBroadcast(input: { noticeId: string; version?: number; platform: string; audience: unknown; createdBy: string; notBefore?: number | string }): Promise<string> {
    if (!this.kv) throw badRequest('prepare: this server keeps no preparation state');
    const id = await this.record(input, { owner: this.instanceId, leaseMs: this.preparationLeaseMs });
    await this.kv.set(prepareKey(id), JSON.stringify({ state: 'preparing' }), PREPARE_TTL_MS);
    const job = this.resolvePrepared(id).finally(() => this.preparing.delete(job));
    this.preparing.add(job);
    return id;
  }

  /**
   * Display name and department of `users` from the channel's directory; null when the channel has
   * none or it failed (names are labels only: the user ids are what is sent to).
   */
  private async describeUsers(id: string, channel: NoticeChannel, users: string[]): Promise<Map<string, DirectoryPerson> | null> {
    if (!channel.org) return null;
    try {
      return await channel.org.describe(users);
    } catch (err) {
      this.log.warn({ broadcast: id, platform: channel.platform, code: (err as { code?: string }).code }, 'recipient names unavailable: the directory failed');
      return null;
    }
  }

  /**
   * Records `users` as pending recipients of a resolving broadcast, with display name and
   * department from `people` (or from the channel's directory when not given).
   */
  private async addNamedRecipients(id: string, channel: NoticeChannel, users: string[], people?: Map<string, DirectoryPerson> | null): Promise<void> {
    const named = people !== undefined ? people : await this.describeUsers(id, channel, users);
    for (let i = 0; i < users.length; i += RECIPIENT_CHUNK) {
      const chunk = users.slice(i, i + RECIPIENT_CHUNK).map((u) => {
        const p = named?.get(u);
        return p ? { userId: u, name: p.name, department: p.department } : u;
      });
      await this.store.addRecipients(id, chunk, this.clock.now());
    }
  }

  /** Resolves when every preparation started by this process has finished (tests, shutdown). */
  async preparationsSettled(): Promise<void> {
    while (this.preparing.size > 0) await Promise.allSettled([...this.preparing]);
  }

  private async resolvePrepared(id: string): Promise<void> {
    const kv = this.kv!;
    const owner = this.instanceId;
    const leaseMs = this.preparationLeaseMs;
    // Heartbeat: keep the preparation lease while the directory is being walked (it can take
    // minutes on a large company); a dead instance stops renewing and another one's worker takes note.
    const heartbeat = setInterval(() => {
      const now = this.clock.now();
      this.store.renewPreparation(id, owner, now + leaseMs, now).then(
        (held) => {
          if (!held) this.log.warn({ broadcast: id, owner }, 'preparation lease lost (interrupted, cancelled or confirmed meanwhile)');
        },
        (err: unknown) => this.log.warn({ broadcast: id, code: (err as { code?: string }).code }, 'could not renew a preparation lease'),
      );
    }, Math.max(20, Math.floor(leaseMs / 3)));
    heartbeat.unref();
    let unknown: string[] = [];
    try {
      const b = await this.store.getBroadcast(id);
      const channel = b ? this.channels.get(b.platform) : undefined;
      if (!b || !channel) throw botError('NOTICE_PLATFORM_UNAVAILABLE', `platform ${b?.platform ?? '?'} cannot send notices here`);
      const resolved = await resolveAudienceSpec(channel, b.audience);
      const users = validUserIds(resolved.users);
      const unmatched = resolved.unmatchedExclusions;
      const unmatchedCount = unmatched.userIds.length + unmatched.departmentIds.length;
      // Typed or uploaded ids are checked against the directory (when there is one): ids it does
      // not know are reported, not counted and never sent. Members of departments came from the
      // directory itself; a name missing for one of them costs only the label.
      const people = users.length > 0 ? await this.describeUsers(id, channel, users) : null;
      const typed = new Set((b.audience as { userIds?: string[] }).userIds ?? []);
      unknown = people ? users.filter((u) => typed.has(u) && !people.has(u)) : [];
      const gone = new Set(unknown);
      const recipients = unknown.length > 0 ? users.filter((u) => !gone.has(u)) : users;
      if (recipients.length === 0) {
        if (unknown.length > 0) {
          const named = unknown.slice(0, MAX_UNKNOWN_NAMED).join(', ') + (unknown.length > MAX_UNKNOWN_NAMED ? ', …' : '');
          throw botError('NOTICE_AUDIENCE_EMPTY', `none of the user ids is in the ${channel.platform} directory (${unknown.length} unknown: ${named})`);
        }
        throw botError('NOTICE_AUDIENCE_EMPTY', `the audience has no users the app can see on ${channel.platform}`);
      }
      await this.addNamedRecipients(id, channel, recipients, people);
      const ready: Preparation = { state: 'ready', count: recipients.length, unknown, checked: people !== null, ...(unmatchedCount > 0 ? { unmatchedExclusions: unmatched } : {}) };
      await kv.set(prepareKey(id), JSON.stringify(ready), PREPARE_TTL_MS);
      clearInterval(heartbeat);
      // Ready: the broadcast now waits for the admin's confirm, until the preparation state expires
      // with it (an abandoned dialog must not stay "preparing" forever: recoverPreparations).
      const now = this.clock.now();
      await this.store.endPreparation(id, owner, now, now + PREPARE_TTL_MS);
      this.log.info({ broadcast: id, platform: channel.platform, recipients: recipients.length, unknown: unknown.length, checked: people !== null, unmatchedExclusions: unmatchedCount }, 'broadcast prepared');
    } catch (err) {
      clearInterval(heartbeat);
      const e = err as { code?: string; message?: string };
      const reason = `${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}`;
      this.log.warn({ broadcast: id, code: e.code }, 'broadcast preparation failed');
      // Already cancelled (by an admin, or interrupted by another instance that took this one for
      // dead): the broadcast's own reason stands.
      const b = await this.store.failResolution(id, reason, this.clock.now()).catch(() => null);
      const error = b?.error ?? reason;
      const interrupted = error.startsWith(PREPARATION_INTERRUPTED);
      const state: Preparation = { state: 'failed', error, ...(e.code ? { code: e.code } : {}), message: e.message ?? String(err), ...(interrupted ? { interrupted } : {}), ...(unknown.length > 0 ? { unknown } : {}) };
      await kv.set(prepareKey(id), JSON.stringify(state), PREPARE_TTL_MS).catch(() => undefined);
    }
  }

  /**
   * Marks failed every preparation whose lease expired — the instance preparing it died (or
   * stalled past the lease) — with {@link PREPARATION_INTERRUPTED}: the broadcast is cancelled with
   * that reason (audit "audience resolution failed: …", naming the instance), and the console,
   * polling its preparation, shows it. Likewise every ready preparation nobody confirmed within
   * {@link PREPARE_TTL_MS} (the tab was closed, the admin walked away) is cancelled with
   * {@link PREPARATION_EXPIRED}, so it does not stay 'resolving' as if it were a real send.
   * Called by every instance's worker on each round (the store's atomic check makes one instance
   * mark each). Returns how many it marked of each. Never throws for one broadcast: a failure is
   * logged and retried next round.
   *
   * Why fail rather than resume (re-run the resolution, which is idempotent): nothing is sent
   * before an admin confirms, and the admin who prepared it is waiting at the send dialog — one
   * click prepares again, with a fresh head count from one complete resolution. Resuming would
   * instead (1) add to the recipients the dead run had already recorded, which are never removed,
   * so a directory that changed in between (someone left, moved to an excluded department) would
   * leave them counted and sent; and (2) hand a preparation that killed its instance (memory,
   * a crashing directory reply) to the next instance, and the next, taking every instance down one
   * after another.
   */
  async recoverPreparations(limit = 50): Promise<{ interrupted: number; expired: number }> {
    const now = this.clock.now();
    const marked = { interrupted: 0, expired: 0 };
    for (const lease of await this.store.expiredPreparations(now, limit)) {
      try {
        const unconfirmed = lease.owner === AWAITING_CONFIRMATION;
        const error = unconfirmed
          ? `${PREPARATION_EXPIRED} (ready, but not confirmed by ${new Date(lease.leaseUntil).toISOString()}; nothing was sent)`
          : `${PREPARATION_INTERRUPTED} (the instance preparing it stopped: lease of ${lease.owner} ended ${new Date(lease.leaseUntil).toISOString()})`;
        const b = await this.store.interruptPreparation(lease.broadcastId, error, now);
        if (!b) continue; // renewed or confirmed meanwhile (its instance was only slow), or already settled
        const failed: Preparation = { state: 'failed', error: b.error ?? error, ...(unconfirmed ? { expired: true } : { interrupted: true }) };
        if (this.kv) await this.kv.set(prepareKey(b.id), JSON.stringify(failed), PREPARE_TTL_MS);
        if (unconfirmed) {
          marked.expired++;
          this.log.info({ broadcast: b.id, confirmBy: lease.leaseUntil }, 'prepared broadcast expired: not confirmed in time');
        } else {
          marked.interrupted++;
          this.log.warn({ broadcast: b.id, owner: lease.owner, leaseUntil: lease.leaseUntil }, 'broadcast preparation interrupted: the instance preparing it stopped');
        }
      } catch (err) {
        const e = err as { code?: string; message?: string };
        this.log.warn({ broadcast: lease.broadcastId, code: e.code, err: e.message }, 'could not mark an interrupted preparation; next round');
      }
    }
    return marked;
  }

  /**
   * Where the preparation of a broadcast stands (see {@link Preparation}); null when the broadcast
   * was not prepared here (or the state expired). A broadcast cancelled meanwhile (interrupted, or
   * by an admin) reads 'failed' with its reason. @throws BROADCAST_NOT_FOUND
   */
  async preparation(id: string): Promise<Preparation | null> {
    const b = await this.getBroadcast(id);
    const raw = this.kv ? await this.kv.get(prepareKey(id)) : null;
    if (!raw) return null;
    const p = JSON.parse(raw) as Preparation;
    if (p.state !== 'failed' && b.state === 'cancelled') {
      const error = b.error ?? 'cancelled';
      return { state: 'failed', error, ...(error.startsWith(PREPARATION_INTERRUPTED) ? { interrupted: true } : {}), ...(error.startsWith(PREPARATION_EXPIRED) ? { expired: true } : {}) };
    }
    // Expired but not cancelled yet ({@link isExpired}): what a worker's cancel will say.
    if (p.state !== 'failed' && isExpired(b, this.clock.now())) return { state: 'failed', error: this.expiredReason(b), expired: true };
    if (p.state === 'ready') return { state: 'ready', count: p.count, unknown: p.unknown ?? [], checked: p.checked ?? false, ...(p.unmatchedExclusions ? { unmatchedExclusions: p.unmatchedExclusions } : {}) };
    return p;
  }

  /** The reason an expired, not yet cancelled broadcast ({@link isExpired}) is given, as a worker's cancel words it. */
  private expiredReason(b: Pick<BroadcastRecord, 'confirmBy' | 'createdAt'>): string {
    return b.confirmBy !== null
      ? `${PREPARATION_EXPIRED} (ready, but not confirmed by ${new Date(b.confirmBy).toISOString()}; nothing was sent)`
      : `${PREPARATION_EXPIRED} (its preparation did not finish within a day of ${new Date(b.createdAt).toISOString()}; nothing was sent)`;
  }

  /**
   * Starts sending a prepared broadcast (the admin's explicit confirm). Confirming twice returns
   * the broadcast as it is. @throws BROADCAST_NOT_FOUND; BROADCAST_NOT_PREPARED (409) while
   * preparing, after a failed preparation, or for a broadcast cancelled meanwhile
   */
  async confirm(id: string): Promise<BroadcastView> {
    const b = await this.getBroadcast(id);
    if (b.state === 'sending' || b.state === 'done') return b;
    const p = await this.preparation(id);
    if (b.state !== 'resolving' || p?.state !== 'ready') {
      const why = b.state === 'cancelled' ? 'it was cancelled' : p?.state === 'failed' && p.expired ? 'its preparation expired' : p?.state === 'preparing' ? 'its audience is still being resolved' : 'it was not prepared';
      throw botError('BROADCAST_NOT_PREPARED', `broadcast ${id} cannot start: ${why}`);
    }
    await this.store.startSending(id, this.clock.now());
    this.log.info({ broadcast: id, recipients: p.count }, 'prepared broadcast confirmed');
    this.workAvailable(id);
    return this.getBroadcast(id);
  }

  // ---- directory (the console's audience picker) ----

  private org(platform: string) {
    const channel = this.channels.get(platform);
    if (!channel) throw botError('NOTICE_PLATFORM_UNAVAILABLE', `platform ${platform} cannot send notices here`);
    if (!channel.org) throw botError('NOTICE_DIRECTORY_UNSUPPORTED', `the ${platform} directory cannot be browsed here; give department or user ids`);
    return channel.org;
  }

  /** The department tree of a platform with head counts. @throws NOTICE_PLATFORM_UNAVAILABLE, NOTICE_DIRECTORY_UNSUPPORTED (400); directory errors */
  async departments(platform: string): Promise<DirectoryDepartment[]> {
    return this.org(platform).departments();
  }

  /**
   * People of a platform found by name, at most `limit` (clamped to 1..{@link MAX_PEOPLE_RESULTS}).
   * @throws NOTICE_BAD_REQUEST (query empty or over 64 characters), NOTICE_PLATFORM_UNAVAILABLE, NOTICE_DIRECTORY_UNSUPPORTED
   */
  async searchPeople(platform: string, query: string, limit = 20): Promise<DirectoryPerson[]> {
    const q = query.trim();
    if (q === '' || q.length > 64) throw badRequest('q: 1–64 characters');
    const n = Math.min(MAX_PEOPLE_RESULTS, Math.max(1, Math.floor(Number.isFinite(limit) ? limit : 20)));
    return (await this.org(platform).searchPeople(q, n)).slice(0, n);
  }

  /** A broadcast record, or null when there is none (no failure list). */
  async findBroadcast(id: string): Promise<BroadcastRecord | null> {
    if (!ID_PATTERN.test(id)) return null;
    return this.store.getBroadcast(id);
  }

  /** A broadcast with counts, reminder rounds and failures. @throws BROADCAST_NOT_FOUND */
  async getBroadcast(id: string): Promise<BroadcastView> {
    if (!ID_PATTERN.test(id)) throw notFound('broadcast', id);
    const b = await this.store.getBroadcast(id);
    if (!b) throw notFound('broadcast', id);
    const failures = b.counts.failed > 0 ? await this.store.listFailures(id, MAX_FAILURES_SHOWN) : [];
    const reminderRounds = b.reminder.round > 0 ? await this.store.listReminderRounds(id) : [];
    return { ...b, reminderRounds, failures };
  }

  /** Broadcasts, newest first (without failure lists). */
  async listBroadcasts(limit = 100): Promise<BroadcastRecord[]> {
    return this.store.listBroadcasts(limit);
  }

  /**
   * Resend: 'failed' retries failed recipients; 'unacknowledged' sends a reminder round (same
   * version, recorded as a reminder) to sent recipients who have not acknowledged.
   * @param by who asks, as createdBy ('console:<name>', 'api', 'cli'): kept with the reminder round
   *   ({@link BroadcastView.reminderRounds}); absent = not recorded
   * @throws BROADCAST_NOT_FOUND; BROADCAST_NOT_RESENDABLE (409) while resolving or when cancelled;
   *   BROADCAST_NOT_STARTED (409) while it is scheduled and has not started ({@link isScheduled}):
   *   nothing is queued or recorded
   */
  async resend(id: string, only: ResendTarget, by?: string): Promise<{ id: string; only: ResendTarget; queued: number; round: number }> {
    if (only !== 'failed' && only !== 'unacknowledged') throw badRequest('only: must be "failed" or "unacknowledged"');
    if (!ID_PATTERN.test(id)) throw notFound('broadcast', id);
    const now = this.clock.now();
    // Checked here, not in the store: `notBefore` never changes once recorded, so a broadcast that is
    // not scheduled at `now` cannot become scheduled before the store's resend runs at the same `now`.
    const b = await this.store.getBroadcast(id);
    if (!b) throw notFound('broadcast', id);
    if (isScheduled(b, now)) throw botError('BROADCAST_NOT_STARTED', `scheduled for ${zonedIso(b.notBefore, this.timeZone)}, not started`);
    let r: { queued: number; round: number } | null;
    try {
      r = await this.store.resend(id, only, now, by);
    } catch (err) {
      if ((err as BotError).code === 'STORE_BAD_ARGUMENT') {
        throw botError('BROADCAST_NOT_RESENDABLE', `broadcast ${id} cannot be resent: ${(err as Error).message.replace(/^resend: /, '')}`);
      }
      throw err;
    }
    if (!r) throw notFound('broadcast', id);
    if (r.queued > 0) this.workAvailable(id);
    this.log.info({ broadcast: id, only, queued: r.queued, round: r.round }, 'resend queued');
    return { id, only, queued: r.queued, round: r.round };
  }

  /**
   * Discards a prepared broadcast nobody confirmed (the console does when the admin changes the audience or closes the
   * send dialog after a head count): it is cancelled as {@link cancel} does, nothing having been sent; idempotent for
   * one already cancelled. @throws BROADCAST_NOT_FOUND; BROADCAST_NOT_DISCARDABLE (409) once confirmed (sending, done)
   */
  async discardPreparation(id: string): Promise<BroadcastView> {
    const b = await this.getBroadcast(id);
    if (b.state === 'cancelled') return b;
    if (b.state !== 'resolving') throw botError('BROADCAST_NOT_DISCARDABLE', `broadcast ${id} was confirmed (${b.state}): it is not an unconfirmed preparation`);
    return this.cancel(id);
  }

  /** Cancels a broadcast (idempotent; a done one stays done). @throws BROADCAST_NOT_FOUND */
  async cancel(id: string): Promise<BroadcastView> {
    if (!ID_PATTERN.test(id)) throw notFound('broadcast', id);
    const b = await this.store.cancel(id, this.clock.now());
    if (!b) throw notFound('broadcast', id);
    this.log.info({ broadcast: id, state: b.state }, 'broadcast cancel requested');
    return this.getBroadcast(id);
  }

  /**
   * recipients.csv of a broadcast with the evidence trailer: the head of the audit chain read after
   * the recipients (so it covers every change they show) and the signature. @throws BROADCAST_NOT_FOUND
   */
  async recipientsCsv(id: string): Promise<string> {
    const b = await this.getBroadcast(id);
    const csv = recipientsCsv(b, await this.store.listRecipients(id), this.timeZone);
    return this.sealExport('recipients', b, csv, await this.store.auditHead(id));
  }

  /**
   * audit.csv of a broadcast (every row with its chain link, and the recipient's name and department
   * from the recipient records — outside the chain) with the evidence trailer. @throws BROADCAST_NOT_FOUND
   */
  async auditCsv(id: string): Promise<string> {
    const b = await this.getBroadcast(id);
    const events = await this.store.listAudit(id);
    const people = auditPeople(await this.store.listRecipients(id));
    const last = events.at(-1);
    return this.sealExport('audit', b, auditCsv(events, this.timeZone, people), last ? { rows: last.seq, hash: last.hash } : null);
  }

  /**
   * The facts every export of broadcast `b` states (CSV trailer, XLSX evidence sheet): the broadcast,
   * its notice, version, that version's title and text as written, the texts employees were actually sent (in the
   * languages this broadcast sent: `noticeSent`, absent when a send predates the record of its language), who
   * created (confirmed) it and the audience it was created with (as recorded, and in words).
   * @throws NOTICE_NOT_FOUND when the notice version is gone (it never is: versions are kept)
   */
  async exportFacts(b: Pick<BroadcastView, 'id' | 'noticeId' | 'version' | 'createdBy' | 'audience' | 'platform'>): Promise<{
    broadcastId: string;
    noticeId: string;
    noticeVersion: number;
    noticeTitle: Bilingual;
    noticeBody: Bilingual;
    createdBy: string;
    audience: AudienceSpec;
    audienceText: string;
    noticeSent?: SentTexts;
  }> {
    const v = await this.getNoticeVersion(b.noticeId, b.version);
    const recipients = await this.store.listRecipients(b.id);
    // The languages this broadcast sent (first deliveries and reminders); unknown when a send predates their record.
    const languages = new Set<NoticeLanguage>();
    let unknown = false;
    for (const r of recipients) {
      if (r.language) languages.add(r.language);
      else if (r.sentAt !== null && r.deliveredBy === null) unknown = true;
      if (r.remindedLanguage) languages.add(r.remindedLanguage);
      else if (r.remindedAt !== null) unknown = true;
    }
    return {
      broadcastId: b.id,
      noticeId: b.noticeId,
      noticeVersion: b.version,
      noticeTitle: v.title,
      noticeBody: v.body,
      createdBy: b.createdBy,
      audience: b.audience,
      audienceText: await this.audienceText(b, recipients),
      ...(unknown ? {} : { noticeSent: sentTexts(v, languages) }),
    };
  }

  /**
   * A broadcast's audience in words ({@link describeAudience}): department names from the platform's directory,
   * people's names from the broadcast's recipients (as the directory gave them when the audience was resolved) and,
   * for those not among them (the excluded), from the directory. Names it cannot get (no directory, or it failed:
   * logged) are left as ids — the export is never refused for a name.
   */
  async audienceText(b: Pick<BroadcastRecord, 'id' | 'platform' | 'audience'>, recipients?: readonly RecipientRecord[]): Promise<string> {
    const a = b.audience as { departmentIds?: string[]; userIds?: string[]; exclude?: { departmentIds?: string[]; userIds?: string[] } };
    // Only the ids the text names (the first AUDIENCE_TEXT_MAX_NAMES of each list).
    const shown = (ids: string[] | undefined) => (ids ?? []).slice(0, AUDIENCE_TEXT_MAX_NAMES);
    const deptIds = [...shown(a.departmentIds), ...shown(a.exclude?.departmentIds)];
    const userIds = [...shown(a.userIds), ...shown(a.exclude?.userIds)];
    const departments = new Map<string, string>();
    const people = new Map<string, string>();
    if (userIds.length > 0) {
      const wanted = new Set(userIds);
      for (const r of recipients ?? (await this.store.listRecipients(b.id))) if (r.name && wanted.has(r.userId)) people.set(r.userId, r.name);
    }
    const org = this.channels.get(b.platform)?.org;
    if (org) {
      try {
        if (deptIds.length > 0) for (const d of await org.departments()) departments.set(d.id, d.name);
        const unnamed = userIds.filter((u) => !people.has(u));
        if (unnamed.length > 0) for (const [u, p] of await org.describe(unnamed)) people.set(u, p.name);
      } catch (err) {
        this.log.warn({ broadcast: b.id, platform: b.platform, code: (err as { code?: string }).code }, 'audience names unavailable for the export: the directory failed');
      }
    }
    return describeAudience(b.audience, departments, people);
  }

  private async sealExport(kind: ExportKind, b: BroadcastView, csv: string, chain: { rows: number; hash: string } | null): Promise<string> {
    if (!this.evidenceKey) {
      this.log.warn({ broadcast: b.id, export: kind }, 'evidence export is UNSIGNED: EVIDENCE_SIGNING_KEY is not set (docs/EVIDENCE.md)');
    }
    const facts = { kind, ...(await this.exportFacts(b)), exportedAt: this.clock.now(), timeZone: this.timeZone, chain };
    return withEvidenceTrailer(csv, facts, this.evidenceKey);
  }

  /**
   * What a channel gets for one batch: the notice version's text in `language` (default
   * 'bilingual', see {@link deliveryText}), the ack key and the dedup key.
   */
  async deliveryFor(b: Pick<BroadcastRecord, 'id' | 'noticeId' | 'version'>, kind: BatchKind, round: number, language: NoticeLanguage = 'bilingual'): Promise<NoticeDelivery> {
    const v = await this.getNoticeVersion(b.noticeId, b.version);
    const base = `${b.id}-v${b.version}`;
    return {
      broadcastId: b.id,
      noticeId: b.noticeId,
      version: b.version,
      language,
      // Bilingual: channels render every language; the ones not written fall back (src/notices/languages.ts).
      title: deliveryText(v.title, language),
      body: deliveryText(v.body, language),
      ackKey: ackKey(b.noticeId, b.version),
      deliveryKey: kind === 'remind' ? `${base}-r${round}` : base,
      ...(kind === 'remind' ? { reminder: round } : {}),
    };
  }

  /**
   * The language each of `userIds` is sent a notice version in ({@link recipientLanguage}): the
   * language they last asked the bot in, else NOTICE_LANGUAGE; zh-TW not written is converted from
   * Simplified, English not written falls back to zh-CN. When the remembered languages cannot be read, everyone gets
   * NOTICE_LANGUAGE (logged). @throws NOTICE_NOT_FOUND
   */
  async languagesFor(b: Pick<BroadcastRecord, 'id' | 'noticeId' | 'version' | 'platform'>, userIds: string[]): Promise<Map<string, NoticeLanguage>> {
    const v = await this.getNoticeVersion(b.noticeId, b.version);
    let own: (Lang | null)[] = userIds.map(() => null);
    if (this.languages) {
      const languages = this.languages;
      try {
        own = await Promise.all(userIds.map((u) => languages.get(b.platform, u)));
      } catch (err) {
        this.log.warn({ broadcast: b.id, code: (err as { code?: string }).code }, "employees' languages unavailable: sending in NOTICE_LANGUAGE");
      }
    }
    return new Map(userIds.map((u, i) => [u, recipientLanguage(v, own[i] ?? null, this.noticeLanguage)]));
  }

  /**
   * Remembers the language an employee asked the bot in (their notices then come in it): only
   * hash(platform, userId) -> language, for 180 days (src/notices/languages.ts). No-op without a
   * key-value store; never throws (a failed write is logged).
   */
  async rememberLanguage(platform: string, userId: string, lang: Lang): Promise<void> {
    if (!this.languages) return;
    try {
      await this.languages.remember(platform, userId, lang);
    } catch (err) {
      this.log.warn({ platform, code: (err as { code?: string }).code }, "could not remember an employee's language");
    }
  }

  /**
   * The language an employee last asked the bot in (what {@link rememberLanguage} kept), or null when none is
   * known (or without a key-value store). The router answers a language-neutral message ("2", "?", "👍") in it
   * (src/bot/router.ts). Never throws (a failed read is logged and is null).
   */
  async employeeLanguage(platform: string, userId: string): Promise<Lang | null> {
    if (!this.languages) return null;
    try {
      return await this.languages.get(platform, userId);
    } catch (err) {
      this.log.warn({ platform, code: (err as { code?: string }).code }, "could not read an employee's language");
      return null;
    }
  }

  /**
   * How a notice version will look on every configured platform that offers a preview, from each
   * channel's own rendering (NoticeChannel.preview), in NOTICE_LANGUAGE (what employees who have not
   * asked the bot anything get); sends and records nothing.
   * @throws NOTICE_NOT_FOUND (404)
   */
  async previewNotice(noticeId: string, version: number): Promise<NoticePreview[]> {
    const v = await this.getNoticeVersion(noticeId, version);
    const delivery = await this.deliveryFor({ id: 'preview', noticeId, version }, 'deliver', 0, recipientLanguage(v, null, this.noticeLanguage));
    const out: NoticePreview[] = [];
    for (const platform of this.platforms()) {
      const channel = this.channels.get(platform)!;
      if (channel.preview) out.push(channel.preview(delivery));
    }
    return out;
  }

  /**
   * Sends one notice version to one user as a test: straight through the platform's channel, outside
   * every broadcast (no recipient record, no tally, no acknowledgement record; a click on its button
   * finds no notice for that employee). The caller decides who may receive it (the console: the
   * admin's own linked account; any employee of a made-up platform such as the sandbox) and records
   * the test send in its audit trail. Logs neither the user nor the outcome.
   * @throws NOTICE_NOT_FOUND (404), NOTICE_PLATFORM_UNAVAILABLE (400), NOTICE_TEST_REFUSED (422, the
   *   platform's reason), NOTICE_TEST_FAILED (502), PLATFORM_THROTTLED (503)
   */
  async testSend(noticeId: string, version: number, platform: string, userId: string): Promise<{ noticeId: string; version: number; platform: string; userId: string }> {
    const channel = this.channels.get(platform);
    if (!channel) throw botError('NOTICE_PLATFORM_UNAVAILABLE', `platform ${platform} cannot send notices here`);
    const id = `test-${newBroadcastId()}`;
    // In the language that employee would get it in.
    const language = (await this.languagesFor({ id, noticeId, version, platform }, [userId])).get(userId) ?? this.noticeLanguage;
    const delivery = await this.deliveryFor({ id, noticeId, version }, 'deliver', 0, language);
    this.log.info({ notice: noticeId, version, platform }, 'notice test send');
    let result: NoticeBatchResult;
    try {
      result = await channel.sendBatch([userId], delivery);
    } catch (err) {
      if (err instanceof ThrottledError) throw err;
      const why = String((err as Error).message).slice(0, MAX_REASON_CHARS);
      throw botError('NOTICE_TEST_FAILED', `${platform} did not take the test send: ${why}`, { cause: err });
    }
    if (result.sent.includes(userId)) return { noticeId, version, platform, userId };
    const reason = result.failed.find((f) => f.userId === userId)?.reason ?? 'the platform asked to try again later';
    throw botError('NOTICE_TEST_REFUSED', `${platform} refused the test send: ${reason}`);
  }

  // ---- employees ----

  /**
   * Records an employee's acknowledgement ('latest' = their newest unacknowledged notice on that
   * platform; else the given version). Acknowledging twice changes nothing ('already').
   * @throws STORE_UNAVAILABLE when it could not be recorded (the caller tells the employee to retry)
   */
  async acknowledge(platform: string, userId: string, target: AckTarget, channel: AckChannel): Promise<AckResult> {
    const outcome = await this.store.acknowledge(platform, userId, target, channel, this.clock.now());
    if (outcome.kind === 'not-found') return outcome;
    const notice = await this.store.getNoticeVersion(outcome.record.noticeId, outcome.record.version);
    if (!notice) return { kind: 'not-found' };
    return { ...outcome, notice };
  }

  /**
   * The employee's newest notice version delivered to them and not yet acknowledged on that platform (the one
   * "确认" would acknowledge), or null when there is none. @throws what the store throws
   */
  async pendingNotice(platform: string, userId: string): Promise<NoticeVersionRecord | null> {
    const open = (await this.store.userNotices(platform, userId)).find((r) => r.acknowledgedAt === null);
    return open ? await this.store.getNoticeVersion(open.noticeId, open.version) : null;
  }

  /**
   * The lines an employee's status answer gets: per notice delivered to them (its newest version
   * they received), "acknowledged on YYYY-MM-DD" or "not yet acknowledged"; at most `max` lines,
   * newest first. [] when they received none.
   */
  async personalLines(platform: string, userId: string, lang: Lang, max = 3): Promise<string[]> {
    const records = await this.store.userNotices(platform, userId);
    const newestPerNotice = new Map<string, UserNoticeRecord>();
    for (const r of records) {
      const seen = newestPerNotice.get(r.noticeId);
      if (!seen || r.version > seen.version) newestPerNotice.set(r.noticeId, r);
    }
    const texts = ackTexts(lang);
    const lines: string[] = [];
    for (const r of [...newestPerNotice.values()].slice(0, max)) {
      const v = await this.store.getNoticeVersion(r.noticeId, r.version);
      if (!v) continue;
      const title = titleIn(v.title, lang);
      lines.push(r.acknowledgedAt !== null ? texts.acknowledgedLine(title, r.version, this.date(r.acknowledgedAt)) : texts.openLine(title, r.version));
    }
    return lines;
  }

  /** 'YYYY-MM-DD' of a time in the service's time zone. */
  date(ms: number): string {
    return formatDate(ms, this.timeZone);
  }
}

// The acknowledge key is a port shared with the adapters (the sandbox reads it from its cards).
export { ackKey, parseAckKey } from '../platform/notices.ts';
