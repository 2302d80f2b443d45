import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { genesisHash, rowHash, type ChainHeader } from '../../../src/store/ports/audit-chain.ts';
import { withEvidenceTrailer, type ExportFacts } from '../../../src/evidence/export.ts';
import { parsePublicKey, parseSigningKey } from '../../../src/evidence/key.ts';
import { verifyExport, type VerifyReport } from '../../../src/evidence/verify.ts';
import { auditCsv, auditRow, csvField, recipientsCsv, toCsv, AUDIT_HEADER, zonedTime } from '../../../src/evidence/csv.ts';
import type { AuditEvent } from '../../../src/store/ports/notices.ts';
import { appendRow, changeSignature, dataLines, deleteRow, editRow, flipByte, swapRows } from '../../helpers/tamper.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/evidence/${name}`, import.meta.url), 'utf8');
const KEY = parseSigningKey(fixture('seed.b64'));
const OTHER_KEY = parseSigningKey(Buffer.alloc(32, 7).toString('base64'));
const HEADER: ChainHeader = { broadcastId: 'b-v1', noticeId: 'n-v1', version: 3 };
const T = 1_780_000_000_000;
/** The company's time zone the exports write their times in. */
const ZONE = 'Asia/Shanghai';

/**
 * A chained audit log of `n` entries; with `multiline`, entry 3's reason has a comma, quotes and a
 * line break (the tamper helpers work on lines, so only untouched files have it).
 */
function chain(n: number, multiline = false, header = HEADER): AuditEvent[] {
  const out: AuditEvent[] = [];
  let prev = genesisHash(header);
  for (let seq = 1; seq <= n; seq++) {
    const e = {
      seq, prevHash: prev, broadcastId: header.broadcastId, at: T + seq * 1000,
      userId: seq === 1 ? null : seq === 2 ? '=cmd|zhang' : seq === 4 ? "'apostrophe" : `u${seq}`,
      from: seq === 1 ? 'none' : 'pending', to: seq === 1 ? 'resolving' : 'sent',
      reason: seq === 3 ? (multiline ? '已发送, "ok"\r\nsecond line' : '已发送, "ok"') : seq === 5 ? '-1+1' : `reason ${seq}`,
    };
    const hash = rowHash(e);
    out.push({ ...e, hash });
    prev = hash;
  }
  return out;
}

function facts(kind: 'audit' | 'recipients', events: AuditEvent[]): ExportFacts {
  const last = events.at(-1);
  return { kind, broadcastId: HEADER.broadcastId, noticeId: HEADER.noticeId, noticeVersion: HEADER.version, exportedAt: T + 99_000, chain: last ? { rows: last.seq, hash: last.hash } : null };
}

function auditExport(events = chain(8), key: typeof KEY | null = KEY): string {
  return withEvidenceTrailer(auditCsv(events, ZONE), facts('audit', events), key);
}

function check(text: string, options: Parameters<typeof verifyExport>[1] = {}): VerifyReport {
  return verifyExport(Buffer.from(text, 'utf8'), options);
}

function messages(r: VerifyReport): string[] {
  return r.problems.map((p) => `${p.kind}: ${p.message}`);
}

