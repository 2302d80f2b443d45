import type { Context } from 'koa';
import { requestError } from '../errors.ts';
import type { NoticeService } from '../notices/service.ts';
import { auditPeople } from '../evidence/csv.ts';
import { XLSX_TYPE, auditXlsxRows, recipientsXlsxRows, toXlsx, type XlsxLang } from '../evidence/xlsx.ts';
import type { ExportKind } from '../evidence/export.ts';
import { offsetLabel, zonedIso, zonedParts } from '../evidence/time.ts';
import { MAX_TIMELINE_EDGES } from '../store/ports/notices.ts';
import type { AdminRoutes } from './routes.ts';

/**
 * Evidence routes of a broadcast beside the CSV exports, declared once for the admin API and the
 * console (src/admin/routes.ts `declareAdminRoutes`):
 * - GET /broadcasts/:id/recipients.xlsx and /audit.xlsx[?lang=zh] — the exports as XLSX (src/evidence/xlsx.ts; `lang=zh`:
 *   Chinese column names and state words);
 * - GET /broadcasts/:id/timeline?bucket=hour|day — reads and acknowledgements over time
 *   ({@link timelineJson}).
 */
export function mountEvidenceRoutes(admin: AdminRoutes, options: { service: NoticeService; actorOf: (ctx: Context) => string }): void {
  const { service, actorOf } = options;
  const xlsx = (kind: 'recipients' | 'audit') => async (ctx: Context) => {
    const id = ctx.params.id!;
    const lang = ctx.query.lang === 'zh' ? 'zh' : 'en';
    const body = await broadcastXlsx(service, id, kind, actorOf(ctx), lang);
    ctx.type = XLSX_TYPE;
    ctx.set('Content-Disposition', `attachment; filename="broadcast-${id}-${kind}.xlsx"`);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = body;
  };
  admin.get('/broadcasts/:id/recipients.xlsx', xlsx('recipients'));
  admin.get('/broadcasts/:id/audit.xlsx', xlsx('audit'));
  admin.get('/broadcasts/:id/timeline', async (ctx) => {
    const bucket = ctx.query.bucket;
    if (bucket !== undefined && bucket !== 'hour' && bucket !== 'day') throw requestError('NOTICE_BAD_REQUEST', 'bucket: must be hour or day');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await timelineJson(service, ctx.params.id!, bucket);
  });
}

/** Spans up to this long are shown by hour when no bucket is asked for, longer ones by day. */
export const HOURLY_SPAN_MS = 48 * 3_600_000;

/** Start of the hour (or day) of `ms` in `timeZone`, ms since the Unix epoch. */
export function bucketStart(ms: number, bucket: 'hour' | 'day', timeZone: string): number {
  const z = zonedParts(ms, timeZone);
  const intoHour = (z.minute * 60 + z.second) * 1000 + (((ms % 1000) + 1000) % 1000);
  if (bucket === 'hour') return ms - intoHour;
  // Local midnight: step back the hours, then settle on the instant whose wall time is 00:00 (DST days are 23 or 25 hours).
  let t = ms - intoHour - z.hour * 3_600_000;
  const back = zonedParts(t, timeZone);
  if (back.hour !== 0) t -= (back.hour > 12 ? back.hour - 24 : back.hour) * 3_600_000;
  return t;
}

/** Most buckets a timeline answer has: 31 days of hours, 400 days (older times fold into the first bucket). */
export const MAX_BUCKETS: Readonly<Record<'hour' | 'day', number>> = { hour: 31 * 24, day: 400 };

/**
 * Edges of the buckets from the one holding `from` to the one after `to`. Over `max` buckets (default
 * {@link MAX_BUCKETS}), the first bucket is widened back to the first edge, so every time since `from`
 * is still counted (totals stay exact) and the latest `max - 1` buckets keep their size.
 */
