/**
 * The evidence routes through the console and the admin API over real HTTP: recipients.xlsx and
 * audit.xlsx need a session (401 without), any role may export (an auditor does), each export is
 * recorded in the console audit trail with the account's name, and the file read back with exceljs
 * holds the recipients with times in the company's time zone (+08:00); the timeline counts reads
 * and acknowledgements per hour; /knowledge/stats counts answers (the console's own try box does
 * not count). The admin API serves the same XLSX behind its Bearer token.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { startNoticeBot, type NoticeBot } from '../../e2e/notices-harness.ts';
import { signedIn, type ConsoleClient } from '../../helpers/console-client.ts';
import { NOTICE } from '../../helpers/admin-walk.ts';
import { RECIPIENTS_XLSX_HEADER, XLSX_TYPE } from '../../../src/evidence/xlsx.ts';

async function waitFor(cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('condition not met');
}

async function workbook(res: Response): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load((await res.arrayBuffer()) as ArrayBuffer);
  return wb;
}

describe('console evidence routes', () => {
  let bot: NoticeBot;
  let admin: ConsoleClient;
  let auditor: ConsoleClient;
  let id = '';
  let noticeId = '';
  before(async () => {
    bot = await startNoticeBot({ fake: { users: ['u1', 'u2', 'u3'], departments: {} } });
    admin = await signedIn(bot.url, bot.core.store, 'hr.admin', 'admin');
    auditor = await signedIn(bot.url, bot.core.store, 'legal.wang', 'auditor');
    noticeId = (await admin.call('POST', '/console/api/notices', NOTICE)).body.id;
    id = (await admin.call('POST', '/console/api/broadcasts', { noticeId, platform: 'dingtalk', audience: { userIds: ['u1', 'u2', '=u3'] } })).body.id;
    await waitFor(async () => (await admin.call('GET', `/console/api/broadcasts/${id}`)).body.state === 'done');
  });
  after(async () => {
    await bot?.close();
  });

  const raw = (c: ConsoleClient | null, path: string) => fetch(`${bot.url}${path}`, { headers: c ? { cookie: c.cookie } : {} });

  it('recipients.xlsx and audit.xlsx: a session is needed, an auditor may export, the export is recorded with the name', async () => {
    assert.equal((await raw(null, `/console/api/broadcasts/${id}/recipients.xlsx`)).status, 401);
    const res = await raw(auditor, `/console/api/broadcasts/${id}/recipients.xlsx`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), XLSX_TYPE);
    assert.match(res.headers.get('content-disposition')!, new RegExp(`attachment; filename="broadcast-${id}-recipients.xlsx"`));
    const wb = await workbook(res);
    const ws = wb.getWorksheet('recipients')!;
    assert.deepEqual((ws.getRow(1).values as unknown[]).slice(1), [...RECIPIENTS_XLSX_HEADER]);
    const rows = (ws.getSheetValues() as unknown[][]).slice(2).map((r) => r.slice(1));
    assert.deepEqual(rows.map((r) => r[0]).sort(), ["'=u3", 'u1', 'u2'], 'the formula-like user id is defused');
    const sent = rows.filter((r) => r[RECIPIENTS_XLSX_HEADER.indexOf('state')] === 'sent');
    assert.deepEqual(sent.map((r) => r[0]).sort(), ['u1', 'u2'], 'the two known users were sent to (the fake knows no =u3)');
    for (const r of sent) assert.match(String(r[RECIPIENTS_XLSX_HEADER.indexOf('sentAt')]), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$/);
    const ev = Object.fromEntries((wb.getWorksheet('evidence')!.getSheetValues() as unknown[][]).filter(Boolean).map((r) => [r[1], r[2]]));
    assert.equal(ev['exported-by'], 'console:legal.wang');

    // ?lang=zh (the console in Chinese): Chinese column names with the CSV's names beside them, states in Chinese,
    // ids and times as they are.
    const zh = (await workbook(await raw(auditor, `/console/api/broadcasts/${id}/recipients.xlsx?lang=zh`))).getWorksheet('recipients')!;
    const zhHeader = (zh.getRow(1).values as unknown[]).slice(1);
    assert.deepEqual(zhHeader.slice(0, 5), ['员工ID (userId)', '姓名 (name)', '部门 (department)', '状态 (state)', '送达时间 (sentAt)']);
    const zhRows = (zh.getSheetValues() as unknown[][]).slice(2).map((r) => r.slice(1));
    assert.deepEqual(zhRows.filter((r) => r[3] === '已送达').map((r) => r[0]).sort(), ['u1', 'u2']);
    for (const r of zhRows.filter((r) => r[3] === '已送达')) assert.match(String(r[4]), /\+08:00$/);

    const audit = await raw(admin, `/console/api/broadcasts/${id}/audit.xlsx`);
    assert.equal(audit.status, 200);
    const aws = (await workbook(audit)).getWorksheet('audit')!;
    assert.ok(aws.rowCount > 3);
    assert.match(String(aws.getRow(2).getCell(1).value), /\+08:00$/);

    assert.equal((await raw(auditor, '/console/api/broadcasts/nope/audit.xlsx')).status, 404);
    const trail = (await admin.call('GET', '/console/api/audit')).body.entries as { actor: string; action: string; status: number; target?: string }[];
    assert.ok(trail.some((e) => e.actor === 'legal.wang' && e.action === 'GET /console/api/broadcasts/:id/recipients.xlsx' && e.status === 200 && e.target === id), JSON.stringify(trail.slice(0, 5)));
    assert.ok(trail.some((e) => e.actor === 'hr.admin' && e.action === 'GET /console/api/broadcasts/:id/audit.xlsx' && e.status === 200));
    assert.ok(trail.some((e) => e.actor === 'legal.wang' && e.action === 'GET /console/api/broadcasts/:id/audit.xlsx' && e.status === 404));
  });

  it('the admin API serves the same export behind its Bearer token', async () => {
    assert.equal((await fetch(`${bot.url}/admin/broadcasts/${id}/recipients.xlsx`)).status, 401);
    const res = await bot.admin('GET', `/admin/broadcasts/${id}/recipients.xlsx`);
    assert.equal(res.status, 200);
    const ev = Object.fromEntries(((await workbook(res)).getWorksheet('evidence')!.getSheetValues() as unknown[][]).filter(Boolean).map((r) => [r[1], r[2]]));
    assert.equal(ev['exported-by'], 'api');
  });

  it('timeline: reads and acknowledgements per hour since the broadcast started', async () => {
    const t = bot.core.notices.clock.now();
    await bot.core.notices.store.markRead(id, [{ userId: 'u1', readAt: t }], t);
    assert.equal((await bot.core.notices.store.acknowledge('dingtalk', 'u2', { noticeId, version: 1 }, 'card', t)).kind, 'acknowledged');
    const r = await auditor.call('GET', `/console/api/broadcasts/${id}/timeline`);
    assert.equal(r.status, 200);
    assert.equal(r.body.bucket, 'hour');
    assert.equal(r.body.timeZone, 'Asia/Shanghai');
    assert.equal(r.body.offset, 'UTC+08:00');
    assert.deepEqual(r.body.total, { read: 1, acknowledged: 1 });
    assert.equal(r.body.cumulative.acknowledged.at(-1), 1);
    assert.match(r.body.buckets[0].start, /:00:00\.000\+08:00$/);
    const day = await auditor.call('GET', `/console/api/broadcasts/${id}/timeline?bucket=day`);
    assert.equal(day.body.bucket, 'day');
    assert.match(day.body.buckets[0].start, /T00:00:00\.000\+08:00$/);
    assert.deepEqual(day.body.total, { read: 1, acknowledged: 1 });
    assert.equal((await auditor.call('GET', `/console/api/broadcasts/${id}/timeline?bucket=week`)).status, 400);
    assert.equal((await auditor.call('GET', '/console/api/broadcasts/nope/timeline')).status, 404);
  });

  it('knowledge statistics: counts of answers and "not sure", not the console’s own tries', async () => {
    const before = (await auditor.call('GET', '/console/api/knowledge/stats')).body;
    assert.deepEqual(before.windows.map((w: { days: number }) => w.days), [7, 30]);
    const tried = await admin.call('POST', '/console/api/knowledge/try', { question: '公司能看到我的聊天记录吗？' });
    assert.ok(tried.body.topic);
    const ask = (text: string) => bot.core.handle({ platform: 'dingtalk', tenant: 't', userId: 'u9', chat: { kind: 'single' }, kind: 'text', text, mentionedBot: false, messageId: `${Math.random()}`, receivedAt: 0 });
    const faq = await ask('公司能看到我的聊天记录吗？');
    await ask('zzqx frobnicate quux');
    const after = (await auditor.call('GET', '/console/api/knowledge/stats')).body;
    const w7 = after.windows[0];
    assert.equal(w7.topics[faq.topic!], (before.windows[0].topics[faq.topic!] ?? 0) + 1, 'one answer (the console try is not counted)');
    assert.equal(w7.notSure, before.windows[0].notSure + 1);
    assert.equal(JSON.stringify(after).includes('聊天记录'), false);
    assert.equal((await fetch(`${bot.url}/console/api/knowledge/stats`)).status, 401);
  });
});
