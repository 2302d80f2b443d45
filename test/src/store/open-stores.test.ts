/**
 * openStores (src/store/index.ts): the three ports over ONE connection per backend, and the checked
 * facades (src/store/ports/checked.ts) that run every argument check once, in front of either backend.
 * - SQLite: one better-sqlite3 connection — counted as the file descriptors this process holds on
 *   the database file (/proc/self/fd, Linux), taken right after the open, before any timer (the
 *   WAL checkpointer's own connection starts 1 s later, from a timer) can run;
 * - Redis: one client — counted in CLIENT LIST by a name unique to the test (redisClientName),
 *   on the real Redis at REDIS_TEST_URL under a private key prefix.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { embeddedStorePath, openStores, type Stores } from '../../../src/store/index.ts';
import { checkedNoticeStore, checkedPolicyStore, checkedStore, type NoticeBackend } from '../../../src/store/ports/checked.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import type { PolicyStore } from '../../../src/store/ports/policies.ts';
import { NOTICE_MIGRATIONS } from '../../../src/store/sqlite/notices.ts';
import { openSqlitePolicyStore } from '../../../src/store/sqlite/policies.ts';
import { redisTestEnv } from './redis-test-env.ts';

const root = mkdtempSync(join(tmpdir(), 'open-stores-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDataDir = () => join(root, `d${++n}`);

/** How many file descriptors of this process are open on `path` (Linux /proc). */
function fdsOn(path: string): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) count++;
    } catch {
      // closed meanwhile (e.g. the fd of readdir itself)
    }
  }
  return count;
}

const content = { title: { zh: '通知', en: 'Notice' }, body: { zh: '正文', en: 'Body' } };

/** Every port's calls reject with STORE_UNAVAILABLE saying it is closed. */
async function assertAllClosed(s: Stores): Promise<void> {
  const closed = { code: 'STORE_UNAVAILABLE', message: /closed/ };
  await assert.rejects(s.kv.get('k'), closed);
  await assert.rejects(s.kv.set('k', 'v'), closed);
  await assert.rejects(s.statuses.getStatus('wecom', 'u1'), closed);
  await assert.rejects(s.notices.listNotices(), closed);
  await assert.rejects(s.notices.createNotice('n2', content, 1), closed);
  await assert.rejects(s.policies.revision(), closed);
  await assert.rejects(s.kv.ping(), closed);
  await assert.rejects(s.notices.ping(), closed);
  await assert.rejects(s.policies.ping(), closed);
}

describe('openStores on SQLite: one connection for every port', () => {
  it('holds ONE descriptor on the file for kv, statuses, notices and policies; none after close(); then every call says closed', async () => {
    const dataDir = freshDataDir();
    const s = await openStores({ redisUrl: null, dataDir });
    // No await between the open and the count: no timer (the checkpointer's) can have run.
    assert.equal(fdsOn(embeddedStorePath(dataDir)), 1, 'one better-sqlite3 connection');
    await s.kv.set('k', 'v');
    await s.notices.createNotice('n1', content, 1);
    await s.policies.revision();
    assert.equal(s.statuses, s.kv);
    await s.close();
    await s.close(); // idempotent
    assert.equal(fdsOn(embeddedStorePath(dataDir)), 0, 'the connection is closed');
    await assertAllClosed(s);
  });

  it("closing one port closes the shared connection: the others' calls then reject too", async () => {
    const dataDir = freshDataDir();
    const s = await openStores({ redisUrl: null, dataDir });
    await s.notices.close();
    assert.equal(fdsOn(embeddedStorePath(dataDir)), 0);
    await assertAllClosed(s);
    await s.kv.close(); // closing again through another port is a no-op
    await s.close();
  });

  it('migrates every part on the one file, each with its own schema version', async () => {
    const dataDir = freshDataDir();
    await (await openStores({ redisUrl: null, dataDir })).close();
    const db = new Database(embeddedStorePath(dataDir), { readonly: true });
    try {
      const version = (t: string) => db.prepare(`SELECT version FROM ${t}`).pluck().get() as number;
      assert.equal(version('schema_version'), 1);
      assert.equal(version('notice_schema_version'), NOTICE_MIGRATIONS.length);
      assert.equal(version('policy_schema_version'), 1);
    } finally {
      db.close();
    }
  });

  it('the one close runs the key-value writes still queued before the connection goes; a write through one port is read through a reopen', async () => {
    const dataDir = freshDataDir();
    const s = await openStores({ redisUrl: null, dataDir });
    await s.notices.createNotice('n1', content, 1);
    const queued = s.kv.set('queued', 'yes'); // group commit: queued for the check phase
    await s.policies.close(); // closes the shared connection now, before that phase
    await queued;
    const again = await openStores({ redisUrl: null, dataDir });
    try {
      assert.equal(await again.kv.get('queued'), 'yes');
      assert.equal((await again.notices.getNoticeVersion('n1'))?.version, 1);
    } finally {
      await again.close();
    }
  });

  it('all or nothing: a part that cannot open (newer policy schema) closes the connection and names the file', async () => {
    const dataDir = freshDataDir();
    await openSqlitePolicyStore(embeddedStorePath(dataDir)).close();
    const db = new Database(embeddedStorePath(dataDir));
    db.prepare('UPDATE policy_schema_version SET version = 99').run();
    db.close();
    await assert.rejects(
      openStores({ redisUrl: null, dataDir }),
      (e: Error & { code?: string }) => e.code === 'STORE_UNAVAILABLE' && e.message.includes(embeddedStorePath(dataDir)) && /newer/.test(e.message),
    );
    assert.equal(fdsOn(embeddedStorePath(dataDir)), 0, 'nothing left open');
  });

  it('a DATA_DIR that is a regular file: STORE_UNAVAILABLE naming DATA_DIR and the path, saying it is not a directory', async () => {
    const dataDir = join(root, 'plain-file');
    new Database(dataDir).close(); // any regular file
    await assert.rejects(openStores({ redisUrl: null, dataDir }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'STORE_UNAVAILABLE');
      assert.match(e.message, /DATA_DIR/);
      assert.ok(e.message.includes(embeddedStorePath(dataDir)), e.message);
      assert.match(e.message, /exists and is not a directory/);
      return true;
    });
  });
});

