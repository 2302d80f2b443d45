import { botError, BotError } from '../../errors.ts';
import type { Audience } from './notices.ts';

/**
 * The policy store port: company archiving policies declared by an admin for
 * platforms with no archive API (DingTalk, later Feishu), and a short-lived cache of department
 * membership read from the platform's directory. Two implementations —
 * src/store/sqlite/policies.ts (embedded, the same file as the main store) and
 * src/store/redis/policies.ts (shared by several instances) — pass one contract suite
 * (test/src/store/policies-contract.ts).
 *
 * Policies are never deleted: withdrawing one keeps the record (state 'withdrawn', withdrawnAt),
 * so the history of what employees were told stays readable. Times are ms since the Unix epoch
 * and are passed in by the caller (`now`), so an injected clock drives expiry in tests.
 */

/** An active policy applies; a withdrawn one is kept for the record and applies to nobody. */
export type PolicyState = 'active' | 'withdrawn';

/** One declared policy, as stored. Text fields are the admin's own words, stored as given. */
export interface PolicyRecord {
  /** 'p-' + 10 characters (src/policies/service.ts). */
  id: string;
  /** 'dingtalk', 'wecom', 'feishu', … */
  platform: string;
  /** Who it covers: everyone, departments (with their sub-departments, as the platform's directory says), or user ids. */
  audience: Audience;
  /** Day archiving under this policy started, 'YYYY-MM-DD'. */
  since: string;
  /** What is archived, e.g. '1:1 and group chats'. */
  scope: string;
  /** How long archived chats are kept, e.g. '3 years'. */
  retention: string;
  /** Why the company archives. */
  purpose: string;
  /** The legal basis the company relies on, e.g. 'PIPL art. 13(1)(2), staff handbook §7'. */
  legalBasis: string;
  /** Who may read the archive (roles or names), at least one. */
  viewers: string[];
  state: PolicyState;
  /** Who declared it: 'api', 'cli', … */
  createdBy: string;
  createdAt: number;
  /** Last change (creation or withdrawal). */
  updatedAt: number;
  /** When it was withdrawn, or null. */
  withdrawnAt: number | null;
}

/** Which policies {@link PolicyStore.listPolicies} returns. */
export interface PolicyFilter {
  platform?: string;
  state?: PolicyState;
}

/**
 * Where policies and the department-membership cache live. Every method may reject with
 * BotError 'STORE_UNAVAILABLE' (503) when the backend cannot answer, and with
 * 'STORE_BAD_ARGUMENT' (a caller bug: input is validated in src/policies/ first).
 */
export interface PolicyStore {
  readonly kind: 'redis' | 'sqlite';
  /**
   * Stores a new policy (state must be 'active', withdrawnAt null).
   * @throws BotError 'POLICY_EXISTS' (409) when the id is taken
   */
  createPolicy(policy: PolicyRecord): Promise<void>;
  /** The policy, or null when there is none with that id. */
  getPolicy(id: string): Promise<PolicyRecord | null>;
  /** Policies matching `filter`, newest first (createdAt, then id, descending). */
  listPolicies(filter?: PolicyFilter): Promise<PolicyRecord[]>;
  /**
   * Marks a policy withdrawn at `now` (updatedAt = withdrawnAt = now) and returns it; a policy
   * already withdrawn is returned unchanged. Null when there is no such policy.
   */
  withdrawPolicy(id: string, now: number): Promise<PolicyRecord | null>;
  /**
   * A number that changes whenever a policy is created or withdrawn, by any instance sharing the
   * store (so an instance may keep parsed policies in memory until it changes). Starts at 0.
   */
  revision(): Promise<number>;
  /**
   * Remembers the members of one department (all of them, sub-departments included, as the
   * platform's directory resolved it) until `now + ttlMs`, replacing what was cached before.
   * An empty list is cached too (a department with nobody in it, or one the platform does not know).
   */
  cacheDepartment(platform: string, departmentId: string, userIds: string[], now: number, ttlMs: number): Promise<void>;
  /**
   * Whether `userId` is among the cached members of the department: true / false while the
   * cache entry is fresh (its expiry after `now`), null when nothing fresh is cached.
   */
  isDepartmentMember(platform: string, departmentId: string, userId: string, now: number): Promise<boolean | null>;
  /** Resolves when the backend answers. */
  ping(): Promise<void>;
  /** Closes the connection / database handle. Idempotent. */
  close(): Promise<void>;
}

