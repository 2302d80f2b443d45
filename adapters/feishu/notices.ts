import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { BotError } from '../../src/errors.ts';
import { ThrottledError, type Audience, type NoticeBatchResult, type NoticeChannel, type NoticeDelivery, type NoticePreview } from '../../src/platform/notices.ts';
import type { KeyValueStore } from '../../src/store/ports/store.ts';
import { FeishuApiError, idempotencyKey, type FeishuApi } from './api.ts';
import { noticeCard, type FeishuCard } from './cards.ts';
import { FEISHU_PLATFORM, type FeishuReads } from './inbound.ts';
import { CARD_CONTENT_MAX_BYTES, DEPARTMENTS_PAGE_SIZE, NOTICE_BATCH_SIZE, NOTICE_TRACK_TTL_MS, OUT_OF_SCOPE_CODES, ROOT_DEPARTMENT_ID, USERS_PAGE_SIZE } from './limits.ts';
import { adapterError } from '../errors.ts';
import { createFeishuOrgDirectory, type FeishuOrgDirectoryOptions } from './directory.ts';
import type { CachedOrgDirectory } from '../kit/org-directory.ts';

/**
 * How a notice looks on Feishu, from {@link noticeCard} (the card `sendBatch` sends, in the
 * delivery's language): one interactive card, header title, the markdown bodies separated by a rule
 * (one body without a rule for a single-language delivery), the acknowledge button. Limit: the
 * card's JSON ({@link CARD_CONTENT_MAX_BYTES} bytes; over it every recipient fails with
 * {@link CARD_TOO_LARGE_REASON}). Source: adapters/feishu/README.md, docs/FEISHU.md.
 */
export function feishuNoticePreview(delivery: NoticeDelivery): NoticePreview {
  const card = noticeCard(delivery) as FeishuCard & { header: { title: { content: string }; subtitle: { content: string } } };
  const parts: string[] = [card.header.subtitle.content];
  let button: string | null = null;
  for (const el of card.body.elements) {
    if (el.tag === 'markdown') parts.push(String(el.content));
    else if (el.tag === 'hr') parts.push('---');
    else if (el.tag === 'button') button = (el.text as { content: string }).content;
  }
  const bytes = Buffer.byteLength(JSON.stringify(card), 'utf8');
  const tooLarge = bytes > CARD_CONTENT_MAX_BYTES;
  return {
    platform: FEISHU_PLATFORM,
    messages: [{ kind: 'interactive card', title: card.header.title.content, text: parts.join('\n\n'), format: 'markdown', button }],
    limits: [{ field: 'content', unit: 'bytes', used: bytes, max: CARD_CONTENT_MAX_BYTES, cut: tooLarge }],
    cut: tooLarge,
    ...(tooLarge ? { refused: CARD_TOO_LARGE_REASON } : {}),
  };
}

/**
 * Feishu side of archiving notices: the {@link NoticeChannel} the notice engine uses.
 * - Delivery: one interactive card ({@link noticeCard}) per employee, 1:1 through
 *   `im/v1/messages?receive_id_type=open_id` with `uuid` = hash(deliveryKey, open_id), so a retried
 *   batch is not shown twice within Feishu's 1 h window. Batch send (message/v4/batch_send) is not
 *   used: it gives no per-employee message id, read state or card update.
 * - Acknowledgement: the card's button sends card.action.trigger; the adapter turns it into an
 *   'ack-action' message (./inbound.ts toCardClick) and answers with the acknowledged card.
 * - Read receipts: the adapter records im.message.message_read_v1 events ({@link recordFeishuReads})
 *   for notice messages only; `readStatus(handle)` reads them back from the store.
 * - Audience: the contact API (find_by_department with every child department), as far as the
 *   app's contact scope reaches; departments outside it are reported each by id and code.
 * - `org`: the same contact API with names for the console's audience picker (./directory.ts).
 * Store keys (all with {@link NOTICE_TRACK_TTL_MS}): `feishu:notice-card:<deliveryKey>` the card;
 * `feishu:notice-msg:<message_id>` → {u: open_id, d: deliveryKey}; `feishu:notice-batch:<handle>` →
 * {open_id: message_id}; `feishu:read:<message_id>` → read time (ms, the first read kept).
 * Source: https://open.feishu.cn/document/server-docs/im-v1/message/create,
 * https://open.feishu.cn/document/server-docs/im-v1/message/events/message_read,
 * https://open.feishu.cn/document/server-docs/contact-v3/user/find_by_department,
 * https://open.feishu.cn/document/server-docs/contact-v3/department/children
 */

