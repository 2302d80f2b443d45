import { BotError, ERRORS } from '../errors.ts';
import type { Audience, Bilingual, NoticeLanguage } from '../store/ports/notices.ts';

/**
 * The notice port: what the core's broadcast engine (src/notices/) needs from a platform adapter
 * to deliver archiving notices. Adapters implement it (adapters/<platform>/notices.ts) and expose
 * it as `PlatformAdapter.noticeChannel`; the core never sees tokens, HTTP or platform payloads.
 */

export type { Audience, Bilingual, NoticeLanguage };

/** One notice version as handed to a channel for delivery. */
export interface NoticeDelivery {
  broadcastId: string;
  noticeId: string;
  /** Version number, 1-based. */
  version: number;
  /**
   * The language the recipients of this delivery read (the core groups a batch by recipient,
   * src/notices/languages.ts): 'bilingual' (or absent) = `title` and `body` carry zh and en, rendered
   * together as before; 'zh-CN' | 'zh-TW' | 'en' = one language: its text is in `zh` and `en` is ''
   * (a channel renders the `zh` text, and may drop its English half and its fixed Chinese/English
   * labels to match).
   */
  language?: NoticeLanguage;
  title: Bilingual;
  body: Bilingual;
  /**
   * The acknowledge button's key, `ack:<noticeId>:<version>`; a WeCom `template_card_event`
   * carrying it comes back as an InboundMessage of kind 'ack-action' with this text.
   */
  ackKey: string;
  /** Stable id of this (broadcast, notice version) for platform-side dedup (WeCom task_id, ≤ 128 bytes). */
  deliveryKey: string;
  /**
   * Reminder round (1, 2, …) when this is a reminder to employees who have not acknowledged yet
   * (admin "resend unacknowledged"); absent for the first delivery. A reminder has its own
   * `deliveryKey` (suffix `-r<round>`), so platform-side dedup does not swallow it; adapters may
   * prefix the title with 提醒 / Reminder.
   */
  reminder?: number;
}

/** Outcome of sending one batch. Every user id of the batch appears in exactly one list. */
export interface NoticeBatchResult {
  /** Accepted by the platform. */
  sent: string[];
  /** Permanently refused, with the platform's reason (e.g. 'invaliduser', 'unlicenseduser', 'invalidStaffIdList'). */
  failed: { userId: string; reason: string }[];
  /** Not delivered now but may be later (e.g. DingTalk flowControlledStaffIdList): back to pending. */
  retryLater: string[];
  /** Platform handle to query read status later (DingTalk processQueryKey); absent when unsupported. */
  readHandle?: string;
}

/** The whole batch was throttled (WeCom 45009/45033, DingTalk 429/QpsLimit/130101…): retry it after `retryAfterMs`. */
export class ThrottledError extends BotError {
  constructor(readonly retryAfterMs: number, message = 'throttled by the platform') {
    super('PLATFORM_THROTTLED', message, { status: ERRORS.PLATFORM_THROTTLED.status });
    this.name = 'ThrottledError';
  }
}

/**
 * One message of a notice as the employee will see it, described without any platform format
 * (the console shows it; the core never sees the platform's payload).
 */
export interface NoticePreviewMessage {
  /** The platform's name for the message kind, e.g. 'template_card', 'text', 'sampleMarkdown', 'interactive card'. */
  kind: string;
  /** The title line shown ('' when the message has none), after the platform's cuts. */
  title: string;
  /** The text shown (after the platform's cuts); markdown when `format` is 'markdown'. */
  text: string;
  format: 'text' | 'markdown';
  /** The button's label; null when the message has no button (the employee replies instead). */
  button: string | null;
}

/** One length limit of the platform a notice meets, with how much of it this notice uses. */
export interface NoticePreviewLimit {
  /** Which part of the message, in the platform's terms (e.g. 'main_title.title', 'msgParam'). */
  field: string;
  unit: 'chars' | 'bytes';
  /** What this notice needs, in `unit`. */
  used: number;
  /** The platform's (documented) limit, in `unit`. */
  max: number;
  /** True when this part is cut (or the notice refused, see {@link NoticePreview.refused}) because `used > max`. */
  cut: boolean;
}

/** How one notice version will look on one platform (from the adapter's own rendering). */
export interface NoticePreview {
  platform: string;
  /** The messages an employee receives, in order. */
  messages: NoticePreviewMessage[];
  limits: NoticePreviewLimit[];
  /** True when any limit cuts the text. */
  cut: boolean;
  /** Set when the platform would refuse the notice as it is (every recipient fails): the reason. */
  refused?: string;
}

