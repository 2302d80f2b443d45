/**
 * The send dialog's department tree in a real browser (playwright-core + Debian chromium, as
 * console-browser.test.ts; skipped without the browser unless CI=true), against the real bot on
 * loopback in the sandbox (30 made-up employees in 3 departments, adapters/sandbox/org.ts; SQLite):
 * sign in, open send on a notice, pick a department from the tree, exclude one of its people found
 * by name, count — the confirm names the department's head count minus the excluded — send, and
 * watch the broadcast's tally go from 0 % to 100 % on the open page without a reload. Once at
 * 1366×768 and once at 390×844, with screenshots of the dialog and the tally.
 *
 * The bot runs without its own broadcast worker; the test runs one (src/notices/worker.ts) once the
 * broadcast page shows the sent-to-nobody-yet tally, so "live" is observed, not raced. No
 * wall-clock waits: every step waits on a DOM state or a store condition.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_CONTEXT } from '../helpers/browser.ts';
import { REPO_ROOT, startTestBot, type TestBot } from '../helpers/app.ts';
import { addAccount } from '../helpers/console-client.ts';
import { BroadcastWorker } from '../../src/notices/worker.ts';
import { NoticeService } from '../../src/notices/service.ts';
import { createLogger } from '../../src/log.ts';
import { SANDBOX_DEPARTMENTS, SANDBOX_EMPLOYEES } from '../../adapters/sandbox/org.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'console');
const ADMIN_TOKEN = 'send-browser-token-0123456789abcdef';
const PASSWORD = 'hr-console-Passw0rd';
const TITLE = '会话存档告知';

const missing = !existsSync(CHROMIUM);
if (missing && process.env.CI === 'true') throw new Error(`chromium not found at ${CHROMIUM} (set CHROMIUM_PATH); CI=true does not skip`);

/** Each run: the viewport, the department picked (its tree label), the person excluded. */
const RUNS = [
  { size: '1366x768', viewport: { width: 1366, height: 768 }, department: 'rd', label: '研发部', exclude: { userId: 'wuhao', name: '吴昊' } },
  { size: '390x844', viewport: { width: 390, height: 844 }, department: 'sales', label: '销售部', exclude: { userId: 'xiebin', name: '谢斌' } },
] as const;

