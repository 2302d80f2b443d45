/**
 * Named accounts of the admin console, kept in the shared store (SQLite or Redis, through the
 * key-value port of src/store/ports/store.ts) so every instance sees the same accounts.
 *
 * Passwords are stored as scrypt hashes (Node's crypto.scrypt, N=2^15 r=8 p=1, 16-byte salt,
 * 64-byte key; https://nodejs.org/api/crypto.html#cryptoscryptpassword-salt-keylen-options-callback).
 * A new or reset account gets a one-time password that must be changed at the first sign-in.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { requestError, type ErrorDetail } from '../errors.ts';
import type { KeyValueStore } from '../store/ports/store.ts';
import { normaliseUserId, type LoginPlatform, type LoginPlatformInfo } from '../platform/login.ts';

/** What an account may do: owner and admin change things; auditor only reads. */
export type Role = 'owner' | 'admin' | 'auditor';
/** Every role, most powerful first. */
export const ROLES: readonly Role[] = ['owner', 'admin', 'auditor'];

/** An account as stored (the hash never leaves this module's callers unless asked for). */
export interface Account {
  name: string;
  role: Role;
  /** 'scrypt$N$r$p$<salt b64>$<key b64>' */
  hash: string;
  /** True until the one-time password has been replaced. */
  mustChange: boolean;
  /** ms epoch */
  createdAt: number;
  /** ms epoch of the last password or role change */
  updatedAt: number;
  /** Platform identities that may sign in as this account (absent = none). */
  links?: PlatformLink[];
  /** ms epoch of the last successful sign-in (password or platform); absent = never. */
  lastSignInAt?: number;
}

/**
 * A platform identity linked to an account: `userId` is the platform's user id (e.g. a DingTalk userid,
 * a Feishu open_id), stored lower case for platforms whose ids are case-insensitive
 * (LoginPlatformInfo.caseInsensitiveIds, e.g. WeCom's UserID).
 */
export interface PlatformLink {
  platform: LoginPlatform;
  userId: string;
}

/** A platform user id: 1–128 characters without control characters or spaces. */
export const PLATFORM_USER_ID = /^[^\s\u0000-\u001f\u007f]{1,128}$/;

/** An account without its hash (lists, the console's "me"). */
export type AccountInfo = Omit<Account, 'hash'>;

/** Account names: 1–64 letters, digits, '.', '_', '-' or '@' (e.g. an email address). */
export const ACCOUNT_NAME = /^[A-Za-z0-9._@-]{1,64}$/;
/** Shortest password an admin may choose, in characters. */
export const MIN_PASSWORD_CHARS = 12;
/** Longest password accepted, in characters (scrypt cost grows with it only slightly, but bodies stay small). */
export const MAX_PASSWORD_CHARS = 256;

const SCRYPT: ScryptOptions & { N: number; r: number; p: number } = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_BYTES = 64;
const INDEX_KEY = 'console:accounts';
const accountKey = (name: string) => `console:account:${name}`;

function scrypt(password: string, salt: Buffer, o: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize('NFC'), salt, KEY_BYTES, { ...SCRYPT, N: o.N, r: o.r, p: o.p }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** A scrypt hash of `password` with a fresh salt, in the stored format. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Whether `password` matches a stored hash (constant-time compare; false for a malformed hash). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, key] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const got = await scrypt(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) });
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** A one-time password: 20 characters from an alphabet without look-alikes (about 100 bits). */
export function oneTimePassword(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(20);
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
}

