import type { AuditEvent, BroadcastRecord, RecipientRecord } from '../store/notices-port.ts';
import { recipientState } from '../store/notices-port.ts';
import { isoOrEmpty } from './clock.ts';

/**
 * CSV exports of a broadcast, as evidence an admin can open in Excel: UTF-8 with a byte order
 * mark (so Excel reads Chinese correctly), CRLF line ends, RFC 4180 quoting (a field with a
 * comma, double quote, CR or LF is quoted; quotes are doubled). Times are ISO 8601 UTC.
 * A cell that would start with = + - @ (a spreadsheet formula) is prefixed with an apostrophe,
 * so opening an export never runs a formula smuggled into a user id or a platform message.
 */

/** Byte order mark that starts every export. */
export const BOM = '\uFEFF';

/** What the read column says on a platform without read receipts (WeCom). */
export const READ_UNKNOWN = 'unknown (platform has no read receipts)';

/** Header of recipients.csv. */
export const RECIPIENTS_HEADER = [
  'userId', 'state', 'sentAt', 'readAt', 'acknowledgedAt', 'failureReason', 'acknowledgedVia', 'remindedRound', 'remindedAt', 'deliveredByBroadcast',
] as const;

/** Header of audit.csv. */
export const AUDIT_HEADER = ['time', 'broadcastId', 'userId', 'from', 'to', 'reason'] as const;

/** One field, quoted when needed and defused when it looks like a formula. */
export function csvField(value: string | number | null): string {
  let s = value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows to CSV text: BOM, CRLF after every row. */
export function toCsv(rows: readonly (readonly (string | number | null)[])[]): string {
  return BOM + rows.map((r) => `${r.map(csvField).join(',')}\r\n`).join('');
}

/** recipients.csv: a row per recipient, by user id. */
export function recipientsCsv(broadcast: Pick<BroadcastRecord, 'readSupported'>, recipients: readonly RecipientRecord[]): string {
  const rows = recipients.map((r) => [
    r.userId,
    recipientState(r),
    isoOrEmpty(r.sentAt),
    broadcast.readSupported ? isoOrEmpty(r.readAt) : READ_UNKNOWN,
    isoOrEmpty(r.acknowledgedAt),
    r.reason ?? '',
    r.ackChannel ?? '',
    r.remindedRound,
    isoOrEmpty(r.remindedAt),
    r.deliveredBy ?? '',
  ]);
  return toCsv([RECIPIENTS_HEADER, ...rows]);
}

/** audit.csv: every audit entry in append order. */
export function auditCsv(events: readonly AuditEvent[]): string {
  return toCsv([AUDIT_HEADER, ...events.map((e) => [new Date(e.at).toISOString(), e.broadcastId, e.userId ?? '', e.from, e.to, e.reason])]);
}
