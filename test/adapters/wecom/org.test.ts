/**
 * The WeCom directory browser (adapters/wecom/directory.ts createWecomOrgDirectory, exposed as the
 * notice channel's `org`) against the fake WeCom API: department/list names and parents,
 * user/simplelist members with names, head counts including sub-departments, search, describe,
 * a refused department, the department/list fallback, the people cap and the cache.
 */
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWecomNoticeChannel, type WecomNoticeChannel } from '../../../adapters/wecom/notices.ts';
import { createWecomClient, tokenCacheKey } from '../../../adapters/wecom/outbound.ts';
import { ORG_DIRECTORY_TTL_MS } from '../../../adapters/kit/org-directory.ts';
import { createLogger } from '../../../src/log.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import { startFakeWecom, WECOM_ORG_DEPARTMENTS, WECOM_ORG_MEMBERS, type FakeWecom } from '../../fakes/wecom-api.ts';

const CORP = 'wworgtest';
const AGENT = 1000011;
const log = createLogger('silent');

let fake: FakeWecom;
let store: Store;
let dir: string;
let clock: number;
let channel: WecomNoticeChannel;

function newChannel(org: { ttlMs?: number; maxPeople?: number } = {}): WecomNoticeChannel {
  const client = createWecomClient({ corpId: CORP, agentId: AGENT, secret: 'sec', apiBase: fake.url, kv: store, log, backoffMs: 5 });
  return createWecomNoticeChannel({ client, agentId: AGENT, corpId: CORP, kv: store, log, org: { now: () => clock, ...org } });
}

const directoryCalls = () => fake.requests.filter((r) => r.path === '/cgi-bin/department/list' || r.path === '/cgi-bin/department/simplelist' || r.path === '/cgi-bin/user/simplelist');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wecom-org-'));
  store = openSqliteStore(join(dir, 'kv.db'));
  fake = await startFakeWecom({ corpId: CORP, secret: 'sec', agentId: AGENT });
});
after(async () => {
  await fake.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  fake.reset();
  fake.denyDepartmentList(null);
  fake.setDirectory(WECOM_ORG_MEMBERS, WECOM_ORG_DEPARTMENTS);
  await store.delete(tokenCacheKey(CORP, AGENT));
  clock = 1_800_000_000_000;
  channel = newChannel();
});

test('departments: names from department/list, parents before children, siblings by order, head counts with sub-departments', async () => {
  const depts = await channel.org.departments();
  assert.deepEqual(
    depts.map((d) => [d.id, d.name, d.parentId, d.headCount]),
    [
      ['1', '示例科技有限公司', null, 6],
      ['5', '销售部', '1', 2],
      ['2', '研发中心', '1', 3],
      ['3', '后端组', '2', 2],
      ['4', '前端组', '2', 2],
      ['6', '法务部', '1', 0],
    ],
  );
  // name_en where WeCom has one (the English console shows it), absent where it is empty.
  assert.deepEqual(depts.map((d) => [d.id, d.nameEn]), [['1', undefined], ['5', 'Sales'], ['2', undefined], ['3', undefined], ['4', undefined], ['6', undefined]]);
  // lisi is in 后端组 and 前端组: counted once in 研发中心 and in the root.
  const seen = new Set<string>();
  for (const d of depts) {
    if (d.parentId !== null) assert.ok(seen.has(d.parentId), `${d.id}'s parent comes first`);
    seen.add(d.id);
  }
  assert.match(depts.find((d) => d.id === '6')!.problem ?? '', /60011/);
  assert.equal(depts.filter((d) => d.problem !== undefined).length, 1, 'only the refused department has a problem');
  // One department/list, one user/simplelist per department, nothing else.
  assert.equal(fake.requests.filter((r) => r.path === '/cgi-bin/department/list').length, 1);
  assert.deepEqual(fake.requests.filter((r) => r.path === '/cgi-bin/user/simplelist').map((r) => r.query['department_id']).sort(), ['1', '2', '3', '4', '5', '6']);
});

