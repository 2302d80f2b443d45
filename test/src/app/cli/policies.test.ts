/**
 * `privacy-bot policy …` as a child process on the embedded store in a temp dir: create from
 * JSON and YAML, list, show, withdraw, errors naming the field, usage errors. The policy it
 * declares is then the status of a covered employee in `privacy-bot ask`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../helpers/app.ts';

const BIN = join(REPO_ROOT, 'bin', 'privacy-bot.mjs');

function run(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const POLICY = {
  platform: 'dingtalk',
  audience: { userIds: ['zhangsan'] },
  since: '2026-03-01',
  scope: '单聊和群聊',
  retention: '3 年',
  purpose: '合规审计',
  legalBasis: '依法制定的劳动规章制度',
  viewers: ['合规部', '法务部'],
};

describe('privacy-bot policy', () => {
  let dir: string;
  let env: Record<string, string>;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'policy-cli-'));
    env = { DATA_DIR: join(dir, 'data'), KNOWLEDGE_DIR: join(REPO_ROOT, 'knowledge') };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('create (JSON), list, show, withdraw; the record stays after withdrawal', () => {
    const file = join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify(POLICY));
    let r = run(['policy', 'create', file], env);
    assert.equal(r.code, 0, r.stderr);
    const created = JSON.parse(r.stdout) as { id: string; state: string; warnings: string[] };
    assert.match(created.id, /^p-[a-z2-9]{10}$/);
    assert.deepEqual([created.state, created.warnings], ['active', []]);

    r = run(['policy', 'list'], env);
    assert.equal(r.code, 0, r.stderr);
    const listed = (JSON.parse(r.stdout) as { policies: Record<string, unknown>[] }).policies;
    assert.equal(listed.length, 1);
    assert.deepEqual({ ...listed[0], createdAt: undefined, updatedAt: undefined }, {
      id: created.id, ...POLICY, state: 'active', createdBy: 'cli', withdrawnAt: null, createdAt: undefined, updatedAt: undefined,
    });

    r = run(['ask', '--platform', 'dingtalk', '--user', 'zhangsan', '存档的聊天记录保存多久'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /你的会话存档状态：自 2026-03-01 起已存档，范围：单聊和群聊（来源：公司政策/);
    assert.match(r.stdout, /聊天记录保存期限：3 年；目的：合规审计；法律依据：依法制定的劳动规章制度；可查看存档的人：合规部、法务部。/);

    r = run(['policy', 'withdraw', created.id], env);
    assert.equal(r.code, 0, r.stderr);
    const withdrawn = JSON.parse(r.stdout) as { state: string; withdrawnAt: string };
    assert.equal(withdrawn.state, 'withdrawn');
    assert.match(withdrawn.withdrawnAt, /^\d{4}-\d{2}-\d{2}T/);

    r = run(['policy', 'show', created.id], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { state: string }).state, 'withdrawn');
    assert.equal((JSON.parse(run(['policy', 'list', '--state', 'active'], env).stdout) as { policies: unknown[] }).policies.length, 0);
    assert.equal((JSON.parse(run(['policy', 'list', '--state', 'withdrawn'], env).stdout) as { policies: unknown[] }).policies.length, 1);

    r = run(['ask', '--platform', 'dingtalk', '--user', 'zhangsan', '存档的聊天记录保存多久'], env);
    assert.match(r.stdout, /暂无记录/);
    assert.doesNotMatch(r.stdout, /公司的存档政策/);
  });

  it('create from YAML; a department policy for a platform not configured here warns on stderr and in the JSON', () => {
    const file = join(dir, 'dept.yaml');
    writeFileSync(file, 'platform: dingtalk\naudience:\n  departmentIds: [100]\nsince: 2026-03-01\nscope: 群聊\nretention: 1 年\npurpose: 审计\nlegalBasis: 规章制度\nviewers: [合规部]\n');
    const r = run(['policy', 'create', file], env);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { warnings: string[] };
    assert.equal(j.warnings.length, 1);
    assert.match(j.warnings[0]!, /dingtalk is not configured on this bot/);
    assert.match(r.stderr, /^warning: dingtalk is not configured/m);
  });

  it('bad input exits 1 naming the field; unknown ids exit 1; usage mistakes exit 2', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...POLICY, since: '2026-02-29' }));
    let r = run(['policy', 'create', file], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /POLICY_BAD_REQUEST: since: 2026-02-29 is not a calendar date/);
    writeFileSync(file, '{"platform": ');
    r = run(['policy', 'create', file], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not valid JSON/);
    r = run(['policy', 'show', 'p-unknown'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /POLICY_NOT_FOUND/);
    for (const args of [['policy'], ['policy', 'frobnicate'], ['policy', 'show'], ['policy', 'list', '--state', 'gone'], ['policy', 'create', join(dir, 'missing.json')]]) {
      r = run(args, env);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /policy create <policy\.json\|yaml>/, 'prints the usage');
    }
  });
});
