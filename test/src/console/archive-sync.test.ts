/**
 * The archive sync state on the console (GET /console/api/archive-sync, read only, every role):
 * with WeCom's archive secret configured, against the fake WeCom API (test/fakes/wecom-api.ts,
 * msgaudit): the source's name and its own label, the last attempt and success, the members, the
 * last error code after a failed read (members and last success kept); with the sandbox alone, no
 * sync at all (the page then says "no archive sync configured"). A policy preview on a platform
 * whose statuses come from its archive API says the policy does not make the status.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBot, type TestBot } from '../../helpers/app.ts';
import { startFakeWecom, type FakeWecom } from '../../fakes/wecom-api.ts';
import { signedIn, type ConsoleClient } from '../../helpers/console-client.ts';

const KEYS = { token: 'QDG6eK', encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', corpId: 'wx5823bf96d3bd56c7' };

describe('console archive sync state: WeCom msgaudit configured', () => {
  let fake: FakeWecom;
  let bot: TestBot;
  let auditor: ConsoleClient;
  before(async () => {
    fake = await startFakeWecom({ corpId: KEYS.corpId, secret: 'app-secret', agentId: 1000002, archiveSecret: 'archive-secret' });
    fake.setPermitList(1, ['zhangsan', 'lisi']);
    fake.setPermitList(2, ['wangwu']);
    bot = await startTestBot({
      WECOM_CORP_ID: KEYS.corpId, WECOM_AGENT_ID: '1000002', WECOM_SECRET: 'app-secret',
      WECOM_TOKEN: KEYS.token, WECOM_ENCODING_AES_KEY: KEYS.encodingAESKey, WECOM_API_BASE: fake.url,
      WECOM_ARCHIVE_SECRET: 'archive-secret',
    });
    await bot.core.statuses.sync('wecom')!.syncNow();
    auditor = await signedIn(bot.url, bot.core.store, 'legal.reader', 'auditor');
  });
  after(async () => {
    await bot?.close();
    await fake?.close();
  });

  it('an auditor reads the state: source, its label, last success, members, no error', async () => {
    const r = await auditor.call('GET', '/console/api/archive-sync');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.syncs.length, 1);
    const [s] = r.body.syncs;
    assert.equal(s.platform, 'wecom');
    assert.equal(s.sourceName, 'wecom-msgaudit');
    assert.deepEqual(s.label, { en: 'WeCom archive settings', 'zh-CN': '企业微信存档设置', 'zh-TW': '企業微信存檔設定' });
    assert.equal(s.members, 3);
    assert.equal(s.lastError, null);
    assert.ok(typeof s.intervalMinutes === 'number' && s.intervalMinutes > 0);
    const state = await bot.core.statuses.sync('wecom')!.state();
    assert.equal(s.lastSuccessAt, new Date(state.lastSuccessAt!).toISOString());
    assert.equal(s.lastAttemptAt, new Date(state.lastAttemptAt!).toISOString());
  });

  it('a failed read: the error code is shown, the last success and its members are kept', async () => {
    const before = (await auditor.call('GET', '/console/api/archive-sync')).body.syncs[0];
    fake.failNext(48002, 50, { path: '/cgi-bin/msgaudit/get_permit_user_list' });
    await assert.rejects(bot.core.statuses.sync('wecom')!.syncNow());
    fake.reset();
    const [s] = (await auditor.call('GET', '/console/api/archive-sync')).body.syncs;
    assert.match(s.lastError, /^[A-Z][A-Z0-9_]+$/);
    assert.equal(s.members, 3);
    assert.equal(s.lastSuccessAt, before.lastSuccessAt);
  });

  it('a policy preview for wecom: its statuses come from the archive settings, the policy adds its lines only', async () => {
    const admin = await signedIn(bot.url, bot.core.store, 'hr.admin', 'admin');
    const r = await admin.call('POST', '/console/api/policies/preview', {
      platform: 'wecom', audience: { all: true }, since: '2026-03-01', scope: 'all chats', retention: '3 years', purpose: 'audit', legalBasis: 'PIPL art. 13', viewers: ['Legal'],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, null);
    assert.equal(r.body.statusFromPlatform, true);
    assert.match(r.body.answer.en, /chats are kept for 3 years; .*who may read them: Legal\.$/);
    assert.equal(r.body.warnings.length, 1);
  });

  it("one employee looked up: the status with its source's own label (the page words no platform itself)", async () => {
    const r = await auditor.call('GET', '/console/api/statuses?platform=wecom&userId=zhangsan');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status.source, 'wecom-msgaudit');
    assert.deepEqual(r.body.sourceLabel, bot.core.statuses.describe('wecom-msgaudit')!.label);
    assert.equal(r.body.sourceLabel.en, 'WeCom archive settings');
    await bot.core.store.putStatuses([{ platform: 'dingtalk', userId: 'u1', archived: true, since: '2026-03-01', scope: 'all', source: 'import', updatedAt: new Date(0).toISOString() }]);
    const imported = await auditor.call('GET', '/console/api/statuses?platform=dingtalk&userId=u1');
    assert.deepEqual([imported.body.status.source, imported.body.sourceLabel], ['import', null], 'a core source: worded by the page');
  });

  it('the route is read only: no other method', async () => {
    const r = await auditor.call('POST', '/console/api/archive-sync', {});
    assert.ok(r.status === 404 || r.status === 405, String(r.status));
  });
});

describe('console archive sync state: the sandbox alone', () => {
  let bot: TestBot;
  before(async () => {
    bot = await startTestBot({ SANDBOX: 'on' });
  });
  after(async () => {
    await bot?.close();
  });

  it('no archive source configured: an empty list', async () => {
    const c = await signedIn(bot.url, bot.core.store, 'hr.owner', 'owner');
    assert.deepEqual((await c.call('GET', '/console/api/platforms')).body.platforms, ['sandbox']);
    const r = await c.call('GET', '/console/api/archive-sync');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { syncs: [] });
  });
});
