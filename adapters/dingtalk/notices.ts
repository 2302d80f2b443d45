import type { Logger } from 'pino';
import {
  ThrottledError,
  type Audience,
  type NoticeBatchResult,
  type NoticeChannel,
  type NoticeDelivery,
  type NoticePreview,
} from '../../src/platform/notices.ts';
import type { KeyValueStore } from '../../src/store/ports/store.ts';
import { createDingtalkOrgDirectory, resolveDingtalkAudience, type DingtalkOrgDirectoryOptions } from './directory.ts';
import { DINGTALK_PLATFORM } from './inbound.ts';
import {
  API_QPS_PER_APP,
  BATCH_SEND_MAX_USER_IDS,
  NOTICE_MSG_PARAM_MAX_BYTES,
  NOTICE_TITLE_MAX_CHARS,
  PACE_HEADROOM,
} from './limits.ts';
import { throttleDelayMs, type DingtalkOpenApi } from './openapi.ts';
import { createPaceGate, type PaceClock, type PaceGate } from '../kit/pace.ts';
import type { CachedOrgDirectory } from '../kit/org-directory.ts';
import { singleNoticeLanguage } from '../kit/notice-language.ts';
import type { Lang } from '../../src/platform/message.ts';

/**
 * DingTalk side of archiving notices: the {@link NoticeChannel} the notice engine uses.
 *
 * - Audience: the address book through the legacy topapi (see ./directory.ts).
 * - `org`: the same address book with names for the console's audience picker (department tree
 *   with head counts, people by name), cached ({@link createDingtalkOrgDirectory}).
 * - Delivery: `POST /v1.0/robot/oToMessages/batchSend` (≤ {@link BATCH_SEND_MAX_USER_IDS} staffIds per
 *   call) with msgKey `sampleMarkdown` into each employee's 1:1 chat with the robot. A robot message
 *   sent this way has no callback button (sampleActionCard buttons only open URLs), so the notice
 *   tells the employee to reply "确认" / "I acknowledge" in that chat; the reply arrives as an
 *   ordinary message and the core marks the acknowledgement.
 * - Read receipts: `GET /v1.0/robot/oToMessages/readStatus` (BatchOTOQuery) with the processQueryKey.
 * - Pacing: one {@link PaceGate} per API at {@link API_QPS_PER_APP} × {@link PACE_HEADROOM} calls/s,
 *   shared by all instances through the store when `kv` is given.
 * Source: https://open.dingtalk.com/document/orgapp/chatbots-send-one-on-one-chat-messages-in-batches,
 * https://help.dingtalk.io/open/development/call-frequency-limit (docs/PROTOCOLS.md §3.4).
 */

/** The failure reason recorded for a staffId DingTalk returned in `invalidStaffIdList`. */
export const INVALID_STAFF_REASON = 'invalidStaffIdList';

/** The failure reason when the notice itself is too large for one DingTalk message. */
export const MSG_TOO_LARGE_REASON = 'msgParamTooLarge';

/** Options of {@link createDingtalkNoticeChannel}. */
export interface DingtalkNoticeOptions {
  api: Pick<DingtalkOpenApi, 'batchSend' | 'readStatus' | 'legacyPost'>;
  log: Logger;
  /** ms since the epoch (read times missing from DingTalk's answer default to it). */
  now: () => number;
  /** The app's AppKey: names the shared pacing keys. */
  appKey: string;
  /** Calls per second per API; default {@link API_QPS_PER_APP} × {@link PACE_HEADROOM}. */
  qps?: number;
  /** Shared store for pacing across instances; absent = pace this process only. */
  kv?: KeyValueStore;
  /** Clock of the pace gates, ms (default the real one; tests inject a virtual one). Not `now`: that one may be a test's frozen clock. */
  paceClock?: PaceClock;
  /** Directory browser: its own clock (default `now`), snapshot TTL and people cap (tests). */
  org?: Partial<Pick<DingtalkOrgDirectoryOptions, 'now' | 'ttlMs' | 'maxPeople'>>;
}

/** The batchSend message of one notice version. */
export interface DingtalkNoticeMessage {
  msgKey: 'sampleMarkdown';
  /** JSON string `{"title","text"}` (docs/PROTOCOLS.md §3.4: msgParam is a string). */
  msgParam: string;
}

