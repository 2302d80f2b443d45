/**
 * XLSX exports (src/evidence/xlsx.ts) read back with exceljs: the CSV's columns (with name and
 * department), times in the company's time zone with its offset, formula-like cells defused exactly
 * as in the CSV and stored as text (never a formula), the frozen header, column widths, the
 * evidence sheet. Also the zoned time format (src/evidence/time.ts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { AUDIT_HEADER, READ_UNKNOWN, RECIPIENTS_HEADER, auditPeople, csvField, recipientsCsv } from '../../../src/evidence/csv.ts';
import { RECIPIENTS_XLSX_HEADER, auditXlsxRows, labelXlsxRows, recipientsXlsxRows, toXlsx } from '../../../src/evidence/xlsx.ts';
import { offsetLabel, zonedIso } from '../../../src/evidence/time.ts';
import type { AuditEvent, RecipientRecord } from '../../../src/store/ports/notices.ts';

const SENT = Date.parse('2026-12-05T16:30:00.250Z'); // 2026-12-06 00:30:00.250 in Shanghai: the next calendar day
const base: RecipientRecord = { userId: 'u1', state: 'sent', reason: null, sentAt: SENT, readAt: null, acknowledgedAt: null, ackChannel: null, attempts: 0, remindedRound: 0, remindedAt: null, deliveredBy: null, name: null, department: null, language: null, remindedLanguage: null };
const HOSTILE = ['=HYPERLINK("http://x","y")', '+1', '-2', '@SUM(A1)', '\tTAB', '\rCR', "'quoted"];

async function read(buf: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf as unknown as ArrayBuffer);
  return wb;
}
const values = (ws: ExcelJS.Worksheet, row: number) => (ws.getRow(row).values as unknown[]).slice(1);
const facts = { kind: 'recipients' as const, broadcastId: 'b1', noticeId: 'n1', noticeVersion: 2, exportedAt: SENT, chain: { rows: 3, hash: 'a'.repeat(64) }, timeZone: 'Asia/Shanghai', exportedBy: 'console:hr.li', createdBy: 'console:hr.zhang', noticeTitle: { zh: '聊天存档告知', en: 'Chat archiving notice' } };

describe('XLSX exports', () => {
  it('zoned times carry the offset and stand for the same instant', () => {
    assert.equal(zonedIso(SENT, 'Asia/Shanghai'), '2026-12-06T00:30:00.250+08:00');
    assert.equal(zonedIso(SENT, 'America/New_York'), '2026-12-05T11:30:00.250-05:00');
    assert.equal(zonedIso(Date.parse('2026-07-01T12:00:00Z'), 'America/New_York'), '2026-07-01T08:00:00.000-04:00', 'summer time');
    assert.equal(zonedIso(SENT, 'Asia/Kolkata'), '2026-12-05T22:00:00.250+05:30');
    assert.equal(zonedIso(null, 'Asia/Shanghai'), '');
    for (const tz of ['Asia/Shanghai', 'America/New_York', 'Asia/Kolkata', 'UTC']) assert.equal(Date.parse(zonedIso(SENT, tz)), SENT, tz);
    assert.equal(offsetLabel(SENT, 'Asia/Shanghai'), 'UTC+08:00');
  });

  it('recipients: the CSV columns with name and department, zoned times, defused cells stored as text', async () => {
    const recipients: RecipientRecord[] = [
      { ...base, readAt: SENT + 60_000, acknowledgedAt: SENT + 120_000, ackChannel: 'card', name: '张三', department: '研发部', language: 'zh-CN' },
      ...HOSTILE.map((h, i) => ({ ...base, userId: `h${i}`, state: 'failed' as const, sentAt: null, reason: h, name: h, department: `${h} / 法务部` })),
      { ...base, userId: 'plain' }, // a record without name and department
    ];
    const rows = recipientsXlsxRows({ readSupported: true }, recipients, 'Asia/Shanghai');
    const wb = await read(await toXlsx('recipients', rows, facts));
    const ws = wb.getWorksheet('recipients')!;
    assert.deepEqual(values(ws, 1), [...RECIPIENTS_XLSX_HEADER]);
    assert.deepEqual([...RECIPIENTS_XLSX_HEADER], [...RECIPIENTS_HEADER], 'the CSV columns, in order');
    const first = Object.fromEntries(RECIPIENTS_XLSX_HEADER.map((h, i) => [h, ws.getRow(2).getCell(i + 1).value]));
    assert.equal(first.name, '张三');
    assert.equal(first.department, '研发部');
    assert.equal(first.state, 'acknowledged');
    assert.equal(first.sentAt, '2026-12-06T00:30:00.250+08:00');
    assert.equal(first.acknowledgedAt, '2026-12-06T00:32:00.250+08:00');
    assert.equal(first.remindedRound, 0);
    // Every formula-like text is defused exactly as in the CSV (one apostrophe) and is a string cell.
    HOSTILE.forEach((h, i) => {
      const row = ws.getRow(3 + i);
      for (const col of ['userId', 'name', 'failureReason'] as const) {
        const cell = row.getCell(RECIPIENTS_XLSX_HEADER.indexOf(col) + 1);
        assert.equal(cell.type, ExcelJS.ValueType.String, `${JSON.stringify(h)} in ${col} is text`);
      }
      const reason = row.getCell(RECIPIENTS_XLSX_HEADER.indexOf('failureReason') + 1).value;
      // XML normalises a CR inside a cell to LF on reading (exceljs writes it raw): the text after the defusing apostrophe.
      assert.equal(reason, `'${h}`.replace(/\r/g, '\n'));
      assert.equal((parse(csvField(h)) as string[][])[0]![0], `'${h}`, 'the CSV writes the same text');
      assert.equal(row.getCell(RECIPIENTS_XLSX_HEADER.indexOf('department') + 1).value, `'${h} / 法务部`.replace(/\r/g, '\n'));
    });
    assert.deepEqual(values(ws, 3 + HOSTILE.length).slice(1, 3), ['', ''], 'no name or department: empty cells');
    ws.eachRow((row) => row.eachCell((cell) => assert.notEqual(cell.type, ExcelJS.ValueType.Formula)));
    // Frozen header, widths, bold header, filter.
    assert.equal(ws.views[0]!.state, 'frozen');
    assert.equal((ws.views[0] as { ySplit?: number }).ySplit, 1);
    assert.equal(ws.getColumn(1).width, 24);
    assert.equal(ws.getColumn(RECIPIENTS_XLSX_HEADER.indexOf('sentAt') + 1).width, 30);
    assert.equal(ws.getRow(1).font?.bold, true);
    // The evidence sheet.
    const ev = Object.fromEntries((wb.getWorksheet('evidence')!.getSheetValues() as unknown[][]).filter(Boolean).map((r) => [r[1], r[2]]));
    assert.equal(ev['privacy-bot evidence'], 'recipients v2');
    assert.equal(ev['chain-head'], 'a'.repeat(64));
    assert.equal(ev['exported-at'], '2026-12-06T00:30:00.250+08:00');
    assert.equal(ev['exported-by'], 'console:hr.li');
    assert.equal(ev['created-by'], 'console:hr.zhang', 'who created (confirmed) the broadcast');
    assert.equal(ev['notice-title'], '聊天存档告知 / Chat archiving notice');
    assert.equal(ev.notice, 'n1');
    assert.equal(ev['notice-version'], '2');
    assert.equal(ev['time-zone'], 'Asia/Shanghai (UTC+08:00)');
    // The CSV of the same records: the same columns and the same zoned times (one formatter).
    assert.match(recipientsCsv({ readSupported: true }, recipients.slice(0, 1), 'Asia/Shanghai'), /u1,张三,研发部,acknowledged,2026-12-06T00:30:00\.250\+08:00/);
  });

  it('read receipts unknown on the platform: the same marker as the CSV', async () => {
    const rows = recipientsXlsxRows({ readSupported: false }, [base], 'Asia/Shanghai');
    assert.equal(rows[1]![RECIPIENTS_XLSX_HEADER.indexOf('readAt')], 'unknown (platform has no read receipts)');
  });

  it('audit: the CSV columns (name and department from the recipients), the time zoned, timeMs the integer the chain hashes', async () => {
    const e: AuditEvent = { at: SENT, broadcastId: 'b1', userId: '=cmd', from: 'pending', to: 'sent', reason: '@x', seq: 1, prevHash: 'p'.repeat(64), hash: 'h'.repeat(64) };
    const other: AuditEvent = { ...e, userId: 'u-unknown', seq: 2 };
    const broadcastRow: AuditEvent = { ...e, userId: null, seq: 3 };
    const people = auditPeople([{ userId: '=cmd', name: '张三', department: '=研发部' }]);
    const wb = await read(await toXlsx('audit', auditXlsxRows([e, other, broadcastRow], 'Asia/Shanghai', people), { ...facts, kind: 'audit' }));
    const ws = wb.getWorksheet('audit')!;
    assert.deepEqual(values(ws, 1), [...AUDIT_HEADER]);
    assert.deepEqual(values(ws, 2), ['2026-12-06T00:30:00.250+08:00', 'b1', "'=cmd", '张三', "'=研发部", 'pending', 'sent', "'@x", 1, SENT, 'p'.repeat(64), 'h'.repeat(64)]);
    assert.deepEqual(values(ws, 3).slice(2, 5), ['u-unknown', '', ''], 'a user without a recipient record: empty name and department');
    assert.deepEqual(values(ws, 4).slice(2, 5), ['', '', ''], 'a broadcast-level row: no user, no name');
    assert.equal(ws.getRow(2).getCell(AUDIT_HEADER.indexOf('timeMs') + 1).type, ExcelJS.ValueType.Number);
    const ev = Object.fromEntries((wb.getWorksheet('evidence')!.getSheetValues() as unknown[][]).filter(Boolean).map((r) => [r[1], r[2]]));
    assert.equal(ev['privacy-bot evidence'], 'audit v2');
    assert.equal(ev['created-by'], 'console:hr.zhang');
  });

  it('labelXlsxRows: zh names the columns in Chinese beside the CSV names and words states, channels and languages; ids, times and reasons stay', () => {
    const rows = [
      ['userId', 'state', 'sentAt', 'readAt', 'acknowledgedVia', 'language', 'failureReason', 'remindedRound'],
      ['sent', 'acknowledged', '2026-12-07T19:33:33.000+08:00', READ_UNKNOWN, 'card', 'bilingual', 'invaliduser', 1],
    ];
    assert.deepEqual(labelXlsxRows(rows, 'en'), rows);
    const zh = labelXlsxRows(rows, 'zh');
    assert.deepEqual(zh[0], ['员工ID (userId)', '状态 (state)', '送达时间 (sentAt)', '已读时间 (readAt)', '确认方式 (acknowledgedVia)', '通知语言 (language)', '失败原因 (failureReason)', '提醒轮次 (remindedRound)']);
    assert.deepEqual(zh[1], ['sent', '已确认', '2026-12-07T19:33:33.000+08:00', '未知（该平台不提供已读回执）', '卡片按钮', '中英双语', 'invaliduser', 1], 'a user id that happens to be a state word is left alone');
    const audit = labelXlsxRows([['from', 'to', 'reason'], ['none', 'resolving', 'created']], 'zh');
    assert.deepEqual(audit[1], ['无', '准备中', 'created']);
  });
});
