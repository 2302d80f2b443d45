import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WECOM_ARCHIVE_LABEL, WECOM_EDITION_SCOPES, WECOM_MSGAUDIT_SOURCE, WECOM_SCOPE_TEXTS } from '../../../adapters/wecom/msgaudit.ts';
import { formatStatus, importStatuses, parseStatusCsv, type DescribeSource } from '../../../src/archiving/status.ts';
import { PLATFORM_IDS } from '../../../adapters/platforms.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import type { ArchivingStatus } from '../../../src/store/ports/store.ts';

/** WeCom's archive source as it describes itself (adapters/wecom/msgaudit.ts). */
const wecomSource: DescribeSource = (name) => (name === WECOM_MSGAUDIT_SOURCE ? { label: WECOM_ARCHIVE_LABEL, scopeTexts: WECOM_SCOPE_TEXTS, synced: true } : undefined);

const NOW = new Date('2026-05-02T08:30:00.000Z');
const HEADER = 'platform,userId,archived,since,scope';
const csvOf = (...lines: string[]): string => [HEADER, ...lines].join('\n') + '\n';

/** The single error of a one-bad-line file, asserting there is exactly one. */
function onlyError(csv: string): { line: number; message: string } {
  const { statuses, errors } = parseStatusCsv(csv, NOW, PLATFORM_IDS);
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.equal(statuses.length, 0);
  return errors[0]!;
}

describe('parseStatusCsv: good input', () => {
  it('parses archived and not archived rows with source import and updatedAt = now', () => {
    const { statuses, errors } = parseStatusCsv(
      csvOf('wecom,zhangsan,true,2026-03-01,1:1 and group chats', 'dingtalk,0123,false,,', 'wecom,lisi,false,2026-04-15,'),
      NOW,
      PLATFORM_IDS,
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(statuses, [
      { platform: 'wecom', userId: 'zhangsan', archived: true, since: '2026-03-01', scope: '1:1 and group chats', source: 'import', updatedAt: '2026-05-02T08:30:00.000Z' },
      { platform: 'dingtalk', userId: '0123', archived: false, since: null, scope: null, source: 'import', updatedAt: '2026-05-02T08:30:00.000Z' },
      { platform: 'wecom', userId: 'lisi', archived: false, since: '2026-04-15', scope: null, source: 'import', updatedAt: '2026-05-02T08:30:00.000Z' },
    ]);
  });

  it('reads quoted scopes with commas, doubled quotes and line breaks (RFC 4180)', () => {
    const { statuses, errors } = parseStatusCsv(
      csvOf('wecom,u1,true,2026-03-01,"单聊, 群聊, ""外部联系人"""', 'wecom,u2,true,2026-03-01,"line one', 'line two"', 'wecom,u3,true,2026-03-01,plain'),
      NOW,
      PLATFORM_IDS,
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(
      statuses.map((s) => s.scope),
      ['单聊, 群聊, "外部联系人"', 'line one\nline two', 'plain'],
    );
  });

  it('accepts a UTF-8 BOM and CRLF line ends', () => {
    const csv = `\ufeff${HEADER}\r\nwecom,张三,true,2026-03-01,"a,\r\nb"\r\nwecom,u2,false,,\r\n`;
    const { statuses, errors } = parseStatusCsv(csv, NOW, PLATFORM_IDS);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      statuses.map((s) => [s.userId, s.scope]),
      [['张三', 'a,\nb'], ['u2', null]],
    );
  });

  it('ignores blank and all-blank lines, also a file without a final line break', () => {
    const csv = `${HEADER}\n\n   \n,,,,\nwecom,u1,true,2026-03-01,x\n\r\n\nwecom,u2,false,,`;
    const { statuses, errors } = parseStatusCsv(csv, NOW, PLATFORM_IDS);
    assert.deepEqual(errors, []);
    assert.deepEqual(statuses.map((s) => s.userId), ['u1', 'u2']);
  });

  it('accepts TRUE/FALSE as spreadsheets write them, trims fields, and accepts 29 Feb of a leap year', () => {
    const { statuses, errors } = parseStatusCsv(csvOf(' wecom , u1 , TRUE , 2028-02-29 ,  all chats  ', 'wecom,u2,False,,'), NOW, PLATFORM_IDS);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      statuses.map((s) => [s.platform, s.userId, s.archived, s.since, s.scope]),
      [
        ['wecom', 'u1', true, '2028-02-29', 'all chats'],
        ['wecom', 'u2', false, null, null],
      ],
    );
  });

  it('gives no statuses and no errors for a header-only file', () => {
    assert.deepEqual(parseStatusCsv(`${HEADER}\n`, NOW, PLATFORM_IDS), { statuses: [], errors: [] });
  });
});

