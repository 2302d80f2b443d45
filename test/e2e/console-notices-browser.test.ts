/**
 * The console's notice tools in a real browser (playwright-core + Debian chromium, as
 * console-browser.test.ts; skipped without the browser unless CI=true), against the real bot on
 * loopback in the sandbox (no real platform; SQLite store): compose a notice in zh-CN and fill its
 * zh-TW text with "convert from zh-CN" (the server's OpenCC twp conversion), add a second version
 * and compare the two side by side (title and body, per language), preview it per platform with the
 * platform switch — the sandbox's own rendering plus the WeCom, DingTalk and Feishu adapters'
 * preview functions registered beside it — and test-send it to a chosen sandbox employee: the card
 * lands in that employee's inbox, the console audit trail records the test send, and no broadcast
 * exists (nothing counted in any tally). No wall-clock waits: every step waits on a condition.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_CONTEXT } from '../helpers/browser.ts';
import { startTestBot, type TestBot } from '../helpers/app.ts';
import { addAccount } from '../helpers/console-client.ts';
import type { NoticeChannel, NoticeDelivery, NoticePreview } from '../../src/platform/notices.ts';
import { wecomNoticePreview } from '../../adapters/wecom/notices.ts';
import { dingtalkNoticePreview } from '../../adapters/dingtalk/notices.ts';
import { feishuNoticePreview } from '../../adapters/feishu/notices.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ADMIN_TOKEN = 'notices-browser-token-0123456789abcdef';
const PASSWORD = 'hr-console-Passw0rd';
const TITLE_ZH = '会话存档告知';
const BODY_ZH = '公司通过会话存档保存工作聊天记录。\n如有疑问请联系人力资源部。';
const BODY_ZH_V2 = '公司通过会话存档保存工作聊天记录，保存期限为三年。\n如有疑问请联系人力资源部。';

const missing = !existsSync(CHROMIUM);
if (missing && process.env.CI === 'true') throw new Error(`chromium not found at ${CHROMIUM} (set CHROMIUM_PATH); CI=true does not skip`);

/** A channel that only previews (the real adapters' rendering); it refuses to send. */
function previewOnly(platform: string, preview: (d: NoticeDelivery) => NoticePreview): NoticeChannel {
  return {
    platform,
    maxBatchSize: 1,
    readSupported: false,
    resolveAudience: async () => [],
    sendBatch: async () => {
      throw new Error(`${platform} is preview-only in this test`);
    },
    preview,
  };
}

