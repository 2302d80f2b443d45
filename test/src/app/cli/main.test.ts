import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../helpers/app.ts';

const BIN = join(REPO_ROOT, 'bin', 'privacy-bot.mjs');

function run(args: string[], env: Record<string, string>, input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    input,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('privacy-bot CLI', () => {
  let dir: string;
  let env: Record<string, string>;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cli-test-'));
    env = { DATA_DIR: join(dir, 'data'), KNOWLEDGE_DIR: join(REPO_ROOT, 'knowledge') };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('ask --json prints one JSON object with topic, intent, score, suggestions and reply', () => {
    const r = run(['ask', '--json', '企业微信管理员可以翻看我的私聊记录吗'], env);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(j), ['question', 'topic', 'intent', 'score', 'suggestions', 'reply']);
    assert.equal(j.topic, 'wecom-admin-access');
    assert.equal(j.intent, 'faq');
    assert.match(String(j.reply), /来源：/);
  });

  it('ask: a question naming no platform gets each platform\'s opening, and on stderr how to get one platform\'s answer', () => {
    const r = run(['ask', '管理员能看到我的聊天记录吗'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /企业微信[\s\S]*钉钉[\s\S]*飞书/);
    assert.match(r.stderr, /^ask: the question names no platform; for one platform's full answer ask again with --platform wecom\|dingtalk\|feishu --user <user id>/m);
    const named = run(['ask', '钉钉管理员能看到我的聊天记录吗'], env);
    assert.equal(named.code, 0, named.stderr);
    assert.doesNotMatch(named.stderr, /names no platform/);
  });

  it('ask with no question reads stdin, one JSON line per question; topic is null unless faq', () => {
    const r = run(['ask'], env, '帮助\n\nCan my boss read my WeCom chats?\n今天中午吃什么\n');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { question: string; topic: string | null; intent: string });
    assert.equal(lines.length, 3);
    assert.deepEqual(lines.map((l) => [l.intent, l.topic]), [['help', null], ['faq', 'wecom-admin-access'], ['fallback', null]]);
  });

  it('status import then status get, and ask --platform --user adds that status', () => {
    const csv = join(dir, 'ok.csv');
    writeFileSync(csv, 'platform,userId,archived,since,scope\nwecom,zhangsan,true,2026-03-01,"1:1 and group chats, internal"\ndingtalk,lisi,false,,\n');
    let r = run(['status', 'import', csv], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /imported 2/);
    r = run(['status', 'get', '--platform', 'wecom', '--user', 'zhangsan'], env);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { archived: boolean; since: string; source: string };
    assert.equal(s.archived, true);
    assert.equal(s.since, '2026-03-01');
    assert.equal(s.source, 'import');
    r = run(['ask', '--platform', 'wecom', '--user', 'zhangsan', '我的聊天记录有没有被存档'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /2026-03-01/);
  });

  it('status import of a bad file lists every bad line and imports nothing', () => {
    const csv = join(dir, 'bad.csv');
    writeFileSync(csv, 'platform,userId,archived,since,scope\nwecom,wangwu,true,2026-03-01,x\nwecom,zhaoliu,maybe,2026-03-01,x\nwecom,qianqi,true,2026-02-30,x\n');
    const r = run(['status', 'import', csv], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.csv:3:/);
    assert.match(r.stderr, /bad\.csv:4:/);
    const g = run(['status', 'get', '--platform', 'wecom', '--user', 'wangwu'], env);
    assert.match(g.stdout, /"record":null/);
  });

  it('kb lint passes on the bundled knowledge base and fails naming file and field on a bad one', () => {
    let r = run(['kb', 'lint'], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const bad = join(dir, 'kb');
    mkdirSync(bad);
    copyFileSync(join(REPO_ROOT, 'knowledge', 'retention.yaml'), join(bad, 'retention.yaml'));
    writeFileSync(join(bad, 'broken.yaml'), 'id: broken\ntitle: {zh: 坏}\n');
    r = run(['kb', 'lint'], { ...env, KNOWLEDGE_DIR: bad });
    assert.equal(r.code, 1);
    assert.match(r.stdout + r.stderr, /broken\.yaml: title\.en/);
  });

  it('a bad configuration stops with the variable named and exit code 2', () => {
    const r = run(['ask', 'hi'], { ...env, PORT: 'eighty' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /PORT is invalid/);
    const n = run(['serve'], { ...env, PORT: '0', ADMIN_ALLOW_FROM: '10.0.0.0/33' });
    assert.equal(n.code, 2);
    assert.match(n.stderr, /ADMIN_ALLOW_FROM is invalid/);
    assert.equal(n.stderr.trim().split('\n').length, 1, `one line, no stack trace: ${n.stderr}`);
    const u = run(['frobnicate'], env);
    assert.equal(u.code, 2);
    assert.match(u.stderr, /unknown command/);
  });
});