describe('console send dialog in a real browser (sandbox)', { skip: missing ? `no browser at ${CHROMIUM} (set CHROMIUM_PATH)` : false }, () => {
  let bot: TestBot;
  let browser: Browser;
  let noticeId = '';
  const errors: string[] = [];

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    bot = await startTestBot({ ADMIN_TOKEN, SANDBOX: 'on' }, { logLevel: 'warn', noticeWorker: false });
    noticeId = (await bot.core.notices.createNotice({ title: { zh: TITLE, en: 'Archiving notice' }, body: { zh: '公司通过会话存档保存工作聊天记录。', en: 'Work chats are archived.' } })).noticeId;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  after(async () => {
    await browser?.close();
    await bot?.close();
  });

  async function signedInPage(viewport: { width: number; height: number }, name: string): Promise<Page> {
    const page = await (await browser.newContext({ ...ADMIN_CONTEXT, viewport })).newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    const oneTime = await addAccount(bot.core.store, name, 'admin');
    await page.goto(`${bot.url}/console`);
    await page.fill('#signin-name', name);
    await page.fill('#signin-password', oneTime);
    await page.click('#signin-submit');
    await page.fill('#pw-current', oneTime);
    await page.fill('#pw-next', PASSWORD);
    await page.fill('#pw-repeat', PASSWORD);
    await page.click('#pw-submit');
    await page.waitForSelector('#new-notice');
    // The sandbox is on: the header says so, in the console's language.
    const label = page.locator('#sandbox-label');
    await label.waitFor();
    assert.equal(await label.textContent(), '沙盒演示 · 消息不会发给真实员工');
    assert.ok(await label.isVisible());
    // Whole, not cut to "沙…" (at 390 px it is a bar of its own under the header).
    assert.ok(await label.evaluate((e) => e.scrollWidth <= e.clientWidth + 1), `the sandbox label is cut at ${viewport.width} px`);
    return page;
  }

  it('counted but closed without confirming: the prepared broadcast is cancelled, and an unconfirmed one offers no reminder', async () => {
    const page = await signedInPage({ width: 1366, height: 768 }, 'hr.closer');
    const before = new Set((await bot.core.notices.listBroadcasts()).map((b) => b.id));
    await page.goto(`${bot.url}/console#/notices/${encodeURIComponent(noticeId)}`);
    await page.click('#send-notice');
    const dialog = page.locator('.ant-modal-content');
    // A platform with a directory opens on picking from it (not on a box for typed user ids).
    await page.locator('#send-tree .ant-tree-treenode', { hasText: RUNS[0]!.label }).waitFor();
    assert.equal(await dialog.locator('.ant-radio-button-wrapper-checked').textContent(), '从通讯录选择');
    assert.equal(await page.locator('#send-ids').count(), 0);
    await dialog.locator('.ant-radio-button-wrapper', { hasText: '从通讯录选择' }).click();
    const node = page.locator('#send-tree .ant-tree-treenode', { hasText: RUNS[0]!.label });
    await node.locator('.ant-tree-checkbox').click();
    // Exclude someone who is not in R&D (王芳 is in HR), and HR itself: neither exclusion removes anybody.
    await page.locator('.ant-select', { has: page.locator('#send-exclude-people') }).click();
    await page.fill('#send-exclude-people', '王芳');
    await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option', { hasText: 'wangfang' }).click();
    await page.keyboard.press('Escape');
    await dialog.locator('.ant-select-selection-item', { hasText: '王芳' }).waitFor();
    await page.locator('.ant-select', { has: page.locator('#send-exclude-departments') }).click();
    await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option', { hasText: '人力资源部' }).click();
    await page.keyboard.press('Escape');
    await dialog.locator('.ant-select-selection-item', { hasText: '人力资源部' }).waitFor();
    await page.click('#send-review');
    await page.locator('#send-confirm-text').waitFor();
    // The count stands (R&D, nobody removed) and a warning names the exclusions that changed nothing, in the console's language.
    const rd = SANDBOX_EMPLOYEES.filter((e) => e.departmentId === RUNS[0]!.department).length;
    assert.match((await page.locator('#send-confirm-text').textContent()) ?? '', new RegExp(` ${rd} 人。`));
    const note = dialog.locator('#prep-unmatched-exclusions');
    await note.waitFor();
    assert.equal(await note.getAttribute('data-people'), '1');
    assert.equal(await dialog.locator('#prep-unmatched-people').textContent(), '排除的 1 人不在本次发送对象中：wangfang——请检查拼写。');
    assert.equal(await dialog.locator('#prep-unmatched-department-ids').textContent(), '人力资源部 (hr)', 'the department named as in the tree');
    assert.equal(await page.locator('#send-confirm').isDisabled(), false, 'a warning, not a refusal');
    const prepared = (await bot.core.notices.listBroadcasts()).filter((b) => !before.has(b.id));
    assert.equal(prepared.length, 1);
    assert.equal(prepared[0]!.state, 'resolving');
    // Changing the selection after the count drops that preparation: recorded as discarded, not as the admin's cancel.
    await dialog.locator('.ant-select-selection-item', { hasText: '人力资源部' }).locator('.ant-select-selection-item-remove').click();
    await page.locator('#send-confirm-text').waitFor({ state: 'detached' });
    await page.waitForFunction(async (id) => (await (await fetch(`/console/api/broadcasts/${encodeURIComponent(id)}`)).json()).state === 'cancelled', prepared[0]!.id);
    await page.click('#send-review');
    await page.locator('#send-confirm-text').waitFor();
    const recounted = (await bot.core.notices.listBroadcasts()).filter((b) => !before.has(b.id) && b.id !== prepared[0]!.id);
    assert.equal(recounted.length, 1);
    await dialog.locator('.ant-modal-close').click();
    await dialog.waitFor({ state: 'hidden' });
    // The close discards it too (the console's request; nothing to wait for but its effect).
    await page.waitForFunction(async (id) => (await (await fetch(`/console/api/broadcasts/${encodeURIComponent(id)}`)).json()).state === 'cancelled', recounted[0]!.id);
    type Entry = { actor: string; action: string; target?: string; summary: { zh: string; en: string } };
    const trail = (await page.evaluate(async () => (await (await fetch('/console/api/audit')).json()).entries)) as Entry[];
    const about = (id: string) => trail.filter((e) => e.target === id && e.actor === 'hr.closer' && !e.action.startsWith('GET')).map((e) => e.summary);
    assert.deepEqual(about(prepared[0]!.id), [
      { zh: `重新选择发送对象，作废未确认的准备《${TITLE}》v1`, en: 'Preparation of "Archiving notice" v1 discarded (audience changed)' },
      { zh: `准备发送《${TITLE}》v1（核对人数）（sandbox）`, en: 'Prepared sending "Archiving notice" v1 (head count) (sandbox)' },
    ]);
    assert.deepEqual(about(recounted[0]!.id)[0], { zh: `关闭发送对话框，作废未确认的准备《${TITLE}》v1`, en: 'Preparation of "Archiving notice" v1 discarded (send dialog closed, not confirmed)' });
    assert.ok(!trail.some((e) => /取消发送|Cancelled sending/.test(e.summary.zh + e.summary.en)), 'nobody clicked cancel');
    // A broadcast prepared elsewhere and never confirmed: its page allows cancelling, not reminding or retrying.
    const other = await bot.core.notices.prepareBroadcast({ noticeId, platform: 'sandbox', audience: { userIds: [SANDBOX_EMPLOYEES[0]!.userId] }, createdBy: 'test' });
    await page.goto(`${bot.url}/console#/broadcasts/${encodeURIComponent(other)}`);
    await page.locator('#broadcast-state[data-state="resolving"]').waitFor();
    assert.equal(await page.locator('#remind').isDisabled(), true);
    assert.equal(await page.locator('#retry').isDisabled(), true);
    assert.equal(await page.locator('#cancel-broadcast').isDisabled(), false);
    // Counted, it awaits the confirm — shown as such (not as sending or preparing), with the time it lapses.
    await bot.core.notices.preparationsSettled();
    await page.locator('#broadcast-state[data-shown="awaiting"]').waitFor();
    // The admin's pending step is named as such, never "待确认" beside the employees' "已确认知悉".
    assert.equal(await page.locator('#broadcast-state').textContent(), '待确认发送');
    assert.equal(await page.locator('.tally-acknowledged').locator('..').locator('.ant-statistic-title').textContent(), '已确认知悉');
    await page.click('#lang-switch');
    await page.locator('#broadcast-state', { hasText: 'Awaiting your send confirmation' }).waitFor();
    await page.click('#lang-switch');
    await page.locator('#broadcast-state', { hasText: '待确认发送' }).waitFor();
    const confirmBy = (await bot.core.notices.getBroadcast(other)).confirmBy!;
    assert.match((await page.locator('#broadcast-confirm-by').textContent()) ?? '', /^未确认将于 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+08:00 作废$/);
    // Its page offers the confirm (not only cancel and exports).
    await page.locator('#confirm-send:not([disabled])', { hasText: '确认发送' }).waitFor();
    await page.goto(`${bot.url}/console#/broadcasts`);
    const row = page.locator('.ant-table-row', { hasText: other });
    await row.locator('.broadcast-list-state[data-shown="awaiting"]').waitFor();
    assert.equal(await row.locator('.broadcast-list-state').textContent(), '待确认发送');
    assert.deepEqual(await page.locator('.ant-table-thead th').allTextContents().then((h) => h.filter((x) => /确认/.test(x))), ['已确认知悉'], 'the column of employees\' acknowledgements');
    // Nobody confirms it: once its preparation TTL has passed, another instance's worker (its clock a day
    // on; nothing waits for the wall clock) cancels it as not confirmed, expired.
    const later = new NoticeService({
      store: bot.core.notices.store, kv: bot.core.store, log: createLogger('silent'), instanceId: 'later-instance',
      clock: { now: () => confirmBy, sleep: async () => undefined },
    });
    const sweeper = new BroadcastWorker({ service: later, log: createLogger('silent') });
    await sweeper.tick();
    assert.equal(sweeper.metrics.preparationsExpired, 1);
    await page.reload();
    await row.locator('.broadcast-list-state[data-shown="expired"]', { hasText: '未确认，已过期' }).waitFor();
    assert.equal(await row.locator('.broadcast-list-state').getAttribute('data-state'), 'cancelled');
    await page.goto(`${bot.url}/console#/broadcasts/${encodeURIComponent(other)}`);
    await page.locator('#prep-expired').waitFor();
    assert.match((await page.locator('#prep-expired').textContent()) ?? '', /未确认，已过期.*没有发送任何消息/);
    assert.equal(await page.locator('#broadcast-state').getAttribute('data-shown'), 'expired');
    assert.equal(await page.locator('#cancel-broadcast').isDisabled(), true);
    // In English too.
    await page.click('#lang-switch');
    await page.locator('#broadcast-state', { hasText: 'Not confirmed, expired' }).waitFor();
    await page.locator('#prep-expired', { hasText: 'nothing was sent' }).waitFor();
    await page.click('#lang-switch');
    await page.context().close();
  });

  it('a prepared, unconfirmed broadcast (its tab closed) is confirmed from its own page', async () => {
    const page = await signedInPage({ width: 1366, height: 768 }, 'hr.confirmer');
    const id = await bot.core.notices.prepareBroadcast({ noticeId, platform: 'sandbox', audience: { userIds: [SANDBOX_EMPLOYEES[1]!.userId, SANDBOX_EMPLOYEES[2]!.userId] }, createdBy: 'test' });
    await bot.core.notices.preparationsSettled();
    await page.goto(`${bot.url}/console#/broadcasts/${encodeURIComponent(id)}`);
    await page.locator('#broadcast-state[data-shown="awaiting"]').waitFor();
    await page.click('#confirm-send');
    const pop = page.locator('.ant-popover:not(.ant-popover-hidden)');
    await pop.locator('.ant-popconfirm-title', { hasText: /发送给 .* 上的 2 人。确认发送？/ }).waitFor();
    await pop.locator('.ant-btn-primary').click();
    await page.locator('#broadcast-state[data-state="sending"]').waitFor();
    assert.equal((await bot.core.notices.getBroadcast(id)).state, 'sending');
    await page.locator('#confirm-send').waitFor({ state: 'detached' });
    const trail = (await page.evaluate(async () => (await (await fetch('/console/api/audit')).json()).entries)) as { target?: string; action: string; summary: { zh: string } }[];
    assert.equal(trail.find((e) => e.target === id && e.action.endsWith('/confirm'))?.summary.zh, `发送通知《${TITLE}》v1 给 2 人`);
    await page.context().close();
  });

  it('a scheduled broadcast: "已排期 <time>" in the list and on its page, remind and retry off with the reason until it starts', async () => {
    const page = await signedInPage({ width: 1366, height: 768 }, 'hr.scheduler');
    // 09:00 in the company time zone (Asia/Shanghai), far ahead of any clock: it has not started.
    const r = await fetch(`${bot.url}/admin/broadcasts`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ noticeId, platform: 'sandbox', audience: { userIds: [SANDBOX_EMPLOYEES[0]!.userId] }, notBefore: '2099-01-01T09:00' }),
    });
    assert.equal(r.status, 201);
    const id = ((await r.json()) as { id: string }).id;
    await page.goto(`${bot.url}/console#/broadcasts`);
    const row = page.locator('.ant-table-row', { hasText: id });
    const listed = row.locator('.broadcast-list-state[data-shown="scheduled"]');
    await listed.waitFor();
    assert.equal(await listed.textContent(), '已排期 2099-01-01 09:00:00 +08:00');
    assert.equal(await listed.getAttribute('data-state'), 'sending');
    await page.goto(`${bot.url}/console#/broadcasts/${encodeURIComponent(id)}`);
    await page.locator('#broadcast-state[data-shown="scheduled"]').waitFor();
    assert.equal(await page.locator('#broadcast-state').textContent(), '已排期 2099-01-01 09:00:00 +08:00');
    assert.equal(await page.locator('#remind').isDisabled(), true);
    assert.equal(await page.locator('#retry').isDisabled(), true);
    assert.equal(await page.locator('#cancel-broadcast').isDisabled(), false, 'it can still be cancelled before it starts');
    const why = '计划于 2099-01-01 09:00:00 +08:00 开始发送，尚未发送给任何人，暂时没有可提醒或重发的对象。';
    assert.equal(await page.locator('#not-started-yet').textContent(), why);
    await page.locator('.why-disabled', { has: page.locator('#remind') }).hover();
    await page.locator('.ant-tooltip:not(.ant-tooltip-hidden)', { hasText: why }).waitFor();
    await page.click('#lang-switch');
    await page.locator('#broadcast-state', { hasText: 'Scheduled for 2099-01-01 09:00:00 +08:00' }).waitFor();
    await page.locator('#not-started-yet', { hasText: 'nothing has been sent yet, so there is nobody to remind or retry' }).waitFor();
    await page.click('#lang-switch');
    await bot.core.notices.cancel(id);
    await page.context().close();
  });

  it('in English the notice page, the send dialog and its confirm name the English title (the Chinese one when there is none)', async () => {
    const page = await signedInPage({ width: 1366, height: 768 }, 'hr.english');
    await page.click('#lang-switch');
    await page.goto(`${bot.url}/console#/notices/${encodeURIComponent(noticeId)}`);
    await page.locator('#notice-heading', { hasText: 'Archiving notice' }).waitFor();
    assert.equal(await page.locator('#notice-heading').textContent(), 'Archiving notice');
    await page.click('#send-notice');
    const dialog = page.locator('.ant-modal-content');
    assert.equal(await page.locator('#send-dialog-title').textContent(), 'Send · Archiving notice · v1');
    await dialog.locator('.ant-radio-button-wrapper', { hasText: 'From the directory' }).click();
    // The directory's departments by their English names (the sandbox keeps both; a trial saw 人力资源部 in English).
    const treeText = (await page.locator('#send-tree').innerText()).split('\n');
    for (const d of SANDBOX_DEPARTMENTS) assert.ok(treeText.some((line) => line.startsWith(`${d.name.en}（`)), `${d.name.en} in ${treeText.join(' | ')}`);
    assert.equal(treeText.some((line) => /人力资源部/u.test(line)), false);
    const rdEn = SANDBOX_DEPARTMENTS.find((d) => d.id === RUNS[0]!.department)!.name.en;
    await page.locator('#send-tree .ant-tree-treenode', { hasText: rdEn }).locator('.ant-tree-checkbox').click();
    await page.click('#send-review');
    const confirmText = page.locator('#send-confirm-text');
    await confirmText.waitFor();
    const rd = SANDBOX_EMPLOYEES.filter((e) => e.departmentId === RUNS[0]!.department).length;
    assert.match((await confirmText.textContent()) ?? '', new RegExp(`"Archiving notice" version 1 to ${rd} people on sandbox`));
    assert.doesNotMatch((await confirmText.textContent()) ?? '', new RegExp(TITLE));
    await dialog.locator('.ant-modal-close').click();
    await dialog.waitFor({ state: 'hidden' });
    // A notice without an English title: the Chinese one, in English too.
    const zhOnly = (await bot.core.notices.createNotice({ title: { zh: '仅有中文标题', en: '' }, body: { zh: '正文。', en: '' } })).noticeId;
    await page.goto(`${bot.url}/console#/notices/${encodeURIComponent(zhOnly)}`);
    await page.locator('#notice-heading', { hasText: '仅有中文标题' }).waitFor();
    await page.click('#send-notice');
    assert.equal(await page.locator('#send-dialog-title').textContent(), 'Send · 仅有中文标题 · v1');
    await page.locator('.ant-modal-content .ant-modal-close').click();
    // Back in Chinese: the Chinese title.
    await page.click('#lang-switch');
    await page.goto(`${bot.url}/console#/notices/${encodeURIComponent(noticeId)}`);
    await page.locator('#notice-heading', { hasText: TITLE }).waitFor();
    await page.context().close();
  });

  for (const run of RUNS) {
    it(`${run.size}: pick ${run.department} from the tree, exclude ${run.exclude.userId}; the confirm names the head count minus one; the tally reaches 100 % live`, async () => {
      const members = SANDBOX_EMPLOYEES.filter((e) => e.departmentId === run.department).map((e) => e.userId);
      assert.ok(members.includes(run.exclude.userId) && members.length >= 10);
      const page = await signedInPage(run.viewport, `hr.${run.department}`);
      await page.goto(`${bot.url}/console#/notices/${encodeURIComponent(noticeId)}`);
      await page.click('#send-notice');
      const dialog = page.locator('.ant-modal-content');
      await dialog.locator('.ant-radio-button-wrapper', { hasText: '从通讯录选择' }).click();
      // The tree shows each department with its head count; check one.
      const node = page.locator('#send-tree .ant-tree-treenode', { hasText: run.label });
      await node.filter({ hasText: `${members.length} 人` }).waitFor();
      await node.locator('.ant-tree-checkbox').click();
      await page.locator('#send-tree .ant-tree-checkbox-checked').waitFor();
      // Exclude one person found by name (the server's people search).
      await page.locator('.ant-select', { has: page.locator('#send-exclude-people') }).click();
      await page.fill('#send-exclude-people', run.exclude.name);
      await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option', { hasText: run.exclude.userId }).click();
      await page.keyboard.press('Escape');
      await dialog.locator('.ant-select-selection-item', { hasText: run.exclude.name }).waitFor();
      // Count, then the confirm names the department's head count minus the excluded.
      await page.click('#send-review');
      const confirmText = page.locator('#send-confirm-text');
      await confirmText.waitFor();
      const want = members.length - 1;
      // The confirm is brought into view inside the dialog (it was under the fold at 1366x768).
      await page.waitForFunction(() => {
        const r = document.getElementById('send-confirm')!.getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight;
      });
      assert.equal(await confirmText.textContent(), `将告知书「${TITLE}」第 1 版发送给 sandbox 上的 ${want} 人。确认发送？`);
      await page.screenshot({ path: join(ARTIFACTS, `send-tree-confirm-${run.size}.png`) });

      await page.click('#send-confirm');
      await page.waitForURL(/#\/broadcasts\//);
      const broadcastId = decodeURIComponent(page.url().split('#/broadcasts/')[1]!);
      // Nobody sent yet (no worker): the page shows 0 % of the targeted head count.
      await page.locator(`.tally-targeted[data-value="${want}"]`).waitFor({ state: 'attached' });
      await page.locator(`.tally-pending[data-value="${want}"]`).waitFor({ state: 'attached' });
      await page.locator('.ant-progress[aria-valuenow="0"]', { hasText: /^0%$/ }).waitFor();
      await page.evaluate(() => { (window as unknown as { notReloaded: boolean }).notReloaded = true; });
      const b = await bot.core.notices.getBroadcast(broadcastId);
      const recipients = (await bot.core.notices.store.listRecipients(broadcastId)).map((r) => r.userId).sort();
      assert.deepEqual(recipients, members.filter((u) => u !== run.exclude.userId).sort(), 'the department without the excluded person');
      assert.equal(b.counts.targeted, want);

      // Now the worker sends; the open page follows to 100 %.
      const worker = new BroadcastWorker({ service: bot.core.notices, log: createLogger('silent') });
      await worker.runUntil(async () => (await bot.core.notices.getBroadcast(broadcastId)).state === 'done');
      await page.locator(`.tally-sent[data-value="${want}"]`).waitFor({ state: 'attached' });
      await page.locator('.ant-progress.ant-progress-status-success[aria-valuenow="100"]').waitFor();
      await page.locator('#broadcast-state[data-state="done"]').waitFor();
      // Delivery ended, the campaign did not: "发送完毕" / "Sending finished", not "已完成" / "Done".
      assert.equal(await page.locator('#broadcast-state').textContent(), '发送完毕');
      await page.click('#lang-switch');
      assert.equal(await page.locator('#broadcast-state', { hasText: 'Sending finished' }).textContent(), 'Sending finished');
      await page.click('#lang-switch');
      await page.locator('#broadcast-state', { hasText: '发送完毕' }).waitFor();
      assert.equal(await page.locator('#broadcast-title').textContent(), TITLE, 'the page is headed by the notice title, not an id');
      assert.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true, 'no reload');
      await page.screenshot({ path: join(ARTIFACTS, `send-tree-tally-${run.size}.png`), fullPage: true });
      // The broadcasts list at this width: rows of a line or two (the notice title not one character a line), the table
      // scrolling inside its own box, the page no wider than the screen.
      await page.goto(`${bot.url}/console#/broadcasts`);
      const listed = page.locator('.ant-table-row', { hasText: broadcastId });
      await listed.locator('.broadcast-notice').waitFor();
      const layout = await page.evaluate(() => ({
        rows: [...document.querySelectorAll('.ant-table-row')].map((r) => r.getBoundingClientRect().height),
        notice: [...document.querySelectorAll('.broadcast-notice')].map((e) => ({ w: e.getBoundingClientRect().width, h: e.getBoundingClientRect().height })),
        page: document.documentElement.scrollWidth,
        width: window.innerWidth,
      }));
      assert.ok(Math.max(...layout.rows) <= 90, `rows ${layout.rows.join(', ')} px tall at ${run.size}`);
      assert.ok(layout.notice.every((n) => n.w >= 100), `notice column ${JSON.stringify(layout.notice)} at ${run.size}`);
      assert.ok(layout.page <= layout.width, `the page is ${layout.page} px wide in a ${layout.width} px window`);
      await page.screenshot({ path: join(ARTIFACTS, `broadcasts-list-${run.size}.png`), fullPage: true });
      await page.context().close();
    });
  }

  it('no script error on any page', () => {
    assert.deepEqual(errors, []);
  });
});
