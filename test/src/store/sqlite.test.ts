import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openSqliteStore, PURGE_EVERY_WRITES, PURGE_MAX_ROWS } from '../../../src/store/sqlite/store.ts';
import { embeddedStorePath, openStores } from '../../../src/store/index.ts';
import { runStoreContract } from './contract.ts';

const root = mkdtempSync(join(tmpdir(), 'privacy-bot-sqlite-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshFile = (): string => join(root, `s${++n}`, 'store.db');

runStoreContract('sqlite', () => openSqliteStore(freshFile()));

describe('SQLite store specifics', () => {
  it('creates missing parent directories and the file', async () => {
    const file = embeddedStorePath(join(root, 'a', 'b', 'c'));
    const s = openSqliteStore(file);
    await s.ping();
    await s.close();
    assert.ok(existsSync(file));
  });

  it('uses WAL and records the schema version', async () => {
    const file = freshFile();
    await openSqliteStore(file).close();
    const db = new Database(file, { readonly: true });
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(db.prepare('SELECT version FROM schema_version').pluck().get(), 1);
      assert.equal(db.prepare('SELECT count(*) FROM schema_version').pluck().get(), 1);
    } finally {
      db.close();
    }
  });

  it('keeps data across close and reopen (no second migration)', async () => {
    const file = freshFile();
    const s1 = openSqliteStore(file);
    await s1.set('k', 'v');
    await s1.putStatuses([
      { platform: 'wecom', userId: 'u', archived: true, since: '2026-03-01', scope: null, source: 'import', updatedAt: '2026-05-02T00:00:00.000Z' },
    ]);
    await s1.close();
    const s2 = openSqliteStore(file);
    try {
      assert.equal(await s2.get('k'), 'v');
      assert.equal((await s2.getStatus('wecom', 'u'))?.since, '2026-03-01');
    } finally {
      await s2.close();
    }
  });

  it('two stores on the same file (two instances) still give exactly one claim', async () => {
    const file = freshFile();
    const a = openSqliteStore(file);
    const b = openSqliteStore(file);
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).claim('dedup:wecom:same', 60_000)),
      );
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal(await a.increment('c', 60_000), 1);
      assert.equal(await b.increment('c', 60_000), 2);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a file that is not a database -> STORE_UNAVAILABLE naming the file, file untouched', () => {
    const file = join(root, 'not-a-db.db');
    const content = 'this is a text file, not SQLite\n'.repeat(200);
    writeFileSync(file, content);
    assert.throws(
      () => openSqliteStore(file),
      (err: Error & { code?: string }) => err.code === 'STORE_UNAVAILABLE' && err.message.includes(file),
    );
    assert.equal(readFileSync(file, 'utf8'), content);
  });

  it('a path whose parent is a file -> STORE_UNAVAILABLE naming the path', () => {
    const blocker = join(root, 'blocker');
    writeFileSync(blocker, 'x');
    const file = join(blocker, 'store.db');
    assert.throws(
      () => openSqliteStore(file),
      (err: Error & { code?: string }) => err.code === 'STORE_UNAVAILABLE' && err.message.includes(file),
    );
  });

  it('refuses a database written by a newer schema version', async () => {
    const file = freshFile();
    await openSqliteStore(file).close();
    const db = new Database(file);
    db.prepare('UPDATE schema_version SET version = 99').run();
    db.close();
    assert.throws(
      () => openSqliteStore(file),
      (err: Error & { code?: string }) => err.code === 'STORE_UNAVAILABLE' && /newer/.test(err.message) && err.message.includes(file),
    );
  });

  it('removes expired rows from the file eventually (purge at open)', async () => {
    const file = freshFile();
    const s = openSqliteStore(file);
    await s.set('gone', 'v', 20);
    await s.set('stays', 'v');
    await s.close();
    await new Promise((r) => setTimeout(r, 60));
    await openSqliteStore(file).close();
    const db = new Database(file, { readonly: true });
    try {
      assert.deepEqual(db.prepare('SELECT key FROM kv ORDER BY key').pluck().all(), ['stays']);
    } finally {
      db.close();
    }
  });
});

