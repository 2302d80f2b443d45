import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createWecomArchiveSource } from '../../../adapters/wecom/msgaudit.ts';
import { createArchiveSync, type ArchiveSync } from '../../../src/archiving/sync.ts';
import { WECOM_ARCHIVE_LABEL, WECOM_EDITION_SCOPES, WECOM_MSGAUDIT_SOURCE, WECOM_SCOPE_TEXTS } from '../../../adapters/wecom/msgaudit.ts';
import { formatStatus, importStatuses, type DescribeSource } from '../../../src/archiving/status.ts';
import { PLATFORM_IDS } from '../../../adapters/platforms.ts';
import { loadConfig } from '../../../src/app/config.ts';
import type { WecomConfig } from '../../../adapters/wecom/config.ts';
import { ConfigError } from '../../../src/errors.ts';
import { createLogger } from '../../../src/log.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import { openRedisStore } from '../../../src/store/redis/store.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import { startFakeWecom, type FakeWecom } from '../../fakes/wecom-api.ts';

/** WeCom's archive source as it describes itself (adapters/wecom/msgaudit.ts). */
const wecomSource: DescribeSource = (name) => (name === WECOM_MSGAUDIT_SOURCE ? { label: WECOM_ARCHIVE_LABEL, scopeTexts: WECOM_SCOPE_TEXTS, synced: true } : undefined);

const CORP = 'wwsynctest';
const log = createLogger('silent');
const DAY = 24 * 3600 * 1000;
const PERMIT = '/cgi-bin/msgaudit/get_permit_user_list';

let fake: FakeWecom;
let dir: string;
let config: WecomConfig;
const opened: Store[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'archive-sync-'));
  fake = await startFakeWecom({ corpId: CORP, secret: 'app', archiveSecret: 'arch', agentId: 1000002 });
  config = { corpId: CORP, agentId: 1000002, secret: 'app', token: 't', encodingAESKey: 'k'.repeat(43), apiBase: fake.url };
});
after(async () => {
  for (const s of opened) await s.close();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  fake.reset();
  for (const t of [1, 2, 3] as const) fake.setPermitList(t, []);
});

/** A fresh store, the real WeCom source against the fake, and a clock the test moves. */
function setup(store: Store = openSqliteStore(join(dir, `${randomUUID()}.db`))) {
  opened.push(store);
  const clock = { t: Date.parse('2026-05-01T02:00:00.000Z') };
  const source = createWecomArchiveSource({ wecom: config, archiveSecret: 'arch', kv: store, log, client: { backoffMs: 5 } });
  const sync = createArchiveSync({ store, source, intervalMs: 10 * 60_000, log, now: () => clock.t });
  return { store, clock, source, sync };
}

const permitCalls = () => fake.requests.filter((r) => r.path === PERMIT).length;

test('the first sync writes every listed member as archived from wecom-msgaudit, with the edition scope', async () => {
  const { store, clock, sync } = setup();
  await importStatuses(store, 'platform,userId,archived,since,scope\nwecom,bob,true,2025-01-01,imported\nwecom,dave,true,2025-02-01,imported\n', PLATFORM_IDS);
  fake.setPermitList(1, ['alice']);
  fake.setPermitList(2, ['bob']);
  fake.setPermitList(3, ['carol']);
  const out = await sync.syncNow();
  assert.deepEqual(out, { ran: true, archived: 3, joined: 3, left: 0, at: clock.t });
  const iso = new Date(clock.t).toISOString();
  assert.deepEqual(await store.getStatus('wecom', 'alice'), {
    platform: 'wecom', userId: 'alice', archived: true, since: null, scope: WECOM_EDITION_SCOPES[1], source: 'wecom-msgaudit', updatedAt: iso,
  });
  assert.equal((await store.getStatus('wecom', 'bob'))!.since, '2025-01-01', 'since kept from the earlier import');
  assert.equal((await store.getStatus('wecom', 'carol'))!.scope, WECOM_EDITION_SCOPES[3]);
  // Not on the list: WeCom is the truth now, whatever was imported.
  for (const who of ['dave', 'nobody']) {
    assert.deepEqual(await sync.statusOf(who), { platform: 'wecom', userId: who, archived: false, since: null, scope: null, source: 'wecom-msgaudit', updatedAt: iso });
  }
  const state = await sync.state();
  assert.deepEqual(state, { lastAttemptAt: clock.t, lastSuccessAt: clock.t, lastError: null, members: 3 });
});

