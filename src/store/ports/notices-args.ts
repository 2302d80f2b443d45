import { BotError } from '../../errors.ts';
import type { Audience, Bilingual, BatchSettlement, ClaimOptions, NewBroadcast } from './notices.ts';

/**
 * Argument checks shared by both notice store implementations, so both reject the same bad
 * input the same way: BotError 'STORE_BAD_ARGUMENT' (status 500 — a caller bug; user input is
 * validated earlier, in src/notices/ and src/admin/). Messages never contain notice text or user ids.
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
}

export function checkContent(c: { title: Bilingual; body: Bilingual }): void {
  if (c === null || typeof c !== 'object') bad('notice content must be an object');
  checkBilingual(c.title, 'title');
  checkBilingual(c.body, 'body');
}

export function checkAudience(a: Audience): void {
  if (a === null || typeof a !== 'object') bad('audience must be an object');
  if ('all' in a) {
    if (a.all !== true) bad('audience.all must be true');
  } else if ('departmentIds' in a) {
    if (!Array.isArray(a.departmentIds) || !a.departmentIds.every((d) => typeof d === 'string' && d.length > 0)) bad('audience.departmentIds must be non-empty strings');
  } else if ('userIds' in a) {
    if (!Array.isArray(a.userIds) || !a.userIds.every((d) => typeof d === 'string' && d.length > 0)) bad('audience.userIds must be non-empty strings');
  } else bad('audience must have all, departmentIds or userIds');
}

export function checkNewBroadcast(b: NewBroadcast): void {
  checkId(b.id, 'broadcast id');
  checkId(b.noticeId, 'notice id');
  checkVersion(b.version);
  checkPlatform(b.platform);
  checkAudience(b.audience);
  if (typeof b.readSupported !== 'boolean') bad('readSupported must be a boolean');
  if (typeof b.createdBy !== 'string' || b.createdBy.length === 0 || b.createdBy.length > 300) bad('createdBy must be 1–300 characters');
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
}

/** Truncates a failure reason to 500 characters (platform messages can be long). */
export function clipReason(reason: string): string {
  return reason.length > 500 ? `${reason.slice(0, 497)}...` : reason;
}