describe('the checked facades: every argument check once, in front of the backend', () => {
  /** A backend that records the calls that reach it. */
  function recorder<T extends object>(): { backend: T; calls: { method: string; args: unknown[] }[] } {
    const calls: { method: string; args: unknown[] }[] = [];
    const backend = new Proxy({} as T, {
      get: (_t, method) =>
        method === 'kind'
          ? 'sqlite'
          : (...args: unknown[]) => {
              calls.push({ method: String(method), args });
              return Promise.resolve(null);
            },
    });
    return { backend, calls };
  }

  it('a bad argument rejects (never throws) with STORE_BAD_ARGUMENT and never reaches the backend', async () => {
    const kv = recorder<Store>();
    const notices = recorder<NoticeBackend>();
    const policies = recorder<PolicyStore>();
    const s = checkedStore(kv.backend);
    const ns = checkedNoticeStore(notices.backend);
    const ps = checkedPolicyStore(policies.backend);
    const bad = { code: 'STORE_BAD_ARGUMENT' };
    const calls = [
      () => s.claim('', 1000),
      () => s.set('k', 'v', 0),
      () => s.increment('k', Number.NaN),
      () => s.putStatuses([{ platform: '', userId: 'u', archived: true, since: null, scope: null, source: 'x', updatedAt: 'x' }]),
      () => ns.createNotice('bad:id', content, 1),
      () => ns.getBroadcast('{b}'),
      () => ns.addRecipients('b1', ['ok', ''], 1),
      () => ns.queryRecipients('b1', { sort: 'user', order: 'asc', limit: 0 }),
      () => ns.acknowledge('wecom', 'u1', 'latest', 'fax' as never, 1),
      () => ns.resend('b1', 'everyone' as never, 1),
      () => ps.getPolicy('p:1'),
      () => ps.cacheDepartment('dingtalk', 'd1', ['u1'], 1, -5),
    ];
    for (const call of calls) {
      let promise: Promise<unknown> | undefined;
      assert.doesNotThrow(() => {
        promise = call();
      });
      await assert.rejects(promise!, bad);
    }
    assert.deepEqual([...kv.calls, ...notices.calls, ...policies.calls], []);
  });

  it('hands the backend the normal form: TTLs and policy times in whole ms, recipients as records, a query with its defaults, reasons clipped', async () => {
    const kv = recorder<Store>();
    const notices = recorder<NoticeBackend>();
    const policies = recorder<PolicyStore>();
    await checkedStore(kv.backend).claim('k', 1.2);
    await checkedNoticeStore(notices.backend).addRecipients('b1', ['u1', { userId: 'u2', name: 'Ann\u0007', department: '' }], 5);
    await checkedNoticeStore(notices.backend).queryRecipients('b1', { sort: 'user', order: 'asc', limit: 10 });
    await checkedNoticeStore(notices.backend).failResolution('b1', 'x'.repeat(600), 5);
    await checkedPolicyStore(policies.backend).cacheDepartment('dingtalk', 'd1', [], 10.4, 0.5);
    assert.deepEqual(kv.calls, [{ method: 'claim', args: ['k', 2, '1'] }]);
    assert.deepEqual(notices.calls[0], {
      method: 'addRecipients',
      args: ['b1', [{ userId: 'u1', name: null, department: null }, { userId: 'u2', name: 'Ann', department: null }], 5],
    });
    assert.deepEqual(notices.calls[1], { method: 'queryRecipients', args: ['b1', { state: undefined, prefix: '', text: '', sort: 'user', order: 'asc', limit: 10, after: null, offset: 0 }] });
    assert.equal((notices.calls[2]!.args[1] as string).length, 500);
    assert.deepEqual(policies.calls, [{ method: 'cacheDepartment', args: ['dingtalk', 'd1', [], 10, 1] }]);
  });
});

