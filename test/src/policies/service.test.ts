/**
 * The policy service against real parts: the SQLite policy store in a temp dir, and the real
 * DingTalk notice channel (its directory walk) against the fake DingTalk over loopback. An
 * injected clock drives "today" and the membership cache's expiry.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createDingtalkNoticeChannel } from '../../../adapters/dingtalk/notices.ts';
import { createDingtalkOpenApi } from '../../../adapters/dingtalk/openapi.ts';
import { createLogger } from '../../../src/log.ts';
import type { NoticeChannel } from '../../../src/platform/notices.ts';
import { DEFAULT_MEMBERSHIP_TTL_MS, PolicyService, type PolicyServiceOptions } from '../../../src/policies/service.ts';
import { openSqlitePolicyStore } from '../../../src/store/sqlite/policies.ts';
import type { PolicyStore } from '../../../src/store/ports/policies.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import { startFakeDingtalk, type FakeDingtalk, type FakeDirectory } from '../../fakes/dingtalk-api.ts';
import { embeddedStorePath } from '../../../src/store/index.ts';

/** 2026-05-02 10:00 in Shanghai. */
const NOW = Date.parse('2026-05-02T02:00:00Z');

/**
 * Departments: 100 Sales (members s1, s2) with sub-department 110 Sales North (n1), 200 R&D (r1).
 * s2 is also in R&D. Root members: boss.
 */
const DIRECTORY: FakeDirectory = {
  departments: [
    { id: 100, parentId: 1, name: 'Sales' },
    { id: 110, parentId: 100, name: 'Sales North' },
    { id: 200, parentId: 1, name: 'R&D' },
  ],
  users: [
    { userid: 'boss', deptIds: [1] },
    { userid: 's1', deptIds: [100] },
    { userid: 's2', deptIds: [100, 200] },
    { userid: 'n1', deptIds: [110] },
    { userid: 'r1', deptIds: [200] },
  ],
};

const BASE = {
  platform: 'dingtalk',
  since: '2026-03-01',
  scope: '单聊和群聊',
  retention: '3 年',
  purpose: '合规审计',
  legalBasis: '《个人信息保护法》第十三条第一款第二项',
  viewers: ['合规部'],
};

