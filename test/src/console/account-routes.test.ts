/**
 * The owner's account management over real HTTP (the bot on loopback, embedded store): add with a
 * one-time password shown once, change role, reset, remove, link / unlink platform identities; only
 * the owner may (an admin and an auditor get 403), every change needs the CSRF token, every change is
 * in the audit trail with the owner's name, the last owner can be neither removed nor demoted, an
 * identity links to one account only; and the CLI `admin link` / `unlink` on the same store.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBot, type TestBot } from '../../helpers/app.ts';
import { ConsoleClient, signedIn } from '../../helpers/console-client.ts';
import { AccountStore } from '../../../src/console/accounts.ts';
import { ConsoleAudit } from '../../../src/console/sessions.ts';
import { runAdminCommand } from '../../../src/console/cli.ts';
import { LOGIN_PLATFORMS } from '../../../adapters/login.ts';
import { ADAPTER_CONSOLE_TEXTS } from '../../../adapters/errors.ts';

describe('console accounts page API (owner only)', () => {
  let bot: TestBot;
  let owner: ConsoleClient;
  let accounts: AccountStore;
  before(async () => {
    bot = await startTestBot({}, { noticeWorker: false });
    owner = await signedIn(bot.url, bot.core.store, 'boss', 'owner');
    accounts = new AccountStore(bot.core.store, Date.now, LOGIN_PLATFORMS);
  });
  after(async () => {
    await bot.close();
  });

  it('add shows the one-time password once; it works for the first sign-in; the list shows role, links, must-change and last sign-in', async () => {
    const a = await owner.call('POST', '/console/api/accounts', { name: 'hr.chen', role: 'admin' });
    assert.equal(a.status, 201);
    assert.equal(a.headers.get('cache-control'), 'no-store');
    assert.match(a.body.password, /^[A-Za-z0-9]{20}$/);
    assert.equal(a.body.account.mustChange, true);
    assert.equal((await owner.call('POST', '/console/api/accounts', { name: 'hr.chen', role: 'admin' })).status, 409);
    assert.equal((await owner.call('POST', '/console/api/accounts', { name: 'bad name', role: 'admin' })).status, 400);
    assert.equal((await owner.call('POST', '/console/api/accounts', { name: 'x', role: 'god' })).status, 400);
    const c = new ConsoleClient(bot.url);
    assert.equal((await c.signIn('hr.chen', a.body.password)).body.mustChange, true);
    const list = (await owner.call('GET', '/console/api/accounts')).body.accounts as { name: string; links: unknown[]; lastSignInAt?: number; mustChange: boolean }[];
    const chen = list.find((x) => x.name === 'hr.chen')!;
    assert.deepEqual(chen.links, []);
    assert.equal(chen.mustChange, true);
    assert.ok(chen.lastSignInAt, 'the sign-in is noted');
    assert.ok(!('hash' in chen));
  });

  it('the list names the platforms accounts may be linked to as the adapters describe them (name, which user id); the adapters\' error texts are served', async () => {
    const r = await owner.call('GET', '/console/api/accounts');
    assert.deepEqual(r.body.platforms, LOGIN_PLATFORMS.map(({ id, label, userIdHint }) => ({ id, label, userIdHint })), 'with which id to enter, in the adapter\'s words');
    assert.ok(r.body.platforms.some((p: { id: string; label: { zh: string } }) => p.id === 'wecom' && p.label.zh === '企业微信'));
    const texts = await new ConsoleClient(bot.url).call('GET', '/console/api/error-texts');
    assert.equal(texts.status, 200);
    assert.equal(texts.body.codes.zh.DINGTALK_UNKNOWN_DEPARTMENT, ADAPTER_CONSOLE_TEXTS.DINGTALK_UNKNOWN_DEPARTMENT!.zh);
    assert.equal(texts.body.codes.en.FEISHU_BAD_AUDIENCE, ADAPTER_CONSOLE_TEXTS.FEISHU_BAD_AUDIENCE!.en);
    assert.deepEqual(Object.keys(texts.body.codes.en).sort(), Object.keys(ADAPTER_CONSOLE_TEXTS).sort());
  });

  it('role change, reset (a new one-time password that replaces the old) and removal, each audited with the owner’s name', async () => {
    await owner.call('POST', '/console/api/accounts', { name: 'temp', role: 'auditor' });
    const r = await owner.call('PUT', '/console/api/accounts/temp/role', { role: 'admin' });
    assert.equal(r.status, 200);
    assert.equal(r.body.account.role, 'admin');
    const reset = await owner.call('POST', '/console/api/accounts/temp/reset');
    assert.equal(reset.status, 200);
    assert.equal((await new ConsoleClient(bot.url).signIn('temp', reset.body.password)).status, 200);
    assert.equal((await owner.call('DELETE', '/console/api/accounts/temp')).status, 200);
    assert.equal(await accounts.get('temp'), null);
    assert.equal((await owner.call('DELETE', '/console/api/accounts/temp')).status, 404);
    const entries = await new ConsoleAudit(bot.core.store).recent(10);
    const mine = entries.filter((e) => e.actor === 'boss' && e.target === 'temp').map((e) => `${e.action} ${e.status}`);
    for (const want of ['PUT /console/api/accounts/:name/role 200', 'POST /console/api/accounts/:name/reset 200', 'DELETE /console/api/accounts/:name 200', 'DELETE /console/api/accounts/:name 404']) {
      assert.ok(mine.includes(want), `${want} in ${JSON.stringify(mine)}`);
    }
    assert.ok(entries.some((e) => e.action === 'POST /console/api/accounts' && e.target === 'temp' && e.actor === 'boss'), 'the add names the account');
  });

  it('the last owner can be neither demoted nor removed; with a second owner it can', async () => {
    const d = await owner.call('PUT', '/console/api/accounts/boss/role', { role: 'admin' });
    assert.equal(d.status, 409);
    assert.equal(d.body.error.code, 'CONSOLE_LAST_OWNER');
    assert.equal((await owner.call('DELETE', '/console/api/accounts/boss')).body.error.code, 'CONSOLE_LAST_OWNER');
    await owner.call('POST', '/console/api/accounts', { name: 'boss2', role: 'owner' });
    assert.equal((await owner.call('PUT', '/console/api/accounts/boss2/role', { role: 'auditor' })).status, 200, 'boss stays owner');
    assert.equal((await accounts.get('boss'))!.role, 'owner');
  });

  it('link / unlink platform identities: WeCom ids lower case, one account per identity, bad input refused', async () => {
    const l = await owner.call('POST', '/console/api/accounts/hr.chen/links', { platform: 'wecom', userId: 'ChenHR' });
    assert.equal(l.status, 200);
    assert.deepEqual(l.body.account.links, [{ platform: 'wecom', userId: 'chenhr' }]);
    assert.equal((await owner.call('POST', '/console/api/accounts/hr.chen/links', { platform: 'feishu', userId: 'ou_chen' })).status, 200);
    const taken = await owner.call('POST', '/console/api/accounts/boss/links', { platform: 'wecom', userId: 'chenhr' });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.error.code, 'CONSOLE_LINK_TAKEN');
    assert.equal((await owner.call('POST', '/console/api/accounts/hr.chen/links', { platform: 'qq', userId: 'x' })).status, 400);
    assert.equal((await owner.call('POST', '/console/api/accounts/hr.chen/links', { platform: 'feishu', userId: 'has space' })).status, 400);
    assert.equal((await accounts.byLink('wecom', 'CHENHR'))!.name, 'hr.chen');
    const u = await owner.call('DELETE', '/console/api/accounts/hr.chen/links?platform=wecom&userId=chenhr');
    assert.equal(u.status, 200);
    assert.deepEqual(u.body.account.links, [{ platform: 'feishu', userId: 'ou_chen' }]);
    assert.equal((await owner.call('DELETE', '/console/api/accounts/hr.chen/links?platform=wecom&userId=chenhr')).body.error.code, 'CONSOLE_LINK_NOT_FOUND');
    const entry = (await new ConsoleAudit(bot.core.store).recent(20)).find((e) => e.action === 'POST /console/api/accounts/:name/links' && e.status === 200);
    assert.equal(entry?.target, 'hr.chen feishu:ou_chen');
  });

  it('only the owner: an admin and an auditor get 403 and nothing changes; no CSRF token → 403', async () => {
    const admin = await signedIn(bot.url, bot.core.store, 'ops', 'admin');
    const auditor = await signedIn(bot.url, bot.core.store, 'audit', 'auditor');
    for (const c of [admin, auditor]) {
      const r = await c.call('POST', '/console/api/accounts', { name: 'sneaky', role: 'owner' });
      assert.equal(r.status, 403);
      assert.equal(r.body.error.code, 'CONSOLE_FORBIDDEN');
      assert.equal((await c.call('PUT', `/console/api/accounts/${c === admin ? 'ops' : 'audit'}/role`, { role: 'owner' })).status, 403, 'no self-promotion');
      assert.equal((await c.call('POST', '/console/api/accounts/ops/links', { platform: 'wecom', userId: 'me' })).status, 403);
    }
    assert.equal(await accounts.get('sneaky'), null);
    const noCsrf = await owner.call('POST', '/console/api/accounts', { name: 'sneaky', role: 'admin' }, { csrf: false });
    assert.equal(noCsrf.status, 403);
    assert.equal(noCsrf.body.error.code, 'CONSOLE_CSRF');
    assert.equal((await owner.call('DELETE', '/console/api/accounts/ops', undefined, { csrf: 'wrong' })).status, 403);
    assert.ok(await accounts.get('ops'));
    assert.equal((await new ConsoleClient(bot.url).call('POST', '/console/api/accounts', { name: 'anon', role: 'owner' })).status, 401);
  });

  it('CLI: admin link / unlink on the same store; bad platform is a usage error (exit 2); a taken identity exit 1', async () => {
    const out: string[] = [];
    const w = (s: string) => void out.push(s);
    assert.equal(await runAdminCommand(bot.config, ['link', 'ops', '--platform', 'dingtalk', '--user-id', 'manager7'], LOGIN_PLATFORMS, w), 0);
    assert.match(out.join(''), /dingtalk:manager7/);
    assert.equal((await accounts.byLink('dingtalk', 'manager7'))!.name, 'ops');
    assert.equal(await runAdminCommand(bot.config, ['link', 'audit', '--platform', 'dingtalk', '--user-id', 'manager7'], LOGIN_PLATFORMS, w), 1);
    assert.equal(await runAdminCommand(bot.config, ['link', 'ops', '--platform', 'qq', '--user-id', 'x'], LOGIN_PLATFORMS, w), 2);
    assert.equal(await runAdminCommand(bot.config, ['link', 'ops'], LOGIN_PLATFORMS, w), 2);
    assert.equal(await runAdminCommand(bot.config, ['unlink', 'ops', '--platform', 'dingtalk', '--user-id', 'manager7'], LOGIN_PLATFORMS, w), 0);
    assert.equal(await accounts.byLink('dingtalk', 'manager7'), null);
    const entries = await new ConsoleAudit(bot.core.store).recent(5);
    assert.ok(entries.some((e) => e.actor === 'cli' && e.action === 'admin unlink' && e.target === 'ops dingtalk:manager7'));
  });
});
