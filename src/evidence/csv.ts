import type { AuditEvent, BroadcastRecord, RecipientRecord } from '../store/ports/notices.ts';
import { recipientState } from '../store/ports/notices.ts';
import { zonedIso } from './time.ts';

/**
 * CSV exports of a broadcast, as evidence an admin can open in Excel: UTF-8 with a byte order
 * mark (so Excel reads Chinese correctly), CRLF line ends, RFC 4180 quoting (a field with a
 * comma, double quote, CR or LF is quoted; quotes are doubled). Times are ISO 8601 in the company's time zone with its
 * offset ({@link zonedTime}).
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

/**
 * Header of recipients.csv: name and department (from the platform's directory when the audience
 * was resolved; empty when it gave none) after the user id; then the language the notice was first sent
 * in (zh-CN, zh-TW, en or bilingual; empty when not sent, or recorded before languages were), and last the
 * language of the latest reminder sent (`remindedLanguage`; empty when none was sent, or before it was recorded).
 */
export const RECIPIENTS_HEADER = [
  'userId', 'name', 'department', 'state', 'sentAt', 'readAt', 'acknowledgedAt', 'failureReason', 'acknowledgedVia', 'remindedRound', 'remindedAt', 'deliveredByBroadcast', 'language', 'remindedLanguage',
] as const;

/** Header of recipients.csv before the reminder's language was exported (such files still verify). */
export const RECIPIENTS_HEADER_V3 = RECIPIENTS_HEADER.filter((h) => h !== 'remindedLanguage');

/** Header of recipients.csv before the language was exported (such files still verify). */
export const RECIPIENTS_HEADER_V2 = RECIPIENTS_HEADER_V3.filter((h) => h !== 'language');

/** Header of recipients.csv before names and departments were exported (such files still verify). */
export const RECIPIENTS_HEADER_V1 = RECIPIENTS_HEADER_V2.filter((h) => h !== 'name' && h !== 'department');

/**
 * Header of audit.csv: the event in readable form, then its link of the hash chain (docs/EVIDENCE.md):
 * seq (position, 1-based), timeMs (the time as integer ms, what the hash covers; `time` is the
 * same instant in ISO 8601), prevHash and hash (64 lower-case hex digits).
 *
 * The chain covers the stored audit row: {@link AUDIT_HASHED} (broadcastId, userId, from, to, reason,
 * seq, timeMs, prevHash — and hash is their digest). `name` and `department` (the recipient's, from
 * the recipient records; empty for broadcast-level rows and when the directory gave none) and `time`
 * are presentation columns outside the hash: the file's signature covers them, the chain does not.
 */
export const AUDIT_HEADER = ['time', 'broadcastId', 'userId', 'name', 'department', 'from', 'to', 'reason', 'seq', 'timeMs', 'prevHash', 'hash'] as const;

/** Header of audit.csv before names and departments were exported (such files still verify). */
export const AUDIT_HEADER_V1 = AUDIT_HEADER.filter((h) => h !== 'name' && h !== 'department');

/** The audit.csv columns a row's hash is computed from (src/store/ports/audit-chain.ts `rowHash`). */
export const AUDIT_HASHED = ['broadcastId', 'userId', 'from', 'to', 'reason', 'seq', 'timeMs', 'prevHash'] as const;

/** A recipient's name and department as the audit export shows them, by user id. */
export type AuditPeople = ReadonlyMap<string, { name: string | null; department: string | null }>;

/** The name → department lookup of {@link auditRow} from a broadcast's recipient records. */
export function auditPeople(recipients: readonly Pick<RecipientRecord, 'userId' | 'name' | 'department'>[]): AuditPeople {
  return new Map(recipients.map((r) => [r.userId, { name: r.name ?? null, department: r.department ?? null }]));
}

/**
 * A cell's text defused: one apostrophe before text that starts with = + - @ tab, CR or an apostrophe
 * (so a spreadsheet never reads it as a formula, and the prefix stays reversible). Shared by the CSV
 * and the XLSX exports (src/evidence/xlsx.ts).
 */
export function neutralise(value: string | number | null): string {
  const s = value === null ? '' : String(value);
  return /^[=+\-@\t\r']/.test(s) ? `'${s}` : s;
}

/** One field, quoted when needed and defused when it looks like a formula (or starts with an apostrophe). */
export function csvField(value: string | number | null): string {
  const s = neutralise(value);
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

/** How an export writes a time (ms since the Unix epoch); null = no time. */
export type TimeFormat = (ms: number | null) => string;

/**
 * The one time format of the exports (CSV and XLSX): ISO 8601 in `timeZone` (IANA name) with the
 * zone's offset at that instant, e.g. `2026-12-05T20:10:09.123+08:00`; '' for null
 * (src/evidence/time.ts {@link zonedIso}). @throws RangeError for an unknown time zone name
 */
export function zonedTime(timeZone: string): TimeFormat {
  return (ms) => zonedIso(ms, timeZone);
}

/**
 * One recipient as a row of recipients.csv (the order of {@link RECIPIENTS_HEADER}); `time` writes
 * the times (CSV and XLSX: {@link zonedTime}, the company's time zone with its offset).
 */
export function recipientRow(broadcast: Pick<BroadcastRecord, 'readSupported'>, r: RecipientRecord, time: TimeFormat): (string | number)[] {
  return [
    r.userId,
    r.name ?? '',
    r.department ?? '',
    recipientState(r),
    time(r.sentAt),
    broadcast.readSupported ? time(r.readAt) : READ_UNKNOWN,
    time(r.acknowledgedAt),
    r.reason ?? '',
    r.ackChannel ?? '',
    r.remindedRound,
    time(r.remindedAt),
    r.deliveredBy ?? '',
    r.language ?? '',
    r.remindedLanguage ?? '',
  ];
}

/**
 * recipients.csv without the evidence trailer: a row per recipient, by user id, times in `timeZone`
 * with its offset ({@link zonedTime}). @throws RangeError for an unknown time zone name
 */
export function recipientsCsv(broadcast: Pick<BroadcastRecord, 'readSupported'>, recipients: readonly RecipientRecord[], timeZone: string): string {
  const time = zonedTime(timeZone);
  return toCsv([RECIPIENTS_HEADER, ...recipients.map((r) => recipientRow(broadcast, r, time))]);
}

/**
 * One audit entry as a row of audit.csv (the order of {@link AUDIT_HEADER}); `time` writes the first
 * cell, `people` gives the name and department of the row's user (empty when absent).
 */
export function auditRow(e: AuditEvent, time: TimeFormat, people: AuditPeople = new Map()): (string | number)[] {
  const who = e.userId === null ? undefined : people.get(e.userId);
  return [time(e.at), e.broadcastId, e.userId ?? '', who?.name ?? '', who?.department ?? '', e.from, e.to, e.reason, e.seq, e.at, e.prevHash, e.hash];
}

/**
 * audit.csv without the evidence trailer: every audit entry in chain order, the time column in
 * `timeZone` with its offset (`timeMs` stays the integer the hash covers), names and departments
 * from `people` ({@link auditPeople}). @throws RangeError for an unknown time zone name
 */
export function auditCsv(events: readonly AuditEvent[], timeZone: string, people: AuditPeople = new Map()): string {
  const time = zonedTime(timeZone);
  return toCsv([AUDIT_HEADER, ...events.map((e) => auditRow(e, time, people))]);
}
