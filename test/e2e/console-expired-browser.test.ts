/**
 * The console's broadcast list and page for a broadcast stuck resolving (its resolution never finished: the process
 * resolving it died), in a real browser: playwright-core driving Debian's chromium (/usr/bin/chromium, CHROMIUM_PATH
 * overrides; headless, --no-sandbox --disable-gpu --disable-background-networking), against the real bot on loopback
 * with the fake notice platform and the notice engine on an injected clock (nothing waits for the wall clock).
 * Skipped when the browser is missing — except with CI=true, where that is a failure.
 *
 * Until PREPARE_TTL_MS after its creation it is shown as preparing; from then on as "未确认，已过期" (expired), in
 * the list and on its page, with the reason and no button that would act on it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_CONTEXT } from '../helpers/browser.ts';
import { startNoticeBot, type NoticeBot } from './notices-harness.ts';
import { signedIn } from '../helpers/console-client.ts';
import { ManualClock } from '../src/notices/helpers.ts';
import { PREPARE_TTL_MS } from '../../src/notices/service.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const missing = !existsSync(CHROMIUM);
if (missing && process.env.CI === 'true') throw new Error(`chromium not found at ${CHROMIUM} (set CHROMIUM_PATH); CI=true does not skip`);

describe('console: a broadcast stuck resolving shows as expired (real browser, injected clock)', { skip: missing ? `no browser at ${CHROMIUM} (set CHROMIUM_PATH)` : false }, () => {
  let bot: NoticeBot;
  let browser: Browser;
  let page: Page;
  const clock = new ManualClock();
  const errors: string[] = [];

  before(async () => {
    bot = await startNoticeBot({ fake: { users: ['u1', 'u2'] }, worker: false, clock });
    const admin = await signedIn(bot.url, bot.core.store, 'hr.expired', 'admin');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    const context = await browser.newContext({ ...ADMIN_CONTEXT, viewport: { width: 1366, height: 768 } });
    const [name, value] = admin.cookie.split('=') as [string, string];
    await context.addCookies([{ name, value, url: `${bot.url}/console` }]);
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
  });
  after(async () => {
    await browser?.close();
    await bot?.close();
  });

  it('preparing until createdAt + PREPARE_TTL_MS, then "未确认，已过期" in the list and on its page, with nothing left to press', async () => {
    const noticeId = (await bot.core.notices.createNotice({ title: { zh: '会话存档告知', en: 'Archiving notice' }, body: { zh: '正文', en: 'Body' } })).noticeId;
    // A foreground send recorded, then its process died before the audience was resolved.
    const id = await bot.core.notices.recordBroadcast({ noticeId, platform: 'wecom', audience: { userIds: ['u1', 'u2'] }, createdBy: 'api' });
    const listTag = page.locator('.broadcast-list-state');
    await page.goto(`${bot.url}/console#/broadcasts`);
    await listTag.waitFor();
    assert.deepEqual([await listTag.getAttribute('data-state'), await listTag.getAttribute('data-shown'), await listTag.textContent()], ['resolving', 'resolving', '准备中']);

    clock.advance(PREPARE_TTL_MS);
    await page.reload();
    await page.locator('.broadcast-list-state[data-shown="expired"]').waitFor();
    assert.deepEqual([await listTag.getAttribute('data-state'), await listTag.textContent()], ['resolving', '未确认，已过期']);

    await page.goto(`${bot.url}/console#/broadcasts/${id}`);
    const state = page.locator('#broadcast-state');
    await page.locator('#broadcast-expired').waitFor();
    assert.deepEqual([await state.getAttribute('data-shown'), await state.textContent()], ['expired', '未确认，已过期']);
    assert.match((await page.locator('#broadcast-expired').textContent()) ?? '', /没有发送任何消息/);
    assert.equal(await page.locator('#broadcast-confirm-by').count(), 0);
    for (const button of ['#remind', '#retry', '#cancel-broadcast']) assert.equal(await page.locator(button).isDisabled(), true, button);
    assert.deepEqual(errors, []);
  });

  it('a broadcast with no preparation (recorded by the API) is asked for one once, not at every poll', async () => {
    const noticeId = (await bot.core.notices.createNotice({ title: { zh: '存档告知', en: 'Notice' }, body: { zh: '正文', en: 'Body' } })).noticeId;
    const id = await bot.core.notices.recordBroadcast({ noticeId, platform: 'wecom', audience: { userIds: ['u1'] }, createdBy: 'api' });
    const prepAsks: number[] = [];
    let polls = 0;
    let polled!: () => void;
    const fourPolls = new Promise<void>((resolve) => (polled = resolve));
    page.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      if (path === `/console/api/broadcasts/${id}/preparation`) prepAsks.push(r.status());
      if (path === `/console/api/broadcasts/${id}` && ++polls >= 4) polled();
    });
    await page.goto(`${bot.url}/console#/broadcasts/${id}`);
    await fourPolls;
    assert.deepEqual(prepAsks, [409], 'one refusal, then no more asking');
  });
});
