import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../../src/store/sqlite.ts';
import { openStore } from '../../../src/store/index.ts';
import { runStoreContract } from './contract.ts';

const root = mkdtempSync(join(tmpdir(), 'privacy-bot-sqlite-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshFile = (): string => join(root, `s${++n}`, 'store.db');

runStoreContract('sqlite', () => openSqliteStore(freshFile()));

describe('SQLite store specifics', () => {
  it('creates missing parent directories and the file', async () => {
    const file = join(root, 'a', 'b', 'c', 'privacy-bot.db');
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

describe('openStore without REDIS_URL', () => {
  it('opens SQLite at <dataDir>/privacy-bot.db', async () => {
    const dataDir = join(root, 'data-dir');
    const s = await openStore({ redisUrl: null, dataDir });
    try {
      assert.equal(s.kind, 'sqlite');
      await s.set('k', 'v');
    } finally {
      await s.close();
    }
    assert.ok(existsSync(join(dataDir, 'privacy-bot.db')));
  });
});
