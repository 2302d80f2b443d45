/**
 * Console sign-in with the work platform in a real browser: playwright-core driving Debian's chromium
 * (/usr/bin/chromium, CHROMIUM_PATH overrides; headless, --no-sandbox --disable-gpu
 * --disable-background-networking), against the real bot on 127.0.0.1 with Feishu configured and a
 * fake Feishu login server reached as `localhost` (another site, so the state cookie really travels
 * back on a cross-site redirect: SameSite=Lax). Skipped when the browser is missing — except with
 * CI=true, where that is a failure.
 *
 * The owner clicks "飞书登录" (the button and the line under it in the Feishu adapter's own words), approves on the fake's page and lands signed in; on the accounts page
 * (owners only) adds an auditor (the one-time password is shown once) and links a Feishu open_id to
 * it; that person then signs in with Feishu as the auditor (no accounts page in the menu); an unlinked
 * person is sent back to the sign-in page with the reason. Screens are captured into
 * test-artifacts/console/ and the accounts page and sign-in page are scanned with axe-core.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_CONTEXT } from '../helpers/browser.ts';
import { REPO_ROOT, startTestBot, type TestBot } from '../helpers/app.ts';
import { AccountStore } from '../../src/console/accounts.ts';
import { ConsoleAudit } from '../../src/console/sessions.ts';
import { FakeFeishuLogin } from '../fakes/login-servers.ts';
import { freePort } from '../helpers/free-port.ts';
import { LOGIN_PLATFORMS } from '../../adapters/login.ts';
import { FEISHU_LOGIN_PLATFORM } from '../../adapters/feishu/login.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'console');
const AXE = join(createRequire(import.meta.url).resolve('axe-core'), '..', 'axe.min.js');
const FEISHU = { appId: 'cli_a1b2c3d4e5f60718', appSecret: 'feishu-secret', tenantKey: 'tenant-ours' };

const missing = !existsSync(CHROMIUM);
if (missing && process.env.CI === 'true') throw new Error(`chromium not found at ${CHROMIUM} (set CHROMIUM_PATH); CI=true does not skip`);

describe('console sign-in with Feishu in a real browser', { skip: missing ? `no browser at ${CHROMIUM} (set CHROMIUM_PATH)` : false }, () => {
  let bot: TestBot;
  let fake: FakeFeishuLogin;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    fake = await new FakeFeishuLogin(FEISHU, [{ openId: 'ou_hr' }, { openId: 'ou_legal' }, { openId: 'ou_stranger' }]).start('localhost');
    const port = await freePort();
    bot = await startTestBot({
      PORT: String(port), CONSOLE_PUBLIC_URL: `http://127.0.0.1:${port}`,
      FEISHU_APP_ID: FEISHU.appId, FEISHU_APP_SECRET: FEISHU.appSecret, FEISHU_VERIFICATION_TOKEN: 'verify-token',
      FEISHU_API_BASE: fake.url.replace('localhost', '127.0.0.1'), FEISHU_ACCOUNTS_BASE: fake.url, FEISHU_TENANT_KEY: FEISHU.tenantKey,
    }, { noticeWorker: false });
    const accounts = new AccountStore(bot.core.store, Date.now, LOGIN_PLATFORMS);
    await accounts.add('hr.wang', 'owner');
    await accounts.link('hr.wang', 'feishu', 'ou_hr');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await (await browser.newContext({ ...ADMIN_CONTEXT, viewport: { width: 1366, height: 768 } })).newPage();
    page.on('pageerror', (e) => errors.push(e.message));
  });
  after(async () => {
    await browser?.close();
    await bot?.close();
    await fake?.close();
  });

  async function signInWithFeishu(who: string): Promise<void> {
    await page.goto(`${bot.url}/console`);
    await page.click('#signin-feishu');
    await page.waitForURL((u) => u.host === new URL(fake.url).host);
    await page.click(`#approve-${who}`);
    await page.waitForURL((u) => u.host === new URL(bot.url).host);
  }

  it('with no language chosen yet, the console follows the browser: Chinese for zh-*, English for en-* and for browsers reading neither (fr, ja)', async () => {
    for (const [locale, submit] of [['zh-CN', '登录'], ['zh-TW', '登录'], ['en-GB', 'Sign in'], ['fr-FR', 'Sign in'], ['ja-JP', 'Sign in']] as const) {
      const ctx = await browser.newContext({ ...ADMIN_CONTEXT, locale, viewport: { width: 1366, height: 768 } });
      try {
        const p = await ctx.newPage();
        p.on('pageerror', (e) => errors.push(e.message));
        await p.goto(`${bot.url}/console`);
        await p.locator('#signin-submit').waitFor();
        assert.equal((await p.locator('#signin-submit').innerText()).replace(/\s+/g, ''), submit.replace(/\s+/g, ''), locale);
      } finally {
        await ctx.close();
      }
    }
  });

  it('the sign-in page offers Feishu; the owner goes through the platform page and lands signed in', async () => {
    await page.goto(`${bot.url}/console`);
    await page.waitForSelector('#signin-feishu');
    assert.equal(await page.locator('#signin-wecom, #signin-dingtalk').count(), 0, 'only configured platforms');
    // The button and the line under it are the adapter's words (FEISHU_LOGIN_PLATFORM), the button described by the line.
    assert.equal(await page.textContent('#signin-feishu'), `${FEISHU_LOGIN_PLATFORM.label.zh}登录`);
    assert.match((await page.textContent('#signin-feishu')) ?? '', /飞书登录/);
    assert.equal(await page.textContent('#signin-hint-feishu'), FEISHU_LOGIN_PLATFORM.signInHint.zh);
    assert.equal(await page.getAttribute('#signin-feishu', 'aria-describedby'), 'signin-hint-feishu');
    await page.screenshot({ path: join(ARTIFACTS, 'signin-platforms-1366x768.png') });
    await signInWithFeishu('ou_hr');
    await page.waitForSelector('#whoami');
    assert.match((await page.textContent('#whoami')) ?? '', /hr\.wang · owner/);
    assert.equal(new URL(page.url()).search, '', 'no error in the address');
    assert.equal(fake.calls('/open-apis/authen/v2/oauth/token').length, 1);
  });

  it('the owner adds an auditor on the accounts page (one-time password shown once) and links a Feishu open_id to it', async () => {
    await page.locator('nav a[href="#/accounts"]').click();
    await page.waitForSelector('#accounts-table');
    await page.getByRole('row').filter({ hasText: 'hr.wang' }).filter({ hasText: 'ou_hr' }).waitFor();
    await page.click('#account-add');
    await page.fill('#account-name', 'legal.zhao');
    await page.locator('.ant-select', { has: page.locator('#account-role') }).click();
    await page.locator('.ant-select-item-option[title^="auditor"]').click();
    await page.click('#account-add-ok');
    const shown = (await page.locator('#one-time-password').textContent())?.trim() ?? '';
    assert.match(shown, /^[A-Za-z0-9]{20}$/);
    await page.screenshot({ path: join(ARTIFACTS, 'accounts-one-time-1366x768.png') });
    await page.click('#one-time-close');
    const row = page.getByRole('row').filter({ hasText: 'legal.zhao' });
    await row.waitFor();
    await row.locator('.account-link').click();
    await page.locator('.ant-select', { has: page.locator('#link-platform') }).click();
    await page.locator('.ant-select-item-option[title="飞书"]').click();
    // Which id to enter: the adapter's words for the chosen platform.
    await page.locator('#link-hint').filter({ hasText: FEISHU_LOGIN_PLATFORM.userIdHint.zh }).waitFor();
    await page.fill('#link-user-id', 'ou_legal');
    await page.click('#link-ok');
    await row.filter({ hasText: 'ou_legal' }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'accounts-1366x768.png'), fullPage: true });
    const stored = await new AccountStore(bot.core.store, Date.now, LOGIN_PLATFORMS).get('legal.zhao');
    assert.equal(stored?.role, 'auditor');
    assert.deepEqual(stored?.links, [{ platform: 'feishu', userId: 'ou_legal' }]);
    const actions = (await new ConsoleAudit(bot.core.store).recent(5)).map((e) => `${e.actor} ${e.action}`);
    assert.ok(actions.includes('hr.wang POST /console/api/accounts/:name/links'), JSON.stringify(actions));
  });

  it('the linked person signs in with Feishu as the auditor (no accounts page); an unlinked person is sent back with the reason', async () => {
    await page.click('#sign-out');
    await page.waitForSelector('#signin-feishu');
    await signInWithFeishu('ou_legal');
    await page.waitForSelector('#whoami');
    assert.match((await page.textContent('#whoami')) ?? '', /legal\.zhao · auditor/);
    assert.equal(await page.locator('nav a[href="#/accounts"]').count(), 0, 'accounts page for owners only');
    await page.click('#sign-out');
    await page.waitForSelector('#signin-feishu');
    await signInWithFeishu('ou_stranger');
    await page.waitForSelector('#login-error');
    assert.match((await page.textContent('#login-error')) ?? '', /没有关联任何控制台账号/);
    assert.equal(new URL(page.url()).search, '', 'the reason is removed from the address bar');
    await page.screenshot({ path: join(ARTIFACTS, 'signin-refused-1366x768.png') });
    const last = (await new ConsoleAudit(bot.core.store).recent(1))[0]!;
    assert.equal(last.action, 'sign-in refused (feishu: not_linked)');
    assert.equal(last.target, 'feishu:ou_stranger');
  });

  it('axe-core: no serious or critical violation on the sign-in page (with its error) and on the accounts page', async () => {
    const ctx = await browser.newContext({ ...ADMIN_CONTEXT, bypassCSP: true, viewport: { width: 390, height: 844 } });
    try {
      const p = await ctx.newPage();
      const found: string[] = [];
      await p.goto(`${bot.url}/console?login_error=other_org`);
      await p.waitForSelector('#login-error');
      await p.waitForSelector('#signin-feishu');
      found.push(...(await axe(p, 'signin')));
      // In English: the adapter's English words.
      await p.evaluate(() => localStorage.setItem('pb-console-lang', 'en'));
      await p.reload();
      await p.locator('#signin-feishu', { hasText: `Sign in with ${FEISHU_LOGIN_PLATFORM.label.en}` }).waitFor();
      assert.equal(await p.textContent('#signin-hint-feishu'), FEISHU_LOGIN_PLATFORM.signInHint.en);
      found.push(...(await axe(p, 'signin en')));
      await p.screenshot({ path: join(ARTIFACTS, 'signin-platforms-en-390x844.png') });
      await p.evaluate(() => localStorage.removeItem('pb-console-lang'));
      await p.goto(`${bot.url}/console?login_error=other_org`);
      await p.waitForSelector('#signin-feishu');
      await p.screenshot({ path: join(ARTIFACTS, 'signin-platforms-390x844.png') });
      await p.click('#signin-feishu');
      await p.click('#approve-ou_hr');
      await p.waitForSelector('#whoami');
      await p.goto(`${bot.url}/console#/accounts`);
      await p.waitForSelector('#accounts-table .ant-table-row');
      found.push(...(await axe(p, 'accounts')));
      await p.screenshot({ path: join(ARTIFACTS, 'accounts-390x844.png'), fullPage: true });
      assert.deepEqual(found, []);
    } finally {
      await ctx.close();
    }
    assert.deepEqual(errors, [], 'no script error');
  });
});

/** axe-core's serious and critical violations on the page, as "screen: rule (n nodes)". */
async function axe(p: Page, screen: string): Promise<string[]> {
  if (!(await p.evaluate(() => 'axe' in window))) await p.addScriptTag({ path: AXE });
  const violations = await p.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: (c: Document, o: unknown) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${screen}: ${v.id} (${v.impact}) ${v.nodes.join(' | ')}`);
}
