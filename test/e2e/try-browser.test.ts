// The /try page as a newcomer sees it, in a real browser (Chromium through playwright-core), at a laptop
// (1366×768) and a phone (390×844) size: on a phone the input is at the bottom of the screen from the first paint
// and stays in view after a long answer, the debug line is behind a
// closed "details" toggle, sources are real links opening in a new tab, and a suggestion click answers in the
// asker's language. The input's placeholder is never cut off (1366, 390 and 320 px wide, after a resize too), and
// the page's own texts follow the browser's language: zh-CN, zh-TW (also zh-HK / zh-Hant) or en; so does the answer
// to a first question that says nothing of its language ("?", "2", an emoji).
// Screenshots go to test-artifacts/try/.
//
// Chromium: CHROMIUM_PATH, else /usr/bin/chromium (Debian's package). Without it the test is skipped with a
// message — except on CI (CI set) or with REQUIRE_BROWSER set, where a missing browser is a failure.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT, startTestBot, type TestBot } from '../helpers/app.ts';
import { simplifiedOnly } from '../helpers/chinese.ts';
import { TRY_STARTER_QUESTIONS } from '../../src/http/try-page.ts';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const MUST_HAVE_BROWSER = Boolean(process.env.CI || process.env.REQUIRE_BROWSER);
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'try');
const VIEWPORTS = [
  { width: 1366, height: 768 },
  { width: 390, height: 844 },
] as const;