describe('parseStatusCsv: bad input', () => {
  it('rejects a wrong header (other names, order, case, missing column)', () => {
    for (const header of ['platform,user,archived,since,scope', 'userId,platform,archived,since,scope', 'Platform,userId,archived,since,scope', 'platform,userId,archived,since']) {
      const e = onlyError(`${header}\nwecom,u1,true,2026-03-01,x\n`);
      assert.equal(e.line, 1);
      assert.match(e.message, /header/);
    }
  });

  it('rejects an empty file', () => {
    for (const csv of ['', '\ufeff', '\n\n  \n']) {
      const e = onlyError(csv);
      assert.equal(e.line, 1);
      assert.match(e.message, /empty/);
    }
  });

  it('reports a bad boolean with its line', () => {
    const e = onlyError(csvOf('wecom,u1,maybe,2026-03-01,x'));
    assert.equal(e.line, 2);
    assert.match(e.message, /archived must be true or false \(yes\/no, 1\/0, 是\/否\), got "maybe"/);
  });

  it('archived also reads yes/no, 1/0 and 是/否, as a spreadsheet typed by HR says them', () => {
    const r = parseStatusCsv(csvOf('wecom,u1,yes,2026-03-01,x', 'wecom,u2,NO,,', 'wecom,u3,1,2026-03-01,x', 'wecom,u4,0,,', 'wecom,u5,是,2026-03-01,x', 'wecom,u6,否,,'), NOW, PLATFORM_IDS);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.statuses.map((x) => x.archived), [true, false, true, false, true, false]);
  });

  it('reports impossible dates and wrong date formats', () => {
    for (const [since, pattern] of [
      ['2026-02-30', /not a calendar date/],
      ['2026-13-01', /not a calendar date/],
      ['2026-04-31', /not a calendar date/],
      ['2027-02-29', /not a calendar date/],
      ['2026-00-10', /not a calendar date/],
      ['2026/02/30', /not a calendar date/],
      ['01-03-2026', /must be a date: year-month-day such as 2026-03-01/],
      ['2026.03.01', /must be a date/],
      ['2026/03-01', /must be a date/],
      ['2026-03-01 25', /must be a date/],
    ] as const) {
      const e = onlyError(csvOf(`wecom,u1,true,${since},x`));
      assert.equal(e.line, 2);
      assert.match(e.message, pattern, since);
    }
  });

  it('accepts dates as Excel writes them (2026/3/1, 2026/03/01 9:05) and stores them as YYYY-MM-DD', () => {
    const { statuses, errors } = parseStatusCsv(
      csvOf('wecom,u1,true,2026/3/1,x', 'wecom,u2,true,2026/03/01 9:05,x', 'wecom,u3,true,2026-3-1,x', 'dingtalk,u4,false,2026/12/31 23:59:59,'),
      NOW,
      PLATFORM_IDS,
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(
      statuses.map((s) => s.since),
      ['2026-03-01', '2026-03-01', '2026-03-01', '2026-12-31'],
    );
  });

  it('requires since when archived is true', () => {
    assert.match(onlyError(csvOf('wecom,u1,true,,x')).message, /since is required/);
  });

  it('reports missing and extra columns', () => {
    assert.match(onlyError(csvOf('wecom,u1,true,2026-03-01')).message, /expected 5 columns.*got 4/);
    assert.match(onlyError(csvOf('wecom,u1,true,2026-03-01,a,b')).message, /got 6/);
    assert.match(onlyError(csvOf('wecom')).message, /got 1/);
  });

  it('reports a bad platform and a bad user id', () => {
    assert.match(onlyError(csvOf('WeCom,u1,true,2026-03-01,x')).message, /platform must be one of wecom, dingtalk, feishu, sandbox \(lower case\), got "WeCom"/);
    // A name no platform of the bot asks with would be imported for nobody: refused, the known ones listed.
    assert.match(onlyError(csvOf('wechat,u1,true,2026-03-01,x')).message, /platform must be one of wecom, dingtalk, feishu, sandbox .*got "wechat"/);
    assert.match(onlyError(csvOf('we com,u1,true,2026-03-01,x')).message, /platform/);
    assert.match(onlyError(csvOf(',u1,true,2026-03-01,x')).message, /platform/);
    assert.match(onlyError(csvOf('wecom,,true,2026-03-01,x')).message, /userId is empty/);
    assert.match(onlyError(csvOf(`wecom,${'u'.repeat(257)},true,2026-03-01,x`)).message, /userId is longer/);
    assert.match(onlyError(csvOf('wecom,"u\u00071",true,2026-03-01,x')).message, /control/);
  });

  it('reports several problems of one line together', () => {
    const e = onlyError(csvOf('Wecom,u1,maybe,2026-02-30,x'));
    assert.match(e.message, /platform/);
    assert.match(e.message, /archived/);
    assert.match(e.message, /calendar/);
  });

  it('reports a duplicate (platform, userId) on the later line', () => {
    const { statuses, errors } = parseStatusCsv(csvOf('wecom,u1,true,2026-03-01,x', 'dingtalk,u1,true,2026-03-01,x', 'wecom,u1,false,,'), NOW, PLATFORM_IDS);
    assert.equal(statuses.length, 2);
    assert.deepEqual(errors, [{ line: 4, message: 'duplicate of line 2 (same platform and userId)', problems: [{ kind: 'duplicate', first: 2 }] }]);
  });

  it('reports every bad line with the right number, counting blank lines and multi-line scopes', () => {
    const csv = [
      HEADER, // 1
      'wecom,ok1,true,2026-03-01,"two', // 2
      'lines"', // 3
      '', // 4
      'wecom,bad1,nope,2026-03-01,x', // 5
      'wecom,ok2,false,,', // 6
      'wecom,bad2,true,2026-02-30,"multi', // 7
      'line"', // 8
      'wecom,bad3', // 9
    ].join('\r\n');
    const { statuses, errors } = parseStatusCsv(csv, NOW, PLATFORM_IDS);
    assert.deepEqual(statuses.map((s) => s.userId), ['ok1', 'ok2']);
    assert.deepEqual(errors.map((e) => e.line), [5, 7, 9]);
  });

  it('reports a CSV syntax error (unclosed or stray quote) at its line', () => {
    const unclosed = onlyError(csvOf('wecom,u1,true,2026-03-01,x', 'wecom,u2,true,2026-03-01,"never closed'));
    assert.match(unclosed.message, /CSV syntax error/);
    assert.ok(unclosed.line >= 3, `line ${unclosed.line}`);
    const stray = onlyError(csvOf('wecom,u1,true,2026-03-01,x', 'wecom,u2,true,2026-03-01,"a"b'));
    assert.match(stray.message, /CSV syntax error/);
    assert.equal(stray.line, 3);
  });

  it('rejects an overlong scope', () => {
    assert.match(onlyError(csvOf(`wecom,u1,true,2026-03-01,${'x'.repeat(1001)}`)).message, /scope is longer than 1000/);
  });
});

