// The sandbox on the /try page in a real browser (Chromium through playwright-core): the banner says it is a
// sandbox, an R&D employee is picked, the notice broadcast to R&D through /admin shows in their inbox, opening it
// and pressing 确认知悉 (Acknowledge) move the broadcast's tally, and a question asked as them gets their status.
// The overlay's own texts follow the page's language: Simplified Chinese, Traditional Chinese as written in Taiwan
// (zh-TW, zh-HK browsers), English. Screenshots to test-artifacts/sandbox/.
//
// Chromium: CHROMIUM_PATH, else /usr/bin/chromium. Without it the test is skipped with a message — except on CI
// (CI set) or with REQUIRE_BROWSER set, where a missing browser is a failure.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT, startTestBot, type TestBot } from '../../helpers/app.ts';
import { simplifiedOnly } from '../../helpers/chinese.ts';
import { SANDBOX_PAGE_TEXTS } from '../../../adapters/sandbox/page.ts';

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

    /** Writes a notice, broadcasts it to `audience` on the sandbox and waits until the broadcast is done; its id. */
    async function broadcast(audience: Record<string, string[]>, title = { zh: '研发部会话存档告知', en: 'R&D archiving notice' }): Promise<string> {
      const n = await admin('POST', '/admin/notices', { title, body: { zh: '研发部的工作聊天将被存档。', en: 'R&D work chats are archived.' } });
      const { id: noticeId } = (await n.json()) as { id: string };
      const b = await admin('POST', '/admin/broadcasts', { noticeId, platform: 'sandbox', audience });
      const { id } = (await b.json()) as { id: string };
      const deadline = Date.now() + 20_000;
      while ((await counts(id)).state !== 'done') {
        assert.ok(Date.now() < deadline, 'the broadcast finished');
        await new Promise((r) => setTimeout(r, 15));
      }
      return id;
    }

    /**
     * The overlay's own texts as the page shows them (banner, picker label and its "anonymous" option, refresh
     * button, inbox heading, cards' states and buttons, the note while an employee is chosen), without its data:
     * the notices' text and the directory's names (class sbx-data) and the department groups of the picker.
     */
    const overlayChrome = (page: Page) =>
      page.evaluate(() =>
        ['#sandbox-banner', '#sandbox-bar', '#sandbox-inbox', 'p.note']
          .map((sel) => {
            const copy = document.querySelector(sel)!.cloneNode(true) as HTMLElement;
            copy.querySelectorAll('.sbx-data, optgroup').forEach((d) => d.remove());
            return copy.textContent ?? '';
          })
          .join('\n'),
      );

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
      const id = await broadcast({ departmentIds: ['rd'] });

      // A Simplified Chinese browser: the /try page's own texts (the note below) follow the browser's language.
      // The browser's own zone is UTC (as a newcomer's laptop was): the inbox still shows the company's time.
      const page = await browser.newPage({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN', timezoneId: 'UTC' });
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

      await page.getByRole('button', { name: '打开', exact: true }).click();
      await page.waitForFunction(() => /已读/.test(document.querySelector('.sbx-card .sbx-state')?.textContent ?? ''));
      assert.match(await page.locator('.sbx-card .sbx-body').first().innerText(), /R&D work chats are archived/);
      assert.equal((await counts(id)).counts.read, 1);

      await page.locator('.sbx-ack').first().click();
      await page.waitForFunction(() => /已确认/.test(document.querySelector('.sbx-card .sbx-state')?.textContent ?? ''));
      // The time is in the company time zone with its offset, as the console and the bot show it — one date for one
      // acknowledgement, whatever the browser's zone.
      const inbox = (await (await fetch(`${bot.url}/try/sandbox/inbox?user=wuhao`)).json()) as { timeZone: string; cards: { acknowledgedAt: string | null }[] };
      assert.equal(inbox.timeZone, 'Asia/Shanghai');
      const ackAt = new Date(inbox.cards[0]!.acknowledgedAt!);
      const shanghai = new Date(ackAt.getTime() + 8 * 60 * 60 * 1000).toISOString().replace('T', ' ').slice(0, 19);
      assert.equal(await page.locator('.sbx-card .sbx-state').first().innerText(), `已确认 ${shanghai} +08:00`);
      const after = (await counts(id)).counts;
      assert.equal(after.acknowledged, 1);
      assert.equal(after.read, 1);
      assert.match(await page.locator('.msg.bot').last().innerText(), /已记录/);
      // Simplified Chinese only: no English line beside it any more.
      const chrome = await overlayChrome(page);
      assert.doesNotMatch(chrome, /Acknowledge|Refresh|Ask as|Sandbox inbox|acknowledged/, chrome);
      assert.match(chrome, /身份：/);

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

    it('390x844, first paint: with the banner and the picker above the conversation, the input is still at the bottom of the screen', async () => {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
      try {
        await page.goto(`${bot.url}/try`, { waitUntil: 'domcontentloaded' });
        await page.locator('#sandbox-banner').waitFor();
        const box = await page.evaluate(() => ({ bottom: document.getElementById('q')!.getBoundingClientRect().bottom, height: window.innerHeight, scrollY: window.scrollY }));
        assert.equal(box.scrollY, 0);
        assert.ok(box.bottom <= box.height && box.bottom >= box.height - 120, `the input's bottom at ${box.bottom}px, viewport height ${box.height}`);
        await page.screenshot({ path: join(ARTIFACTS, 'sandbox-390-first-paint.png') });
      } finally {
        await page.close();
      }
    });

    for (const [locale, lang, userId, noHan] of [
      ['zh-TW', 'zh-TW', 'hanxue', false],
      ['en-US', 'en', 'pengfei', true],
    ] as const) {
      it(`a ${locale} browser sees the overlay in ${lang === 'en' ? 'English' : 'Traditional Chinese as written in Taiwan'}, as the page's own texts`, async () => {
        const T = SANDBOX_PAGE_TEXTS[lang];
        const id = await broadcast({ userIds: [userId] }, { zh: '会话存档告知', en: 'Archiving notice' });
        const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale });
        try {
          const page = await context.newPage();
          const errors: string[] = [];
          page.on('pageerror', (e) => errors.push(e.message));
          await page.goto(`${bot.url}/try`);
          await page.waitForFunction(() => document.querySelectorAll('#sandbox-employee option').length > 30);
          assert.equal(await page.evaluate(() => document.documentElement.lang), lang, "the page's own language");
          assert.equal(await page.locator('#sandbox-banner').innerText(), T.banner);
          assert.equal(await page.locator('#sandbox-banner').getAttribute('lang'), lang);
          assert.equal(await page.locator('#sandbox-employee option').first().textContent(), T.anonymous);
          assert.equal(await page.locator('#sandbox-bar label').evaluate((l) => l.firstChild?.textContent ?? ''), T.askAs, 'the picker label');

          await page.selectOption('#sandbox-employee', userId);
          await page.locator('.sbx-card').first().waitFor();
          assert.equal(await page.getByRole('button', { name: T.refresh, exact: true }).count(), 1, 'the refresh button');
          assert.ok((await page.locator('#sandbox-inbox strong').innerText()).startsWith(`${T.inbox} — `), 'the inbox heading');
          assert.equal(await page.locator('.sbx-card .sbx-state').first().innerText(), T.unread);
          const [before, after] = T.askingAs.split('{employee}') as [string, string];
          const note = (await page.locator('p.note').innerText()).trim();
          assert.ok(note.startsWith(before.trim()) && note.endsWith(after.trim()), `the note: ${note}`);
          // The notice itself is the admin's text, shown as the delivery chose (both languages here).
          assert.match(await page.locator('.sbx-card h3').first().innerText(), /会话存档告知 \/ Archiving notice/);

          await page.getByRole('button', { name: T.open, exact: true }).click();
          await page.waitForFunction((t) => document.querySelector('.sbx-card .sbx-state')?.textContent === t, T.read);
          assert.equal((await counts(id)).counts.read, 1);
          await page.getByRole('button', { name: T.acknowledge, exact: true }).click();
          const done = T.acknowledged.split('{time}')[0]!;
          await page.waitForFunction((t) => (document.querySelector('.sbx-card .sbx-state')?.textContent ?? '').startsWith(t), done);
          // The company's time with its offset (the browser's own zone does not matter).
          assert.match(await page.locator('.sbx-card .sbx-state').first().innerText(), /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+08:00$/);
          assert.equal((await counts(id)).counts.acknowledged, 1);

          const chrome = await overlayChrome(page);
          if (noHan) {
            assert.doesNotMatch(chrome, /\p{Script=Han}/u, `no Chinese in the English overlay: ${chrome}`);
          } else {
            assert.deepEqual(simplifiedOnly(chrome), [], `no Simplified-only character in the overlay: ${chrome}`);
            assert.doesNotMatch(chrome, /Acknowledge|Refresh|Ask as|inbox|unread/, `no English line beside it: ${chrome}`);
          }
          await page.screenshot({ path: join(ARTIFACTS, `sandbox-${lang}-390.png`), fullPage: true });
          await page.selectOption('#sandbox-employee', '');
          assert.equal(await page.locator('p.note').getAttribute('lang'), lang);
          assert.deepEqual(errors, [], 'no script errors on the page');
        } finally {
          await context.close();
        }
      });
    }

    it('a zh-HK browser gets the zh-TW overlay too: the page\'s decision, not one of its own', async () => {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-HK' });
      try {
        const page = await context.newPage();
        await page.goto(`${bot.url}/try`);
        await page.locator('#sandbox-banner').waitFor();
        assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-TW');
        assert.equal(await page.locator('#sandbox-banner').innerText(), SANDBOX_PAGE_TEXTS['zh-TW'].banner);
        assert.deepEqual(simplifiedOnly(await overlayChrome(page)), []);
      } finally {
        await context.close();
      }
    });
  });
}
