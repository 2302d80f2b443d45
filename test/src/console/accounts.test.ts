/**
 * Console accounts and sessions on both shared stores (embedded SQLite, Redis on 127.0.0.1:6379
 * under a private prefix): scrypt hashes, one-time passwords that must be changed, roles, the last
 * owner kept, sessions with an idle timeout on an injected clock, the sign-in throttle, and the
 * CLI `privacy-bot admin …` on the same store.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import { openRedisStore } from '../../../src/store/redis/store.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import { AccountStore, verifyPassword } from '../../../src/console/accounts.ts';
import { ConsoleAudit, MAX_ATTEMPTS_PER_ACCOUNT, MAX_ATTEMPTS_PER_ADDRESS, SessionStore, SignInThrottle } from '../../../src/console/sessions.ts';
import { SHARED_REDIS_URL, uniquePrefix } from '../../resilience/harness.ts';
import { deleteRedisPrefix } from '../../helpers/redis-prefix.ts';
import { REPO_ROOT } from '../../helpers/app.ts';
import { embeddedStorePath } from '../../../src/store/index.ts';

for (const kind of ['sqlite', 'redis'] as const) {
  describe(`console accounts and sessions (${kind} store)`, () => {
    let store: Store;
    let dir: string;
    const prefix = uniquePrefix('console-accounts');
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'console-accounts-'));
      store = kind === 'sqlite' ? await openSqliteStore(embeddedStorePath(dir)) : await openRedisStore(SHARED_REDIS_URL, { keyPrefix: prefix });
    });
    after(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
      if (kind === 'redis') await deleteRedisPrefix(SHARED_REDIS_URL, prefix);
    });

    it('adds accounts with a one-time password stored only as a scrypt hash; list, reset, role, remove', async () => {
      const accounts = new AccountStore(store);
      const { account, password } = await accounts.add('hr.li', 'owner');
      assert.equal(account.mustChange, true);
      assert.match(password, /^[A-Za-z0-9]{20}$/);
      const stored = await accounts.get('hr.li');
      assert.match(stored!.hash, /^scrypt\$32768\$8\$1\$/);
      assert.ok(!stored!.hash.includes(password));
      assert.equal(await verifyPassword(password, stored!.hash), true);
      assert.equal(await verifyPassword(`${password}x`, stored!.hash), false);
      assert.equal((await accounts.verify('hr.li', password))?.name, 'hr.li');
      assert.equal(await accounts.verify('hr.li', 'wrong'), null);
      assert.equal(await accounts.verify('nobody', password), null);

      await assert.rejects(accounts.add('hr.li', 'admin'), { code: 'CONSOLE_ACCOUNT_EXISTS' });
      await assert.rejects(accounts.add('bad name', 'admin'), { code: 'CONSOLE_BAD_ACCOUNT' });
      await assert.rejects(accounts.add('legal', 'root'), { code: 'CONSOLE_BAD_ACCOUNT' });
      await accounts.add('legal', 'auditor');
      assert.deepEqual((await accounts.list()).map((a) => `${a.name}:${a.role}`), ['hr.li:owner', 'legal:auditor']);

      // Password rules, then the one-time mark is gone.
      await assert.rejects(accounts.changePassword('hr.li', 'wrong', 'a-long-new-password'), { code: 'CONSOLE_BAD_PASSWORD' });
      await assert.rejects(accounts.changePassword('hr.li', password, 'short'), { code: 'CONSOLE_BAD_ACCOUNT' });
      await assert.rejects(accounts.changePassword('hr.li', password, 'HR.LI-is-my-password'), { code: 'CONSOLE_BAD_ACCOUNT' });
      // Long enough but guessable: a common word with digits, a number or keyboard run, few different characters.
      for (const weak of ['Password2024!', '123456789012', 'qwertyuiop12', 'aaaaaaaaaaaaaa', 'abcabcabcabc', 'Welcome123456!', '1qaz2wsx3edc4rfv']) {
        await assert.rejects(accounts.changePassword('hr.li', password, weak), { code: 'CONSOLE_BAD_ACCOUNT', message: /too easy to guess/ }, weak);
      }
      assert.equal((await accounts.changePassword('hr.li', password, 'a-long-new-password')).mustChange, false);
      assert.equal(await accounts.verify('hr.li', password), null, 'the one-time password no longer works');
      const reset = await accounts.reset('hr.li');
      assert.equal(reset.account.mustChange, true);
      assert.equal(await accounts.verify('hr.li', 'a-long-new-password'), null);

      // The last owner stays.
      await assert.rejects(accounts.setRole('hr.li', 'admin'), { code: 'CONSOLE_LAST_OWNER' });
      await assert.rejects(accounts.remove('hr.li'), { code: 'CONSOLE_LAST_OWNER' });
      await accounts.setRole('legal', 'owner');
      assert.equal((await accounts.setRole('hr.li', 'admin')).role, 'admin');
      await accounts.remove('hr.li');
      await assert.rejects(accounts.remove('hr.li'), { code: 'CONSOLE_ACCOUNT_NOT_FOUND' });
      assert.deepEqual((await accounts.list()).map((a) => a.name), ['legal']);
    });

    it('sessions end after the idle timeout (injected clock), are refreshed by use, and never hold the token itself', async () => {
      let t = 1_000_000;
      const sessions = new SessionStore(store, 30 * 60_000, () => t);
      const { token, session } = await sessions.create({ name: 'legal', role: 'auditor', mustChange: false });
      assert.equal(await store.get(`console:session:${token}`), null, 'stored under a hash of the token');
      t += 29 * 60_000;
      assert.equal((await sessions.touch(token))?.name, 'legal');
      t += 29 * 60_000;
      assert.equal((await sessions.touch(token))?.csrf, session.csrf, 'use restarts the idle timer');
      t += 31 * 60_000;
      assert.equal(await sessions.touch(token), null, 'idle for 31 minutes: gone');
      assert.equal(await sessions.touch(token), null);
      assert.equal(await sessions.touch('not-a-token'), null);
    });

    it('throttles sign-in per account and per address', async () => {
      const throttle = new SignInThrottle(store);
      for (let i = 0; i < MAX_ATTEMPTS_PER_ACCOUNT; i++) assert.equal(await throttle.attempt('victim', `10.0.0.${i}`), null);
      assert.equal(await throttle.attempt('victim', '10.0.1.1'), 'account', 'from a new address too');
      assert.equal(await throttle.attempt('VICTIM', '10.0.1.2'), 'account', 'names compared case-insensitively');
      assert.equal(await throttle.attempt('someone-else', '10.0.1.3'), null);
      for (let i = 0; i < MAX_ATTEMPTS_PER_ADDRESS; i++) await throttle.attempt(`user${i}`, '10.9.9.9');
      assert.equal(await throttle.attempt('fresh', '10.9.9.9'), 'address');
    });

    it('the audit trail keeps entries newest first', async () => {
      const audit = new ConsoleAudit(store, () => Date.UTC(2026, 11, 5));
      await audit.record({ actor: 'legal', action: 'POST /console/api/policies', status: 201 });
      await audit.record({ actor: 'legal', action: 'DELETE /console/api/policies/:id', status: 200, target: 'p-1' });
      const recent = await audit.recent(2);
      assert.deepEqual(recent.map((e) => e.action), ['DELETE /console/api/policies/:id', 'POST /console/api/policies']);
      assert.equal(recent[0]!.at, '2026-12-05T00:00:00.000Z');
    });
  });
}

describe('privacy-bot admin (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'console-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [join(REPO_ROOT, 'bin/privacy-bot.mjs'), 'admin', ...args], { env: { PATH: process.env.PATH, DATA_DIR: dir, KNOWLEDGE_DIR: join(REPO_ROOT, 'knowledge') }, encoding: 'utf8' });

  it('add prints a one-time password that signs in; list, role, reset, remove; bad input is one line and exit 2', async () => {
    const add = run('add', 'owner1', '--role', 'owner');
    assert.equal(add.status, 0, add.stderr);
    const password = /one-time password[^:]*: (\S+)/.exec(add.stdout)![1]!;
    assert.equal(run('add', 'aud', '--role', 'auditor').status, 0);
    const list = run('list', '--json');
    assert.deepEqual((JSON.parse(list.stdout) as { name: string; role: string }[]).map((a) => `${a.name}:${a.role}`), ['aud:auditor', 'owner1:owner']);
    assert.equal(run('role', 'aud', 'admin').status, 0);
    assert.match(run('list').stdout, /aud\tadmin/);
    const bad = run('add', 'x', '--role', 'root');
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    assert.equal(run('remove', 'owner1').status, 1, 'the last owner cannot be removed');
    assert.equal(run('reset', 'nobody').status, 1);
    assert.equal(run('frobnicate').status, 2);
    const store = await openSqliteStore(embeddedStorePath(dir));
    try {
      assert.ok(await new AccountStore(store).verify('owner1', password));
      const audit = await new ConsoleAudit(store).recent();
      assert.ok(audit.some((e) => e.actor === 'cli' && e.action === 'admin add' && e.target === 'owner1'));
    } finally {
      await store.close();
    }
  });
});