/** Removes control characters except \n and \t, and normalises line ends to \n. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '').trim();
}

/** Markdown paragraph text where every single line break stays a line break ("  \n"). */
function markdownLines(text: string): string {
  return clean(text)
    .split(/\n{2,}/)
    .map((para) => para.split('\n').join('  \n'))
    .join('\n\n');
}

/** The fixed texts of a single-language DingTalk notice (see {@link DINGTALK_NOTICE_LABELS}). */
export interface DingtalkNoticeLabels {
  /** Prefix of a reminder's title and heading. */
  reminder: string;
  /** The heading line: title and version. */
  heading(title: string, v: number): string;
  /** The title when the notice has none. */
  untitled(v: number): string;
  /** How to acknowledge (a reply the core takes as an acknowledgement, src/notices/ack.ts). */
  howToAck: string;
}

/**
 * The fixed texts of a notice delivered in one language (NoticeDelivery.language 'zh-CN' | 'zh-TW' |
 * 'en'); a bilingual delivery keeps its two halves. zh-TW is written as Taiwan readers write it.
 */
export const DINGTALK_NOTICE_LABELS: Readonly<Record<Lang, DingtalkNoticeLabels>> = {
  'zh-CN': {
    reminder: '【提醒】',
    heading: (t, v) => `${t}（第 ${v} 版）`,
    untitled: (v) => `通知（第 ${v} 版）`,
    howToAck: '请在与本机器人的单聊中回复「确认」，表示您已阅读并知悉本通知。',
  },
  'zh-TW': {
    reminder: '【提醒】',
    heading: (t, v) => `${t}（第 ${v} 版）`,
    untitled: (v) => `通知（第 ${v} 版）`,
    howToAck: '請在與本機器人的一對一聊天中回覆「確認」，表示您已閱讀並知悉本通知。',
  },
  en: {
    reminder: 'Reminder: ',
    heading: (t, v) => `${t} (version ${v})`,
    untitled: (v) => `Notice v${v}`,
    howToAck: 'To confirm that you have read this notice, reply "I acknowledge" in this chat.',
  },
};

/** The message's title before the cut (chat list and push notification) and its markdown text. */
function renderNotice(delivery: NoticeDelivery): { heading: string; text: string } {
  const v = delivery.version;
  const reminder = typeof (delivery as { reminder?: unknown }).reminder === 'number';
  const lang = singleNoticeLanguage(delivery);
  if (lang !== null) {
    const l = DINGTALK_NOTICE_LABELS[lang];
    const plain = clean(delivery.title.zh).replace(/\n/g, ' ');
    const title = plain === '' ? '' : (reminder ? l.reminder : '') + plain;
    const heading = title || (reminder ? l.reminder : '') + l.untitled(v);
    const body = markdownLines(delivery.body.zh);
    const text = [`### ${title === '' ? heading : l.heading(title, v)}`, ...(body === '' ? [] : [body]), `> ${l.howToAck}`].join('\n\n');
    return { heading, text };
  }
  const zhTitle = (reminder ? '【提醒】' : '') + clean(delivery.title.zh);
  const enTitle = (reminder ? 'Reminder: ' : '') + clean(delivery.title.en);
  const heading = [zhTitle, enTitle].filter((t) => t !== '').join(' | ') || `Notice v${v}`;
  const text = [
    `### ${zhTitle.replace(/\n/g, ' ')}（第 ${v} 版）`,
    markdownLines(delivery.body.zh),
    '> 请在与本机器人的单聊中回复「确认」，表示您已阅读并知悉本通知。',
    '---',
    `### ${enTitle.replace(/\n/g, ' ')} (version ${v})`,
    markdownLines(delivery.body.en),
    '> To confirm that you have read this notice, reply "I acknowledge" in this chat.',
  ].join('\n\n');
  return { heading: heading.replace(/\n/g, ' '), text };
}