if (!existsSync(CHROMIUM)) {
  if (MUST_HAVE_BROWSER) {
    it('/try in a real browser: Chromium is installed (required because CI or REQUIRE_BROWSER is set)', () => {
      assert.fail(`no Chromium at ${CHROMIUM}: apt-get install -y chromium or set CHROMIUM_PATH`);
    });
  } else {
    it(`/try in a real browser (skipped: no Chromium at ${CHROMIUM}; apt-get install chromium or set CHROMIUM_PATH; CI=true makes this a failure)`, { skip: true }, () => {});
  }
} else {
  describe('/try in a real browser', () => {
    let bot: TestBot;
    let browser: Browser;

    before(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      bot = await startTestBot({}, { logLevel: 'warn' });
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
    });
    after(async () => {
      await browser?.close();
      await bot?.close();
    });

    /** Number of answers shown so far (each answer ends with its meta block). */
    const answers = (page: Page) => page.locator('.meta').count();

    /** Types `text`, sends it, and waits until its answer is shown. */
    async function ask(page: Page, text: string): Promise<void> {
      const before = await answers(page);
      await page.fill('#q', text);
      await page.press('#q', 'Enter');
      await page.waitForFunction((n) => document.querySelectorAll('.meta').length > n, before);
    }

    for (const [locale, lang, topic] of [['en-US', 'en', 'refuse-archiving'], ['zh-CN', 'zh-CN', 'refuse-archiving'], ['zh-TW', 'zh-TW', 'refuse-archiving']] as const) {
      it(`before the first question a ${locale} browser sees three starter questions in its language; one click asks it`, async () => {
        const context = await browser.newContext({ viewport: VIEWPORTS[1], locale });
        try {
          const page = await context.newPage();
          await page.goto(`${bot.url}/try`);
          const buttons = page.locator('.starters button');
          assert.deepEqual(await buttons.allTextContents(), [...TRY_STARTER_QUESTIONS[lang]]);
          assert.equal(await page.locator('.starters').getAttribute('lang'), lang);
          await buttons.first().click();
          await page.locator('.meta .debug span').first().waitFor({ state: 'attached' });
          assert.equal(await page.locator('.msg.me').first().textContent(), TRY_STARTER_QUESTIONS[lang][0]);
          assert.match(await page.locator('.meta .debug span').first().textContent() ?? '', new RegExp(`topic: ${topic} .*lang: ${lang}$`));
          assert.match(await page.locator('.msg.bot').first().innerText(), /來源：|来源：|Sources:/u, 'a full answer with its sources');
        } finally {
          await context.close();
        }
      });
    }

    /** Where the input box is relative to the viewport. */
    const inputBox = (page: Page) =>
      page.evaluate(() => {
        const r = document.getElementById('q')!.getBoundingClientRect();
        return { top: r.top, bottom: r.bottom, height: window.innerHeight, scrollHeight: document.documentElement.scrollHeight, scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth };
      });

    /**
     * The input's placeholder as the page shows it, and whether it fits: the same text typed into the input must
     * not make it scroll sideways (Chromium renders a placeholder with the input's own font and padding).
     */
    const placeholderFit = (page: Page) =>
      page.evaluate(() => {
        const q = document.getElementById('q') as HTMLInputElement;
        const placeholder = q.placeholder;
        q.value = placeholder;
        const fit = { placeholder, textWidth: q.scrollWidth, boxWidth: q.clientWidth };
        q.value = '';
        return fit;
      });

    function assertInView(box: Awaited<ReturnType<typeof inputBox>>, where: string): void {
      assert.ok(box.top >= 0 && box.bottom <= box.height, `${where}: input at ${box.top}–${box.bottom}, viewport height ${box.height}`);
    }

    /** The page's own texts (not the bot's answers) in Traditional Chinese as written in Taiwan. */
    const ZH_TW_CHROME = { title: 'privacy-bot · 試用', heading: 'privacy-bot · 試用', send: '傳送', question: '問題', note: /^本地試用頁：.*不顯示個人存檔狀態。$/u, details: '詳情' };

    for (const locale of ['zh-TW', 'zh-HK', 'zh-Hant-TW']) {
      it(`a ${locale} browser gets the page's texts in Taiwan Traditional Chinese, and answers to its questions too`, async () => {
        const context = await browser.newContext({ viewport: VIEWPORTS[1], locale });
        try {
          const page = await context.newPage();
          await page.goto(`${bot.url}/try`);
          assert.equal(await page.title(), ZH_TW_CHROME.title);
          assert.equal((await page.locator('h1').textContent())?.trim(), ZH_TW_CHROME.heading);
          assert.match((await page.locator('p.note').textContent())?.trim() ?? '', ZH_TW_CHROME.note);
          assert.equal((await page.locator('button[type=submit]').textContent())?.trim(), ZH_TW_CHROME.send);
          assert.equal(await page.getAttribute('#q', 'aria-label'), ZH_TW_CHROME.question);
          assert.match(await page.getAttribute('#q', 'placeholder') ?? '', /管理員能看到我的聊天記錄嗎？$|^輸入你的問題$/u);
          assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-TW');
          // No Simplified-only character anywhere in the page's own texts.
          const chrome = await page.evaluate(() => [document.title, document.querySelector('h1')!.textContent, document.querySelector('p.note')!.textContent,
            document.querySelector('button[type=submit]')!.textContent, (document.getElementById('q') as HTMLInputElement).placeholder].join('\n'));
          assert.doesNotMatch(chrome, /[试页与钉飞书个问显识档态发详]/u, chrome);
          // The placeholder question names no platform and /try has none: each platform's opening, then a choice.
          await ask(page, '管理員能看到我的聊天記錄嗎？');
          assert.equal((await page.locator('.meta details summary').last().textContent())?.trim(), ZH_TW_CHROME.details);
          const choice = await page.locator('.msg.bot').last().innerText();
          assert.match(choice, /^要看你的公司用的是哪個平台：/u);
          for (const name of ['企業微信：', '釘釘：', '飛書：']) assert.match(choice, new RegExp(`^\\d\\. ${name}`, 'mu'), choice);
          assert.doesNotMatch(choice, /來源：/u);
          // A number picks one platform: its full answer with sources, in Traditional Chinese.
          const n = /^(\d)\. 釘釘：/mu.exec(choice)?.[1] as string;
          await ask(page, n);
          const full = await page.locator('.msg.bot').last().innerText();
          assert.match(full, /來源：/u);
          assert.match(full, /釘釘/u);
          assert.doesNotMatch(full, /要看你的公司/u);
          await page.screenshot({ path: join(ARTIFACTS, `${locale}-chrome.png`) });
        } finally {
          await context.close();
        }
      });
    }

    it('zh-CN and en browsers keep their own texts; a browser reading neither (fr, ja) gets English', async () => {
      for (const [locale, send, heading] of [['zh-CN', '发送', 'privacy-bot · 试用'], ['en-US', 'Send', 'privacy-bot · try it'], ['fr-FR', 'Send', 'privacy-bot · try it'], ['ja-JP', 'Send', 'privacy-bot · try it']] as const) {
        const context = await browser.newContext({ viewport: VIEWPORTS[1], locale });
        try {
          const page = await context.newPage();
          await page.goto(`${bot.url}/try`);
          assert.equal((await page.locator('button[type=submit]').textContent())?.trim(), send, locale);
          assert.equal((await page.locator('h1').textContent())?.trim(), heading, locale);
        } finally {
          await context.close();
        }
      }
    });

    it('a first language-neutral question ("?", "2", an emoji) is answered in the page\'s language; one with a language, in its own', async () => {
      for (const [locale, lang] of [['zh-TW', 'zh-TW'], ['zh-HK', 'zh-TW'], ['en-US', 'en'], ['zh-CN', 'zh-CN']] as const) {
        for (const first of ['?', '2', '👍']) {
          const context = await browser.newContext({ viewport: VIEWPORTS[1], locale });
          try {
            const page = await context.newPage();
            await page.goto(`${bot.url}/try`);
            const request = page.waitForRequest((r) => r.url().endsWith('/try/ask') && r.method() === 'POST');
            const response = page.waitForResponse((r) => r.url().endsWith('/try/ask'));
            await ask(page, first);
            const sent = JSON.parse((await request).postData() ?? '{}') as { pageLang?: string };
            assert.equal(sent.pageLang, lang, `${locale} "${first}": the question carries the page language`);
            const answer = (await (await response).json()) as { lang: string; replies: string[] };
            assert.equal(answer.lang, lang, `${locale} "${first}": answered in the page language`);
            const text = answer.replies.join('\n');
            if (lang === 'zh-TW') assert.deepEqual(simplifiedOnly(text), [], `${locale} "${first}": Traditional Chinese: ${text}`);
            if (lang === 'en') assert.doesNotMatch(text, /\p{Script=Han}/u, `${locale} "${first}": English: ${text}`);
            if (lang === 'zh-CN') assert.notDeepEqual(simplifiedOnly(text), [], `${locale} "${first}": Simplified Chinese: ${text}`);
            assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
          } finally {
            await context.close();
          }
        }
      }
      // The page language is only a hint: an English question on a zh-TW page is answered in English, and a "?"
      // right after it too (the bot's last reply comes first).
      const context = await browser.newContext({ viewport: VIEWPORTS[1], locale: 'zh-TW' });
      try {
        const page = await context.newPage();
        await page.goto(`${bot.url}/try`);
        await ask(page, 'Can admins read my chats?');
        assert.match(await page.locator('.meta .debug span').last().textContent() ?? '', /lang: en$/);
        await ask(page, '?');
        assert.match(await page.locator('.meta .debug span').last().textContent() ?? '', /lang: en$/);
      } finally {
        await context.close();
      }
    });

    it('the placeholder is never cut off: 390 and 320 px wide, in each language, and after the window narrows', async () => {
      for (const locale of ['en-US', 'zh-CN', 'zh-TW']) {
        for (const width of [390, 320]) {
          const context = await browser.newContext({ viewport: { width, height: 844 }, locale });
          try {
            const page = await context.newPage();
            await page.goto(`${bot.url}/try`);
            const fit = await placeholderFit(page);
            assert.ok(fit.placeholder.length > 0, `${locale} ${width}px: a placeholder`);
            assert.ok(fit.textWidth <= fit.boxWidth, `${locale} ${width}px: "${fit.placeholder}" needs ${fit.textWidth}px, the input has ${fit.boxWidth}px`);
            if (width === 390) await page.screenshot({ path: join(ARTIFACTS, `${locale}-390-placeholder.png`) });
          } finally {
            await context.close();
          }
        }
      }
      // Wide, then narrowed: the example with its "e.g." first, then a placeholder that fits the narrow input.
      const context = await browser.newContext({ viewport: VIEWPORTS[0], locale: 'zh-CN' });
      try {
        const page = await context.newPage();
        await page.goto(`${bot.url}/try`);
        assert.equal((await placeholderFit(page)).placeholder, '例如：管理员能看到我的聊天记录吗？', 'the whole example where it fits');
        await page.setViewportSize({ width: 320, height: 844 });
        await page.waitForFunction(() => { const q = document.getElementById('q') as HTMLInputElement; return q.clientWidth < 300; });
        const fit = await placeholderFit(page);
        assert.ok(fit.textWidth <= fit.boxWidth, `after narrowing: "${fit.placeholder}" needs ${fit.textWidth}px, the input has ${fit.boxWidth}px`);
      } finally {
        await context.close();
      }
    });

    it('390x844, first paint: the input sits at the bottom of the screen like a chat app, not under a short empty log', async () => {
      for (const locale of ['zh-CN', 'en-US']) {
        const context = await browser.newContext({ viewport: VIEWPORTS[1], locale });
        try {
          const page = await context.newPage();
          // Before any question, without scrolling: as laid out from the page's own (inline) styles.
          await page.goto(`${bot.url}/try`, { waitUntil: 'domcontentloaded' });
          const box = await inputBox(page);
          assert.equal(await page.evaluate(() => window.scrollY), 0, `${locale}: not scrolled`);
          assertInView(box, `${locale} first paint`);
          assert.ok(box.bottom >= box.height - 120, `${locale}: the input's bottom at ${box.bottom}px is within the viewport's bottom 120 px (height ${box.height})`);
          assert.ok(box.scrollHeight <= box.height, `${locale}: an empty conversation does not scroll (${box.scrollHeight}px for ${box.height}px)`);
          await page.screenshot({ path: join(ARTIFACTS, `${locale}-390-first-paint.png`) });
        } finally {
          await context.close();
        }
      }
    });

    for (const viewport of VIEWPORTS) {
      const size = `${viewport.width}x${viewport.height}`;

      it(`${size}: after long answers the input is still in view; links, details toggle, no sideways scrolling`, async () => {
        const context = await browser.newContext({ viewport, locale: 'en-US' });
        try {
          const page = await context.newPage();
          await page.goto(`${bot.url}/try`);
          assert.equal(await page.getAttribute('#q', 'placeholder'), 'e.g. Can admins read my chats?', 'English page, English example');
          // Long answers until the conversation is well over a screen high.
          for (const q of ['Are my chats archived?', 'Can admins read my chats?', 'Can I refuse session archiving?']) {
            await ask(page, q);
            const box = await inputBox(page);
            assertInView(box, `${size} after "${q}"`);
          }
          const box = await inputBox(page);
          assert.ok(box.scrollHeight > box.height * 1.5, `${size}: the page scrolls (${box.scrollHeight}px for ${box.height}px), so the check above means something`);
          assert.ok(box.scrollWidth <= box.width, `${size}: no sideways scrolling (${box.scrollWidth}px wide)`);
          // The last answer starts on screen.
          const lastTop = await page.locator('.msg.bot').last().evaluate((d) => d.getBoundingClientRect().top);
          assert.ok(lastTop >= 0 && lastTop < box.height, `${size}: the answer's start is on screen (${lastTop})`);

          // Sources: real links, new tab, no opener.
          const links = page.locator('.msg.bot a');
          assert.ok((await links.count()) >= 3, 'each answer has source links');
          for (const a of await links.all()) {
            assert.match((await a.getAttribute('href')) ?? '', /^https?:\/\//);
            assert.equal(await a.getAttribute('target'), '_blank');
            assert.match((await a.getAttribute('rel')) ?? '', /\bnoopener\b/);
          }

          // The debug line: behind a closed toggle, opened by a click.
          const details = page.locator('.meta details').last();
          assert.equal(await details.evaluate((d) => (d as HTMLDetailsElement).open), false, 'closed by default');
          const debug = details.locator('span');
          assert.equal(await debug.isVisible(), false, 'intent/topic/score hidden');
          assert.equal(await page.locator('.meta').last().evaluate((m) => /intent:|score:/.test((m as HTMLElement).innerText)), false, 'no debug words in view');
          await details.locator('summary').click();
          assert.equal(await debug.isVisible(), true);
          assert.match((await debug.textContent()) ?? '', /intent: faq · topic: refuse-archiving · score: /);

          await page.screenshot({ path: join(ARTIFACTS, `${size}-long-answers.png`) });
          await page.screenshot({ path: join(ARTIFACTS, `${size}-long-answers-full.png`), fullPage: true });
        } finally {
          await context.close();
        }
      });

      it(`${size}: on an English page a suggestion click answers in English`, async () => {
        const context = await browser.newContext({ viewport, locale: 'en-US' });
        try {
          const page = await context.newPage();
          await page.goto(`${bot.url}/try`);
          assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
          await ask(page, 'archiving');
          const buttons = page.locator('.meta .picks button');
          assert.ok((await buttons.count()) >= 1, 'a "not sure" answer offers suggestions');
          const topic = (await buttons.first().getAttribute('data-topic'))!;
          const entry = bot.core.kb.byId.get(topic)!;
          assert.equal(await buttons.first().textContent(), entry.title.en, 'the suggestion is labelled in English');
          const before = await answers(page);
          const request = page.waitForRequest((r) => r.url().endsWith('/try/ask') && r.method() === 'POST');
          await buttons.first().click();
          const sent = JSON.parse((await request).postData() ?? '{}') as { pick?: { topic: string; lang: string } };
          assert.deepEqual(sent.pick, { topic, lang: 'en' }, 'the click sends the topic id and the language, not a text to match');
          await page.waitForFunction((n) => document.querySelectorAll('.meta').length > n, before);
          const answer = (await page.locator('.msg.bot').last().innerText()).trim();
          assert.ok(answer.startsWith(entry.answer.en.trim().slice(0, 40)), `English answer, got: ${answer.slice(0, 80)}`);
          assertInView(await inputBox(page), `${size} after a suggestion`);
          await page.screenshot({ path: join(ARTIFACTS, `${size}-suggestion.png`) });
        } finally {
          await context.close();
        }
      });
    }
  });
}