test('a list that changes between syncs: leavers become not archived since the sync date, joiners archived since then', async () => {
  const { store, clock, sync } = setup();
  fake.setPermitList(1, ['alice', 'bob']);
  await sync.syncNow();
  clock.t += DAY; // 2026-05-02
  fake.setPermitList(1, ['bob']);
  fake.setPermitList(3, ['bob', 'erin']);
  assert.deepEqual(await sync.syncNow(), { ran: true, archived: 2, joined: 1, left: 1, at: clock.t });
  const second = new Date(clock.t).toISOString();
  assert.deepEqual(await store.getStatus('wecom', 'alice'), {
    platform: 'wecom', userId: 'alice', archived: false, since: '2026-05-02', scope: null, source: 'wecom-msgaudit', updatedAt: second,
  });
  assert.deepEqual(
    { ...(await store.getStatus('wecom', 'erin'))! },
    { platform: 'wecom', userId: 'erin', archived: true, since: '2026-05-02', scope: WECOM_EDITION_SCOPES[3], source: 'wecom-msgaudit', updatedAt: second },
  );
  const bob = (await store.getStatus('wecom', 'bob'))!;
  assert.equal(bob.since, null, 'bob was archived before the first sync: start unknown');
  assert.equal(bob.scope, WECOM_EDITION_SCOPES[3], 'upgraded edition');

  clock.t += DAY; // 2026-05-03, no change
  assert.deepEqual(await sync.syncNow(), { ran: true, archived: 2, joined: 0, left: 0, at: clock.t });
  const alice = (await sync.statusOf('alice'))!;
  assert.equal(alice.since, '2026-05-02', 'the leave date stays');
  assert.equal(alice.updatedAt, new Date(clock.t).toISOString(), 'checked at the last sync');
  assert.equal((await store.getStatus('wecom', 'erin'))!.since, '2026-05-02');
  // What the employee reads: where it comes from and when it was checked.
  assert.equal(formatStatus(alice, 'en', wecomSource), 'Your archiving status: not archived since 2026-05-02 (source: WeCom archive settings, last checked 2026-05-03 02:00 UTC).');
  assert.match(formatStatus((await sync.statusOf('erin'))!, 'zh-CN', wecomSource), /自 2026-05-02 起已存档，范围：内部及外部聊天和音视频通话（企业版）（来源：企业微信存档设置，最近查询于 2026-05-03 02:00 UTC）/);

  fake.setPermitList(1, ['alice']);
  clock.t += DAY;
  await sync.syncNow();
  assert.equal((await store.getStatus('wecom', 'alice'))!.since, '2026-05-04', 'back on the list: since the re-join');
});

test('on demand: a question within 60 s of the last sync reads the store; after that it refreshes first', async () => {
  const { clock, sync } = setup();
  fake.setPermitList(2, ['zhangsan']);
  await sync.syncNow();
  fake.reset();
  clock.t += 59_000;
  assert.equal((await sync.statusOf('zhangsan'))!.archived, true);
  assert.equal(permitCalls(), 0);
  fake.setPermitList(2, []);
  clock.t += 2_000;
  const now = (await sync.statusOf('zhangsan'))!;
  assert.equal(permitCalls(), 3, 'one refresh (three editions)');
  assert.equal(now.archived, false);
  assert.equal(now.since, '2026-05-01');
});

