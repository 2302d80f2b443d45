/**
 * The console's shell in a real browser: playwright-core driving Debian's chromium (/usr/bin/chromium,
 * CHROMIUM_PATH overrides; headless, --no-sandbox --disable-gpu --disable-background-networking), against the real
 * bot on loopback with the fake notice platform. Skipped when the browser is missing — except with CI=true, where
 * that is a failure.
 *
 * The sign-in page, loaded by nobody signed in (no cookie, or a cookie of no live session), logs no console error,
 * no failed request and no HTTP error answer: the page's "who is signed in?" is answered 200 {signedIn: false}.
 * On a phone (390×844) the signed-in header — menu button, title, account, language switch, sign-out — shows every
 * element whole (nothing cut off or ellipsed), inside the viewport and overlapping none of the others, in Chinese and
 * in English and with a long account name; the menu button opens the menu. Screens go to test-artifacts/console/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN_CONTEXT } from '../helpers/browser.ts';
import { startNoticeBot, type NoticeBot } from './notices-harness.ts';
import { signedIn } from '../helpers/console-client.ts';
import { REPO_ROOT } from '../helpers/app.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'console');
const PHONE = { width: 390, height: 844 } as const;
/** The header's parts at a phone's width, in their order. */
const HEADER_PARTS = ['#menu-toggle', '#app-title', '#whoami', '#lang-switch', '#sign-out'] as const;
const missing = !existsSync(CHROMIUM);
if (missing && process.env.CI === 'true') throw new Error(`chromium not found at ${CHROMIUM} (set CHROMIUM_PATH); CI=true does not skip`);

