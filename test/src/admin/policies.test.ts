/**
 * The policy admin API over real HTTP on loopback (the real bot, embedded store in a temp dir):
 * off without ADMIN_TOKEN, Bearer auth, validation naming the field, create / list / show /
 * withdraw, and the warning for a department policy on a platform that is not configured.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBot, type TestBot } from '../../helpers/app.ts';

const TOKEN = 'policy-admin-token-0123456789abcdef';

const POLICY = {
  platform: 'dingtalk',
  audience: { userIds: ['zhangsan', 'lisi'] },
  since: '2026-03-01',
  scope: '单聊和群聊',
  retention: '3 年',
  purpose: '合规审计',
  legalBasis: '《个人信息保护法》第十三条第一款第二项',
  viewers: ['合规部'],
};

describe('policy admin API off without ADMIN_TOKEN', () => {
  let bot: TestBot;
  before(async () => {
    bot = await startTestBot();
  });
  after(() => bot.close());

  it('has no policy routes at all (404), with or without a token', async () => {
    for (const [method, path] of [['GET', '/admin/policies'], ['POST', '/admin/policies'], ['GET', '/admin/policies/p-x'], ['DELETE', '/admin/policies/p-x']] as const) {
      const r = await fetch(`${bot.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, ...(method === 'POST' ? { body: JSON.stringify(POLICY) } : {}) });
      assert.equal(r.status, 404, `${method} ${path}`);
    }
    assert.deepEqual(await bot.core.policies.list(), [], 'nothing was stored');
  });
});

describe('policy admin API', () => {
  let bot: TestBot;
  const admin = (method: string, path: string, body?: unknown, token = TOKEN) =>
    fetch(`${bot.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  const error = async (r: Response, status: number, code: string, message?: RegExp) => {
    assert.equal(r.status, status);
    const j = (await r.json()) as { error: { code: string; message: string } };
    assert.equal(j.error.code, code);
    if (message) assert.match(j.error.message, message);
  };

  before(async () => {
    bot = await startTestBot({ ADMIN_TOKEN: TOKEN });
  });
  after(() => bot.close());

  it('401 with WWW-Authenticate without the right Bearer token, on every route; nothing is stored', async () => {
    for (const [method, path] of [['GET', '/admin/policies'], ['POST', '/admin/policies'], ['GET', '/admin/policies/p-x'], ['DELETE', '/admin/policies/p-x']] as const) {
      for (const token of ['', 'wrong-token', `${TOKEN}x`]) {
        const r = await admin(method, path, method === 'POST' ? POLICY : undefined, token);
        assert.equal(r.status, 401, `${method} ${path} with ${JSON.stringify(token)}`);
        assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
        assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'ADMIN_UNAUTHORIZED');
      }
    }
    assert.deepEqual(await bot.core.policies.list(), []);
  });

  it('400 naming the field (POLICY_BAD_REQUEST), ADMIN_BAD_JSON for broken JSON; nothing is stored', async () => {
    await error(await admin('POST', '/admin/policies', '{"platform":'), 400, 'ADMIN_BAD_JSON');
    const cases: [unknown, RegExp][] = [
      [{ ...POLICY, since: '2026-02-30' }, /^since: 2026-02-30 is not a calendar date$/],
      [{ ...POLICY, since: '01/03/2026' }, /^since: must be a date YYYY-MM-DD$/],
      [{ ...POLICY, since: undefined }, /^since: is required$/],
      [{ ...POLICY, platform: 'DingTalk' }, /^platform: must be a platform id/],
      [{ ...POLICY, audience: { userIds: [] } }, /^audience\.userIds: must list at least one id$/],
      [{ ...POLICY, audience: { all: true, userIds: ['x'] } }, /^audience: must be \{"all": true\}/],
      [{ ...POLICY, viewers: ['合规部', ''] }, /^viewers\.1: must not be empty$/],
      [{ ...POLICY, retention: 'x'.repeat(201) }, /^retention: must be at most 200 characters$/],
      [{ ...POLICY, legalBasis: 13 }, /^legalBasis: must be a string$/],
      [{ ...POLICY, note: 'hi' }, /^note: is not a known field$/],
      [[POLICY], /must be a JSON object/],
    ];
    for (const [body, message] of cases) await error(await admin('POST', '/admin/policies', body), 400, 'POLICY_BAD_REQUEST', message);
    assert.deepEqual(await bot.core.policies.list(), []);
  });

  it('201 {id, state, warnings}; list, show and withdraw (kept, state withdrawn); 404 for unknown ids', async () => {
    let r = await admin('POST', '/admin/policies', POLICY);
    assert.equal(r.status, 201);
    const created = (await r.json()) as { id: string; state: string; warnings: string[] };
    assert.match(created.id, /^p-[a-z2-9]{10}$/);
    assert.deepEqual([created.state, created.warnings], ['active', []]);

    r = await admin('GET', `/admin/policies/${created.id}`);
    assert.equal(r.status, 200);
    const shown = (await r.json()) as Record<string, unknown>;
    assert.deepEqual({ ...shown, createdAt: 0, updatedAt: 0 }, {
      id: created.id, ...POLICY, state: 'active', createdBy: 'api', createdAt: 0, updatedAt: 0, withdrawnAt: null, warnings: [],
    });
    assert.match(String(shown.createdAt), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

    r = await admin('POST', '/admin/policies', { ...POLICY, platform: 'feishu', audience: { all: true } });
    const second = (await r.json()) as { id: string };
    r = await admin('GET', '/admin/policies');
    assert.deepEqual(((await r.json()) as { policies: { id: string }[] }).policies.map((p) => p.id), [second.id, created.id], 'newest first');
    r = await admin('GET', '/admin/policies?platform=dingtalk');
    assert.deepEqual(((await r.json()) as { policies: { id: string }[] }).policies.map((p) => p.id), [created.id]);
    await error(await admin('GET', '/admin/policies?state=deleted'), 400, 'POLICY_BAD_REQUEST', /^state: /);

    r = await admin('DELETE', `/admin/policies/${created.id}`);
    assert.equal(r.status, 200);
    const withdrawn = (await r.json()) as { state: string; withdrawnAt: string | null; retention: string };
    assert.equal(withdrawn.state, 'withdrawn');
    assert.match(withdrawn.withdrawnAt ?? '', /^\d{4}-\d{2}-\d{2}T/);
    assert.equal(withdrawn.retention, '3 年', 'the record is kept whole');
    r = await admin('DELETE', `/admin/policies/${created.id}`);
    assert.equal(((await r.json()) as { withdrawnAt: string }).withdrawnAt, withdrawn.withdrawnAt, 'withdrawing again changes nothing');
    r = await admin('GET', '/admin/policies?state=withdrawn');
    assert.deepEqual(((await r.json()) as { policies: { id: string }[] }).policies.map((p) => p.id), [created.id]);

    await error(await admin('GET', '/admin/policies/p-unknown'), 404, 'POLICY_NOT_FOUND');
    await error(await admin('DELETE', '/admin/policies/p-unknown'), 404, 'POLICY_NOT_FOUND');
    await error(await admin('GET', '/admin/policies/a%3Ab'), 404, 'POLICY_NOT_FOUND');
  });

  it('a department policy for a platform not configured here is stored with a warning in the answer and the log', async () => {
    const r = await admin('POST', '/admin/policies', { ...POLICY, audience: { departmentIds: [100] } });
    assert.equal(r.status, 201);
    const { id, warnings } = (await r.json()) as { id: string; warnings: string[] };
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /dingtalk is not configured on this bot.*matches nobody/);
    assert.ok(bot.logLines.some((l) => l.includes('"level":40') && l.includes(id) && l.includes('is not configured on this bot')));
    const shown = (await (await admin('GET', `/admin/policies/${id}`)).json()) as { warnings: string[] };
    assert.deepEqual(shown.warnings, warnings, 'show repeats the current warnings');
  });
});
