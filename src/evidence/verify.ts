import { parse } from 'csv-parse/sync';
import { AUDIT_HEADER, AUDIT_HEADER_V1, csvCellValue, RECIPIENTS_HEADER, RECIPIENTS_HEADER_V1, RECIPIENTS_HEADER_V2, RECIPIENTS_HEADER_V3 } from './csv.ts';
import { genesisHash, isHash, rowHash } from '../store/ports/audit-chain.ts';
import { readTrailerJson, TRAILER_TITLE, TRAILER_VERSION, TRAILER_VERSIONS, UNSIGNED_MARK, type ExportKind } from './export.ts';
import type { Bilingual } from '../store/ports/notices.ts';
import { parsePublicKey, verifyBytes, type EvidencePublicKey } from './key.ts';

/**
 * Offline check of an evidence export (docs/EVIDENCE.md, "Verifying"): no store, no network, only
 * the file's bytes and optionally the public key the auditor was given. It checks the Ed25519
 * signature over the bytes before the `# signature:` line, then — for an audit export —
 * recomputes every row's hash from its cells and walks the chain back from the signed head, so
 * it can say which row was altered, removed, inserted or moved.
 */

/** What kind of defect a problem is. */
/** 'not-an-export': nothing of an evidence trailer anywhere in the file (another file, or an XLSX export, which is unsigned). */
export type ProblemKind = 'not-an-export' | 'malformed' | 'unsigned' | 'signature' | 'key' | 'altered' | 'removed' | 'inserted' | 'reordered' | 'head';

/** One finding, in words an auditor can act on. */
export interface VerifyProblem {
  kind: ProblemKind;
  message: string;
  /** Data row (1 = the first row under the header), when the problem is one row's. */
  row?: number;
  /** Line of the file where that row starts (1-based). */
  line?: number;
}

/** Result of {@link verifyExport}. `ok` = signed, signature valid, and no problem found. */
export interface VerifyReport {
  ok: boolean;
  kind: ExportKind | null;
  broadcastId: string | null;
  noticeId: string | null;
  noticeVersion: number | null;
  /** The notice version's title (signed trailer `notice-title`); null in exports made before it was written. */
  noticeTitle: Bilingual | null;
  /** The notice version's text (signed trailer `notice-body`); null in exports made before it was written. */
  noticeBody: Bilingual | null;
  /**
   * The texts the employees were actually sent, by text language (signed trailer `notice-sent`): only the languages
   * this broadcast sent in; null in exports made before it was written (or when a send predated its language's record).
   */
  noticeSent: Partial<Record<'zh' | 'zh-TW' | 'en', { title: string; body: string }>> | null;
  /** Who created (confirmed) the broadcast (signed trailer `created-by`); null in exports made before it was written. */
  createdBy: string | null;
  /** The audience the broadcast was created with (signed trailer `audience`, a JSON object); null in older exports. */
  audience: Record<string, unknown> | null;
  /** The audience in words, names from the directory (signed trailer `audience-text`); null in older exports. */
  audienceText: string | null;
  exportedAt: string | null;
  /** The signed chain head: how many audit rows it covers and the last one's hash. */
  chainRows: number | null;
  chainHead: string | null;
  /** Data rows in the file (under the header). */
  rows: number;
  signature: 'valid' | 'invalid' | 'unsigned' | 'missing';
  /**
   * The file lacked the byte order mark every export starts with (some programs drop it when they
   * decode the download as text) and the signature matched once it was put back.
   */
  bomRestored: boolean;
  /** Key the signature was checked with, and where it came from. */
  keyId: string | null;
  keySource: 'given' | 'file' | null;
  problems: VerifyProblem[];
}

/** Options of {@link verifyExport}. */
export interface VerifyOptions {
  /** The public key the company published; without it the key in the file's trailer is used (and said so). */
  publicKey?: EvidencePublicKey;
}

const SIGNATURE_PREFIX = '# signature: ';
/** A time cell as an export writes it: ISO 8601 with milliseconds and `Z` or an offset. */
const EXPORT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(?:Z|[+-]\d{2}:\d{2})$/;
/** UTF-8 byte order mark, the first bytes of every export (src/evidence/csv.ts). */
const BOM_BYTES = Buffer.from([0xef, 0xbb, 0xbf]);
/** The first bytes of a zip file (XLSX is one). */
const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const TRAILER_START = Buffer.from(`\r\n\r\n# ${TRAILER_TITLE}: `, 'latin1');