/** Everything a page logs that a developer's devtools would show as a problem. */
function watch(page: Page): { problems: string[]; responses: { url: string; status: number }[] } {
  const problems: string[] = [];
  const responses: { url: string; status: number }[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    responses.push({ url: r.url(), status: r.status() });
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  return { problems, responses };
}

describe('console shell in a real browser', { skip: missing ? `no browser at ${CHROMIUM} (set CHROMIUM_PATH)` : false }, () => {
  let bot: NoticeBot;
  let browser: Browser;

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    bot = await startNoticeBot({ fake: { users: ['u1'] }, worker: false });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  after(async () => {
    await browser?.close();
    await bot?.close();
  });

  /** Loads the console in `context` and waits until the sign-in form stands and the page's own requests are answered. */
  async function loadSignIn(context: BrowserContext) {
    const page = await context.newPage();
    const seen = watch(page);
    const answered = (path: string) => page.waitForResponse((r) => new URL(r.url()).pathname === path);
    const session = answered('/console/api/session');
    const platforms = answered('/console/api/login/platforms');
    const texts = answered('/console/api/error-texts');
    await page.goto(`${bot.url}/console`);
    const s = await session;
    await Promise.all([platforms, texts]);
    await page.locator('#signin-name').waitFor();
    await page.locator('#signin-submit').waitFor();
    return { page, seen, session: { status: s.status(), body: (await s.json()) as unknown } };
  }

  it('the sign-in page, nobody signed in: no console error, no failed request, no HTTP error (the session check answers 200 {signedIn: false})', async () => {
    for (const cookie of [null, 'not-a-live-session'] as const) {
      const context = await browser.newContext({ ...ADMIN_CONTEXT, viewport: { width: 1366, height: 768 } });
      try {
        if (cookie) await context.addCookies([{ name: 'pb_console', value: cookie, url: `${bot.url}/console` }]);
        const { page, seen, session } = await loadSignIn(context);
        assert.deepEqual(seen.problems, [], `cookie ${cookie}`);
        assert.deepEqual(session, { status: 200, body: { signedIn: false } }, `cookie ${cookie}`);
        assert.ok(seen.responses.some((r) => r.url === `${bot.url}/console`), 'the page itself was seen');
        assert.equal(await page.locator('#signin-name').isVisible(), true, 'the sign-in form is shown');
      } finally {
        await context.close();
      }
    }
  });

  /** Where each header part is, whether its text fits its box, and whether an ancestor clips it. */
  async function headerLayout(page: Page) {
    // No named function inside: the page gets the function's source, without tsx's helpers.
    return page.evaluate((selectors: string[]) => {
      return selectors.map((sel) => {
        const e = document.querySelector(sel)!;
        const r = e.getBoundingClientRect();
        // Clipped when an ancestor that hides its overflow does not hold the whole box.
        let clipped = false;
        for (let a = e.parentElement; a && !clipped; a = a.parentElement) {
          const style = getComputedStyle(a);
          if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
          const c = a.getBoundingClientRect();
          clipped = r.left < c.left - 0.5 || r.right > c.right + 0.5 || r.top < c.top - 0.5 || r.bottom > c.bottom + 0.5;
        }
        return {
          sel, left: r.left, right: r.right, top: r.top, bottom: r.bottom, text: (e.textContent ?? '').trim(),
          fits: e.scrollWidth <= e.clientWidth + 1 && e.scrollHeight <= e.clientHeight + 1, clipped,
        };
      }).concat([{ sel: 'document', left: 0, right: document.documentElement.scrollWidth, top: 0, bottom: 0, text: '', fits: true, clipped: false }]);
    }, [...HEADER_PARTS]);
  }

  function assertUsable(layout: Awaited<ReturnType<typeof headerLayout>>, what: string): void {
    const doc = layout.pop()!;
    assert.ok(doc.right <= PHONE.width, `${what}: the page scrolls sideways (${doc.right} px wide)`);
    for (const p of layout) {
      assert.ok(p.right - p.left > 0 && p.bottom - p.top > 0, `${what}: ${p.sel} is not shown`);
      assert.ok(p.left >= 0 && p.right <= PHONE.width && p.top >= 0 && p.bottom <= PHONE.height, `${what}: ${p.sel} is outside the viewport (${JSON.stringify(p)})`);
      assert.ok(p.fits, `${what}: ${p.sel} is cut off ("${p.text}")`);
      assert.ok(!p.clipped, `${what}: ${p.sel} is clipped by its header ("${p.text}")`);
    }
    for (let i = 0; i < layout.length; i++) {
      for (let j = i + 1; j < layout.length; j++) {
        const a = layout[i]!;
        const b = layout[j]!;
        const overlap = a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
        assert.ok(!overlap, `${what}: ${a.sel} and ${b.sel} overlap (${JSON.stringify([a, b])})`);
      }
    }
  }

  it('at 390×844 the header shows title, account, language switch, sign-out and menu button whole, in the viewport and not overlapping (zh, en, a long account name)', async () => {
    for (const name of ['hr.zhang', 'compliance.officer@example-company.com']) {
      const client = await signedIn(bot.url, bot.core.store, name, 'owner');
      const context = await browser.newContext({ ...ADMIN_CONTEXT, viewport: PHONE });
      try {
        const [cookieName, value] = client.cookie.split('=') as [string, string];
        await context.addCookies([{ name: cookieName, value, url: `${bot.url}/console` }]);
        const page = await context.newPage();
        const seen = watch(page);
        await page.goto(`${bot.url}/console`);
        await page.locator('#whoami').waitFor();
        for (const lang of ['zh', 'en'] as const) {
          if (lang === 'en') {
            await page.click('#lang-switch');
            await page.locator('#sign-out', { hasText: 'Sign out' }).waitFor();
          }
          assert.equal(await page.textContent('#app-title'), lang === 'zh' ? '隐私助手 管理控制台' : 'privacy-bot admin console');
          assert.equal(await page.textContent('#whoami'), `${name} · owner`);
          await page.screenshot({ path: join(ARTIFACTS, `header-${name.length > 10 ? 'long-name' : 'short-name'}-${lang}-390x844.png`) });
          assertUsable(await headerLayout(page), `${name}, ${lang}`);
          // Usable: the menu button opens the menu, whose entries are on screen and lead to their page (closing the menu).
          await page.click('#menu-toggle');
          assert.equal(await page.getAttribute('#menu-toggle', 'aria-expanded'), 'true');
          const entry = page.locator('nav[aria-label="menu"] a[href="#/broadcasts"]');
          await entry.waitFor({ state: 'visible' });
          const box = (await entry.boundingBox())!;
          assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, `${lang}: the menu entry is on screen`);
          await entry.click();
          await page.waitForURL(/#\/broadcasts$/);
          await page.locator('#menu-toggle[aria-expanded="false"]').waitFor();
        }
        assert.deepEqual(seen.problems, []);
      } finally {
        await context.close();
      }
    }
  });
});
