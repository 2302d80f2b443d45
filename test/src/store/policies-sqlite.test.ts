import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqlitePolicyStore } from '../../../src/store/sqlite/policies.ts';
import { openSqliteNoticeStore } from '../../../src/store/sqlite/notices.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import type { PolicyRecord } from '../../../src/store/ports/policies.ts';
import { runPolicyStoreContract } from './policies-contract.ts';
import { embeddedStorePath } from '../../../src/store/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'policies-sqlite-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = () => embeddedStorePath(join(dir, `db${++n}`));

const POLICY: PolicyRecord = {
  id: 'p-1', platform: 'dingtalk', audience: { all: true }, since: '2026-03-01', scope: 's', retention: 'r', purpose: 'p',
  legalBasis: 'l', viewers: ['v'], state: 'active', createdBy: 'test', createdAt: 1, updatedAt: 1, withdrawnAt: null,
};

runPolicyStoreContract('sqlite', () => openSqlitePolicyStore(file()));

describe('SQLite policy store specifics', () => {
  it('shares the file with the main and notice stores, and survives a reopen', async () => {
    const f = file();
    const main = openSqliteStore(f);
    const notices = openSqliteNoticeStore(f);
    const policies = openSqlitePolicyStore(f);
    try {
      await main.set('k', 'v');
      await notices.createNotice('n1', { title: { zh: 'a', en: 'a' }, body: { zh: 'b', en: 'b' } }, 1);
      await policies.createPolicy(POLICY);
      await policies.cacheDepartment('dingtalk', '1', ['u1'], 1, 1000);
      assert.equal(await main.get('k'), 'v');
      assert.equal((await notices.getNoticeVersion('n1'))?.version, 1);
    } finally {
      await policies.close();
      await notices.close();
      await main.close();
    }
    const reopened = openSqlitePolicyStore(f);
    try {
      assert.deepEqual(await reopened.getPolicy('p-1'), POLICY);
      assert.equal(await reopened.isDepartmentMember('dingtalk', '1', 'u1', 2), true);
      assert.equal(await reopened.revision(), 1);
    } finally {
      await reopened.close();
    }
  });

  it('two connections to one file see each other’s writes and revisions', async () => {
    const f = file();
    const a = openSqlitePolicyStore(f);
    const b = openSqlitePolicyStore(f);
    try {
      await a.createPolicy(POLICY);
      assert.equal((await b.getPolicy('p-1'))?.id, 'p-1');
      const r = await b.revision();
      await b.withdrawPolicy('p-1', 5);
      assert.notEqual(await a.revision(), r);
      assert.equal((await a.getPolicy('p-1'))?.state, 'withdrawn');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses a file with a newer policy schema, naming the file', async () => {
    const f = file();
    await openSqlitePolicyStore(f).close();
    const db = new Database(f);
    db.prepare('UPDATE policy_schema_version SET version = 99').run();
    db.close();
    assert.throws(() => openSqlitePolicyStore(f), (e: Error & { code?: string }) => e.code === 'STORE_UNAVAILABLE' && e.message.includes(f) && /newer/.test(e.message));
  });

  it('a file that cannot be created is STORE_UNAVAILABLE naming it', () => {
    const blocker = join(dir, 'blocker');
    openSqliteStore(join(blocker, 'x.db')).close();
    const f = embeddedStorePath(join(blocker, 'x.db', 'sub'));
    assert.throws(() => openSqlitePolicyStore(f), (e: Error & { code?: string }) => e.code === 'STORE_UNAVAILABLE' && e.message.includes('sub'));
  });
});