describe('verifyExport', () => {
  it('an untouched signed audit export is intact, formula-like, apostrophe and multi-line cells included', () => {
    const text = auditExport(chain(8, true));
    assert.match(text, /"已发送, ""ok""\r\nsecond line"/);
    assert.match(text, /,'=cmd\|zhang,/, 'formula neutralised');
    assert.match(text, /,''apostrophe,/, 'a leading apostrophe is escaped too');
    const r = check(text);
    assert.deepEqual(messages(r), []);
    assert.equal(r.ok, true);
    assert.equal(check(auditExport()).ok, true);
    assert.deepEqual([r.kind, r.broadcastId, r.noticeId, r.noticeVersion, r.rows, r.chainRows, r.signature, r.keySource, r.keyId], ['audit', 'b-v1', 'n-v1', 3, 8, 8, 'valid', 'file', KEY.publicKey.keyId]);
    const given = check(text, { publicKey: parsePublicKey(fixture('pub.pem')) });
    assert.deepEqual([given.ok, given.keySource], [true, 'given']);
  });

  it('time cells: the company zone with its offset; an export of before (UTC) still verifies; a shifted time is an alteration', () => {
    const events = chain(3);
    const text = auditExport(events);
    assert.match(dataLines(text)[0]!, /^2026-05-29T04:26:41\.\d{3}\+08:00,/);
    const utc = withEvidenceTrailer(toCsv([AUDIT_HEADER, ...events.map((e) => auditRow(e, (ms) => (ms === null ? '' : new Date(ms).toISOString())))]), facts('audit', events), KEY);
    assert.match(dataLines(utc)[0]!, /^2026-05-28T20:26:41\.\d{3}Z,/);
    assert.equal(check(utc).ok, true);
    // The wall clock kept but the offset dropped: another instant.
    const r = check(editRow(text, 1, (line) => line.replace('+08:00', 'Z')));
    assert.deepEqual(r.problems.map((p) => [p.kind, p.row]), [['altered', 1], ['signature', undefined]]);
  });

  it('an export of a broadcast without audit rows hangs its head on the genesis hash', () => {
    const r = check(auditExport([]));
    assert.deepEqual([r.ok, r.rows, r.chainRows, r.chainHead], [true, 0, 0, genesisHash(HEADER)]);
  });

  it('names a row whose cell changed by one byte', () => {
    const r = check(flipByte(auditExport(), 6, 'reason 6', 'R'));
    assert.equal(r.ok, false);
    assert.deepEqual(messages(r), [
      'altered: row 6 (line 7, seq 6): altered: its cells no longer give the hash it carries',
      'signature: the signature does not match the file: it was changed after it was signed (the rows above show where)',
    ]);
    assert.deepEqual(r.problems[0]!.row, 6);
  });

  it('a changed hash cell or time cell is an alteration too, not a removal', () => {
    const text = auditExport();
    const hashCell = dataLines(text)[6]!.split(',').at(-1)!;
    let r = check(flipByte(text, 7, hashCell, hashCell[0] === 'a' ? 'b' : 'a'));
    assert.deepEqual(messages(r).slice(0, -1), ['altered: row 7 (line 8, seq 7): altered: its cells no longer give the hash it carries']);
    r = check(flipByte(text, 7, 'T', 'X'));
    assert.deepEqual(r.problems.map((p) => [p.kind, p.row]), [['altered', 7], ['signature', undefined]]);
    assert.match(r.problems[0]!.message, /its time .* is not its timeMs/);
  });

  it('a row altered and re-hashed breaks the link of the row after it', () => {
    const events = chain(8);
    const forged = { ...events[4]!, reason: 'something else' };
    forged.hash = rowHash(forged);
    const text = editRow(auditExport(events), 5, () => auditRow(forged, zonedTime(ZONE)).map(csvField).join(','));
    const r = check(text);
    assert.deepEqual(messages(r).slice(0, -1), ['altered: row 5 (line 6, seq 5): altered and re-hashed: the row after it no longer links to it']);
  });

  it('names removed rows: in the middle, the first, the last', () => {
    let r = check(deleteRow(auditExport(), 4));
    assert.deepEqual(messages(r).slice(0, -1), ['removed: 1 row removed before row 4 (line 5, seq 5): seq 4 missing, the chain no longer links it to the row above']);
    r = check(deleteRow(deleteRow(auditExport(), 4), 4));
    assert.match(messages(r)[0]!, /^removed: 2 rows removed before row 4 \(line 5, seq 6\): seq 4–5 missing/);
    r = check(deleteRow(auditExport(), 1));
    assert.match(messages(r)[0]!, /^removed: 1 row removed before row 1 \(line 2, seq 2\): seq 1 missing/);
    r = check(deleteRow(auditExport(), 8));
    assert.deepEqual(messages(r).slice(0, -1), ['removed: 1 row removed at the end: seq 8 missing, the signed chain head covers 8 rows']);
  });

  it('names reordered rows', () => {
    const r = check(swapRows(auditExport(), 5, 6));
    assert.deepEqual(messages(r).slice(0, -1), ['reordered: row 5 (line 6, seq 6): out of order: it comes before row 6 (line 7, seq 5) in the file but after it in the chain']);
  });

  it('names inserted rows: a copy, and a well-formed row linked after the signed head', () => {
    const events = chain(8);
    const text = auditExport(events);
    let r = check(appendRow(text, dataLines(text)[1]!));
    assert.deepEqual(messages(r).slice(0, -1), ['inserted: row 9 (line 10, seq 2): not part of the chain that ends at the signed head: inserted (or a copy of another row)']);
    const next = { seq: 9, prevHash: events[7]!.hash, broadcastId: 'b-v1', at: T + 9_000, userId: 'u9', from: 'sent', to: 'acknowledged', reason: 'acknowledged by text' };
    r = check(appendRow(text, auditRow({ ...next, hash: rowHash(next) }, zonedTime(ZONE)).map(csvField).join(',')));
    assert.deepEqual(messages(r).slice(0, -1), ['inserted: row 9 (line 10, seq 9): not covered by the signed chain head (8 rows): added after export']);
  });

  it('a changed signature or trailer fails the signature; the rows are still in place', () => {
    let r = check(changeSignature(auditExport()));
    assert.equal(r.signature, 'invalid');
    assert.deepEqual(r.problems.map((p) => p.kind), ['signature']);
    assert.match(r.problems[0]!.message, /every row still fits its chain/);
    r = check(auditExport().replace('# exported-at: 2026', '# exported-at: 2025'));
    assert.deepEqual(r.problems.map((p) => p.kind), ['signature']);
    // A trailer that claims fewer rows: the last ones look added after export.
    r = check(auditExport().replace('# chain-rows: 8', '# chain-rows: 7'));
    assert.ok(r.problems.some((p) => p.kind === 'head') && r.problems.at(-1)!.kind === 'signature', messages(r).join('\n'));
  });

  it('re-signed with another key: fine for the key in the file, refused for the published key', () => {
    const text = auditExport(chain(8), OTHER_KEY);
    const r = check(text, { publicKey: KEY.publicKey });
    assert.deepEqual(r.problems.map((p) => p.kind), ['key', 'signature']);
    assert.match(r.problems[0]!.message, new RegExp(`signed with key ${OTHER_KEY.publicKey.keyId}, not with the key given \\(${KEY.publicKey.keyId}\\)`));
    const own = check(text);
    assert.deepEqual([own.ok, own.keySource, own.keyId], [true, 'file', OTHER_KEY.publicKey.keyId]);
  });

  it('an unsigned export is not ok, but its rows are still checked', () => {
    const text = auditExport(chain(8), null);
    assert.match(text, /# signature: UNSIGNED/);
    let r = check(text);
    assert.deepEqual([r.ok, r.signature, r.problems.map((p) => p.kind)], [false, 'unsigned', ['unsigned']]);
    r = check(deleteRow(text, 3));
    assert.deepEqual(r.problems.map((p) => p.kind), ['unsigned', 'removed']);
  });

  it('recipients exports: the signature covers the rows', () => {
    const rec = recipientsCsv({ readSupported: true }, [
      { userId: 'zhangsan', state: 'sent', reason: null, sentAt: T, readAt: null, acknowledgedAt: T + 5, ackChannel: 'text', attempts: 0, remindedRound: 0, remindedAt: null, deliveredBy: null, name: '张三', department: '研发部', language: 'zh-CN' },
    ], ZONE);
    const text = withEvidenceTrailer(rec, facts('recipients', chain(8)), KEY);
    let r = check(text);
    assert.deepEqual([r.ok, r.kind, r.rows, r.chainRows], [true, 'recipients', 1, 8]);
    r = check(text.replace('研发部,acknowledged', '研发部,sent'));
    assert.deepEqual(r.problems.map((p) => p.kind), ['signature']);
  });

  it('a download that lost its byte order mark still verifies, and says so', () => {
    const text = auditExport();
    const r = check(text.slice(1));
    assert.deepEqual([r.ok, r.signature, r.bomRestored], [true, 'valid', true]);
    assert.equal(check(text).bomRestored, false);
  });

  it('a file that is not an export, or was re-saved with other line ends, is malformed', () => {
    let r = check('time,reason\r\n');
    assert.deepEqual(r.problems.map((p) => p.kind), ['malformed']);
    r = check(auditExport().replace(/\r\n/g, '\n'));
    assert.deepEqual(r.problems.map((p) => p.kind), ['malformed']);
    r = check(auditExport().replace('# privacy-bot evidence: audit v1', '# privacy-bot evidence: audit v9'));
    assert.match(r.problems[0]!.message, /unknown export kind or format "audit v9"/);
  });
});
