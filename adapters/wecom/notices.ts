import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { BotError } from '../../src/errors.ts';
import { childLogger, hashUserId } from '../../src/log.ts';
import {
  ThrottledError,
  type Audience,
  type NoticeBatchResult,
  type NoticeChannel,
  type NoticeDelivery,
  type NoticePreview,
  type NoticePreviewLimit,
  type NoticePreviewMessage,
} from '../../src/platform/notices.ts';
import type { KeyValueStore } from '../../src/store/ports/store.ts';
import { createWecomDirectory, createWecomOrgDirectory, dedupUserIds, type WecomDirectory, type WecomOrgDirectoryOptions } from './directory.ts';
import type { CachedOrgDirectory } from '../kit/org-directory.ts';
import {
  WECOM_API_CALLS_PER_MINUTE,
  WECOM_CARD_BUTTON_KEY_MAX_BYTES,
  WECOM_CARD_BUTTON_TEXT_MAX_CHARS,
  WECOM_CARD_SUBTITLE_MAX_CHARS,
  WECOM_CARD_TITLE_DESC_MAX_CHARS,
  WECOM_CARD_TITLE_MAX_CHARS,
  WECOM_DUPLICATE_CHECK_MAX_S,
  WECOM_ERRCODE_ALL_INVALID,
  WECOM_SEND_MAX_USERS,
  WECOM_TASK_ID_MAX_BYTES,
  WECOM_TEXT_MAX_BYTES,
  WECOM_THROTTLE_RETRY_MS,
} from './limits.ts';
import { splitForWecom, WecomApiError, type WecomClient, type WecomSendResponse } from './outbound.ts';
import { createPaceGate, type PaceClock, type PaceGate } from '../kit/pace.ts';
import { adapterError } from '../errors.ts';
import { singleNoticeLanguage } from '../kit/notice-language.ts';
import type { Lang } from '../../src/platform/message.ts';

/**
 * WeCom side of archiving notices: the {@link NoticeChannel} the core's broadcast engine
 * drives. Docs: message/send developer.work.weixin.qq.com/document/path/90236 (template_card,
 * enable_duplicate_check, invaliduser/unlicenseduser, rate limits), error codes /path/90313,
 * frequency limits /path/90454; docs/PROTOCOLS.md §1.6.
 *
 * Audience ({@link WecomDirectory}): {all:true} -> user/list_id (or the department walk when the
 * app secret may not call it); {departmentIds} -> those departments with their sub-departments;
 * {userIds} -> as given, validated and deduplicated case-insensitively.
 *
 * One batch (≤ 1000 users, `touser` joined by '|', sorted so a retry sends the same JSON):
 * 1. only when the body does not fit the card (zh + en over 160 characters, the documented
 *    suggestion for sub_title_text): the full notice as text message(s) of ≤ 2048 UTF-8 bytes each;
 * 2. a `template_card` of card_type `button_interaction`: main_title = zh title (desc: en title and
 *    version), sub_title_text = the body (or its start and a pointer to the text above), one button
 *    "确认知悉 / Acknowledge" whose key is `delivery.ackKey` (a click comes back as
 *    template_card_event -> InboundMessage kind 'ack-action'), and `task_id` = {@link noticeTaskId}.
 * A delivery in one language (`delivery.language` 'zh-CN' | 'zh-TW' | 'en') gets the same messages
 * with only its text and that language's labels ({@link WECOM_NOTICE_LABELS}); the card is not
 * updated after a click (the core answers the click with a message).
 * Every call carries `enable_duplicate_check: 1` with the maximum `duplicate_check_interval` (4 h),
 * so a batch re-sent after a lost answer or a crashed instance is not delivered twice by WeCom
 * (the same JSON within the interval is dropped). Consequence: a reminder to the same users within
 * 4 h must use another `deliveryKey`, or WeCom drops it as a duplicate.
 * Outcome: users listed in `invaliduser` / `unlicenseduser` (WeCom lower-cases them; compared
 * case-insensitively) -> failed with that reason; errcode 81013 (all invalid) -> all failed
 * 'invaliduser'; 45009/45033/-1 -> {@link ThrottledError} (whole batch, retry after
 * {@link WECOM_THROTTLE_RETRY_MS}); anything else -> the WecomApiError/BotError (transient for the engine).
 * WeCom reports no reads for app messages: readSupported is false.
 *
 * Pacing: each API path goes through a store-shared gate below the base API frequency (10,000
 * calls per minute per corp and API). The per-member limits (30/min, 1000/h, excess dropped
 * silently) are not paced here: a notice is one or two messages per member.
 * UNVERIFIED: whether WeCom answers a repeated task_id outside the duplicate-check window with an
 * error; the engine should not re-send an acknowledged batch after 4 h with the same deliveryKey.
 */

