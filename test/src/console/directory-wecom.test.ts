/**
 * The console's directory endpoints with a real platform: the bot configured with WeCom against
 * the fake WeCom API (test/fakes/wecom-api.ts) over loopback HTTP answers
 * GET /console/api/directory/wecom/departments with the WeCom tree (names from department/list,
 * parents before children, head counts with sub-departments, a refused department with its
 * problem) and /people with names found in WeCom's member lists; the admin API's
 * /admin/directory/wecom/* answer the same from the same cached snapshot (no second walk), and a
 * prepared broadcast's recipients carry the WeCom names.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBot, type TestBot } from '../../helpers/app.ts';
import { signedIn, type ConsoleClient } from '../../helpers/console-client.ts';
import { startFakeWecom, WECOM_ORG_DEPARTMENTS, WECOM_ORG_MEMBERS, type FakeWecom } from '../../fakes/wecom-api.ts';
import { WECOM, wecomEnv } from '../../resilience/harness.ts';

const TOKEN = 'directory-wecom-admin-token-0123456789';

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

describe('console directory endpoints with WeCom configured against its fake', () => {
  let fake: FakeWecom;
  let bot: TestBot;
  let admin: ConsoleClient;
  const walks = () => fake.requests.filter((r) => r.path === '/cgi-bin/department/list').length;

  before(async () => {
    fake = await startFakeWecom({ corpId: WECOM.corpId, secret: WECOM.secret, agentId: Number(WECOM.agentId), directory: WECOM_ORG_MEMBERS, departments: WECOM_ORG_DEPARTMENTS });
    bot = await startTestBot({ ...wecomEnv(fake.url), ADMIN_TOKEN: TOKEN }, { noticeWorker: false, logLevel: 'warn' });
    admin = await signedIn(bot.url, bot.core.store, 'hr.directory', 'admin');
  });
  after(async () => {
    await bot?.close();
    await fake?.close();
  });

  it('GET /console/api/directory/wecom/departments answers the WeCom tree with names and head counts', async () => {
    const r = await admin.call('GET', '/console/api/directory/wecom/departments');
    assert.equal(r.status, 200);
    assert.equal(r.body.platform, 'wecom');
    assert.deepEqual(
      r.body.departments.map((d: { id: string; name: string; parentId: string | null; headCount: number }) => [d.id, d.name, d.parentId, d.headCount]),
      [
        ['1', '示例科技有限公司', null, 6],
        ['5', '销售部', '1', 2],
        ['2', '研发中心', '1', 3],
        ['3', '后端组', '2', 2],
        ['4', '前端组', '2', 2],
        ['6', '法务部', '1', 0],
      ],
    );
    assert.match(r.body.departments[5].problem, /60011/);
    assert.equal(walks(), 1);
  });

  it('GET /console/api/directory/wecom/people finds WeCom members by name, from the same snapshot', async () => {
    const r = await admin.call('GET', `/console/api/directory/wecom/people?q=${encodeURIComponent('李')}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.people, [{ userId: 'lisi', name: '李四', department: '后端组' }]);
    const bounded = await admin.call('GET', '/console/api/directory/wecom/people?q=i&limit=2');
    assert.equal(bounded.body.people.length, 2);
    assert.equal((await admin.call('GET', '/console/api/directory/wecom/people?q=')).status, 400);
    // The admin API (Bearer) answers from the same cached snapshot: no second walk.
    const a = await fetch(`${bot.url}/admin/directory/wecom/people?q=alice`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(a.status, 200);
    assert.deepEqual(((await a.json()) as { people: unknown[] }).people, [{ userId: 'Alice', name: 'Alice Chen', department: '销售部' }]);
    assert.equal(walks(), 1);
  });

  it('a prepared WeCom broadcast to 研发中心 lists its recipients with their WeCom names and departments', async () => {
    const n = await admin.call('POST', '/console/api/notices', { title: { zh: '会话存档告知', en: 'Archiving notice' }, body: { zh: '正文', en: 'Body' } });
    assert.equal(n.status, 201);
    const p = await admin.call('POST', '/console/api/broadcasts/prepare', { noticeId: n.body.id, platform: 'wecom', audience: { departmentIds: ['2'] } });
    assert.equal(p.status, 202);
    const id = p.body.id as string;
    const ready = await until(async () => {
      const r = await admin.call('GET', `/console/api/broadcasts/${id}/preparation`);
      return r.body.state === 'preparing' ? undefined : r.body;
    }, 'the preparation');
    assert.deepEqual(ready, { id, state: 'ready', count: 3, unknown: [], checked: true });
    const page = await admin.call('GET', `/console/api/broadcasts/${id}/recipients?limit=50`);
    const rows = page.body.recipients.map((x: { userId: string; name: string; department: string }) => [x.userId, x.name, x.department]);
    assert.deepEqual(rows.sort(), [['ZhangSan', '张三', '后端组'], ['lisi', '李四', '后端组'], ['wangwu', '王五', '前端组']]);
  });
});
