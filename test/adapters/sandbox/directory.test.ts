/**
 * The sandbox organisation and its directory: 30 employees in 3 departments with fixed ids, and
 * the notice channel's audience resolution (everyone, departments, user ids; an unknown
 * department is refused naming the known ones).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import { createLogger } from '../../../src/log.ts';
import { SandboxInbox } from '../../../adapters/sandbox/inbox.ts';
import { createSandboxNoticeChannel } from '../../../adapters/sandbox/notices.ts';
import { SANDBOX_DEPARTMENTS, SANDBOX_EMPLOYEES, SANDBOX_PLATFORM, sandboxDirectory, sandboxStatuses } from '../../../adapters/sandbox/org.ts';
import { embeddedStorePath } from '../../../src/store/index.ts';

describe('sandbox organisation', () => {
  it('has 30 employees with unique English ids in 3 departments with Chinese names', () => {
    assert.equal(SANDBOX_EMPLOYEES.length, 30);
    assert.equal(new Set(SANDBOX_EMPLOYEES.map((e) => e.userId)).size, 30);
    for (const e of SANDBOX_EMPLOYEES) assert.match(e.userId, /^[a-z]+$/);
    assert.deepEqual(SANDBOX_DEPARTMENTS.map((d) => d.name.zh), ['人力资源部', '研发部', '销售部']);
    const dir = sandboxDirectory();
    assert.deepEqual(dir.map((d) => [d.id, d.headCount]), [['hr', 8], ['rd', 12], ['sales', 10]]);
    for (const d of dir) assert.equal(d.members.length, d.headCount);
    assert.equal(dir.reduce((n, d) => n + d.headCount, 0), 30);
  });

  it('demo statuses are for sandbox employees only and say they are sandbox data', () => {
    const ids = new Set(SANDBOX_EMPLOYEES.map((e) => e.userId));
    const statuses = sandboxStatuses('2026-01-01T00:00:00.000Z');
    assert.ok(statuses.length >= 3);
    for (const s of statuses) {
      assert.equal(s.platform, SANDBOX_PLATFORM);
      assert.ok(ids.has(s.userId));
      assert.match(s.source, /sandbox/);
      if (s.scope !== null) assert.match(s.scope, /沙盒/);
    }
  });

  it('resolves everyone, departments and user ids; refuses an unknown department', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-dir-'));
    const kv = openSqliteStore(embeddedStorePath(dir));
    try {
      const channel = createSandboxNoticeChannel({ inbox: new SandboxInbox(kv), kv, log: createLogger('silent'), now: () => 1 });
      assert.equal(channel.platform, 'sandbox');
      assert.equal(channel.readSupported, true);
      assert.equal((await channel.resolveAudience({ all: true })).length, 30);
      const rd = await channel.resolveAudience({ departmentIds: ['rd'] });
      assert.equal(rd.length, 12);
      assert.ok(rd.includes('zhoutao') && !rd.includes('wangfang'));
      assert.equal((await channel.resolveAudience({ departmentIds: ['hr', 'sales'] })).length, 18);
      assert.deepEqual(await channel.resolveAudience({ userIds: ['wuhao', 'wuhao', 'nobody'] }), ['wuhao', 'nobody']);
      await assert.rejects(channel.resolveAudience({ departmentIds: ['rd', 'marketing'] }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'SANDBOX_UNKNOWN_DEPARTMENT');
        assert.match(err.message, /marketing/);
        assert.match(err.message, /hr, rd, sales/);
        return true;
      });
    } finally {
      await kv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