const redis = await redisTestEnv('open-stores', (url, o) => openStores({ redisUrl: url, dataDir: '/nonexistent-should-not-be-used' }, { redisKeyPrefix: o.keyPrefix }));

if (!redis.unreachable || !redis.mustHaveRedis) {
  describe('openStores on Redis: one connection for every port', { skip: redis.skip }, () => {
    /** Connections named `name` that Redis lists now. */
    async function connectionsNamed(admin: Redis, name: string): Promise<number> {
      const list = (await admin.client('LIST')) as string;
      return list.split('\n').filter((line) => line.split(' ').includes(`name=${name}`)).length;
    }

    /** Waits until Redis lists no connection named `name` (it drops one just after answering QUIT). */
    async function noneLeft(admin: Redis, name: string): Promise<number> {
      const guard = Date.now() + 10_000; // failure guard only
      let left = await connectionsNamed(admin, name);
      while (left > 0 && Date.now() < guard) {
        await sleep(20);
        left = await connectionsNamed(admin, name);
      }
      return left;
    }

    it('ONE client connection carries kv, statuses, notices and policies; zero after close()', async () => {
      const name = `pb-open-stores-${process.pid}-${randomBytes(4).toString('hex')}`;
      const admin = new Redis(redis.url);
      try {
        assert.equal(await connectionsNamed(admin, name), 0);
        const s = await openStores({ redisUrl: redis.url, dataDir: '/nonexistent-should-not-be-used' }, { redisKeyPrefix: redis.prefixFor('one'), redisClientName: name });
        await s.kv.set('k', 'v');
        await s.statuses.putStatuses([{ platform: 'wecom', userId: 'u1', archived: true, since: null, scope: null, source: 'import', updatedAt: 'x' }]);
        await s.notices.createNotice('n1', content, 1);
        await s.policies.revision();
        assert.equal(await connectionsNamed(admin, name), 1, 'exactly one connection for the three ports');
        await s.close();
        assert.equal(await noneLeft(admin, name), 0, 'none after close()');
        await assertAllClosed(s);
      } finally {
        admin.disconnect();
      }
    });

    it("closing one port quits the shared client: the others' calls reject as closed", async () => {
      const name = `pb-open-stores-${process.pid}-${randomBytes(4).toString('hex')}`;
      const admin = new Redis(redis.url);
      try {
        const s = await openStores({ redisUrl: redis.url, dataDir: '/nonexistent-should-not-be-used' }, { redisKeyPrefix: redis.prefixFor('one'), redisClientName: name });
        await s.kv.close();
        assert.equal(await noneLeft(admin, name), 0);
        await assertAllClosed(s);
        await s.close();
      } finally {
        admin.disconnect();
      }
    });

    it('an unreachable Redis: STORE_UNAVAILABLE naming REDIS_URL and the URL, password masked, at the first connection error', async () => {
      await assert.rejects(openStores({ redisUrl: 'redis://:s3cret@127.0.0.1:1', dataDir: '/nonexistent-should-not-be-used' }), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'STORE_UNAVAILABLE');
        assert.match(e.message, /REDIS_URL/);
        assert.match(e.message, /redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
        assert.doesNotMatch(e.message, /s3cret/);
        assert.match(e.message, /ECONNREFUSED/);
        return true;
      });
    });
  });
}
