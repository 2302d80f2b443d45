/**
 * The HR journey of issue 13 on a configured platform, in one real browser (playwright-core driving
 * Debian's chromium, headless, 1366×768; CHROMIUM_PATH overrides): the bot on loopback with WeCom
 * (self-built app) configured against the fake WeCom API (test/fakes/wecom-api.ts; its directory: a
 * company of 10 people in 6 departments) and the fake WeCom login page (test/fakes/login-servers.ts).
 * SANDBOX is left at its default (on): a configured platform turns the sandbox off, so the header
 * has no sandbox label.
 *
 * 1. The owner account is made with the `privacy-bot admin add` / `admin link` command code
 *    (src/console/cli.ts runAdminCommand, in-process on the bot's store) as the README says; the
 *    owner signs in with the one-time password and chooses a password; signs out; signs in again
 *    through "企业微信登录" (the fake's login page; the code is exchanged on the API fake's origin,
 *    as on qyapi.weixin.qq.com).
 * 2. Send: 研发中心 picked from the WeCom tree (the fake's names and head counts), one person
 *    excluded by name, the confirm names the notice, its version and the head count minus one.
 * 3. The broadcast page shows 0 % (no worker yet); a broadcast worker runs; the page reaches 100 %
 *    without a reload. The fake's message/send records: the recipients are exactly the department
 *    minus the excluded person, each got a template_card of card_type button_interaction with a
 *    task_id and the acknowledge button.
 * 4. Two employees click the card button: the test posts the template_card_event callback WeCom
 *    would send (encrypted and signed with the callback scheme, buildWecomCallback); the
 *    acknowledged count on the open page goes to 2 without a reload.
 * 5. recipients.csv downloaded from the page: names, departments, acknowledged times with the
 *    +08:00 offset; it verifies (src/evidence/verify.ts).
 * Screenshots into test-artifacts/console/. No wall-clock waits: every step waits on a DOM state or
 * a recorded request. Skipped without the browser — except with CI=true, where that is a failure.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_CONTEXT } from '../helpers/browser.ts';
import { REPO_ROOT, startTestBot, type TestBot } from '../helpers/app.ts';
import { freePort } from '../helpers/free-port.ts';
import { startFakeWecom, buildWecomCallback, type FakeDepartment, type FakeMember, type FakeWecom } from '../fakes/wecom-api.ts';
import { FakeWecomLogin, serveWecomLoginExchange } from '../fakes/login-servers.ts';
import { WECOM, WECOM_KEYS, wecomEnv } from '../resilience/harness.ts';
import { runAdminCommand } from '../../src/console/cli.ts';
import { LOGIN_PLATFORMS } from '../../adapters/login.ts';
import { BroadcastWorker } from '../../src/notices/worker.ts';
import { createLogger } from '../../src/log.ts';
import { RECIPIENTS_HEADER } from '../../src/evidence/csv.ts';
import { verifyExport } from '../../src/evidence/verify.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'console');
const VIEWPORT = { width: 1366, height: 768 };
const OWNER = 'hr.zhang';
const PASSWORD = 'hr-console-Passw0rd';
const TITLE = '会话存档告知';

/** The fake company (names made up): 研发中心 has 6 people (sunqi in both of its groups, zhoujie directly in it). */
const DEPARTMENTS: FakeDepartment[] = [
  { id: 1, parentid: 0, name: '星河数据有限公司' },
  { id: 2, parentid: 1, name: '人力资源部', order: 300 },
  { id: 3, parentid: 1, name: '研发中心', order: 200 },
  { id: 4, parentid: 3, name: '平台组', order: 20 },
  { id: 5, parentid: 3, name: '应用组', order: 10 },
  { id: 6, parentid: 1, name: '销售部', order: 100 },
];
const MEMBERS: FakeMember[] = [
  { userid: 'ZhangSan', name: '张三', department: [2] },
  { userid: 'liuyang', name: '刘洋', department: [2] },
  { userid: 'lisi', name: '李四', department: [4] },
  { userid: 'wangwu', name: '王五', department: [4] },
  { userid: 'sunqi', name: '孙七', department: [4, 5] },
  { userid: 'zhaoliu', name: '赵六', department: [5] },
  { userid: 'Alice', name: 'Alice Chen', department: [5] },
  { userid: 'zhoujie', name: '周杰', department: [3] },
  { userid: 'qianba', name: '钱八', department: [6] },
  { userid: 'wujiu', name: '吴九', department: [6] },
];
const PICKED = { id: '3', name: '研发中心', headCount: 6 };
const EXCLUDED = { userId: 'wangwu', name: '王五' };
/** The department minus the excluded person, with the department each is listed in. */
const EXPECTED: Record<string, { name: string; departments: string[] }> = {
  lisi: { name: '李四', departments: ['平台组'] },
  sunqi: { name: '孙七', departments: ['平台组', '应用组'] },
  zhaoliu: { name: '赵六', departments: ['应用组'] },
  Alice: { name: 'Alice Chen', departments: ['应用组'] },
  zhoujie: { name: '周杰', departments: ['研发中心'] },
};
const ACKERS = ['Alice', 'sunqi'];

