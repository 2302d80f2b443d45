/**
 * The console's send (issue 13, "Send") over real loopback HTTP, on the real SQLite store and on
 * real Redis, with the sandbox organisation (adapters/sandbox: 30 people in hr 8, rd 12, sales 10):
 * the department tree with head counts, people search by name (bounded), an audience of
 * departments and people less exclusions prepared in the background (the request answers 202 at
 * once; the console polls the head count), a confirm that alone starts sending, names and
 * departments on the recipients (page, CSV, XLSX), a schedule in the company time zone that can be
 * cancelled before it starts, and bad input refused with the field named. Waits are polls on a
 * condition, never a fixed sleep.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { startNoticeBot, redisUnreachable, type NoticeBot } from '../../e2e/notices-harness.ts';
import { ConsoleClient, signedIn } from '../../helpers/console-client.ts';
import { SHARED_REDIS_URL } from '../../resilience/harness.ts';
import { NoticeService } from '../../../src/notices/service.ts';
import { createLogger } from '../../../src/log.ts';

const silent = createLogger('silent');

/** Polls `probe` until it returns a value (not undefined); fails after `limitMs`. */
async function until<T>(probe: () => Promise<T | undefined>, what: string, limitMs = 20_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

const redisDown = await redisUnreachable(SHARED_REDIS_URL);

for (const kind of ['sqlite', 'redis'] as const) {
  describe(`console send: directory, prepare, confirm (${kind})`, { skip: kind === 'redis' && redisDown ? `Redis: ${redisDown}` : false }, () => {
    let bot: NoticeBot;
    let admin: ConsoleClient;
    let noticeId = '';
    before(async () => {
      bot = await startNoticeBot({
        fake: { users: ['u1'] },
        env: { SANDBOX: 'on' },
        ...(kind === 'redis' ? { backend: { kind: 'redis' as const, url: SHARED_REDIS_URL } } : {}),
      });
      admin = await signedIn(bot.url, bot.core.store, 'hr.send', 'admin');
      const n = await admin.call('POST', '/console/api/notices', { title: { zh: '会话存档告知', en: 'Archiving notice' }, body: { zh: '正文', en: 'Body' } });
      noticeId = n.body.id;
    });
    after(async () => {
      await bot?.close();
    });

    const preparation = (id: string) =>
      until(async () => {
        const r = await admin.call('GET', `/console/api/broadcasts/${id}/preparation`);
        assert.equal(r.status, 200);
        return r.body.state === 'preparing' ? undefined : r.body;
      }, `preparation of ${id}`);

    it('the department tree with head counts, and people found by name (bounded)', async () => {
      const d = await admin.call('GET', '/console/api/directory/sandbox/departments');
      assert.equal(d.status, 200);
      assert.deepEqual(d.body.departments.map((x: { id: string; headCount: number }) => [x.id, x.headCount]), [['hr', 8], ['rd', 12], ['sales', 10]]);
      assert.equal(d.body.departments[0].name, '人力资源部');
      const p = await admin.call('GET', `/console/api/directory/sandbox/people?q=${encodeURIComponent('王')}`);
      assert.deepEqual(p.body.people, [{ userId: 'wangfang', name: '王芳', department: '人力资源部' }]);
      const bounded = await admin.call('GET', '/console/api/directory/sandbox/people?q=a&limit=3');
      assert.equal(bounded.body.people.length, 3);
      assert.equal((await admin.call('GET', '/console/api/directory/sandbox/people?q=a&limit=51')).status, 400);
      const empty = await admin.call('GET', '/console/api/directory/sandbox/people?q=');
      assert.equal(empty.status, 400);
      assert.match(empty.body.error.message, /^q: /);
      const none = await admin.call('GET', '/console/api/directory/wecom/departments');
      assert.equal(none.status, 400, 'a channel without a directory');
      assert.equal(none.body.error.code, 'NOTICE_DIRECTORY_UNSUPPORTED');
    });

    it('prepare in the background: departments and people less exclusions, deduplicated; only the confirm sends', async () => {
      const audience = { departmentIds: ['hr', 'sales'], userIds: ['zhoutao', 'wangfang'], exclude: { departmentIds: ['sales'], userIds: ['lijing'] } };
      const r = await admin.call('POST', '/console/api/broadcasts/prepare', { noticeId, platform: 'sandbox', audience });
      assert.equal(r.status, 202);
      assert.equal(r.body.state, 'preparing');
      const id = r.body.id as string;
      const p = await preparation(id);
      // hr (8) − lijing + zhoutao (wangfang is in hr already); sales excluded although included.
      assert.deepEqual(p, { id, state: 'ready', count: 8, unknown: [], checked: true });
      const waiting = await admin.call('GET', `/console/api/broadcasts/${id}`);
      assert.equal(waiting.body.state, 'resolving', 'prepared, not sending');
      assert.equal(waiting.body.counts.sent, 0);
      const c = await admin.call('POST', `/console/api/broadcasts/${id}/confirm`);
      assert.equal(c.status, 200);
      assert.equal(c.body.createdBy, 'console:hr.send');
      await until(async () => ((await admin.call('GET', `/console/api/broadcasts/${id}`)).body.state === 'done' ? true : undefined), 'the broadcast done');
      const done = (await admin.call('GET', `/console/api/broadcasts/${id}`)).body;
      assert.equal(done.counts.sent, 8);
      const page = await admin.call('GET', `/console/api/broadcasts/${id}/recipients?limit=50`);
      const byId = new Map(page.body.recipients.map((x: { userId: string }) => [x.userId, x]));
      assert.deepEqual([...byId.keys()].sort(), ['chenjie', 'huangting', 'liuyang', 'wangfang', 'yangli', 'zhangmin', 'zhaolei', 'zhoutao']);
      assert.deepEqual(byId.get('zhoutao'), { ...(byId.get('zhoutao') as object), name: '周涛', department: '研发部' });
      const csv = await admin.call('GET', `/console/api/broadcasts/${id}/recipients.csv`);
      const rows = parse(String(csv.body).replace(/^\uFEFF/, ''), { relax_column_count: true }) as string[][];
      assert.deepEqual(rows[0]!.slice(0, 4), ['userId', 'name', 'department', 'state']);
      assert.ok(rows.some((row) => row[0] === 'wangfang' && row[1] === '王芳' && row[2] === '人力资源部'));
      const xlsx = await fetch(`${bot.url}/console/api/broadcasts/${id}/recipients.xlsx`, { headers: { cookie: admin.cookie } });
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(Buffer.from(await xlsx.arrayBuffer()) as unknown as ArrayBuffer);
      const ws = wb.getWorksheet('recipients')!;
      const header = (ws.getRow(1).values as unknown[]).slice(1);
      const names = [] as unknown[];
      ws.eachRow((row, n) => n > 1 && names.push(row.getCell(header.indexOf('name') + 1).value));
      assert.ok(names.includes('周涛'));
      // Confirming again changes nothing.
      assert.equal((await admin.call('POST', `/console/api/broadcasts/${id}/confirm`)).body.state, 'done');
    });

    it('exclusions that removed nobody are named in the preparation (a warning: the count stands, the confirm still sends)', async () => {
      // hr (8 people): zhoutao is in rd, "wangfnag" is a typo of wangfang, nobody of sales is in hr; lijing is in hr.
      const audience = { departmentIds: ['hr'], exclude: { departmentIds: ['sales'], userIds: ['zhoutao', 'wangfnag', 'lijing'] } };
      const r = await admin.call('POST', '/console/api/broadcasts/prepare', { noticeId, platform: 'sandbox', audience });
      assert.equal(r.status, 202);
      const id = r.body.id as string;
      assert.deepEqual(await preparation(id), {
        id, state: 'ready', count: 7, unknown: [], checked: true,
        unmatchedExclusions: { userIds: ['zhoutao', 'wangfnag'], departmentIds: ['sales'] },
      });
      const c = await admin.call('POST', `/console/api/broadcasts/${id}/confirm`);
      assert.equal(c.status, 200, 'not a refusal');
      assert.equal(c.body.counts.targeted, 7);
      await admin.call('POST', `/console/api/broadcasts/${id}/cancel`);
    });

    it('typed ids the directory does not know: listed as unknown, not counted, never sent; without a directory they could not be checked', async () => {
      const r = await admin.call('POST', '/console/api/broadcasts/prepare', { noticeId, platform: 'sandbox', audience: { userIds: ['wangfang', 'ghost-1', 'zhoutao', 'ghost-2'] } });
      assert.equal(r.status, 202);
      const id = r.body.id as string;
      assert.deepEqual(await preparation(id), { id, state: 'ready', count: 2, unknown: ['ghost-1', 'ghost-2'], checked: true });
      const waiting = (await admin.call('GET', `/console/api/broadcasts/${id}`)).body;
      assert.equal(waiting.counts.targeted, 2, 'the unknown ids are no recipients');
      assert.equal((await admin.call('POST', `/console/api/broadcasts/${id}/confirm`)).status, 200);
      await until(async () => ((await admin.call('GET', `/console/api/broadcasts/${id}`)).body.state === 'done' ? true : undefined), 'the broadcast done');
      const done = (await admin.call('GET', `/console/api/broadcasts/${id}`)).body;
      assert.deepEqual([done.counts.targeted, done.counts.sent, done.counts.failed], [2, 2, 0], 'nobody failed: the unknown ids were never sent');
      const page = await admin.call('GET', `/console/api/broadcasts/${id}/recipients?limit=50`);
      assert.deepEqual(page.body.recipients.map((x: { userId: string }) => x.userId).sort(), ['wangfang', 'zhoutao']);

      // Only unknown ids: nothing to send, and the preparation says which.
      const none = await admin.call('POST', '/console/api/broadcasts/prepare', { noticeId, platform: 'sandbox', audience: { userIds: ['ghost-3'] } });
      const failed = await preparation(none.body.id);
      assert.equal(failed.state, 'failed');
      assert.deepEqual(failed.unknown, ['ghost-3']);
      assert.match(failed.error, /NOTICE_AUDIENCE_EMPTY: none of the user ids is in the sandbox directory \(1 unknown: ghost-3\)/);

      // A platform without a directory: every id counts, as before, and the preparation says they were not checked.
      const unchecked = await admin.call('POST', '/console/api/broadcasts/prepare', { noticeId, platform: 'wecom', audience: { userIds: ['u1', 'nobody-knows'] } });
      assert.deepEqual(await preparation(unchecked.body.id), { id: unchecked.body.id, state: 'ready', count: 2, unknown: [], checked: false });
      await admin.call('POST', `/console/api/broadcasts/${unchecked.body.id}/cancel`);
    });

    it('a failed preparation is reported and cannot be confirmed; cancelling a prepared broadcast sends nothing', async () => {
      const bad = await admin.call('POST', '/console/api/broadcasts/prepare', { noticeId, platform: 'sandbox', audience: { departmentIds: ['nope'] } });
      assert.equal(bad.status, 202);
      const p = await preparation(bad.body.id);
      assert.equal(p.state, 'failed');
      assert.match(p.error, /nope/);
      const c = await admin.call('POST', `/console/api/broadcasts/${bad.body.id}/confirm`);
      assert.equal(c.status, 409);
      assert.equal(c.body.error.code, 'BROADCAST_NOT_PREPARED');
      const ok = await admin.call('POST', '/console/api/broadcasts/prepare', { noticeId, platform: 'sandbox', audience: { userIds: ['wuhao'] } });
      await preparation(ok.body.id);
      assert.equal((await admin.call('POST', `/console/api/broadcasts/${ok.body.id}/cancel`)).body.state, 'cancelled');
      assert.equal((await admin.call('POST', `/console/api/broadcasts/${ok.body.id}/confirm`)).status, 409);
    });

    it('the console discards an unconfirmed preparation (audience changed, dialog closed): recorded as such, never once confirmed', async () => {
      const a = await admin.call('POST', '/console/api/broadcasts/prepare', { noticeId, platform: 'sandbox', audience: { userIds: ['wuhao'] } });
      await preparation(a.body.id);
      const bad = await admin.call('POST', `/console/api/broadcasts/${a.body.id}/discard`, { reason: 'bored' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'NOTICE_BAD_REQUEST');
      const d = await admin.call('POST', `/console/api/broadcasts/${a.body.id}/discard`, { reason: 'audience-changed' });
      assert.deepEqual([d.status, d.body.state, d.body.discarded], [200, 'cancelled', 'audience-changed']);
      assert.equal((await admin.call('POST', `/console/api/broadcasts/${a.body.id}/discard`, { reason: 'dialog-closed' })).status, 200, 'idempotent');
      assert.equal((await admin.call('POST', `/console/api/broadcasts/${a.body.id}/confirm`)).status, 409);
      // Confirmed: no longer a preparation, so not discarded (a late request from a closing dialog changes nothing).
      const b = await admin.call('POST', '/console/api/broadcasts/prepare', { noticeId, platform: 'sandbox', audience: { userIds: ['wuhao'] } });
      await preparation(b.body.id);
      assert.equal((await admin.call('POST', `/console/api/broadcasts/${b.body.id}/confirm`)).status, 200);
      const late = await admin.call('POST', `/console/api/broadcasts/${b.body.id}/discard`, { reason: 'dialog-closed' });
      assert.deepEqual([late.status, late.body.error.code], [409, 'BROADCAST_NOT_DISCARDABLE']);
      assert.notEqual((await admin.call('GET', `/console/api/broadcasts/${b.body.id}`)).body.state, 'cancelled');
      const trail = (await admin.call('GET', '/console/api/audit')).body.entries as { target?: string; status: number; action: string; summary: { zh: string; en: string } }[];
      const discarded = trail.find((e) => e.target === a.body.id && e.action.endsWith('/discard') && e.status === 200)!;
      assert.match(discarded.summary.zh, /^(重新选择发送对象|关闭发送对话框)，作废未确认的准备/);
      assert.ok(!trail.some((e) => e.target === a.body.id && /取消发送/.test(e.summary.zh)), 'not a cancel by the admin');
    });

    it('a prepared broadcast awaits the confirm until `confirmBy`; nobody confirming by then, a worker cancels it as expired', async () => {
      const r = await admin.call('POST', '/console/api/broadcasts/prepare', { noticeId, platform: 'sandbox', audience: { userIds: ['wuhao'] } });
      await preparation(r.body.id);
      const waiting = (await admin.call('GET', `/console/api/broadcasts/${r.body.id}`)).body;
      assert.equal(waiting.state, 'resolving');
      const confirmBy = Date.parse(waiting.confirmBy);
      assert.ok(Number.isSafeInteger(confirmBy), `confirmBy: ${waiting.confirmBy}`);
      assert.equal(waiting.expired, undefined);
      const listed = (await admin.call('GET', '/console/api/broadcasts')).body.broadcasts.find((b: { id: string }) => b.id === r.body.id);
      assert.equal(listed.confirmBy, waiting.confirmBy, 'the list tells "awaiting confirmation" from sending');
      // Another instance whose clock reads the deadline (nothing waits for the wall clock).
      const later = new NoticeService({ store: bot.core.notices.store, kv: bot.core.store, log: silent, instanceId: 'later', clock: { now: () => confirmBy, sleep: async () => undefined } });
      assert.deepEqual(await later.recoverPreparations(), { interrupted: 0, expired: 1 });
      const gone = (await admin.call('GET', `/console/api/broadcasts/${r.body.id}`)).body;
      assert.deepEqual([gone.state, gone.confirmBy, gone.expired, gone.counts.sent], ['cancelled', null, true, 0]);
      assert.match(gone.error, /^未确认，已过期 \/ not confirmed, expired/);
      const p = (await admin.call('GET', `/console/api/broadcasts/${r.body.id}/preparation`)).body;
      assert.deepEqual([p.state, p.expired], ['failed', true]);
      assert.equal((await admin.call('POST', `/console/api/broadcasts/${r.body.id}/confirm`)).status, 409);
    });

    it('a schedule in the company time zone is stored, shown, and can be cancelled before it starts', async () => {
      const r = await admin.call('POST', '/console/api/broadcasts/prepare', { noticeId, platform: 'sandbox', audience: { userIds: ['wuhao'] }, notBefore: '2099-01-01T09:00' });
      await preparation(r.body.id);
      const c = await admin.call('POST', `/console/api/broadcasts/${r.body.id}/confirm`);
      assert.equal(c.body.notBefore, '2099-01-01T01:00:00.000Z', '09:00 in Asia/Shanghai');
      assert.equal(c.body.state, 'sending');
      const x = await admin.call('POST', `/console/api/broadcasts/${r.body.id}/cancel`);
      assert.equal(x.body.state, 'cancelled');
      assert.equal(x.body.counts.sent, 0);
    });

    it('bad input is refused with the field named, and nothing is recorded', async () => {
      const before = (await admin.call('GET', '/console/api/broadcasts')).body.broadcasts.length;
      for (const [audience, message] of [
        [{ departmentIds: [''] }, /^audience\.departmentIds\.0: must not be empty/],
        [{ all: true, userIds: ['x'] }, /^audience: must be \{"all": true\}/],
        [{ userIds: ['a'], exclude: { people: ['x'] } }, /^audience\.exclude\.people: is not a known field/],
        [{ userIds: ['a'], exclude: { userIds: ['bad\u0001'] } }, /^audience\.exclude\.userIds\.0: must not contain control characters/],
        [{}, /^audience: must be/],
      ] as const) {
        const r = await admin.call('POST', '/console/api/broadcasts/prepare', { noticeId, platform: 'sandbox', audience });
        assert.equal(r.status, 400, JSON.stringify(audience));
        assert.match(r.body.error.message, message);
      }
      const t = await admin.call('POST', '/console/api/broadcasts/prepare', { noticeId, platform: 'sandbox', audience: { all: true }, notBefore: 'tomorrow' });
      assert.equal(t.status, 400);
      assert.match(t.body.error.message, /^notBefore: /);
      assert.equal((await admin.call('GET', '/console/api/broadcasts')).body.broadcasts.length, before);
    });
  });
}