/**
 * The sampleMarkdown message of a notice version. Bilingual (`delivery.language` absent or
 * 'bilingual'): Chinese first, then English, each with its title, body (markdown as the admin wrote
 * it) and how to acknowledge; the `title` (chat list and push notification) is
 * "<zh title> | <en title>". One language ('zh-CN' | 'zh-TW' | 'en'): the `zh` text alone with that
 * language's heading and acknowledgement line ({@link DINGTALK_NOTICE_LABELS}), title = that title.
 * The title is cut to {@link NOTICE_TITLE_MAX_CHARS} characters. A reminder (`delivery.reminder`
 * set) is marked 提醒 / Reminder in the title and the heading(s).
 */
export function noticeMessage(delivery: NoticeDelivery): DingtalkNoticeMessage {
  const { heading, text } = renderNotice(delivery);
  const title = [...heading].slice(0, NOTICE_TITLE_MAX_CHARS).join('');
  return { msgKey: 'sampleMarkdown', msgParam: JSON.stringify({ title, text }) };
}

/**
 * How a notice looks on DingTalk, from {@link noticeMessage} (what `sendBatch` sends, in the
 * delivery's language): one sampleMarkdown message without a button (the employee replies 确认 /
 * I acknowledge). Limits: the
 * title ({@link NOTICE_TITLE_MAX_CHARS} chars, cut over it) and msgParam
 * ({@link NOTICE_MSG_PARAM_MAX_BYTES} bytes; over it every recipient fails with
 * {@link MSG_TOO_LARGE_REASON}). Source: docs/PROTOCOLS.md §3.4.
 */
export function dingtalkNoticePreview(delivery: NoticeDelivery): NoticePreview {
  const m = noticeMessage(delivery);
  const { title, text } = JSON.parse(m.msgParam) as { title: string; text: string };
  const titleChars = [...renderNotice(delivery).heading].length;
  const bytes = Buffer.byteLength(m.msgParam, 'utf8');
  const limits = [
    { field: 'title', unit: 'chars' as const, used: titleChars, max: NOTICE_TITLE_MAX_CHARS, cut: titleChars > NOTICE_TITLE_MAX_CHARS },
    { field: 'msgParam', unit: 'bytes' as const, used: bytes, max: NOTICE_MSG_PARAM_MAX_BYTES, cut: bytes > NOTICE_MSG_PARAM_MAX_BYTES },
  ];
  return {
    platform: DINGTALK_PLATFORM,
    messages: [{ kind: m.msgKey, title, text, format: 'markdown', button: null }],
    limits,
    cut: limits.some((l) => l.cut),
    ...(bytes > NOTICE_MSG_PARAM_MAX_BYTES ? { refused: MSG_TOO_LARGE_REASON } : {}),
  };
}

/** True for DingTalk's success spelling of readStatus `sendStatus`: 'SUCCESS' or the SDK example's 'SUCESS', any case. */
export function isSendStatusSuccess(status: string | null): boolean {
  const s = (status ?? '').toUpperCase();
  return s === 'SUCCESS' || s === 'SUCESS';
}

/** A read time from DingTalk in ms: values below 10^12 are taken as seconds (UNVERIFIED unit; ms expected). */
function readTimeMs(ts: number | null, fallback: number): number {
  if (ts === null) return fallback;
  return ts < 1e12 ? ts * 1000 : ts;
}

/**
 * Creates the DingTalk notice channel (expose it as `PlatformAdapter.noticeChannel`).
 *
 * `sendBatch(userIds, delivery)`:
 * - 1..20 distinct staffIds (duplicates are sent once and reported once); more throws RangeError.
 * - `invalidStaffIdList` → failed with reason {@link INVALID_STAFF_REASON}; `flowControlledStaffIdList`
 *   → retryLater; the rest → sent; `readHandle` = processQueryKey.
 * - A notice whose msgParam exceeds {@link NOTICE_MSG_PARAM_MAX_BYTES} bytes is not sent: every user
 *   fails with {@link MSG_TOO_LARGE_REASON} (sending it again would fail the same way).
 * - HTTP 429, QpsLimit codes, errcode 90002/90018/90019/130101, the IP ban → {@link ThrottledError}
 *   with the delay to wait (and this process pauses that API for as long); other failures are thrown
 *   as they are (DingtalkApiError, a transient failure of the batch). A network failure after
 *   DingTalk accepted the call cannot be told apart from one before, so a retried batch may reach
 *   its users twice in that rare case (batchSend has no idempotency key).
 *
 * `readStatus(processQueryKey)`: the READ entries as `{userId, readAt}` (ms); UNREAD ones are left out.
 */