/** One department of a platform's directory as the console's tree shows it. */
export interface DirectoryDepartment {
  /** The platform's department id (what an audience's `departmentIds` takes). */
  id: string;
  /** Display name as the platform gives it. */
  name: string;
  /**
   * The English name, when the platform keeps one beside it (WeCom `name_en`, developer.work.weixin.qq.com/document/path/90208;
   * the sandbox's made-up company): the English console shows it instead of `name`.
   */
  nameEn?: string;
  /** The parent department's id; null for a top-level one (of what the app can see). */
  parentId: string | null;
  /** Members of this department and every department below it, deduplicated (people, not rows). */
  headCount: number;
  /**
   * Set when the platform did not let the app read all of this department (e.g. outside the app's
   * contact scope) or the directory was cut at its size cap: why, in words. The head count then
   * counts only what could be read. Absent = read completely.
   */
  problem?: string;
}

/** One person as the directory shows them (names are the platform's display names). */
export interface DirectoryPerson {
  userId: string;
  name: string;
  /** Name of the person's (first) department, when the directory gives it. */
  department: string | null;
}

/** Most people one {@link OrgDirectory.searchPeople} call returns. */
export const MAX_PEOPLE_RESULTS = 50;

/**
 * A platform's directory as the console browses it: the department tree with head counts and
 * people found by name. Optional on a channel: a platform without it takes ids only (typed or
 * uploaded). Implementations stay in adapters/<platform>/ and answer with these plain types only.
 */
export interface OrgDirectory {
  /** Every department the app can see, parents before children. @throws BotError naming the platform error */
  departments(): Promise<DirectoryDepartment[]>;
  /**
   * People whose name (or user id) contains `query` (case-insensitive), at most `limit`
   * (1..{@link MAX_PEOPLE_RESULTS}), in directory order. @throws BotError naming the platform error
   */
  searchPeople(query: string, limit: number): Promise<DirectoryPerson[]>;
  /**
   * Display name and department of these users, for the recipients' table and exports; users the
   * directory does not know are left out of the map (the core reports typed or uploaded ids it
   * leaves out as unknown when a broadcast is prepared, and does not send to them).
   */
  describe(userIds: string[]): Promise<Map<string, DirectoryPerson>>;
}

/** A platform's notice delivery capability. */
export interface NoticeChannel {
  /** 'wecom', 'dingtalk', … */
  readonly platform: string;
  /** Most users one send call takes (WeCom message/send 1000, DingTalk batchSend 20). */
  readonly maxBatchSize: number;
  /** Whether the platform reports reads (DingTalk yes, WeCom no: read stays unknown). */
  readonly readSupported: boolean;
  /**
   * Every user id the audience covers, as the app can see it (directory APIs with paging), deduplicated.
   * @throws BotError with a code naming the platform error
   */
  resolveAudience(audience: Audience): Promise<string[]>;
  /**
   * Sends one notice version to at most `maxBatchSize` users; paces itself to the platform's
   * documented limits.
   * @throws ThrottledError when the whole batch must be retried later; other errors = batch failed transiently
   */
  sendBatch(userIds: string[], delivery: NoticeDelivery): Promise<NoticeBatchResult>;
  /** The directory for the console's audience picker; absent = ids only. */
  readonly org?: OrgDirectory;
  /** Users who have read the batch sent with `readHandle`, with the time read (ms epoch). Only when readSupported. */
  readStatus?(readHandle: string): Promise<{ userId: string; readAt: number }[]>;
  /**
   * How `delivery` will look to an employee, from the same rendering `sendBatch` uses; sends
   * nothing. Absent = this platform offers no preview.
   */
  preview?(delivery: NoticeDelivery): NoticePreview;
  /**
   * True when the platform's recipients are made up (the sandbox): an admin's test send may go to any
   * of its user ids. Otherwise a test send goes only to the admin's own linked account.
   */
  readonly testAnyRecipient?: boolean;
}

/** The acknowledge button's key of a notice version: `ack:<noticeId>:<version>`. */
export function ackKey(noticeId: string, version: number): string {
  return `ack:${noticeId}:${version}`;
}

/** Parses `ack:<noticeId>:<version>`; null when the text is not such a key. */
export function parseAckKey(text: string): { noticeId: string; version: number } | null {
  const m = /^ack:([A-Za-z0-9_-]{1,64}):([1-9][0-9]{0,8})$/.exec(text.trim());
  return m ? { noticeId: m[1]!, version: Number(m[2]) } : null;
}
