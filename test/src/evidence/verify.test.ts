import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { genesisHash, rowHash, type ChainHeader } from '../../../src/store/ports/audit-chain.ts';
import { withEvidenceTrailer, type ExportFacts } from '../../../src/evidence/export.ts';
import { parsePublicKey, parseSigningKey, signBytes } from '../../../src/evidence/key.ts';
import { verifyExport, type VerifyReport } from '../../../src/evidence/verify.ts';
import { auditCsv, auditPeople, auditRow, csvField, recipientsCsv, toCsv, AUDIT_HEADER, AUDIT_HEADER_V1, zonedTime } from '../../../src/evidence/csv.ts';
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
      { userId: 'zhangsan', state: 'sent', reason: null, sentAt: T, readAt: null, acknowledgedAt: T + 5, ackChannel: 'text', attempts: 0, remindedRound: 0, remindedAt: null, deliveredBy: null, name: '张三', department: '研发部', language: 'zh-CN', remindedLanguage: null },
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

  it('the trailer names the notice title and who created the broadcast, signed; an export without them still verifies', () => {
    const events = chain(4);
    const title = { zh: '聊天存档告知\n第二行 "引号"', en: 'Chat archiving notice', 'zh-TW': '聊天存檔告知\u2028' };
    const text = withEvidenceTrailer(auditCsv(events, ZONE), { ...facts('audit', events), noticeTitle: title, createdBy: 'console:hr.zhang' }, KEY);
    // Format v2: a line with quotes or commas is one CSV-quoted cell ("" for "), the JSON inside readable as written.
    const v2Lines = '\r\n# notice-version: 3\r\n"# notice-title: {""zh"":""聊天存档告知\\n第二行 \\""引号\\"""",""en"":""Chat archiving notice"",""zh-TW"":""聊天存檔告知\\u2028""}"\r\n"# created-by: ""console:hr.zhang"""\r\n# exported-at: ';
    assert.ok(text.includes(v2Lines), text.slice(text.indexOf('# notice-version')));
    let r = check(text);
    assert.deepEqual(messages(r), []);
    assert.deepEqual([r.ok, r.noticeTitle, r.createdBy], [true, title, 'console:hr.zhang']);
    // Who sent it is signed: another name breaks the signature (the rows still fit their chain).
    r = check(text.replace('""console:hr.zhang""', '""console:hr.wang""'));
    assert.deepEqual(r.problems.map((p) => p.kind), ['signature']);
    r = check(text.replace('Chat archiving notice', 'Another notice'));
    assert.deepEqual(r.problems.map((p) => p.kind), ['signature']);
    // Not JSON, or out of place: malformed.
    r = check(text.replace('"# created-by: ""console:hr.zhang"""', '# created-by: console:hr.zhang'));
    assert.ok(messages(r).some((m) => /created-by is not the JSON string/.test(m)), messages(r).join('\n'));
    const lines = text.split('\r\n');
    const ti = lines.findIndex((l) => l.startsWith('"# notice-title: '));
    [lines[ti], lines[ti + 1]] = [lines[ti + 1]!, lines[ti]!];
    r = check(lines.join('\r\n'));
    assert.ok(messages(r).some((m) => /trailer lines are not those of an export/.test(m)), messages(r).join('\n'));
    // An export made before these facts were written: still intact, the facts unknown.
    const old = check(auditExport(events));
    assert.deepEqual([old.ok, old.noticeTitle, old.createdBy], [true, null, null]);
    // A recipients export carries them too.
    const rec = withEvidenceTrailer(recipientsCsv({ readSupported: true }, [], ZONE), { ...facts('recipients', events), noticeTitle: title, createdBy: 'chat:wecom:li' }, KEY);
    r = check(rec);
    assert.deepEqual([r.ok, r.kind, r.createdBy], [true, 'recipients', 'chat:wecom:li']);
  });

  it('the trailer states the notice text the employees were sent and the audience, signed; older exports verify without them', () => {
    const events = chain(4);
    const title = { zh: '聊天存档告知', en: 'Chat archiving notice' };
    const body = { zh: '自 2027 年 1 月 1 日起，公司对企业微信单聊和群聊开启会话内容存档。\n保存 3 年，用途：合规审计。', en: 'From 1 January 2027 the company archives WeCom chats, "kept 3 years", for compliance audits.' };
    const audience = { departmentIds: ['d-rd'], exclude: { userIds: ['luoxue'] } };
    const text = withEvidenceTrailer(auditCsv(events, ZONE), { ...facts('audit', events), noticeTitle: title, noticeBody: body, createdBy: 'console:hr.zhang', audience }, KEY);
    const trailer = text.split('\r\n').map((l) => l.replace(/^"/, '')).filter((l) => l.startsWith('# ')).map((l) => l.slice(2, l.indexOf(':')));
    assert.deepEqual(trailer.slice(0, 8), ['privacy-bot evidence', 'broadcast', 'notice', 'notice-version', 'notice-title', 'notice-body', 'created-by', 'audience']);
    let r = check(text);
    assert.deepEqual(messages(r), []);
    assert.deepEqual([r.ok, r.noticeBody, r.audience], [true, body, audience]);
    // The text is signed: a changed word breaks the signature.
    r = check(text.replace('%E4%BF%9D%E5%AD%98 3 %E5%B9%B4', 'x').replace('保存 3 年', '保存 1 年'));
    assert.deepEqual(r.problems.map((p) => p.kind), ['signature']);
    r = check(text.replace('for compliance audits', 'for nothing else'));
    assert.deepEqual(r.problems.map((p) => p.kind), ['signature']);
    // Not the JSON an export writes: malformed.
    r = check(text.replace(/"# audience: .*\r\n/, '# audience: d-rd\r\n'));
    assert.ok(messages(r).some((m) => /audience is not the JSON object/.test(m)), messages(r).join('\n'));
    // Older exports (title only, or nothing) still verify, the text and audience unknown.
    const older = check(withEvidenceTrailer(auditCsv(events, ZONE), { ...facts('audit', events), noticeTitle: title, createdBy: 'console:hr.zhang' }, KEY));
    assert.deepEqual([older.ok, older.noticeBody, older.audience], [true, null, null]);
  });

  it('a format-v1 export (values percent-encoded, no quoted lines), as exports were written before 2026-12-07, still verifies', () => {
    const events = chain(4);
    const title = { zh: '告知, "一"', en: 'Notice' };
    const v2 = withEvidenceTrailer(auditCsv(events, ZONE), { ...facts('audit', events), noticeTitle: title, createdBy: 'console:hr.zhang', audience: { all: true } }, KEY);
    const pct = (json: string) => json.replace(/[%",]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    // The same file as v1 wrote it: each quoted line back to `# name: value` with the JSON percent-encoded, signed anew.
    const body = v2
      .slice(0, v2.lastIndexOf('# signature: '))
      .replace('audit v2', 'audit v1')
      .split('\r\n')
      .map((l) => (l.startsWith('"# ') ? l.slice(1, -1).replace(/""/g, '"') : l))
      .map((l) => l.replace(/^(# (?:notice-title|created-by|audience): )(.*)$/, (_m, head: string, json: string) => head + pct(json)))
      .join('\r\n');
    assert.ok(body.includes('\r\n# notice-title: {%22zh%22:%22告知%2C \\%22一\\%22%22%2C%22en%22:%22Notice%22}\r\n'), body);
    const v1 = `${body}# signature: ${signBytes(KEY, Buffer.from(body, 'utf8'))}\r\n`;
    const r = check(v1);
    assert.deepEqual(messages(r), []);
    assert.deepEqual([r.ok, r.noticeTitle, r.createdBy, r.audience], [true, title, 'console:hr.zhang', { all: true }]);
    // A quoted line in a v1 file is not a v1 line.
    const quoted = v1.replace(/\r\n(# chain-rows: \d+)\r\n/, '\r\n"$1"\r\n');
    assert.ok(messages(check(quoted)).some((m) => /unexpected trailer line/.test(m)), messages(check(quoted)).join('\n'));
  });

  it('audit names and departments: outside the hash chain, covered by the signature; the older header without them still verifies', () => {
    const events = chain(4);
    const people = auditPeople([{ userId: 'u3', name: '张三', department: '研发部, 北京' }, { userId: '=cmd|zhang', name: '=李四', department: null }]);
    const text = withEvidenceTrailer(auditCsv(events, ZONE, people), facts('audit', events), KEY);
    const rows = dataLines(text);
    assert.match(text, /^\uFEFFtime,broadcastId,userId,name,department,from,to,reason,seq,timeMs,prevHash,hash\r\n/);
    assert.match(rows[0]!, /,b-v1,,,,none,resolving,/, 'a broadcast-level row has no user, name or department');
    assert.match(rows[1]!, /,'=cmd\|zhang,'=李四,,pending,sent,/, 'names are defused like every cell');
    assert.match(text, /,u3,张三,"研发部, 北京",pending,sent,/);
    assert.deepEqual(messages(check(text)), []);
    // A changed name: the chain still holds (names are not hashed), the signature does not.
    let r = check(text.replace(',张三,', ',王五,'));
    assert.deepEqual(r.problems.map((p) => p.kind), ['signature']);
    assert.match(r.problems[0]!.message, /every row still fits its chain, so what changed is outside the hashed cells .*name or department/);
    // A changed hashed cell next to the names is still located.
    r = check(text.replace(',u3,张三,', ',u4,张三,'));
    assert.deepEqual(r.problems.map((p) => [p.kind, p.row]), [['altered', 3], ['signature', undefined]]);
    // The older audit header (no name, no department) still verifies.
    const v1 = withEvidenceTrailer(toCsv([AUDIT_HEADER_V1, ...events.map((e) => auditRow(e, zonedTime(ZONE)).filter((_, i) => i !== 3 && i !== 4))]), facts('audit', events), KEY);
    assert.match(v1, /^\uFEFFtime,broadcastId,userId,from,to,reason,seq,timeMs,prevHash,hash\r\n/);
    r = check(v1);
    assert.deepEqual([messages(r), r.ok, r.rows], [[], true, 4]);
    r = check(flipByte(v1, 4, 'reason 4', 'R'));
    assert.deepEqual(r.problems.map((p) => [p.kind, p.row]), [['altered', 4], ['signature', undefined]]);
  });

  it('a file that is not an export (a CSV of its own, an XLSX) is not-an-export; an export re-saved with other line ends is malformed', () => {
    let r = check('time,reason\r\n');
    assert.deepEqual(r.problems.map((p) => p.kind), ['not-an-export']);
    assert.match(r.problems[0]!.message, /not a privacy-bot CSV export/);
    r = verifyExport(Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from('xl/workbook.xml')]));
    assert.deepEqual(r.problems.map((p) => p.kind), ['not-an-export']);
    assert.match(r.problems[0]!.message, /XLSX .*carry no signature; verify the CSV export/);
    r = check(auditExport().replace(/\r\n/g, '\n'));
    assert.deepEqual(r.problems.map((p) => p.kind), ['malformed']);
    assert.match(r.problems[0]!.message, /line ends were changed from CRLF to LF .*verify that copy/, 'says what happened, not only "no trailer"');
    r = check(auditExport().replace(/# privacy-bot evidence: [^\r]*\r\n[\s\S]*$/, ''));
    assert.match(r.problems[0]!.message, /not a privacy-bot CSV export|no evidence trailer/, 'a cut-off file is not called an LF re-save');
    r = check(auditExport().replace('# privacy-bot evidence: audit v2', '# privacy-bot evidence: audit v9'));
    assert.match(r.problems[0]!.message, /unknown export kind or format "audit v9"/);
  });
});
