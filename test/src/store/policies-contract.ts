import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PolicyRecord, PolicyStore } from '../../../src/store/ports/policies.ts';

/**
 * The behaviour contract of the PolicyStore port (src/store/ports/policies.ts), run against every
 * implementation. `makeStore` gives a fresh, empty, independent store per call; the contract
 * closes what it made. Time is explicit (`now` arguments), so cache expiry is exact.
 */
export function runPolicyStoreContract(name: string, makeStore: () => Promise<PolicyStore> | PolicyStore): void {
  const T0 = 1_780_000_000_000;

  function policy(id: string, overrides: Partial<PolicyRecord> = {}): PolicyRecord {
    return {
      id,
      platform: 'dingtalk',
      audience: { departmentIds: ['100', '101'] },
      since: '2026-03-01',
      scope: '单聊和群聊 / 1:1 and group chats',
      retention: '3 年',
      purpose: '合规审计',
      legalBasis: '《个人信息保护法》第十三条第一款第二项；员工手册第 7 条',
      viewers: ['合规部', 'Legal "team", level 2'],
      state: 'active',
      createdBy: 'api',
      createdAt: T0,
      updatedAt: T0,
      withdrawnAt: null,
      ...overrides,
    };
  }

  async function withStore(fn: (s: PolicyStore) => Promise<void>): Promise<void> {
    const s = await makeStore();
    try {
      await fn(s);
    } finally {
      await s.close();
    }
  }

  describe(`PolicyStore contract: ${name}`, () => {
    describe('policies', () => {
      it('stores a policy exactly as given and reads it back; unknown ids are null', () =>
        withStore(async (s) => {
          const p = policy('p-one', { audience: { userIds: ['user:1', '{x}', '张三'] }, viewers: ['一', '二'] });
          await s.createPolicy(p);
          assert.deepEqual(await s.getPolicy('p-one'), p);
          assert.equal(await s.getPolicy('p-none'), null);
          const all = policy('p-all', { audience: { all: true }, createdAt: T0 + 1, updatedAt: T0 + 1 });
          await s.createPolicy(all);
          assert.deepEqual(await s.getPolicy('p-all'), all);
        }));

      it('refuses a second policy with the same id (POLICY_EXISTS, 409) and keeps the first', () =>
        withStore(async (s) => {
          await s.createPolicy(policy('p-dup'));
          await assert.rejects(s.createPolicy(policy('p-dup', { retention: 'forever' })), { code: 'POLICY_EXISTS', status: 409 });
          assert.equal((await s.getPolicy('p-dup'))?.retention, '3 年');
          assert.equal((await s.listPolicies()).length, 1);
        }));

      it('lists newest first, filtered by platform and state', () =>
        withStore(async (s) => {
          assert.deepEqual(await s.listPolicies(), []);
          await s.createPolicy(policy('p-a', { createdAt: T0, updatedAt: T0 }));
          await s.createPolicy(policy('p-b', { platform: 'wecom', createdAt: T0 + 20, updatedAt: T0 + 20 }));
          await s.createPolicy(policy('p-c', { createdAt: T0 + 10, updatedAt: T0 + 10 }));
          await s.createPolicy(policy('p-d', { createdAt: T0 + 10, updatedAt: T0 + 10 }));
          await s.withdrawPolicy('p-a', T0 + 30);
          const ids = (ps: PolicyRecord[]) => ps.map((p) => p.id);
          assert.deepEqual(ids(await s.listPolicies()), ['p-b', 'p-d', 'p-c', 'p-a']);
          assert.deepEqual(ids(await s.listPolicies({ platform: 'dingtalk' })), ['p-d', 'p-c', 'p-a']);
          assert.deepEqual(ids(await s.listPolicies({ platform: 'dingtalk', state: 'active' })), ['p-d', 'p-c']);
          assert.deepEqual(ids(await s.listPolicies({ state: 'withdrawn' })), ['p-a']);
          assert.deepEqual(ids(await s.listPolicies({ platform: 'feishu' })), []);
        }));

      it('withdrawing keeps the record (state, times); a second withdrawal changes nothing; unknown -> null', () =>
        withStore(async (s) => {
          const p = policy('p-w', { audience: { departmentIds: ['7'] } });
          await s.createPolicy(p);
          const w = await s.withdrawPolicy('p-w', T0 + 500);
          assert.deepEqual(w, { ...p, state: 'withdrawn', updatedAt: T0 + 500, withdrawnAt: T0 + 500 });
          assert.deepEqual(await s.getPolicy('p-w'), w);
          assert.deepEqual(await s.withdrawPolicy('p-w', T0 + 900), w, 'second withdrawal: unchanged');
          assert.equal(await s.withdrawPolicy('p-none', T0), null);
          assert.deepEqual((await s.listPolicies()).map((x) => x.id), ['p-w'], 'history kept');
        }));

      it('the revision changes on every create and withdraw, and only then', () =>
        withStore(async (s) => {
          const r0 = await s.revision();
          assert.equal(r0, 0);
          await s.createPolicy(policy('p-1'));
          const r1 = await s.revision();
          assert.notEqual(r1, r0);
          await s.getPolicy('p-1');
          await s.listPolicies();
          await assert.rejects(s.createPolicy(policy('p-1')));
          assert.equal(await s.revision(), r1, 'reads and a refused create leave it');
          await s.withdrawPolicy('p-1', T0 + 1);
          const r2 = await s.revision();
          assert.ok(r2 !== r1 && r2 !== r0);
          await s.withdrawPolicy('p-1', T0 + 2);
          await s.withdrawPolicy('p-none', T0 + 2);
          assert.equal(await s.revision(), r2, 'a no-op withdrawal leaves it');
        }));

      it('rejects malformed records and ids with STORE_BAD_ARGUMENT', () =>
        withStore(async (s) => {
          const bad: PolicyRecord[] = [
            policy('has:colon'),
            policy('p-x', { platform: 'DingTalk' }),
            policy('p-x', { audience: { userIds: [] } }),
            policy('p-x', { audience: { departmentIds: ['a\nb'] } }),
            policy('p-x', { audience: {} as never }),
            policy('p-x', { since: '1 March' }),
            policy('p-x', { viewers: [] }),
            policy('p-x', { state: 'withdrawn' }),
            policy('p-x', { createdAt: -1 }),
          ];
          for (const p of bad) await assert.rejects(s.createPolicy(p), { code: 'STORE_BAD_ARGUMENT' }, JSON.stringify(p).slice(0, 80));
          await assert.rejects(s.getPolicy('a{b}'), { code: 'STORE_BAD_ARGUMENT' });
          await assert.rejects(s.withdrawPolicy('p-x', Number.NaN), { code: 'STORE_BAD_ARGUMENT' });
          assert.deepEqual(await s.listPolicies(), []);
          assert.equal(await s.revision(), 0);
        }));
    });

    describe('department cache', () => {
      it('null before anything is cached; true / false while fresh; null once expired', () =>
        withStore(async (s) => {
          assert.equal(await s.isDepartmentMember('dingtalk', '100', 'u1', T0), null);
          await s.cacheDepartment('dingtalk', '100', ['u1', 'u2'], T0, 600_000);
          assert.equal(await s.isDepartmentMember('dingtalk', '100', 'u1', T0), true);
          assert.equal(await s.isDepartmentMember('dingtalk', '100', 'u2', T0 + 599_999), true);
          assert.equal(await s.isDepartmentMember('dingtalk', '100', 'u3', T0 + 599_999), false);
          assert.equal(await s.isDepartmentMember('dingtalk', '100', 'u1', T0 + 600_000), null, 'expired at now + ttl');
          assert.equal(await s.isDepartmentMember('dingtalk', '101', 'u1', T0), null, 'another department');
          assert.equal(await s.isDepartmentMember('wecom', '100', 'u1', T0), null, 'another platform');
        }));

      it('a new cache of a department replaces the old members; an empty department is cached as empty', () =>
        withStore(async (s) => {
          await s.cacheDepartment('dingtalk', '100', ['u1', 'u2'], T0, 1000);
          await s.cacheDepartment('dingtalk', '100', ['u2', 'u3'], T0 + 2000, 1000);
          assert.equal(await s.isDepartmentMember('dingtalk', '100', 'u1', T0 + 2000), false);
          assert.equal(await s.isDepartmentMember('dingtalk', '100', 'u3', T0 + 2000), true);
          await s.cacheDepartment('dingtalk', '200', [], T0, 1000);
          assert.equal(await s.isDepartmentMember('dingtalk', '200', 'u1', T0 + 1), false);
        }));

      it('keeps ids with separators apart and holds a large department', () =>
        withStore(async (s) => {
          await s.cacheDepartment('dingtalk', 'a:b', ['x'], T0, 1000);
          await s.cacheDepartment('dingtalk', 'a', ['b:x'], T0, 1000);
          assert.equal(await s.isDepartmentMember('dingtalk', 'a:b', 'x', T0), true);
          assert.equal(await s.isDepartmentMember('dingtalk', 'a', 'x', T0), false);
          assert.equal(await s.isDepartmentMember('dingtalk', 'a', 'b:x', T0), true);
          const many = Array.from({ length: 5000 }, (_, i) => `s${i}`);
          await s.cacheDepartment('dingtalk', '1', many, T0, 1000);
          assert.equal(await s.isDepartmentMember('dingtalk', '1', 's4999', T0), true);
          assert.equal(await s.isDepartmentMember('dingtalk', '1', 's5000', T0), false);
        }));

      it('rejects bad arguments with STORE_BAD_ARGUMENT', () =>
        withStore(async (s) => {
          await assert.rejects(s.cacheDepartment('dingtalk', '', ['u'], T0, 1000), { code: 'STORE_BAD_ARGUMENT' });
          await assert.rejects(s.cacheDepartment('dingtalk', '1', [''], T0, 1000), { code: 'STORE_BAD_ARGUMENT' });
          await assert.rejects(s.cacheDepartment('dingtalk', '1', ['u'], T0, 0), { code: 'STORE_BAD_ARGUMENT' });
          await assert.rejects(s.isDepartmentMember('Ding', '1', 'u', T0), { code: 'STORE_BAD_ARGUMENT' });
          assert.equal(await s.isDepartmentMember('dingtalk', '1', 'u', T0), null, 'nothing was written');
        }));
    });

    it('ping answers; a closed store rejects with STORE_UNAVAILABLE; close is idempotent', async () => {
      const s = await makeStore();
      await s.ping();
      await s.close();
      await s.close();
      await assert.rejects(s.getPolicy('p-x'), { code: 'STORE_UNAVAILABLE' });
    });
  });
}
