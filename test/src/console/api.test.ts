/**
 * The console API over real HTTP (the bot on loopback, a fake notice platform from test/fakes):
 * sign-in with the one-time password and its forced change, the cookie's attributes (Secure only
 * over https as told by a trusted proxy), CSRF on every change, roles (an auditor reads but cannot
 * change), the sign-in throttle, the idle timeout on the server's clock, the admin routes reached
 * under /console/api with the account name recorded, paged recipients, CSV audiences and status
 * imports that list every bad line and change nothing, CONSOLE=off, and sessions shared by two
 * instances on one Redis store.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startNoticeBot, type NoticeBot } from '../../e2e/notices-harness.ts';
import { ConsoleClient, addAccount, signedIn } from '../../helpers/console-client.ts';
import { startTestBot } from '../../helpers/app.ts';
import { SHARED_REDIS_URL, uniquePrefix } from '../../resilience/harness.ts';
import { NOTICE } from '../../helpers/admin-walk.ts';
import { AccountStore } from '../../../src/console/accounts.ts';
import { LOGIN_PLATFORMS } from '../../../adapters/login.ts';
import { parseUserIdCsv } from '../../../src/console/server.ts';

describe('console API', () => {
  let bot: NoticeBot;
  let admin: ConsoleClient;
  before(async () => {
    bot = await startNoticeBot({ fake: { users: ['u1', 'u2', 'u3', 'u4', 'u5'], departments: { '7': ['u1', 'u2'] } }, env: { TRUSTED_PROXIES: '127.0.0.1/32' } });
    admin = await signedIn(bot.url, bot.core.store, 'hr.admin', 'admin');
  });
  after(async () => {
    await bot.close();
  });

  it('first sign-in: only the password change is allowed until the one-time password is replaced', async () => {
    const oneTime = await addAccount(bot.core.store, 'newbie', 'admin');
    const c = new ConsoleClient(bot.url);
    assert.equal((await c.call('GET', '/console/api/notices')).status, 401);
    assert.equal((await c.signIn('newbie', 'wrong-password')).status, 401);
    const a = await c.signIn('newbie', oneTime);
    assert.equal(a.status, 200);
    assert.equal(a.body.mustChange, true);
    const cookie = a.headers.get('set-cookie')!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\/console/);
    assert.doesNotMatch(cookie, /Secure/, 'plain http from a client: no Secure');
    assert.equal((await c.call('GET', '/console/api/notices')).body.error.code, 'CONSOLE_PASSWORD_CHANGE');
    assert.equal((await c.call('POST', '/console/api/password', { current: oneTime, next: 'short' })).status, 400);
    assert.equal((await c.call('POST', '/console/api/password', { current: oneTime, next: 'a-much-longer-password' })).status, 200);
    assert.equal((await c.call('GET', '/console/api/notices')).status, 200);
    // Signed out: the cookie no longer works.
    assert.equal((await c.call('DELETE', '/console/api/session')).status, 200);
    assert.equal((await c.call('GET', '/console/api/notices')).status, 401);
  });

  it('GET /session: 200 {signedIn: false} without a live session (none, unknown cookie, signed out); every other protected route stays 401', async () => {
    const c = new ConsoleClient(bot.url);
    const nobody = await c.call('GET', '/console/api/session');
    assert.deepEqual([nobody.status, nobody.body], [200, { signedIn: false }]);
    assert.equal(nobody.headers.get('cache-control'), 'no-store');
    c.cookie = 'pb_console=not-a-session-token';
    assert.deepEqual((await c.call('GET', '/console/api/session')).body, { signedIn: false });
    for (const [method, path] of [['GET', '/console/api/notices'], ['GET', '/console/api/broadcasts'], ['GET', '/console/api/platforms'], ['DELETE', '/console/api/session'], ['POST', '/console/api/password']] as const) {
      const r = await c.call(method, path, method === 'GET' ? undefined : {});
      assert.deepEqual([r.status, r.body.error.code], [401, 'CONSOLE_UNAUTHENTICATED'], `${method} ${path}`);
    }
    const me = await admin.call('GET', '/console/api/session');
    assert.equal(me.status, 200);
    assert.deepEqual([me.body.signedIn, me.body.name, me.body.role, me.body.csrf], [true, 'hr.admin', 'admin', admin.csrf]);
    const leaving = await signedIn(bot.url, bot.core.store, 'hr.leaving', 'auditor');
    assert.equal((await leaving.call('GET', '/console/api/session')).body.signedIn, true);
    assert.equal((await leaving.call('DELETE', '/console/api/session')).status, 200);
    assert.deepEqual((await leaving.call('GET', '/console/api/session')).body, { signedIn: false });
  });

  it('Secure cookie when a trusted proxy says the request came over https', async () => {
    const oneTime = await addAccount(bot.core.store, 'proxied', 'auditor');
    const c = new ConsoleClient(bot.url, { 'x-forwarded-proto': 'https' });
    const a = await c.signIn('proxied', oneTime);
    assert.match(a.headers.get('set-cookie')!, /; Secure/);
  });

  it('every change needs the session’s CSRF token; a request without it changes nothing', async () => {
    const before = (await admin.call('GET', '/console/api/notices')).body.notices.length;
    for (const csrf of [false, 'wrong-token', ''] as const) {
      const r = await admin.call('POST', '/console/api/notices', NOTICE, { csrf });
      assert.equal(r.status, 403, String(csrf));
      assert.equal(r.body.error.code, 'CONSOLE_CSRF');
    }
    assert.equal((await admin.call('GET', '/console/api/notices')).body.notices.length, before);
    const ok = await admin.call('POST', '/console/api/notices', NOTICE);
    assert.equal(ok.status, 201);
    // Another session's token is not this session's.
    const other = await signedIn(bot.url, bot.core.store, 'other.admin', 'admin');
    assert.equal((await admin.call('POST', '/console/api/notices', NOTICE, { csrf: other.csrf })).status, 403);
  });

  it('notices: zh-CN required, English and zh-TW optional (old bodies valid); convert from zh-CN is a CSRF-checked POST; channels get the fallbacks', async () => {
    const zhOnly = { title: { zh: '隐私告知：会话存档' }, body: { zh: '公司通过会话存档保存聊天记录。' } };
    const created = await admin.call('POST', '/console/api/notices', zhOnly);
    assert.equal(created.status, 201);
    const v1 = (await admin.call('GET', `/console/api/notices/${created.body.id}/versions/1`)).body;
    assert.deepEqual(v1.title, { zh: '隐私告知：会话存档', en: '' }, 'English not written = empty, no zh-TW key');
    const delivery = await bot.core.notices.deliveryFor({ id: 'b-test', noticeId: created.body.id, version: 1 }, 'deliver', 0);
    assert.equal(delivery.title.en, '隐私告知：会话存档', 'English falls back to zh-CN');
    assert.equal(delivery.body['zh-TW'], '公司透過會話存檔保存聊天記錄。', 'zh-TW falls back to the OpenCC twp conversion');

    for (const csrf of [false, 'wrong-token'] as const) assert.equal((await admin.call('POST', '/console/api/notices/convert', { title: '信息' }, { csrf })).status, 403);
    const conv = await admin.call('POST', '/console/api/notices/convert', { title: '隐私告知', body: '公司通过会话存档保存聊天记录。' });
    assert.equal(conv.status, 200);
    assert.deepEqual(conv.body, { title: '隱私告知', body: '公司透過會話存檔保存聊天記錄。' });
    for (const bad of [{}, { title: 5 }, { text: 'x' }, { body: 'x'.repeat(5001) }]) {
      const r = await admin.call('POST', '/console/api/notices/convert', bad);
      assert.equal(r.status, 400, JSON.stringify(bad).slice(0, 40));
      assert.equal(r.body.error.code, 'NOTICE_BAD_REQUEST');
    }

    const tw = { title: { zh: '告知', en: 'Notice', 'zh-TW': '告知（繁）' }, body: { zh: '正文', en: null, 'zh-TW': '  ' } };
    const v2 = await admin.call('PUT', `/console/api/notices/${created.body.id}`, tw);
    assert.equal(v2.status, 201);
    const read = (await admin.call('GET', `/console/api/notices/${created.body.id}/versions/2`)).body;
    assert.deepEqual([read.title, read.body], [{ zh: '告知', en: 'Notice', 'zh-TW': '告知（繁）' }, { zh: '正文', en: '' }], 'blank zh-TW = not written');
    const bad = await admin.call('POST', '/console/api/notices', { title: { en: 'Only English' }, body: { zh: '正文' } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /^title\.zh: is required/);
    assert.equal((await admin.call('POST', '/console/api/notices', { title: { zh: 'a', 'zh-tw': 'b' }, body: { zh: 'c' } })).status, 400, 'unknown language key');
  });

  it('test send to myself: goes to the account\'s own linked account, outside every broadcast; audited; no link → 409', async () => {
    const n = await admin.call('POST', '/console/api/notices', NOTICE);
    const path = `/console/api/notices/${n.body.id}/versions/1/test-send`;
    assert.equal((await admin.call('POST', path, { platform: 'wecom' })).status, 409, 'no link yet');
    assert.equal((await admin.call('POST', path, { platform: 'wecom' })).body.error.code, 'NOTICE_TEST_NO_ACCOUNT');
    await new AccountStore(bot.core.store, Date.now, LOGIN_PLATFORMS).link('hr.admin', 'wecom', 'u4');
    const broadcastsBefore = (await admin.call('GET', '/console/api/broadcasts')).body.broadcasts.length;
    const deliveredBefore = bot.fake.delivered.length;
    assert.equal((await admin.call('POST', path, { platform: 'wecom' }, { csrf: false })).status, 403, 'CSRF like every change');
    const r = await admin.call('POST', path, { platform: 'wecom' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { noticeId: n.body.id, version: 1, platform: 'wecom', userId: 'u4' });
    const sent = bot.fake.delivered.slice(deliveredBefore);
    assert.deepEqual(sent.map((d) => [d.userId, d.noticeId, d.version]), [['u4', n.body.id, 1]]);
    assert.match(sent[0]!.broadcastId, /^test-/);
    assert.equal((await admin.call('GET', '/console/api/broadcasts')).body.broadcasts.length, broadcastsBefore, 'no broadcast, nothing in any tally');
    const entries = (await admin.call('GET', '/console/api/audit')).body.entries as { actor: string; action: string; status: number; target?: string }[];
    assert.ok(entries.some((e) => e.actor === 'hr.admin' && e.action === 'POST /console/api/notices/:id/versions/:version/test-send' && e.status === 200 && e.target === n.body.id), 'in the audit trail');
    for (const [body, status] of [[{ platform: 'wecom', userId: 'u1' }, 400], [{}, 400], [{ platform: 'nope' }, 400], [{ platform: 'dingtalk' }, 409]] as const) {
      assert.equal((await admin.call('POST', path, body)).status, status, JSON.stringify(body));
    }
    assert.equal((await admin.call('POST', `/console/api/notices/${n.body.id}/versions/9/test-send`, { platform: 'wecom' })).status, 404);
    assert.equal(bot.fake.delivered.length, deliveredBefore + 1, 'nothing else was sent');
  });

  it('an auditor reads everything but every change is 403; an admin sends and the audit trail names them', async () => {
    const auditor = await signedIn(bot.url, bot.core.store, 'legal.wang', 'auditor');
    const n = (await admin.call('POST', '/console/api/notices', NOTICE)).body as { id: string };
    assert.equal((await auditor.call('GET', `/console/api/notices/${n.id}`)).status, 200);
    for (const [method, path, body] of [
      ['POST', '/console/api/notices', NOTICE],
      ['PUT', `/console/api/notices/${n.id}`, NOTICE],
      ['POST', '/console/api/broadcasts', { noticeId: n.id, platform: 'dingtalk', audience: { userIds: ['u1'] } }],
      ['POST', '/console/api/policies', {}],
      ['POST', '/console/api/statuses/import', { csv: 'platform,userId,archived,since,scope\n' }],
    ] as const) {
      const r = await auditor.call(method, path, body);
      assert.equal(r.status, 403, `${method} ${path}`);
      assert.equal(r.body.error.code, 'CONSOLE_FORBIDDEN');
    }
    const b = await admin.call('POST', '/console/api/broadcasts', { noticeId: n.id, platform: 'dingtalk', audience: { userIds: ['u1', 'u2', 'u3'] } });
    assert.equal(b.status, 201);
    const view = await auditor.call('GET', `/console/api/broadcasts/${b.body.id}`);
    assert.equal(view.body.createdBy, 'console:hr.admin');
    assert.equal(view.body.counts.targeted, 3);
    const trail = (await auditor.call('GET', '/console/api/audit')).body.entries as { actor: string; action: string; status: number }[];
    assert.ok(trail.some((e) => e.actor === 'hr.admin' && e.action === 'POST /console/api/broadcasts' && e.status === 201));
    assert.ok(trail.some((e) => e.actor === 'legal.wang' && e.action === 'POST /console/api/broadcasts' && e.status === 403), 'refusals are recorded too');
    // The operation log in words (zh and en), the raw route kept beside it.
    type Described = { actor: string; action: string; status: number; target?: string; summary: { zh: string; en: string } };
    const described = (await auditor.call('GET', '/console/api/audit')).body.entries as Described[];
    const sent = described.find((e) => e.actor === 'hr.admin' && e.action === 'POST /console/api/broadcasts' && e.status === 201)!;
    assert.deepEqual([sent.target, sent.summary], [b.body.id, { zh: '发送通知《会话存档告知》v1 给 3 人', en: 'Sent notice "Archiving notice" v1 to 3 people' }]);
    const refused = described.find((e) => e.actor === 'legal.wang' && e.action === 'POST /console/api/broadcasts')!;
    assert.match(refused.summary.zh, /（未成功，403）$/);
    const created = described.find((e) => e.action === 'POST /console/api/notices' && e.target === n.id)!;
    assert.equal(created.summary.zh, '新建告知书《会话存档告知》v1');
    // Exported with an action column, times in the company's zone, formula-like cells defused; the export itself is logged.
    await new ConsoleClient(bot.url).call('POST', '/console/api/session', { name: '=HYPERLINK("x")', password: 'wrong-password-1' });
    const exported = await auditor.call('GET', '/console/api/audit.csv?lang=en');
    assert.equal(exported.status, 200);
    const lines = String(exported.body).replace(/^\uFEFF/, '').split('\r\n');
    assert.equal(lines[0], 'time,actor,action,route,target,status');
    const row = lines.find((l) => l.includes(`Sent notice ""Archiving notice"" v1 to 3 people`))!;
    assert.match(row, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00,hr\.admin,"Sent notice ""Archiving notice"" v1 to 3 people",POST \/console\/api\/broadcasts,/);
    assert.ok(lines.some((l) => l.includes(`"'=HYPERLINK(""x"")",Sign-in failed (wrong name or password),sign-in failed,,401`)), 'neutralised');
    const zh = String((await auditor.call('GET', '/console/api/audit.csv')).body);
    assert.match(zh, /,hr\.admin,发送通知《会话存档告知》v1 给 3 人,POST \/console\/api\/broadcasts,/);
    const again = (await auditor.call('GET', '/console/api/audit')).body.entries as Described[];
    assert.equal(again[0]!.summary.en, 'Exported the audit trail');
    // Paged, filtered, sorted recipients (server side).
    await waitFor(async () => (await admin.call('GET', `/console/api/broadcasts/${b.body.id}`)).body.counts.sent === 3);
    const page = await auditor.call('GET', `/console/api/broadcasts/${b.body.id}/recipients?page=2&limit=2&sort=user&order=desc`);
    assert.deepEqual({ total: page.body.total, page: page.body.page, ids: page.body.recipients.map((r: { userId: string }) => r.userId) }, { total: 3, page: 2, ids: ['u1'] });
    const filtered = await auditor.call('GET', `/console/api/broadcasts/${b.body.id}/recipients?q=u2`);
    assert.deepEqual(filtered.body.recipients.map((r: { userId: string }) => r.userId), ['u2']);
    const csv = await auditor.call('GET', `/console/api/broadcasts/${b.body.id}/recipients.csv`);
    assert.equal(csv.status, 200);
    assert.match(String(csv.body), /u1,,,sent/);
  });

  it('reminder rounds: the broadcast lists every round (when, for how many, who asked); each recipient the round that reached them', async () => {
    const n = (await admin.call('POST', '/console/api/notices', NOTICE)).body as { id: string };
    const b = await admin.call('POST', '/console/api/broadcasts', { noticeId: n.id, platform: 'dingtalk', audience: { userIds: ['u1', 'u2', 'u3'] } });
    const id = b.body.id as string;
    const view = async () => (await admin.call('GET', `/console/api/broadcasts/${id}`)).body;
    await waitFor(async () => (await view()).counts.sent === 3);
    assert.deepEqual((await view()).reminderRounds, [], 'none before the first');
    await bot.core.notices.acknowledge('dingtalk', 'u1', { noticeId: n.id, version: 1 }, 'text');
    const r1 = await admin.call('POST', `/console/api/broadcasts/${id}/resend`, { only: 'unacknowledged' });
    assert.deepEqual([r1.status, r1.body.queued, r1.body.round], [200, 2, 1]);
    await waitFor(async () => (await view()).reminder.sent === 2);
    // The same round again through the admin API (Bearer token): recorded as 'api'.
    await bot.core.notices.acknowledge('dingtalk', 'u2', { noticeId: n.id, version: 1 }, 'text');
    assert.equal((await (await bot.admin('POST', `/admin/broadcasts/${id}/resend`, { only: 'unacknowledged' })).json() as { round: number }).round, 2);
    await waitFor(async () => (await view()).reminder.sent === 1);
    const v = await view();
    assert.deepEqual(v.reminderRounds.map((r: { round: number; queued: number; by: string | null }) => [r.round, r.queued, r.by]), [[1, 2, 'console:hr.admin'], [2, 1, 'api']]);
    for (const r of v.reminderRounds as { at: string }[]) assert.match(r.at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.deepEqual(v.reminder, { round: 2, targeted: 1, pending: 0, sent: 1, failed: 0 }, 'the tally is the latest round');
    // Per recipient: the last round that reached them (u1 acknowledged before any).
    const rows = (await admin.call('GET', `/console/api/broadcasts/${id}/recipients?limit=10`)).body.recipients as { userId: string; remindedRound: number; remindedAt: string | null }[];
    assert.deepEqual(rows.map((r) => [r.userId, r.remindedRound, r.remindedAt !== null]), [['u1', 0, false], ['u2', 1, true], ['u3', 2, true]]);
  });

  it('audience: preview counts the resolved head count; a CSV upload lists every bad line', async () => {
    assert.equal((await admin.call('POST', '/console/api/audience/preview', { platform: 'dingtalk', audience: { all: true } })).body.count, 5);
    assert.equal((await admin.call('POST', '/console/api/audience/preview', { platform: 'dingtalk', audience: { departmentIds: ['7'] } })).body.count, 2);
    // Blank lines (empty, whitespace only, only empty cells as Excel writes them) are skipped; real errors stay.
    const up = await admin.call('POST', '/console/api/audience/csv', { csv: 'userId\nu1\n\nu2\n  \t\n,,\nu1\n,张三\n' + 'x'.repeat(300) + '\n\n' });
    assert.deepEqual(up.body, { userIds: ['u1', 'u2'], errors: [
      { line: 8, message: 'empty user id', problems: [{ kind: 'user_id_empty' }] },
      { line: 9, message: 'user id longer than 256 characters', problems: [{ kind: 'user_id_long', max: 256 }] },
    ] });
    // One blank line no longer blocks the whole upload (an Excel export with a gap and a trailing empty row).
    const excel = await admin.call('POST', '/console/api/audience/csv', { csv: '\uFEFFuserId,name\r\nu1,甲\r\n\r\nu2,乙\r\n,\r\n' });
    assert.deepEqual(excel.body, { userIds: ['u1', 'u2'], errors: [] });
  });

  it('parseUserIdCsv: blank lines skipped wherever they are (also before the header); line numbers stay the file\'s', () => {
    assert.deepEqual(parseUserIdCsv('\n \nuser_id\nu1\n\n'), { userIds: ['u1'], errors: [] });
    assert.deepEqual(parseUserIdCsv(''), { userIds: [], errors: [] });
    assert.deepEqual(parseUserIdCsv('u1\n\nu\u0001x\n'), { userIds: ['u1'], errors: [{ line: 3, message: 'user id with a control character', problems: [{ kind: 'user_id_control' }] }] });
    assert.deepEqual(parseUserIdCsv('userId\n"",x\n').errors.map((e) => e.line), [2], 'an empty id beside a value is still an error');
  });

  it('status import: a preview lists every bad line and an import with errors writes nothing; one employee looked up with its source', async () => {
    const bad = 'platform,userId,archived,since,scope\nwecom,zs,true,2026-03-01,all\nwecom,,true,,\nwecom,ls,maybe,,\n';
    const preview = await admin.call('POST', '/console/api/statuses/preview', { csv: bad });
    assert.equal(preview.body.errors.length, 2);
    assert.deepEqual(preview.body.errors.map((e: { line: number }) => e.line), [3, 4]);
    const refused = await admin.call('POST', '/console/api/statuses/import', { csv: bad });
    assert.equal(refused.status, 422);
    assert.equal((await admin.call('GET', '/console/api/statuses?platform=wecom&userId=zs')).body.status, null, 'nothing imported');
    const good = 'platform,userId,archived,since,scope\nwecom,zs,true,2026-03-01,all chats\n';
    assert.equal((await admin.call('POST', '/console/api/statuses/import', { csv: good })).body.imported, 1);
    const s = (await admin.call('GET', '/console/api/statuses?platform=wecom&userId=zs')).body.status;
    assert.equal(s.source, 'import');
    assert.equal(s.since, '2026-03-01');
  });

  it('knowledge topics in three languages with sources and review date; a question tried; health', async () => {
    const k = (await admin.call('GET', '/console/api/knowledge')).body.topics as { id: string; answer: Record<string, string>; sources: unknown[]; reviewed: string }[];
    assert.ok(k.length > 10);
    assert.ok(k.every((t) => t.answer.zh && t.answer.en && t.answer['zh-TW'] && t.sources.length > 0 && /^\d{4}-\d{2}-\d{2}$/.test(t.reviewed)));
    const tried = await admin.call('POST', '/console/api/knowledge/try', { question: '老板能看我的聊天记录吗' });
    assert.equal(tried.status, 200);
    assert.ok(tried.body.replies.length > 0);
    // Each suggestion with the matcher's score (below the answer threshold); the employee's own answer has none.
    const match = bot.core.matcher.match('老板能看我的聊天记录吗', { platform: 'try' });
    assert.ok(match.suggestions.length > 0);
    assert.deepEqual(tried.body.suggestions, match.suggestions.map((id, i) => ({ id, score: match.suggestionScores![i] })));
    assert.ok(tried.body.suggestions.every((x: { score: number }) => x.score > 0 && x.score < 0.5), JSON.stringify(tried.body.suggestions));
    const employee = await bot.core.handle({ platform: 'try', tenant: 'local', userId: 'u-api', chat: { kind: 'single' }, kind: 'text', text: '老板能看我的聊天记录吗', mentionedBot: false, messageId: 'm-api', receivedAt: 0, uncounted: true });
    // /try does not know the platform: the employee is offered the platforms' answers (the family), the admin's box
    // shows the matcher's related topics with their scores.
    assert.equal(employee.intent, 'platform-choice');
    assert.deepEqual(employee.suggestions, ['wecom-admin-access', 'dingtalk-admin-access', 'feishu-admin-access'], 'the answer names the topics only');
    assert.deepEqual([...employee.suggestions].sort(), [...match.platformVariants!].sort());
    assert.ok(employee.replies.every((r) => !/0\.\d{2,3}/.test(r.text)), 'no score in what the employee reads');
    const h = await admin.call('GET', '/console/api/health');
    assert.equal(h.body.status, 'ready');
  });
});

describe('console sign-in throttle and idle timeout (server clock)', () => {
  it('the sixth attempt for an account is refused even with the right password; idle sessions end', async () => {
    let t = Date.UTC(2026, 11, 5, 8);
    const bot = await startTestBot({ CONSOLE_IDLE_MINUTES: '10' }, { now: () => t, noticeWorker: false, logLevel: 'warn' });
    try {
      const oneTime = await addAccount(bot.core.store, 'target', 'admin');
      const c = new ConsoleClient(bot.url);
      for (let i = 0; i < 5; i++) assert.equal((await c.signIn('target', `guess-${i}`)).status, 401);
      const sixth = await c.signIn('target', oneTime);
      assert.equal(sixth.status, 429);
      assert.equal(sixth.body.error.code, 'CONSOLE_THROTTLED');

      const ok = await addAccount(bot.core.store, 'idler', 'admin');
      const d = new ConsoleClient(bot.url);
      await d.firstSignIn('idler', ok, 'a-much-longer-password');
      t += 9 * 60_000;
      assert.equal((await d.call('GET', '/console/api/notices')).status, 200);
      t += 11 * 60_000;
      assert.equal((await d.call('GET', '/console/api/notices')).status, 401);
    } finally {
      await bot.close();
    }
  });

  it('CONSOLE=off: /console and /console/api do not exist', async () => {
    const bot = await startTestBot({ CONSOLE: 'off' }, { noticeWorker: false, logLevel: 'warn' });
    try {
      for (const p of ['/console', '/console/api/session', '/console/assets/app.js']) {
        const r = await fetch(`${bot.url}${p}`);
        assert.equal(r.status, 404, p);
      }
    } finally {
      await bot.close();
    }
  });

  it('two instances on one Redis store share accounts and sessions', async () => {
    const prefix = uniquePrefix('console-shared');
    const one = await startNoticeBot({ backend: { kind: 'redis', url: SHARED_REDIS_URL, prefix }, fake: { users: ['u1'] }, worker: false });
    const two = await startNoticeBot({ backend: { kind: 'redis', url: SHARED_REDIS_URL, prefix }, fake: { users: ['u1'] }, worker: false });
    try {
      const c = await signedIn(one.url, one.core.store, 'shared', 'admin');
      const onTwo = new ConsoleClient(two.url);
      onTwo.cookie = c.cookie;
      onTwo.csrf = c.csrf;
      assert.equal((await onTwo.call('POST', '/console/api/notices', NOTICE)).status, 201);
    } finally {
      await two.close({ keepData: true });
      await one.close();
    }
  });
});

async function waitFor(cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('condition not met');
}
