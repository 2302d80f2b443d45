import { parse, CsvError } from 'csv-parse/sync';
import type { ArchivingStatus, Store } from '../store/ports/store.ts';
import type { Lang } from '../platform/message.ts';
import { formatDate } from '../notices/clock.ts';

/**
 * Session-archiving (会话存档) statuses: the administrator's CSV import, and the line that tells
 * an employee their own status. Statuses are personal data: nothing here logs them.
 */

/** The one accepted CSV header (exact, case-sensitive). */
/**
 * How the `archived` column may say yes and no, compared in lower case: true/false as the header documents, and what a
 * spreadsheet typed by HR says instead (yes/no, 1/0, 是/否).
 */
const ARCHIVED_TRUE: ReadonlySet<string> = new Set(['true', 'yes', 'y', '1', '是']);
const ARCHIVED_FALSE: ReadonlySet<string> = new Set(['false', 'no', 'n', '0', '否']);

export const STATUS_CSV_HEADER = ['platform', 'userId', 'archived', 'since', 'scope'] as const;

/**
 * A date as a spreadsheet writes it: year, month, day separated by '-' or '/' (1 or 2 digit month and day),
 * optionally followed by a time of day (Excel's "2026/3/1 9:05"), which is dropped.
 */
const SINCE_DATE = /^(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$/;

/** `text` as YYYY-MM-DD when it is a date {@link SINCE_DATE} accepts, else null (not yet checked against the calendar). */
function sinceDate(text: string): string | null {
  const m = SINCE_DATE.exec(text);
  return m ? `${m[1]}-${m[3]!.padStart(2, '0')}-${m[4]!.padStart(2, '0')}` : null;
}
/** Longest accepted user id and scope, in characters (UTF-16 code units). */
export const MAX_USER_ID_CHARS = 256;
export const MAX_SCOPE_CHARS = 1000;

/**
 * What is wrong with a CSV line, as a stable kind and its parameters, so that a client can say it in
 * its own language (the console does; `message` is the English of all of a line's problems):
 * csv_syntax {detail}, empty_file, bad_header {got}, columns {expected, got}, platform {allowed, got},
 * user_id_empty, user_id_long {max}, user_id_control, archived {got}, since_required,
 * since_format {got}, since_not_date {got}, scope_long {max}, duplicate {first} (the line it repeats).
 */
export interface RowProblem {
  kind: string;
  detail?: string;
  got?: string | number;
  expected?: number;
  allowed?: string;
  max?: number;
  first?: number;
}

/** One rejected CSV line: 1-based line number in the file (header = line 1), a reason, and its problems by kind. */
export interface CsvLineError {
  line: number;
  message: string;
  problems: RowProblem[];
}

/**
 * Parses the administrator's status CSV (RFC 4180 through csv-parse) into statuses.
 *
 * Format: UTF-8 with or without BOM, CRLF or LF, first line exactly
 * `platform,userId,archived,since,scope`, then one employee per record:
 * - platform: one of `platforms` (e.g. 'wecom', 'dingtalk'); any other name is an error listing them;
 * - userId: non-empty, at most 256 characters, no control characters;
 * - archived: `true` or `false` (any letter case, as spreadsheets write TRUE/FALSE);
 * - since: a real calendar date, `YYYY-MM-DD` or as a spreadsheet writes it (`2026/3/1`, `2026-3-1`, and with
 *   a time of day, `2026/03/01 9:05`, the time dropped), stored as YYYY-MM-DD; required when archived is true,
 *   may be empty when false (then the date archiving stopped, or unknown);
 * - scope: free text up to 1000 characters, may be quoted (commas, doubled quotes, line
 *   breaks); empty -> null.
 * Fields are trimmed of surrounding white space; blank (or all-blank) lines are ignored. A
 * (platform, userId) pair twice in one file is an error on the later line.
 *
 * Every bad record is reported with its (first) line number and a reason; only valid records
 * appear in `statuses`. A CSV syntax error (unbalanced quotes) ends parsing: it is reported at
 * its line and nothing after it is read, since its records cannot be told apart reliably.
 * Statuses get source 'import' and updatedAt = `now` as ISO 8601 UTC. Never throws for bad input.
 * @param platforms the platforms a status can be imported for: those whose messages look statuses up (the
 *   composition root passes adapters/platforms.ts `PLATFORM_IDS`; the WeCom app and the WeCom AI bot both ask
 *   as 'wecom'). A status for any other name would never be shown to anyone, so such a row is refused rather
 *   than imported silently.
 */
export function parseStatusCsv(csv: string, now: Date, platforms: readonly string[]): { statuses: ArchivingStatus[]; errors: CsvLineError[] } {
  const statuses: ArchivingStatus[] = [];
  const errors: CsvLineError[] = [];
  const updatedAt = now.toISOString();

  // csv-parse miscounts lines when CRLF sits inside a quoted field; with LF only its counts are
  // exact. A CRLF inside a scope becomes LF, which is also what we want to keep.
  const text = csv.replace(/\r\n/g, '\n');
  let records: { record: string[]; info: { lines: number } }[];
  try {
    // With info: true each record comes as { record, info } (the typings only know string[][]).
    records = parse(text, { bom: true, info: true, relax_column_count: true, skip_empty_lines: true }) as unknown as typeof records;
  } catch (err) {
    if (err instanceof CsvError) {
      const line = (err as CsvError & { lines?: number }).lines ?? 1;
      return { statuses: [], errors: [{ line, message: `CSV syntax error: ${err.message}`, problems: [{ kind: 'csv_syntax', detail: err.message }] }] };
    }
    throw err;
  }

  const rows = records
    .map(({ record, info }) => ({
      fields: record,
      // info.lines is the line the record ends on; line breaks can only be inside quoted fields.
      line: info.lines - record.reduce((n, f) => n + (f.match(/\n/g)?.length ?? 0), 0),
    }))
    .filter((r) => r.fields.some((f) => f.trim() !== ''));

  const header = rows.shift();
  if (!header) {
    return { statuses, errors: [{ line: 1, message: `empty file: expected the header ${STATUS_CSV_HEADER.join(',')}`, problems: [{ kind: 'empty_file' }] }] };
  }
  if (header.fields.join(',') !== STATUS_CSV_HEADER.join(',')) {
    return {
      statuses,
      errors: [{ line: header.line, message: `bad header: expected exactly ${STATUS_CSV_HEADER.join(',')}, got ${clip(header.fields.join(','))}`, problems: [{ kind: 'bad_header', got: clip(header.fields.join(',')) }] }],
    };
  }

  const seen = new Map<string, number>();
  for (const { fields, line } of rows) {
    const texts: string[] = [];
    const kinds: RowProblem[] = [];
    const problem = (text: string, p: RowProblem) => {
      texts.push(text);
      kinds.push(p);
    };
    if (fields.length !== STATUS_CSV_HEADER.length) {
      errors.push({ line, message: `expected ${STATUS_CSV_HEADER.length} columns (${STATUS_CSV_HEADER.join(',')}), got ${fields.length}`, problems: [{ kind: 'columns', expected: STATUS_CSV_HEADER.length, got: fields.length }] });
      continue;
    }
    const [platform, userId, archivedText, sinceText, scopeText] = fields.map((f) => f.trim()) as [string, string, string, string, string];

    if (!platforms.includes(platform)) problem(`platform must be one of ${platforms.join(', ')} (lower case), got ${clip(platform)}`, { kind: 'platform', allowed: platforms.join(', '), got: clip(platform) });
    if (userId === '') problem('userId is empty', { kind: 'user_id_empty' });
    else if (userId.length > MAX_USER_ID_CHARS) problem(`userId is longer than ${MAX_USER_ID_CHARS} characters`, { kind: 'user_id_long', max: MAX_USER_ID_CHARS });
    // eslint-disable-next-line no-control-regex
    else if (/[\u0000-\u001f\u007f]/.test(userId)) problem('userId contains control characters', { kind: 'user_id_control' });

    const lower = archivedText.toLowerCase();
    const archived = ARCHIVED_TRUE.has(lower) ? true : ARCHIVED_FALSE.has(lower) ? false : null;
    if (archived === null) problem(`archived must be true or false (yes/no, 1/0, 是/否), got ${clip(archivedText)}`, { kind: 'archived', got: clip(archivedText) });

    let since: string | null = null;
    const sinceYmd = sinceDate(sinceText);
    if (sinceText === '') {
      if (archived === true) problem('since is required when archived is true', { kind: 'since_required' });
    } else if (sinceYmd === null) {
      problem(`since must be a date: year-month-day such as 2026-03-01 or 2026/3/1, got ${clip(sinceText)}`, { kind: 'since_format', got: clip(sinceText) });
    } else if (!isCalendarDate(sinceYmd)) {
      problem(`since ${sinceText} is not a calendar date`, { kind: 'since_not_date', got: clip(sinceText) });
    } else {
      since = sinceYmd;
    }

    if (scopeText.length > MAX_SCOPE_CHARS) problem(`scope is longer than ${MAX_SCOPE_CHARS} characters`, { kind: 'scope_long', max: MAX_SCOPE_CHARS });

    if (texts.length === 0) {
      const id = `${platform}\u0000${userId}`;
      const first = seen.get(id);
      if (first !== undefined) problem(`duplicate of line ${first} (same platform and userId)`, { kind: 'duplicate', first });
      else seen.set(id, line);
    }
    if (texts.length > 0) {
      errors.push({ line, message: texts.join('; '), problems: kinds });
      continue;
    }
    statuses.push({
      platform,
      userId,
      archived: archived!,
      since,
      scope: scopeText === '' ? null : scopeText,
      source: 'import',
      updatedAt,
    });
  }
  return { statuses, errors };
}

/**
 * Parses `csv` (see {@link parseStatusCsv}) and, only when every line is good, writes all its
 * statuses in one store transaction (insert or replace by platform + userId). All or nothing:
 * with any error nothing is written and `imported` is 0.
 * @param platforms the platforms a status can be imported for ({@link parseStatusCsv}).
 * @param now time stamped as updatedAt; default the current time.
 * @returns how many statuses were written, and the line errors.
 * @throws BotError 'STORE_UNAVAILABLE' when the store cannot be written (nothing is written then).
 */
export async function importStatuses(
  store: Store,
  csv: string,
  platforms: readonly string[],
  now: Date = new Date(),
): Promise<{ imported: number; errors: CsvLineError[] }> {
  const { statuses, errors } = parseStatusCsv(csv, now, platforms);
  if (errors.length > 0) return { imported: 0, errors };
  const imported = await store.putStatuses(statuses);
  return { imported, errors: [] };
}

/** Words for the core's own sources, per language; a platform's source describes itself ({@link SourceDescription}). */
const SOURCE_WORDS: Record<string, Record<Lang, string>> = {
  import: { en: 'imported by your administrator', 'zh-CN': '管理员导入', 'zh-TW': '管理員匯入' },
  'company policy': { en: 'company policy', 'zh-CN': '公司政策', 'zh-TW': '公司政策' },
};

/**
 * How a platform's status source reads in a status line (from ArchiveSource, src/platform/archive.ts, or an
 * adapter's `statusSource`, src/platform/adapter.ts): its name per language and the translations of the scopes it
 * writes. `synced`: its statuses are synced from the platform on a schedule, so the line says when the platform was
 * last asked ("last checked …"); otherwise when the status was written ("updated …").
 */
export interface SourceDescription {
  label?: Readonly<Record<Lang, string>>;
  scopeTexts?: Readonly<Record<string, Readonly<Record<Lang, string>>>>;
  synced?: boolean;
}

/** The description of a status source by its name (ArchivingStatus.source), or undefined for the core's own sources. */
export type DescribeSource = (sourceName: string) => SourceDescription | undefined;

/**
 * The status line appended to an answer for the asking employee (only them, never in a group),
 * in `lang`. Three states:
 * - archived: en "Your archiving status: archived since 2026-03-01, scope: <scope> (source:
 *   imported by your administrator, updated 2026-05-02)."; zh-CN "你的会话存档状态：自 2026-03-01
 *   起已存档，范围：…（来源：管理员导入，更新于 2026-05-02）"; zh-TW likewise in traditional characters;
 * - not archived: "… not archived (since <date> when known) (source …)." / "未存档" / "未存檔";
 * - null (no record): "Your archiving status: no record — ask your administrator. (…an archiving notice you received
 *   says what the company told you.)" / "你的会话存档状态：暂无记录——请咨询你的管理员（…）" / zh-TW likewise: a notice the
 *   employee acknowledged may name a scope the bot has no record of, and the line must not read as contradicting it.
 * Parts that are unknown (since, scope, a bad updatedAt) are left out. Dates are YYYY-MM-DD;
 * updatedAt is shown as its date in `timeZone` (the company's, as the notices' acknowledgement dates beside it are;
 * UTC when not given). Line breaks in the scope become spaces. Never throws.
 * @param describe the platform archive sources by name (src/archiving/directory.ts `describe`); a
 *   status of a described source says when it was last checked instead of when it was updated
 * @param timeZone IANA time zone of the dates shown (e.g. 'Asia/Shanghai'); default 'UTC'
 */
export function formatStatus(status: ArchivingStatus | null, lang: Lang, describe: DescribeSource = () => undefined, timeZone = 'UTC'): string {
  const t = TEXTS[lang] ?? TEXTS.en;
  if (status === null) return t.noRecord;
  const since = status.since === null || status.since.trim() === '' ? null : status.since.trim();
  const described = describe(status.source);
  const plainScope = status.scope === null ? '' : status.scope.replace(/\s+/g, ' ').trim();
  const scope = described?.scopeTexts?.[plainScope]?.[lang] ?? plainScope;
  const source = SOURCE_WORDS[status.source]?.[lang] ?? described?.label?.[lang] ?? status.source;
  const state = status.archived ? t.archived(since, scope === '' ? null : scope) : t.notArchived(since);
  // A synced status says when the platform was last asked; an imported or declared one, when it was written.
  if (described?.synced) return t.checked(state, source, isoMinute(status.updatedAt));
  return t.line(state, source, zonedDate(status.updatedAt, timeZone));
}

interface StatusTexts {
  noRecord: string;
  archived(since: string | null, scope: string | null): string;
  notArchived(since: string | null): string;
  line(state: string, source: string, updated: string | null): string;
  checked(state: string, source: string, checkedAt: string | null): string;
}

const TEXTS: Record<Lang, StatusTexts> = {
  en: {
    noRecord: 'Your archiving status: no record — ask your administrator. (No status has been imported or declared for you here; an archiving notice you received says what the company told you.)',
    archived: (since, scope) => `archived${since ? ` since ${since}` : ''}${scope ? `, scope: ${scope}` : ''}`,
    notArchived: (since) => `not archived${since ? ` since ${since}` : ''}`,
    line: (state, source, updated) =>
      `Your archiving status: ${state} (source: ${source}${updated ? `, updated ${updated}` : ''}).`,
    checked: (state, source, at) => `Your archiving status: ${state} (source: ${source}${at ? `, last checked ${at}` : ''}).`,
  },
  'zh-CN': {
    noRecord: '你的会话存档状态：暂无记录——请咨询你的管理员（这里没有为你导入或声明的状态；如果你收到过存档告知书，告知书写的是公司告诉你的范围）',
    archived: (since, scope) => `${since ? `自 ${since} 起` : ''}已存档${scope ? `，范围：${scope}` : ''}`,
    notArchived: (since) => `${since ? `自 ${since} 起` : ''}未存档`,
    line: (state, source, updated) => `你的会话存档状态：${state}（来源：${source}${updated ? `，更新于 ${updated}` : ''}）`,
    checked: (state, source, at) => `你的会话存档状态：${state}（来源：${source}${at ? `，最近查询于 ${at}` : ''}）`,
  },
  'zh-TW': {
    noRecord: '你的會話存檔狀態：暫無記錄——請諮詢你的管理員（這裡沒有為你匯入或聲明的狀態；如果你收到過存檔告知書，告知書寫的是公司告訴你的範圍）',
    archived: (since, scope) => `${since ? `自 ${since} 起` : ''}已存檔${scope ? `，範圍：${scope}` : ''}`,
    notArchived: (since) => `${since ? `自 ${since} 起` : ''}未存檔`,
    line: (state, source, updated) => `你的會話存檔狀態：${state}（來源：${source}${updated ? `，更新於 ${updated}` : ''}）`,
    checked: (state, source, at) => `你的會話存檔狀態：${state}（來源：${source}${at ? `，最近查詢於 ${at}` : ''}）`,
  },
};

/** 'YYYY-MM-DD HH:MM UTC' of an ISO time stamp, or null when it is not a valid time. */
function isoMinute(iso: string): string | null {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** 'YYYY-MM-DD' of an ISO time stamp in `timeZone` (its UTC date when the zone is unknown), or null when it is not a valid time. */
function zonedDate(iso: string, timeZone: string): string | null {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return null;
  try {
    return formatDate(ms, timeZone);
  } catch {
    return new Date(ms).toISOString().slice(0, 10);
  }
}

/** True when 'YYYY-MM-DD' names a day that exists (2026-02-30 does not; 2028-02-29 does). */
function isCalendarDate(ymd: string): boolean {
  const [y, m, d] = ymd.split('-').map(Number) as [number, number, number];
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  return y >= 1 && days !== undefined && d >= 1 && d <= days;
}

/** A field value for an error message: quoted, at most 40 characters. */
function clip(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}
