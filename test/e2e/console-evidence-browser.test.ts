/**
 * Evidence on the console in a real browser (playwright-core driving Debian's chromium, headless;
 * CHROMIUM_PATH overrides), on the built-in sandbox platform: a notice broadcast to the sandbox R&D
 * department; two employees acknowledge it on /try and the acknowledgements-over-time chart's text
 * alternative on the broadcast page says 2 without a reload; the recipients XLSX downloaded from the
 * page is read back with exceljs (the R&D employees, times with the +08:00 offset); questions asked
 * on /try show as counts on the Knowledge page (one answered, one "not sure"), and the page holds no
 * question text; its "try a question" box shows the topic with its score and the suggestions with theirs. Screenshots into test-artifacts/console/. Skipped when the browser is missing —
 * except with CI=true, where that is a failure.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_CONTEXT } from '../helpers/browser.ts';
import { REPO_ROOT, startTestBot, type TestBot } from '../helpers/app.ts';
import { signedIn } from '../helpers/console-client.ts';
import { RECIPIENTS_XLSX_HEADER, labelXlsxRows } from '../../src/evidence/xlsx.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'console');
const ADMIN_TOKEN = 'evidence-browser-token-0123456789abcdef';
const missing = !existsSync(CHROMIUM);
if (missing && process.env.CI === 'true') throw new Error(`chromium not found at ${CHROMIUM} (set CHROMIUM_PATH); CI=true does not skip`);

describe('console evidence in a real browser (sandbox)', { skip: missing ? `no browser at ${CHROMIUM} (set CHROMIUM_PATH)` : false }, () => {
  let bot: TestBot;
  let browser: Browser;
  let console_: Page;
  let id = '';
  const errors: string[] = [];
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${bot.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    bot = await startTestBot({ ADMIN_TOKEN, SANDBOX: 'on' }, { logLevel: 'warn', noticeWorker: { idleMs: 20, leaseMs: 2000, backoffBaseMs: 50, readPollMs: 50 } });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    // A signed-in console session (the sign-in screens are the other browser test's); its cookie goes into the browser.
    const hr = await signedIn(bot.url, bot.core.store, 'hr.evidence', 'admin');
    const context = await browser.newContext({ ...ADMIN_CONTEXT, viewport: { width: 1366, height: 768 }, acceptDownloads: true });
    const [name, value] = hr.cookie.split('=') as [string, string];
    await context.addCookies([{ name, value, url: `${bot.url}/console` }]);
    console_ = await context.newPage();
    console_.on('pageerror', (e) => errors.push(e.message));
  });
  after(async () => {
    await browser?.close();
    await bot?.close();
  });

  it('two employees acknowledge on /try: the chart’s text alternative says 2, live', async () => {
    const n = await admin('POST', '/admin/notices', { title: { zh: '研发部会话存档告知', en: 'R&D archiving notice' }, body: { zh: '研发部的工作聊天将被存档。', en: 'R&D work chats are archived.' } });
    const { id: noticeId } = (await n.json()) as { id: string };
    const b = await admin('POST', '/admin/broadcasts', { noticeId, platform: 'sandbox', audience: { departmentIds: ['rd'] } });
    id = ((await b.json()) as { id: string }).id;
    await console_.goto(`${bot.url}/console#/broadcasts/${id}`);
    await console_.locator('#broadcast-state[data-state="done"]').waitFor();
    await console_.locator('#ack-chart-summary[data-acknowledged="0"]').waitFor();
    await console_.evaluate(() => ((window as unknown as { __same?: boolean }).__same = true));

    // A Simplified Chinese browser: the sandbox overlay's states below are in the page's language.
    const employee = await browser.newPage({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN' });
    employee.on('pageerror', (e) => errors.push(e.message));
    await employee.goto(`${bot.url}/try`);
    await employee.waitForFunction(() => document.querySelectorAll('#sandbox-employee option').length > 30);
    for (const who of ['wuhao', 'xuqiang']) {
      await employee.selectOption('#sandbox-employee', who);
      await employee.locator('.sbx-card .sbx-ack').first().waitFor();
      await employee.locator('.sbx-ack').first().click();
      await employee.waitForFunction(() => /已确认/.test(document.querySelector('.sbx-card .sbx-state')?.textContent ?? ''));
    }
    await employee.close();

    const summary = console_.locator('#ack-chart-summary[data-acknowledged="2"]');
    await summary.waitFor();
    assert.match(await summary.innerText(), /已确认 2 人/);
    assert.match(await summary.innerText(), /UTC\+08:00/);
    assert.equal(await console_.evaluate(() => (window as unknown as { __same?: boolean }).__same), true, 'no reload');
    assert.equal(await console_.locator('#ack-chart svg[aria-hidden="true"] rect').count() > 0, true, 'the bars are drawn');
    await console_.locator('#ack-chart details summary').click();
    assert.match(await console_.locator('#ack-chart-table').innerText(), /2/);
    assert.equal(await console_.locator('#ack-beyond-read').count(), 0, 'read 2, acknowledged 2: nothing to explain');
    // One more acknowledges by replying, with no read receipt from the platform: the page says why ack > read.
    const byText = await bot.core.notices.store.acknowledge('sandbox', 'zhoutao', 'latest', 'text', Date.now());
    assert.equal(byText.kind, 'acknowledged');
    const note = console_.locator('#ack-beyond-read');
    await note.waitFor();
    assert.match(await note.innerText(), /^已确认（3）多于已读（2）：“已读”只计平台报告的已读回执/);
    await console_.screenshot({ path: join(ARTIFACTS, 'broadcast-chart-1366x768.png'), fullPage: true });
  });

  it('the recipients XLSX downloaded from the page reads back with the R&D employees and +08:00 times, labelled in the console\'s language', async () => {
    const [download] = await Promise.all([console_.waitForEvent('download'), console_.click('#export-recipients-xlsx')]);
    assert.equal(download.suggestedFilename(), `broadcast-${id}-recipients.xlsx`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(readFileSync((await download.path())!) as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('recipients')!;
    // The console is in Chinese here: the columns are named in Chinese beside the CSV's names, states in Chinese.
    assert.deepEqual((ws.getRow(1).values as unknown[]).slice(1), labelXlsxRows([RECIPIENTS_XLSX_HEADER], 'zh')[0]);
    assert.equal((ws.getRow(1).values as unknown[])[1], '员工ID (userId)');
    const col = (h: string) => RECIPIENTS_XLSX_HEADER.indexOf(h as (typeof RECIPIENTS_XLSX_HEADER)[number]);
    const rows = (ws.getSheetValues() as unknown[][]).slice(2).map((r) => r.slice(1));
    const byUser = new Map(rows.map((r) => [r[col('userId')], r]));
    for (const who of ['wuhao', 'xuqiang']) {
      const r = byUser.get(who)!;
      assert.equal(r[col('state')], '已确认', who);
      assert.match(String(r[col('acknowledgedAt')]), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$/, who);
    }
    assert.ok(rows.length >= 3 && rows.every((r) => r[col('sentAt')] !== ''), 'every R&D employee was sent the notice');
    assert.equal(ws.views[0]!.state, 'frozen');
  });

  it('questions asked on /try show as counts on the Knowledge page, without their text', async () => {
    const asker = await browser.newPage();
    asker.on('pageerror', (e) => errors.push(e.message));
    await asker.goto(`${bot.url}/try`);
    for (const q of ['公司能看到我的聊天记录吗？', 'zzqx frobnicate quux']) {
      const k = await asker.locator('.meta').count();
      await asker.fill('#q', q);
      await asker.press('#q', 'Enter');
      await asker.waitForFunction((n) => document.querySelectorAll('.meta').length > n, k);
    }
    await asker.close();
    await console_.goto(`${bot.url}/console#/knowledge`);
    const w7 = console_.locator('.answer-stats-7[data-answered="1"][data-not-sure="1"]');
    await w7.waitFor();
    assert.match(await w7.innerText(), /50%/);
    await console_.locator('.answer-stats-30[data-answered="1"]').waitFor();
    const text = await console_.locator('#root').innerText();
    assert.ok(!text.includes('frobnicate') && !text.includes('zzqx'), 'no question text on the page');
    await console_.screenshot({ path: join(ARTIFACTS, 'knowledge-stats-1366x768.png'), fullPage: true });
    // The try box shows the topic with its score and the related topics (the API's suggestions) with their titles
    // and scores: the matcher's own figures for this question.
    const question = '公司能看到我的聊天记录吗？';
    const match = bot.core.matcher.match(question, { platform: 'try' });
    assert.ok(match.topic && match.suggestions.length >= 1, 'the question is answered and has suggestions');
    await console_.fill('#try-question', question);
    await console_.press('#try-question', 'Enter');
    const topics = bot.core.kb.entries;
    const titled = (id: string) => `${id} · ${topics.find((e) => e.id === id)!.title.zh}`;
    const topic = console_.locator('#try-topic');
    await topic.waitFor();
    assert.equal(await topic.textContent(), titled(match.topic));
    assert.equal(await console_.locator('#try-score').textContent(), `得分 ${match.score.toFixed(2)}`);
    assert.ok(match.score >= 0.5, 'an answered question scores 0.5 or more');
    const tags = console_.locator('#try-suggestions [data-topic]');
    await tags.first().waitFor();
    const shown = await tags.evaluateAll((els) => els.map((e) => [e.getAttribute('data-topic'), e.getAttribute('data-score'), e.textContent]));
    assert.ok(shown.length >= 1 && shown.length <= 3, JSON.stringify(shown));
    assert.deepEqual(shown.map(([id]) => id), match.suggestions);
    shown.forEach(([id, score, text], i) => {
      const want = match.suggestionScores![i]!;
      assert.ok(want > 0 && want < 0.5, `suggestion ${id} scores ${want}: below the answer threshold`);
      assert.equal(Number(score), want);
      assert.equal(text, `${titled(id!)} · 得分 ${want.toFixed(2)}`);
    });
    assert.ok(!shown.some(([id]) => id === match.topic), 'the answered topic is not among its suggestions');
    await console_.screenshot({ path: join(ARTIFACTS, 'knowledge-try-1366x768.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no script errors');
  });
});
