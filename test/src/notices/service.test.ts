import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { ackKey, parseAckKey, NoticeService } from '../../../src/notices/service.ts';
import { broadcastXlsx } from '../../../src/admin/evidence.ts';
import { parseSigningKey } from '../../../src/evidence/key.ts';
import { verifyExport } from '../../../src/evidence/verify.ts';
import type { NoticeStore } from '../../../src/store/ports/notices.ts';
import { BOM, READ_UNKNOWN } from '../../../src/evidence/csv.ts';
import { zonedIso } from '../../../src/evidence/time.ts';
import { BroadcastWorker } from '../../../src/notices/worker.ts';
import { createLoopbackChannel, startFakeNoticePlatform, type FakeNoticePlatform } from '../../fakes/notice-platform.ts';
import { assertCountsAddUp, CONTENT, ManualClock, newService, silent, tempSqliteNoticeStore } from './helpers.ts';

describe('NoticeService', () => {
  let fake: FakeNoticePlatform;
  let store: NoticeStore;
  let cleanup: () => Promise<void>;
  let service: NoticeService;
  const clock = new ManualClock(Date.UTC(2026, 4, 3, 23, 30)); // 2026-05-04 07:30 in Shanghai

  before(async () => {
    fake = await startFakeNoticePlatform({ users: ['zhangsan', 'lisi', 'wangwu'], departments: { '2': ['zhangsan', 'lisi'], '3': ['lisi', 'wangwu'] } });
    ({ store, cleanup } = tempSqliteNoticeStore());
    service = newService(store, clock);
    service.registerChannel(createLoopbackChannel({ url: fake.url, platform: 'wecom', readSupported: false }));
    service.registerChannel(createLoopbackChannel({ url: fake.url, platform: 'dingtalk', readSupported: true }));
  });
  after(async () => {
    await cleanup();
    await fake.close();
  });

  describe('notices', () => {
    it('creates, edits (new version), lists and reads every version', async () => {
      const v1 = await service.createNotice(CONTENT);
      assert.match(v1.noticeId, /^n-[a-z2-9]{10}$/);
      assert.equal(v1.version, 1);
      const v2 = await service.editNotice(v1.noticeId, { ...CONTENT, body: { zh: '保存 5 年。', en: 'Kept for 5 years.' } });
      assert.equal(v2.version, 2);
      const n = await service.getNotice(v1.noticeId);
      assert.equal(n.latestVersion, 2);
      assert.deepEqual(n.versions.map((v) => v.body.en), [CONTENT.body.en, 'Kept for 5 years.']);
      assert.equal((await service.getNoticeVersion(v1.noticeId, 1)).body.en, CONTENT.body.en);
      assert.ok((await service.listNotices()).some((x) => x.id === v1.noticeId && x.latestVersion === 2));
    });

    it('trims text and rejects bad content naming the field', async () => {
      const v = await service.createNotice({ title: { zh: '  标题 ', en: ' Title ' }, body: { zh: '正文', en: 'Body' } });
      assert.deepEqual(v.title, { zh: '标题', en: 'Title' });
      const zhOnly = await service.createNotice({ title: { zh: '标题' }, body: { zh: '正文', 'zh-TW': ' 正文（繁） ' } });
      assert.deepEqual([zhOnly.title, zhOnly.body], [{ zh: '标题', en: '' }, { zh: '正文', en: '', 'zh-TW': '正文（繁）' }], 'English and zh-TW optional, trimmed');
      const bad: [unknown, RegExp][] = [
        [{ title: { en: 'a' }, body: CONTENT.body }, /^title\.zh: is required$/],
        [{ title: { zh: 'a', 'zh-TW': 'x'.repeat(201) }, body: CONTENT.body }, /^title\.zh-TW: must be at most 200 characters$/],
        [{ title: { zh: '', en: 'x' }, body: CONTENT.body }, /^title\.zh: must not be empty$/],
        [{ title: CONTENT.title, body: { zh: 'x'.repeat(5001), en: 'x' } }, /^body\.zh: must be at most 5000 characters$/],
        [{ title: CONTENT.title, body: CONTENT.body, extra: 1 }, /^extra: is not a known field$/],
        ['text', /expected object/],
      ];
      for (const [input, message] of bad) {
        await assert.rejects(service.createNotice(input), (e: Error & { code?: string; status?: number }) => e.code === 'NOTICE_BAD_REQUEST' && e.status === 400 && message.test(e.message), JSON.stringify(input));
      }
    });

    it('unknown notices and versions are 404', async () => {
      await assert.rejects(service.editNotice('n-nope', CONTENT), { code: 'NOTICE_NOT_FOUND', status: 404 });
      await assert.rejects(service.getNotice('n-nope'), { code: 'NOTICE_NOT_FOUND' });
      await assert.rejects(service.getNotice('../etc'), { code: 'NOTICE_NOT_FOUND' });
      const v = await service.createNotice(CONTENT);
      await assert.rejects(service.getNoticeVersion(v.noticeId, 9), { code: 'NOTICE_NOT_FOUND', message: /no version 9/ });
    });
  });

  describe('broadcasts', () => {
    it('resolves departments through the channel, deduplicated, and starts sending', async () => {
      const v = await service.createNotice(CONTENT);
      const b = await service.createBroadcast({ noticeId: v.noticeId, platform: 'dingtalk', audience: { departmentIds: ['2', 3] }, createdBy: 'api' });
      assert.equal(b.state, 'sending');
      assert.equal(b.readSupported, true);
      assert.deepEqual(b.audience, { departmentIds: ['2', '3'] });
      assert.deepEqual(b.counts, { targeted: 3, pending: 3, sent: 0, failed: 0, read: 0, acknowledged: 0 });
      assert.deepEqual((await store.listRecipients(b.id)).map((r) => r.userId), ['lisi', 'wangwu', 'zhangsan']);
      assert.ok((await store.activeBroadcastIds()).includes(b.id));
    });

    it('refuses an unknown platform, a bad audience and an unknown notice before recording anything', async () => {
      const v = await service.createNotice(CONTENT);
      const before = (await service.listBroadcasts()).length;
      await assert.rejects(service.createBroadcast({ noticeId: v.noticeId, platform: 'feishu', audience: { all: true }, createdBy: 'api' }), {
        code: 'NOTICE_PLATFORM_UNAVAILABLE', status: 400, message: /configured: dingtalk, wecom/,
      });
      await assert.rejects(service.createBroadcast({ noticeId: v.noticeId, platform: 'wecom', audience: { departmentIds: [] }, createdBy: 'api' }), {
        code: 'NOTICE_BAD_REQUEST', message: /^audience\.departmentIds: must list at least one id$/,
      });
      await assert.rejects(service.createBroadcast({ noticeId: 'n-nope', platform: 'wecom', audience: { all: true }, createdBy: 'api' }), { code: 'NOTICE_NOT_FOUND' });
      assert.equal((await service.listBroadcasts()).length, before);
    });

    it('cancels with the reason when the directory fails or the audience is empty', async () => {
      const v = await service.createNotice(CONTENT);
      fake.breakDirectory(true);
      let id = '';
      await assert.rejects(service.createBroadcast({ noticeId: v.noticeId, platform: 'wecom', audience: { all: true }, createdBy: 'api' }), (e: Error & { code?: string; status?: number }) => {
        id = /broadcast (b-\w+)/.exec(e.message)?.[1] ?? '';
        return e.code === 'NOTICE_AUDIENCE_FAILED' && e.status === 502;
      });
      fake.breakDirectory(false);
      const failed = await service.getBroadcast(id);
      assert.equal(failed.state, 'cancelled');
      assert.match(failed.error ?? '', /FAKE_PLATFORM_ERROR/);
      await assert.rejects(service.createBroadcast({ noticeId: v.noticeId, platform: 'wecom', audience: { departmentIds: ['99'] }, createdBy: 'api' }), { code: 'NOTICE_AUDIENCE_FAILED' });
      const empty = newService(store, clock);
      empty.registerChannel({ platform: 'wecom', maxBatchSize: 10, readSupported: false, resolveAudience: async () => [], sendBatch: async () => ({ sent: [], failed: [], retryLater: [] }) });
      await assert.rejects(empty.createBroadcast({ noticeId: v.noticeId, platform: 'wecom', audience: { all: true }, createdBy: 'api' }), { code: 'NOTICE_AUDIENCE_EMPTY', status: 422 });
    });

    it('resend and cancel: 404 for unknown ids, 409 for a cancelled broadcast', async () => {
      const v = await service.createNotice(CONTENT);
      const b = await service.createBroadcast({ noticeId: v.noticeId, platform: 'wecom', audience: { userIds: ['zhangsan'] }, createdBy: 'api' });
      const c = await service.cancel(b.id);
      assert.equal(c.state, 'cancelled');
      assert.equal((await service.cancel(b.id)).state, 'cancelled');
      await assert.rejects(service.resend(b.id, 'failed'), { code: 'BROADCAST_NOT_RESENDABLE', status: 409 });
      await assert.rejects(service.resend('b-nope', 'failed'), { code: 'BROADCAST_NOT_FOUND', status: 404 });
      await assert.rejects(service.cancel('b-nope'), { code: 'BROADCAST_NOT_FOUND' });
      await assert.rejects(service.getBroadcast('b-nope'), { code: 'BROADCAST_NOT_FOUND' });
      await assert.rejects(service.recipientsCsv('b-nope'), { code: 'BROADCAST_NOT_FOUND' });
      await assert.rejects(service.resend(b.id, 'all' as never), { code: 'NOTICE_BAD_REQUEST' });
    });
  });

  describe('exports, acknowledgement, personal lines', () => {
    it('exports recipients and audit as CSV with BOM; read is "unknown" without read receipts', async () => {
      const v = await service.createNotice({ title: { zh: '告知, "第一版"', en: 'Notice' }, body: CONTENT.body });
      const b = await service.createBroadcast({ noticeId: v.noticeId, platform: 'wecom', audience: { userIds: ['zhangsan', 'lisi', 'nobody'] }, createdBy: 'api' });
      const w = new BroadcastWorker({ service, log: silent, idleMs: 1 });
      await w.runUntil(async () => (await store.getBroadcast(b.id))!.state === 'done');
      await service.acknowledge('wecom', 'zhangsan', 'latest', 'text');
      await assertCountsAddUp(store, b.id);
      const csv = await service.recipientsCsv(b.id);
      assert.ok(csv.startsWith(BOM));
      const lines = csv.slice(1).split('\r\n');
      assert.equal(lines[0], 'userId,name,department,state,sentAt,readAt,acknowledgedAt,failureReason,acknowledgedVia,remindedRound,remindedAt,deliveredByBroadcast,language,remindedLanguage');
      // In the company's time zone with its offset, as in the XLSX export.
      const sentAt = zonedIso(clock.now(), 'Asia/Shanghai');
      assert.match(sentAt, /\+08:00$/);
      assert.deepEqual(lines.slice(1, 4), [
        `lisi,,,sent,${sentAt},${READ_UNKNOWN},,,,0,,,bilingual,`,
        `nobody,,,failed,,${READ_UNKNOWN},,invaliduser,,0,,,,`,
        `zhangsan,,,acknowledged,${sentAt},${READ_UNKNOWN},${sentAt},,text,0,,,bilingual,`,
      ]);
      assert.equal(lines[4], '', 'ends with CRLF');
      const audit = await service.auditCsv(b.id);
      assert.ok(audit.startsWith(`${BOM}time,broadcastId,userId,name,department,from,to,reason,seq,timeMs,prevHash,hash\r\n`));
      assert.match(audit.split('\r\n')[1]!, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00,/, 'audit times zoned too');
      assert.match(audit, new RegExp(`,${b.id},zhangsan,,,sent,acknowledged,acknowledged by text,`), 'no directory: empty name and department');
      assert.match(audit, new RegExp(`,${b.id},,,,none,resolving,"notice ${v.noticeId} v1 on wecom, by api"`));
    });

    it('exports name who created the broadcast and the notice (signed, verified); audit rows carry names and departments outside the chain', async () => {
      const org = {
        departments: async () => [],
        searchPeople: async () => [],
        describe: async (ids: string[]) => new Map(ids.filter((u) => u !== 'wangwu').map((u) => [u, { userId: u, name: u === 'zhangsan' ? '张三' : '李四', department: u === 'zhangsan' ? '研发部' : '=法务部' }])),
      };
      service.registerChannel({ ...createLoopbackChannel({ url: fake.url, platform: 'feishu', readSupported: true }), org });
      const v = await service.createNotice({ title: { zh: '存档告知, "三"', en: 'Archiving notice' }, body: CONTENT.body });
      const b = await service.createBroadcast({ noticeId: v.noticeId, platform: 'feishu', audience: { userIds: ['zhangsan', 'lisi', 'wangwu'] }, createdBy: 'console:hr.zhang' });
      await new BroadcastWorker({ service, log: silent, idleMs: 1 }).runUntil(async () => (await store.getBroadcast(b.id))!.state === 'done');
      await service.acknowledge('feishu', 'zhangsan', 'latest', 'card');
      const key = parseSigningKey(Buffer.alloc(32, 3).toString('base64'));
      const signed = new NoticeService({ store, log: silent, clock, evidenceKey: key });
      for (const text of [await signed.auditCsv(b.id), await signed.recipientsCsv(b.id)]) {
        assert.match(text, /\r\n"# created-by: ""console:hr\.zhang"""\r\n/);
        assert.match(text, /\r\n# exported-at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00\r\n/, 'exported-at in the company zone, like the rows');
        const r = verifyExport(Buffer.from(text, 'utf8'));
        assert.deepEqual([r.ok, r.problems, r.createdBy, r.noticeTitle, r.noticeId, r.noticeVersion], [true, [], 'console:hr.zhang', { zh: '存档告知, "三"', en: 'Archiving notice' }, v.noticeId, 1]);
        assert.deepEqual([r.noticeBody, r.audience], [CONTENT.body, { userIds: ['zhangsan', 'lisi', 'wangwu'] }], 'the text sent and the audience, signed');
      }
      const audit = await signed.auditCsv(b.id);
      assert.ok(audit.startsWith(`${BOM}time,broadcastId,userId,name,department,from,to,reason,seq,timeMs,prevHash,hash\r\n`));
      assert.match(audit, new RegExp(`,${b.id},zhangsan,张三,研发部,sent,acknowledged,`));
      assert.match(audit, new RegExp(`,${b.id},lisi,李四,'=法务部,pending,sent,`), 'a name is defused like any cell');
      assert.match(audit, new RegExp(`,${b.id},,,,none,resolving,`), 'broadcast-level rows: no user, no name');
      // The XLSX of the same broadcast states the same facts on its evidence sheet.
      const xlsx = await broadcastXlsx(signed, b.id, 'audit', 'console:hr.li');
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(xlsx as unknown as ArrayBuffer);
      const ev = Object.fromEntries((wb.getWorksheet('evidence')!.getSheetValues() as unknown[][]).filter(Boolean).map((row) => [row[1], row[2]]));
      assert.deepEqual([ev['created-by'], ev['notice-title'], ev['exported-by']], ['console:hr.zhang', '存档告知, "三" / Archiving notice', 'console:hr.li']);
      assert.equal(ev['notice-body'], `${CONTENT.body.zh}\n\n${CONTENT.body.en}`);
      assert.equal(ev.audience, JSON.stringify({ userIds: ['zhangsan', 'lisi', 'wangwu'] }));
      const sheet = wb.getWorksheet('audit')!;
      const zhang = (sheet.getSheetValues() as unknown[][]).filter(Boolean).find((row) => row[3] === 'zhangsan' && row[7] === 'acknowledged');
      assert.deepEqual(zhang?.slice(4, 6), ['张三', '研发部']);
    });

    it('acknowledges with the notice version, dates in Asia/Shanghai, and lists the employee’s notices', async () => {
      clock.advance(60_000); // newer than what earlier tests sent to wangwu: listed first
      const v = await service.createNotice({ title: { zh: '会话存档告知书', en: 'Archiving notice' }, body: CONTENT.body });
      const b = await service.createBroadcast({ noticeId: v.noticeId, platform: 'dingtalk', audience: { userIds: ['wangwu'] }, createdBy: 'api' });
      await new BroadcastWorker({ service, log: silent }).runUntil(async () => (await store.getBroadcast(b.id))!.state === 'done');
      const open = await service.personalLines('dingtalk', 'wangwu', 'zh-CN');
      assert.equal(open[0], '你收到的《会话存档告知书》第 1 版尚未确认；回复“确认”即可确认知悉。');
      const r = await service.acknowledge('dingtalk', 'wangwu', { noticeId: v.noticeId, version: 1 }, 'card');
      assert.ok(r.kind === 'acknowledged', r.kind);
      assert.equal(r.notice.title.zh, '会话存档告知书');
      assert.equal(service.date(clock.now()), '2026-05-04');
      const lines = await service.personalLines('dingtalk', 'wangwu', 'zh-CN');
      assert.equal(lines[0], '你已于 2026-05-04 确认知悉《会话存档告知书》第 1 版。');
      assert.equal((await service.personalLines('dingtalk', 'wangwu', 'en'))[0], 'You acknowledged notice "Archiving notice" v1 on 2026-05-04.');
      assert.equal((await service.personalLines('dingtalk', 'wangwu', 'zh-TW'))[0], '你已於 2026-05-04 確認知悉《會話存檔告知書》第 1 版。');
      assert.deepEqual(await service.personalLines('dingtalk', 'nobody', 'en'), []);
    });

    it('ack keys round-trip and reject anything else', () => {
      assert.equal(ackKey('n-abc', 3), 'ack:n-abc:3');
      assert.deepEqual(parseAckKey(' ack:n-abc:3 '), { noticeId: 'n-abc', version: 3 });
      for (const bad of ['ack:n-abc', 'ack:n-abc:0', 'ack:n:abc:1', 'ack:n-abc:1x', 'ACK:n-abc:1', '', 'ack::1']) assert.equal(parseAckKey(bad), null, bad);
    });
  });
});
