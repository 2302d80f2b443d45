/**
 * The DingTalk directory browser (adapters/dingtalk/directory.ts createDingtalkOrgDirectory, the
 * notice channel's `org`) against the fake DingTalk: department/get for the root's name, listsub
 * names and parents, listsimple members with names over several pages, head counts including
 * sub-departments, a department outside the contact range reported without failing the rest,
 * search, describe and the cache.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDingtalkNoticeChannel } from '../../../adapters/dingtalk/notices.ts';
import { createDingtalkOpenApi } from '../../../adapters/dingtalk/openapi.ts';
import { ORG_DIRECTORY_TTL_MS } from '../../../adapters/kit/org-directory.ts';
import { createLogger } from '../../../src/log.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import { startFakeDingtalk, type FakeDirectory, type FakeDingtalk } from '../../fakes/dingtalk-api.ts';

const log = createLogger('silent');

/** 1 示例集团 → 10 产品部 (→ 11 设计组), 12 市场部 (→ 14 华东区, 150 extra people: two pages), 13 保密部 (outside the range). */
function org(): FakeDirectory {
  const d: FakeDirectory = {
    rootName: '示例集团',
    departments: [
      { id: 10, parentId: 1, name: '产品部' },
      { id: 11, parentId: 10, name: '设计组' },
      { id: 12, parentId: 1, name: '市场部' },
      { id: 13, parentId: 1, name: '保密部', outOfScope: true },
      { id: 14, parentId: 12, name: '华东区' },
      { id: 15, parentId: 13, name: '保密二组' },
    ],
    users: [
      { userid: 'ceo01', name: '陈总', deptIds: [1] },
      { userid: 'u1', name: '刘备', deptIds: [10] },
      { userid: 'u2', name: '关羽', deptIds: [11] },
      { userid: 'u3', name: '张飞', deptIds: [11, 14] },
      { userid: 'u4', name: 'Bob Li', deptIds: [12] },
      { userid: 'u5', name: '诸葛亮', deptIds: [13] },
    ],
  };
  for (let i = 0; i < 150; i++) d.users.push({ userid: `p${String(i).padStart(3, '0')}`, name: `员工${String(i).padStart(3, '0')}`, deptIds: [14] });
  return d;
}