/** Failure reason when the card is larger than Feishu takes. */
export const CARD_TOO_LARGE_REASON = 'cardTooLarge';

const cardKey = (deliveryKey: string): string => `feishu:notice-card:${deliveryKey}`;
const msgKey = (messageId: string): string => `feishu:notice-msg:${messageId}`;
const batchKey = (handle: string): string => `feishu:notice-batch:${handle}`;
const readKey = (messageId: string): string => `feishu:read:${messageId}`;

/** Options of {@link createFeishuNoticeChannel}. */
export interface FeishuNoticeOptions {
  api: Pick<FeishuApi, 'send' | 'usersOfDepartment' | 'childDepartments'> & FeishuOrgDirectoryOptions['api'];
  kv: KeyValueStore;
  log: Logger;
  /** Directory browser: clock (default Date.now), snapshot TTL and people cap. */
  org?: Partial<Pick<FeishuOrgDirectoryOptions, 'now' | 'ttlMs' | 'maxPeople'>>;
}

/** The card a notice message was sent with (for the acknowledged update); null when unknown. */
export async function noticeCardOfMessage(kv: KeyValueStore, messageId: string): Promise<FeishuCard | null> {
  try {
    const m = await kv.get(msgKey(messageId));
    if (!m) return null;
    const { d } = JSON.parse(m) as { d: string };
    const card = await kv.get(cardKey(d));
    return card ? (JSON.parse(card) as FeishuCard) : null;
  } catch {
    return null;
  }
}

/**
 * Records read receipts of notice messages: for each message id that is a notice sent to the
 * reader, the first read time is kept. Other messages (answers) are not recorded.
 * @returns how many notice reads were new
 */
export async function recordFeishuReads(kv: KeyValueStore, reads: FeishuReads): Promise<number> {
  let n = 0;
  for (const id of reads.messageIds) {
    const m = await kv.get(msgKey(id));
    if (!m) continue;
    const { u } = JSON.parse(m) as { u: string };
    if (u !== reads.readerOpenId) continue;
    if (await kv.claim(readKey(id), NOTICE_TRACK_TTL_MS, String(Math.round(reads.readAt)))) n++;
  }
  return n;
}

function throttled(err: unknown, call: string): never {
  if (err instanceof FeishuApiError && err.retryAfterMs !== null) throw new ThrottledError(err.retryAfterMs, `${call} throttled by Feishu`);
  throw err;
}