export function createDingtalkNoticeChannel(options: DingtalkNoticeOptions): NoticeChannel & { readonly org: CachedOrgDirectory } {
  const { api, log, now } = options;
  const qps = options.qps ?? API_QPS_PER_APP * PACE_HEADROOM;
  const gate = (apiName: string): PaceGate =>
    createPaceGate({
      limit: { perSecond: qps },
      kv: options.kv,
      key: `pace:dingtalk:${options.appKey}:${apiName}`,
      clock: options.paceClock,
    });
  const gates = {
    batchSend: gate('batchSend'),
    readStatus: gate('readStatus'),
    listsub: gate('listsub'),
    listsimple: gate('listsimple'),
    deptget: gate('deptget'),
  };
  const org = createDingtalkOrgDirectory({ api, gates, log, now, ...options.org });

  function throttled(err: unknown, g: PaceGate, call: string): never {
    const delay = throttleDelayMs(err);
    if (delay === null) throw err;
    g.pause(delay);
    log.warn({ platform: DINGTALK_PLATFORM, call, retryAfterMs: delay }, 'DingTalk throttled a notice call');
    throw new ThrottledError(delay, `${call} throttled by DingTalk`);
  }

  return {
    platform: DINGTALK_PLATFORM,
    maxBatchSize: BATCH_SEND_MAX_USER_IDS,
    readSupported: true,
    preview: dingtalkNoticePreview,
    org,

    resolveAudience(audience: Audience) {
      return resolveDingtalkAudience(audience, { api, gates });
    },

    async sendBatch(userIds: string[], delivery: NoticeDelivery): Promise<NoticeBatchResult> {
      const ids = [...new Set(userIds)];
      if (ids.length > BATCH_SEND_MAX_USER_IDS) {
        throw new RangeError(`a DingTalk batch takes at most ${BATCH_SEND_MAX_USER_IDS} users, got ${ids.length}`);
      }
      if (ids.length === 0) return { sent: [], failed: [], retryLater: [] };
      const { msgKey, msgParam } = noticeMessage(delivery);
      if (Buffer.byteLength(msgParam, 'utf8') > NOTICE_MSG_PARAM_MAX_BYTES) {
        log.error({ platform: DINGTALK_PLATFORM, broadcast: delivery.broadcastId }, 'notice too large for one DingTalk message');
        return { sent: [], failed: ids.map((userId) => ({ userId, reason: MSG_TOO_LARGE_REASON })), retryLater: [] };
      }
      await gates.batchSend.take();
      let res;
      try {
        res = await api.batchSend(ids, msgKey, msgParam);
      } catch (err) {
        throttled(err, gates.batchSend, 'robot/oToMessages/batchSend');
      }
      const invalid = new Set(res.invalidStaffIdList);
      const flow = new Set(res.flowControlledStaffIdList.filter((u) => !invalid.has(u)));
      const result: NoticeBatchResult = {
        sent: ids.filter((u) => !invalid.has(u) && !flow.has(u)),
        failed: ids.filter((u) => invalid.has(u)).map((userId) => ({ userId, reason: INVALID_STAFF_REASON })),
        retryLater: ids.filter((u) => flow.has(u)),
        readHandle: res.processQueryKey,
      };
      log.info(
        {
          platform: DINGTALK_PLATFORM,
          broadcast: delivery.broadcastId,
          sent: result.sent.length,
          failed: result.failed.length,
          retryLater: result.retryLater.length,
        },
        'notice batch sent',
      );
      return result;
    },

    async readStatus(readHandle: string) {
      await gates.readStatus.take();
      let res;
      try {
        res = await api.readStatus(readHandle);
      } catch (err) {
        throttled(err, gates.readStatus, 'robot/oToMessages/readStatus');
      }
      if (!isSendStatusSuccess(res.sendStatus)) {
        log.debug({ platform: DINGTALK_PLATFORM, sendStatus: res.sendStatus }, 'readStatus: send not finished or not successful');
      }
      const t = now();
      return res.entries
        .filter((e) => e.readStatus.toUpperCase() === 'READ')
        .map((e) => ({ userId: e.userId, readAt: readTimeMs(e.readTimestamp, t) }));
    },
  };
}
