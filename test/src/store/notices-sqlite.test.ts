import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteNoticeStore } from '../../../src/store/notices-sqlite.ts';
import { openSqliteStore } from '../../../src/store/sqlite.ts';
import { runNoticeStoreContract } from './notices-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'notices-sqlite-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = () => join(dir, `db${++n}`, 'privacy-bot.db');

runNoticeStoreContract('sqlite', () => openSqliteNoticeStore(file()));

describe('SQLite notice store specifics', () => {
  it('shares the file with the main store, each with its own schema version', async () => {
    const f = file();
    const main = openSqliteStore(f);
    const notices = openSqliteNoticeStore(f);
    try {
      await main.set('k', 'v');
      await notices.createNotice('n1', { title: { zh: 'a', en: 'a' }, body: { zh: 'b', en: 'b' } }, 1);
      assert.equal(await main.get('k'), 'v');
      assert.equal((await notices.getNoticeVersion('n1'))?.version, 1);
    } finally {
      await notices.close();
      await main.close();
    }
    const reopened = openSqliteNoticeStore(f);
    assert.equal((await reopened.getNoticeVersion('n1'))?.title.zh, 'a', 'survives a reopen');
    await reopened.close();
  });

  it('the audit table refuses UPDATE and DELETE', async () => {
    const f = file();
    const s = openSqliteNoticeStore(f);
    await s.createNotice('n1', { title: { zh: 'a', en: 'a' }, body: { zh: 'b', en: 'b' } }, 1);
    await s.createBroadcast({ id: 'b1', noticeId: 'n1', version: 1, platform: 'wecom', audience: { all: true }, readSupported: false, createdBy: 'test' }, 1);
    await s.close();
    const db = new Database(f);
    try {
      assert.throws(() => db.prepare("UPDATE audit SET reason = 'x'").run(), /append-only/);
      assert.throws(() => db.prepare('DELETE FROM audit').run(), /append-only/);
      assert.equal((db.prepare('SELECT count(*) FROM audit').pluck().get() as number), 1);
    } finally {
      db.close();
    }
  });

  it('refuses a file with a newer notice schema, naming the file', async () => {
    const f = file();
    (await openSqliteNoticeStore(f)).close();
    const db = new Database(f);
    db.prepare('UPDATE notice_schema_version SET version = 99').run();
    db.close();
    assert.throws(() => openSqliteNoticeStore(f), (e: Error & { code?: string }) => e.code === 'STORE_UNAVAILABLE' && e.message.includes(f) && /newer/.test(e.message));
  });

  it('a closed store rejects with STORE_UNAVAILABLE', async () => {
    const s = openSqliteNoticeStore(file());
    await s.close();
    await s.close();
    await assert.rejects(s.listNotices(), { code: 'STORE_UNAVAILABLE' });
  });
});
