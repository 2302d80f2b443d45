/**
 * The Feishu directory browser (adapters/feishu/directory.ts, the notice channel's `org`) against
 * the fake Feishu: departments/0/children with names and parents, find_by_department members with
 * names over several pages, head counts including sub-departments, a department outside the
 * contact scope reported without failing the rest, the scope fallback when the root is not
 * readable, search, describe and the cache.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFeishuApi } from '../../../adapters/feishu/api.ts';
import { createFeishuNoticeChannel } from '../../../adapters/feishu/notices.ts';
import { ORG_DIRECTORY_TTL_MS } from '../../../adapters/kit/org-directory.ts';
import { createLogger } from '../../../src/log.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import { startFakeFeishu, type FakeFeishu, type FakeFeishuDepartment } from '../../fakes/feishu-api.ts';

const log = createLogger('silent');

/** Root (周总) → 研发部 (Amy Wang) → 前端组 (60 people: two pages of 50), 后端组 (欧阳锋, Amy); 法务部 outside the scope. */
function org(): FakeFeishuDepartment[] {
  const fe = Array.from({ length: 60 }, (_, i) => ({ openId: `ou_fe${String(i).padStart(2, '0')}`, name: `前端${String(i).padStart(2, '0')}` }));
  return [
    { id: '0', parentId: '', members: [{ openId: 'ou_root', name: '周总' }] },
    { id: 'od-rd', parentId: '0', name: '研发部', members: [{ openId: 'ou_amy', name: 'Amy Wang' }] },
    { id: 'od-legal', parentId: '0', name: '法务部', members: [{ openId: 'ou_l1', name: '黄药师' }], outOfScope: true },
    { id: 'od-rd-fe', parentId: 'od-rd', name: '前端组', members: fe },
    { id: 'od-rd-be', parentId: 'od-rd', name: '后端组', members: [{ openId: 'ou_b1', name: '欧阳锋' }, { openId: 'ou_amy', name: 'Amy Wang' }] },
  ];
}