/** Fewest different characters a password must hold. */
const MIN_DISTINCT_CHARS = 6;
/** Words that make a password guessable when it is mostly made of them (lower case; checked after removing digits and symbols). */
const COMMON_WORDS = ['password', 'passw0rd', 'admin', 'administrator', 'qwerty', 'qwertyuiop', 'asdfgh', 'zxcvbn', 'letmein', 'welcome', 'iloveyou', 'abc', 'abcdef', 'changeme', 'privacybot', 'privacy', 'wecom', 'dingtalk', 'feishu', 'woaini', 'wangwang'];
/** Keyboard rows and the alphabet/digits, for runs such as 123456789012 or qwertyuiop. */
const RUNS = ['0123456789', 'abcdefghijklmnopqrstuvwxyz', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm', '1qaz2wsx3edc', '!@#$%^&*()'];

/**
 * True for passwords long enough but easy to guess — NIST SP 800-63B §3.1.1.2 asks verifiers to refuse
 * "commonly-used, expected, or compromised" values (https://pages.nist.gov/800-63-4/sp800-63b.html):
 * fewer than {@link MIN_DISTINCT_CHARS} different characters, mostly one keyboard/alphabet/digit run
 * (forwards or backwards), or mostly a common word plus digits/symbols ("Password2024!").
 */
function predictable(password: string): boolean {
  const p = password.toLowerCase();
  if (new Set(p).size < MIN_DISTINCT_CHARS) return true;
  // Characters covered by runs of ≥ 4 taken from a keyboard row or sequence.
  let covered = 0;
  for (let i = 0; i < p.length; ) {
    let best = 1;
    for (const run of RUNS) {
      for (const r of [run, [...run].reverse().join('')]) {
        const at = r.indexOf(p[i]!);
        if (at < 0) continue;
        let n = 1;
        while (i + n < p.length && r[at + n] === p[i + n]) n++;
        best = Math.max(best, n);
      }
    }
    if (best >= 4) covered += best;
    i += best >= 4 ? best : 1;
  }
  if (covered >= p.length * 0.6) return true;
  const letters = p.replace(/[^a-z]/g, '');
  let rest = letters;
  for (const w of [...COMMON_WORDS].sort((a, b) => b.length - a.length)) rest = rest.split(w).join('');
  return letters.length > 0 && rest.length <= 2 && letters.length - rest.length >= 4;
}

/**
 * Why a new password is refused, or null when it is acceptable: {@link MIN_PASSWORD_CHARS} to
 * {@link MAX_PASSWORD_CHARS} characters, not the account name, not the old password, not predictable.
 * `kind` names the case (password_short {min}, password_long {max}, password_name, password_same,
 * password_guessable) for a client to word in its language; `message` is the English.
 */
export function passwordProblem(name: string, password: string, old?: string): { message: string; detail: ErrorDetail } | null {
  const p = (message: string, kind: string, params?: Record<string, number>) => ({ message, detail: { kind, ...(params ? { params } : {}) } });
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_CHARS) return p(`password: at least ${MIN_PASSWORD_CHARS} characters`, 'password_short', { min: MIN_PASSWORD_CHARS });
  if (password.length > MAX_PASSWORD_CHARS) return p(`password: at most ${MAX_PASSWORD_CHARS} characters`, 'password_long', { max: MAX_PASSWORD_CHARS });
  if (password.toLowerCase().includes(name.toLowerCase())) return p('password: must not contain the account name', 'password_name');
  if (old !== undefined && password === old) return p('password: must differ from the current one', 'password_same');
  if (predictable(password)) return p('password: too easy to guess (a common word, a keyboard or number run, or few different characters); a phrase of several words works well', 'password_guessable');
  return null;
}

const info = (a: Account): AccountInfo => ({
  name: a.name, role: a.role, mustChange: a.mustChange, createdAt: a.createdAt, updatedAt: a.updatedAt, links: a.links ?? [],
  ...(a.lastSignInAt !== undefined ? { lastSignInAt: a.lastSignInAt } : {}),
});

/**
 * A platform link checked and normalised (ids of case-insensitive platforms lower case).
 * @param platforms the sign-in platforms registered at start-up (adapters/login.ts via src/app)
 * @throws CONSOLE_BAD_ACCOUNT naming the platforms or the id rule
 */
export function parseLink(platforms: readonly LoginPlatformInfo[], platform: unknown, userId: unknown): PlatformLink {
  const ids = platforms.map((p) => p.id);
  if (typeof platform !== 'string' || !ids.includes(platform)) {
    throw requestError('CONSOLE_BAD_ACCOUNT', `platform: one of ${ids.join(', ')}`, { kind: 'platform', params: { allowed: ids.join(', ') } });
  }
  const id = typeof userId === 'string' ? userId.trim() : '';
  if (!PLATFORM_USER_ID.test(id)) throw requestError('CONSOLE_BAD_ACCOUNT', 'userId: 1–128 characters, no spaces or control characters', { kind: 'user_id' });
  return { platform, userId: normaliseUserId(platforms, platform, id) };
}

const sameLink = (a: PlatformLink, b: PlatformLink) => a.platform === b.platform && a.userId === b.userId;