/** Trailer names in the order an export writes them (key-id and public-key only when signed). */
const TRAILER_NAMES = [TRAILER_TITLE, 'broadcast', 'notice', 'notice-version', 'notice-title', 'notice-body', 'notice-sent', 'created-by', 'audience', 'audience-text', 'exported-at', 'chain-rows', 'chain-head', 'key-id', 'public-key'] as const;

/** Trailer lines an older export lacks (it still verifies without them). */
const OPTIONAL_NAMES: ReadonlySet<string> = new Set(['notice-title', 'notice-body', 'notice-sent', 'created-by', 'audience', 'audience-text']);

/** A `notice-title` value (JSON with zh and en strings, zh-TW optional), or null. */
function parseTitle(s: string, json: (s: string) => string): Bilingual | null {
  try {
    const v = JSON.parse(json(s)) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
    const o = v as Record<string, unknown>;
    if (typeof o.zh !== 'string' || typeof o.en !== 'string' || Object.keys(o).some((k) => !['zh', 'en', 'zh-TW'].includes(k) || typeof o[k] !== 'string')) return null;
    return { zh: o.zh, en: o.en, ...(typeof o['zh-TW'] === 'string' ? { 'zh-TW': o['zh-TW'] } : {}) };
  } catch {
    return null;
  }
}

/** A `notice-sent` value (JSON: text language -> {title, body} strings), or null. */
function parseSent(s: string, json: (s: string) => string): VerifyReport['noticeSent'] {
  try {
    const v = JSON.parse(json(s)) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
    const out: NonNullable<VerifyReport['noticeSent']> = {};
    for (const [k, t] of Object.entries(v as Record<string, unknown>)) {
      if (k !== 'zh' && k !== 'zh-TW' && k !== 'en') return null;
      const o = t as { title?: unknown; body?: unknown } | null;
      if (typeof o !== 'object' || o === null || typeof o.title !== 'string' || typeof o.body !== 'string' || Object.keys(o).length !== 2) return null;
      out[k] = { title: o.title, body: o.body };
    }
    return out;
  } catch {
    return null;
  }
}

