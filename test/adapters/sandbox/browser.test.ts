// The sandbox on the /try page in a real browser (Chromium through playwright-core): the banner says it is a
// sandbox, an R&D employee is picked, the notice broadcast to R&D through /admin shows in their inbox, opening it
// and pressing 确认知悉 / Acknowledge move the broadcast's tally, and a question asked as them gets their status.
// Screenshot to test-artifacts/sandbox/.
//
// Chromium: CHROMIUM_PATH, else /usr/bin/chromium. Without it the test is skipped with a message — except on CI
// (CI set) or with REQUIRE_BROWSER set, where a missing browser is a failure.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { REPO_ROOT, startTestBot, type TestBot } from '../../helpers/app.ts';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const MUST_HAVE_BROWSER = Boolean(process.env.CI || process.env.REQUIRE_BROWSER);
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'sandbox');
const ADMIN_TOKEN = 'sandbox-browser-token-0123456789abcdef';

interface Counts { targeted: number; sent: number; read: number; acknowledged: number }

if (!existsSync(CHROMIUM)) {
  if (MUST_HAVE_BROWSER) {
    it('sandbox in a real browser: Chromium is installed (required because CI or REQUIRE_BROWSER is set)', () => {
      assert.fail(`no Chromium at ${CHROMIUM}: apt-get install -y chromium or set CHROMIUM_PATH`);
    });
  } else {
    it(`sandbox in a real browser (skipped: no Chromium at ${CHROMIUM})`, { skip: true }, () => {});
  }
} else {
  describe('sandbox on /try in a real browser', () => {
    let bot: TestBot;
    let browser: Browser;
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`${bot.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    const counts = async (id: string) => ((await (await admin('GET', `/admin/broadcasts/${id}`)).json()) as { state: string; counts: Counts });

    before(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      bot = await startTestBot({ ADMIN_TOKEN, SANDBOX: 'on' }, { logLevel: 'warn', noticeWorker: { idleMs: 20, leaseMs: 2000, backoffBaseMs: 50, readPollMs: 50 } });
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    });
    after(async () => {
      await browser?.close();
      await bot?.close();
    });

    it('pick an employee, see the card, open and acknowledge it, ask as them', async () => {
      const n = await admin('POST', '/admin/notices', { title: { zh: '研发部会话存档告知', en: 'R&D archiving notice' }, body: { zh: '研发部的工作聊天将被存档。', en: 'R&D work chats are archived.' } });
      const { id: noticeId } = (await n.json()) as { id: string };
      const b = await admin('POST', '/admin/broadcasts', { noticeId, platform: 'sandbox', audience: { departmentIds: ['rd'] } });
      const { id } = (await b.json()) as { id: string };
      const deadline = Date.now() + 20_000;
      while ((await counts(id)).state !== 'done') {
        assert.ok(Date.now() < deadline, 'the broadcast finished');
        await new Promise((r) => setTimeout(r, 15));
      }

      // A Simplified Chinese browser: the /try page's own texts (the note below) follow the browser's language.
      const page = await browser.newPage({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN' });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${bot.url}/try`);
      assert.match(await page.locator('#sandbox-banner').innerText(), /沙盒 SANDBOX/);
      await page.waitForFunction(() => document.querySelectorAll('#sandbox-employee option').length > 30);
      assert.match(await page.locator('p.note').innerText(), /匿名/);
      await page.selectOption('#sandbox-employee', 'wuhao');
      assert.match(await page.locator('p.note').innerText(), /沙盒员工 吴昊/, 'the note says who is asking');
      await page.locator('.sbx-card').first().waitFor();
      assert.match(await page.locator('.sbx-card h3').first().innerText(), /研发部会话存档告知/);
      assert.match(await page.locator('.sbx-card .sbx-state').first().innerText(), /未读/);

      await page.getByRole('button', { name: '打开 / Open' }).click();
      await page.waitForFunction(() => /已读/.test(document.querySelector('.sbx-card .sbx-state')?.textContent ?? ''));
      assert.match(await page.locator('.sbx-card .sbx-body').first().innerText(), /R&D work chats are archived/);
      assert.equal((await counts(id)).counts.read, 1);

      await page.locator('.sbx-ack').first().click();
      await page.waitForFunction(() => /已确认/.test(document.querySelector('.sbx-card .sbx-state')?.textContent ?? ''));
      const after = (await counts(id)).counts;
      assert.equal(after.acknowledged, 1);
      assert.equal(after.read, 1);
      assert.match(await page.locator('.msg.bot').last().innerText(), /已记录/);

      const answersBefore = await page.locator('.meta').count();
      await page.fill('#q', '我的聊天有没有被存档？');
      await page.press('#q', 'Enter');
      await page.waitForFunction((k) => document.querySelectorAll('.meta').length > k, answersBefore);
      const text = await page.locator('.msg.bot').allInnerTexts();
      assert.match(text.join('\n'), /2025-01-02/, 'the status of the employee asked as');
      await page.screenshot({ path: join(ARTIFACTS, 'sandbox-1366.png'), fullPage: true });
      await page.selectOption('#sandbox-employee', '');
      assert.match(await page.locator('p.note').innerText(), /匿名/, 'back to anonymous');
      assert.deepEqual(errors, [], 'no script errors on the page');
      await page.close();
    });
  });
}