/** Creates the Feishu notice channel (expose it as `PlatformAdapter.noticeChannel`). */
export function createFeishuNoticeChannel(options: FeishuNoticeOptions): NoticeChannel & { readonly org: CachedOrgDirectory } {
  const { api, kv, log } = options;
  const org = createFeishuOrgDirectory({ api, log, ...options.org, now: options.org?.now ?? Date.now });

  async function allPages(fetch: (token: string | null) => Promise<{ items: string[]; hasMore: boolean; pageToken: string | null }>): Promise<string[]> {
    const out: string[] = [];
    let token: string | null = null;
    for (;;) {
      const p = await fetch(token);
      out.push(...p.items);
      if (!p.hasMore || !p.pageToken || p.pageToken === token) return out;
      token = p.pageToken;
    }
  }

  return {
    platform: FEISHU_PLATFORM,
    maxBatchSize: NOTICE_BATCH_SIZE,
    readSupported: true,
    preview: feishuNoticePreview,
    org,

    /**
     * open_ids of the audience. `{all}` = department "0" (the whole organisation, needs the
     * whole-org contact scope); `{departmentIds}` = each department with all its descendants
     * (`od-…` open ids or custom department ids); `{userIds}` as given (trimmed, deduplicated).
     * @throws BotError FEISHU_DEPARTMENT_OUT_OF_SCOPE (400) naming every department outside the
     *   app's contact scope with Feishu's code; ThrottledError; FeishuApiError for other failures
     */
    async resolveAudience(audience: Audience): Promise<string[]> {
      if ('userIds' in audience) return [...new Set(audience.userIds.map((u) => u.trim()).filter((u) => u !== ''))];
      const roots = 'all' in audience ? [ROOT_DEPARTMENT_ID] : [...new Set(audience.departmentIds.map((d) => String(d).trim()).filter((d) => d !== ''))];
      if (roots.length === 0) throw adapterError('FEISHU_BAD_AUDIENCE', 'no department ids given');
      const users = new Set<string>();
      const outOfScope: string[] = [];
      const seen = new Set<string>();
      for (const root of roots) {
        let departments: string[];
        try {
          departments = [root, ...(await allPages((t) => api.childDepartments(root, t, DEPARTMENTS_PAGE_SIZE)))];
        } catch (err) {
          if (err instanceof FeishuApiError && OUT_OF_SCOPE_CODES.includes(err.feishuCode)) {
            outOfScope.push(`${root} (code ${err.feishuCode})`);
            continue;
          }
          throttled(err, 'contact/v3/departments/children');
        }
        for (const d of departments) {
          if (seen.has(d)) continue;
          seen.add(d);
          try {
            for (const u of await allPages((t) => api.usersOfDepartment(d, t, USERS_PAGE_SIZE))) users.add(u);
          } catch (err) {
            if (err instanceof FeishuApiError && OUT_OF_SCOPE_CODES.includes(err.feishuCode)) {
              outOfScope.push(`${d} (code ${err.feishuCode})`);
              continue;
            }
            throttled(err, 'contact/v3/users/find_by_department');
          }
        }
      }
      if (outOfScope.length > 0) {
        log.warn({ departments: outOfScope.length }, 'departments outside the contact scope');
        throw adapterError('FEISHU_DEPARTMENT_OUT_OF_SCOPE',
          `outside the app's contact scope (开发者后台 → 权限管理 → 通讯录权限范围): ${outOfScope.join(', ')}`);
      }
      return [...users];
    },

    /**
     * One card per user. A user Feishu refuses (not in the app's availability range, …) fails with
     * `feishu code <n>`; a throttled call before anything was sent throws {@link ThrottledError},
     * after that the rest goes back as retryLater, as do network failures and 5xx answers.
     */
    async sendBatch(userIds: string[], delivery: NoticeDelivery): Promise<NoticeBatchResult> {
      const ids = [...new Set(userIds)];
      if (ids.length > NOTICE_BATCH_SIZE) throw new RangeError(`a Feishu batch takes at most ${NOTICE_BATCH_SIZE} users, got ${ids.length}`);
      const result: NoticeBatchResult = { sent: [], failed: [], retryLater: [] };
      if (ids.length === 0) return result;
      const card = noticeCard(delivery);
      const content = JSON.stringify(card);
      if (Buffer.byteLength(content, 'utf8') > CARD_CONTENT_MAX_BYTES) {
        log.error({ broadcast: delivery.broadcastId }, 'notice too large for one Feishu card');
        return { sent: [], failed: ids.map((userId) => ({ userId, reason: CARD_TOO_LARGE_REASON })), retryLater: [] };
      }
      await kv.set(cardKey(delivery.deliveryKey), content, NOTICE_TRACK_TTL_MS);
      const messages: Record<string, string> = {};
      for (let i = 0; i < ids.length; i++) {
        const u = ids[i]!;
        try {
          const { messageId } = await api.send('open_id', u, 'interactive', content, idempotencyKey('feishu-notice', delivery.deliveryKey, u));
          messages[u] = messageId;
          result.sent.push(u);
          await kv.set(msgKey(messageId), JSON.stringify({ u, d: delivery.deliveryKey }), NOTICE_TRACK_TTL_MS).catch(() => undefined);
        } catch (err) {
          if (err instanceof FeishuApiError && err.retryAfterMs !== null) {
            if (result.sent.length === 0 && result.failed.length === 0) throttled(err, 'im/v1/messages');
            result.retryLater.push(...ids.slice(i));
            break;
          }
          if (err instanceof FeishuApiError && err.feishuCode !== 0 && err.httpStatus < 500) {
            result.failed.push({ userId: u, reason: `feishu code ${err.feishuCode}` });
            continue;
          }
          if (result.sent.length === 0 && result.failed.length === 0) throw err;
          result.retryLater.push(...ids.slice(i));
          break;
        }
      }
      if (result.sent.length > 0) {
        const handle = randomBytes(12).toString('hex');
        await kv.set(batchKey(handle), JSON.stringify(messages), NOTICE_TRACK_TTL_MS);
        result.readHandle = handle;
      }
      log.info(
        { broadcast: delivery.broadcastId, sent: result.sent.length, failed: result.failed.length, retryLater: result.retryLater.length },
        'notice batch sent',
      );
      return result;
    },

    /** The reads recorded from im.message.message_read_v1 events for the batch's messages. */
    async readStatus(readHandle: string) {
      const raw = await kv.get(batchKey(readHandle));
      if (!raw) return [];
      const messages = JSON.parse(raw) as Record<string, string>;
      const out: { userId: string; readAt: number }[] = [];
      for (const [userId, messageId] of Object.entries(messages)) {
        const t = await kv.get(readKey(messageId));
        if (t !== null && Number.isFinite(Number(t))) out.push({ userId, readAt: Number(t) });
      }
      return out;
    },
  };
}
