/**
 * Resilience: authorisation. An employee asking about someone else's status is refused politely
 * and shown no status at all (neither the other person's nor, under their name, their own); the
 * admin API refuses a missing or wrong token on every route; chat admin commands work only for
 * the ADMIN_USERS (platform:userId) in a 1:1 chat — anyone else gets the ordinary help. The
 * console API (every /console/api route read from the router) refuses a request without a session,
 * a change without the session's CSRF token, a change by an auditor, and every other spelling.
 * Every platform callback route read from the router (WeCom, AI bot, DingTalk, Feishu) refuses a
 * request without the platform's signature or with a forged one: 4xx with a code, nothing
 * answered, nothing stored.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeWecom, wecomTextXml, type FakeWecom } from '../fakes/wecom-api.ts';
import { sendRobotCallback, startFakeDingtalk, type FakeDingtalk } from '../fakes/dingtalk-api.ts';
import { aibotText, buildAibotCallback } from '../fakes/wecom-aibot-ws.ts';
import { openAibotCiphertext } from '../../adapters/wecom-aibot/crypto.ts';
import { messageEvent, postCallback as postFeishu, startFakeFeishu, type FakeFeishu } from '../fakes/feishu-api.ts';
import { feishuSignature } from '../../adapters/feishu/crypto.ts';
import { sqliteSnapshot } from '../helpers/admin-walk.ts';
import { messagesFor } from '../../src/bot/messages.ts';
import { AIBOT, DING, FEISHU, WECOM, dingEnv, feishuEnv, nextMsgId, passiveReply, postWecom, startBot, wecomEnv, type Bot } from './harness.ts';
import { ConsoleClient, signedIn } from '../helpers/console-client.ts';

const ADMIN_TOKEN = 'authz-admin-token-0123456789abcdef';
const STATUS_DATES = /2026-03-01|2026-02-02|2026-04-15/;

describe('authorisation', () => {
  let fake: FakeWecom;
  let ding: FakeDingtalk;
  let feishu: FakeFeishu;
  let bot: Bot;

  before(async () => {
    fake = await startFakeWecom({ corpId: WECOM.corpId, secret: WECOM.secret, agentId: Number(WECOM.agentId) });
    ding = await startFakeDingtalk({ appKey: DING.appKey, appSecret: DING.appSecret, robotCode: DING.robotCode });
    feishu = await startFakeFeishu();
    bot = await startBot({
      env: {
        ...wecomEnv(fake.url), ...dingEnv(ding.apiBase), WECOM_AIBOT_TOKEN: AIBOT.token, WECOM_AIBOT_ENCODING_AES_KEY: AIBOT.encodingAESKey,
        ...feishuEnv(feishu), ADMIN_TOKEN, ADMIN_USERS: 'wecom:boss',
      },
    });
    await bot.core.store.putStatuses([
      { platform: 'wecom', userId: 'zhangsan', archived: true, since: '2026-03-01', scope: 'internal chats', source: 'import', updatedAt: '2026-05-02T08:00:00.000Z' },
      { platform: 'wecom', userId: 'lisi', archived: true, since: '2026-02-02', scope: 'all chats', source: 'import', updatedAt: '2026-05-02T08:00:00.000Z' },
      { platform: 'dingtalk', userId: 'ding-lisi', archived: true, since: '2026-04-15', scope: 'group chats', source: 'import', updatedAt: '2026-05-02T08:00:00.000Z' },
      { platform: 'feishu', userId: 'ou_feishu_lisi', archived: true, since: '2026-04-15', scope: 'group chats', source: 'import', updatedAt: '2026-05-02T08:00:00.000Z' },
    ]);
  });
  after(async () => {
    await bot.close();
    await fake.close();
    await ding.close();
    await feishu.close();
  });

  async function askWecom(user: string, content: string): Promise<string> {
    const before = fake.sent.length;
    const res = await postWecom(bot.url, wecomTextXml({ corpId: WECOM.corpId, from: user, content, msgId: nextMsgId() }));
    const out = [await passiveReply(res)].filter((x): x is string => x !== null);
    await bot.server.idle();
    for (const m of fake.sent.slice(before)) if (m.touser === user) out.push(m.text?.content ?? '');
    return out.join('\n');
  }

  let feishuSeq = 0;
  /** What a Feishu employee got (replies in the chat and 1:1) for one 1:1 message. */
  async function askFeishu(openId: string, text: string): Promise<string> {
    const before = feishu.sent.length;
    const messageId = `om_authz_${++feishuSeq}_${nextMsgId()}`;
    const res = await postFeishu(`${bot.url}/feishu/callback`, messageEvent({ appId: feishu.appId, token: FEISHU.verificationToken, messageId, openId, text }), { encryptKey: FEISHU.encryptKey });
    assert.equal(res.status, 200);
    await bot.server.idle();
    return feishu.sent.slice(before).map((m) => String(m.content.text ?? '')).join('\n');
  }

  it('asking about someone else’s status is refused politely, with no status of anyone (WeCom, DingTalk, AI bot group, Feishu)', async (t) => {
    const cases: string[] = [];
    for (const q of ['查一下张三的存档状态', '张三的聊天记录有没有被存档', '帮我看看zhangsan有没有被存档', "What is zhangsan's archiving status?", 'Is Zhang San archived?']) {
      const reply = await askWecom('lisi', q);
      assert.doesNotMatch(reply, STATUS_DATES, q);
      assert.match(reply, /只能告诉你你本人的存档状态|only tell you your own archiving status/, q);
      cases.push(q);
    }
    // One's own status is still answered.
    assert.match(await askWecom('lisi', '查一下我的存档状态'), /2026-02-02/);

    ding.reset();
    const body = ding.robotMessage({ senderStaffId: 'ding-lisi', text: { content: "What's wangwu's archiving status?" } });
    await sendRobotCallback(`${bot.url}/dingtalk/callback`, body, DING.appSecret);
    await bot.server.idle();
    const dingText = [...ding.webhookMessages, ...ding.otoMessages].map((m) => m.content ?? '').join('\n');
    assert.match(dingText, /only tell you your own/);
    assert.doesNotMatch(dingText, STATUS_DATES);

    const cb = buildAibotCallback({ ...AIBOT, json: aibotText({ msgid: `authz-${nextMsgId()}`, userid: 'lisi', chatid: 'wrGroup', content: '@隐私助手\u2005查一下张三的存档状态' }) });
    const res = await fetch(`${bot.url}/wecom/aibot/callback?${cb.query}`, { method: 'POST', body: cb.body });
    const outer = JSON.parse(await res.text()) as { encrypt: string; msgsignature: string; timestamp: string; nonce: string };
    const stream = JSON.parse(openAibotCiphertext(AIBOT, { msgSignature: outer.msgsignature, timestamp: outer.timestamp, nonce: outer.nonce, encrypt: outer.encrypt })) as { stream: { content: string } };
    await bot.server.idle();
    assert.match(stream.stream.content, /只能告诉你你本人/);
    assert.doesNotMatch(stream.stream.content + fake.sent.map((m) => m.text?.content ?? '').join(''), STATUS_DATES);
    const feishuText = await askFeishu('ou_feishu_lisi', "What's wangwu's archiving status?");
    assert.match(feishuText, /only tell you your own/);
    assert.doesNotMatch(feishuText, STATUS_DATES);
    t.diagnostic(`${cases.length + 3} questions about another person refused (WeCom ×${cases.length}, DingTalk, AI bot group, Feishu); no status date in any reply`);
  });

  it('the admin API refuses a missing or wrong token on every route, and answers with the right one', async (t) => {
    const routes: [string, string][] = [
      ['GET', '/admin/notices'], ['POST', '/admin/notices'], ['POST', '/admin/notices/convert'], ['PUT', '/admin/notices/n-x'], ['GET', '/admin/notices/n-x'],
       ['GET', '/admin/notices/n-x/versions/1'], ['GET', '/admin/notices/n-x/versions/1/preview'], ['GET', '/admin/broadcasts'], ['POST', '/admin/broadcasts'], ['GET', '/admin/broadcasts/b-x'],
      ['GET', '/admin/broadcasts/b-x/recipients.csv'], ['GET', '/admin/broadcasts/b-x/audit.csv'], ['POST', '/admin/broadcasts/b-x/resend'],
      ['POST', '/admin/broadcasts/b-x/cancel'], ['GET', '/admin/policies'], ['POST', '/admin/policies'],
    ];
    const wrong = [undefined, '', 'Bearer', 'Bearer ', `Bearer ${ADMIN_TOKEN}x`, `Bearer ${ADMIN_TOKEN.slice(0, -1)}`, `bearer-${ADMIN_TOKEN}`, `Basic ${ADMIN_TOKEN}`, ADMIN_TOKEN];
    let refusals = 0;
    for (const [method, path] of routes) {
      for (const auth of wrong) {
        const res = await fetch(`${bot.url}${path}`, {
          method,
          headers: { 'content-type': 'application/json', ...(auth !== undefined ? { authorization: auth } : {}) },
          ...(method !== 'GET' ? { body: '{}' } : {}),
        });
        assert.equal(res.status, 401, `${method} ${path} with ${auth === undefined ? 'no header' : JSON.stringify(auth.slice(0, 12))}`);
        refusals++;
      }
      const ok = await fetch(`${bot.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, ...(method !== 'GET' ? { body: '{}' } : {}) });
      assert.notEqual(ok.status, 401, `${method} ${path} with the token`);
    }
    t.diagnostic(`${routes.length} admin routes × ${wrong.length} missing/wrong tokens: ${refusals} refusals (401), none let through`);
  });

  it('the console API, every mounted route: no session 401, no CSRF token 403, auditor changes 403, other spellings 404', async (t) => {
    // POSTs that change nothing (previews, "try a question"): CSRF required, every role allowed.
    const READ_POSTS = new Set(['/console/api/audience/preview', '/console/api/audience/csv', '/console/api/statuses/preview', '/console/api/knowledge/try', '/console/api/policies/preview']);
    // Session routes: sign-in needs no session; sign-out and the password change are for every role.
    const SESSION = new Set(['/console/api/session', '/console/api/password']);
    const routes = bot.server.router.stack
      .filter((l) => typeof l.path === 'string' && (l.path as string).startsWith('/console/api/'))
      .flatMap((l) => l.methods.filter((m) => m !== 'HEAD').map((m) => ({ method: m, template: l.path as string })));
    assert.ok(routes.length >= 25, `console routes mounted: ${routes.length}`);
    const admin = await signedIn(bot.url, bot.core.store, 'authz.admin', 'admin');
    const auditor = await signedIn(bot.url, bot.core.store, 'authz.auditor', 'auditor');
    const anonymous = new ConsoleClient(bot.url);
    let checks = 0;
    for (const { method, template } of routes) {
      const path = template.replace(/:(\w+)/g, 'x-1');
      const body = method === 'GET' ? undefined : {};
      if (method === 'GET' && template === '/console/api/login/platforms') {
        // The sign-in page asks which platform sign-ins exist before anyone is signed in: public, and only that.
        const a = await anonymous.call(method, path, body);
        assert.equal(a.status, 200, `${method} ${path} is public`);
        assert.deepEqual(Object.keys(a.body as object), ['platforms']);
        checks++;
      } else if (method === 'GET' && template === '/console/api/error-texts') {
        // The sign-in page words errors too: the adapters' error texts are public, and only those.
        const a = await anonymous.call(method, path, body);
        assert.equal(a.status, 200, `${method} ${path} is public`);
        assert.deepEqual(Object.keys(a.body as object), ['codes']);
        checks++;
      } else if (method === 'GET' && template === '/console/api/session') {
        // The page's first question, "who is signed in?": nobody is an answer (200), not a 401 — and says only that.
        const a = await anonymous.call(method, path, body);
        assert.equal(a.status, 200, `${method} ${path} answers without a session`);
        assert.deepEqual(a.body, { signedIn: false });
        checks++;
      } else if (!(method === 'POST' && template === '/console/api/session')) {
        const a = await anonymous.call(method, path, body);
        assert.equal(a.status, 401, `${method} ${path} without a session`);
        checks++;
      }
      if (method !== 'GET' && !(method === 'POST' && template === '/console/api/session')) {
        const a = await admin.call(method, path, body, { csrf: false });
        assert.equal(a.status, 403, `${method} ${path} without the CSRF token`);
        assert.equal(a.body.error.code, 'CONSOLE_CSRF');
        checks++;
      }
      if (method !== 'GET' && !READ_POSTS.has(template) && !SESSION.has(template)) {
        const a = await auditor.call(method, path, body);
        assert.equal(a.status, 403, `${method} ${path} by an auditor`);
        assert.equal(a.body.error.code, 'CONSOLE_FORBIDDEN');
        checks++;
      }
      for (const spelled of [path.toUpperCase(), `${path}/`, path.replace('/console/', '/Console/'), path.replace('/api/', '/api//'), path.replace('/console/api', '/console/%61pi'), path.replace('/console/', '/%63onsole/')]) {
        const a = await admin.call(method, spelled, body);
        assert.equal(a.status, 404, `${method} ${spelled} with a session and the token`);
        checks++;
      }
    }
    // The same session does reach the routes on the exact path (the refusals above are not a broken console).
    assert.equal((await auditor.call('GET', '/console/api/notices')).status, 200);
    assert.equal((await admin.call('POST', '/console/api/notices', { title: { zh: '告知', en: 'Notice' }, body: { zh: '正文', en: 'Body' } })).status, 201);
    t.diagnostic(`${routes.length} console routes; ${checks} refusals checked`);
  });

  it('every platform callback route refuses a request without the platform signature or with a forged one: 4xx with a code, nothing answered or stored', async (t) => {
    const routes = bot.server.router.stack
      // The console's platform sign-in return (/console/login/:platform/callback) is no platform callback: test/src/console/platform-login.test.ts.
      .filter((l) => typeof l.path === 'string' && /\/callback$/.test(l.path as string) && !(l.path as string).startsWith('/console/'))
      .flatMap((l) => l.methods.filter((m) => m !== 'HEAD').map((m) => ({ method: m, path: l.path as string })));
    assert.deepEqual(
      new Set(routes.map((r) => `${r.method} ${r.path}`)),
      new Set(['GET /wecom/callback', 'POST /wecom/callback', 'GET /wecom/aibot/callback', 'POST /wecom/aibot/callback', 'POST /dingtalk/callback', 'POST /feishu/callback']),
      'every platform callback is mounted',
    );
    await bot.server.idle();
    const before = sqliteSnapshot(bot.config.dataDir);
    const sentBefore = { wecom: fake.sent.length, ding: ding.webhookMessages.length + ding.otoMessages.length, feishu: feishu.sent.length };
    const event = (token: string) => JSON.stringify(messageEvent({ appId: feishu.appId, token, messageId: `om_forged_${nextMsgId()}`, openId: 'ou_feishu_lisi', text: '查一下我的存档状态' }));
    const now = String(Math.floor(Date.now() / 1000));
    /** Each forgery: query, headers, body. */
    const forgeries: { name: string; query: string; headers: Record<string, string>; body: (token: string) => string }[] = [
      { name: 'nothing signed', query: '', headers: {}, body: event },
      {
        name: 'forged signatures',
        query: `?msg_signature=${'0'.repeat(40)}&timestamp=${now}&nonce=n0nce&echostr=abc`,
        headers: { 'x-lark-request-timestamp': now, 'x-lark-request-nonce': 'n0nce', 'x-lark-signature': '0'.repeat(64), timestamp: `${Date.now()}`, sign: 'Zm9yZ2Vk' },
        body: event,
      },
    ];
    let checks = 0;
    const answers: string[] = [];
    for (const r of routes) {
      for (const f of forgeries) {
        const body = r.method === 'GET' ? undefined : f.body(FEISHU.verificationToken);
        const res = await fetch(`${bot.url}${r.path}${f.query}`, { method: r.method, headers: { 'content-type': 'application/json', ...f.headers }, ...(body !== undefined ? { body } : {}) });
        const text = await res.text();
        assert.ok(res.status >= 400 && res.status < 500, `${r.method} ${r.path} (${f.name}) -> ${res.status} ${text.slice(0, 80)}`);
        assert.match(text, /^[A-Z][A-Z0-9_]+: /, `${r.method} ${r.path} (${f.name}): a code in the answer`);
        answers.push(`${r.method} ${r.path} ${f.name} ${res.status} ${text.slice(0, text.indexOf(':'))}`);
        checks++;
      }
    }
    // Feishu: signed over the exact bytes with the right Encrypt Key, but a wrong Verification Token in the header.
    const bytes = Buffer.from(event('not-the-verification-token'), 'utf8');
    const sig = feishuSignature(now, 'n0nce', FEISHU.encryptKey, bytes);
    const wrongToken = await fetch(`${bot.url}/feishu/callback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-lark-request-timestamp': now, 'x-lark-request-nonce': 'n0nce', 'x-lark-signature': sig },
      body: new Uint8Array(bytes),
    });
    assert.equal(wrongToken.status, 401);
    assert.match(await wrongToken.text(), /^FEISHU_BAD_TOKEN: /);
    checks++;
    await bot.server.idle();
    assert.deepEqual({ wecom: fake.sent.length, ding: ding.webhookMessages.length + ding.otoMessages.length, feishu: feishu.sent.length }, sentBefore, 'nothing was answered');
    assert.deepEqual(sqliteSnapshot(bot.config.dataDir), before, 'nothing was stored');
    t.diagnostic(`${routes.length} callback routes read from the router, ${checks} forged requests refused: ${answers.join('; ')}`);
  });

  it('chat admin commands work only for ADMIN_USERS, only in a 1:1 chat; anyone else gets the ordinary help', async () => {
    // "/notice list" reads as English, so the answers are in English.
    const help = messagesFor('en').help;
    assert.match(await askWecom('boss', '/notice list'), /no notices yet|Notices:/);
    assert.equal(await askWecom('lisi', '/notice list'), help);
    assert.equal(await askWecom('lisi', '/notice send n-x all'), help);
    assert.equal(await askWecom('Boss', '/notice list'), help, 'the user id is compared exactly');
    // The same user id on another platform is not the admin.
    ding.reset();
    await sendRobotCallback(`${bot.url}/dingtalk/callback`, ding.robotMessage({ senderStaffId: 'boss', text: { content: '/notice list' } }), DING.appSecret);
    await bot.server.idle();
    assert.equal(ding.webhookMessages[0]?.content, help);
    assert.equal(await askFeishu('boss', '/notice list'), help, 'wecom:boss is not an admin on Feishu');
    // The admin in a group chat: the ordinary help too.
    const cb = buildAibotCallback({ ...AIBOT, json: aibotText({ msgid: `authz-g-${nextMsgId()}`, userid: 'boss', chatid: 'wrGroup', content: '@隐私助手\u2005/notice list' }) });
    const res = await fetch(`${bot.url}/wecom/aibot/callback?${cb.query}`, { method: 'POST', body: cb.body });
    const outer = JSON.parse(await res.text()) as { encrypt: string; msgsignature: string; timestamp: string; nonce: string };
    const stream = JSON.parse(openAibotCiphertext(AIBOT, { msgSignature: outer.msgsignature, timestamp: outer.timestamp, nonce: outer.nonce, encrypt: outer.encrypt })) as { stream: { content: string } };
    assert.equal(stream.stream.content, help);
    const list = (await (await fetch(`${bot.url}/admin/broadcasts`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { broadcasts: unknown[] };
    assert.equal(list.broadcasts.length, 0, 'no broadcast was started by anyone');
  });
});