/** The acknowledge button's label (WeCom suggests ≤ 10 characters; the client may shorten it). */
export const WECOM_ACK_BUTTON_TEXT = '确认知悉 / Acknowledge';

export interface WecomNoticeChannelOptions {
  /** The app's client (token cache, retries). */
  client: WecomClient;
  agentId: number;
  corpId: string;
  /** Shared store for the pacing counters. */
  kv: KeyValueStore;
  log: Logger;
  /** Clock of the pace gates, ms (default the real one; tests inject a virtual one, adapters/kit/pace.ts). */
  paceClock?: PaceClock;
  /** Per-errcode retry delays in ms, merged over {@link WECOM_THROTTLE_RETRY_MS} (tests, bench). */
  throttleRetryMs?: Partial<Record<number, number>>;
  /** Calls per minute per API the gates allow (default {@link WECOM_API_CALLS_PER_MINUTE}). */
  callsPerMinute?: number;
  /** Directory browser: its clock (default Date.now), snapshot TTL and people cap. */
  org?: Partial<Pick<WecomOrgDirectoryOptions, 'now' | 'ttlMs' | 'maxPeople'>>;
}

/**
 * `task_id` of one batch: the delivery key's safe characters (≤ 80) + '-' + 24 hex characters of
 * SHA-256 over the delivery key and the sorted, lower-cased user ids. Same batch -> same id (so a
 * retry is caught by the duplicate check); another batch or delivery -> another id. Only
 * `[0-9A-Za-z_-]`, ≤ {@link WECOM_TASK_ID_MAX_BYTES} bytes.
 */
export function noticeTaskId(deliveryKey: string, userIds: string[]): string {
  const users = [...new Set(userIds.map((u) => u.toLowerCase()))].sort().join('|');
  const hash = createHash('sha256').update(`${deliveryKey}\u0000${users}`).digest('hex').slice(0, 24);
  const prefix = deliveryKey.replace(/[^0-9A-Za-z_-]/g, '_').slice(0, 80);
  return `${prefix === '' ? 'notice' : prefix}-${hash}`;
}

/** The fixed texts of a single-language WeCom notice (see {@link WECOM_NOTICE_LABELS}). */
export interface WecomNoticeLabels {
  /** The card's `source.desc`. */
  source: string;
  /** The acknowledge button (≤ {@link WECOM_CARD_BUTTON_TEXT_MAX_CHARS} characters). */
  button: string;
  /** The card's `main_title.desc`: the version. */
  version(v: number): string;
  /** Heading of the long-text message: title and version. */
  heading(title: string, v: number): string;
  /** End of the long-text message: how to acknowledge. */
  howToAck: string;
  /** Appended to a cut card body: the full text is in the message above. */
  pointer: string;
}

/**
 * The fixed texts of a notice delivered in one language (NoticeDelivery.language 'zh-CN' | 'zh-TW' |
 * 'en'); a bilingual delivery keeps the bilingual texts ({@link WECOM_ACK_BUTTON_TEXT} …).
 * zh-TW is written as Taiwan readers write it (點選, 回覆, 訊息).
 */
export const WECOM_NOTICE_LABELS: Readonly<Record<Lang, WecomNoticeLabels>> = {
  'zh-CN': {
    source: '隐私通知',
    button: '确认知悉',
    version: (v) => `第 ${v} 版`,
    heading: (t, v) => `【${t}】第 ${v} 版`,
    howToAck: '请点击下方卡片中的“确认知悉”，或回复“确认”，表示你已阅读并知悉。',
    pointer: '……（全文见上一条消息）',
  },
  'zh-TW': {
    source: '隱私通知',
    button: '確認知悉',
    version: (v) => `第 ${v} 版`,
    heading: (t, v) => `【${t}】第 ${v} 版`,
    howToAck: '請點選下方卡片中的「確認知悉」，或回覆「確認」，表示你已閱讀並知悉。',
    pointer: '……（全文見上一則訊息）',
  },
  en: {
    source: 'Privacy notice',
    button: 'Confirm',
    version: (v) => `Version ${v}`,
    heading: (t, v) => `[${t}] Version ${v}`,
    howToAck: 'Press "Confirm" on the card below, or reply "ack", to confirm you have read this notice.',
    pointer: '… (full text in the message above)',
  },
};