test('a failing source changes nothing, is not retried on every question, and is retried after 60 s', async () => {
  const { store, clock, sync } = setup();
  fake.setPermitList(1, ['alice']);
  await sync.syncNow();
  const before = await store.getStatus('wecom', 'alice');
  clock.t += 120_000;
  fake.reset();
  fake.failNext(301052, 10, { path: PERMIT });
  fake.setPermitList(1, []);
  const answer = await sync.statusOf('alice');
  assert.equal(answer!.archived, true, 'the last good data');
  assert.deepEqual(await store.getStatus('wecom', 'alice'), before);
  const state = await sync.state();
  assert.equal(state.lastError, 'WECOM_API_ERROR');
  assert.equal(state.lastAttemptAt, clock.t);
  assert.equal(permitCalls(), 1);
  clock.t += 10_000;
  await sync.statusOf('alice');
  assert.equal(permitCalls(), 1, 'no new attempt right after a failure');
  await assert.rejects(sync.syncNow(), { errcode: 301052 });
  fake.reset();
  clock.t += 61_000;
  assert.equal((await sync.statusOf('alice'))!.archived, false);
  assert.equal((await sync.state()).lastError, null);
});

test('before any successful sync, statusOf returns the stored record (e.g. an import) unchanged', async () => {
  const { store, sync } = setup();
  await importStatuses(store, 'platform,userId,archived,since,scope\nwecom,bob,true,2025-01-01,imported\n', PLATFORM_IDS);
  fake.failNext(48002, 10, { path: PERMIT });
  assert.equal((await sync.statusOf('bob'))!.source, 'import');
  assert.equal(await sync.statusOf('nobody'), null);
});

test('user ids are case-insensitive: a member listed lower-case is found for the id WeCom sends in callbacks', async () => {
  const { sync } = setup();
  fake.setPermitList(1, ['zhangsan']);
  await sync.syncNow();
  const s = (await sync.statusOf('ZhangSan'))!;
  assert.equal(s.archived, true);
  assert.equal(s.userId, 'ZhangSan');
});

test('a record the last sync did not rewrite is not trusted (e.g. the stored member list was lost)', async () => {
  const { store, clock, sync } = setup();
  fake.setPermitList(1, ['alice']);
  await sync.syncNow();
  await store.delete('archive-sync:wecom:members');
  fake.setPermitList(1, []);
  clock.t += DAY;
  await sync.syncNow();
  assert.equal((await store.getStatus('wecom', 'alice'))!.archived, true, 'stale record left in the store');
  assert.equal((await sync.statusOf('alice'))!.archived, false, 'but not shown as archived');
});

test('two instances syncing at once: one takes the store lock, the other skips', async () => {
  const store = openSqliteStore(join(dir, `${randomUUID()}.db`));
  const a = setup(store);
  const b = setup(store);
  fake.setPermitList(1, ['alice']);
  fake.delayNext(200, 1);
  const [ra, rb] = await Promise.all([a.sync.syncNow(), b.sync.syncNow()]);
  assert.deepEqual([ra.ran, rb.ran].sort(), [false, true]);
  assert.equal(permitCalls(), 3);
  assert.equal(await store.get('archive-sync:wecom:lock'), null, 'lock released');
  assert.equal((await b.sync.statusOf('alice'))!.archived, true, 'the other instance sees the result');
});

test('with Redis: two instances on two connections share the lock, the state and the statuses', async (t) => {
  const prefix = `pbtest-archsync-${randomUUID()}:`;
  let r1: Store;
  let r2: Store;
  try {
    r1 = await openRedisStore('redis://127.0.0.1:6379', { keyPrefix: prefix });
    r2 = await openRedisStore('redis://127.0.0.1:6379', { keyPrefix: prefix });
  } catch {
    t.skip('Redis not reachable at 127.0.0.1:6379');
    return;
  }
  const a = setup(r1);
  const b = setup(r2);
  fake.setPermitList(3, ['alice', 'bob']);
  fake.delayNext(200, 1);
  const outs = await Promise.all([a.sync.syncNow(), b.sync.syncNow()]);
  assert.equal(outs.filter((o) => o.ran).length, 1);
  assert.equal(permitCalls(), 3);
  assert.equal((await b.sync.statusOf('bob'))!.scope, WECOM_EDITION_SCOPES[3]);
  assert.deepEqual((await a.sync.state()).members, 2);
  await r1.delete('archive-sync:wecom:state');
  await r1.delete('archive-sync:wecom:members');
});

