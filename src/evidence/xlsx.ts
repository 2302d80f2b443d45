import ExcelJS from 'exceljs';
import type { AuditEvent, Bilingual, BroadcastRecord, RecipientRecord } from '../store/ports/notices.ts';
import { AUDIT_HEADER, READ_UNKNOWN, RECIPIENTS_HEADER, auditRow, neutralise, recipientRow, zonedTime, type AuditPeople } from './csv.ts';
import { trailerFields, type ExportKind } from './export.ts';
import { offsetLabel, zonedIso } from './time.ts';

/**
 * XLSX exports of a broadcast (the recipients and the audit trail), beside the CSV ones
 * (src/evidence/csv.ts), written with exceljs (https://github.com/exceljs/exceljs):
 * - the CSV's columns in the CSV's order (recipients: `name` and `department` after `userId`, from
 *   the recipient records, empty when the directory gave none), built by the same row functions;
 * - times in the company's time zone with its offset, as in the CSV (the one formatter `zonedTime`) (`2026-12-05T20:10:09.123+08:00`,
 *   src/evidence/time.ts) as text, so the offset stays visible and nothing is converted on opening;
 *   the audit sheet keeps `timeMs` (the integer the hash covers);
 * - every text cell defused exactly as in the CSV ({@link neutralise}: an apostrophe before = + - @
 *   tab, CR or an apostrophe) and stored as a string cell, never as a formula (a CR inside a cell
 *   reads back as LF: XML normalises line ends, and exceljs writes the CR as it is);
 * - a bold header row, frozen, an auto filter, fixed column widths;
 * - a second sheet `evidence` with the facts of the CSV trailer (broadcast, notice, version, its
 *   title and text, who created the broadcast and for which audience, when exported, head of the audit chain, time zone). The XLSX is not signed: the signed evidence is the
 *   CSV export (docs/EVIDENCE.md); the chain head lets the two be matched.
 */

/** MIME type of an .xlsx file. */
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Header of the recipients sheet: the CSV's (name and department after userId, language last). */
export const RECIPIENTS_XLSX_HEADER = RECIPIENTS_HEADER;

/** Column widths in characters, by header name (others 14). */
const WIDTHS: Record<string, number> = {
  userId: 24, name: 16, department: 24, state: 14, sentAt: 30, readAt: 30, acknowledgedAt: 30, failureReason: 24, acknowledgedVia: 16,
  remindedRound: 15, remindedAt: 30, deliveredByBroadcast: 24, language: 12, remindedLanguage: 16, time: 30, broadcastId: 24, from: 14, to: 14, reason: 36, seq: 8,
  timeMs: 16, prevHash: 66, hash: 66,
};

/** The recipients rows of the XLSX (header first), times in `timeZone`. */
export function recipientsXlsxRows(broadcast: Pick<BroadcastRecord, 'readSupported'>, recipients: readonly RecipientRecord[], timeZone: string): (string | number)[][] {
  const time = zonedTime(timeZone);
  return [
    [...RECIPIENTS_XLSX_HEADER],
    ...recipients.map((r) => recipientRow(broadcast, r, time)),
  ];
}

/**
 * The audit rows of the XLSX (header first), the time column in `timeZone`, names and departments
 * from `people` (src/evidence/csv.ts `auditPeople`; outside the hash chain, as in the CSV).
 */
export function auditXlsxRows(events: readonly AuditEvent[], timeZone: string, people?: AuditPeople): (string | number)[][] {
  const time = zonedTime(timeZone);
  return [[...AUDIT_HEADER], ...events.map((e) => auditRow(e, time, people))];
}

/** Languages an XLSX can be labelled in: `en` (the column names of the CSV, as they are) or `zh` (Chinese). */
export type XlsxLang = 'en' | 'zh';

/** Chinese column names, each followed by the CSV's own name so a reader can match the two files. */
const ZH_HEADERS: Record<string, string> = {
  userId: '员工ID', name: '姓名', department: '部门', state: '状态', sentAt: '送达时间', readAt: '已读时间', acknowledgedAt: '确认时间',
  failureReason: '失败原因', acknowledgedVia: '确认方式', remindedRound: '提醒轮次', remindedAt: '提醒时间', deliveredByBroadcast: '送达所属发送',
  language: '通知语言', remindedLanguage: '提醒语言', time: '时间', broadcastId: '发送ID', from: '原状态', to: '新状态', reason: '原因', seq: '序号', timeMs: '时间（毫秒）',
  prevHash: '上一行哈希', hash: '本行哈希',
};

/** Chinese words for a recipient's states, and (audit `from` / `to`) for the broadcast's own. */
const ZH_RECIPIENT_STATES: Record<string, string> = { pending: '待发送', sent: '已送达', failed: '发送失败', read: '已读', acknowledged: '已确认' };
const ZH_AUDIT_STATES: Record<string, string> = { ...ZH_RECIPIENT_STATES, none: '无', resolving: '准备中', sending: '发送中', done: '已完成', cancelled: '已取消' };
/** Chinese words for the values of the columns that hold a state, an acknowledgement channel or a language. */
const ZH_VALUES: Record<string, Record<string, string>> = {
  state: ZH_RECIPIENT_STATES,
  from: ZH_AUDIT_STATES,
  to: ZH_AUDIT_STATES,
  acknowledgedVia: { card: '卡片按钮', text: '回复文字' },
  language: { bilingual: '中英双语', 'zh-CN': '简体中文', 'zh-TW': '繁体中文', en: '英文' },
  remindedLanguage: { bilingual: '中英双语', 'zh-CN': '简体中文', 'zh-TW': '繁体中文', en: '英文' },
};
/** The Chinese of {@link READ_UNKNOWN}. */
const ZH_READ_UNKNOWN = '未知（该平台不提供已读回执）';

