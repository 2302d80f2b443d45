import { BotError } from '../../errors.ts';
import { AWAITING_CONFIRMATION, MAX_RECIPIENT_LABEL_CHARS, NOTICE_LANGUAGES } from './notices.ts';
import type { NewRecipient, AudienceSpec, Bilingual, BatchSettlement, ClaimOptions, NewBroadcast, RecipientQuery } from './notices.ts';

/**
 * Argument checks of the notice port, run once in front of either backend by the checked facade
 * (./checked.ts), so both reject the same bad input the same way: BotError 'STORE_BAD_ARGUMENT'
 * (status 500 — a caller bug; user input is validated earlier, in src/notices/ and src/admin/).
 * Messages never contain notice text or user ids. The cursor helpers are the backends' own.
 */

/** Notice and broadcast ids: letters, digits, '-' and '_', 1–64 characters (no ':' or braces: they are Redis key parts). */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Platform ids: lower-case letter, then a-z 0-9 '-', at most 32 characters. */
export const PLATFORM_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
/** Longest user id, in characters. */
export const MAX_USER_ID_CHARS = 256;

function bad(message: string): never {
  throw new BotError('STORE_BAD_ARGUMENT', message);
}

export function checkId(id: string, what: string): string {
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) bad(`${what} must match ${ID_PATTERN}`);
  return id;
}

export function checkPlatform(platform: string): string {
  if (typeof platform !== 'string' || !PLATFORM_PATTERN.test(platform)) bad(`platform must match ${PLATFORM_PATTERN}`);
  return platform;
}

export function checkUserId(userId: string, method: string): string {
  // eslint-disable-next-line no-control-regex
  if (typeof userId !== 'string' || userId.length === 0 || userId.length > MAX_USER_ID_CHARS || /[\u0000-\u001f\u007f]/.test(userId)) {
    bad(`${method}: a user id must be 1–${MAX_USER_ID_CHARS} characters without control characters`);
  }
  return userId;
}

export function checkTime(t: number, what: string): number {
  if (typeof t !== 'number' || !Number.isSafeInteger(Math.round(t)) || t < 0) bad(`${what} must be ms since the epoch`);
  return Math.round(t);
}

export function checkVersion(v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) bad('version must be an integer ≥ 1');
  return v;
}

function checkBilingual(b: Bilingual, what: string): void {
  if (b === null || typeof b !== 'object' || typeof b.zh !== 'string' || typeof b.en !== 'string') bad(`${what} must be {zh, en} strings`);
  if (b['zh-TW'] !== undefined && (typeof b['zh-TW'] !== 'string' || b['zh-TW'] === '')) bad(`${what}.zh-TW must be a non-empty string when given`);
}

export function checkContent(c: { title: Bilingual; body: Bilingual }): void {
  if (c === null || typeof c !== 'object') bad('notice content must be an object');
  checkBilingual(c.title, 'title');
  checkBilingual(c.body, 'body');
}

export function checkAudience(a: AudienceSpec): void {
  if (a === null || typeof a !== 'object') bad('audience must be an object');
  const ids = (v: unknown, what: string) => {
    if (!Array.isArray(v) || !v.every((d) => typeof d === 'string' && d.length > 0)) bad(`${what} must be non-empty strings`);
  };
  const r = a as { all?: unknown; departmentIds?: unknown; userIds?: unknown; exclude?: { departmentIds?: unknown; userIds?: unknown } };
  if ('all' in r) {
    if (r.all !== true) bad('audience.all must be true');
    if ('departmentIds' in r || 'userIds' in r) bad('audience.all cannot be combined with departmentIds or userIds');
  } else if ('departmentIds' in r || 'userIds' in r) {
    if ('departmentIds' in r) ids(r.departmentIds, 'audience.departmentIds');
    if ('userIds' in r) ids(r.userIds, 'audience.userIds');
  } else bad('audience must have all, departmentIds or userIds');
  if ('exclude' in r) {
    if (r.exclude === null || typeof r.exclude !== 'object') bad('audience.exclude must be an object');
    if ('departmentIds' in r.exclude) ids(r.exclude.departmentIds, 'audience.exclude.departmentIds');
    if ('userIds' in r.exclude) ids(r.exclude.userIds, 'audience.exclude.userIds');
  }
}

export function checkNewBroadcast(b: NewBroadcast): void {
  checkId(b.id, 'broadcast id');
  checkId(b.noticeId, 'notice id');
  checkVersion(b.version);
  checkPlatform(b.platform);
  checkAudience(b.audience);
  if (b.notBefore !== undefined && b.notBefore !== null && (!Number.isSafeInteger(b.notBefore) || b.notBefore < 0)) bad('notBefore must be whole ms since the epoch or null');
  if (typeof b.readSupported !== 'boolean') bad('readSupported must be a boolean');
  if (typeof b.createdBy !== 'string' || b.createdBy.length === 0 || b.createdBy.length > 300) bad('createdBy must be 1–300 characters');
  if (b.preparation !== undefined) {
    checkOwner(b.preparation.owner, 'createBroadcast: preparation owner');
    if (b.preparation.owner === AWAITING_CONFIRMATION) bad('createBroadcast: preparation owner is reserved');
    checkTime(b.preparation.leaseUntil, 'createBroadcast: preparation leaseUntil');
  }
}

/** A lease owner (worker or instance id): 1–200 characters. */
export function checkOwner(owner: string, what: string): void {
  if (typeof owner !== 'string' || owner.length === 0 || owner.length > 200) bad(`${what} must be 1–200 characters`);
}