/** An `audience` value (a JSON object), or null. */
function parseJsonObject(s: string, json: (s: string) => string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(json(s)) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A `created-by` value (a JSON string), or null. */
function parseJsonString(s: string, json: (s: string) => string): string | null {
  try {
    const v = JSON.parse(json(s)) as unknown;
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
}

interface ParsedRow {
  /** 1-based data row. */
  row: number;
  line: number;
  seq: number | null;
  prevHash: string | null;
  hash: string | null;
  /** The row's cells give the hash it carries (and its time cells agree). */
  intact: boolean;
  /** Why not intact (reported once the chain walk knows whether the row was altered or added). */
  defect: string | null;
}

function where(r: ParsedRow): string {
  return `row ${r.row} (line ${r.line}${r.seq !== null ? `, seq ${r.seq}` : ''})`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Decimal integer ≥ 0 without sign or leading zeros, or null. */
function integer(s: string, min: number): number | null {
  if (!/^(0|[1-9][0-9]*)$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) && n >= min ? n : null;
}

/**
 * Verifies one export file (the bytes as downloaded). Never throws for bad input: everything
 * wrong with the file is a problem in the report.
 */
export function verifyExport(file: Buffer, options: VerifyOptions = {}): VerifyReport {
  const report: VerifyReport = {
    ok: false, kind: null, broadcastId: null, noticeId: null, noticeVersion: null, noticeTitle: null, noticeBody: null, noticeSent: null, createdBy: null, audience: null, audienceText: null, exportedAt: null,
    chainRows: null, chainHead: null, rows: 0, signature: 'missing', bomRestored: false, keyId: null, keySource: null, problems: [],
  };
  const problem = (kind: ProblemKind, message: string, r?: ParsedRow): void => {
    report.problems.push({ kind, message: r ? `${where(r)}: ${message}` : message, ...(r ? { row: r.row, line: r.line } : {}) });
  };

  // ---- trailer ----
  const start = file.lastIndexOf(TRAILER_START);
  if (start < 0) {
    if (file.subarray(0, 4).equals(ZIP_MAGIC)) {
      problem('not-an-export', 'an XLSX (or other zip) file: XLSX exports are for reading and carry no signature; verify the CSV export of the same broadcast (recipients.csv or audit.csv)');
    } else if (!file.includes(`# ${TRAILER_TITLE}: `, 0, 'utf8')) {
      problem('not-an-export', `not a privacy-bot CSV export: the file has no "# ${TRAILER_TITLE}: …" lines at all`);
    } else if (!file.includes('\r\n')) {
      // Every line of an export ends in CRLF (RFC 4180); a file with none was re-saved by an editor or checked out by
      // git with LF line ends. Its rows may be intact, but the signed bytes are the CRLF ones.
      problem('malformed', `the line ends were changed from CRLF to LF (the file was re-saved by an editor, or converted by git or a mail client): the signature and the hash chain are over the file as downloaded — verify that copy`);
    } else {
      problem('malformed', `no evidence trailer at the end: the "# ${TRAILER_TITLE}: …" lines are not where an export puts them (the file was cut off, or re-saved with other line ends)`);
    }
    return report;
  }
  const trailerText = file.subarray(start + 4).toString('utf8');
  if (!trailerText.endsWith('\r\n')) problem('malformed', 'the last line of the file does not end with CRLF (the file was cut off or re-saved)');
  const lines = trailerText.replace(/\r\n$/, '').split('\r\n');
  const signatureLine = lines.at(-1)!;
  const fields = new Map<string, string>();
  // Format v2 quotes a line holding `"` or `,` as one CSV cell; v1 never quotes (its values are percent-encoded).
  const quoted = !(lines[0] ?? '').endsWith(' v1');
  for (const line of lines.slice(0, -1)) {
    const cell = quoted ? /^"((?:[^"]|"")*)"$/.exec(line) : null;
    const l = cell ? cell[1]!.replace(/""/g, '"') : line;
    const m = /^# ([a-z -]+): (.*)$/.exec(l);
    if (!m || fields.has(m[1]!)) {
      problem('malformed', `unexpected trailer line "${l.slice(0, 80)}"`);
      continue;
    }
    fields.set(m[1]!, m[2]!);
  }
  const names = [...fields.keys()];
  const expectedNames = TRAILER_NAMES.filter((n) => !OPTIONAL_NAMES.has(n) || fields.has(n));
  if (names.some((n, i) => n !== expectedNames[i])) {
    problem('malformed', `trailer lines are not those of an export (${names.join(', ')})`);
  }
  const title = /^(audit|recipients) (v\d+)$/.exec(fields.get(TRAILER_TITLE) ?? '');
  if (!title || !TRAILER_VERSIONS.includes(title[2]!)) {
    problem('malformed', `unknown export kind or format "${fields.get(TRAILER_TITLE) ?? ''}" (this verifier reads audit and recipients ${TRAILER_VERSIONS.join(', ')}; exports now write ${TRAILER_VERSION})`);
    return report;
  }
  // A v1 value is percent-encoded JSON; a v2 value is the JSON itself.
  const json = title[2] === 'v1' ? readTrailerJson : (x: string) => x;
  report.kind = title[1] as ExportKind;
  report.broadcastId = fields.get('broadcast') ?? null;
  report.noticeId = fields.get('notice') ?? null;
  report.noticeVersion = integer(fields.get('notice-version') ?? '', 0);
  report.exportedAt = fields.get('exported-at') ?? null;
  if (fields.has('notice-title')) {
    report.noticeTitle = parseTitle(fields.get('notice-title')!, json);
    if (report.noticeTitle === null) problem('malformed', 'the trailer\'s notice-title is not the JSON title an export writes ({"zh":…,"en":…})');
  }
  if (fields.has('notice-body')) {
    report.noticeBody = parseTitle(fields.get('notice-body')!, json);
    if (report.noticeBody === null) problem('malformed', 'the trailer\'s notice-body is not the JSON text an export writes ({"zh":…,"en":…})');
  }
  if (fields.has('notice-sent')) {
    report.noticeSent = parseSent(fields.get('notice-sent')!, json);
    if (report.noticeSent === null) problem('malformed', 'the trailer\'s notice-sent is not the JSON an export writes ({"zh-TW":{"title":…,"body":…},…})');
  }
  if (fields.has('created-by')) {
    report.createdBy = parseJsonString(fields.get('created-by')!, json);
    if (report.createdBy === null) problem('malformed', 'the trailer\'s created-by is not the JSON string an export writes');
  }
  if (fields.has('audience')) {
    report.audience = parseJsonObject(fields.get('audience')!, json);
    if (report.audience === null) problem('malformed', 'the trailer\'s audience is not the JSON object an export writes');
  }
  if (fields.has('audience-text')) {
    report.audienceText = parseJsonString(fields.get('audience-text')!, json);
    if (report.audienceText === null) problem('malformed', 'the trailer\'s audience-text is not the JSON string an export writes');
  }
  report.chainRows = integer(fields.get('chain-rows') ?? '', 0);
  report.chainHead = fields.get('chain-head') ?? null;
  if (report.broadcastId === null || report.noticeId === null || report.noticeVersion === null || report.chainRows === null || !isHash(report.chainHead ?? '')) {
    problem('malformed', 'the trailer lacks a readable broadcast, notice, notice-version, chain-rows or chain-head');
    return report;
  }

  // ---- signature ----
  if (!signatureLine.startsWith(SIGNATURE_PREFIX)) {
    problem('malformed', 'the last line is not "# signature: …"');
  } else {
    const signature = signatureLine.slice(SIGNATURE_PREFIX.length);
    const signed = file.subarray(0, file.length - Buffer.byteLength(`${signatureLine}\r\n`, 'utf8'));
    if (signature === UNSIGNED_MARK) {
      report.signature = 'unsigned';
      problem('unsigned', report.kind === 'audit'
        ? 'the file is not signed (EVIDENCE_SIGNING_KEY was not set where it was exported): the rows\' hash chain is checked (see "hash chain" above), but anyone can rebuild a chain, so nothing shows the file was not rebuilt'
        : 'the file is not signed (EVIDENCE_SIGNING_KEY was not set where it was exported), and a recipients export has no hash chain: nothing in it can be checked, an edited row would go unnoticed — export it with a signing key, or check the audit export of the same broadcast');
    } else {
      let key = options.publicKey;
      report.keySource = key ? 'given' : 'file';
      if (!key) {
        try {
          key = parsePublicKey(fields.get('public-key') ?? '');
        } catch {
          problem('malformed', 'the trailer has no readable public key; give the key with --pubkey');
        }
      }
      const keyId = fields.get('key-id');
      if (key) {
        report.keyId = key.keyId;
        if (keyId !== key.keyId) {
          problem('key', report.keySource === 'given'
            ? `the file says it was signed with key ${keyId ?? '(none)'}, not with the key given (${key.keyId})`
            : `the trailer's key-id ${keyId ?? '(none)'} is not the id of its public key (${key.keyId})`);
        }
        report.signature = verifyBytes(key, signed, signature) ? 'valid' : 'invalid';
        if (report.signature === 'invalid' && !signed.subarray(0, 3).equals(BOM_BYTES) && verifyBytes(key, Buffer.concat([BOM_BYTES, signed]), signature)) {
          report.signature = 'valid';
          report.bomRestored = true;
        }
      } else {
        report.signature = 'invalid';
      }
    }
  }

  // ---- rows ----
  const body = file.subarray(0, start + 2);
  let records: { record: string[]; info: { bytes: number } }[];
  try {
    records = parse(body, { bom: true, info: true, relax_column_count: true }) as unknown as typeof records;
  } catch (err) {
    problem('malformed', `the CSV rows cannot be read: ${(err as Error).message}`);
    records = [];
  }
  const newlines: number[] = [];
  for (let i = body.indexOf(10); i >= 0; i = body.indexOf(10, i + 1)) newlines.push(i);
  /** 1-based line of the byte at `offset`: 1 + the newlines before it (binary search). */
  const lineAt = (offset: number): number => {
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (newlines[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  const expectedHeader: readonly string[] = report.kind === 'audit' ? AUDIT_HEADER : RECIPIENTS_HEADER;
  const header = records[0]?.record.join(',');
  const auditV1 = report.kind === 'audit' && header === AUDIT_HEADER_V1.join(',');
  const headerOk = header === expectedHeader.join(',') || auditV1 || (report.kind === 'recipients' && (header === RECIPIENTS_HEADER_V1.join(',') || header === RECIPIENTS_HEADER_V2.join(',') || header === RECIPIENTS_HEADER_V3.join(',')));
  if (records.length === 0 || !headerOk) {
    problem('malformed', `the first row is not the ${report.kind} header (${expectedHeader.join(',')})`);
  }
  const data = records.slice(1);
  report.rows = data.length;
  if (report.kind === 'audit' && records.length > 0) {
    const columns: readonly string[] = auditV1 ? AUDIT_HEADER_V1 : AUDIT_HEADER;
    const rows = data.map((r, i) => checkAuditRow(r.record, columns, i + 1, lineAt(records[i]!.info.bytes), report.broadcastId!));
    walkChain(rows, genesisHash({ broadcastId: report.broadcastId, noticeId: report.noticeId, version: report.noticeVersion }), report.chainHead!, report.chainRows, problem);
  }
  if (report.signature === 'invalid') {
    const located = report.problems.some((p) => p.row !== undefined || p.kind === 'removed' || p.kind === 'head');
    problem('signature', located
      ? 'the signature does not match the file: it was changed after it was signed (the rows above show where)'
      : report.kind === 'audit'
        ? 'the signature does not match the file: every row still fits its chain, so what changed is outside the hashed cells (header, trailer, a time, name or department display cell, quoting or line ends), or the file was signed with another key'
        : 'the signature does not match the file: it was changed after it was signed, or signed with another key');
  }
  report.ok = report.signature === 'valid' && report.problems.length === 0;
  return report;
}

/**
 * Parses and self-checks one audit row laid out as `columns` ({@link AUDIT_HEADER}, or
 * {@link AUDIT_HEADER_V1} in older exports): its hashed cells (src/evidence/csv.ts `AUDIT_HASHED`)
 * must give the hash it carries and its time cell must be its timeMs. name and department are not
 * checked here: they are outside the chain, covered by the file's signature only.
 */
function checkAuditRow(raw: string[], columns: readonly string[], row: number, line: number, broadcastId: string): ParsedRow {
  const r: ParsedRow = { row, line, seq: null, prevHash: null, hash: null, intact: false, defect: null };
  if (raw.length !== columns.length) {
    r.defect = `has ${raw.length} cells instead of ${columns.length}`;
    return r;
  }
  const cells = raw.map(csvCellValue);
  const cell = (name: string): string => cells[columns.indexOf(name)]!;
  const [time, bid, userId, from, to, reason, seqCell, msCell, prevHash, hash] = ['time', 'broadcastId', 'userId', 'from', 'to', 'reason', 'seq', 'timeMs', 'prevHash', 'hash'].map(cell) as [string, string, string, string, string, string, string, string, string, string];
  r.seq = integer(seqCell, 1);
  r.prevHash = isHash(prevHash) ? prevHash : null;
  r.hash = isHash(hash) ? hash : null;
  const at = integer(msCell, 0);
  if (r.seq === null || at === null || r.prevHash === null || r.hash === null) {
    r.defect = 'its seq, timeMs, prevHash or hash cell is not in the form an export writes';
    return r;
  }
  const computed = rowHash({ seq: r.seq, prevHash: r.prevHash, broadcastId: bid, at, userId: userId === '' ? null : userId, from, to, reason });
  if (computed !== r.hash) {
    r.defect = `its cells no longer give the hash it carries${bid !== broadcastId ? ` (its broadcast id ${bid} is not ${broadcastId})` : ''}`;
    return r;
  }
  // The company's zone with its offset (…+08:00), or UTC (…Z) as exports before it wrote.
  if (!EXPORT_TIME.test(time) || Date.parse(time) !== at) {
    r.defect = `its time ${time} is not its timeMs ${at} (${new Date(at).toISOString()})`;
    return r;
  }
  r.intact = true;
  return r;
}

/**
 * Walks the chain back from the signed head to the genesis hash through the rows' hashes, then
 * names what does not fit: rows missing from the walk (removed), rows off the walk (inserted, or
 * re-hashed after an edit), and walk steps that go backwards in the file (reordered).
 */
function walkChain(
  rows: ParsedRow[],
  genesis: string,
  head: string,
  headRows: number,
  problem: (kind: ProblemKind, message: string, r?: ParsedRow) => void,
): void {
  const byHash = new Map<string, ParsedRow[]>();
  for (const r of rows) if (r.hash) byHash.set(r.hash, [...(byHash.get(r.hash) ?? []), r]);
  const used = new Set<ParsedRow>();
  const chain: ParsedRow[] = []; // newest first
  const gaps: { from: number; to: number; after: ParsedRow | null; accounted?: Set<number> }[] = []; // seq from..to missing, just before `after` (null = at the end)
  let cur = head;
  let expected = headRows; // seq of the row whose hash is `cur`
  for (let guard = rows.length + headRows + 2; guard > 0 && cur !== genesis && expected > 0; guard--) {
    const candidates = (byHash.get(cur) ?? []).filter((r) => !used.has(r));
    const found = candidates.find((r) => r.intact) ?? candidates[0];
    if (found) {
      chain.push(found);
      used.add(found);
      if (found.intact && found.seq !== expected) {
        problem('head', `carries seq ${found.seq} where the chain has seq ${expected}`, found);
      }
      if (!found.prevHash) break;
      cur = found.prevHash;
      expected--;
      continue;
    }
    // The row with hash `cur` (seq `expected`) is not in the file: resume from the nearest earlier intact row.
    const below = rows.filter((r) => r.intact && !used.has(r) && r.seq !== null && r.seq < expected).sort((a, b) => b.seq! - a.seq!)[0];
    gaps.push({ from: (below?.seq ?? 0) + 1, to: expected, after: chain.at(-1) ?? null });
    if (!below) break;
    cur = below.hash!;
    expected = below.seq!;
  }
  chain.reverse();

  // Rows whose seq falls in a gap explain it: an edited row (its hash cell changed, or re-hashed
  // so the next row no longer links to it) is "altered", not "removed".
  for (const g of gaps) {
    g.accounted = new Set<number>();
    for (const r of rows) {
      if (used.has(r) || r.seq === null || r.seq < g.from || r.seq > g.to) continue;
      used.add(r);
      g.accounted.add(r.seq);
      problem('altered', r.intact ? 'altered and re-hashed: the row after it no longer links to it' : `altered: ${r.defect}`, r);
    }
  }
  for (const r of rows) {
    if (r.intact) continue;
    if (used.has(r) && r.defect !== null && !gaps.some((g) => g.accounted?.has(r.seq ?? -1))) {
      problem('altered', `altered: ${r.defect}`, r);
    } else if (!used.has(r)) {
      problem(r.seq !== null && r.seq > headRows ? 'inserted' : 'altered', r.seq !== null && r.seq > headRows
        ? `not covered by the signed chain head (${headRows} rows): added after export (and ${r.defect})`
        : `altered: ${r.defect}`, r);
    }
  }
  for (const g of gaps) {
    const missing = g.to - g.from + 1 - g.accounted!.size;
    if (missing <= 0) continue;
    const seqs = g.from === g.to ? `seq ${g.from}` : `seq ${g.from}–${g.to}`;
    if (g.after) {
      problem('removed', `${plural(missing, 'row')} removed before ${where(g.after)}: ${seqs} missing, the chain no longer links it to the row above`);
    } else {
      problem('removed', `${plural(missing, 'row')} removed at the end: ${seqs} missing, the signed chain head covers ${headRows} rows`);
    }
  }
  for (const r of rows.filter((x) => x.intact && !used.has(x))) {
    problem('inserted', r.seq !== null && r.seq > headRows
      ? `not covered by the signed chain head (${headRows} rows): added after export`
      : 'not part of the chain that ends at the signed head: inserted (or a copy of another row)', r);
  }
  for (let i = 1; i < chain.length; i++) {
    if (chain[i]!.row < chain[i - 1]!.row) {
      problem('reordered', `out of order: it comes before ${where(chain[i - 1]!)} in the file but after it in the chain`, chain[i]!);
    }
  }
}
