import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { NOTICE_MIGRATIONS, openSqliteNoticeStore } from '../../../src/store/sqlite/notices.ts';
import { openSqliteDatabase } from '../../../src/store/sqlite/open.ts';
import { genesisHash, rowHash } from '../../../src/store/ports/audit-chain.ts';
import { assertLinearChain } from '../../helpers/audit-chain.ts';
import { twoProcessesAppend } from './audit-concurrency.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import { runNoticeStoreContract } from './notices-contract.ts';
import { embeddedStorePath } from '../../../src/store/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'notices-sqlite-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = () => embeddedStorePath(join(dir, `db${++n}`));

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

  it('schema 5 adds optional zh-TW columns: versions written before read back without zh-TW', async () => {
    const f = file();
    const old = openSqliteDatabase(f, { what: 'notice store', versionTable: 'notice_schema_version', migrations: NOTICE_MIGRATIONS.slice(0, 4) });
    const db = old.db;
    db.exec(`INSERT INTO notice (id, latest_version, created_at, updated_at) VALUES ('n1', 1, 1, 1);
             INSERT INTO notice_version (notice_id, version, title_zh, title_en, body_zh, body_en, created_at) VALUES ('n1', 1, '告知', 'Notice', '正文', 'Body', 1);`);
    old.close();
    const s = openSqliteNoticeStore(f);
    try {
      const v1 = await s.getNoticeVersion('n1', 1);
      assert.deepEqual({ title: v1!.title, body: v1!.body }, { title: { zh: '告知', en: 'Notice' }, body: { zh: '正文', en: 'Body' } });
      const v2 = await s.addNoticeVersion('n1', { title: { zh: '告知', en: '', 'zh-TW': '告知' }, body: { zh: '正文', en: '', 'zh-TW': '正文' } }, 2);
      assert.deepEqual((await s.getNoticeVersion('n1', 2))!.title, v2!.title);
    } finally {
      await s.close();
    }
  });

  it('opening a file of notice schema 1 computes the hash chain of the audit rows already there', async () => {
    const f = file();
    const old = openSqliteDatabase(f, { what: 'notice store', versionTable: 'notice_schema_version', migrations: NOTICE_MIGRATIONS.slice(0, 1) });
    const db = old.db;
    db.exec(`INSERT INTO broadcast (id, notice_id, version, platform, audience, read_supported, state, created_by, created_at, updated_at)
             VALUES ('b1', 'n1', 3, 'wecom', '{"all":true}', 0, 'resolving', 'cli', 1, 1);
             INSERT INTO audit (broadcast_id, at, user_id, from_state, to_state, reason) VALUES
               ('b1', 1, NULL, 'none', 'resolving', 'notice n1 v3 on wecom, by cli'),
               ('b9', 5, 'x', 'none', 'pending', 'a row of a broadcast that is gone'),
               ('b1', 2.6, 'u1', 'none', 'pending', 'in the audience');`);
    old.close();

    const s = openSqliteNoticeStore(f);
    try {
      const events = await s.listAudit('b1');
      assertLinearChain(events, { broadcastId: 'b1', noticeId: 'n1', version: 3 });
      assert.deepEqual(events.map((e) => [e.seq, e.at, e.userId]), [[1, 1, null], [2, 3, 'u1']], 'times rounded to integer ms');
      const g = genesisHash({ broadcastId: 'b1', noticeId: 'n1', version: 3 });
      const h1 = rowHash({ seq: 1, prevHash: g, broadcastId: 'b1', at: 1, userId: null, from: 'none', to: 'resolving', reason: 'notice n1 v3 on wecom, by cli' });
      assert.equal(events[0]!.hash, h1);
      assertLinearChain(await s.listAudit('b9'), { broadcastId: 'b9', noticeId: '', version: 0 });
      await s.addRecipients('b1', ['u2'], 7);
      assertLinearChain(await s.listAudit('b1'), { broadcastId: 'b1', noticeId: 'n1', version: 3 });
      assert.equal((await s.auditHead('b1'))?.rows, 3);
    } finally {
      await s.close();
    }
  });

  it('schema 8 records reminder rounds: rounds queued before are read from their audit rows (who asked: not recorded)', async () => {
    const f = file();
    const old = openSqliteDatabase(f, { what: 'notice store', versionTable: 'notice_schema_version', migrations: NOTICE_MIGRATIONS.slice(0, 1) });
    old.db.exec(`INSERT INTO broadcast (id, notice_id, version, platform, audience, read_supported, state, created_by, created_at, updated_at, round)
                 VALUES ('b1', 'n1', 1, 'wecom', '{"all":true}', 0, 'done', 'cli', 1, 20, 2);
                 INSERT INTO audit (broadcast_id, at, user_id, from_state, to_state, reason) VALUES
                   ('b1', 1, NULL, 'none', 'resolving', 'notice n1 v1 on wecom, by cli'),
                   ('b1', 10, NULL, 'done', 'sending', 'reminder round 1 queued for 12 unacknowledged recipient(s)'),
                   ('b1', 11, 'u1', 'sent', 'sent', 'reminder round 1 sent'),
                   ('b1', 20, NULL, 'done', 'sending', 'reminder round 2 queued for 3 unacknowledged recipient(s)');`);
    old.close();
    const s = openSqliteNoticeStore(f);
    try {
      assert.deepEqual(await s.listReminderRounds('b1'), [
        { round: 1, at: 10, queued: 12, by: null },
        { round: 2, at: 20, queued: 3, by: null },
      ]);
    } finally {
      await s.close();
    }
  });

  it('the audit table refuses a row that does not extend its broadcast’s chain', async () => {
    const f = file();
    const s = openSqliteNoticeStore(f);
    await s.createNotice('n1', { title: { zh: 'a', en: 'a' }, body: { zh: 'b', en: 'b' } }, 1);
    await s.createBroadcast({ id: 'b1', noticeId: 'n1', version: 1, platform: 'wecom', audience: { all: true }, readSupported: false, createdBy: 'test' }, 1);
    const [first] = await s.listAudit('b1');
    await s.close();
    const db = new Database(f);
    try {
      const insert = db.prepare(
        `INSERT INTO audit (broadcast_id, at, user_id, from_state, to_state, reason, chain_seq, prev_hash, hash) VALUES ('b1', 2, NULL, 'a', 'b', 'c', ?, ?, ?)`,
      );
      const h = 'f'.repeat(64);
      assert.throws(() => insert.run(null, first!.hash, h), /hash chain/, 'no position');
      assert.throws(() => insert.run(3, first!.hash, h), /hash chain/, 'a gap');
      assert.throws(() => insert.run(1, first!.prevHash, h), /UNIQUE constraint failed: audit.broadcast_id, audit.chain_seq/, 'a fork at position 1');
      assert.throws(() => insert.run(0, first!.hash, h), /hash chain/, 'position 0');
      assert.throws(() => insert.run(2, 'e'.repeat(64), h), /hash chain/, 'not linked to the head');
      assert.throws(() => insert.run(2, first!.hash, null), /hash chain/, 'no hash');
      assert.equal(insert.run(2, first!.hash, h).changes, 1, 'the next link is accepted (its hash is checked by verify, not by SQL)');
    } finally {
      db.close();
    }
  });

  it('two processes appending to one broadcast’s audit at once build one linear hash chain', { timeout: 60_000 }, async () => {
    const f = file();
    const s = openSqliteNoticeStore(f);
    try {
      await twoProcessesAppend(s, { kind: 'sqlite', where: f }, 150);
    } finally {
      await s.close();
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