describe('PolicyService', () => {
  let fake: FakeDingtalk;
  let dir: string;
  let kv: Store;
  let store: PolicyStore;
  let channel: NoticeChannel;
  let clock: number;
  let logLines: string[];
  let n = 0;

  const log = () =>
    createLogger(
      'debug',
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
          cb();
        },
      }),
    );

  function service(overrides: Partial<PolicyServiceOptions> = {}): PolicyService {
    return new PolicyService({ store, log: log(), channelFor: (p) => (p === 'dingtalk' ? channel : undefined), now: () => clock, ...overrides });
  }

  const listsimpleCalls = () => fake.directoryRequests.filter((r) => r.api === 'listsimple').length;

  before(async () => {
    fake = await startFakeDingtalk();
    fake.setDirectory(DIRECTORY);
    dir = mkdtempSync(join(tmpdir(), 'policy-service-'));
    kv = openSqliteStore(join(dir, 'kv.db'));
  });
  after(async () => {
    await fake.close();
    await kv.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await store?.close();
    store = openSqlitePolicyStore(embeddedStorePath(join(dir, `p${++n}`)));
    fake.reset();
    clock = NOW;
    logLines = [];
    const config = { appKey: fake.appKey, appSecret: fake.appSecret, robotCode: fake.robotCode, apiBase: fake.apiBase };
    channel = createDingtalkNoticeChannel({ api: createDingtalkOpenApi(config, kv, createLogger('silent')), log: createLogger('silent'), now: Date.now, appKey: `app${n}`, kv });
  });

  describe('create, list, show, withdraw', () => {
    it('validates with the field named (POLICY_BAD_REQUEST, 400) and stores nothing on error', async () => {
      const s = service();
      const cases: [unknown, RegExp][] = [
        [{ ...BASE, audience: { all: true }, since: '2026-02-30' }, /^since: 2026-02-30 is not a calendar date$/],
        [{ ...BASE, audience: { all: true }, since: '2026/03/01' }, /^since: must be a date YYYY-MM-DD$/],
        [{ ...BASE, audience: { departmentIds: [] } }, /^audience\.departmentIds: must list at least one id$/],
        [{ ...BASE, audience: { everyone: true } }, /^audience: must be/],
        [{ ...BASE, audience: { all: true }, viewers: [] }, /^viewers: must list at least one reader$/],
        [{ ...BASE, audience: { all: true }, retention: '  ' }, /^retention: must not be empty$/],
        [{ ...BASE, audience: { all: true }, legalBasis: undefined }, /^legalBasis: is required$/],
        [{ ...BASE, audience: { all: true }, owner: 'x' }, /^owner: is not a known field$/],
        [[], /must be a JSON object/],
      ];
      for (const [input, message] of cases) {
        await assert.rejects(s.create(input, 'test'), (e: Error & { code?: string; status?: number }) => {
          assert.equal(e.code, 'POLICY_BAD_REQUEST');
          assert.equal(e.status, 400);
          assert.match(e.message, message);
          return true;
        });
      }
      assert.deepEqual(await s.list(), []);
    });

    it('creates an active policy with the admin’s words trimmed but otherwise as written', async () => {
      const s = service();
      const { policy, warnings } = await s.create({ ...BASE, retention: ' 三年（离职后删除） ', audience: { departmentIds: [100, '200', 100] } }, 'api');
      assert.match(policy.id, /^p-[a-z2-9]{10}$/);
      assert.deepEqual(warnings, []);
      assert.deepEqual(await s.get(policy.id), {
        ...BASE,
        id: policy.id,
        retention: '三年（离职后删除）',
        audience: { departmentIds: ['100', '200'] },
        state: 'active',
        createdBy: 'api',
        createdAt: NOW,
        updatedAt: NOW,
        withdrawnAt: null,
      });
      assert.ok(logLines.some((l) => l.includes('"msg":"policy declared"') && l.includes(policy.id)));
      assert.ok(!logLines.some((l) => l.includes('三年')), 'the policy text is not logged');
    });

    it('warns when departments cannot be matched (platform not configured), when the platform has its own archive sync, and about a future since', async () => {
      const s = service({ channelFor: () => undefined, hasArchiveSync: (p) => p === 'wecom' });
      let r = await s.create({ ...BASE, audience: { departmentIds: ['100'] } }, 'api');
      assert.equal(r.warnings.length, 1);
      assert.match(r.warnings[0]!, /dingtalk is not configured on this bot.*matches nobody/);
      assert.ok(logLines.some((l) => l.includes('"level":40') && l.includes('is not configured on this bot')), 'logged as a warning');
      r = await s.create({ ...BASE, audience: { userIds: ['u1'] } }, 'api');
      assert.deepEqual(r.warnings, [], 'user ids need no directory');
      r = await s.create({ ...BASE, platform: 'wecom', audience: { all: true } }, 'api');
      assert.match(r.warnings.join(' '), /statuses come from the platform's own archive settings/);
      r = await s.create({ ...BASE, audience: { all: true }, since: '2026-05-03' }, 'api');
      assert.deepEqual(r.warnings, ['since 2026-05-03 is after today (2026-05-02): the policy applies from that day']);
      r = await s.create({ ...BASE, audience: { all: true }, since: '2026-05-02' }, 'api');
      assert.deepEqual(r.warnings, [], 'today is not the future');
    });

    it('lists newest first, filters, shows, and withdraws keeping the record; unknown or malformed ids are 404', async () => {
      const s = service();
      const a = (await s.create({ ...BASE, audience: { all: true } }, 'api')).policy;
      clock += 1000;
      const b = (await s.create({ ...BASE, audience: { userIds: ['x'] } }, 'cli')).policy;
      assert.deepEqual((await s.list()).map((p) => p.id), [b.id, a.id]);
      clock += 1000;
      const w = await s.withdraw(a.id);
      assert.deepEqual([w.state, w.withdrawnAt, w.updatedAt], ['withdrawn', NOW + 2000, NOW + 2000]);
      assert.deepEqual((await s.withdraw(a.id)).withdrawnAt, NOW + 2000, 'withdrawing again changes nothing');
      assert.deepEqual((await s.list({ state: 'active' })).map((p) => p.id), [b.id]);
      assert.deepEqual((await s.list({ state: 'withdrawn' })).map((p) => p.id), [a.id]);
      assert.deepEqual(s.warningsFor(w), []);
      for (const id of ['p-unknown', 'has:colon', '../x']) {
        await assert.rejects(s.get(id), { code: 'POLICY_NOT_FOUND', status: 404 });
        await assert.rejects(s.withdraw(id), { code: 'POLICY_NOT_FOUND', status: 404 });
      }
    });
  });

  describe('who a policy covers', () => {
    it('all: every employee of that platform, nobody on another', async () => {
      const s = service();
      const { policy } = await s.create({ ...BASE, audience: { all: true } }, 'api');
      assert.equal((await s.policyFor('dingtalk', 'anyone'))?.id, policy.id);
      assert.equal(await s.policyFor('wecom', 'anyone'), null);
      assert.equal(listsimpleCalls(), 0, 'no directory read for "all"');
    });

    it('departments: members of the department and of its sub-departments, read from the directory', async () => {
      const s = service();
      const { policy } = await s.create({ ...BASE, audience: { departmentIds: ['100'] } }, 'api');
      for (const u of ['s1', 's2', 'n1']) assert.equal((await s.policyFor('dingtalk', u))?.id, policy.id, u);
      for (const u of ['r1', 'boss', 'nobody']) assert.equal(await s.policyFor('dingtalk', u), null, u);
    });

    it('the status a policy gives: archived since its since, its scope, source company policy, its updatedAt', async () => {
      const s = service();
      await s.create({ ...BASE, audience: { userIds: ['s1'] } }, 'api');
      assert.deepEqual(await s.statusFor('dingtalk', 's1'), {
        platform: 'dingtalk',
        userId: 's1',
        archived: true,
        since: '2026-03-01',
        scope: '单聊和群聊',
        source: 'company policy',
        updatedAt: new Date(NOW).toISOString(),
      });
      assert.equal(await s.statusFor('dingtalk', 's2'), null);
    });

    it('the most specific wins (userIds > departmentIds > all), then the latest since, then the latest declared', async () => {
      const s = service();
      const all = (await s.create({ ...BASE, audience: { all: true }, since: '2026-04-01' }, 'api')).policy;
      clock += 1;
      const deptOld = (await s.create({ ...BASE, audience: { departmentIds: ['100'] }, since: '2026-01-01' }, 'api')).policy;
      clock += 1;
      const deptNew = (await s.create({ ...BASE, audience: { departmentIds: ['110'] }, since: '2026-02-01' }, 'api')).policy;
      clock += 1;
      const user = (await s.create({ ...BASE, audience: { userIds: ['n1', 's1'] }, since: '2025-01-01' }, 'api')).policy;
      clock += 1;
      const userSameDay = (await s.create({ ...BASE, audience: { userIds: ['s1'] }, since: '2025-01-01' }, 'api')).policy;
      assert.equal((await s.policyFor('dingtalk', 's1'))?.id, userSameDay.id, 'user ids beat departments; same since: the later declared');
      assert.equal((await s.policyFor('dingtalk', 'n1'))?.id, user.id);
      assert.equal((await s.policyFor('dingtalk', 's2'))?.id, deptOld.id, 'a department beats all');
      await s.withdraw(user.id);
      assert.equal((await s.policyFor('dingtalk', 'n1'))?.id, deptNew.id, 'two departments cover n1: the latest since');
      assert.equal((await s.policyFor('dingtalk', 'r1'))?.id, all.id);
      await s.withdraw(all.id);
      assert.equal(await s.policyFor('dingtalk', 'r1'), null, 'a withdrawn policy covers nobody');
    });

    it('a policy applies from its since (today in Asia/Shanghai), not before', async () => {
      const s = service();
      clock = Date.parse('2026-05-02T15:59:00Z'); // 23:59 in Shanghai
      await s.create({ ...BASE, audience: { all: true }, since: '2026-05-03' }, 'api');
      assert.equal(await s.policyFor('dingtalk', 'x'), null);
      clock = Date.parse('2026-05-02T16:00:00Z'); // 00:00 on 2026-05-03 in Shanghai
      assert.equal((await s.policyFor('dingtalk', 'x'))?.since, '2026-05-03');
    });

    it('another instance on the same store sees a new or withdrawn policy at its next question', async () => {
      const a = service();
      const b = service();
      assert.equal(await b.policyFor('dingtalk', 'x'), null);
      const { policy } = await a.create({ ...BASE, audience: { all: true } }, 'api');
      assert.equal((await b.policyFor('dingtalk', 'x'))?.id, policy.id);
      await a.withdraw(policy.id);
      assert.equal(await b.policyFor('dingtalk', 'x'), null);
    });
  });

  describe('department membership cache', () => {
    it('reads a department once, then answers from the store until the TTL (10 min) has passed', async () => {
      const s = service();
      await s.create({ ...BASE, audience: { departmentIds: ['100'] } }, 'api');
      await s.policyFor('dingtalk', 's1');
      const first = listsimpleCalls();
      assert.equal(first, 2, 'Sales and Sales North: one page each');
      for (const u of ['s1', 's2', 'n1', 'r1', 'x']) await s.policyFor('dingtalk', u);
      assert.equal(listsimpleCalls(), first, 'cached');
      const other = service();
      assert.ok(await other.policyFor('dingtalk', 'n1'));
      assert.equal(listsimpleCalls(), first, 'the cache is in the store: another instance uses it');
      clock += DEFAULT_MEMBERSHIP_TTL_MS - 1;
      await s.policyFor('dingtalk', 's1');
      assert.equal(listsimpleCalls(), first);
      clock += 1;
      fake.setDirectory({ ...DIRECTORY, users: DIRECTORY.users.filter((u) => u.userid !== 's1') });
      try {
        assert.equal(await s.policyFor('dingtalk', 's1'), null, 'read again after the TTL: s1 has left Sales');
        assert.equal(listsimpleCalls(), first * 2);
      } finally {
        fake.setDirectory(DIRECTORY);
      }
    });

    it('concurrent questions wait for one directory read', async () => {
      const s = service();
      await s.create({ ...BASE, audience: { departmentIds: ['100'] } }, 'api');
      const answers = await Promise.all(['s1', 's2', 'n1', 'r1', 's1', 'n1'].map((u) => s.policyFor('dingtalk', u)));
      assert.deepEqual(answers.map((p) => p !== null), [true, true, true, false, true, true]);
      assert.equal(listsimpleCalls(), 2);
    });

    it('a department the platform does not know matches nobody, is cached, and is logged', async () => {
      const s = service();
      const { policy } = await s.create({ ...BASE, audience: { departmentIds: ['999', '200'] } }, 'api');
      assert.equal(await s.policyFor('dingtalk', 's1'), null);
      assert.equal((await s.policyFor('dingtalk', 'r1'))?.id, policy.id, 'the other department still counts');
      const calls = fake.directoryRequests.length;
      assert.equal(await s.policyFor('dingtalk', 's1'), null);
      assert.equal(fake.directoryRequests.length, calls, 'not asked again');
      assert.ok(logLines.some((l) => l.includes('policy department unknown to the platform') && l.includes('"department":"999"')));
    });

    it('a failing directory makes the question fail (POLICY_DIRECTORY_UNAVAILABLE, 503); nothing is cached, the next question reads again', async () => {
      const s = service();
      await s.create({ ...BASE, audience: { departmentIds: ['100'] } }, 'api');
      fake.failNext('listsimple', { status: 500, code: 'InternalError' }, 5);
      await assert.rejects(s.policyFor('dingtalk', 's1'), { code: 'POLICY_DIRECTORY_UNAVAILABLE', status: 503 });
      fake.reset();
      assert.ok(await s.policyFor('dingtalk', 's1'));
      assert.ok(!logLines.some((l) => l.includes('"s1"')), 'user ids are not logged in clear');
    });

    it('without a channel for the platform, department policies match nobody (warned once), others still apply', async () => {
      const s = service({ channelFor: () => undefined });
      const dept = (await s.create({ ...BASE, audience: { departmentIds: ['100'] }, since: '2026-04-01' }, 'api')).policy;
      const all = (await s.create({ ...BASE, audience: { all: true } }, 'api')).policy;
      logLines.length = 0;
      assert.equal((await s.policyFor('dingtalk', 's1'))?.id, all.id);
      assert.equal((await s.policyFor('dingtalk', 's2'))?.id, all.id);
      const warned = logLines.filter((l) => l.includes('department policy cannot be matched'));
      assert.equal(warned.length, 1);
      assert.ok(warned[0]!.includes(dept.id));
    });
  });
});
