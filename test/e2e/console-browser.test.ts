/**
 * The admin console in a real browser: playwright-core driving Debian's chromium (/usr/bin/chromium,
 * CHROMIUM_PATH overrides; headless, --no-sandbox --disable-gpu --disable-background-networking),
 * against the real bot on loopback with a fake notice platform (test/fakes/notice-platform.ts).
 * Skipped when the browser is missing — except with CI=true, where that is a failure.
 *
 * First sign-in changes the one-time password; a notice whose text holds <script> and an onerror
 * image is composed and shown inert; it is sent to three users after a confirm naming the version
 * and the head count; the tally moves without a reload (sent, then read); reminders go out; the
 * recipients CSV is downloaded and read; a policy is previewed (what a covered employee is told), declared,
 * previewed again and withdrawn; the statuses page says no archive sync is configured; an auditor sees no send
 * button and the API answers 403; a change without the CSRF token is refused. Every screen is
 * captured at 1366×768 and 390×844 into test-artifacts/console/, and scanned with axe-core: no
 * serious or critical violation — the pages (a notice's two versions compared side by side; the
 * statuses page with an archive sync's last run, members and last error), and the dialogs (compose,
 * send, declare a policy, test-send to oneself).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN_CONTEXT } from '../helpers/browser.ts';
import { parse } from 'csv-parse/sync';
import { startNoticeBot, type NoticeBot } from './notices-harness.ts';
import { addAccount } from '../helpers/console-client.ts';
import { REPO_ROOT } from '../helpers/app.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'console');
const AXE = join(createRequire(import.meta.url).resolve('axe-core'), '..', 'axe.min.js');
const VIEWPORTS = [{ width: 1366, height: 768 }, { width: 390, height: 844 }] as const;
const PASSWORD = 'hr-console-Passw0rd';
const HOSTILE_TITLE = '存档告知 <script>window.__xss=1</script><img src=x onerror="window.__xss=2">';
const HOSTILE_BODY = '正文 <b>bold?</b> <script>window.__xss=3</script>';

const missing = !existsSync(CHROMIUM);
if (missing && process.env.CI === 'true') throw new Error(`chromium not found at ${CHROMIUM} (set CHROMIUM_PATH); CI=true does not skip`);

describe('admin console in a real browser', { skip: missing ? `no browser at ${CHROMIUM} (set CHROMIUM_PATH)` : false }, () => {
  let bot: NoticeBot;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let noticeId = '';
  let broadcastId = '';
  const errors: string[] = [];

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    bot = await startNoticeBot({ fake: { users: ['u1', 'u2', 'u3', 'u4', 'u5'], departments: { '10': ['u1', 'u2'] } } });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    // Reduced motion (test/helpers/browser.ts): no popup is clicked while it is still animating in.
    admin = await browser.newContext({ ...ADMIN_CONTEXT, viewport: VIEWPORTS[0], acceptDownloads: true });
    page = await admin.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
  });
  after(async () => {
    await browser?.close();
    await bot?.close();
  });

  async function signIn(p: Page, name: string, password: string): Promise<void> {
    await p.goto(`${bot.url}/console`);
    await p.fill('#signin-name', name);
    await p.fill('#signin-password', password);
    await p.click('#signin-submit');
  }

  it('first sign-in: the one-time password must be changed', async () => {
    const oneTime = await addAccount(bot.core.store, 'hr.zhang', 'owner');
    await page.goto(`${bot.url}/console`);
    await page.waitForSelector('#signin-name');
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    await page.screenshot({ path: join(ARTIFACTS, 'signin-1366x768.png') });
    await signIn(page, 'hr.zhang', 'wrong-password-123');
    await page.getByRole('alert').filter({ hasText: '账号或密码错误' }).waitFor();
    await signIn(page, 'hr.zhang', oneTime);
    await page.waitForSelector('#pw-current');
    await page.screenshot({ path: join(ARTIFACTS, 'password-change-1366x768.png') });
    // The server refuses a too-short and a guessable password; the console says why in Chinese (by the error's
    // code and case), not the server's English.
    await page.fill('#pw-current', oneTime);
    for (const [bad, said] of [['short-pw1', '新密码太短：至少 12 个字符'], ['passwordpassword', '新密码太容易猜到']] as const) {
      await page.fill('#pw-next', bad);
      await page.fill('#pw-repeat', bad);
      await page.click('#pw-submit');
      const alert = page.getByRole('alert').filter({ hasText: said });
      await alert.waitFor();
      assert.doesNotMatch((await alert.textContent()) ?? '', /password:|characters|guess/, 'no English from the server');
    }
    // Editing the form again clears the server's refusal: it is about the password that was sent, not the new one.
    await page.fill('#pw-next', `${PASSWORD}x`);
    await page.getByRole('alert').filter({ hasText: '新密码太容易猜到' }).waitFor({ state: 'detached' });
    await page.fill('#pw-next', PASSWORD);
    await page.fill('#pw-repeat', PASSWORD);
    await page.click('#pw-submit');
    await page.waitForSelector('#new-notice');
    assert.match((await page.textContent('#whoami')) ?? '', /hr\.zhang · owner/);
    // A configured platform (here the fake one), no sandbox: no sandbox label, and the API says so.
    const platforms = await page.evaluate(async () => (await fetch('/console/api/platforms')).json());
    assert.equal(platforms.sandbox, false);
    // Platform names for people come from the adapters' descriptions (the console's scripts name no platform).
    assert.deepEqual(platforms.labels.dingtalk, { zh: '钉钉', en: 'DingTalk' });
    assert.deepEqual(platforms.labels.wecom, { zh: '企业微信', en: 'WeCom' });
    assert.equal(await page.locator('#sandbox-label').count(), 0);
  });

  it('compose a notice (zh required, en optional); <script> in its text is shown as text and never runs', async () => {
    await page.click('#new-notice');
    await page.fill('#notice-title-zh', HOSTILE_TITLE);
    await page.fill('#notice-body-zh', HOSTILE_BODY);
    await page.click('#notice-save');
    await page.waitForURL(/#\/notices\/n-/);
    noticeId = decodeURIComponent(page.url().split('#/notices/')[1]!);
    await page.locator('.notice-body').first().waitFor();
    assert.equal(await page.locator('.notice-title').first().textContent(), HOSTILE_TITLE);
    assert.equal(await page.locator('.notice-body').first().textContent(), HOSTILE_BODY);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined, 'no script ran');
    assert.equal(await page.locator('main script, main img[src="x"], main b').count(), 0, 'no element was made from the text');
    const stored = await bot.core.notices.getNotice(noticeId);
    assert.equal(stored.versions[0]!.title.en, '', 'English not written: stored empty (employees get the Chinese)');
    assert.equal((await bot.core.notices.deliveryFor({ id: 'b', noticeId, version: 1 }, 'deliver', 0)).title.en, HOSTILE_TITLE, 'channels get the Chinese title for English');
  });

  it('send to three users after a confirm naming the version and the head count; the tally moves without a reload', async () => {
    await page.click('#send-notice');
    await page.locator('.ant-select', { has: page.locator('#send-platform') }).click();
    await page.locator('.ant-select-item-option[title="钉钉"]').click();
    await page.locator('.ant-modal-content .ant-radio-button-wrapper', { hasText: '指定人员' }).click();
    await page.fill('#send-ids', 'u1, u2\nu3');
    await page.click('#send-review');
    const confirm = await page.locator('#send-confirm-text').textContent();
    assert.match(confirm ?? '', /第 1 版/);
    assert.match(confirm ?? '', /3 人/);
    assert.match(confirm ?? '', /钉钉/);
    await page.screenshot({ path: join(ARTIFACTS, 'send-confirm-1366x768.png') });
    await page.evaluate(() => ((window as unknown as { __sameDocument?: boolean }).__sameDocument = true));
    await page.click('#send-confirm');
    await page.waitForURL(/#\/broadcasts\/b-/);
    broadcastId = page.url().split('#/broadcasts/')[1]!;
    await page.locator('.tally-sent[data-value="3"]').waitFor({ state: 'attached' });
    bot.fake.read('u2', Date.now());
    await page.locator('.tally-read[data-value="1"]').waitFor({ state: 'attached' });
    assert.equal(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument), true, 'the page was not reloaded');
    await page.getByRole('row').filter({ hasText: 'u3' }).waitFor();
    const view = await bot.core.notices.getBroadcast(broadcastId);
    assert.equal(view.createdBy, 'console:hr.zhang');
  });

  it('remind the unacknowledged, and export the recipients CSV', async () => {
    const before = bot.fake.delivered.length;
    // Times in the company's zone with its offset, whatever the browser's zone (the test browser runs in UTC).
    await page.getByRole('cell').filter({ hasText: /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+08:00$/ }).first().waitFor();
    // The send step's toast is gone (the page has settled after the send) before the reminder starts: when it was still
    // up, the confirm's click was twice lost under load (no request left the page).
    await page.locator('.ant-message-notice').first().waitFor({ state: 'detached' });
    // Every running motion an element shows from here on (antd's zoom-in of the confirm takes "-appear-active" while it
    // plays; with motion off rc-motion skips straight to the end).
    await page.evaluate(`(() => {
      const seen = (window.__animated = []);
      new MutationObserver(() => {
        for (const n of document.querySelectorAll('[class*="-appear-active"], [class*="-enter-active"]')) seen.push(String(n.className));
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });
    })()`);
    await page.click('#remind');
    // A confirm names how many will be reminded before anything is sent.
    await page.locator('.ant-popconfirm', { hasText: '向 3 位尚未确认的员工再发送一次提醒' }).waitFor();
    const animated = (await page.evaluate('window.__animated')) as string[];
    assert.deepEqual(animated, [], 'reduced motion: the confirm appears without its zoom animation');
    assert.equal(bot.fake.delivered.length, before, 'nothing is sent before the confirm');
    // The toast lasts 3 s; a loaded machine can let it come and go between two polls of the test, so the page records
    // every toast's text as it appears and the test reads the record.
    await page.evaluate(() => {
      const seen: string[] = ((window as unknown as { __toasts: string[] }).__toasts = []);
      new MutationObserver(() => {
        for (const n of document.querySelectorAll('.ant-message-notice')) if (!seen.includes(n.textContent ?? '')) seen.push(n.textContent ?? '');
      }).observe(document.body, { childList: true, subtree: true, characterData: true });
    });
    // The confirm sends one request; waiting for its answer names a lost click as such.
    const [resent] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/broadcasts/${broadcastId}/resend`)),
      page.locator('.ant-popconfirm button.ant-btn-primary').click(),
    ]);
    assert.equal(resent.status(), 200);
    await page.waitForFunction(() => (window as unknown as { __toasts: string[] }).__toasts.some((x) => x.includes('已排队 3 人')));
    await waitUntil(() => bot.fake.delivered.length >= before + 3);
    assert.ok(bot.fake.delivered.slice(before).every((d) => d.reminder !== null), 'reminders, not first deliveries');
    // The page lists the round — when, for how many, who asked — with its progress, and each row the round that reached it.
    const round = page.locator('#reminder-rounds tr[data-round="1"]');
    await round.locator('.reminder-tally', { hasText: '已送达 3 · 失败 0 · 待发送 0' }).waitFor();
    assert.equal(await round.locator('.reminder-queued').textContent(), '3');
    assert.equal(await round.locator('.reminder-by').textContent(), 'console:hr.zhang');
    assert.match((await round.locator('td').nth(1).textContent()) ?? '', /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+08:00$/);
    await page.locator('.reminded[data-round="1"]').nth(2).waitFor();
    assert.match((await page.locator('.reminded').first().textContent()) ?? '', /^第 1 轮 · \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+08:00$/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-recipients')]);
    const text = readFileSync((await download.path())!, 'utf8');
    const table = text.slice(0, text.lastIndexOf('\r\n\r\n# privacy-bot evidence: ') + 2);
    const rows = parse(table, { bom: true, columns: true }) as { userId: string; state: string }[];
    assert.deepEqual(rows.map((r) => r.userId).sort(), ['u1', 'u2', 'u3']);
    assert.equal(rows.find((r) => r.userId === 'u2')?.state, 'read');
  });

  it('declare a policy and withdraw it; it stays in the history', async () => {
    await page.goto(`${bot.url}/console#/policies`);
    await page.click('#declare-policy');
    await page.locator('.ant-select', { has: page.locator('#policy-platform') }).click();
    await page.locator('.ant-select-item-option[title="钉钉"]').click();
    await page.click('#policy-since');
    await page.keyboard.type('2026-03-01');
    await page.keyboard.press('Enter');
    await page.fill('#policy-scope', '单聊和群聊');
    await page.fill('#policy-retention', '3 年');
    await page.fill('#policy-purpose', '合规审计');
    await page.fill('#policy-legal', '《个人信息保护法》第十三条');
    await page.fill('#policy-viewers', '合规部');
    // Before declaring: what a covered employee would be told (the bot's own lines), nothing stored.
    await page.click('#policy-preview');
    const preview = page.locator('#policy-preview-result');
    await preview.waitFor();
    assert.match((await preview.locator('#preview-answer .preview-zh-CN').textContent()) ?? '', /聊天记录保存期限：3 年；.*可查看存档的人：合规部。$/);
    assert.match((await preview.locator('#preview-answer .preview-en').textContent()) ?? '', /chats are kept for 3 年; .*who may read them: 合规部\.$/);
    assert.match((await preview.locator('#preview-status .preview-zh-CN').textContent()) ?? '', /自 2026-03-01 起已存档，范围：单聊和群聊（来源：公司政策/);
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'));
      await page.screenshot({ path: join(ARTIFACTS, `policy-preview-${viewport.width}x${viewport.height}.png`) });
    }
    await page.setViewportSize(VIEWPORTS[0]);
    assert.deepEqual(await bot.core.policies.list({}), [], 'a preview stores nothing');
    await page.click('#policy-preview-close');
    await preview.waitFor({ state: 'hidden' });
    await page.dblclick('#policy-save'); // a double click declares once
    const row = page.getByRole('row').filter({ hasText: '单聊和群聊' });
    await row.getByText('生效中').waitFor();
    // A declared policy's preview: the same lines, from the stored policy.
    await row.locator('.preview').click();
    await page.locator('#policy-preview-result #preview-answer').filter({ hasText: '可查看存档的人：合规部。' }).waitFor();
    await page.click('#policy-preview-close');
    await page.locator('#policy-preview-result').waitFor({ state: 'hidden' });
    await row.locator('.withdraw').click();
    await page.locator('.ant-popconfirm button.ant-btn-primary').click();
    await row.getByText('已撤回').first().waitFor();
    const policies = await bot.core.policies.list({});
    assert.equal(policies.length, 1, 'one policy for a double click');
    const [p] = policies;
    assert.equal(p!.state, 'withdrawn');
    assert.equal(p!.createdBy, 'console:hr.zhang');
  });

  it('statuses: the preview shows every bad line and nothing can be imported; a good file imports; one employee looked up with its source', async () => {
    await page.goto(`${bot.url}/console#/statuses`);
    // No platform here has an archive API configured: the page says so.
    await page.locator('#archive-sync-none').filter({ hasText: '未配置存档同步' }).waitFor();
    await page.fill('#status-csv', 'platform,userId,archived,since,scope\nwecom,zs,true,2026-03-01,all\nwecom,,true,,\nwecom,ls,maybe,,\n');
    await page.click('#status-preview');
    await page.locator('#status-errors').waitFor();
    const lines = await page.locator('#status-errors tbody tr td:first-child').allTextContents();
    assert.deepEqual(lines, ['3', '4']);
    // Each row's problems by kind, in Chinese.
    assert.deepEqual(await page.locator('#status-errors tbody tr td:nth-child(2)').allTextContents(), ['用户 ID 为空；archived 为 true 时必须填写 since（起始日期）', 'archived 只能是 true 或 false（也可写 yes/no、1/0、是/否），实际为 "maybe"']);
    assert.equal(await page.locator('#status-import').isDisabled(), true);
    assert.equal(await bot.core.store.getStatus('wecom', 'zs'), null, 'nothing imported');
    await page.fill('#status-csv', 'platform,userId,archived,since,scope\nwecom,zs,true,2026-03-01,all chats\n');
    await page.click('#status-preview');
    await page.locator('#status-import:not([disabled])').click();
    await page.locator('#status-result').filter({ hasText: '已导入 1 条' }).waitFor();
    await page.locator('.ant-select', { has: page.locator('#lookup-platform') }).click();
    await page.locator('.ant-select-item-option[title="企业微信"]').click();
    await page.fill('#lookup-user', 'zs');
    await page.click('#lookup-submit');
    await page.locator('#lookup-result').filter({ hasText: '导入' }).waitFor();
    assert.match((await page.locator('#lookup-result').textContent()) ?? '', /已存档.*2026-03-01.*all chats/);
  });

  it('a change without the CSRF token is refused, with the session cookie', async () => {
    const r = await page.evaluate(async () => {
      const res = await fetch('/console/api/notices', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: { zh: 'x', en: 'x' }, body: { zh: 'x', en: 'x' } }) });
      return { status: res.status, body: await res.json() };
    });
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'CONSOLE_CSRF');
  });

  it('an auditor sees no send button and the API refuses the send (403)', async () => {
    const oneTime = await addAccount(bot.core.store, 'legal.li', 'auditor');
    const ctx = await browser.newContext({ ...ADMIN_CONTEXT, viewport: VIEWPORTS[0] });
    try {
      const p = await ctx.newPage();
      await signIn(p, 'legal.li', oneTime);
      await p.fill('#pw-current', oneTime);
      await p.fill('#pw-next', 'legal-console-Passw0rd');
      await p.fill('#pw-repeat', 'legal-console-Passw0rd');
      await p.click('#pw-submit');
      await p.goto(`${bot.url}/console#/notices/${noticeId}`);
      await p.locator('.notice-body').first().waitFor();
      assert.equal(await p.locator('#send-notice').count(), 0);
      assert.equal(await p.locator('#new-notice, #edit-notice').count(), 0);
      await p.goto(`${bot.url}/console#/broadcasts/${broadcastId}`);
      await p.locator('#tally').waitFor();
      assert.equal(await p.locator('#remind, #retry, #cancel-broadcast').count(), 0);
      const r = await p.evaluate(async (id) => {
        const s = await (await fetch('/console/api/session')).json();
        const res = await fetch('/console/api/broadcasts', {
          method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrf }, body: JSON.stringify({ noticeId: id, platform: 'dingtalk', audience: { all: true } }),
        });
        return { status: res.status, body: await res.json() };
      }, noticeId);
      assert.equal(r.status, 403);
      assert.equal(r.body.error.code, 'CONSOLE_FORBIDDEN');
    } finally {
      await ctx.close();
    }
  });

  it('every screen at 1366×768 and 390×844: screenshots, and axe-core finds no serious or critical violation', async (t) => {
    // CSP bypassed only so that axe can be injected; the inert-text check runs here again without the CSP's help.
    const ctx = await browser.newContext({ ...ADMIN_CONTEXT, bypassCSP: true });
    // A notice with a second version: its page compares the two side by side.
    const versioned = await bot.core.notices.createNotice({ title: { zh: '存档说明', en: 'Archiving' }, body: { zh: '公司保存工作聊天记录。\n如有疑问请联系人力资源部。', en: 'Work chats are kept.\nAsk HR.' } });
    await bot.core.notices.editNotice(versioned.noticeId, { title: { zh: '存档说明', en: 'Archiving' }, body: { zh: '公司保存工作聊天记录三年。\n如有疑问请联系人力资源部。', en: 'Work chats are kept for three years.\nAsk HR.' } });
    // An archive sync source (the core's own StatusDirectory.addSource, as the composition root adds a platform's):
    // one successful read of two members, then a failed one, so the statuses page shows the last success, the
    // members kept and the last error.
    let failing = false;
    const sync = bot.core.statuses.addSource({
      platform: 'wecom', sourceName: 'test-archive-list', label: { 'zh-CN': '测试存档名单', 'zh-TW': '測試存檔名單', en: 'test archive list' },
      listArchived: async () => {
        if (failing) throw new Error('archive list unreadable');
        return new Map([['u1', { scope: 'all' }], ['u2', { scope: 'all' }]]);
      },
    }, 60 * 60_000);
    await sync.syncNow();
    failing = true;
    await assert.rejects(sync.syncNow());
    const screens: { name: string; path: string; ready?: (p: Page) => Promise<void> }[] = [
      { name: 'notices', path: 'notices' },
      { name: 'notices-detail', path: `notices/${noticeId}` },
      {
        name: 'version-compare', path: `notices/${versioned.noticeId}`,
        ready: async (p) => {
          await p.locator('#diff-body-zh td.diff-del').first().waitFor();
          assert.equal((await p.locator('#diff-body-zh td.diff-add').allTextContents()).join('|'), '+ 公司保存工作聊天记录三年。');
        },
      },
      { name: 'broadcasts', path: 'broadcasts' },
      { name: 'broadcasts-detail', path: `broadcasts/${broadcastId}` },
      { name: 'policies', path: 'policies' },
      {
        name: 'statuses', path: 'statuses',
        ready: async (p) => {
          const state = p.locator('.archive-sync-state');
          await state.filter({ hasText: 'ARCHIVE_SYNC_FAILED' }).waitFor();
          const text = (await state.innerText()).replace(/\s+/g, ' ');
          assert.match(text, /来源 测试存档名单/);
          assert.match(text, /存档成员数 2/);
          assert.match(text, /最近一次成功 \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+08:00/);
        },
      },
      { name: 'knowledge', path: 'knowledge' },
      { name: 'health', path: 'health' },
      { name: 'audit', path: 'audit' },
    ];
    const found: string[] = [];
    let shots = 0;
    try {
      const p = await ctx.newPage();
      p.on('pageerror', (e) => errors.push(e.message));
      for (const viewport of VIEWPORTS) {
        await p.setViewportSize(viewport);
        const size = `${viewport.width}x${viewport.height}`;
        await p.context().clearCookies();
        await p.goto(`${bot.url}/console`);
        await p.waitForSelector('#signin-name');
        await p.screenshot({ path: join(ARTIFACTS, `signin-${size}.png`), fullPage: true });
        found.push(...(await axe(p, `signin ${size}`)));
        shots++;
        // A fresh owner per size, so the password-change screen is captured (and scanned) at both sizes.
        const name = `shots.${viewport.width}`;
        const oneTime = await addAccount(bot.core.store, name, 'owner');
        await signIn(p, name, oneTime);
        await p.waitForSelector('#pw-current');
        await p.screenshot({ path: join(ARTIFACTS, `password-change-${size}.png`), fullPage: true });
        found.push(...(await axe(p, `password-change ${size}`)));
        await p.fill('#pw-current', oneTime);
        await p.fill('#pw-next', PASSWORD);
        await p.fill('#pw-repeat', PASSWORD);
        await p.click('#pw-submit');
        await p.waitForSelector('#whoami');
        shots++;
        for (const screen of screens) {
          await p.goto(`${bot.url}/console#/${screen.path}`);
          await p.locator('main h2').first().waitFor();
          await p.waitForLoadState('networkidle');
          await p.locator('.ant-spin-spinning').first().waitFor({ state: 'detached' }).catch(() => undefined);
          await screen.ready?.(p);
          await p.screenshot({ path: join(ARTIFACTS, `${screen.name}-${size}.png`), fullPage: true });
          shots++;
          found.push(...(await axe(p, `${screen.name} ${size}`)));
        }
        // The dialogs: compose, send (with a CSV whose bad rows are listed and block the send; blank lines skipped), declare a policy,
        // test-send a notice to oneself. Each on another page than the one before, so one dialog is open at a time.
        const dialogs: { name: string; path: string; open: string; ready?: () => Promise<void> }[] = [
          { name: 'compose', path: 'notices', open: '#new-notice' },
          {
            name: 'send', path: `notices/${noticeId}`, open: '#send-notice',
            ready: async () => {
              await p.getByText('上传 CSV').click();
              // A blank and a whitespace-only line are skipped; the row with an empty id beside a name is bad.
              await p.locator('.ant-modal input[type=file]').setInputFiles({ name: 'audience.csv', mimeType: 'text/csv', buffer: Buffer.from('userId\nu1\n\n   \n,张三\nu2\n') });
              await p.getByText('以下行有问题，名单未被接受，没有添加任何人：').waitFor();
              assert.deepEqual(await p.locator('.ant-modal .ant-alert-error tbody tr td:first-child').allTextContents(), ['5'], 'only the bad row, not the blank ones');
              assert.equal(await p.locator('#send-review').isDisabled(), true, 'nothing can be sent while a row is bad');
            },
          },
          {
            name: 'policy', path: 'policies', open: '#declare-policy',
            // Required stays announced on the platform combobox itself (not on its wrapper, which may not carry it).
            ready: async () => assert.equal(await p.getAttribute('#policy-platform', 'aria-required'), 'true'),
          },
          {
            name: 'test-send', path: `notices/${noticeId}`, open: '#test-send',
            // A real platform: the test send goes to the account's own link, the dialog says so.
            ready: () => p.locator('.ant-modal-content').filter({ hasText: '发送到你的账号所关联的' }).waitFor(),
          },
        ];
        for (const dialog of dialogs) {
          await p.goto(`${bot.url}/console#/${dialog.path}`);
          await p.click(dialog.open);
          await p.locator('.ant-modal-content').waitFor();
          await dialog.ready?.();
          // The modal's opening animation has ended (no running animation left), so the capture shows it in place.
          await p.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'));
          await p.screenshot({ path: join(ARTIFACTS, `${dialog.name}-dialog-${size}.png`) });
          found.push(...(await axe(p, `${dialog.name} dialog ${size}`)));
          shots++;
          await p.keyboard.press('Escape');
        }
        assert.equal(await p.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
        // The English switch.
        await p.goto(`${bot.url}/console#/notices`);
        await p.click('#lang-switch');
        await p.getByRole('heading', { name: 'Notices' }).waitFor();
        await p.screenshot({ path: join(ARTIFACTS, `notices-en-${size}.png`), fullPage: true });
        await p.click('#lang-switch');
        shots++;
      }
    } finally {
      await ctx.close();
    }
    t.diagnostic(`${shots} screenshots in test-artifacts/console/; axe serious/critical: ${found.length}`);
    assert.deepEqual(found, []);
    assert.deepEqual(errors, [], 'no script error on any page');
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

async function waitUntil(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), 'condition not met in time');
}
