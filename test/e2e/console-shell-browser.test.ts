/**
 * The console's shell in a real browser: playwright-core driving Debian's chromium (/usr/bin/chromium,
 * CHROMIUM_PATH overrides; headless, --no-sandbox --disable-gpu --disable-background-networking), against the real
 * bot on loopback with the fake notice platform. Skipped when the browser is missing — except with CI=true, where
 * that is a failure.
 *
 * The sign-in page, loaded by nobody signed in (no cookie, or a cookie of no live session), logs no console error,
 * no failed request and no HTTP error answer: the page's "who is signed in?" is answered 200 {signedIn: false}.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN_CONTEXT } from '../helpers/browser.ts';
import { startNoticeBot, type NoticeBot } from './notices-harness.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
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
});