/** What the card and the long text carry, before the platform's cuts (shared by the payloads and the preview). */
interface WecomNoticeTexts {
  /** main_title.title before the cut. */
  title: string;
  /** main_title.desc before the cut. */
  desc: string;
  /** The body the card shows when it fits (sub_title_text). */
  cardBody: string;
  /** The body start of a cut card (zh only for bilingual) and the pointer after it. */
  cutBody: string;
  pointer: string;
  /** The full notice as text, sent before the card when the body does not fit. */
  full: string;
  source: string;
  button: string;
}

function noticeTexts(delivery: NoticeDelivery): WecomNoticeTexts {
  const { title, body, version } = delivery;
  const lang = singleNoticeLanguage(delivery);
  if (lang !== null) {
    const l = WECOM_NOTICE_LABELS[lang];
    const text = body.zh.trim();
    return {
      title: title.zh.trim(),
      desc: l.version(version),
      cardBody: text,
      cutBody: text,
      pointer: l.pointer,
      full: `${l.heading(title.zh.trim(), version)}\n${text}\n\n${l.howToAck}`,
      source: l.source,
      button: l.button,
    };
  }
  return {
    title: title.zh.trim(),
    desc: `${title.en.trim()} · v${version}`,
    cardBody: `${body.zh.trim()}\n\n${body.en.trim()}`,
    cutBody: body.zh.trim(),
    pointer: '……（全文见上一条消息 / full text above）',
    full:
      `【${title.zh.trim()}】v${version}\n${body.zh.trim()}\n\n` +
      `[${title.en.trim()}] v${version}\n${body.en.trim()}\n\n` +
      '请点击下方卡片中的“确认知悉”，或回复“确认”，表示你已阅读并知悉。\n' +
      'Press "Acknowledge" on the card below, or reply "ack", to confirm you have read this notice.',
    source: '隐私通知 / Privacy notice',
    button: WECOM_ACK_BUTTON_TEXT,
  };
}

/**
 * The message/send payloads (without touser/agentid/dedup flags) of one notice batch, in sending
 * order. Bilingual (`delivery.language` absent or 'bilingual'): zh and en with bilingual labels as
 * described above. One language: the same messages with only that text and that language's labels
 * ({@link WECOM_NOTICE_LABELS}), the same limits applied.
 */
export function noticePayloads(delivery: NoticeDelivery, taskId: string): Record<string, unknown>[] {
  const t = noticeTexts(delivery);
  const fits = chars(t.cardBody) <= WECOM_CARD_SUBTITLE_MAX_CHARS;
  const subtitle = fits ? t.cardBody : `${clip(t.cutBody, WECOM_CARD_SUBTITLE_MAX_CHARS - chars(t.pointer), '')}${t.pointer}`;
  const payloads: Record<string, unknown>[] = [];
  if (!fits) {
    for (const content of splitForWecom(t.full)) payloads.push({ msgtype: 'text', text: { content } });
  }
  payloads.push({
    msgtype: 'template_card',
    template_card: {
      card_type: 'button_interaction',
      source: { desc: t.source, desc_color: 0 },
      main_title: {
        title: clip(t.title, WECOM_CARD_TITLE_MAX_CHARS),
        desc: clip(t.desc, WECOM_CARD_TITLE_DESC_MAX_CHARS),
      },
      sub_title_text: subtitle,
      task_id: taskId,
      button_list: [{ type: 0, text: t.button, style: 1, key: delivery.ackKey }],
    },
  });
  return payloads;
}

/**
 * How a notice looks on WeCom, from {@link noticePayloads} (the same payloads `sendBatch` sends),
 * in the delivery's language (`delivery.language`, as sent):
 * the long-text messages (when the body does not fit the card) and the card. Limits: the card's
 * main_title.title ({@link WECOM_CARD_TITLE_MAX_CHARS} chars), main_title.desc
 * ({@link WECOM_CARD_TITLE_DESC_MAX_CHARS}) and sub_title_text ({@link WECOM_CARD_SUBTITLE_MAX_CHARS};
 * over it the card shows the start and the full text goes before it as text messages of at most
 * {@link WECOM_TEXT_MAX_BYTES} bytes each). Docs: developer.work.weixin.qq.com/document/path/90236.
 */
