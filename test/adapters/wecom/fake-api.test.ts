import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeWecom, type FakeWecom } from '../../fakes/wecom-api.ts';

// The fake is what the notice and archive tests and the broadcast bench trust: its own rules are tested here.

let fake: FakeWecom;
let token: string;

async function api(method: 'GET' | 'POST', path: string, body?: unknown, query: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const qs = new URLSearchParams({ access_token: token, ...query }).toString();
  const res = await fetch(`${fake.url}${path}?${qs}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return (await res.json()) as Record<string, unknown>;
}

const card = (taskId: string, touser = 'a') => ({
  touser,
  agentid: fake.agentId,
  msgtype: 'template_card',
  template_card: { card_type: 'button_interaction', main_title: { title: 't' }, task_id: taskId, button_list: [{ text: 'ok', key: 'k' }] },
});

before(async () => {
  fake = await startFakeWecom({ archiveSecret: 'arch' });
  const res = await fetch(`${fake.url}/cgi-bin/gettoken?corpid=${fake.corpId}&corpsecret=${fake.secret}`);
  token = ((await res.json()) as { access_token: string }).access_token;
});
after(() => fake.close());
beforeEach(() => {
  fake.reset();
  fake.enforceRateLimits(false);
  fake.throttleRandomly(0);
  fake.clearDirectory();
});

test('throttleRandomly answers 45009 at about the given rate, repeatably with a seed', async () => {
  const run = async () => {
    fake.reset();
    fake.throttleRandomly(0.3, 42);
    const codes: number[] = [];
    for (let i = 0; i < 200; i++) codes.push(Number((await api('GET', '/cgi-bin/department/simplelist')).errcode));
    return codes;
  };
  const first = await run();
  const share = first.filter((c) => c === 45009).length / first.length;
  assert.ok(share > 0.2 && share < 0.4, String(share));
  assert.ok(first.every((c) => c === 0 || c === 45009));
  assert.deepEqual(await run(), first, 'same seed, same answers');
});

test('rate limits: calls beyond apiPerMinute in 60 s answer 45009 per path; other paths are counted apart', async () => {
  fake.enforceRateLimits({ apiPerMinute: 3 });
  const codes = [];
  for (let i = 0; i < 5; i++) codes.push((await api('GET', '/cgi-bin/department/simplelist')).errcode);
  assert.deepEqual(codes, [0, 0, 0, 45009, 45009]);
  assert.equal((await api('GET', '/cgi-bin/user/simplelist', undefined, { department_id: '1' })).errcode, 0);
});

test('message/send: the same card JSON with the duplicate check is answered ok once more and not delivered; a reused task_id otherwise is refused', async () => {
  const first = await api('POST', '/cgi-bin/message/send', { ...card('task-1'), enable_duplicate_check: 1, duplicate_check_interval: 600 });
  const again = await api('POST', '/cgi-bin/message/send', { ...card('task-1'), enable_duplicate_check: 1, duplicate_check_interval: 600 });
  assert.equal(first.errcode, 0);
  assert.deepEqual(again, first);
  assert.equal(fake.duplicatesSuppressed, 1);
  assert.equal(fake.deliveries.length, 1);
  const reused = await api('POST', '/cgi-bin/message/send', card('task-1', 'b'));
  assert.equal(reused.errcode, 40058);
  assert.equal((await api('POST', '/cgi-bin/message/send', card('bad task id'))).errcode, 40058);
  assert.equal((await api('POST', '/cgi-bin/message/send', { ...card('t2'), template_card: { card_type: 'button_interaction', main_title: { title: 't' }, task_id: 't2', button_list: [] } })).errcode, 40058);
  assert.equal((await api('POST', '/cgi-bin/message/send', { touser: 'a', agentid: fake.agentId, msgtype: 'textcard', textcard: { title: 't', description: 'd', url: 'https://example.com' } })).errcode, 0);
  assert.equal((await api('POST', '/cgi-bin/message/send', { touser: 'a', agentid: fake.agentId, msgtype: 'markdown', markdown: { content: 'x' } })).errcode, 40008);
});

test('user/list_id validates limit and cursor; department and member lists follow the tree', async () => {
  fake.setDirectory([{ userid: 'a', department: [2] }, { userid: 'b', department: [3] }], [{ id: 2, parentid: 1 }, { id: 3, parentid: 2 }]);
  assert.equal((await api('POST', '/cgi-bin/user/list_id', { limit: 10_001 })).errcode, 40058);
  assert.equal((await api('POST', '/cgi-bin/user/list_id', { limit: 1, cursor: 'garbage' })).errcode, 40058);
  const page1 = await api('POST', '/cgi-bin/user/list_id', { limit: 1 });
  const page2 = await api('POST', '/cgi-bin/user/list_id', { limit: 1, cursor: page1['next_cursor'] });
  assert.deepEqual([page1['dept_user'], page2['dept_user'], page2['next_cursor']], [[{ userid: 'a', department: 2 }], [{ userid: 'b', department: 3 }], '']);
  const tree = (await api('GET', '/cgi-bin/department/simplelist', undefined, { id: '2' }))['department_id'] as { id: number }[];
  assert.deepEqual(tree.map((d) => d.id), [2, 3]);
  const direct = (await api('GET', '/cgi-bin/user/simplelist', undefined, { department_id: '2' }))['userlist'] as { userid: string }[];
  assert.deepEqual(direct.map((u) => u.userid), ['a']);
  const deep = (await api('GET', '/cgi-bin/user/simplelist', undefined, { department_id: '2', fetch_child: '1' }))['userlist'] as { userid: string }[];
  assert.deepEqual(deep.map((u) => u.userid), ['a', 'b']);
  fake.denyListId();
  assert.equal((await api('POST', '/cgi-bin/user/list_id', { limit: 1 })).errcode, 48002);
  fake.denyListId(null);
});

test('msgaudit routes take only archive tokens; message/send refuses archive tokens', async () => {
  const res = await fetch(`${fake.url}/cgi-bin/gettoken?corpid=${fake.corpId}&corpsecret=arch`);
  const archiveToken = ((await res.json()) as { access_token: string }).access_token;
  assert.equal((await api('POST', '/cgi-bin/msgaudit/get_permit_user_list', { type: 1 })).errcode, 48002);
  const saved = token;
  token = archiveToken;
  try {
    fake.setPermitList(1, ['x']);
    fake.setPermitList(3, ['y']);
    assert.deepEqual((await api('POST', '/cgi-bin/msgaudit/get_permit_user_list', {}))['ids'], ['x', 'y']);
    assert.equal((await api('POST', '/cgi-bin/msgaudit/get_permit_user_list', { type: 4 })).errcode, 40058);
    assert.equal((await api('POST', '/cgi-bin/message/send', card('t9'))).errcode, 48002);
  } finally {
    token = saved;
  }
});
