/**
 * The whole admin journey in the sandbox, over real HTTP on loopback: the bot started with no
 * platform (so the sandbox organisation is on), a notice broadcast to a sandbox department through
 * /admin, an employee's inbox on /try, opening (read) and the card's button (acknowledgement)
 * moving the broadcast's tally, the recipients page, and questions asked as that employee getting
 * their seeded status. Without ADMIN_TOKEN the sandbox makes one up for the run. Then: SANDBOX=off,
 * and a real platform configured, turn the sandbox off.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestBot, type TestBot } from '../../helpers/app.ts';
import { ConsoleClient } from '../../helpers/console-client.ts';
import { startFakeWecom, type FakeWecom } from '../../fakes/wecom-api.ts';
import ExcelJS from 'exceljs';
import { verifyExport } from '../../../src/evidence/verify.ts';
import { formatVerifyReport } from '../../../src/app/cli/evidence.ts';
import { deleteRedisPrefix } from '../../helpers/redis-prefix.ts';
import { redisUnreachable } from '../../e2e/notices-harness.ts';

const ADMIN_TOKEN = 'sandbox-admin-token-0123456789abcdef';
const REDIS_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';
const redisSkip = (await redisUnreachable(REDIS_URL)) && !(process.env.CI || process.env.REQUIRE_REDIS) ? `Redis not reachable at ${REDIS_URL}` : false;
const WORKER = { idleMs: 20, leaseMs: 2000, backoffBaseMs: 50, readPollMs: 50 };

interface Counts { targeted: number; pending: number; sent: number; failed: number; read: number; acknowledged: number }
interface BroadcastView { id: string; state: string; platform: string; counts: Counts }

async function admin(bot: TestBot, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${bot.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

async function post(bot: TestBot, path: string, body: unknown): Promise<Response> {
  return fetch(`${bot.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function broadcast(bot: TestBot, id: string): Promise<BroadcastView> {
  const r = await admin(bot, 'GET', `/admin/broadcasts/${id}`);
  assert.equal(r.status, 200);
  return (await r.json()) as BroadcastView;
}

/** Polls the broadcast until `done` holds (the worker delivers in the background). */
async function until(bot: TestBot, id: string, done: (v: BroadcastView) => boolean, timeoutMs = 20_000): Promise<BroadcastView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await broadcast(bot, id);
    if (done(v)) return v;
    if (Date.now() > deadline) assert.fail(`timed out; last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

describe('sandbox admin journey over HTTP', () => {
  let bot: TestBot;
  before(async () => {
    bot = await startTestBot({ ADMIN_TOKEN, SANDBOX: 'on' }, { noticeWorker: WORKER, logLevel: 'info' });
  });
  after(async () => {
    await bot?.close();
  });

  it('is the only platform, and /try is labelled and loads the employee picker', async () => {
    assert.deepEqual(bot.server.adapters.map((a) => a.platform), ['sandbox']);
    const page = await fetch(`${bot.url}/try`);
    const html = await page.text();
    assert.match(html, /<script src="try\/sandbox\.js"><\/script>/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'unsafe-inline' 'self'/);
    const js = await (await fetch(`${bot.url}/try/sandbox.js`)).text();
    assert.match(js, /沙盒 SANDBOX/);
    assert.match(js, /sandbox-employee/);
    const dir = (await (await fetch(`${bot.url}/try/sandbox/directory`)).json()) as { platform: string; sandbox: boolean; departments: { id: string; headCount: number }[] };
    assert.equal(dir.platform, 'sandbox');
    assert.equal(dir.sandbox, true);
    assert.deepEqual(dir.departments.map((d) => [d.id, d.headCount]), [['hr', 8], ['rd', 12], ['sales', 10]]);
  });

  it('broadcast to a department → inbox card → open (read) → acknowledge: the tally moves', async () => {
    const n = await admin(bot, 'POST', '/admin/notices', { title: { zh: '研发部会话存档告知', en: 'R&D archiving notice' }, body: { zh: '研发部的工作聊天将被存档。', en: 'R&D work chats are archived.' } });
    assert.equal(n.status, 201);
    const { id: noticeId } = (await n.json()) as { id: string };
    const b = await admin(bot, 'POST', '/admin/broadcasts', { noticeId, platform: 'sandbox', audience: { departmentIds: ['rd'] } });
    assert.equal(b.status, 201);
    const { id } = (await b.json()) as { id: string };
    let v = await until(bot, id, (x) => x.state === 'done');
    assert.deepEqual(v.counts, { targeted: 12, pending: 0, sent: 12, failed: 0, read: 0, acknowledged: 0 });

    const inbox = (await (await fetch(`${bot.url}/try/sandbox/inbox?user=zhoutao`)).json()) as {
      user: { name: string };
      timeZone: string;
      cards: { ackKey: string; noticeId: string; version: number; title: { zh: string }; body: { en: string }; openedAt: string | null; acknowledgedAt: string | null }[];
    };
    assert.equal(inbox.user.name, '周涛');
    assert.equal(inbox.timeZone, bot.core.notices.timeZone, 'the page shows times in the company time zone, as the console');
    assert.equal(inbox.timeZone, 'Asia/Shanghai');
    assert.equal(inbox.cards.length, 1);
    const card = inbox.cards[0]!;
    assert.equal(card.title.zh, '研发部会话存档告知');
    assert.equal(card.body.en, 'R&D work chats are archived.');
    assert.equal(card.ackKey, `ack:${noticeId}:1`);
    assert.equal(card.openedAt, null);
    const hr = (await (await fetch(`${bot.url}/try/sandbox/inbox?user=wangfang`)).json()) as { cards: unknown[] };
    assert.deepEqual(hr.cards, [], 'HR was not in the audience');

    const opened = await post(bot, '/try/sandbox/open', { user: 'zhoutao', noticeId, version: 1 });
    assert.equal(opened.status, 200);
    assert.ok(((await opened.json()) as { openedAt: string | null }).openedAt);
    v = await broadcast(bot, id);
    assert.equal(v.counts.read, 1);
    assert.equal(v.counts.acknowledged, 0);

    const ack = await post(bot, '/try/sandbox/ack', { user: 'wuhao', ackKey: card.ackKey });
    assert.equal(ack.status, 200);
    const ackBody = (await ack.json()) as { replies: string[]; card: { acknowledgedAt: string | null; openedAt: string | null } };
    assert.match(ackBody.replies.join('\n'), /已记录/);
    assert.ok(ackBody.card.acknowledgedAt && ackBody.card.openedAt, 'pressing the button also opens the card');
    v = await broadcast(bot, id);
    assert.equal(v.counts.read, 2);
    assert.equal(v.counts.acknowledged, 1);
    // A second press changes nothing and says so.
    const again = (await (await post(bot, '/try/sandbox/ack', { user: 'wuhao', ackKey: card.ackKey })).json()) as { replies: string[] };
    assert.match(again.replies.join('\n'), /无需再次确认/);
    assert.equal((await broadcast(bot, id)).counts.acknowledged, 1);

    // The recipients page sees the same states.
    const acked = (await (await admin(bot, 'GET', `/admin/broadcasts/${id}/recipients?state=acknowledged`)).json()) as { total: number; recipients: { userId: string; state: string; acknowledgedVia: string }[] };
    assert.equal(acked.total, 1);
    assert.deepEqual(acked.recipients.map((r) => [r.userId, r.state, r.acknowledgedVia]), [['wuhao', 'acknowledged', 'card']]);
    const byState = (await (await admin(bot, 'GET', `/admin/broadcasts/${id}/recipients?sort=state&order=desc&limit=3`)).json()) as { total: number; next: string | null; recipients: { userId: string; state: string }[] };
    assert.equal(byState.total, 12);
    assert.deepEqual(byState.recipients.map((r) => r.state), ['acknowledged', 'read', 'sent']);
    assert.ok(byState.next);
    const next = (await (await admin(bot, 'GET', `/admin/broadcasts/${id}/recipients?sort=state&order=desc&limit=3&cursor=${encodeURIComponent(byState.next!)}`)).json()) as { recipients: { state: string }[] };
    assert.deepEqual(next.recipients.map((r) => r.state), ['sent', 'sent', 'sent']);
  });

  it('replies employees naturally send acknowledge; a bare "收到" / "ok" is told how to, only while a notice is open', async () => {
    const n = await admin(bot, 'POST', '/admin/notices', { title: { zh: '销售部会话存档告知', en: 'Sales archiving notice' }, body: { zh: '销售部的工作聊天将被存档。', en: 'Sales work chats are archived.' } });
    const { id: noticeId } = (await n.json()) as { id: string };
    const b = await admin(bot, 'POST', '/admin/broadcasts', { noticeId, platform: 'sandbox', audience: { departmentIds: ['sales'] } });
    const { id } = (await b.json()) as { id: string };
    await until(bot, id, (x) => x.state === 'done');
    const sales = (await (await admin(bot, 'GET', `/admin/broadcasts/${id}/recipients?limit=10&sort=user`)).json()) as { recipients: { userId: string }[] };
    const [a, c, d, e, f, g] = sales.recipients.map((r) => r.userId) as [string, string, string, string, string, string];
    const ask = async (user: string, question: string) => ((await (await post(bot, '/try/sandbox/ask', { user, question })).json()) as { replies: string[] }).replies.join('\n');

    // A bare receipt: how to acknowledge, in the asker's language; nothing recorded.
    assert.equal(await ask(a, '收到'), '如已阅读并知悉《销售部会话存档告知》，请回复“确认”。');
    assert.equal(await ask(a, 'Received'), 'If you have read and understood notice "Sales archiving notice", reply "ack" to acknowledge it.');
    assert.equal(await ask(a, '好的'), '如已阅读并知悉《销售部会话存档告知》，请回复“确认”。');
    assert.equal(await ask(g, 'ok'), '如已阅读并知悉《销售部会话存档告知》，请回复“确认”。', '"ok" says nothing of its language: Simplified for a newcomer');
    assert.equal((await broadcast(bot, id)).counts.acknowledged, 0);

    // What the trial sent: each acknowledges.
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    assert.equal(await ask(a, '我已知悉'), `已记录：你已于 ${today} 确认知悉《销售部会话存档告知》第 1 版。谢谢！`);
    assert.match(await ask(c, '已阅'), /^已记录/);
    assert.match(await ask(d, '好的，已知悉'), /^已记录/);
    assert.match(await ask(e, 'Acknowledged'), /^Recorded: you acknowledged notice "Sales archiving notice" v1/);
    assert.match(await ask(f, '已閱'), /^已記錄/);
    assert.equal((await broadcast(bot, id)).counts.acknowledged, 5);
    const acked = (await (await admin(bot, 'GET', `/admin/broadcasts/${id}/recipients?state=acknowledged&limit=10`)).json()) as { recipients: { userId: string; acknowledgedVia: string }[] };
    assert.deepEqual(new Set(acked.recipients.map((r) => r.acknowledgedVia)), new Set(['text']));

    // Nothing open any more: "收到" gets the usual reply again, not the how-to.
    assert.doesNotMatch(await ask(a, '收到'), /请回复“确认”/);
    // Someone who never received a notice (HR) gets the normal behaviour.
    assert.doesNotMatch(await ask('wangfang', '收到'), /请回复“确认”/);
    assert.doesNotMatch(await ask(g, '收到吗？'), /请回复“确认”/, 'a question is not a receipt');
  });

  it('a notice with no Traditional text reaches an employee who asks in Traditional in the converted Traditional text, recorded zh-TW', async () => {
    // hr's wangfang asks in Traditional (remembered as her language); chenjing never asked (bilingual, the default).
    const hr = (await (await fetch(`${bot.url}/try/sandbox/directory`)).json()) as { departments: { id: string; members: { userId: string }[] }[] };
    const [tw, other] = hr.departments.find((d) => d.id === 'hr')!.members.map((m) => m.userId).filter((u) => u !== 'wangfang') as [string, string];
    await post(bot, '/try/sandbox/ask', { user: tw, question: '公司能看到我的聊天記錄嗎？' });
    const n = await admin(bot, 'POST', '/admin/notices', { title: { zh: '人力资源部会话存档告知', en: '' }, body: { zh: '人力资源部的工作聊天将被存档，保存三年。', en: '' } });
    const { id: noticeId } = (await n.json()) as { id: string };
    const b = await admin(bot, 'POST', '/admin/broadcasts', { noticeId, platform: 'sandbox', audience: { userIds: [tw, other] } });
    const { id } = (await b.json()) as { id: string };
    await until(bot, id, (x) => x.state === 'done');
    const card = async (user: string) => ((await (await fetch(`${bot.url}/try/sandbox/inbox?user=${user}`)).json()) as { cards: { noticeId: string; title: { zh: string; en: string }; body: { zh: string; en: string } }[] }).cards.find((c) => c.noticeId === noticeId)!;
    const got = await card(tw);
    assert.equal(got.title.zh, '人力資源部會話存檔告知');
    assert.equal(got.body.zh, '人力資源部的工作聊天將被存檔，保存三年。');
    assert.equal(got.body.en, '', 'Traditional only');
    assert.equal((await card(other)).title.zh, '人力资源部会话存档告知', 'the others keep the Simplified text');
    const csv = (await (await admin(bot, 'GET', `/admin/broadcasts/${id}/recipients.csv`)).text()).split('\r\n');
    const language = csv[0]!.replace(/^\uFEFF/, '').split(',').indexOf('language');
    assert.equal(csv.find((l) => l.startsWith(`${tw},`))!.split(',')[language], 'zh-TW');
  });

  it('the evidence names the audience in words from the directory, beside its JSON; verify prints it', async () => {
    // Traditional written too, but nobody asked in it: every card is bilingual (zh + en), so zh-TW was not sent.
    const n = await admin(bot, 'POST', '/admin/notices', { title: { zh: '研发部告知', en: 'R&D notice', 'zh-TW': '研發部告知' }, body: { zh: '正文', en: 'Body', 'zh-TW': '內文' } });
    const { id: noticeId } = (await n.json()) as { id: string };
    const audience = { departmentIds: ['rd'], exclude: { userIds: ['zhoutao'] } };
    const { id } = (await (await admin(bot, 'POST', '/admin/broadcasts', { noticeId, platform: 'sandbox', audience })).json()) as { id: string };
    await until(bot, id, (x) => x.state === 'done');
    const words = '研发部 (rd), excluding 周涛 (zhoutao) / 研发部（rd），排除 周涛（zhoutao）';
    for (const kind of ['recipients', 'audit']) {
      const file = Buffer.from(await (await admin(bot, 'GET', `/admin/broadcasts/${id}/${kind}.csv`)).arrayBuffer());
      const text = file.toString('utf8');
      const json = '"# audience: {""departmentIds"":[""rd""],""exclude"":{""userIds"":[""zhoutao""]}}"';
      assert.ok(text.includes(`${json}\r\n"# audience-text: ""${words}"""\r\n`), text.slice(-900));
      const r = verifyExport(file);
      assert.deepEqual(r.problems.map((p) => p.kind), ['unsigned'], 'only unsigned: the trailer reads');
      assert.deepEqual([r.audience, r.audienceText], [audience, words]);
      const printed = formatVerifyReport('x.csv', r);
      assert.ok(printed.includes(`\n  audience: ${words}\n  audience (as recorded): {"departmentIds":["rd"]`), printed);
      assert.deepEqual(r.noticeSent, { zh: { title: '研发部告知', body: '正文' }, en: { title: 'R&D notice', body: 'Body' } });
      assert.ok(printed.includes('  notice text (what the employees were sent, in zh, en):\n    [zh] 研发部告知\n         正文\n    [en] R&D notice\n         Body\n'), printed);
      assert.doesNotMatch(printed, /zh-TW|內文/, 'the Traditional text nobody was sent is not listed');
    }
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await (await admin(bot, 'GET', `/admin/broadcasts/${id}/recipients.xlsx`)).arrayBuffer()) as never);
    const sheet: Record<string, string> = {};
    wb.getWorksheet('evidence')!.eachRow((row) => {
      sheet[String(row.getCell(1).value)] = String(row.getCell(2).value);
    });
    assert.equal(sheet['audience-text'], words);
    assert.equal(sheet.audience, JSON.stringify(audience));
  });

  it('a reminder in another language than the first send is recorded per recipient: the recipients export shows both', async () => {
    const dir = (await (await fetch(`${bot.url}/try/sandbox/directory`)).json()) as { departments: { id: string; members: { userId: string }[] }[] };
    const u = dir.departments.find((d) => d.id === 'rd')!.members.map((m) => m.userId).filter((x) => x !== 'wuhao' && x !== 'zhoutao').at(-1)!;
    const n = await admin(bot, 'POST', '/admin/notices', { title: { zh: '提醒语言告知', en: 'Reminder language notice' }, body: { zh: '正文', en: 'Body' } });
    const { id: noticeId } = (await n.json()) as { id: string };
    const { id } = (await (await admin(bot, 'POST', '/admin/broadcasts', { noticeId, platform: 'sandbox', audience: { userIds: [u] } })).json()) as { id: string };
    await until(bot, id, (x) => x.state === 'done');
    // The employee asks in Traditional after the first send: the reminder goes out in zh-TW only.
    await post(bot, '/try/sandbox/ask', { user: u, question: '公司能看到我的聊天記錄嗎？' });
    assert.equal((await admin(bot, 'POST', `/admin/broadcasts/${id}/resend`, { only: 'unacknowledged' })).status, 200);
    await until(bot, id, (x) => x.state === 'done' && (x as unknown as { reminder: { sent: number } }).reminder.sent === 1);
    const csv = (await (await admin(bot, 'GET', `/admin/broadcasts/${id}/recipients.csv`)).text()).replace(/^\uFEFF/, '').split('\r\n');
    const header = csv[0]!.split(',');
    const row = csv.find((l) => l.startsWith(`${u},`))!.split(',');
    assert.deepEqual([row[header.indexOf('language')], row[header.indexOf('remindedRound')], row[header.indexOf('remindedLanguage')]], ['bilingual', '1', 'zh-TW']);
    const audit = await (await admin(bot, 'GET', `/admin/broadcasts/${id}/audit.csv`)).text();
    assert.match(audit, /reminder round 1 sent \(language zh-TW\)/);
    // The evidence lists what was sent: the bilingual card's zh and en, and the reminder's converted Traditional.
    const report = verifyExport(Buffer.from(audit, 'utf8'));
    assert.deepEqual(report.noticeSent, { zh: { title: '提醒语言告知', body: '正文' }, 'zh-TW': { title: '提醒語言告知', body: '正文' }, en: { title: 'Reminder language notice', body: 'Body' } });
    assert.match(formatVerifyReport('audit.csv', report), /notice text \(what the employees were sent, in zh, zh-TW, en\):/);
    const page = (await (await admin(bot, 'GET', `/admin/broadcasts/${id}/recipients`)).json()) as { recipients: { language: string; remindedLanguage: string }[] };
    assert.deepEqual([page.recipients[0]!.language, page.recipients[0]!.remindedLanguage], ['bilingual', 'zh-TW']);
  });

  it('questions asked as a sandbox employee get their status line; anonymous ones do not', async () => {
    const q = '我的聊天被存档了吗？';
    const as = (await (await post(bot, '/try/sandbox/ask', { user: 'wuhao', question: q })).json()) as { replies: string[]; topic: string };
    const text = as.replies.join('\n');
    assert.match(text, /2025-01-02/);
    assert.match(text, /范围：单聊和群聊，仅内部（来源：沙盒示例数据，/, 'scope and source in the asker\'s language');
    assert.doesNotMatch(text, /sandbox demo data/);
    const en = (await (await post(bot, '/try/sandbox/ask', { user: 'wuhao', question: 'Is archiving on for me?' })).json()) as { replies: string[] };
    assert.match(en.replies.join('\n'), /^Your archiving status: archived since 2025-01-02, scope: 1:1 and group chats, internal only \(source: sandbox demo data, updated /m);
    assert.doesNotMatch(en.replies.join('\n').split('\nSources:')[0]!, /[\u4e00-\u9fff]/, 'nothing Chinese in the English answer (source titles are bilingual)');
    assert.match(text, /确认知悉/, 'the notice line of the acknowledged notice');
    const shaped = as as unknown as { lang: string; suggestions: { id: string; label: string }[] };
    assert.equal(shaped.lang, 'zh-CN');
    for (const s of shaped.suggestions) assert.notEqual(s.label, s.id, 'suggestions are labelled with their titles');
    // A suggestion button (pick), in English, as on /try/ask.
    const picked = (await (await post(bot, '/try/sandbox/ask', { user: 'wuhao', question: 'Am I archived?', pick: { topic: 'am-i-archived', lang: 'en' } })).json()) as { replies: string[]; topic: string; lang: string };
    assert.equal(picked.topic, 'am-i-archived');
    assert.equal(picked.lang, 'en');
    assert.match(picked.replies.join('\n'), /2025-01-02/);
    const badPick = await post(bot, '/try/sandbox/ask', { user: 'wuhao', question: 'x', pick: { topic: 'no-such-topic', lang: 'en' } });
    assert.equal(badPick.status, 400);
    const anon = (await (await post(bot, '/try/ask', { question: q, session: 'sandbox-anon-1' })).json()) as { replies: string[] };
    assert.doesNotMatch(anon.replies.join('\n'), /2025-01-02/);
  });

  it('refuses unknown employees and bad bodies with clear 4xx', async () => {
    const r1 = await fetch(`${bot.url}/try/sandbox/inbox?user=nobody`);
    assert.equal(r1.status, 404);
    assert.match(await r1.text(), /SANDBOX_UNKNOWN_EMPLOYEE/);
    const r2 = await fetch(`${bot.url}/try/sandbox/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
    assert.equal(r2.status, 400);
    // JSON only: text/plain or a form is what another site's page can post unasked (415, body unread).
    for (const path of ['/try/sandbox/ask', '/try/sandbox/ack', '/try/sandbox/open']) {
      const r = await fetch(`${bot.url}${path}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ user: 'wuhao', question: 'Am I archived?' }) });
      assert.equal(r.status, 415, path);
      assert.match(await r.text(), /SANDBOX_NOT_JSON_TYPE.*application\/json/);
    }
    const r3 = await post(bot, '/try/sandbox/ack', { user: 'wuhao', ackKey: 'nonsense' });
    assert.equal(r3.status, 400);
    assert.match(await r3.text(), /ackKey/);
    const r4 = await admin(bot, 'GET', '/admin/broadcasts/nope/recipients');
    assert.equal(r4.status, 404);
    const r5 = await admin(bot, 'GET', '/admin/broadcasts/nope/recipients?state=weird');
    assert.equal(r5.status, 400);
    assert.match(await r5.text(), /state/);
    const r6 = await admin(bot, 'GET', '/admin/broadcasts/nope/recipients?page=2&cursor=x');
    assert.equal(r6.status, 400);
    const r8 = await admin(bot, 'GET', '/admin/broadcasts/nope/recipients?state=read&state=sent');
    assert.equal(r8.status, 400);
    assert.match(await r8.text(), /state: give it once/);
    const r9 = await admin(bot, 'GET', '/admin/broadcasts/nope/recipients?limit=1001');
    assert.equal(r9.status, 400);
    assert.match(await r9.text(), /limit/);
    const r7 = await fetch(`${bot.url}/admin/broadcasts/nope/recipients`);
    assert.equal(r7.status, 401, 'the recipients page is behind the admin token');
  });
});

describe('sandbox without ADMIN_TOKEN', () => {
  it('makes up an admin token for the run: the admin API works with it and only with it', async () => {
    const bot = await startTestBot({ SANDBOX: 'on' }, { noticeWorker: false });
    try {
      const token = bot.server.sandboxAdminToken;
      assert.ok(token && token.length >= 32, 'a long random token');
      const withIt = await fetch(`${bot.url}/admin/notices`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(withIt.status, 200);
      assert.equal((await fetch(`${bot.url}/admin/notices`)).status, 401);
      assert.equal((await fetch(`${bot.url}/admin/notices`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status, 401);
    } finally {
      await bot.close();
    }
  });

  it('creates a console owner account on first start, printed once: sign in, change the password, send to a department', async () => {
    const bot = await startTestBot({ SANDBOX: 'on' }, { noticeWorker: false });
    try {
      const account = bot.server.sandboxConsoleAccount;
      assert.ok(account, 'an account when none exists');
      assert.equal(account.name, 'sandbox.admin');
      const c = new ConsoleClient(bot.url);
      await c.firstSignIn(account.name, account.password, 'sandbox-owner-chosen-pass');
      const n = await c.call('POST', '/console/api/notices', { title: { zh: '会话存档告知', en: 'Archiving notice' }, body: { zh: '工作聊天会存档。', en: 'Work chats are archived.' } });
      assert.equal(n.status, 201);
      const b = await c.call('POST', '/console/api/broadcasts', { noticeId: n.body.id, platform: 'sandbox', audience: { departmentIds: ['rd'] } });
      assert.equal(b.status, 201);
      assert.equal((await c.call('GET', `/console/api/broadcasts/${b.body.id}`)).body.counts.targeted, 12);
    } finally {
      await bot.close();
    }
  });

  it('creates no console account when one exists (a restart) or the console is off', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'privacy-bot-sandbox-account-'));
    try {
      const first = await startTestBot({ SANDBOX: 'on' }, { noticeWorker: false, dataDir });
      const created = first.server.sandboxConsoleAccount;
      await first.close();
      assert.ok(created);
      const again = await startTestBot({ SANDBOX: 'on' }, { noticeWorker: false, dataDir });
      try {
        assert.equal(again.server.sandboxConsoleAccount, null, 'the existing account is kept, no second one');
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    const off = await startTestBot({ SANDBOX: 'on', CONSOLE: 'off' }, { noticeWorker: false });
    try {
      assert.equal(off.server.sandboxConsoleAccount, null);
    } finally {
      await off.close();
    }
  });

  it('two instances on one Redis share the made-up token: each accepts the one the other printed (a load balancer may send either)', { skip: redisSkip }, async () => {
    const keyPrefix = `privacy-bot-test:sandbox-token-${process.pid}-${Date.now()}:`;
    const a = await startTestBot({ SANDBOX: 'on' }, { noticeWorker: false, redis: { url: REDIS_URL, keyPrefix } });
    const b = await startTestBot({ SANDBOX: 'on' }, { noticeWorker: false, redis: { url: REDIS_URL, keyPrefix } });
    try {
      const token = a.server.sandboxAdminToken;
      assert.ok(token && token.length >= 32);
      assert.equal(b.server.sandboxAdminToken, token, 'the second instance prints the same token');
      for (const bot of [a, b]) {
        assert.equal((await fetch(`${bot.url}/admin/notices`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
        assert.equal((await fetch(`${bot.url}/admin/notices`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status, 401);
      }
      assert.ok(![...a.logLines, ...b.logLines].some((l) => l.includes(token)), 'the token is never logged');
    } finally {
      await a.close();
      await b.close();
      await deleteRedisPrefix(REDIS_URL, keyPrefix);
    }
  });

  it('on the embedded store a restart keeps the made-up token', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'privacy-bot-sandbox-token-'));
    try {
      const first = await startTestBot({ SANDBOX: 'on' }, { noticeWorker: false, dataDir });
      const token = first.server.sandboxAdminToken;
      await first.close();
      const again = await startTestBot({ SANDBOX: 'on' }, { noticeWorker: false, dataDir });
      try {
        assert.equal(again.server.sandboxAdminToken, token);
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('uses ADMIN_TOKEN when it is set (no token made up)', async () => {
    const bot = await startTestBot({ SANDBOX: 'on', ADMIN_TOKEN }, { noticeWorker: false });
    try {
      assert.equal(bot.server.sandboxAdminToken, null);
    } finally {
      await bot.close();
    }
  });
});

describe('sandbox turned off', () => {
  let fake: FakeWecom;
  before(async () => {
    fake = await startFakeWecom({ corpId: 'wx5823bf96d3bd56c7', secret: 'app-secret', agentId: 1000002 });
  });
  after(async () => {
    await fake?.close();
  });

  it('SANDBOX=off: no sandbox platform, routes or script', async () => {
    const bot = await startTestBot({ SANDBOX: 'off' }, { noticeWorker: false });
    try {
      assert.deepEqual(bot.server.adapters, []);
      assert.equal(bot.server.sandboxAdminToken, null);
      assert.equal((await fetch(`${bot.url}/admin/notices`)).status, 404, 'no ADMIN_TOKEN and no sandbox: no admin API');
      assert.equal((await fetch(`${bot.url}/try/sandbox/directory`)).status, 404);
      assert.doesNotMatch(await (await fetch(`${bot.url}/try`)).text(), /sandbox\.js/);
      assert.equal(bot.core.notices.channelFor('sandbox'), undefined);
    } finally {
      await bot.close();
    }
  });

  it('a real platform configured (WeCom): the sandbox is off even without SANDBOX=off', async () => {
    const bot = await startTestBot(
      {
        ADMIN_TOKEN,
        SANDBOX: 'on',
        WECOM_CORP_ID: 'wx5823bf96d3bd56c7',
        WECOM_AGENT_ID: '1000002',
        WECOM_SECRET: 'app-secret',
        WECOM_TOKEN: 'QDG6eK',
        WECOM_ENCODING_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
        WECOM_API_BASE: fake.url,
      },
      { noticeWorker: false },
    );
    try {
      assert.deepEqual(bot.server.adapters.map((a) => a.platform), ['wecom']);
      assert.equal((await fetch(`${bot.url}/try/sandbox/directory`)).status, 404);
      assert.equal(bot.core.notices.channelFor('sandbox'), undefined);
      const b = await admin(bot, 'POST', '/admin/broadcasts', { noticeId: 'n-x', platform: 'sandbox', audience: { all: true } });
      assert.ok(b.status >= 400 && b.status < 500, `a sandbox broadcast is refused: ${b.status}`);
    } finally {
      await bot.close();
    }
  });
});
