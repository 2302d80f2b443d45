/**
 * Console sessions, sign-in throttling and the console's audit trail, all in the shared store
 * (src/store/ports/store.ts key-value operations), so every instance behind a load balancer shares them.
 *
 * - A session is a random 32-byte token (the cookie); the store keeps it under its SHA-256 only,
 *   with the account name, a CSRF token, the sign-in time and the last use. It ends after
 *   `idleMs` without use (checked against the injected clock, and as the store TTL) or
 *   {@link SESSION_MAX_MS} after sign-in, whichever comes first.
 * - Sign-in attempts are counted per account and per client address in fixed windows of
 *   {@link THROTTLE_WINDOW_MS}; over the limits the sign-in is refused (429) without checking the password.
 * - Every console change is appended to the audit trail with the account name (never a question,
 *   an answer or a status).
 */
import type { AuditDetails } from './audit-actions.ts';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KeyValueStore } from '../store/ports/store.ts';
import type { Role } from './accounts.ts';

/** Longest a session lives after sign-in, however busy, in ms (12 h). */
export const SESSION_MAX_MS = 12 * 3600_000;
/** Window of the sign-in throttle, in ms (15 min). */
export const THROTTLE_WINDOW_MS = 15 * 60_000;
/** Failed or attempted sign-ins per account per window before refusing. */
export const MAX_ATTEMPTS_PER_ACCOUNT = 5;
/** Sign-in attempts per client address per window before refusing. */
export const MAX_ATTEMPTS_PER_ADDRESS = 20;

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** A live session. */
export interface Session {
  name: string;
  role: Role;
  csrf: string;
  /** ms epoch of sign-in / last use */
  createdAt: number;
  lastSeen: number;
  /** True while the account still has its one-time password: only the password change is allowed. */
  mustChange: boolean;
}

/** Sessions in the shared store; `now` is injectable (tests), `idleMs` the idle timeout. */
export class SessionStore {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly idleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private key(token: string) {
    return `console:session:${sha(token)}`;
  }

  /** Starts a session; returns the cookie token and the session. */
  async create(account: { name: string; role: Role; mustChange: boolean }): Promise<{ token: string; session: Session }> {
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    const session: Session = { name: account.name, role: account.role, mustChange: account.mustChange, csrf: randomBytes(24).toString('base64url'), createdAt: now, lastSeen: now };
    await this.kv.set(this.key(token), JSON.stringify(session), this.idleMs);
    return { token, session };
  }

  /** The session of a cookie token, refreshed (its idle timer restarts); null when unknown or expired. */
  async touch(token: string | undefined): Promise<Session | null> {
    if (!token || token.length > 200) return null;
    const raw = await this.kv.get(this.key(token));
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    const now = this.now();
    if (now - s.lastSeen > this.idleMs || now - s.createdAt > SESSION_MAX_MS) {
      await this.kv.delete(this.key(token));
      return null;
    }
    const next = { ...s, lastSeen: now };
    await this.kv.set(this.key(token), JSON.stringify(next), this.idleMs);
    return next;
  }

  /** Replaces the stored fields of a session (after a password change). */
  async update(token: string, session: Session): Promise<void> {
    await this.kv.set(this.key(token), JSON.stringify(session), this.idleMs);
  }

  /** Ends a session (sign-out). */
  async destroy(token: string | undefined): Promise<void> {
    if (token && token.length <= 200) await this.kv.delete(this.key(token));
  }
}

/** Whether the CSRF token sent matches the session's (constant time). */
export function csrfMatches(session: Session, sent: string | undefined): boolean {
  if (!sent) return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(sent);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Sign-in throttle per account name and per client address (fixed windows in the store). */
export class SignInThrottle {
  constructor(private readonly kv: KeyValueStore) {}

  /**
   * Counts one attempt; returns which limit is exceeded ('account' | 'address') or null when the
   * attempt may go on. Names and addresses are stored hashed.
   */
  async attempt(name: string, address: string): Promise<'account' | 'address' | null> {
    const byAddress = await this.kv.increment(`console:signin:addr:${sha(address)}`, THROTTLE_WINDOW_MS);
    const byAccount = await this.kv.increment(`console:signin:acct:${sha(name.toLowerCase())}`, THROTTLE_WINDOW_MS);
    if (byAddress > MAX_ATTEMPTS_PER_ADDRESS) return 'address';
    if (byAccount > MAX_ATTEMPTS_PER_ACCOUNT) return 'account';
    return null;
  }

  /** Forgets the account's count after a successful sign-in. */
  async succeeded(name: string): Promise<void> {
    await this.kv.delete(`console:signin:acct:${sha(name.toLowerCase())}`);
  }
}

/** One entry of the console's audit trail. */
export interface ConsoleAuditEntry {
  seq: number;
  /** ISO 8601 UTC */
  at: string;
  /** The account name, or the CLI actor ('cli'). */
  actor: string;
  /** What was done, e.g. 'POST /console/api/broadcasts', 'sign-in', 'admin add'. */
  action: string;
  /** The HTTP status of the answer (0 for CLI actions). */
  status: number;
  /** Ids the action was about (notice, broadcast, policy, account name), never content. */
  target?: string;
  /** The action's parameters (ids and counts: notice, version, head count…; src/console/audit-actions.ts). */
  details?: AuditDetails;
}

const AUDIT_SEQ = 'console:audit:seq';
const FOREVER_MS = 100 * 365 * 86_400_000;

/** The console's append-only audit trail in the shared store (entries numbered by a store counter). */
export class ConsoleAudit {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Appends one entry. */
  async record(entry: Omit<ConsoleAuditEntry, 'seq' | 'at'>): Promise<void> {
    const seq = await this.kv.increment(AUDIT_SEQ, FOREVER_MS);
    const full: ConsoleAuditEntry = { seq, at: new Date(this.now()).toISOString(), ...entry };
    await this.kv.set(`console:audit:${seq}`, JSON.stringify(full));
  }

  /** The newest `limit` entries, newest first. */
  async recent(limit = 100): Promise<ConsoleAuditEntry[]> {
    const last = Number((await this.kv.get(AUDIT_SEQ)) ?? 0);
    const out: ConsoleAuditEntry[] = [];
    for (let seq = last; seq > 0 && out.length < limit; seq--) {
      const raw = await this.kv.get(`console:audit:${seq}`);
      if (raw) out.push(JSON.parse(raw) as ConsoleAuditEntry);
    }
    return out;
  }
}