describe('Feishu directory browser against the fake', () => {
  let fake: FakeFeishu;
  let store: Store;
  let dir: string;
  let clock: number;
  let channel: ReturnType<typeof createFeishuNoticeChannel>;

  function makeChannel(o: { maxPeople?: number } = {}): ReturnType<typeof createFeishuNoticeChannel> {
    const api = createFeishuApi({ appId: fake.appId, appSecret: fake.appSecret, apiBase: fake.apiBase, kv: store, log, appQps: 1000 });
    return createFeishuNoticeChannel({ api, kv: store, log, org: { now: () => clock, ...o } });
  }
  const contact = (path: string) => fake.contactRequests.filter((r) => r.path === path);

  before(async () => {
    fake = await startFakeFeishu();
    dir = mkdtempSync(join(tmpdir(), 'feishu-org-'));
    store = openSqliteStore(join(dir, 'kv.db'));
  });
  after(async () => {
    await fake.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    fake.contactRequests.length = 0;
    fake.setDirectory(org());
    fake.setScope(['0']);
    clock = 1_800_000_000_000;
    channel = makeChannel();
  });

  it('departments: names, parents before children, head counts with sub-departments; the out-of-scope one reported, the rest read', async () => {
    const depts = await channel.org.departments();
    assert.deepEqual(
      depts.map((d) => [d.id, d.name, d.parentId, d.headCount]),
      [
        ['od-rd', '研发部', null, 62],
        ['od-rd-fe', '前端组', 'od-rd', 60],
        ['od-rd-be', '后端组', 'od-rd', 2],
        ['od-legal', '法务部', null, 0],
      ],
    );
    assert.match(depts.find((d) => d.id === 'od-legal')!.problem ?? '', /members: outside the app's contact scope \(code 40004/);
    assert.equal(depts.filter((d) => d.problem !== undefined).length, 1);
    const children = contact('/open-apis/contact/v3/departments/0/children');
    assert.equal(children.length, 1);
    assert.equal(children[0]!.query.fetch_child, 'true');
    assert.equal(children[0]!.query.department_id_type, 'open_department_id');
    // 前端组's 60 members took two pages of 50, with open_id ids.
    const fe = contact('/open-apis/contact/v3/users/find_by_department').filter((r) => r.query.department_id === 'od-rd-fe');
    assert.deepEqual(fe.map((r) => [r.query.page_size, r.query.page_token ?? null, r.query.user_id_type]), [['50', null, 'open_id'], ['50', '50', 'open_id']]);
  });

  it('more departments than one page: every page of children is read', async () => {
    const many: FakeFeishuDepartment[] = [{ id: '0', parentId: '', members: [] }];
    for (let i = 0; i < 70; i++) many.push({ id: `od-g${String(i).padStart(2, '0')}`, parentId: '0', name: `项目组${i}`, members: [{ openId: `ou_g${i}`, name: `组员${i}` }] });
    fake.setDirectory(many);
    const depts = await channel.org.departments();
    assert.equal(depts.length, 70);
    assert.deepEqual(contact('/open-apis/contact/v3/departments/0/children').map((r) => r.query.page_token ?? null), [null, '50']);
    assert.ok(depts.every((d) => d.headCount === 1));
  });

  it('searchPeople: Chinese names, case-insensitive Latin names, root members, limit', async () => {
    assert.deepEqual(await channel.org.searchPeople('欧阳', 10), [{ userId: 'ou_b1', name: '欧阳锋', department: '后端组' }]);
    assert.deepEqual(await channel.org.searchPeople('amy', 10), [{ userId: 'ou_amy', name: 'Amy Wang', department: '研发部' }]);
    assert.deepEqual(await channel.org.searchPeople('周总', 10), [{ userId: 'ou_root', name: '周总', department: null }]);
    assert.deepEqual((await channel.org.searchPeople('前端', 4)).map((p) => p.userId), ['ou_fe00', 'ou_fe01', 'ou_fe02', 'ou_fe03']);
    assert.deepEqual(await channel.org.searchPeople('黄药师', 10), []);
  });

  it('describe: names of known open_ids; unknown left out', async () => {
    const m = await channel.org.describe(['ou_fe59', 'ou_nobody', 'ou_amy']);
    assert.deepEqual([...m.keys()], ['ou_fe59', 'ou_amy']);
    assert.deepEqual(m.get('ou_fe59'), { userId: 'ou_fe59', name: '前端59', department: '前端组' });
  });

  it('cache: no contact call until the injected clock passes the TTL; concurrent callers share one walk', async () => {
    await Promise.all([channel.org.departments(), channel.org.searchPeople('前端', 3), channel.org.describe(['ou_b1'])]);
    const calls = fake.contactRequests.length;
    assert.equal(contact('/open-apis/contact/v3/departments/0/children').length, 1);
    clock += ORG_DIRECTORY_TTL_MS - 1;
    await channel.org.departments();
    await channel.org.searchPeople('欧阳', 3);
    assert.equal(fake.contactRequests.length, calls);
    clock += 1;
    await channel.org.departments();
    assert.equal(fake.contactRequests.length, calls * 2);
  });

  it('root outside the scope: the tree starts at the scope departments; an unreadable one is reported by id', async () => {
    const d = org();
    d[0]!.outOfScope = true;
    fake.setDirectory(d);
    fake.setScope(['od-rd', 'od-legal']);
    const depts = await channel.org.departments();
    assert.deepEqual(
      depts.map((x) => [x.id, x.name, x.parentId, x.headCount]),
      [
        ['od-rd', '研发部', null, 62],
        ['od-rd-fe', '前端组', 'od-rd', 60],
        ['od-rd-be', '后端组', 'od-rd', 2],
        ['od-legal', 'od-legal', null, 0],
      ],
    );
    assert.match(depts[3]!.problem ?? '', /the department: outside/);
    assert.match(depts[3]!.problem ?? '', /sub-departments: outside/);
    assert.match(depts[3]!.problem ?? '', /members: outside/);
    assert.equal(contact('/open-apis/contact/v3/scopes').length, 1);
    assert.deepEqual(await channel.org.searchPeople('周总', 5), [], 'root members are not readable');
  });

  it('a failure other than scope fails the load as FEISHU_API_ERROR; the next call tries again', async () => {
    fake.failContactNext(1, 40014);
    await assert.rejects(channel.org.departments(), (err: { code?: string; message?: string }) => err.code === 'FEISHU_API_ERROR' && /code 40014/.test(err.message ?? ''));
    assert.equal((await channel.org.departments()).length, 4);
  });
});