describe('console notices in a real browser (sandbox)', { skip: missing ? `no browser at ${CHROMIUM} (set CHROMIUM_PATH)` : false }, () => {
  let bot: TestBot;
  let browser: Browser;
  let page: Page;
  let noticeId = '';
  const errors: string[] = [];

  before(async () => {
    bot = await startTestBot({ ADMIN_TOKEN, SANDBOX: 'on' }, { logLevel: 'warn' });
    bot.core.notices.registerChannel(previewOnly('wecom', wecomNoticePreview));
    bot.core.notices.registerChannel(previewOnly('dingtalk', dingtalkNoticePreview));
    bot.core.notices.registerChannel(previewOnly('feishu', feishuNoticePreview));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await (await browser.newContext({ ...ADMIN_CONTEXT, viewport: { width: 1366, height: 900 } })).newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    const oneTime = await addAccount(bot.core.store, 'hr.li', 'admin');
    await page.goto(`${bot.url}/console`);
    await page.fill('#signin-name', 'hr.li');
    await page.fill('#signin-password', oneTime);
    await page.click('#signin-submit');
    await page.fill('#pw-current', oneTime);
    await page.fill('#pw-next', PASSWORD);
    await page.fill('#pw-repeat', PASSWORD);
    await page.click('#pw-submit');
    await page.waitForSelector('#new-notice');
  });
  after(async () => {
    await browser?.close();
    await bot?.close();
  });

  it('compose in zh-CN; "convert from zh-CN" fills the zh-TW text, saved with the notice', async () => {
    await page.click('#new-notice');
    await page.fill('#notice-title-zh', TITLE_ZH);
    await page.fill('#notice-body-zh', BODY_ZH);
    await page.click('#notice-convert');
    await page.waitForFunction(() => (document.querySelector('#notice-title-tw') as HTMLInputElement | null)?.value === '會話存檔告知');
    assert.equal(await page.inputValue('#notice-body-tw'), '公司透過會話存檔保存工作聊天記錄。\n如有疑問請聯絡人力資源部。');
    await page.click('#notice-save');
    await page.waitForURL(/#\/notices\/n-/);
    noticeId = decodeURIComponent(page.url().split('#/notices/')[1]!);
    const v1 = await bot.core.notices.getNoticeVersion(noticeId, 1);
    assert.deepEqual(v1.title, { zh: TITLE_ZH, en: '', 'zh-TW': '會話存檔告知' }, 'English optional (not written), zh-TW as converted');
  });

  it('a second version; the two versions side by side show the changed body line per language', async () => {
    await page.click('#edit-notice');
    await page.waitForFunction(() => (document.querySelector('#notice-body-zh') as HTMLTextAreaElement | null)?.value.length);
    await page.fill('#notice-body-zh', BODY_ZH_V2);
    await page.fill('#notice-title-en', 'Chat archiving notice');
    await page.click('#notice-save');
    await page.locator('#version-compare').waitFor();
    const zhBody = page.locator('#diff-body-zh');
    await zhBody.locator('.diff-del').first().waitFor();
    assert.equal((await zhBody.locator('td.diff-del').allTextContents()).join('|'), `− ${BODY_ZH.split('\n')[0]}`);
    assert.equal((await zhBody.locator('td.diff-add').allTextContents()).join('|'), `+ ${BODY_ZH_V2.split('\n')[0]}`);
    assert.equal(await zhBody.locator('td.diff-same').count(), 2, 'the unchanged second line on both sides');
    assert.match((await page.textContent('#diff-title-zh')) ?? '', /相同/, 'the title did not change');
    await page.getByRole('tab', { name: 'English' }).first().click();
    assert.equal((await page.locator('#diff-title-en td.diff-add').allTextContents()).join('|'), '+ Chat archiving notice');
    await page.getByRole('tab', { name: '繁體中文' }).first().click();
    assert.match((await page.textContent('#diff-body-zh-TW')) ?? '', /相同/, 'zh-TW kept from version 1 (the form carries it over)');
    await page.locator('.ant-select', { has: page.locator('#diff-from') }).click();
    await page.locator('.ant-select-item-option[title^="v2"]').first().click();
    await page.waitForFunction(() => document.querySelector('#diff-body-zh td.diff-del') === null);
  });

  it('preview per platform: the switch shows each adapter\'s own rendering, limits and cuts', async () => {
    await page.locator('#notice-preview').waitFor();
    await page.locator('#preview-status').waitFor();
    for (const p of ['dingtalk', 'feishu', 'sandbox', 'wecom']) assert.equal(await page.locator(`#preview-platform-${p}`).count(), 1, p);
    await page.click('#preview-platform-wecom');
    await page.locator('.preview-message .ant-tag', { hasText: 'template_card' }).waitFor();
    assert.equal(await page.locator('.preview-title').first().textContent(), TITLE_ZH);
    assert.equal(await page.locator('.preview-button').first().textContent(), '确认知悉 / Acknowledge');
    assert.match((await page.textContent('#notice-preview')) ?? '', /sub_title_text/);
    await page.click('#preview-platform-dingtalk');
    await page.locator('.preview-message .ant-tag', { hasText: 'sampleMarkdown' }).waitFor();
    assert.match((await page.textContent('#notice-preview')) ?? '', /无按钮/);
    assert.match((await page.locator('.preview-text').first().textContent()) ?? '', /保存期限为三年/);
    await page.click('#preview-platform-feishu');
    await page.locator('.preview-message .ant-tag', { hasText: 'interactive card' }).waitFor();
    assert.equal(await page.locator('.preview-title').first().textContent(), `${TITLE_ZH} | Chat archiving notice`);
    assert.equal(await page.locator('.preview-button').first().textContent(), '确认已读 / Acknowledge');
    await page.click('#preview-platform-sandbox');
    await page.locator('.preview-message .ant-tag', { hasText: '沙盒卡片' }).waitFor();
    assert.match((await page.textContent('#preview-status')) ?? '', /完整显示/);
  });

  it('test-send to a chosen sandbox employee: in the inbox, in the audit trail, in no broadcast', async () => {
    // The platform picker opens once the dialog's platform list has arrived (disabled until then), and the
    // next step waits for its list to close, as a person sees it close before clicking on.
    const choosePlatform = async (label: string): Promise<void> => {
      await page.locator('.ant-select:not(.ant-select-disabled)', { has: page.locator('#test-send-platform') }).click();
      const option = page.locator(`.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option[title="${label}"]`);
      await option.click();
      await option.waitFor({ state: 'hidden' });
    };
    await page.click('#test-send');
    await choosePlatform('sandbox');
    await page.fill('#test-send-user', 'wangfang');
    await page.click('#test-send-go');
    await page.locator('.ant-message').filter({ hasText: 'wangfang' }).waitFor();
    const inbox = (await (await fetch(`${bot.url}/try/sandbox/inbox?user=wangfang`)).json()) as { cards: { noticeId: string; version: number; title: { zh: string } }[] };
    assert.deepEqual(inbox.cards.map((c) => [c.noticeId, c.version, c.title.zh]), [[noticeId, 2, TITLE_ZH]]);
    const broadcasts = (await (await fetch(`${bot.url}/admin/broadcasts`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { broadcasts: unknown[] };
    assert.deepEqual(broadcasts.broadcasts, [], 'a test send is no broadcast: nothing counted in any tally');
    const audit = (await page.evaluate(async () => (await fetch('/console/api/audit')).json())) as { entries: { actor: string; action: string; status: number; target?: string }[] };
    const entry = audit.entries.find((e) => /test-send/.test(e.action));
    assert.ok(entry, 'recorded in the console audit trail');
    assert.deepEqual([entry.actor, entry.status, entry.target], ['hr.li', 200, noticeId]);

    // On a real platform a test send goes only to the account's own link: none here → a short reason, in the
    // console's language (by the error's code), with the code.
    await page.click('#test-send');
    await choosePlatform('企业微信');
    assert.equal(await page.locator('#test-send-user').count(), 0, 'no recipient to choose on a real platform');
    await page.click('#test-send-go');
    await page.getByText(/没有关联该平台的账号.*\(NOTICE_TEST_NO_ACCOUNT\)/).first().waitFor();
    assert.deepEqual(errors, []);
  });

  it("a broadcast's page tells what its preparation found: unknown typed ids (not counted), or an interrupted preparation", async () => {
    const notices = bot.core.notices;
    const id = await notices.prepareBroadcast({ noticeId, platform: 'sandbox', audience: { userIds: ['wangfang', 'ghost-9', 'zhoutao'] }, createdBy: 'console:hr.li' });
    await notices.preparationsSettled();
    await page.goto(`${bot.url}/console#/broadcasts/${id}`);
    const unknown = page.locator('#prep-unknown');
    await unknown.waitFor();
    assert.equal(await unknown.getAttribute('data-count'), '1');
    assert.equal(await page.locator('#prep-unknown-ids').textContent(), 'ghost-9');
    assert.equal(await page.locator('.tally-targeted').getAttribute('data-value'), '2', 'the unknown id is not counted');
    assert.equal(await page.locator('#prep-interrupted').count(), 0);
    assert.equal(await page.locator('#prep-unmatched-exclusions').count(), 0, 'no exclusion, nothing to say about one');

    // Exclusions that removed nobody (a typo, a department none of whose members is in the audience): a warning
    // on the broadcast page too; the count stands.
    const typo = await notices.prepareBroadcast({
      noticeId, platform: 'sandbox', createdBy: 'console:hr.li',
      audience: { userIds: ['wangfang', 'zhoutao'], exclude: { userIds: ['zhoutoa', 'lijing'], departmentIds: ['sales'] } },
    });
    await notices.preparationsSettled();
    await page.goto(`${bot.url}/console#/broadcasts/${typo}`);
    await page.locator('#prep-unmatched-exclusions').waitFor();
    assert.equal(await page.locator('#prep-unmatched-people').textContent(), '排除的 2 人不在本次发送对象中：zhoutoa, lijing——请检查拼写。');
    assert.equal(await page.locator('#prep-unmatched-department-ids').textContent(), 'sales', 'no directory tree on this page: the id');
    assert.equal(await page.locator('.tally-targeted').getAttribute('data-value'), '2');
    // In English after the language switch (and back).
    await page.click('#lang-switch');
    await page.locator('#prep-unmatched-people', { hasText: '2 excluded people are not in this audience: zhoutoa, lijing — check the spelling.' }).waitFor();
    assert.match((await page.locator('#prep-unmatched-departments').textContent()) ?? '', /^1 excluded department removed nobody \(none of its members is in this audience\): sales$/);
    await page.click('#lang-switch');
    await page.locator('#prep-unmatched-people', { hasText: '排除的 2 人' }).waitFor();

    // A preparation whose instance died (its lease ended long ago): another instance's worker marks it.
    const dead = 'prep-dead-1';
    await notices.store.createBroadcast(
      { id: dead, noticeId, version: 2, platform: 'sandbox', audience: { userIds: ['wangfang'] }, readSupported: true, createdBy: 'console:hr.li', preparation: { owner: 'gone-instance', leaseUntil: 1 } },
      Date.now(),
    );
    await bot.core.store.set(`notice:prepare:${dead}`, JSON.stringify({ state: 'preparing' }), 60_000);
    assert.deepEqual(await notices.recoverPreparations(), { interrupted: 1, expired: 0 });
    await page.goto(`${bot.url}/console#/broadcasts/${dead}`);
    await page.locator('#prep-interrupted').waitFor();
    assert.match((await page.locator('#prep-interrupted').textContent()) ?? '', /准备中断，请重试|Preparation interrupted — retry/);
    assert.equal(await page.locator('#broadcast-state').getAttribute('data-state'), 'cancelled');
    assert.deepEqual(errors, []);
  });
});