/**
 * The console's accounts over a shared key-value store: one key per account plus an index of names.
 * Errors are RequestErrors: CONSOLE_BAD_ACCOUNT (400: name, role or password), CONSOLE_ACCOUNT_EXISTS
 * (409), CONSOLE_ACCOUNT_NOT_FOUND (404), CONSOLE_LAST_OWNER (409: the last owner cannot be
 * removed or demoted).
 */
export class AccountStore {
  /**
   * @param platforms the sign-in platforms links may name (adapters/login.ts `LOGIN_PLATFORMS` via src/app);
   *   none = links refused
   */
  constructor(
    private readonly kv: KeyValueStore,
    private readonly now: () => number = Date.now,
    private readonly platforms: readonly LoginPlatformInfo[] = [],
  ) {}

  private async names(): Promise<string[]> {
    const raw = await this.kv.get(INDEX_KEY);
    return raw ? (JSON.parse(raw) as string[]) : [];
  }

  private async saveNames(names: string[]): Promise<void> {
    await this.kv.set(INDEX_KEY, JSON.stringify([...new Set(names)].sort()));
  }

  /** The stored account, or null. */
  async get(name: string): Promise<Account | null> {
    if (!ACCOUNT_NAME.test(name)) return null;
    const raw = await this.kv.get(accountKey(name));
    return raw ? (JSON.parse(raw) as Account) : null;
  }

  private async must(name: string): Promise<Account> {
    const a = await this.get(name);
    if (!a) throw requestError('CONSOLE_ACCOUNT_NOT_FOUND', `no console account "${name}"`);
    return a;
  }

  private async put(a: Account): Promise<void> {
    await this.kv.set(accountKey(a.name), JSON.stringify(a));
  }

  /** Every account, by name. */
  async list(): Promise<AccountInfo[]> {
    const out: AccountInfo[] = [];
    for (const n of await this.names()) {
      const a = await this.get(n);
      if (a) out.push(info(a));
    }
    return out;
  }

  /**
   * Creates an account with a one-time password (returned once, never stored in clear).
   * @throws CONSOLE_BAD_ACCOUNT, CONSOLE_ACCOUNT_EXISTS
   */
  async add(name: string, role: string): Promise<{ account: AccountInfo; password: string }> {
    if (!ACCOUNT_NAME.test(name)) throw requestError('CONSOLE_BAD_ACCOUNT', 'name: 1–64 letters, digits, ".", "_", "-" or "@"', { kind: 'name' });
    const r = parseRole(role);
    // The account key is claimed first: two instances adding the same name at once cannot both win.
    const password = oneTimePassword();
    const now = this.now();
    const a: Account = { name, role: r, hash: await hashPassword(password), mustChange: true, createdAt: now, updatedAt: now };
    if (!(await this.kv.claim(accountKey(name), 100 * 365 * 86_400_000, JSON.stringify(a)))) {
      throw requestError('CONSOLE_ACCOUNT_EXISTS', `console account "${name}" exists`);
    }
    await this.put(a); // without a TTL: accounts live until removed
    await this.saveNames([...(await this.names()), name]);
    return { account: info(a), password };
  }

  /** A new one-time password for an account (it must be changed at the next sign-in). @throws CONSOLE_ACCOUNT_NOT_FOUND */
  async reset(name: string): Promise<{ account: AccountInfo; password: string }> {
    const a = await this.must(name);
    const password = oneTimePassword();
    const next: Account = { ...a, hash: await hashPassword(password), mustChange: true, updatedAt: this.now() };
    await this.put(next);
    return { account: info(next), password };
  }

  /** Changes an account's role. @throws CONSOLE_ACCOUNT_NOT_FOUND, CONSOLE_BAD_ACCOUNT, CONSOLE_LAST_OWNER */
  async setRole(name: string, role: string): Promise<AccountInfo> {
    const r = parseRole(role);
    const a = await this.must(name);
    if (a.role === 'owner' && r !== 'owner') await this.keepAnOwner(name);
    const next = { ...a, role: r, updatedAt: this.now() };
    await this.put(next);
    return info(next);
  }

  /** Removes an account. @throws CONSOLE_ACCOUNT_NOT_FOUND, CONSOLE_LAST_OWNER */
  async remove(name: string): Promise<void> {
    const a = await this.must(name);
    if (a.role === 'owner') await this.keepAnOwner(name);
    await this.kv.delete(accountKey(name));
    await this.saveNames((await this.names()).filter((n) => n !== name));
  }

