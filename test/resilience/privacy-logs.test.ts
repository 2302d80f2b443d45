/**
 * Resilience: the bot's own privacy. Every log line of a full run at level debug is captured —
 * the server (WeCom, the AI bot, DingTalk, /try, the admin API, a notice broadcast and its
 * acknowledgement, a refused question about someone else) and the CLI as a child process (status
 * import, ask with a user, notice create/send) — and the test fails if any question's text, any
 * line of an answer, any status (date or scope) or any raw user id appears in it. User ids must
 * appear hashed (hashUserId), so an operator can still follow one person.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeWecom, wecomEventXml, wecomTextXml, type FakeWecom } from '../fakes/wecom-api.ts';
import { sendRobotCallback, startFakeDingtalk, type FakeDingtalk } from '../fakes/dingtalk-api.ts';
import { aibotText, buildAibotCallback } from '../fakes/wecom-aibot-ws.ts';
import { openAibotCiphertext } from '../../adapters/wecom-aibot/crypto.ts';
import { hashUserId } from '../../src/log.ts';
import { AIBOT, DING, REPO_ROOT, WECOM, dingEnv, nextMsgId, passiveReply, postWecom, startBot, waitUntil, wecomEnv, type Bot } from './harness.ts';

const ADMIN_TOKEN = 'privacy-admin-token-0123456789abc';
/** Raw user ids: distinctive, so a leak cannot hide behind a common word. */
const USERS = { wecom: 'pv-zhangsan-77f3', aibot: 'pv-wangwu-19c2', ding: 'pv-ding-lisi-4a8e', cli: 'pv-cli-zhaoliu-2b6d', ack: 'pv-ack-sunqi-5d1c' };
const STATUSES = [
  { platform: 'wecom', userId: USERS.wecom, since: '2025-11-17', scope: 'pv-scope: internal and external chats of the sales team' },
  { platform: 'wecom', userId: USERS.aibot, since: '2025-10-23', scope: 'pv-scope: group chats of project Lantern' },
  { platform: 'dingtalk', userId: USERS.ding, since: '2025-09-29', scope: 'pv-scope: one-to-one chats only' },
  { platform: 'wecom', userId: USERS.cli, since: '2025-08-31', scope: 'pv-scope: everything since onboarding' },
];
const QUESTIONS = {
  wecom: ['我的聊天记录有没有被公司存档呢朋友', '撤回的消息管理员还能看到吗？我很担心', 'Can my manager read my WeCom chats at night?'],
  aibot: ['群里说的话公司能看到吗，我在项目群', '我的会话存档开了吗，帮我查一下'],
  ding: ['钉钉管理员能看到我的私聊吗？真的吗', 'Is my DingTalk chat archived by the company?'],
  try: ['聊天记录是加密的吗？想知道细节'],
  cli: ['存档的聊天记录保存多久？要多少年'],
  other: ['查一下张三的存档状态，他是我同事'],
};

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'privacy-bot.mjs'), ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'debug', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('privacy of the bot’s own logs', () => {
  let fake: FakeWecom;
  let ding: FakeDingtalk;
  let bot: Bot;
  let dir: string;
  /** Every answer text the employees got. */
  const answers: string[] = [];
  /** Log lines of CLI runs (stderr). */
  const cliLogs: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'privacy-logs-'));
    fake = await startFakeWecom({ corpId: WECOM.corpId, secret: WECOM.secret, agentId: Number(WECOM.agentId) });
    ding = await startFakeDingtalk({ appKey: DING.appKey, appSecret: DING.appSecret, robotCode: DING.robotCode });
    bot = await startBot({
      env: { ...wecomEnv(fake.url), ...dingEnv(ding.apiBase), WECOM_AIBOT_TOKEN: AIBOT.token, WECOM_AIBOT_ENCODING_AES_KEY: AIBOT.encodingAESKey, ADMIN_TOKEN, TRY_PAGE: 'on' },
      logLevel: 'debug',
    });
    await bot.core.store.putStatuses(STATUSES.map((s) => ({ ...s, archived: true, source: 'import', updatedAt: '2026-05-02T08:00:00.000Z' })));
  });
  after(async () => {
    await bot.close();
    await fake.close();
    await ding.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a full run on every channel', async () => {
    // WeCom self-built app.
    for (const q of [...QUESTIONS.wecom, ...QUESTIONS.other]) {
      const before = fake.sent.length;
      const res = await postWecom(bot.url, wecomTextXml({ corpId: WECOM.corpId, from: USERS.wecom, content: q, msgId: nextMsgId() }));
      const passive = await passiveReply(res);
      if (passive) answers.push(passive);
      await bot.server.idle();
      answers.push(...fake.sent.slice(before).map((m) => m.text?.content ?? ''));
    }
    // AI bot, in a group (the status goes 1:1 through the app) and 1:1.
    for (const [i, q] of QUESTIONS.aibot.entries()) {
      const before = fake.sent.length;
      const cb = buildAibotCallback({ ...AIBOT, json: aibotText({ msgid: `pv-${nextMsgId()}`, userid: USERS.aibot, content: `@隐私助手\u2005${q}`, ...(i === 0 ? { chatid: 'pvGroup' } : {}) }) });
      const res = await fetch(`${bot.url}/wecom/aibot/callback?${cb.query}`, { method: 'POST', body: cb.body });
      const outer = JSON.parse(await res.text()) as { encrypt: string; msgsignature: string; timestamp: string; nonce: string };
      answers.push((JSON.parse(openAibotCiphertext(AIBOT, { msgSignature: outer.msgsignature, timestamp: outer.timestamp, nonce: outer.nonce, encrypt: outer.encrypt })) as { stream: { content: string } }).stream.content);
      await bot.server.idle();
      answers.push(...fake.sent.slice(before).map((m) => m.text?.content ?? ''));
    }
    // DingTalk, 1:1 and in a group.
    for (const [i, q] of QUESTIONS.ding.entries()) {
      const body = ding.robotMessage({ senderStaffId: USERS.ding, text: { content: q }, ...(i === 1 ? { conversationType: '2', conversationId: 'cidPv', isInAtList: true } : {}) });
      await sendRobotCallback(`${bot.url}/dingtalk/callback`, body, DING.appSecret);
    }
    await bot.server.idle();
    const afterAibot = answers.length;
    answers.push(...ding.webhookMessages.map((m) => m.content ?? ''), ...ding.otoMessages.map((m) => m.content ?? ''), ...ding.groupMessages.map((m) => m.content ?? ''));
    // Every DingTalk question got at least one message (a 1:1 answer and its status go out as one markdown message).
    assert.ok(answers.length - afterAibot >= QUESTIONS.ding.length, `${answers.length - afterAibot} DingTalk answers`);
    // /try.
    for (const q of QUESTIONS.try) {
      const r = (await (await fetch(`${bot.url}/try/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: q, session: 'pv-session-01' }) })).json()) as { replies: string[] };
      answers.push(...r.replies);
    }
    // A notice through the admin API, delivered, acknowledged in the chat.
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`${bot.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const n = (await (await admin('POST', '/admin/notices', { title: { zh: '会话存档告知', en: 'Archiving notice' }, body: { zh: '公司对工作聊天存档。', en: 'Work chats are archived.' } })).json()) as { id: string };
    const b = (await (await admin('POST', '/admin/broadcasts', { noticeId: n.id, platform: 'wecom', audience: { userIds: [USERS.ack] } })).json()) as { id: string };
    await waitUntil(async () => ((await (await admin('GET', `/admin/broadcasts/${b.id}`)).json()) as { counts: { sent: number } }).counts.sent === 1, 10_000, 'notice sent');
    const before = fake.sent.length;
    await postWecom(bot.url, wecomEventXml({ corpId: WECOM.corpId, from: USERS.ack, event: 'template_card_event', eventKey: `ack:${n.id}:1` }));
    await bot.server.idle();
    answers.push(...fake.sent.slice(before).filter((m) => m.msgtype === 'text').map((m) => m.text?.content ?? ''));
    // One answer per question at least, on every channel (WeCom app, AI bot, DingTalk, /try, the acknowledgement).
    const questionCount = QUESTIONS.wecom.length + QUESTIONS.other.length + QUESTIONS.aibot.length + QUESTIONS.ding.length + QUESTIONS.try.length;
    assert.ok(answers.length >= questionCount + 1, `${answers.length} answers for ${questionCount} questions and 1 acknowledgement`);

    // The CLI: status import, ask as an employee, notice create and send (delivering to the fake).
    const cliEnv = { DATA_DIR: join(dir, 'data'), KNOWLEDGE_DIR: join(REPO_ROOT, 'knowledge'), ...wecomEnv(fake.url) };
    const csv = join(dir, 'statuses.csv');
    writeFileSync(csv, `platform,userId,archived,since,scope\nwecom,${USERS.cli},true,2025-08-31,"pv-scope: everything since onboarding"\n`);
    for (const args of [
      ['status', 'import', csv],
      ['ask', QUESTIONS.cli[0]!, '--platform', 'wecom', '--user', USERS.cli],
      ['ask', '我的聊天记录有没有被存档', '--platform', 'wecom', '--user', USERS.cli],
      ['notice', 'create', '--title-zh', '告知', '--title-en', 'Notice', '--body-zh', '正文', '--body-en', 'Body'],
    ]) {
      const r = await runCli(args, cliEnv);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr.slice(0, 500)}`);
      cliLogs.push(...r.stderr.split('\n').filter(Boolean));
      if (args[0] === 'ask') answers.push(r.stdout.trim());
      if (args[1] === 'create') {
        const id = (JSON.parse(r.stdout) as { id: string }).id;
        const send = await runCli(['notice', 'send', id, '--platform', 'wecom', '--users', USERS.cli], cliEnv);
        assert.equal(send.code, 0, send.stderr.slice(0, 500));
        cliLogs.push(...send.stderr.split('\n').filter(Boolean));
      }
    }
    assert.match(answers.join('\n'), /2025-08-31/, 'the CLI answered with the status (so it was looked up)');
  });

  it('no log line holds a question, an answer, a status or a raw user id; user ids appear hashed', (t) => {
    const lines = [...bot.logLines, ...cliLogs];
    if (process.env.PRIVACY_LOG_DUMP) writeFileSync(process.env.PRIVACY_LOG_DUMP, lines.join('\n'));
    const all = lines.join('\n');
    assert.ok(bot.logLines.length >= 20, `${bot.logLines.length} server log lines`);
    assert.ok(cliLogs.length > 0, 'the CLI logged at debug level');
    const leaks: string[] = [];
    const check = (what: string, needle: string) => {
      if (needle.length >= 6 && all.includes(needle)) leaks.push(`${what}: ${needle.slice(0, 40)}`);
    };
    for (const q of Object.values(QUESTIONS).flat()) check('question', q);
    // Every line of every answer (sources lines with URLs are shared knowledge, but still never logged).
    let answerLines = 0;
    for (const a of answers) {
      for (const line of a.split('\n').map((l) => l.trim())) {
        if (line.length < 12) continue;
        answerLines++;
        check('answer', line);
      }
    }
    for (const s of STATUSES) {
      check('status date', s.since);
      check('status scope', s.scope);
    }
    for (const id of Object.values(USERS)) check('raw user id', id);
    const hashed = Object.entries(USERS).filter(([k]) => k !== 'cli').map(([k, id]) => hashUserId(k === 'ding' ? 'dingtalk' : 'wecom', id));
    const missing = hashed.filter((h) => !all.includes(h));
    t.diagnostic(`${lines.length} log lines (server ${bot.logLines.length}, CLI ${cliLogs.length}) checked against ${Object.values(QUESTIONS).flat().length} questions, ${answerLines} answer lines, ${STATUSES.length * 2} status fields, ${Object.keys(USERS).length} user ids: ${leaks.length} leaks`);
    assert.deepEqual(leaks, []);
    assert.deepEqual(missing, [], 'user ids appear hashed in the logs');
  });
});