const missing = !existsSync(CHROMIUM);
if (missing && process.env.CI === 'true') throw new Error(`chromium not found at ${CHROMIUM} (set CHROMIUM_PATH); CI=true does not skip`);

/** RFC 4180 fields of a CSV text (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field), rows.push(row), (row = []), (field = '');
    } else field += c;
  }
  if (field !== '' || row.length) row.push(field), rows.push(row);
  return rows;
}

describe('the HR journey on WeCom (configured platform) in a real browser', { skip: missing ? `no browser at ${CHROMIUM} (set CHROMIUM_PATH)` : false }, () => {
  let fake: FakeWecom;
  let login: FakeWecomLogin;
  let bot: TestBot;
  let browser: Browser;
  let page: Page;
  let broadcastId = '';
  const errors: string[] = [];
  const shot = (name: string, fullPage = false) => page.screenshot({ path: join(ARTIFACTS, `wecom-${name}-1366x768.png`), fullPage });
  const notReloaded = async () => assert.equal(await page.evaluate(() => (window as unknown as { __same?: boolean }).__same), true, 'no reload');

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    fake = await startFakeWecom({ corpId: WECOM.corpId, secret: WECOM.secret, agentId: Number(WECOM.agentId), directory: MEMBERS, departments: DEPARTMENTS });
    // The login page is another origin (login.work.weixin.qq.com); the code exchange goes to the API origin.
    login = await new FakeWecomLogin({ corpId: WECOM.corpId, agentId: Number(WECOM.agentId), secret: WECOM.secret }, ['ZhangSan', 'liuyang']).start('localhost');
    serveWecomLoginExchange(fake, login);
    const port = await freePort();
    login.trustedDomain = `127.0.0.1:${port}`;
    bot = await startTestBot(
      { ...wecomEnv(fake.url), SANDBOX: 'on', PORT: String(port), CONSOLE_PUBLIC_URL: `http://127.0.0.1:${port}`, WECOM_LOGIN_BASE: login.url },
      { logLevel: 'warn', noticeWorker: false },
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await (await browser.newContext({ ...ADMIN_CONTEXT, viewport: VIEWPORT, acceptDownloads: true })).newPage();
    page.on('pageerror', (e) => errors.push(e.message));
  });
  after(async () => {
    await browser?.close();
    await bot?.close();
    await login?.close();
    await fake?.close();
  });

  it('the owner made with `privacy-bot admin add` signs in with the one-time password and chooses a password; no sandbox label', async () => {
    let out = '';
    assert.equal(await runAdminCommand(bot.config, ['add', OWNER, '--role', 'owner'], LOGIN_PLATFORMS, (s) => (out += s)), 0);
    const oneTime = /one-time password[^:]*: (\S+)/.exec(out)?.[1] ?? '';
    assert.match(oneTime, /^[A-Za-z0-9]{20}$/, out);
    assert.equal(await runAdminCommand(bot.config, ['link', OWNER, '--platform', 'wecom', '--user-id', 'ZhangSan'], LOGIN_PLATFORMS, () => undefined), 0);

    await page.goto(`${bot.url}/console`);
    await page.fill('#signin-name', OWNER);
    await page.fill('#signin-password', oneTime);
    await page.click('#signin-submit');
    await page.fill('#pw-current', oneTime);
    await page.fill('#pw-next', PASSWORD);
    await page.fill('#pw-repeat', PASSWORD);
    await page.click('#pw-submit');
    await page.waitForSelector('#new-notice');
    assert.match((await page.textContent('#whoami')) ?? '', new RegExp(`${OWNER} · owner`));
    // WeCom is configured: the made-up sandbox company is not mounted, and the header says nothing of it.
    assert.equal(await page.locator('#sandbox-label').count(), 0, 'no sandbox label');
    assert.ok(!(await page.locator('body').innerText()).includes('沙盒'), 'no sandbox wording on the page');
  });

  it('signs out and in again with 企业微信登录 (the fake WeCom login page), landing as the linked owner', async () => {
    await page.click('#sign-out');
    await page.waitForSelector('#signin-wecom');
    assert.equal(await page.locator('#signin-dingtalk, #signin-feishu').count(), 0, 'only the configured platform');
    assert.match((await page.textContent('#signin-wecom')) ?? '', /企业微信登录/);
    await shot('signin');
    await page.click('#signin-wecom');
    await page.waitForURL((u) => u.host === new URL(login.url).host);
    await page.click('#approve-ZhangSan');
    await page.waitForURL((u) => u.host === new URL(bot.url).host);
    await page.waitForSelector('#whoami');
    assert.match((await page.textContent('#whoami')) ?? '', new RegExp(`${OWNER} · owner`));
    assert.equal(await page.locator('#sandbox-label').count(), 0, 'no sandbox label');
    // The exchange went to the API origin with the app's token (as on qyapi.weixin.qq.com).
    const exchanges = fake.requests.filter((r) => r.path === '/cgi-bin/auth/getuserinfo');
    assert.equal(exchanges.length, 1);
    assert.equal(exchanges[0]!.answer.userid, 'zhangsan');
  });

  it('send: 研发中心 from the WeCom tree (names, head counts), 王五 excluded by name; the confirm names version and count', async () => {
    const notice = await bot.core.notices.createNotice({ title: { zh: TITLE, en: 'Archiving notice' }, body: { zh: '公司通过会话存档保存工作聊天记录，用于合规检查。', en: 'Work chats are archived for compliance checks.' } });
    await page.goto(`${bot.url}/console#/notices/${encodeURIComponent(notice.noticeId)}`);
    await page.click('#send-notice');
    const dialog = page.locator('.ant-modal-content');
    await dialog.locator('.ant-radio-button-wrapper', { hasText: '从通讯录选择' }).click();
    // The tree holds WeCom's departments with their head counts (people counted once, sub-departments included).
    const tree = page.locator('#send-tree');
    await tree.locator('.ant-tree-treenode', { hasText: '星河数据有限公司（10 人）' }).waitFor();
    for (const label of ['人力资源部（2 人）', '研发中心（6 人）', '销售部（2 人）']) await tree.locator('.ant-tree-treenode', { hasText: label }).waitFor();
    const picked = tree.locator('.ant-tree-treenode', { hasText: `${PICKED.name}（${PICKED.headCount} 人）` });
    await picked.locator('.ant-tree-checkbox').click();
    await picked.locator('.ant-tree-checkbox-checked').waitFor();
    // Exclude one person found by name (the server searches the WeCom snapshot).
    await page.locator('.ant-select', { has: page.locator('#send-exclude-people') }).click();
    await page.fill('#send-exclude-people', EXCLUDED.name);
    await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option', { hasText: EXCLUDED.userId }).click();
    await page.keyboard.press('Escape');
    await dialog.locator('.ant-select-selection-item', { hasText: EXCLUDED.name }).waitFor();
    await page.click('#send-review');
    const confirmText = page.locator('#send-confirm-text');
    await confirmText.waitFor();
    const want = PICKED.headCount - 1;
    assert.equal(await confirmText.textContent(), `将告知书「${TITLE}」第 1 版发送给 企业微信 上的 ${want} 人。确认发送？`);
    await shot('send-confirm');
    await page.click('#send-confirm');
    await page.waitForURL(/#\/broadcasts\//);
    broadcastId = decodeURIComponent(page.url().split('#/broadcasts/')[1]!);
  });

  it('the tally goes from 0 % to 100 % sent on the open page; WeCom received exactly the department minus 王五, each a card with the acknowledge button', async () => {
    const want = PICKED.headCount - 1;
    // No worker yet: nothing sent, and the page says so.
    await page.locator(`.tally-targeted[data-value="${want}"]`).waitFor({ state: 'attached' });
    await page.locator(`.tally-pending[data-value="${want}"]`).waitFor({ state: 'attached' });
    await page.locator('.ant-progress[aria-valuenow="0"]', { hasText: /^0%$/ }).waitFor();
    assert.equal(fake.sent.length, 0, 'nothing sent before the worker runs');
    await page.evaluate(() => ((window as unknown as { __same: boolean }).__same = true));

    const worker = new BroadcastWorker({ service: bot.core.notices, log: createLogger('silent') });
    await worker.runUntil(async () => (await bot.core.notices.getBroadcast(broadcastId)).state === 'done');
    await page.locator(`.tally-sent[data-value="${want}"]`).waitFor({ state: 'attached' });
    await page.locator('.ant-progress.ant-progress-status-success[aria-valuenow="100"]').waitFor();
    await page.locator('#broadcast-state[data-state="done"]').waitFor();
    for (const who of Object.keys(EXPECTED)) await page.getByRole('row').filter({ hasText: EXPECTED[who]!.name }).locator('[data-state="sent"]').waitFor();
    await notReloaded();
    await shot('tally-sent', true);

    // What WeCom received: message/send calls, every recipient once, a button_interaction card each.
    const cards = fake.sent.filter((m) => m.msgtype === 'template_card');
    const carded = cards.flatMap((m) => m.touser.split('|'));
    assert.deepEqual([...carded].sort(), Object.keys(EXPECTED).sort(), 'the department minus the excluded person, each once');
    assert.deepEqual([...new Set(fake.deliveries.map((d) => d.userId))].sort(), Object.keys(EXPECTED).sort(), 'no message to anyone else');
    for (const m of cards) {
      const card = m.template_card as { card_type: string; task_id?: string; main_title?: { title?: string }; button_list?: { text: string; key: string }[] };
      assert.equal(m.agentid, Number(WECOM.agentId));
      assert.equal(card.card_type, 'button_interaction');
      assert.match(card.task_id ?? '', /^[0-9A-Za-z_@-]{1,128}$/, 'button_interaction needs a task_id');
      assert.equal(card.main_title?.title, TITLE);
      assert.equal(card.button_list?.length, 1);
      assert.match(card.button_list![0]!.text, /确认知悉/);
      assert.ok(card.button_list![0]!.key.length > 0, 'the button carries a key');
    }
  });

  it('two employees click the card button (WeCom’s signed, encrypted template_card_event): the acknowledged count moves to 2 live', async () => {
    await page.locator('.tally-acknowledged[data-value="0"]').waitFor({ state: 'attached' });
    for (const who of ACKERS) {
      const sent = fake.sent.find((m) => m.msgtype === 'template_card' && m.touser.split('|').includes(who))!;
      const card = sent.template_card as { card_type: string; task_id: string; button_list: { key: string }[] };
      const xml =
        `<xml><ToUserName><![CDATA[${WECOM.corpId}]]></ToUserName><FromUserName><![CDATA[${who}]]></FromUserName>` +
        `<CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[event]]></MsgType>` +
        `<Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[${card.button_list[0]!.key}]]></EventKey>` +
        `<TaskId><![CDATA[${card.task_id}]]></TaskId><CardType><![CDATA[${card.card_type}]]></CardType>` +
        `<ResponseCode><![CDATA[response-code-${who}]]></ResponseCode><AgentID>${WECOM.agentId}</AgentID></xml>`;
      const cb = buildWecomCallback({ ...WECOM_KEYS, xml });
      const r = await fetch(`${bot.url}/wecom/callback?${cb.query}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: cb.body });
      assert.equal(r.status, 200, await r.text());
    }
    await page.locator('.tally-acknowledged[data-value="2"]').waitFor({ state: 'attached' });
    await page.locator('#ack-chart-summary[data-acknowledged="2"]').waitFor();
    for (const who of ACKERS) await page.getByRole('row').filter({ hasText: EXPECTED[who]!.name }).locator('[data-state="acknowledged"]').waitFor();
    assert.equal(await page.locator('.ant-table-row [data-state="acknowledged"]').count(), 2);
    await notReloaded();
    await shot('tally-acknowledged', true);
  });

  it('recipients.csv exported from the page: names, departments, acknowledged times with +08:00; the file verifies', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-recipients')]);
    assert.equal(download.suggestedFilename(), `broadcast-${broadcastId}-recipients.csv`);
    const bytes = readFileSync((await download.path())!);
    const report = verifyExport(bytes);
    assert.equal(report.kind, 'recipients');
    assert.equal(report.broadcastId, broadcastId);
    assert.equal(report.createdBy, `console:${OWNER}`);
    assert.deepEqual(report.problems.filter((p) => p.kind !== 'unsigned'), [], JSON.stringify(report.problems));
    const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
    const lines = parseCsv(text);
    assert.deepEqual(lines[0], [...RECIPIENTS_HEADER]);
    const col = (h: (typeof RECIPIENTS_HEADER)[number]) => RECIPIENTS_HEADER.indexOf(h);
    const rows = lines.slice(1).filter((r) => r.length === RECIPIENTS_HEADER.length);
    assert.deepEqual(rows.map((r) => r[col('userId')]).sort(), Object.keys(EXPECTED).sort());
    for (const r of rows) {
      const who = r[col('userId')]!;
      const want = EXPECTED[who]!;
      assert.equal(r[col('name')], want.name, who);
      assert.ok(want.departments.includes(r[col('department')]!), `${who}: ${r[col('department')]}`);
      assert.match(r[col('sentAt')]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$/, who);
      if (ACKERS.includes(who)) {
        assert.equal(r[col('state')], 'acknowledged', who);
        assert.match(r[col('acknowledgedAt')]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$/, who);
        assert.equal(r[col('acknowledgedVia')], 'card', who);
      } else {
        assert.equal(r[col('state')], 'sent', who);
        assert.equal(r[col('acknowledgedAt')], '', who);
      }
    }
    assert.deepEqual(errors, [], 'no script error');
  });
});
