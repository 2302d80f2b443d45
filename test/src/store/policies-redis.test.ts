import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { openRedisPolicyStore } from '../../../src/store/redis/policies.ts';
import type { PolicyRecord } from '../../../src/store/ports/policies.ts';
import { redisTestEnv } from './redis-test-env.ts';
import { runPolicyStoreContract } from './policies-contract.ts';

/**
 * The policy store contract against the real Redis at REDIS_TEST_URL (default
 * redis://127.0.0.1:6379). Unreachable Redis fails when CI or REQUIRE_REDIS is set; otherwise the
 * suite is skipped with a message saying how to start Redis. Keys live under a unique prefix per
 * run, deleted at the end.
 */
const { url: REDIS_URL, unreachable, mustHaveRedis, skip, prefixFor } = await redisTestEnv('policies', openRedisPolicyStore);

const POLICY: PolicyRecord = {
  id: 'p-1', platform: 'dingtalk', audience: { departmentIds: ['1', '2'] }, since: '2026-03-01', scope: 's', retention: '三年 "quoted" \\ /',
  purpose: 'p', legalBasis: 'l', viewers: ['合规部'], state: 'active', createdBy: 'test', createdAt: 1_780_000_000_123, updatedAt: 1_780_000_000_123, withdrawnAt: null,
};

if (!unreachable || !mustHaveRedis) {
  describe('redis policies', { skip }, () => {
    runPolicyStoreContract('redis', () => openRedisPolicyStore(REDIS_URL, { keyPrefix: prefixFor('c') }));

    describe('Redis policy store specifics', () => {
      it('keeps policies under one {pol} hash tag and each cached department under its own', async () => {
        const prefix = prefixFor('layout');
        const s = await openRedisPolicyStore(REDIS_URL, { keyPrefix: prefix });
        const c = new Redis(REDIS_URL);
        try {
          await s.createPolicy(POLICY);
          await s.cacheDepartment('dingtalk', '1:{x}', ['u1'], 1, 60_000);
          const keys = (await c.keys(`${prefix}*`)).map((k) => k.slice(prefix.length)).sort();
          assert.deepEqual(keys, ['{pd:dingtalk:1%3A%7Bx%7D}', '{pol}:rec', '{pol}:rev']);
          const ttl = await c.pttl(`${prefix}{pd:dingtalk:1%3A%7Bx%7D}`);
          assert.ok(ttl > 60_000 && ttl <= 120_000, `the cached department's key expires (GC) after its ttl plus slack: ${ttl}`);
        } finally {
          c.disconnect();
          await s.close();
        }
      });

      it('a withdrawal through Lua keeps text and numbers exact (cjson round trip)', async () => {
        const s = await openRedisPolicyStore(REDIS_URL, { keyPrefix: prefixFor('lua') });
        try {
          await s.createPolicy(POLICY);
          const w = await s.withdrawPolicy('p-1', 1_780_000_999_999);
          assert.deepEqual(w, { ...POLICY, state: 'withdrawn', updatedAt: 1_780_000_999_999, withdrawnAt: 1_780_000_999_999 });
          assert.deepEqual(await s.getPolicy('p-1'), w);
        } finally {
          await s.close();
        }
      });

      it('two instances (same prefix, two connections) share policies, revisions and the cache', async () => {
        const prefix = prefixFor('two');
        const a = await openRedisPolicyStore(REDIS_URL, { keyPrefix: prefix });
        const b = await openRedisPolicyStore(REDIS_URL, { keyPrefix: prefix });
        try {
          const r0 = await b.revision();
          await a.createPolicy(POLICY);
          assert.notEqual(await b.revision(), r0);
          assert.equal((await b.getPolicy('p-1'))?.retention, POLICY.retention);
          await b.cacheDepartment('dingtalk', '1', ['u1'], 1, 1000);
          assert.equal(await a.isDepartmentMember('dingtalk', '1', 'u1', 2), true);
          const results = await Promise.all([a.createPolicy({ ...POLICY, id: 'p-race' }), b.createPolicy({ ...POLICY, id: 'p-race' })].map((p) => p.then(() => 'ok', (e: { code?: string }) => e.code)));
          assert.deepEqual(results.sort(), ['POLICY_EXISTS', 'ok'], 'exactly one create of an id wins');
        } finally {
          await a.close();
          await b.close();
        }
      });

      it('rejects a key prefix with braces and an unreachable server with STORE_UNAVAILABLE', async () => {
        await assert.rejects(openRedisPolicyStore(REDIS_URL, { keyPrefix: 'a{b}:' }), { code: 'STORE_BAD_ARGUMENT' });
        await assert.rejects(openRedisPolicyStore('redis://user:secret@127.0.0.1:1', { connectTimeoutMs: 500 }), (e: Error & { code?: string }) => e.code === 'STORE_UNAVAILABLE' && !e.message.includes('secret'));
      });
    });
  });
}