/**
 * The rows as a reader of `lang` sees them: for `zh` the header becomes "中文名 (csvName)" and states, acknowledgement
 * channels and languages become Chinese words; every other cell (ids, times with their offset, hashes, reasons) is
 * left as it is, so the rows still match the signed CSV cell for cell where it matters. `en`: unchanged.
 */
export function labelXlsxRows(rows: readonly (readonly (string | number)[])[], lang: XlsxLang): (string | number)[][] {
  if (lang === 'en' || rows.length === 0) return rows.map((r) => [...r]);
  const header = rows[0]!.map(String);
  return [
    header.map((h) => (ZH_HEADERS[h] ? `${ZH_HEADERS[h]} (${h})` : h)),
    ...rows.slice(1).map((row) =>
      row.map((v, i) => {
        if (typeof v !== 'string') return v;
        if (v === READ_UNKNOWN) return ZH_READ_UNKNOWN;
        return ZH_VALUES[header[i]!]?.[v] ?? v;
      }),
    ),
  ];
}

/** What the `evidence` sheet states. */
export interface XlsxFacts {
  kind: ExportKind;
  broadcastId: string;
  noticeId: string;
  noticeVersion: number;
  exportedAt: number;
  chain: { rows: number; hash: string } | null;
  timeZone: string;
  /** Who exported it (the console account or 'api'). */
  exportedBy: string;
  /** Who created (confirmed) the broadcast, e.g. `console:hr.zhang` (the broadcast's createdBy). */
  createdBy?: string;
  /** The broadcast's notice version's title. */
  noticeTitle?: Bilingual;
  /** The broadcast's notice version's text (what the employees were sent). */
  noticeBody?: Bilingual;
  /** The texts the employees were actually sent, by text language (src/evidence/export.ts ExportFacts.noticeSent). */
  noticeSent?: Partial<Record<'zh' | 'zh-TW' | 'en', { title: string; body: string }>>;
  /** The audience the broadcast was created with (its JSON). */
  audience?: unknown;
  /** The same audience in words (names from the directory; src/notices/service.ts audienceText). */
  audienceText?: string;
  /** The language of the column names and state words (default 'en': the CSV's names). */
  lang?: XlsxLang;
}

/** A workbook of `rows` (header first) on a sheet named `sheet`, plus the evidence sheet, as .xlsx bytes. */
export async function toXlsx(sheet: string, rows: readonly (readonly (string | number)[])[], facts: XlsxFacts): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'privacy-bot';
  wb.created = new Date(facts.exportedAt);
  wb.modified = new Date(facts.exportedAt);
  const ws = wb.addWorksheet(sheet, { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
  const header = rows[0] ?? [];
  ws.columns = header.map((h) => ({ key: String(h), width: WIDTHS[String(h)] ?? 14 }));
  for (const row of labelXlsxRows(rows, facts.lang ?? 'en')) ws.addRow(row.map((v) => (typeof v === 'number' ? v : neutralise(v))));
  const head = ws.getRow(1);
  head.font = { bold: true };
  head.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFEFEFEF' } };
  if (header.length > 0) ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: header.length } };

  const ev = wb.addWorksheet('evidence');
  ev.columns = [{ width: 18 }, { width: 80, style: { alignment: { wrapText: true, vertical: 'top' } } }];
  // The trailer's facts, in words a reader of the sheet wants: the zoned export time, the title and the creator as text (not JSON).
  const readable: Record<string, string | undefined> = {
    'exported-at': zonedIso(facts.exportedAt, facts.timeZone),
    'notice-title': facts.noticeTitle ? [facts.noticeTitle.zh, facts.noticeTitle['zh-TW'], facts.noticeTitle.en].filter((t) => t).join(' / ') : undefined,
    'notice-body': facts.noticeBody ? [facts.noticeBody.zh, facts.noticeBody['zh-TW'], facts.noticeBody.en].filter((t) => t).join('\n\n') : undefined,
    'notice-sent': facts.noticeSent
      ? (['zh', 'zh-TW', 'en'] as const).filter((l) => facts.noticeSent![l]).map((l) => `[${l}] ${facts.noticeSent![l]!.title}\n${facts.noticeSent![l]!.body}`).join('\n\n') || '—'
      : undefined,
    'created-by': facts.createdBy,
    audience: facts.audience !== undefined ? JSON.stringify(facts.audience) : undefined,
    'audience-text': facts.audienceText,
  };
  const fields = trailerFields({ ...facts, chain: facts.chain }, null).map(([k, v]): [string, string] => [k, readable[k] ?? v]);
  for (const [k, v] of [...fields, ['exported-by', facts.exportedBy], ['time-zone', `${facts.timeZone} (${offsetLabel(facts.exportedAt, facts.timeZone)})`], ['signed-copy', 'the CSV export of the same broadcast carries the Ed25519 signature']]) {
    ev.addRow([neutralise(k!), neutralise(v!)]);
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}