export function bucketEdges(from: number, to: number, bucket: 'hour' | 'day', timeZone: string, max = MAX_BUCKETS[bucket]): number[] {
  const step = bucket === 'hour' ? 3_600_000 : 86_400_000;
  const first = bucketStart(from, bucket, timeZone);
  // Walk from the later of the start and (max + 1) buckets before `to`: a years-old broadcast costs no more than a new one.
  const from2 = Math.max(first, bucketStart(to - (max + 1) * step, bucket, timeZone));
  const edges = [from2];
  while (edges.at(-1)! <= to) edges.push(bucket === 'hour' ? edges.at(-1)! + step : bucketStart(edges.at(-1)! + step + 3 * 3_600_000, 'day', timeZone));
  const limit = Math.min(max, MAX_TIMELINE_EDGES - 1);
  if (edges.length - 1 <= limit && edges[0] === first) return edges;
  return [first, ...edges.slice(-limit)];
}

/**
 * Reads and acknowledgements of a broadcast per hour or day (in the notice service's time zone)
 * from the hour/day it was created to now: `{"broadcastId", "bucket", "timeZone", "offset"
 * ("UTC+08:00"), "from", "to", "buckets": [{"start" (ISO 8601 with offset), "read",
 * "acknowledged"}], "total": {"read", "acknowledged"}, "cumulative": {"read": [...],
 * "acknowledged": [...]}}`. Without `bucket`: hours for the first 48 hours, then days. At most
 * {@link MAX_BUCKETS} buckets: earlier times are counted in the first one, which then starts at the
 * broadcast's first hour/day.
 * Read counts stay 0 on a platform without read receipts (`readSupported` false).
 * @throws BotError BROADCAST_NOT_FOUND (404)
 */
export async function timelineJson(service: NoticeService, id: string, bucket?: 'hour' | 'day') {
  const b = await service.getBroadcast(id);
  const now = Math.max(service.clock.now(), b.createdAt);
  const tz = service.timeZone;
  const size = bucket ?? (now - b.createdAt <= HOURLY_SPAN_MS ? 'hour' : 'day');
  const edges = bucketEdges(b.createdAt, now, size, tz);
  const counts = (await service.store.timeline(id, edges)) ?? { read: [], acknowledged: [] };
  const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0);
  const running = (xs: number[]) => {
    let acc = 0;
    return xs.map((x) => (acc += x));
  };
  return {
    broadcastId: id,
    bucket: size,
    timeZone: tz,
    offset: offsetLabel(now, tz),
    readSupported: b.readSupported,
    from: zonedIso(edges[0]!, tz),
    to: zonedIso(edges.at(-1)!, tz),
    buckets: edges.slice(0, -1).map((start, i) => ({ start: zonedIso(start, tz), read: counts.read[i] ?? 0, acknowledged: counts.acknowledged[i] ?? 0 })),
    total: { read: sum(counts.read), acknowledged: sum(counts.acknowledged) },
    cumulative: { read: running(counts.read), acknowledged: running(counts.acknowledged) },
  };
}

/**
 * recipients.xlsx or audit.xlsx of a broadcast, read from the notice service's store, times in its
 * time zone (`service.timeZone`).
 * @throws BotError BROADCAST_NOT_FOUND (404, from the service)
 */
export async function broadcastXlsx(service: NoticeService, id: string, kind: ExportKind, exportedBy: string, lang: XlsxLang = 'en'): Promise<Buffer> {
  const b = await service.getBroadcast(id);
  const tz = service.timeZone;
  const base = { kind, ...(await service.exportFacts(b)), timeZone: tz, exportedBy, lang };
  if (kind === 'recipients') {
    const recipients = await service.store.listRecipients(id);
    const chain = await service.store.auditHead(id);
    return toXlsx('recipients', recipientsXlsxRows(b, recipients, tz), { ...base, exportedAt: service.clock.now(), chain });
  }
  const events = await service.store.listAudit(id);
  const people = auditPeople(await service.store.listRecipients(id));
  const last = events.at(-1);
  return toXlsx('audit', auditXlsxRows(events, tz, people), { ...base, exportedAt: service.clock.now(), chain: last ? { rows: last.seq, hash: last.hash } : null });
}
