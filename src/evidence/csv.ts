import type { AuditEvent, BroadcastRecord, RecipientRecord } from '../store/ports/notices.ts';
import { recipientState } from '../store/ports/notices.ts';

/**
 * CSV exports of a broadcast, as evidence an admin can open in Excel: UTF-8 with a byte order
 * mark (so Excel reads Chinese correctly), CRLF line ends, RFC 4180 quoting (a field with a
 * comma, double quote, CR or LF is quoted; quotes are doubled). Times are ISO 8601 UTC.
 * A cell that would start with = + - @ tab or CR (a spreadsheet formula) is prefixed with an
 * apostrophe, so opening an export never runs a formula smuggled into a user id or a platform
 * message; so is a cell that starts with an apostrophe, which makes the prefix reversible
 * ({@link csvCellValue}: drop one leading apostrophe) — `privacy-bot evidence verify` recomputes
 * the audit hash chain from the original values.
 *
 * Every export ends with the evidence trailer (src/evidence/export.ts, docs/EVIDENCE.md): the head
 * of the broadcast's audit chain and an Ed25519 signature over the file.
 */

/** Byte order mark that starts every export. */
export const BOM = '\uFEFF';

/** What the read column says on a platform without read receipts (WeCom). */
export const READ_UNKNOWN = 'unknown (platform has no read receipts)';

/** Header of recipients.csv. */
export const RECIPIENTS_HEADER = [
  'userId', 'state', 'sentAt', 'readAt', 'acknowledgedAt', 'failureReason', 'acknowledgedVia', 'remindedRound', 'remindedAt', 'deliveredByBroadcast',
] as const;

/**
 * Header of audit.csv: the event in readable form, then its link of the hash chain (docs/EVIDENCE.md):
 * seq (position, 1-based), timeMs (the time as integer ms, what the hash covers; `time` is the
 * same instant in ISO 8601), prevHash and hash (64 lower-case hex digits).
 */
export const AUDIT_HEADER = ['time', 'broadcastId', 'userId', 'from', 'to', 'reason', 'seq', 'timeMs', 'prevHash', 'hash'] as const;

/** One field, quoted when needed and defused when it looks like a formula (or starts with an apostrophe). */
export function csvField(value: string | number | null): string {
  let s = value === null ? '' : String(value);
  if (/^[=+\-@\t\r']/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The value a parsed cell of an export stood for: {@link csvField}'s apostrophe dropped. */
export function csvCellValue(cell: string): string {
  return cell.startsWith("'") ? cell.slice(1) : cell;
}

/** Rows to CSV text: BOM, CRLF after every row. */
export function toCsv(rows: readonly (readonly (string | number | null)[])[]): string {
  return BOM + rows.map((r) => `${r.map(csvField).join(',')}\r\n`).join('');
}

/** recipients.csv without the evidence trailer: a row per recipient, by user id. */
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

/** One audit entry as a row of audit.csv (the order of {@link AUDIT_HEADER}). */
export function auditRow(e: AuditEvent): (string | number)[] {
  return [new Date(e.at).toISOString(), e.broadcastId, e.userId ?? '', e.from, e.to, e.reason, e.seq, e.at, e.prevHash, e.hash];
}

/** audit.csv without the evidence trailer: every audit entry in chain order. */
export function auditCsv(events: readonly AuditEvent[]): string {
  return toCsv([AUDIT_HEADER, ...events.map(auditRow)]);
}

/** ISO 8601 UTC of `ms`, or '' for null. */
export function isoOrEmpty(ms: number | null): string {
  return ms === null ? '' : new Date(ms).toISOString();
}
