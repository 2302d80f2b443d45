/**
 * A newcomer's mistakes, answered as the README promises, by the real `privacy-bot` process: a clear message
 * naming the problem (port and variable, file line and column, the option), never a Node stack trace.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../helpers/app.ts';
import { embeddedStorePath } from '../../../../src/store/index.ts';

const BIN = join(REPO_ROOT, 'bin', 'privacy-bot.mjs');

/** Runs the CLI to its end (asynchronously, so this process can keep a port busy meanwhile). */
function run(args: string[], env: Record<string, string>, cwd: string = REPO_ROOT): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** No line of a Node stack trace ("    at fn (file:1:2)") and none of Node's own error dump. */
function assertNoStack(text: string): void {
  assert.doesNotMatch(text, /^\s+at /m, `stack trace printed:\n${text}`);
  assert.doesNotMatch(text, /node:internal|Node\.js v\d+|ERR_[A-Z_]+/, `Node's own error printed:\n${text}`);
}

function lines(text: string): string[] {
  return text.trimEnd().split('\n');
}

describe('privacy-bot: bad input gets a clear message, never a stack trace', () => {
  let dir: string;
  let env: Record<string, string>;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cli-bad-input-'));
    env = { DATA_DIR: join(dir, 'data'), KNOWLEDGE_DIR: join(REPO_ROOT, 'knowledge') };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a busy PORT: one line naming the port and PORT, exit code 1', async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '0.0.0.0', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = await run(['serve'], { ...env, PORT: String(port), LOG_LEVEL: 'silent' });
      assert.equal(r.code, 1);
      assertNoStack(r.stderr);
      assert.equal(lines(r.stderr).length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^privacy-bot: PORT_IN_USE: port ${port} \\(PORT\\) is already in use .*set PORT to a free port\\n$`));
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });

  it('started from another directory it finds its own knowledge base; a KNOWLEDGE_DIR that is not there is named', async () => {
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    const ok = await run(['ask', '--json', '管理员能看到我的聊天记录吗'], { DATA_DIR: join(dir, 'data-elsewhere'), LOG_LEVEL: 'silent' }, elsewhere);
    assert.equal(ok.code, 0, ok.stderr);
    assertNoStack(ok.stderr);
    assert.doesNotMatch(ok.stdout + ok.stderr, /KB_INVALID/);
    const missing = join(dir, 'no-such-knowledge');
    const bad = await run(['ask', 'hello'], { DATA_DIR: join(dir, 'data-elsewhere'), KNOWLEDGE_DIR: missing, LOG_LEVEL: 'silent' }, elsewhere);
    assert.notEqual(bad.code, 0);
    assertNoStack(bad.stderr);
    assert.equal(lines(bad.stderr).length, 1, bad.stderr);
    assert.ok(bad.stderr.includes(`KB_INVALID: KNOWLEDGE_DIR: directory ${missing} does not exist`), bad.stderr);
  });

  it('a busy ADMIN_PORT names ADMIN_PORT', async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '0.0.0.0', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = await run(['serve'], { ...env, PORT: '0', ADMIN_PORT: String(port), LOG_LEVEL: 'silent' });
      assert.equal(r.code, 1);
      assertNoStack(r.stderr);
      assert.equal(lines(r.stderr).length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`port ${port} \\(ADMIN_PORT\\) is already in use.*set ADMIN_PORT`));
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });

  it('a DATA_DIR that is a regular file: serve and admin list print one line naming DATA_DIR and the file, exit code 1', async () => {
    const plain = join(dir, 'data-is-a-file');
    writeFileSync(plain, 'not a directory\n');
    const file = embeddedStorePath(plain);
    for (const args of [['serve'], ['admin', 'list']]) {
      const r = await run(args, { ...env, DATA_DIR: plain, PORT: '0', LOG_LEVEL: 'silent' });
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assertNoStack(r.stderr);
      assert.equal(lines(r.stderr).length, 1, r.stderr);
      assert.ok(r.stderr.startsWith('privacy-bot: STORE_UNAVAILABLE: SQLite store in DATA_DIR '), r.stderr);
      assert.ok(r.stderr.includes(file), r.stderr);
      assert.match(r.stderr, /exists and is not a directory/);
    }
  });

  it('a REDIS_URL that is not a URL: one line naming REDIS_URL, exit code 2 (configuration)', async () => {
    const r = await run(['serve'], { ...env, REDIS_URL: 'notaurl', PORT: '0', LOG_LEVEL: 'silent' });
    assert.equal(r.code, 2, r.stderr);
    assertNoStack(r.stderr);
    assert.equal(lines(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, /^privacy-bot: CONFIG_INVALID: REDIS_URL is invalid: /);
    assert.doesNotMatch(r.stderr, /notaurl/, 'the value may hold a secret: only its length is shown');
  });

  it('a REDIS_URL nobody answers: one line naming REDIS_URL and the URL (password masked), exit code 1 — at the first refused connection', async () => {
    const free: Server = createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const port = (free.address() as { port: number }).port;
    await new Promise<void>((resolve) => free.close(() => resolve())); // nothing listens there now
    const r = await run(['serve'], { ...env, REDIS_URL: `redis://:pw-secret@127.0.0.1:${port}`, PORT: '0', LOG_LEVEL: 'silent' });
    assert.equal(r.code, 1, r.stderr);
    assertNoStack(r.stderr);
    assert.equal(lines(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^privacy-bot: STORE_UNAVAILABLE: Redis store redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port} \\(REDIS_URL\\) is unreachable: .*ECONNREFUSED`));
    assert.doesNotMatch(r.stderr, /pw-secret/);
  });

  it('status import: an unknown platform is refused with the known ones listed, and nothing is imported', async () => {
    const csv = join(dir, 'wechat.csv');
    writeFileSync(csv, 'platform,userId,archived,since,scope\nwecom,zhangsan,true,2026-03-01,x\nwechat,lisi,true,2026-03-01,x\n');
    const r = await run(['status', 'import', csv], env);
    assert.equal(r.code, 1);
    assertNoStack(r.stderr);
    assert.deepEqual(lines(r.stderr), [
      `${csv}:3: platform must be one of wecom, dingtalk, feishu, sandbox (lower case), got "wechat"`,
      'privacy-bot: status import: 1 bad line(s); nothing was imported',
    ]);
    const g = await run(['status', 'get', '--platform', 'wecom', '--user', 'zhangsan'], env);
    assert.match(g.stdout, /"record":null/);
  });

  it('ask: an unknown --platform names the known ones (sandbox among them, as status import takes it); sandbox is accepted', async () => {
    const csv = join(dir, 'sandbox.csv');
    writeFileSync(csv, 'platform,userId,archived,since,scope\nsandbox,gaoyu,true,2026-03-01,1:1 chats\n');
    assert.equal((await run(['status', 'import', csv], env)).code, 0);
    const [bad, ok] = await Promise.all([
      run(['ask', '--platform', 'wechat', '--user', 'lisi', '我的聊天有没有被存档'], env),
      run(['ask', '--platform', 'sandbox', '--user', 'gaoyu', '我的聊天有没有被存档'], env),
    ]);
    assert.notEqual(bad.code, 0);
    assertNoStack(bad.stderr);
    assert.match(bad.stderr, /--platform must be one of wecom, dingtalk, feishu, sandbox \(got wechat\)/);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /2026-03-01/, 'the sandbox employee\'s own status');
  });

  it('a PORT that is not a port number and an empty question: one line naming what is wrong, exit 2, nothing asked', async () => {
    const [port, empty, blank] = await Promise.all([
      run(['serve'], { ...env, PORT: 'abc', LOG_LEVEL: 'silent' }),
      run(['ask', ''], env),
      run(['ask', '   '], env),
    ]);
    assert.equal(port.code, 2, port.stderr);
    assertNoStack(port.stderr);
    assert.deepEqual(lines(port.stderr), ['privacy-bot: CONFIG_INVALID: PORT is invalid: must be a port number 0–65535 (got "abc")']);
    for (const r of [empty, blank]) {
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.equal(r.stdout, '', 'no help text printed as if it were an answer');
      assert.match(r.stderr, /^privacy-bot: ask: the question is empty/);
    }
  });

  it('status import: dates as Excel writes them are accepted', async () => {
    const csv = join(dir, 'excel.csv');
    writeFileSync(csv, 'platform,userId,archived,since,scope\r\nwecom,wangwu,TRUE,2026/3/1,\r\ndingtalk,zhaoliu,TRUE,2026/03/01 9:05,\r\n');
    const r = await run(['status', 'import', csv], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /imported 2/);
    for (const [platform, user] of [['wecom', 'wangwu'], ['dingtalk', 'zhaoliu']]) {
      const g = await run(['status', 'get', '--platform', platform!, '--user', user!], env);
      assert.equal((JSON.parse(g.stdout) as { since: string }).since, '2026-03-01');
    }
  });

  it('a knowledge file with a YAML error: file, line and column, printed once', async () => {
    const kb = join(dir, 'kb');
    mkdirSync(kb);
    copyFileSync(join(REPO_ROOT, 'knowledge', 'retention.yaml'), join(kb, 'retention.yaml'));
    const broken = join(kb, 'broken.yaml');
    writeFileSync(broken, 'id: broken\ntitle:\n  zh: 坏\n  zh: 又坏\n');
    for (const args of [['ask', 'hi'], ['serve']]) {
      const r = await run(args, { ...env, KNOWLEDGE_DIR: kb, PORT: '0' });
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assertNoStack(r.stderr);
      assert.deepEqual(lines(r.stderr), [`privacy-bot: KB_INVALID: ${broken}: line 4, column 3: YAML syntax: Map keys must be unique`]);
    }
    const lint = await run(['kb', 'lint'], { ...env, KNOWLEDGE_DIR: kb });
    assert.equal(lint.code, 1);
    assert.equal(lint.stdout.split(`${broken}: line 4, column 3:`).length - 1, 1, `once: ${lint.stdout}`);
  });

  it('an unknown option: our own message and the command usage, exit code 2', async () => {
    for (const [args, first] of [
      [['ask', '--bogus', 'hi'], 'privacy-bot: ask: unknown option --bogus'],
      [['ask', '--platform'], 'privacy-bot: ask: option --platform needs a value'],
      [['status', 'get', 'extra', '--platform', 'wecom', '--user', 'u'], 'privacy-bot: status: unexpected argument "extra"'],
      [['kb', 'lint', '--strict'], 'privacy-bot: kb: unknown option --strict'],
      [['notice', 'list', '--all'], 'privacy-bot: notice list: unknown option --all'],
      [['policy', 'list', '--json'], 'privacy-bot: policy list: unknown option --json'],
      [['evidence', 'pubkey', '--out'], 'privacy-bot: evidence pubkey: unknown option --out'],
    ] as const) {
      const r = await run([...args], env);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assertNoStack(r.stderr);
      assert.equal(lines(r.stderr)[0], first);
      assert.doesNotMatch(r.stderr, /To specify a positional argument/);
      assert.ok(lines(r.stderr).length > 1, 'the usage follows');
      assert.match(r.stderr, new RegExp(`\\n  ${args[0]} `), 'the usage of that command');
    }
  });

  it('--version and -v print the version from package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const r = await run([flag], {});
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `privacy-bot ${version}\n`);
      assert.equal(r.stderr, '');
    }
  });
});