  /**
   * Links a platform identity to an account; an identity links to one account at most.
   * @returns the account; unchanged when the link exists already
   * @throws CONSOLE_BAD_ACCOUNT, CONSOLE_ACCOUNT_NOT_FOUND, CONSOLE_LINK_TAKEN (409, linked to another account)
   */
  async link(name: string, platform: unknown, userId: unknown): Promise<AccountInfo> {
    const l = parseLink(this.platforms, platform, userId);
    const a = await this.must(name);
    const holder = await this.byLink(l.platform, l.userId);
    if (holder && holder.name !== name) throw requestError('CONSOLE_LINK_TAKEN', `${l.platform} user ${l.userId} is linked to the account "${holder.name}"; unlink it there first`);
    if ((a.links ?? []).some((x) => sameLink(x, l))) return info(a);
    const next: Account = { ...a, links: [...(a.links ?? []), l], updatedAt: this.now() };
    await this.put(next);
    return info(next);
  }

  /** Removes a platform link. @throws CONSOLE_BAD_ACCOUNT, CONSOLE_ACCOUNT_NOT_FOUND, CONSOLE_LINK_NOT_FOUND (404) */
  async unlink(name: string, platform: unknown, userId: unknown): Promise<AccountInfo> {
    const l = parseLink(this.platforms, platform, userId);
    const a = await this.must(name);
    if (!(a.links ?? []).some((x) => sameLink(x, l))) throw requestError('CONSOLE_LINK_NOT_FOUND', `"${name}" has no ${l.platform} link ${l.userId}`);
    const next: Account = { ...a, links: (a.links ?? []).filter((x) => !sameLink(x, l)), updatedAt: this.now() };
    await this.put(next);
    return info(next);
  }

  /** The account a platform identity is linked to, or null (ids of case-insensitive platforms compared lower case). */
  async byLink(platform: LoginPlatform, userId: string): Promise<Account | null> {
    const id = normaliseUserId(this.platforms, platform, userId);
    for (const n of await this.names()) {
      const a = await this.get(n);
      if (a && (a.links ?? []).some((x) => x.platform === platform && x.userId === id)) return a;
    }
    return null;
  }

  /** Notes a successful sign-in (shown on the accounts page). Unknown names are ignored. */
  async signedIn(name: string): Promise<void> {
    const a = await this.get(name);
    if (a) await this.put({ ...a, lastSignInAt: this.now() });
  }

  private async keepAnOwner(leaving: string): Promise<void> {
    const owners = (await this.list()).filter((a) => a.role === 'owner' && a.name !== leaving);
    if (owners.length === 0) throw requestError('CONSOLE_LAST_OWNER', `"${leaving}" is the last owner; make another account owner first`);
  }

  /** The account when `password` is right, else null (unknown names cost a hash too). */
  async verify(name: string, password: string): Promise<Account | null> {
    const a = await this.get(name);
    if (!a) {
      await hashPassword(password);
      return null;
    }
    return (await verifyPassword(password, a.hash)) ? a : null;
  }

  /**
   * Replaces the password after checking the current one; clears the must-change mark.
   * @throws CONSOLE_BAD_PASSWORD (403, current password wrong), CONSOLE_BAD_ACCOUNT (400, new one refused)
   */
  async changePassword(name: string, current: string, next: string): Promise<AccountInfo> {
    const a = await this.verify(name, current);
    if (!a) throw requestError('CONSOLE_BAD_PASSWORD', 'the current password is wrong');
    const problem = passwordProblem(name, next, current);
    if (problem) throw requestError('CONSOLE_BAD_ACCOUNT', problem.message, problem.detail);
    const updated: Account = { ...a, hash: await hashPassword(next), mustChange: false, updatedAt: this.now() };
    await this.put(updated);
    return info(updated);
  }
}

/** `role` as a {@link Role}. @throws CONSOLE_BAD_ACCOUNT naming the roles */
export function parseRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) throw requestError('CONSOLE_BAD_ACCOUNT', `role: one of ${ROLES.join(', ')}`, { kind: 'role', params: { allowed: ROLES.join(', ') } });
  return role as Role;
}