test('searchPeople: by Chinese name, case-insensitive by Latin name or UserID, directory order, limit', async () => {
  assert.deepEqual(await channel.org.searchPeople('张', 10), [{ userId: 'ZhangSan', name: '张三', department: '后端组' }]);
  assert.deepEqual((await channel.org.searchPeople('ALICE', 10)).map((p) => p.userId), ['Alice']);
  assert.deepEqual((await channel.org.searchPeople('zhangsan', 10)).map((p) => p.name), ['张三']);
  // 'li' is in zhaoliu, Alice and lisi, in walk order (root, 销售部, 研发中心, 后端组 …).
  assert.deepEqual((await channel.org.searchPeople('li', 10)).map((p) => p.userId), ['zhaoliu', 'Alice', 'lisi']);
  assert.deepEqual((await channel.org.searchPeople('li', 2)).map((p) => p.userId), ['zhaoliu', 'Alice']);
  assert.deepEqual(await channel.org.searchPeople('   ', 10), []);
  assert.deepEqual(await channel.org.searchPeople('钱七', 10), [], 'members of a refused department are not known');
});

test('describe: names and first department, UserIDs case-insensitive, unknown ids left out', async () => {
  const m = await channel.org.describe(['zhangsan', 'LISI', 'nobody', 'boss']);
  assert.deepEqual([...m.keys()], ['zhangsan', 'LISI', 'boss']);
  assert.deepEqual(m.get('zhangsan'), { userId: 'ZhangSan', name: '张三', department: '后端组' });
  assert.deepEqual(m.get('LISI'), { userId: 'lisi', name: '李四', department: '后端组' });
  assert.deepEqual(m.get('boss'), { userId: 'boss', name: '老板', department: '示例科技有限公司' });
});

test('cache: later calls make no API call until the injected clock passes the TTL; concurrent callers share one load', async () => {
  await Promise.all([channel.org.departments(), channel.org.searchPeople('张', 5), channel.org.describe(['boss'])]);
  const first = directoryCalls().length;
  assert.equal(fake.requests.filter((r) => r.path === '/cgi-bin/department/list').length, 1, 'one load for three concurrent callers');
  clock += ORG_DIRECTORY_TTL_MS - 1;
  await channel.org.departments();
  await channel.org.searchPeople('王', 5);
  await channel.org.describe(['wangwu']);
  assert.equal(directoryCalls().length, first, 'still fresh: no call');
  // The directory changes; the cache answers the old one until the TTL has passed.
  fake.setDirectory([...WECOM_ORG_MEMBERS, { userid: 'newbie', name: '新人', department: [4] }], WECOM_ORG_DEPARTMENTS);
  assert.deepEqual(await channel.org.searchPeople('新人', 5), []);
  clock += 1;
  assert.deepEqual((await channel.org.searchPeople('新人', 5)).map((p) => p.userId), ['newbie']);
  assert.equal(fake.requests.filter((r) => r.path === '/cgi-bin/department/list').length, 2);
  assert.equal((await channel.org.departments()).find((d) => d.id === '2')!.headCount, 4);
  // refresh() loads at once.
  await channel.org.refresh();
  assert.equal(fake.requests.filter((r) => r.path === '/cgi-bin/department/list').length, 3);
});

test('department/list refused: departments from department/simplelist, shown by id and said so', async () => {
  fake.denyDepartmentList(48002);
  const depts = await channel.org.departments();
  assert.deepEqual(depts.map((d) => [d.id, d.name, d.parentId]).slice(0, 3), [['1', '1', null], ['5', '5', '1'], ['2', '2', '1']]);
  assert.equal(depts.find((d) => d.id === '1')!.headCount, 6);
  assert.ok(depts.every((d) => /department\/list errcode 48002/.test(d.problem ?? '')));
  assert.deepEqual((await channel.org.searchPeople('张三', 5)).map((p) => p.department), ['3']);
});

test('people cap: the walk stops, search covers the people loaded, every department says the counts are incomplete', async () => {
  channel = newChannel({ maxPeople: 3 });
  const depts = await channel.org.departments();
  assert.ok(depts.every((d) => /stops at 3 people/.test(d.problem ?? '')));
  assert.equal(channel.org.snapshotInfo()!.capped, true);
  assert.equal(channel.org.snapshotInfo()!.people, 3);
  assert.deepEqual(await channel.org.searchPeople('王五', 5), []);
});

test('an API failure of the whole walk is a BotError with the platform code, and is not cached', async () => {
  fake.failNext(40001, 1, { path: '/cgi-bin/department/list' });
  await assert.rejects(channel.org.departments(), (err: { code?: string }) => err.code === 'WECOM_API_ERROR');
  assert.equal((await channel.org.departments()).length, 6);
});