describe('importStatuses against the real SQLite store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'privacy-bot-archiving-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;

  it('writes every status of a good file, replacing older records', async () => {
    const store = openSqliteStore(join(dir, `s${++n}.db`));
    try {
      await store.putStatuses([
        { platform: 'wecom', userId: 'u1', archived: false, since: null, scope: null, source: 'company policy', updatedAt: '2026-01-01T00:00:00.000Z' },
      ]);
      const result = await importStatuses(store, csvOf('wecom,u1,true,2026-03-01,"a, b"', 'dingtalk,u2,false,,'), PLATFORM_IDS, NOW);
      assert.deepEqual(result, { imported: 2, errors: [] });
      assert.deepEqual(await store.getStatus('wecom', 'u1'), {
        platform: 'wecom', userId: 'u1', archived: true, since: '2026-03-01', scope: 'a, b', source: 'import', updatedAt: NOW.toISOString(),
      });
      assert.equal((await store.getStatus('dingtalk', 'u2'))?.archived, false);
    } finally {
      await store.close();
    }
  });

  it('writes nothing when any line is bad, and returns the errors', async () => {
    const store = openSqliteStore(join(dir, `s${++n}.db`));
    try {
      const before: ArchivingStatus = { platform: 'wecom', userId: 'u1', archived: false, since: null, scope: null, source: 'company policy', updatedAt: '2026-01-01T00:00:00.000Z' };
      await store.putStatuses([before]);
      const result = await importStatuses(store, csvOf('wecom,u1,true,2026-03-01,x', 'wecom,u2,true,2026-03-01,x', 'wecom,u3,true,2026-02-30,x'), PLATFORM_IDS, NOW);
      assert.equal(result.imported, 0);
      assert.deepEqual(result.errors.map((e) => e.line), [4]);
      assert.deepEqual(await store.getStatus('wecom', 'u1'), before, 'existing record untouched');
      assert.equal(await store.getStatus('wecom', 'u2'), null, 'good lines of a bad file not written');
    } finally {
      await store.close();
    }
  });

  it('stamps the current time when no time is given', async () => {
    const store = openSqliteStore(join(dir, `s${++n}.db`));
    try {
      const t0 = Date.now();
      assert.equal((await importStatuses(store, csvOf('wecom,u1,false,,'), PLATFORM_IDS)).imported, 1);
      const at = Date.parse((await store.getStatus('wecom', 'u1'))!.updatedAt);
      assert.ok(at >= t0 - 1000 && at <= Date.now() + 1000);
    } finally {
      await store.close();
    }
  });

  it('rejects with STORE_UNAVAILABLE when the store is closed', async () => {
    const store = openSqliteStore(join(dir, `s${++n}.db`));
    await store.close();
    await assert.rejects(importStatuses(store, csvOf('wecom,u1,false,,'), PLATFORM_IDS, NOW), { code: 'STORE_UNAVAILABLE' });
  });
});