export function checkClaimOptions(o: ClaimOptions): void {
  if (typeof o.owner !== 'string' || o.owner.length === 0 || o.owner.length > 200) bad('claim: owner must be 1–200 characters');
  if (!Number.isSafeInteger(o.max) || o.max < 1 || o.max > 10_000) bad('claim: max must be an integer 1–10000');
  if (!Number.isFinite(o.leaseMs) || o.leaseMs <= 0) bad('claim: leaseMs must be > 0');
  if (!Number.isFinite(o.deferMs) || o.deferMs <= 0) bad('claim: deferMs must be > 0');
}

export function checkSettlement(s: BatchSettlement): void {
  if (s === null || typeof s !== 'object' || !Array.isArray(s.sent) || !Array.isArray(s.failed) || !Array.isArray(s.retry)) {
    bad('settle: settlement must have sent, failed and retry lists');
  }
  s.sent.forEach((u) => checkUserId(u, 'settle'));
  for (const f of s.failed) {
    checkUserId(f.userId, 'settle');
    if (typeof f.reason !== 'string') bad('settle: a failure needs a reason');
  }
  for (const r of s.retry) {
    checkUserId(r.userId, 'settle');
    checkTime(r.notBefore, 'settle: notBefore');
  }
  if (s.readHandle !== undefined && (typeof s.readHandle !== 'string' || s.readHandle.length === 0)) bad('settle: readHandle must be a non-empty string');
  if (s.language !== undefined && !NOTICE_LANGUAGES.includes(s.language)) bad(`settle: language must be one of ${NOTICE_LANGUAGES.join(', ')}`);
}

/** Truncates a failure reason to 500 characters (platform messages can be long). */
export function clipReason(reason: string): string {
  return reason.length > 500 ? `${reason.slice(0, 497)}...` : reason;
}

/**
 * Upper bound of a user-id prefix range: `prefix <= id < prefix + PREFIX_END` holds exactly for ids
 * starting with `prefix` (U+10FFFF is the largest code point, its UTF-8 bytes F4 8F BF BF sort after
 * every other character's, as SQLite's BINARY collation and Redis's lex ranges compare bytes).
 */
export const PREFIX_END = '\u{10FFFF}';

/** Most recipients one page may hold. */
export const MAX_RECIPIENT_PAGE = 1000;

const RECIPIENT_STATES = new Set(['pending', 'sent', 'failed', 'read', 'acknowledged']);

/** A checked recipients query with defaults filled in. @throws STORE_BAD_ARGUMENT */
export function checkRecipientQuery(q: RecipientQuery): Required<Omit<RecipientQuery, 'state' | 'after'>> & Pick<RecipientQuery, 'state' | 'after'> {
  if (q.state !== undefined && !RECIPIENT_STATES.has(q.state)) bad('state must be pending, sent, failed, read or acknowledged');
  if (q.sort !== 'user' && q.sort !== 'state' && q.sort !== 'time') bad('sort must be user, state or time');
  if (q.order !== 'asc' && q.order !== 'desc') bad('order must be asc or desc');
  if (!Number.isSafeInteger(q.limit) || q.limit < 1 || q.limit > MAX_RECIPIENT_PAGE) bad(`limit must be 1..${MAX_RECIPIENT_PAGE}`);
  const offset = q.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) bad('offset must be a non-negative integer');
  const prefix = q.prefix ?? '';
  if (typeof prefix !== 'string' || prefix.length > MAX_USER_ID_CHARS || /[\u0000-\u001f\u007f]/.test(prefix)) bad('prefix must be a user id prefix');
  const text = q.text ?? '';
  if (typeof text !== 'string' || text.length > MAX_USER_ID_CHARS || /[\u0000-\u001f\u007f]/.test(text)) bad('text must be a search text');
  return { state: q.state, prefix, text: asciiLower(text), sort: q.sort, order: q.order, limit: q.limit, after: q.after ?? null, offset };
}

/**
 * `s` with A–Z lowered and every other character kept: the case folding both stores apply to a name
 * search (SQLite's built-in lower() and Lua's string.lower fold ASCII only).
 */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** An opaque page cursor: `<tag>.<base64url of JSON>`. */
export function encodeCursor(tag: string, value: unknown): string {
  return `${tag}.${Buffer.from(JSON.stringify(value), 'utf8').toString('base64url')}`;
}

/** The value of a cursor made by {@link encodeCursor} with `tag`. @throws STORE_BAD_ARGUMENT (status 400) otherwise */
export function decodeCursor(tag: string, cursor: string): unknown {
  const dot = cursor.indexOf('.');
  if (dot < 0 || cursor.slice(0, dot) !== tag) throw new BotError('STORE_BAD_ARGUMENT', 'cursor: not a cursor of this store', { status: 400 });
  try {
    return JSON.parse(Buffer.from(cursor.slice(dot + 1), 'base64url').toString('utf8')) as unknown;
  } catch {
    throw new BotError('STORE_BAD_ARGUMENT', 'cursor: unreadable', { status: 400 });
  }
}

/**
 * Recipients of addRecipients as {userId, name, department} (labels null when absent, cut to
 * MAX_RECIPIENT_LABEL_CHARS, control characters dropped). @throws STORE_BAD_ARGUMENT for a bad user id or label type
 */
export function normalRecipients(recipients: (string | NewRecipient)[], what: string): { userId: string; name: string | null; department: string | null }[] {
  if (!Array.isArray(recipients)) bad(`${what}: recipients must be an array`);
  // eslint-disable-next-line no-control-regex
  const label = (v: unknown) => (v === undefined || v === null || v === '' ? null : typeof v === 'string' ? v.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, MAX_RECIPIENT_LABEL_CHARS) || null : bad(`${what}: name and department must be strings`));
  return recipients.map((r) => {
    const o = typeof r === 'string' ? { userId: r } : r;
    checkUserId(o?.userId, what);
    return { userId: o.userId, name: label(o.name), department: label(o.department) };
  });
}
