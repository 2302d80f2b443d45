/**
 * `privacy-bot evidence pubkey|verify` and signed `notice export`, as child processes of the real
 * CLI: a broadcast's history on the embedded store, exported, then checked untouched and after
 * each kind of tampering. The key is the test key of test/fixtures/evidence (made with OpenSSL).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../helpers/app.ts';
import { openSqliteNoticeStore } from '../../../../src/store/sqlite/notices.ts';
import { appendRow, changeSignature, dataLines, deleteRow, flipByte, swapRows } from '../../../helpers/tamper.ts';
import { embeddedStorePath } from '../../../../src/store/index.ts';

const BIN = join(REPO_ROOT, 'bin', 'privacy-bot.mjs');
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'evidence');
const SEED = readFileSync(join(FIXTURES, 'seed.b64'), 'utf8').trim();
const FINGERPRINT = readFileSync(join(FIXTURES, 'fingerprint.txt'), 'utf8').trim();

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('privacy-bot evidence (CLI)', () => {
  let dir: string;
  let env: Record<string, string>;
  let audit: string;
  let recipients: string;
  const file = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text, 'utf8');
    return p;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'evidence-cli-'));
    env = { DATA_DIR: join(dir, 'data'), KNOWLEDGE_DIR: join(REPO_ROOT, 'knowledge') };
    // A broadcast's history written through the store: audience, sends, a failure with a formula-like reason, an acknowledgement.
    const s = openSqliteNoticeStore(embeddedStorePath(join(dir, 'data')));
    const T = 1_780_000_000_000;
    await s.createNotice('n-e1', { title: { zh: '告知', en: 'Notice' }, body: { zh: '正文', en: 'Body' } }, T);
    await s.createBroadcast({ id: 'b-e1', noticeId: 'n-e1', version: 1, platform: 'wecom', audience: { all: true }, readSupported: false, createdBy: 'cli' }, T);
    await s.addRecipients('b-e1', ['zhangsan', 'lisi', '=cmd|wangwu'], T + 1);
    await s.startSending('b-e1', T + 2);
    const batch = await s.claimBatch('b-e1', { owner: 'w', max: 10, leaseMs: 60_000, deferMs: 100 }, T + 3);
    await s.settleBatch(batch!, { sent: ['zhangsan', 'lisi'], failed: [{ userId: '=cmd|wangwu', reason: '+invaliduser, "gone"' }], retry: [] }, T + 4);
    await s.acknowledge('wecom', 'zhangsan', 'latest', 'text', T + 5);
    await s.close();

    const out = join(dir, 'audit.csv');
    const [a, r] = await Promise.all([
      run(['notice', 'export', 'b-e1', '--audit', '--out', out], { ...env, EVIDENCE_SIGNING_KEY: SEED }),
      run(['notice', 'export', 'b-e1'], { ...env, EVIDENCE_SIGNING_KEY: SEED }),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(r.code, 0, r.stderr);
    audit = readFileSync(out, 'utf8');
    recipients = r.stdout;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('pubkey prints the PEM and the fingerprint openssl computes; without the key it says which variable', async () => {
    const r = await run(['evidence', 'pubkey'], { EVIDENCE_SIGNING_KEY: SEED });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('key id:')[0], readFileSync(join(FIXTURES, 'pub.pem'), 'utf8'));
    assert.match(r.stdout, new RegExp(`^key id: +${FINGERPRINT.slice(0, 16)}$`, 'm'));
    assert.match(r.stdout, new RegExp(`^fingerprint: SHA256:${FINGERPRINT}$`, 'm'));
    const [unset, bad] = await Promise.all([run(['evidence', 'pubkey'], {}), run(['evidence', 'pubkey'], { EVIDENCE_SIGNING_KEY: 'not-a-key' })]);
    assert.equal(unset.code, 2);
    assert.match(unset.stderr, /EVIDENCE_SIGNING_KEY is not set/);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^privacy-bot: CONFIG_INVALID: EVIDENCE_SIGNING_KEY is invalid: /);
    assert.doesNotMatch(bad.stderr, /not-a-key|\n\s+at /, 'no value, no stack trace');
  });

  it('exports carry the chain and the signature; verify says INTACT (exit 0) with the published key, and only "intact against the file’s own key" (exit 3) without it', async () => {
    assert.match(audit, /^\uFEFFtime,broadcastId,userId,name,department,from,to,reason,seq,timeMs,prevHash,hash\r\n/);
    assert.match(audit, /,'=cmd\|wangwu,,,pending,failed,"'\+invaliduser, ""gone""",/, 'formula cells stay neutralised');
    assert.match(audit, /\r\n\r\n# privacy-bot evidence: audit v2\r\n# broadcast: b-e1\r\n# notice: n-e1\r\n# notice-version: 1\r\n"# notice-title: \{""zh"":""告知"",""en"":""Notice""\}"\r\n"# notice-body: \{""zh"":""正文"",""en"":""Body""\}"\r\n"# created-by: ""cli"""\r\n"# audience: \{""all"":true\}"\r\n"# audience-text: ""everyone \/ 全员"""\r\n# exported-at: [^\r]+\r\n# chain-rows: 10\r\n# chain-head: [0-9a-f]{64}\r\n# key-id: [0-9a-f]{16}\r\n# public-key: [A-Za-z0-9+/=]+\r\n# signature: [A-Za-z0-9+/=]{88}\r\n$/);
    const [withKey, own, rec] = await Promise.all([
      run(['evidence', 'verify', file('a.csv', audit), '--pubkey', join(FIXTURES, 'pub.pem')], {}),
      run(['evidence', 'verify', file('a2.csv', audit)], {}),
      run(['evidence', 'verify', file('r.csv', recipients), `--pubkey=${readFileSync(join(FIXTURES, 'pub.pem'), 'utf8')}`], {}),
    ]);
    assert.equal(withKey.code, 0, withKey.stdout + withKey.stderr);
    assert.match(withKey.stdout, /audit export of broadcast b-e1 \(notice n-e1 version 1\)/);
    assert.match(withKey.stdout, /\n  notice title: 告知 \/ Notice\n  notice text \(as written; this export does not say which languages were sent\):\n    \[zh\] 正文\n    \[en\] Body\n  broadcast created by: cli\n  audience: everyone \/ 全员\n  audience \(as recorded\): \{"all":true\}\n/);
    assert.match(withKey.stdout, /signature: valid, key id [0-9a-f]{16} \(the key given with --pubkey\)/);
    assert.match(withKey.stdout, /^INTACT: every row is in place and unchanged/m);
    // Without --pubkey the key inside the file is used: a file edited and signed again with another key would pass
    // that too, so it is not "INTACT" and not exit 0.
    assert.equal(own.code, 3, own.stdout);
    assert.match(own.stdout, /taken from the file itself: compare this id with the one the company published/);
    assert.match(own.stdout, /^INTACT ONLY AGAINST THE FILE'S OWN KEY \([0-9a-f]{16}\): .*pass --pubkey/m);
    assert.doesNotMatch(own.stdout, /^INTACT:/m);
    assert.equal(rec.code, 0, rec.stdout);
    assert.match(rec.stdout, /recipients export of broadcast b-e1[\s\S]*INTACT: the file is unchanged/);
  });

  it('verify names the problem (exit 1): a flipped byte, a removed row, swapped rows, an appended row, a changed signature', async () => {
    const rows = dataLines(audit);
    const cases: [string, string, RegExp][] = [
      ['flip', flipByte(audit, 8, 'pending,failed', 'P'), /row 8 \(line 9, seq 8\): altered: its cells no longer give the hash it carries/],
      ['delete', deleteRow(audit, 5), /1 row removed before row 5 \(line 6, seq 6\): seq 5 missing/],
      ['swap', swapRows(audit, 6, 7), /row 6 \(line 7, seq 7\): out of order: it comes before row 7 \(line 8, seq 6\)/],
      ['append', appendRow(audit, rows[2]!), /row 11 \(line 12, seq 3\): not part of the chain that ends at the signed head: inserted/],
      ['signature', changeSignature(audit), /the signature does not match the file/],
    ];
    const results = await Promise.all(cases.map(([name, text]) => run(['evidence', 'verify', file(`${name}.csv`, text), '--pubkey', join(FIXTURES, 'pub.pem')], {})));
    cases.forEach(([name, , expected], i) => {
      const r = results[i]!;
      assert.equal(r.code, 1, `${name}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /^TAMPERED: \d+ problem\(s\)$/m, name);
      assert.match(r.stdout, expected, name);
    });
  });

  it('verify refuses an unsigned export and a file signed with another key (exit 1); usage errors exit 2', async () => {
    const unsigned = await run(['notice', 'export', 'b-e1', '--audit'], env);
    assert.equal(unsigned.code, 0, unsigned.stderr);
    assert.match(unsigned.stdout, /# signature: UNSIGNED \(EVIDENCE_SIGNING_KEY was not set where this file was exported\)\r\n$/);
    assert.match(unsigned.stderr, /evidence export is UNSIGNED: EVIDENCE_SIGNING_KEY is not set/, 'a warning in the log');
    const otherKey = Buffer.alloc(32, 9).toString('base64');
    const [u, other, noFile, badKey, missing] = await Promise.all([
      run(['evidence', 'verify', file('u.csv', unsigned.stdout)], {}),
      run(['evidence', 'verify', file('a3.csv', audit), '--pubkey', otherKey], {}),
      run(['evidence', 'verify'], {}),
      run(['evidence', 'verify', file('a4.csv', audit), '--pubkey', 'nonsense'], {}),
      run(['evidence', 'verify', join(dir, 'nope.csv')], {}),
    ]);
    assert.equal(u.code, 1);
    assert.match(u.stdout, /signature: none: the file is UNSIGNED[\s\S]*NOT VERIFIABLE: 1 problem/);
    assert.match(u.stdout, /hash chain is checked \(see "hash chain" above\), but anyone can rebuild a chain/);
    assert.match(u.stdout, /^  hash chain: recomputed from the \d+ row\(s\): consistent, and it ends at the trailer's chain head$/m, 'the check the message points to is printed');
    const uEdited = await run(['evidence', 'verify', file('u2.csv', flipByte(unsigned.stdout, 8, 'pending,failed', 'P'))], {});
    assert.equal(uEdited.code, 1);
    assert.match(uEdited.stdout, /^  hash chain: BROKEN: 1 problem\(s\) listed below$/m, uEdited.stdout);
    assert.match(uEdited.stdout, /^TAMPERED: 2 problem\(s\)$/m);
    // An unsigned recipients export has no chain either: nothing can be checked, and the message says so.
    const unsignedRecipients = await run(['notice', 'export', 'b-e1'], env);
    assert.equal(unsignedRecipients.code, 0, unsignedRecipients.stderr);
    const ur = await run(['evidence', 'verify', file('ur.csv', unsignedRecipients.stdout)], {});
    assert.equal(ur.code, 1, ur.stdout);
    assert.match(ur.stdout, /a recipients export has no hash chain: nothing in it can be checked/);
    assert.doesNotMatch(ur.stdout, /^  hash chain:/m, 'a recipients export has no chain line');
    assert.doesNotMatch(ur.stdout, /checked against each other/);
    assert.equal(other.code, 1);
    assert.match(other.stdout, /the file says it was signed with key [0-9a-f]{16}, not with the key given/);
    for (const r of [noFile, badKey, missing]) assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(noFile.stderr, /give one export file/);
    assert.match(badKey.stderr, /--pubkey: expected an Ed25519 public key/);
    assert.match(missing.stderr, /cannot read .*nope\.csv/);
  });

  it('verify says NOT AN EXPORT (exit 1) for an XLSX or any other file, and names a --pubkey file that is not there (exit 2)', async () => {
    const xlsx = join(dir, 'recipients.xlsx');
    writeFileSync(xlsx, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(64, 1)]));
    const [x, other, noPem] = await Promise.all([
      run(['evidence', 'verify', xlsx], {}),
      run(['evidence', 'verify', file('mine.csv', 'userId,state\r\nzhangsan,read\r\n')], {}),
      run(['evidence', 'verify', file('a5.csv', audit), '--pubkey', join(dir, 'nope.pem')], {}),
    ]);
    assert.equal(x.code, 1);
    assert.match(x.stdout, /NOT AN EXPORT: 1 problem[\s\S]*XLSX exports are for reading and carry no signature; verify the CSV export/);
    assert.doesNotMatch(x.stdout, /TAMPERED/);
    assert.equal(other.code, 1);
    assert.match(other.stdout, /NOT AN EXPORT: 1 problem[\s\S]*not a privacy-bot CSV export/);
    assert.equal(noPem.code, 2);
    assert.match(noPem.stderr, /--pubkey: cannot read .*nope\.pem: no such file/);
  });
});