describe('DingTalk directory browser against the fake', () => {
  let fake: FakeDingtalk;
  let store: Store;
  let dir: string;
  let clock: number;
  let n = 0;
  let channel: ReturnType<typeof createDingtalkNoticeChannel>;

  function makeChannel(orgOptions: { maxPeople?: number } = {}): ReturnType<typeof createDingtalkNoticeChannel> {
    const config = { appKey: fake.appKey, appSecret: fake.appSecret, robotCode: fake.robotCode, apiBase: fake.apiBase };
    const api = createDingtalkOpenApi(config, store, log);
    return createDingtalkNoticeChannel({ api, log, now: Date.now, appKey: `org${++n}`, kv: store, qps: 1000, org: { now: () => clock, ...orgOptions } });
  }

  before(async () => {
    fake = await startFakeDingtalk({ qpsLimit: Infinity });
    dir = mkdtempSync(join(tmpdir(), 'dingtalk-org-'));
    store = openSqliteStore(join(dir, 'kv.db'));
  });
  after(async () => {
    await fake.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    fake.reset();
    fake.setDirectory(org());
    clock = 1_800_000_000_000;
    channel = makeChannel();
  });

  it('departments: names, parents before children, head counts with sub-departments; the refused one reported, the rest read', async () => {
    const depts = await channel.org.departments();
    assert.deepEqual(
      depts.map((d) => [d.id, d.name, d.parentId, d.headCount]),
      [
        ['1', '示例集团', null, 155],
        ['10', '产品部', '1', 3],
        ['11', '设计组', '10', 2],
        ['12', '市场部', '1', 152],
        ['14', '华东区', '12', 151],
        ['13', '保密部', '1', 0],
      ],
    );
    const refused = depts.find((d) => d.id === '13')!;
    assert.match(refused.problem ?? '', /sub-departments: .*50004/);
    assert.match(refused.problem ?? '', /members: .*50004/);
    assert.equal(depts.filter((d) => d.problem !== undefined).length, 1);
    // Its sub-department was never asked for; 华东区's 151 members took two pages of 100.
    assert.ok(!fake.directoryRequests.some((r) => r.deptId === 15));
    assert.deepEqual(fake.directoryRequests.filter((r) => r.api === 'listsimple' && r.deptId === 14).map((r) => [r.cursor, r.size]), [[0, 100], [100, 100]]);
    assert.deepEqual(fake.directoryRequests.filter((r) => r.api === 'deptget').map((r) => r.deptId), [1]);
  });

  it('searchPeople: Chinese names, case-insensitive Latin names and ids, directory order, limit', async () => {
    assert.deepEqual(await channel.org.searchPeople('张飞', 10), [{ userId: 'u3', name: '张飞', department: '设计组' }]);
    assert.deepEqual((await channel.org.searchPeople('bob', 10)).map((p) => p.userId), ['u4']);
    assert.deepEqual((await channel.org.searchPeople('CEO', 10)).map((p) => p.name), ['陈总']);
    assert.deepEqual((await channel.org.searchPeople('员工', 3)).map((p) => p.userId), ['p000', 'p001', 'p002']);
    assert.equal((await channel.org.searchPeople('员工1', 50)).length, 50, 'at most the limit (p100–p149 and p010–p019 match)');
    assert.deepEqual(await channel.org.searchPeople('诸葛亮', 10), [], 'outside the contact range');
  });

  it('describe: names and first department of known ids; unknown left out', async () => {
    const m = await channel.org.describe(['u3', 'p149', 'nobody', 'ceo01']);
    assert.deepEqual([...m.keys()], ['u3', 'p149', 'ceo01']);
    assert.deepEqual(m.get('p149'), { userId: 'p149', name: '员工149', department: '华东区' });
    assert.deepEqual(m.get('ceo01'), { userId: 'ceo01', name: '陈总', department: '示例集团' });
  });

  it('cache: no API call until the injected clock passes the TTL; concurrent callers share one walk', async () => {
    await Promise.all([channel.org.departments(), channel.org.departments(), channel.org.searchPeople('关', 5)]);
    const calls = fake.directoryRequests.length;
    assert.equal(fake.directoryRequests.filter((r) => r.api === 'deptget').length, 1);
    clock += ORG_DIRECTORY_TTL_MS - 1;
    await channel.org.departments();
    await channel.org.describe(['u1']);
    await channel.org.searchPeople('刘', 5);
    assert.equal(fake.directoryRequests.length, calls);
    clock += 1;
    await channel.org.searchPeople('刘', 5);
    assert.equal(fake.directoryRequests.filter((r) => r.api === 'deptget').length, 2);
    assert.equal(fake.directoryRequests.length, calls * 2);
  });

  it('an API failure of the whole walk is a BotError with the platform code, and is not cached', async () => {
    fake.failNext('deptget', { status: 200, code: '40035', message: 'bad' });
    await assert.rejects(channel.org.departments(), (err: { code?: string }) => err.code === 'DINGTALK_API_ERROR');
    assert.equal((await channel.org.departments()).length, 6);
  });

  it('the root refused: shown by id with a problem; the departments below are still read', async () => {
    fake.failNext('deptget', { status: 200, code: '50004', message: 'out of range' });
    const depts = await channel.org.departments();
    assert.deepEqual([depts[0]!.id, depts[0]!.name, depts[0]!.headCount], ['1', '1', 155]);
    assert.match(depts[0]!.problem ?? '', /its name: .*50004/);
  });

  it('people cap: fewer people, every department says so', async () => {
    channel = makeChannel({ maxPeople: 4 });
    const depts = await channel.org.departments();
    assert.ok(depts.every((d) => /stops at 4 people/.test(d.problem ?? '')));
    assert.equal(channel.org.snapshotInfo()!.people, 4);
  });
});