export function wecomNoticePreview(delivery: NoticeDelivery): NoticePreview {
  const payloads = noticePayloads(delivery, 'preview');
  const messages: NoticePreviewMessage[] = payloads.map((p) => {
    if (p.msgtype === 'text') return { kind: 'text', title: '', text: (p.text as { content: string }).content, format: 'text', button: null };
    const card = p.template_card as { source: { desc: string }; main_title: { title: string; desc: string }; sub_title_text: string; button_list: { text: string }[] };
    return { kind: 'template_card', title: card.main_title.title, text: `${card.main_title.desc}\n${card.sub_title_text}`, format: 'text', button: card.button_list[0]?.text ?? null };
  });
  const t = noticeTexts(delivery);
  const limit = (field: string, used: number, max: number): NoticePreviewLimit => ({ field, unit: 'chars', used, max, cut: used > max });
  const limits = [
    limit('main_title.title', chars(t.title), WECOM_CARD_TITLE_MAX_CHARS),
    limit('main_title.desc', chars(t.desc), WECOM_CARD_TITLE_DESC_MAX_CHARS),
    limit('sub_title_text', chars(t.cardBody), WECOM_CARD_SUBTITLE_MAX_CHARS),
  ];
  const longest = Math.max(0, ...payloads.filter((p) => p.msgtype === 'text').map((p) => Buffer.byteLength((p.text as { content: string }).content, 'utf8')));
  if (longest > 0) limits.push({ field: 'text.content', unit: 'bytes', used: longest, max: WECOM_TEXT_MAX_BYTES, cut: false });
  return { platform: 'wecom', messages, limits, cut: limits.some((l) => l.cut) };
}

/** The WeCom notice channel plus its directory (exposed for tests and the CLI). */
export interface WecomNoticeChannel extends NoticeChannel {
  readonly platform: 'wecom';
  readonly directory: WecomDirectory;
  /** The console's directory browser (department tree with names and head counts, people by name). */
  readonly org: CachedOrgDirectory;
}