describe('formatStatus', () => {
  const archived: ArchivingStatus = {
    platform: 'wecom',
    userId: 'u1',
    archived: true,
    since: '2026-03-01',
    scope: '1:1 and group chats',
    source: 'import',
    updatedAt: '2026-05-02T08:30:00.000Z',
  };
  const notArchived: ArchivingStatus = { ...archived, archived: false, since: null, scope: null, source: 'wecom-msgaudit' };

  it('the update date is the company\'s (the time zone given), as the notices\' acknowledgement dates beside it are', () => {
    // 2026-05-02 20:30 UTC is already 2026-05-03 in Shanghai: a newcomer saw "更新于 <UTC date>" beside
    // "你已于 <Shanghai date> 确认知悉" in one reply.
    const late = { ...archived, updatedAt: '2026-05-02T20:30:00.000Z' };
    assert.match(formatStatus(late, 'zh-CN', undefined, 'Asia/Shanghai'), /更新于 2026-05-03）$/);
    assert.match(formatStatus(late, 'en', undefined, 'America/Los_Angeles'), /updated 2026-05-02\)\.$/);
    assert.match(formatStatus(late, 'zh-CN'), /更新于 2026-05-02）$/, 'UTC when no time zone is given');
    assert.match(formatStatus(late, 'zh-CN', undefined, 'Not/AZone'), /更新于 2026-05-02）$/, 'an unknown zone falls back to UTC');
  });

  it('archived, in all three languages', () => {
    assert.equal(
      formatStatus(archived, 'en'),
      'Your archiving status: archived since 2026-03-01, scope: 1:1 and group chats (source: imported by your administrator, updated 2026-05-02).',
    );
    assert.equal(formatStatus(archived, 'zh-CN'), '你的会话存档状态：自 2026-03-01 起已存档，范围：1:1 and group chats（来源：管理员导入，更新于 2026-05-02）');
    assert.equal(formatStatus(archived, 'zh-TW'), '你的會話存檔狀態：自 2026-03-01 起已存檔，範圍：1:1 and group chats（來源：管理員匯入，更新於 2026-05-02）');
  });

  it('not archived, in all three languages', () => {
    assert.equal(formatStatus(notArchived, 'en', wecomSource), 'Your archiving status: not archived (source: WeCom archive settings, last checked 2026-05-02 08:30 UTC).');
    assert.equal(formatStatus(notArchived, 'zh-CN', wecomSource), '你的会话存档状态：未存档（来源：企业微信存档设置，最近查询于 2026-05-02 08:30 UTC）');
    assert.equal(formatStatus(notArchived, 'zh-TW', wecomSource), '你的會話存檔狀態：未存檔（來源：企業微信存檔設定，最近查詢於 2026-05-02 08:30 UTC）');
  });

  it('a source that describes itself but is not synced: its own words and scope per language, "updated" not "last checked"', () => {
    const demo: DescribeSource = (name) =>
      name === 'demo' ? { label: { en: 'demo data', 'zh-CN': '示例数据', 'zh-TW': '示例資料' }, scopeTexts: { 仅内部: { en: 'internal only', 'zh-CN': '仅内部', 'zh-TW': '僅內部' } }, synced: false } : undefined;
    const s = { ...archived, scope: '仅内部', source: 'demo' };
    assert.equal(formatStatus(s, 'en', demo), 'Your archiving status: archived since 2026-03-01, scope: internal only (source: demo data, updated 2026-05-02).');
    assert.equal(formatStatus(s, 'zh-TW', demo), '你的會話存檔狀態：自 2026-03-01 起已存檔，範圍：僅內部（來源：示例資料，更新於 2026-05-02）');
  });

  it('not archived since a date', () => {
    const s = { ...notArchived, since: '2026-04-15', source: 'company policy' };
    assert.equal(formatStatus(s, 'en'), 'Your archiving status: not archived since 2026-04-15 (source: company policy, updated 2026-05-02).');
    assert.equal(formatStatus(s, 'zh-CN'), '你的会话存档状态：自 2026-04-15 起未存档（来源：公司政策，更新于 2026-05-02）');
  });

  it('no record, in all three languages', () => {
    assert.equal(formatStatus(null, 'en'), 'Your archiving status: no record — ask your administrator. (No status has been imported or declared for you here; an archiving notice you received says what the company told you.)');
    assert.equal(formatStatus(null, 'zh-CN'), '你的会话存档状态：暂无记录——请咨询你的管理员（这里没有为你导入或声明的状态；如果你收到过存档告知书，告知书写的是公司告诉你的范围）');
    assert.equal(formatStatus(null, 'zh-TW'), '你的會話存檔狀態：暫無記錄——請諮詢你的管理員（這裡沒有為你匯入或聲明的狀態；如果你收到過存檔告知書，告知書寫的是公司告訴你的範圍）');
  });

  it('leaves out unknown parts and shows an unknown source as is', () => {
    const s = { ...archived, since: null, scope: null, source: 'hr-system', updatedAt: 'not a time' };
    assert.equal(formatStatus(s, 'en'), 'Your archiving status: archived (source: hr-system).');
    assert.equal(formatStatus(s, 'zh-CN'), '你的会话存档状态：已存档（来源：hr-system）');
  });

  it('shows updatedAt as its UTC date and puts a multi-line scope on one line', () => {
    const s = { ...archived, scope: 'line one\nline two', updatedAt: '2026-05-01T23:59:59.999Z' };
    assert.equal(
      formatStatus(s, 'en'),
      'Your archiving status: archived since 2026-03-01, scope: line one line two (source: imported by your administrator, updated 2026-05-01).',
    );
  });
});
