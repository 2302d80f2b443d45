import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { archiveTokenCacheKey, createWecomArchiveSource, WECOM_EDITION_SCOPES, WECOM_MSGAUDIT_SOURCE, type WecomArchiveSource } from '../../../adapters/wecom/msgaudit.ts';
import { createWecomClient, tokenCacheKey } from '../../../adapters/wecom/outbound.ts';
import { createWecomAdapter } from '../../../adapters/wecom/index.ts';
import type { WecomConfig } from '../../../adapters/wecom/config.ts';
import { createLogger } from '../../../src/log.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import { startFakeWecom, type FakeWecom } from '../../fakes/wecom-api.ts';

const CORP = 'wwmsgaudittest';
const AGENT = 1000011;
const log = createLogger('silent');

let fake: FakeWecom;
let store: Store;
let dir: string;
let config: WecomConfig;
let source: WecomArchiveSource;

const calls = (path: string) => fake.requests.filter((r) => r.path === path);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wecom-msgaudit-'));
  store = openSqliteStore(join(dir, 'kv.db'));
  fake = await startFakeWecom({ corpId: CORP, secret: 'app-secret', archiveSecret: 'archive-secret', agentId: AGENT });
  config = { corpId: CORP, agentId: AGENT, secret: 'app-secret', token: 't', encodingAESKey: 'k'.repeat(43), apiBase: fake.url };
});
after(async () => {
  await fake.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  fake.reset();
  for (const t of [1, 2, 3] as const) fake.setPermitList(t, []);
  await store.delete(tokenCacheKey(CORP, AGENT));
  await store.delete(archiveTokenCacheKey(CORP, 'archive-secret'));
  source = createWecomArchiveSource({ wecom: config, archiveSecret: 'archive-secret', kv: store, log, client: { backoffMs: 5 } });
});

test('get_permit_user_list is read for editions 1, 2 and 3; each member gets the highest edition and its scope', async () => {
  fake.setPermitList(1, ['alice', 'bob']);
  fake.setPermitList(2, ['bob', 'carol']);
  fake.setPermitList(3, ['dave', 'alice']);
  const editions = await source.permitUsers();
  assert.deepEqual(Object.fromEntries(editions), { alice: 3, bob: 2, carol: 2, dave: 3 });
  assert.deepEqual(calls('/cgi-bin/msgaudit/get_permit_user_list').map((r) => r.json), [{ type: 1 }, { type: 2 }, { type: 3 }]);
  const archived = await source.listArchived();
  assert.equal(archived.get('bob')!.scope, WECOM_EDITION_SCOPES[2]);
  assert.equal(archived.get('alice')!.scope, WECOM_EDITION_SCOPES[3]);
  assert.equal(source.platform, 'wecom');
  assert.equal(source.sourceName, WECOM_MSGAUDIT_SOURCE);
});

test('msgaudit calls use a token from the archive secret, cached under its own key, apart from the app token', async () => {
  fake.setPermitList(1, ['alice']);
  await source.listArchived();
  const archiveToken = await store.get(archiveTokenCacheKey(CORP, 'archive-secret'));
  assert.ok(archiveToken);
  assert.equal(await store.get(tokenCacheKey(CORP, AGENT)), null, 'the app token was not touched');
  assert.ok(calls('/cgi-bin/msgaudit/get_permit_user_list').every((r) => r.query['access_token'] === archiveToken));
  assert.deepEqual(calls('/cgi-bin/gettoken').map((r) => r.query['corpsecret']), ['archive-secret']);
  // A second read reuses the cached token; another secret gets another key.
  await source.listArchived();
  assert.equal(fake.tokenRequests, 1);
  assert.notEqual(archiveTokenCacheKey(CORP, 'other'), archiveTokenCacheKey(CORP, 'archive-secret'));
});

test('the app secret gets 48002 from msgaudit (which is why the archive secret is needed)', async () => {
  const app = createWecomClient({ corpId: CORP, agentId: AGENT, secret: 'app-secret', apiBase: fake.url, kv: store, log, backoffMs: 5 });
  await assert.rejects(app.call('POST', '/cgi-bin/msgaudit/get_permit_user_list', { body: { type: 1 } }), { code: 'WECOM_API_ERROR', errcode: 48002 });
});

test('a wrong archive secret fails with WECOM_TOKEN_FAILED naming WECOM_ARCHIVE_SECRET', async () => {
  const bad = createWecomArchiveSource({ wecom: config, archiveSecret: 'wrong', kv: store, log, client: { backoffMs: 5 } });
  await assert.rejects(bad.listArchived(), (e: Error & { code: string; errcode: number }) => {
    assert.equal(e.code, 'WECOM_TOKEN_FAILED');
    assert.equal(e.errcode, 40001);
    assert.match(e.message, /WECOM_ARCHIVE_SECRET/);
    return true;
  });
});