/** Creates the channel; it holds no connection. */
export function createWecomNoticeChannel(options: WecomNoticeChannelOptions): WecomNoticeChannel {
  const { client, agentId, kv, corpId } = options;
  const log = childLogger(options.log, { platform: 'wecom', part: 'notices' });
  const retryMs: Record<number, number> = { ...WECOM_THROTTLE_RETRY_MS };
  for (const [k, v] of Object.entries(options.throttleRetryMs ?? {})) if (v !== undefined) retryMs[Number(k)] = v;
  const gates = new Map<string, PaceGate>();
  const pace = (path: string): Promise<void> => {
    let gate = gates.get(path);
    if (!gate) {
      gate = createPaceGate({ limit: { perMinute: options.callsPerMinute ?? WECOM_API_CALLS_PER_MINUTE }, kv, key: `pace:wecom:${corpId}:${path}`, log, clock: options.paceClock });
      gates.set(path, gate);
    }
    return gate.take();
  };
  const directory = createWecomDirectory({ client, pace, log });
  const org = createWecomOrgDirectory({ client, pace, log, ...options.org, now: options.org?.now ?? Date.now });

  async function resolveAudience(audience: Audience): Promise<string[]> {
    const a = audience as Partial<{ all: unknown; departmentIds: unknown; userIds: unknown }> | null;
    if (a === null || typeof a !== 'object') throw badAudience('audience must be an object');
    if (a.all === true) return directory.allMembers();
    if (a.departmentIds !== undefined) return directory.departmentMembers(departmentIds(a.departmentIds));
    if (a.userIds !== undefined) return userIds(a.userIds);
    throw badAudience('audience must be {"all": true}, {"departmentIds": [...]} or {"userIds": [...]}');
  }

  async function sendBatch(userIdsIn: string[], delivery: NoticeDelivery): Promise<NoticeBatchResult> {
    const ids = dedupUserIds(userIds(userIdsIn)).sort();
    if (ids.length > WECOM_SEND_MAX_USERS) {
      throw adapterError('WECOM_BAD_ARGUMENT', `a WeCom notice batch takes at most ${WECOM_SEND_MAX_USERS} users, got ${ids.length}`);
    }
    if (Buffer.byteLength(delivery.ackKey, 'utf8') > WECOM_CARD_BUTTON_KEY_MAX_BYTES || delivery.ackKey === '') {
      throw adapterError('WECOM_BAD_ARGUMENT', `ackKey must be 1–${WECOM_CARD_BUTTON_KEY_MAX_BYTES} bytes`);
    }
    const taskId = noticeTaskId(delivery.deliveryKey, ids);
    const byLower = new Map(ids.map((id) => [id.toLowerCase(), id]));
    const failed = new Map<string, { userId: string; reason: string }>();
    const markFailed = (list: unknown, reason: string): void => {
      if (typeof list !== 'string' || list === '') return;
      for (const returned of list.split('|')) {
        const id = byLower.get(returned.trim().toLowerCase());
        if (id !== undefined && !failed.has(id)) failed.set(id, { userId: id, reason });
      }
    };

    for (const payload of noticePayloads(delivery, taskId)) {
      await pace('/cgi-bin/message/send');
      let answer: WecomSendResponse;
      try {
        answer = await client.call<WecomSendResponse>('POST', '/cgi-bin/message/send', {
          body: {
            touser: ids.join('|'),
            agentid: agentId,
            ...payload,
            enable_duplicate_check: 1,
            duplicate_check_interval: WECOM_DUPLICATE_CHECK_MAX_S,
          },
          busyRetries: 0,
        });
      } catch (err) {
        if (err instanceof WecomApiError && err.errcode === WECOM_ERRCODE_ALL_INVALID) {
          for (const id of ids) if (!failed.has(id)) failed.set(id, { userId: id, reason: 'invaliduser' });
          break;
        }
        if (err instanceof WecomApiError && retryMs[err.errcode] !== undefined) {
          log.warn({ errcode: err.errcode, users: ids.length, retryAfterMs: retryMs[err.errcode] }, 'wecom notice batch throttled');
          throw new ThrottledError(retryMs[err.errcode]!, `WeCom message/send errcode ${err.errcode}: ${err.errmsg}`);
        }
        throw err;
      }
      markFailed(answer.invaliduser, 'invaliduser');
      markFailed(answer.unlicenseduser, 'unlicenseduser');
    }
    const sent = ids.filter((id) => !failed.has(id));
    log.info({ users: ids.length, sent: sent.length, failed: failed.size, task: taskId.slice(-24) }, 'wecom notice batch sent');
    if (failed.size > 0) {
      log.debug({ failedUsers: [...failed.keys()].slice(0, 20).map((id) => hashUserId('wecom', id)) }, 'wecom notice recipients refused');
    }
    return { sent, failed: [...failed.values()], retryLater: [] };
  }

  return { platform: 'wecom', maxBatchSize: WECOM_SEND_MAX_USERS, readSupported: false, directory, org, resolveAudience, sendBatch, preview: wecomNoticePreview };
}

/** Validated department ids: a non-empty array of positive 32-bit integers (numbers or digit strings). */
function departmentIds(value: unknown): number[] {
  if (!Array.isArray(value) || value.length === 0) throw badAudience('departmentIds must be a non-empty array');
  const out = value.map((v) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,10}$/.test(v.trim()) ? Number(v.trim()) : Number.NaN;
    if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) throw badAudience(`bad department id ${JSON.stringify(v)}: WeCom department ids are positive integers`);
    return n;
  });
  return [...new Set(out)];
}

/** Validated user ids: non-empty strings without '|' of at most 64 bytes; deduplicated case-insensitively. */
function userIds(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) throw badAudience('userIds must be a non-empty array');
  const out = value.map((v) => {
    if (typeof v !== 'string' || v.trim() === '' || v.includes('|') || Buffer.byteLength(v.trim(), 'utf8') > 64) {
      throw badAudience(`bad WeCom UserID ${JSON.stringify(v)}: 1–64 bytes, no '|'`);
    }
    return v.trim();
  });
  return dedupUserIds(out);
}

function badAudience(message: string): BotError {
  return adapterError('NOTICE_BAD_AUDIENCE', message);
}

/** Length in code points. */
function chars(s: string): number {
  return [...s].length;
}

/** At most `max` code points; an ellipsis marks a cut. */
function clip(s: string, max: number, ellipsis = '…'): string {
  const cps = [...s];
  if (cps.length <= max) return s;
  return cps.slice(0, Math.max(0, max - ellipsis.length)).join('') + ellipsis;
}