/** Policy ids: letters, digits, '-' and '_', 1–64 characters (no ':' or braces: they are Redis key parts). */
export const POLICY_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Platform ids: lower-case letter, then a-z 0-9 '-', at most 32 characters. */
export const POLICY_PLATFORM_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
/** Longest user id and department id, in characters. */
export const MAX_POLICY_USER_ID_CHARS = 256;
export const MAX_POLICY_DEPARTMENT_ID_CHARS = 64;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function bad(message: string): never {
  throw new BotError('STORE_BAD_ARGUMENT', message);
}

/** Argument checks, run once in front of either backend by the checked facade (./checked.ts); messages never contain user ids or policy text. */
export function checkPolicyId(id: string): string {
  if (typeof id !== 'string' || !POLICY_ID_PATTERN.test(id)) bad(`policy id must match ${POLICY_ID_PATTERN}`);
  return id;
}

export function checkPolicyPlatform(platform: string): string {
  if (typeof platform !== 'string' || !POLICY_PLATFORM_PATTERN.test(platform)) bad(`platform must match ${POLICY_PLATFORM_PATTERN}`);
  return platform;
}

export function checkMemberId(id: string, what: 'user id' | 'department id'): string {
  const max = what === 'user id' ? MAX_POLICY_USER_ID_CHARS : MAX_POLICY_DEPARTMENT_ID_CHARS;
  if (typeof id !== 'string' || id.length === 0 || id.length > max || CONTROL.test(id)) {
    bad(`a ${what} must be 1–${max} characters without control characters`);
  }
  return id;
}

export function checkPolicyTime(t: number, what: string): number {
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || !Number.isSafeInteger(Math.round(t))) bad(`${what} must be ms since the epoch`);
  return Math.round(t);
}

/** Checks a record handed to createPolicy. */
export function checkNewPolicy(p: PolicyRecord): void {
  if (p === null || typeof p !== 'object') bad('policy must be an object');
  checkPolicyId(p.id);
  checkPolicyPlatform(p.platform);
  const a = p.audience as Record<string, unknown> | null;
  if (a === null || typeof a !== 'object') bad('audience must be an object');
  if ('all' in a) {
    if (a.all !== true || Object.keys(a).length !== 1) bad('audience {all} must be exactly {all: true}');
  } else if ('departmentIds' in a) {
    if (!Array.isArray(a.departmentIds) || a.departmentIds.length === 0) bad('audience.departmentIds must be a non-empty array');
    for (const d of a.departmentIds as string[]) checkMemberId(d, 'department id');
  } else if ('userIds' in a) {
    if (!Array.isArray(a.userIds) || a.userIds.length === 0) bad('audience.userIds must be a non-empty array');
    for (const u of a.userIds as string[]) checkMemberId(u, 'user id');
  } else {
    bad('audience must be {all}, {departmentIds} or {userIds}');
  }
  if (typeof p.since !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(p.since)) bad('since must be YYYY-MM-DD');
  for (const k of ['scope', 'retention', 'purpose', 'legalBasis', 'createdBy'] as const) {
    if (typeof p[k] !== 'string') bad(`${k} must be a string`);
  }
  if (!Array.isArray(p.viewers) || p.viewers.length === 0 || p.viewers.some((v) => typeof v !== 'string')) {
    bad('viewers must be a non-empty array of strings');
  }
  if (p.state !== 'active' || p.withdrawnAt !== null) bad('a new policy must be active, not withdrawn');
  checkPolicyTime(p.createdAt, 'createdAt');
  checkPolicyTime(p.updatedAt, 'updatedAt');
}

export function checkTtl(ttlMs: number): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) bad('ttlMs must be a positive number of ms');
  return Math.ceil(ttlMs);
}

/** Newest first: createdAt descending, then id descending (the order of listPolicies). */
export function newestFirst(a: PolicyRecord, b: PolicyRecord): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** The error of createPolicy for a taken id. */
export function policyExists(id: string): BotError {
  return botError('POLICY_EXISTS', `policy ${id} already exists`);
}