test('an error on any edition fails the whole read (no partial list)', async () => {
  fake.setPermitList(1, ['alice']);
  fake.failNext(301052, 1, { path: '/cgi-bin/msgaudit/get_permit_user_list', after: 1 });
  await assert.rejects(source.listArchived(), { code: 'WECOM_API_ERROR', errcode: 301052 });
});

test('150 external contacts: externalcontact/list with the app token, check_single_agree in two batches (100 + 50) with exteranalopenid', async () => {
  const ids = Array.from({ length: 150 }, (_, i) => `wm${String(i).padStart(4, '0')}AAAA`);
  fake.setExternalContacts('zhangsan', ids);
  for (const id of ids.slice(0, 40)) fake.setAgreement('zhangsan', id, 'Agree', 1_700_000_000);
  for (const id of ids.slice(40, 50)) fake.setAgreement('zhangsan', id, 'Disagree');
  // Another member's contacts and answers must not leak in.
  fake.setExternalContacts('lisi', ['wmLISI1', ids[0]!]);
  fake.setAgreement('lisi', ids[0]!, 'Disagree');

  const counts = await source.externalConsent('zhangsan');
  assert.deepEqual(counts, { agree: 40, disagree: 10, defaultAgree: 100, total: 150 });

  const list = calls('/cgi-bin/externalcontact/list');
  assert.equal(list.length, 1);
  assert.equal(list[0]!.query['userid'], 'zhangsan');
  const appToken = await store.get(tokenCacheKey(CORP, AGENT));
  assert.equal(list[0]!.query['access_token'], appToken, 'externalcontact/list uses the app token');

  const checks = calls('/cgi-bin/msgaudit/check_single_agree');
  assert.deepEqual(checks.map((r) => (r.json as { info: unknown[] }).info.length), [100, 50]);
  for (const r of checks) {
    assert.equal(r.answer.errcode, 0);
    for (const item of (r.json as { info: Record<string, string>[] }).info) {
      assert.deepEqual(Object.keys(item).sort(), ['exteranalopenid', 'userid']);
      assert.equal(item['userid'], 'zhangsan');
    }
  }
  const info = await source.checkSingleAgree('zhangsan', ids.slice(0, 1));
  assert.deepEqual(info.get(ids[0]!), { externalId: ids[0], status: 'Agree', changedAt: 1_700_000_000_000 });
});

test('a member without customers (84061) has 0 contacts and no consent call is made', async () => {
  const counts = await source.externalConsent('nobody');
  assert.deepEqual(counts, { agree: 0, disagree: 0, defaultAgree: 0, total: 0 });
  assert.equal(calls('/cgi-bin/externalcontact/list')[0]!.answer.errcode, 84061);
  assert.equal(calls('/cgi-bin/msgaudit/check_single_agree').length, 0);
});

test('an app not allowed to read customers (48002 on externalcontact/list) fails the consent read', async () => {
  fake.setExternalContacts('zhangsan', ['wm1']);
  fake.failNext(48002, 1, { path: '/cgi-bin/externalcontact/list' });
  await assert.rejects(source.externalConsent('zhangsan'), { code: 'WECOM_API_ERROR', errcode: 48002 });
});

test('the fake refuses check_single_agree with more than 100 items or the wrong field spelling', async () => {
  await source.listArchived();
  const token = (await store.get(archiveTokenCacheKey(CORP, 'archive-secret')))!;
  const post = async (info: unknown) => {
    const res = await fetch(`${fake.url}/cgi-bin/msgaudit/check_single_agree?access_token=${token}`, { method: 'POST', body: JSON.stringify({ info }) });
    return (await res.json()) as { errcode: number };
  };
  assert.equal((await post(Array.from({ length: 101 }, (_, i) => ({ userid: 'u', exteranalopenid: `wm${i}` })))).errcode, 40058);
  assert.equal((await post([{ userid: 'u', externalopenid: 'wm1' }])).errcode, 40058);
  assert.equal((await post([{ userid: 'u', exteranalopenid: 'wm1' }])).errcode, 0);
});

test('the adapter exposes archiveSource only with the archive block, and always a notice channel', async () => {
  const ctx = { handle: async () => { throw new Error('unused'); }, kv: store, log, now: Date.now, background: () => undefined };
  const without = createWecomAdapter(config, ctx);
  assert.equal(without.archiveSource, undefined);
  assert.equal(without.noticeChannel.platform, 'wecom');
  const withArchive = createWecomAdapter(config, ctx, { archive: { secret: 'archive-secret', syncMinutes: 10 } });
  fake.setPermitList(2, ['zhangsan']);
  assert.deepEqual([...(await withArchive.archiveSource!.listArchived()).keys()], ['zhangsan']);
});
