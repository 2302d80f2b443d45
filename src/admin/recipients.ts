import type { Context } from 'koa';
import { z } from 'zod';
import { BotError, RequestError, requestError } from '../errors.ts';
import type { NoticeService } from '../notices/service.ts';
import { MAX_RECIPIENT_PAGE } from '../store/ports/notices-args.ts';
import type { RecipientQuery, RecipientView } from '../store/ports/notices.ts';

/** Recipients per page when `limit` is not given. */
export const DEFAULT_RECIPIENT_PAGE = 50;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const one = (name: string) =>
  z.preprocess((v) => (Array.isArray(v) ? Symbol.for(`repeated:${name}`) : v), z.string({ error: `${name}: give it once, as text` }).optional());
const positive = (name: string, max: number) =>
  one(name).transform((v, ctx) => {
    if (v === undefined) return undefined;
    const n = /^[0-9]{1,9}$/.test(v) ? Number(v) : NaN;
    if (!(n >= 1 && n <= max)) {
      ctx.addIssue({ code: 'custom', message: `${name}: must be a whole number from 1 to ${max}` });
      return z.NEVER;
    }
    return n;
  });

const querySchema = z.object({
  state: one('state').pipe(z.enum(['pending', 'sent', 'failed', 'read', 'acknowledged'], 'state: must be pending, sent, failed, read or acknowledged').optional()),
  q: one('q').pipe(
    z
      .string()
      .max(256, 'q: at most 256 characters')
      // eslint-disable-next-line no-control-regex
      .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'q: must not contain control characters')
      .optional(),
  ),
  sort: one('sort').pipe(z.enum(['user', 'state', 'time'], 'sort: must be user, state or time').optional()),
  order: one('order').pipe(z.enum(['asc', 'desc'], 'order: must be asc or desc').optional()),
  cursor: one('cursor').pipe(z.string().min(1, 'cursor: must not be empty').max(2000, 'cursor: too long').optional()),
  page: positive('page', 1_000_000),
  limit: positive('limit', MAX_RECIPIENT_PAGE),
});

/** One recipient as the API shows it (times ISO 8601 UTC or null). */
export function recipientJson(r: RecipientView) {
  return {
    userId: r.userId,
    name: r.name,
    department: r.department,
    state: r.view,
    stateAt: iso(r.viewAt),
    sentAt: iso(r.sentAt),
    readAt: iso(r.readAt),
    acknowledgedAt: iso(r.acknowledgedAt),
    acknowledgedVia: r.ackChannel,
    failureReason: r.reason,
    attempts: r.attempts,
    remindedRound: r.remindedRound,
    remindedAt: iso(r.remindedAt),
    deliveredBy: r.deliveredBy,
    language: r.language,
    remindedLanguage: r.remindedLanguage,
  };
}

/**
 * GET /admin/broadcasts/:id/recipients — one page of a broadcast's recipients, filtered, sorted and
 * paged by the store (NoticeStore.queryRecipients):
 * - `state` = pending | sent | failed | read | acknowledged (the most advanced state; absent = all);
 * - `q` = a search: user id prefix (case-sensitive), or a name or department containing it (A–Z
 *   case-insensitive; recipients carry name and department from the directory);
 * - `sort` = user (default) | state (pending, failed, sent, read, acknowledged) | time (when the
 *   recipient reached its state; pending and failed count as 0); `order` = asc (default) | desc;
 * - `cursor` (the previous page's `next`) or `page` (1-based; not both); `limit` 1..1000, default 50.
 * Answer: `{"broadcastId","total","limit","page"|null,"next"|null,"recipients":[{userId, state,
 * name, department, stateAt, sentAt, readAt, acknowledgedAt, acknowledgedVia, failureReason, attempts, remindedRound,
 * remindedAt, deliveredBy, language, remindedLanguage}]}` (language: what the notice was first sent in, null until sent;
 * remindedLanguage: what the latest reminder was sent in, null when none was); `total` counts every recipient matching state and q.
 * @throws RequestError NOTICE_BAD_REQUEST (400) naming the parameter; BROADCAST_NOT_FOUND (404)
 */
export async function recipientsPage(ctx: Context, service: NoticeService): Promise<void> {
  const parsed = querySchema.safeParse(ctx.query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw requestError('NOTICE_BAD_REQUEST', issue.message.includes(':') ? issue.message : `${issue.path.join('.')}: ${issue.message}`);
  }
  const p = parsed.data;
  if (p.cursor !== undefined && p.page !== undefined) throw requestError('NOTICE_BAD_REQUEST', 'cursor, page: give one of them, not both');
  const limit = p.limit ?? DEFAULT_RECIPIENT_PAGE;
  const query: RecipientQuery = {
    ...(p.state ? { state: p.state } : {}),
    prefix: p.q ?? '',
    text: p.q ?? '',
    sort: p.sort ?? 'user',
    order: p.order ?? 'asc',
    limit,
    after: p.cursor ?? null,
    offset: p.page !== undefined ? (p.page - 1) * limit : 0,
  };
  const id = ctx.params.id!;
  let page;
  try {
    page = await service.store.queryRecipients(id, query);
  } catch (err) {
    // A cursor that is not one of this store's is the client's mistake.
    if (err instanceof BotError && err.code === 'STORE_BAD_ARGUMENT') throw requestError('NOTICE_BAD_REQUEST', err.message);
    throw err;
  }
  if (!page) throw requestError('BROADCAST_NOT_FOUND', `no broadcast ${id}`);
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { broadcastId: id, total: page.total, limit, page: p.page ?? null, next: page.next, recipients: page.recipients.map(recipientJson) };
}
