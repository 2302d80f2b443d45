/**
 * The notice campaign from the CLI alone (`privacy-bot notice …` as a child process), delivering
 * through the real WeCom adapter's notice channel to the fake WeCom API over loopback, on the
 * embedded store. The child runs asynchronously so the fake in this process can answer it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportRows } from '../helpers/export-csv.ts';
import { REPO_ROOT } from '../helpers/app.ts';
import { startFakeWecom, type FakeWecom } from '../fakes/wecom-api.ts';

const BIN = join(REPO_ROOT, 'bin', 'privacy-bot.mjs');

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('notice campaign from the CLI', () => {
  let dir: string;
  let fake: FakeWecom;
  let env: Record<string, string>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'notice-cli-'));
    fake = await startFakeWecom({ corpId: 'wwcorp0000000001', secret: 'app-secret', agentId: 1000002, users: ['zhangsan', 'lisi', 'wangwu'] });
    env = {
      DATA_DIR: join(dir, 'data'),
      KNOWLEDGE_DIR: join(REPO_ROOT, 'knowledge'),
      WECOM_CORP_ID: 'wwcorp0000000001',
      WECOM_AGENT_ID: '1000002',
      WECOM_SECRET: 'app-secret',
      WECOM_TOKEN: 'QDG6eK',
      WECOM_ENCODING_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
      WECOM_API_BASE: fake.url,
    };
  });
  after(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('create, edit, send (waits for delivery), show, export, resend a reminder, cancel', async () => {
    const file = join(dir, 'notice.yaml');
    writeFileSync(file, 'title:\n  zh: 会话存档告知\n  en: Chat archiving notice\nbody:\n  zh: 公司对工作聊天进行会话存档，保存 3 年。\n  en: Work chats are archived and kept for 3 years.\n');
    let r = await run(['notice', 'create', '--file', file], env);
    assert.equal(r.code, 0, r.stderr);
    const { id: noticeId, version } = JSON.parse(r.stdout) as { id: string; version: number };
    assert.equal(version, 1);

    r = await run(['notice', 'edit', noticeId, '--title-zh', '会话存档告知（修订）', '--title-en', 'Chat archiving notice (revised)', '--body-zh', '保存 5 年。', '--body-en', 'Kept for 5 years.'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { id: noticeId, version: 2 });

    r = await run(['notice', 'send', noticeId, '--platform', 'wecom', '--users', 'zhangsan,lisi,ghost'], env);
    assert.equal(r.code, 0, r.stderr);
    const sent = JSON.parse(r.stdout) as { id: string; state: string; version: number; counts: Record<string, number>; failures: { userId: string; reason: string }[] };
    assert.equal(sent.state, 'done');
    assert.equal(sent.version, 2);
    assert.deepEqual(sent.counts, { targeted: 3, pending: 0, sent: 2, failed: 1, read: 0, acknowledged: 0 });
    assert.deepEqual(sent.failures, [{ userId: 'ghost', reason: 'invaliduser' }]);
    assert.match(r.stderr, new RegExp(`broadcast ${sent.id}: 3 recipient\\(s\\) on wecom`));
    const cards = fake.deliveries.filter((d) => d.msgtype === 'template_card');
    assert.deepEqual(cards.map((d) => d.userId).sort(), ['lisi', 'zhangsan']);

    r = await run(['notice', 'show', sent.id], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { counts: { sent: number } }).counts.sent, 2);

    r = await run(['notice', 'export', sent.id], env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith('\uFEFF'));
    const rows = exportRows(r.stdout);
    assert.deepEqual(rows.map((x) => [x.userId, x.state, x.readAt]), [
      ['ghost', 'failed', 'unknown (platform has no read receipts)'],
      ['lisi', 'sent', 'unknown (platform has no read receipts)'],
      ['zhangsan', 'sent', 'unknown (platform has no read receipts)'],
    ]);
    const auditFile = join(dir, 'audit.csv');
    r = await run(['notice', 'export', sent.id, '--audit', '--out', auditFile], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(auditFile, 'utf8'), /^\uFEFFtime,broadcastId,userId,name,department,from,to,reason,seq,timeMs,prevHash,hash\r\n/);

    r = await run(['notice', 'resend', sent.id, '--only', 'unacknowledged'], env);
    assert.equal(r.code, 0, r.stderr);
    const reminded = JSON.parse(r.stdout) as { reminder: Record<string, number> };
    assert.deepEqual(reminded.reminder, { round: 1, targeted: 2, pending: 0, sent: 2, failed: 0 });
    assert.equal(fake.deliveries.filter((d) => d.msgtype === 'template_card').length, 4, 'the reminder was not swallowed by the duplicate check');

    r = await run(['notice', 'cancel', sent.id], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { state: string }).state, 'done', 'a finished broadcast stays done');

    r = await run(['notice', 'list'], env);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { notices: { id: string; latestVersion: number }[]; broadcasts: { id: string }[] };
    assert.deepEqual(list.notices.map((n) => [n.id, n.latestVersion]), [[noticeId, 2]]);
    assert.deepEqual(list.broadcasts.map((b) => b.id), [sent.id]);
  });

  it('explains usage errors (exit 2) and refusals with their code (exit 1)', async () => {
    let r = await run(['notice', 'send', 'n-x', '--platform', 'wecom'], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /give exactly one of --all, --dept <ids>, --users <ids>/);
    r = await run(['notice', 'create'], env);
    assert.equal(r.code, 2);
    r = await run(['notice', 'frobnicate'], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown subcommand "frobnicate"/);
    r = await run(['notice', 'create', '--title-zh', 'x', '--title-en', 'x', '--body-en', 'x'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /NOTICE_BAD_REQUEST: body\.zh: is required/);
    r = await run(['notice', 'show', 'b-nope'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /BROADCAST_NOT_FOUND: no broadcast b-nope/);
    r = await run(['notice', 'send', 'n-x', '--platform', 'dingtalk', '--all'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /NOTICE_PLATFORM_UNAVAILABLE: platform dingtalk cannot send notices here \(configured: wecom\)/);
  });
});
