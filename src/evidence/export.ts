import type { AuditChainHead, Bilingual } from '../store/ports/notices.ts';
import { genesisHash } from '../store/ports/audit-chain.ts';
import { signBytes, type EvidenceSigningKey } from './key.ts';
import { zonedIso } from './time.ts';

/**
 * The evidence trailer of a CSV export (docs/EVIDENCE.md, "The export"): after the CSV rows, one
 * empty line, then `# name: value` lines — what the export is, the broadcast, the head of its
 * audit chain, the key — and last `# signature: <base64>`, an Ed25519 signature over every byte
 * of the file before that line (byte order mark included). CRLF line ends like the rows. In a
 * spreadsheet the trailer is a few text cells in column A below the table, separated from it by
 * the empty row, so sorting or filtering the table leaves it alone.
 */

/** First trailer line, before the kind: `# privacy-bot evidence: audit v2`. */
export const TRAILER_TITLE = 'privacy-bot evidence';
/**
 * Format version written after the kind. v2 (2026-12-07): a trailer line holding `"` or `,` (the JSON values) is one
 * CSV-quoted cell, so a spreadsheet shows `# notice-title: {"zh":"…","en":"…"}` as written. v1 percent-encoded those
 * characters in the value instead (%22 %2C %25); `verify` reads both.
 */
export const TRAILER_VERSION = 'v2';
/** Every format version `verify` reads. */
export const TRAILER_VERSIONS: readonly string[] = ['v1', 'v2'];
/** Value of `# signature:` in an export made without a key. */
export const UNSIGNED_MARK = 'UNSIGNED (EVIDENCE_SIGNING_KEY was not set where this file was exported)';

/** Which export: the audit log (chained rows) or the recipients' states (a snapshot). */
export type ExportKind = 'audit' | 'recipients';

/** What the trailer of one export states. */
export interface ExportFacts {
  kind: ExportKind;
  broadcastId: string;
  noticeId: string;
  noticeVersion: number;
  /** The notice version's title (trailer `notice-title`, as JSON); absent in exports made before it was written. */
  noticeTitle?: Bilingual;
  /**
   * The notice version's text as written by the admin (trailer `notice-body`, as JSON): what the employees were sent
   * and acknowledged, so the signed file shows it; absent in exports made before it was written.
   */
  noticeBody?: Bilingual;
  /**
   * The texts the employees were actually sent (trailer `notice-sent`, as JSON `{"zh-TW":{"title","body"},…}`): one
   * entry per text language this broadcast sent in (first deliveries and reminders; Traditional as converted when it
   * was not written), none for a language nobody got. Absent in exports made before it was written, or when a send
   * predates the record of its language.
   */
  noticeSent?: Partial<Record<'zh' | 'zh-TW' | 'en', { title: string; body: string }>>;
  /** Who created (confirmed) the broadcast, e.g. `console:hr.zhang` (trailer `created-by`, as a JSON string). */
  createdBy?: string;
  /**
   * The audience the broadcast was created with (trailer `audience`, as JSON: `{"all":true}`, `{"departmentIds":[…]}`,
   * `{"userIds":[…]}`, with `exclude`), absent in exports made before it was written.
   */
  audience?: unknown;
  /**
   * The same audience in words (trailer `audience-text`, as a JSON string): departments and people by their directory
   * names with their ids, e.g. `研发部 (rd), excluding 周涛 (zhoutao) / 研发部（rd），排除 周涛（zhoutao）`; absent in exports
   * made before it was written. The JSON `audience` stays the exact record.
   */
  audienceText?: string;
  /** When the file was made, ms since the Unix epoch. */
  exportedAt: number;
  /**
   * The company's time zone (IANA name): `exported-at` is written in it with its offset, like the rows' times;
   * absent = UTC (`…Z`), as exports before it.
   */
  timeZone?: string;
  /** Head of the broadcast's audit chain read for the export (audit: its last row); null = no row yet. */
  chain: AuditChainHead | null;
}

/**
 * A value for one trailer line: JSON (so a title with a line break or a quote stays on its line and reads back
 * exactly), with U+2028/U+2029 escaped too (JSON leaves them, a line reader may not). The line it goes on is quoted
 * as a CSV cell by {@link trailerLine}.
 */
export function trailerJson(value: unknown): string {
  return JSON.stringify(value).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * One trailer line, `# name: value`, as one CSV cell: quoted (`"` doubled) when it holds `"` or `,`, so spreadsheet
 * programs and strict CSV readers take it as one cell and show it as written. No CRLF.
 */
export function trailerLine(name: string, value: string): string {
  const line = `# ${name}: ${value}`;
  return /[",]/.test(line) ? `"${line.replace(/"/g, '""')}"` : line;
}

/** The JSON text of a format-v1 trailer value (its three percent-encodings, %22 %2C %25, undone). */
export function readTrailerJson(s: string): string {
  return s.replace(/%(22|2C|25)/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/**
 * The trailer's name → value lines in file order, without the signature (the order `verify`
 * expects): the kind, broadcast, notice, notice-version, notice-title, notice-body, notice-sent, created-by, audience and audience-text (when known),
 * exported-at, chain-rows, chain-head, and key-id and public-key when signed.
 */
export function trailerFields(f: ExportFacts, key: EvidenceSigningKey | null): [string, string][] {
  const head = f.chain ?? { rows: 0, hash: genesisHash({ broadcastId: f.broadcastId, noticeId: f.noticeId, version: f.noticeVersion }) };
  const fields: [string, string][] = [
    [TRAILER_TITLE, `${f.kind} ${TRAILER_VERSION}`],
    ['broadcast', f.broadcastId],
    ['notice', f.noticeId],
    ['notice-version', String(f.noticeVersion)],
    ...(f.noticeTitle ? [['notice-title', trailerJson(f.noticeTitle)] as [string, string]] : []),
    ...(f.noticeBody ? [['notice-body', trailerJson(f.noticeBody)] as [string, string]] : []),
    ...(f.noticeSent ? [['notice-sent', trailerJson(f.noticeSent)] as [string, string]] : []),
    ...(f.createdBy !== undefined ? [['created-by', trailerJson(f.createdBy)] as [string, string]] : []),
    ...(f.audience !== undefined ? [['audience', trailerJson(f.audience)] as [string, string]] : []),
    ...(f.audienceText !== undefined ? [['audience-text', trailerJson(f.audienceText)] as [string, string]] : []),
    ['exported-at', f.timeZone ? zonedIso(f.exportedAt, f.timeZone) : new Date(f.exportedAt).toISOString()],
    ['chain-rows', String(head.rows)],
    ['chain-head', head.hash],
  ];
  if (key) fields.push(['key-id', key.publicKey.keyId], ['public-key', key.publicKey.spkiBase64]);
  return fields;
}

/**
 * Appends the evidence trailer to `csv` (an export as src/evidence/csv.ts writes it: BOM, CRLF
 * after every row) and signs the result with `key`; without a key the signature line says
 * {@link UNSIGNED_MARK}. Returns the whole file as text (its UTF-8 bytes are what was signed).
 */
export function withEvidenceTrailer(csv: string, facts: ExportFacts, key: EvidenceSigningKey | null): string {
  const body = `${csv}\r\n${trailerFields(facts, key).map(([name, value]) => `${trailerLine(name, value)}\r\n`).join('')}`;
  const signature = key ? signBytes(key, Buffer.from(body, 'utf8')) : UNSIGNED_MARK;
  return `${body}# signature: ${signature}\r\n`;
}