describe('SQLite store group commit (writes of one event-loop turn share one transaction)', () => {
  /** Frames in the WAL of `file` (each commit appends at least one), read from a second connection. */
  const walFrames = (file: string): number => {
    const db = new Database(file);
    try {
      return (db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]!.log;
    } finally {
      db.close();
    }
  };
  const emptyWal = (file: string): void => {
    const db = new Database(file);
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
    }
  };

  it('commits 200 writes issued in one turn together, not 200 times', async () => {
    const file = freshFile();
    const s = openSqliteStore(file);
    try {
      await s.set('warm', 'v');
      emptyWal(file);
      await Promise.all(Array.from({ length: 200 }, (_, i) => s.set(`token:${i}`, 'v'.repeat(40))));
      const frames = walFrames(file);
      assert.ok(frames > 0 && frames < 50, `${frames} WAL frames for 200 writes (one commit each would be >= 200)`);
      assert.equal(await s.get('token:199'), 'v'.repeat(40));
    } finally {
      await s.close();
    }
  });

  it('gives exactly one true among 500 claims of one key issued in one turn', async () => {
    const s = openSqliteStore(freshFile());
    try {
      const results = await Promise.all(Array.from({ length: 500 }, (_, i) => s.claim('dedup:wecom:same', 60_000, `c${i}`)));
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal(results[0], true, 'the first issued claim wins');
      assert.equal(await s.get('dedup:wecom:same'), 'c0');
    } finally {
      await s.close();
    }
  });

  it('settles a claim, an increment and reads of one batch each with its own result, in issue order', async () => {
    const s = openSqliteStore(freshFile());
    try {
      const got = await Promise.all([
        s.claim('dedup:wecom:m1', 60_000, 'first'),
        s.increment('rate:wecom:u1', 60_000),
        s.get('dedup:wecom:m1'), // issued after the claim: sees it
        s.claim('dedup:wecom:m1', 60_000, 'second'),
        s.increment('rate:wecom:u1', 60_000),
        s.set('k', 'v'),
        s.get('k'),
        s.delete('k'),
        s.get('k'),
        s.getStatus('wecom', 'nobody'),
      ]);
      assert.deepEqual(got, [true, 1, 'first', false, 2, undefined, 'v', undefined, null, null]);
      assert.equal(await s.increment('rate:wecom:u1', 60_000), 3);
    } finally {
      await s.close();
    }
  });

  it('a bad argument rejects only its own call, at once, and does not spoil the batch', async () => {
    const s = openSqliteStore(freshFile());
    try {
      const [a, bad, c] = await Promise.allSettled([s.claim('a', 60_000), s.increment('c', 0), s.increment('c', 60_000)]);
      assert.deepEqual(a, { status: 'fulfilled', value: true });
      assert.equal(bad.status === 'rejected' && (bad.reason as { code?: string }).code, 'STORE_BAD_ARGUMENT');
      assert.deepEqual(c, { status: 'fulfilled', value: 1 });
    } finally {
      await s.close();
    }
  });

  it('when the batch transaction fails, runs its operations one by one: each gets its own result or error', async () => {
    const file = freshFile();
    const s = openSqliteStore(file);
    const other = new Database(file); // a real SQLite failure for one statement, from another connection
    other.exec(`CREATE TRIGGER kv_fail BEFORE INSERT ON kv WHEN NEW.key = 'boom'
                BEGIN SELECT RAISE(ABORT, 'simulated write failure'); END`);
    other.close();
    try {
      const [a, boom, c, a2, d] = await Promise.allSettled([
        s.claim('a', 60_000, 'x'),
        s.set('boom', 'v'),
        s.increment('c', 60_000),
        s.claim('a', 60_000, 'y'),
        s.get('a'),
      ]);
      // The failed transaction was rolled back as a whole, so the rerun claim is still the first.
      assert.deepEqual(a, { status: 'fulfilled', value: true });
      assert.equal(boom.status, 'rejected');
      const err = (boom as PromiseRejectedResult).reason as Error & { code?: string };
      assert.equal(err.code, 'STORE_UNAVAILABLE');
      assert.match(err.message, /simulated write failure/);
      assert.deepEqual(c, { status: 'fulfilled', value: 1 });
      assert.deepEqual(a2, { status: 'fulfilled', value: false });
      assert.deepEqual(d, { status: 'fulfilled', value: 'x' });
      const reader = new Database(file, { readonly: true }); // another connection sees only committed rows
      try {
        assert.deepEqual(reader.prepare("SELECT key, value FROM kv WHERE key IN ('a', 'boom', 'c') ORDER BY key").raw().all(), [
          ['a', 'x'],
          ['c', '1'],
        ]);
      } finally {
        reader.close();
      }
      assert.equal(await s.get('boom'), null);
      assert.equal(await s.increment('c', 60_000), 2, 'the increment counted once');
      // The store keeps working after a failed batch.
      assert.deepEqual(await Promise.all([s.claim('b', 60_000), s.claim('b', 60_000)]), [true, false]);
    } finally {
      await s.close();
    }
  });

  it('close() runs the pending operations first: all settle, and their writes are on disk', { timeout: 10_000 }, async () => {
    const file = freshFile();
    const s = openSqliteStore(file);
    const pending = Promise.allSettled([
      s.claim('dedup:wecom:m1', 60_000, 'v1'),
      s.increment('rate:u', 60_000),
      s.set('token', 't'),
      s.get('token'),
    ]);
    await s.close();
    assert.deepEqual(
      (await pending).map((r) => (r.status === 'fulfilled' ? r.value : r.reason)),
      [true, 1, undefined, 't'],
    );
    await assert.rejects(s.increment('rate:u', 60_000), { code: 'STORE_UNAVAILABLE' });
    await assert.rejects(s.delete('token'), { code: 'STORE_UNAVAILABLE' });
    const again = openSqliteStore(file);
    try {
      assert.equal(await again.get('dedup:wecom:m1'), 'v1');
      assert.equal(await again.get('token'), 't');
      assert.equal(await again.increment('rate:u', 60_000), 2);
    } finally {
      await again.close();
    }
  });

  it('two processes claiming the same 1000 keys at once: each key is claimed exactly once overall', { timeout: 60_000 }, async () => {
    const file = freshFile();
    await openSqliteStore(file).close(); // create and migrate before both start
    const script = fileURLToPath(new URL('./sqlite-claimer.ts', import.meta.url));
    const COUNT = 1000;
    const children = ['p1', 'p2'].map((name) =>
      fork(script, [file, name, String(COUNT)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    try {
      await Promise.all(children.map((c) => once(c, 'message'))); // both 'ready'
      const results = children.map((c) => once(c, 'message') as Promise<[{ won: number[] }]>);
      for (const c of children) c.send('go');
      const [won1, won2] = (await Promise.all(results)).map(([m]) => m.won) as [number[], number[]];
      const both = won1.filter((k) => new Set(won2).has(k));
      assert.deepEqual(both, [], 'no key claimed by both processes');
      assert.equal(won1.length + won2.length, COUNT, `p1 won ${won1.length}, p2 won ${won2.length}`);
      // What each process was told matches what is stored.
      const db = new Database(file, { readonly: true });
      try {
        const owner = new Map(db.prepare("SELECT key, value FROM kv WHERE key LIKE 'k%'").raw().all() as [string, string][]);
        assert.equal(owner.size, COUNT);
        for (const k of won1) assert.equal(owner.get(`k${k}`), 'p1');
        for (const k of won2) assert.equal(owner.get(`k${k}`), 'p2');
      } finally {
        db.close();
      }
    } finally {
      for (const c of children) if (c.exitCode === null) c.kill();
    }
  });
});

describe('openStores without REDIS_URL', () => {
  it('opens every port on SQLite at embeddedStorePath(dataDir)', async () => {
    const dataDir = join(root, 'data-dir');
    const s = await openStores({ redisUrl: null, dataDir });
    try {
      assert.deepEqual([s.kv.kind, s.notices.kind, s.policies.kind], ['sqlite', 'sqlite', 'sqlite']);
      await s.kv.set('k', 'v');
    } finally {
      await s.close();
    }
    assert.ok(existsSync(embeddedStorePath(dataDir)));
    assert.equal(embeddedStorePath(dataDir), join(dataDir, 'privacy-bot.db'), 'the file name operators back up');
  });
});

describe('SQLite store: purging expired keys', () => {
  it('deletes at most PURGE_MAX_ROWS expired rows per purge, and catches up over later writes', async () => {
    const file = freshFile();
    const s = openSqliteStore(file);
    const reader = new Database(file, { readonly: true });
    const expiredLeft = () => reader.prepare('SELECT count(*) FROM kv WHERE expires_at <= ?').pluck().get(Date.now()) as number;
    try {
      for (let i = 0; i < 1000; i++) await s.increment(`rate:test:${i}`, 20);
      await new Promise((r) => setTimeout(r, 60));
      const before = expiredLeft();
      // Writes one at a time, so each is its own commit and the purge count is exact.
      for (let i = 0; i < PURGE_EVERY_WRITES; i++) await s.set(`k${i}`, 'v');
      assert.equal(before - expiredLeft(), Math.min(before, PURGE_MAX_ROWS), 'one purge deleted at most PURGE_MAX_ROWS rows');
      assert.equal(await s.get('rate:test:999'), null, 'expired keys are invisible before they are purged');
      for (let i = 0; i < PURGE_EVERY_WRITES * Math.ceil(1000 / PURGE_MAX_ROWS); i++) await s.set(`k${i}`, 'v');
      assert.equal(expiredLeft(), 0, 'later purges deleted the rest');
    } finally {
      reader.close();
      await s.close();
    }
  });
});