test('start syncs at once and then on every tick of its schedule; stop cancels the schedule', async () => {
  const store = openSqliteStore(join(dir, `${randomUUID()}.db`));
  opened.push(store);
  const source = createWecomArchiveSource({ wecom: config, archiveSecret: 'arch', kv: store, log });
  const clock = { t: Date.parse('2026-05-01T02:00:00.000Z') };
  // The schedule is injected: the test runs each tick itself and awaits it (no real intervals).
  const scheduled: { tick: () => Promise<void>; ms: number; cancelled: boolean }[] = [];
  const schedule = (tick: () => Promise<void>, ms: number) => {
    const entry = { tick, ms, cancelled: false };
    scheduled.push(entry);
    return () => void (entry.cancelled = true);
  };
  const sync: ArchiveSync = createArchiveSync({ store, source, intervalMs: 600_000, log, now: () => clock.t, schedule });
  fake.setPermitList(1, ['alice']);
  await sync.start();
  assert.equal(permitCalls(), 3, 'first sync done when start resolves');
  assert.equal(scheduled.length, 1);
  assert.equal(scheduled[0]!.ms, 600_000);
  await sync.start();
  assert.equal(scheduled.length, 1, 'a second start does not schedule twice');
  const { tick } = scheduled[0]!;
  clock.t += 600_000;
  await tick();
  assert.equal(permitCalls(), 9, 'a tick one interval later syncs (the second start synced too)');
  clock.t += 60_000;
  await tick();
  assert.equal(permitCalls(), 9, 'a tick within 90 % of the interval after the last attempt does not');
  clock.t += 600_000;
  await tick();
  assert.equal(permitCalls(), 12);
  sync.stop();
  assert.equal(scheduled[0]!.cancelled, true, 'stop cancels the schedule');
  sync.stop();
  await sync.idle();
});

test('the default schedule is a real interval: syncs keep coming until stop', async () => {
  const store = openSqliteStore(join(dir, `${randomUUID()}.db`));
  opened.push(store);
  const source = createWecomArchiveSource({ wecom: config, archiveSecret: 'arch', kv: store, log });
  const sync: ArchiveSync = createArchiveSync({ store, source, intervalMs: 20, log });
  fake.setPermitList(1, ['alice']);
  await sync.start();
  // Waits for the event (two more syncs), however slow the machine; 30 s is a failure guard only.
  const guard = Date.now() + 30_000;
  while (permitCalls() < 9) {
    assert.ok(Date.now() < guard, `only ${permitCalls() / 3} syncs after 30 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
  sync.stop();
  await sync.idle();
});

test('config: WECOM_ARCHIVE_SECRET and WECOM_ARCHIVE_SYNC_MINUTES (default 10), only with WeCom', () => {
  const wecom = {
    WECOM_CORP_ID: 'wx5823bf96d3bd56c7', WECOM_AGENT_ID: '1000002', WECOM_SECRET: 's', WECOM_TOKEN: 'QDG6eK',
    WECOM_ENCODING_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  };
  assert.equal(loadConfig(wecom).wecomArchive, null);
  assert.deepEqual(loadConfig({ ...wecom, WECOM_ARCHIVE_SECRET: 'arch' }).wecomArchive, { secret: 'arch', syncMinutes: 10 });
  assert.equal(loadConfig({ ...wecom, WECOM_ARCHIVE_SECRET: 'arch', WECOM_ARCHIVE_SYNC_MINUTES: '3' }).wecomArchive?.syncMinutes, 3);
  assert.throws(() => loadConfig({ ...wecom, WECOM_ARCHIVE_SECRET: 'a', WECOM_ARCHIVE_SYNC_MINUTES: '0' }), (e: unknown) => e instanceof ConfigError && /^WECOM_ARCHIVE_SYNC_MINUTES is invalid/.test(e.message));
  assert.throws(() => loadConfig({ WECOM_ARCHIVE_SECRET: 'arch' }), (e: unknown) => e instanceof ConfigError && /WECOM_ARCHIVE_SECRET is set but WeCom is not/.test(e.message));
});
