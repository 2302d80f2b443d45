import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { botError, BotError } from '../errors.ts';
import type { NoticeChannel } from '../platform/notices.ts';
import { formatDate } from '../notices/clock.ts';
import { firstIssue } from '../notices/schema.ts';
import type { ArchivingStatus } from '../store/ports/store.ts';
import { POLICY_ID_PATTERN, type PolicyFilter, type PolicyRecord, type PolicyStore } from '../store/ports/policies.ts';
import { policyRequestSchema } from './schema.ts';
import { formatPolicy } from './section.ts';
import { formatStatus } from '../archiving/status.ts';
import type { Lang } from '../platform/message.ts';

/** ArchivingStatus.source of a status that comes from a declared policy (src/archiving/status.ts has its words). */
export const POLICY_SOURCE = 'company policy';

/** How long a department's members, read from the platform's directory, are trusted, in ms (10 minutes). */
export const DEFAULT_MEMBERSHIP_TTL_MS = 10 * 60 * 1000;

/** Time zone of "today" when deciding whether a policy's `since` has come; the one employees live in. */
export const DEFAULT_POLICY_TIME_ZONE = 'Asia/Shanghai';

/** How specific an audience is: a policy naming the employee beats a department one, which beats "all". */
const SPECIFICITY = { userIds: 3, departmentIds: 2, all: 1 } as const;

/** Options of {@link PolicyService}. */
export interface PolicyServiceOptions {
  store: PolicyStore;
  log: Logger;
  /**
   * The platform's directory: its notice channel (NoticeService.channelFor), read at each use
   * because channels are registered after the core is built. Undefined = platform not configured
   * here, so department policies of that platform cannot be matched.
   */
  channelFor: (platform: string) => NoticeChannel | undefined;
  /** True when the platform's statuses come from its own archive API (then a policy adds lines, not the status). */
  hasArchiveSync?: (platform: string) => boolean;
  /** Clock in ms; default Date.now. */
  now?: () => number;
  /** IANA zone of "today"; default 'Asia/Shanghai'. */
  timeZone?: string;
  /** Default {@link DEFAULT_MEMBERSHIP_TTL_MS}. */
  membershipTtlMs?: number;
}

/** The languages of a {@link PolicyPreview}. */
export const PREVIEW_LANGS: readonly Lang[] = ['zh-CN', 'en', 'zh-TW'];

/** What {@link PolicyService.preview} answers: texts per language (zh-CN, en, zh-TW). */
export interface PolicyPreview {
  /** The line added to an answer on retention, readers, legality or consent. */
  answer: Record<Lang, string>;
  /** The employee's own status line; null when the platform's archive sync gives the status instead. */
  status: Record<Lang, string> | null;
  /** True when the platform's statuses come from its own archive API (the policy adds lines only). */
  statusFromPlatform: boolean;
  /** What stops the policy from working as expected ({@link PolicyService.warningsFor}). */
  warnings: string[];
}

/** Active policies of one platform, parsed once per store revision. */
interface Prepared {
  policy: PolicyRecord;
  kind: keyof typeof SPECIFICITY;
  users: Set<string> | null;
}

/** A new policy id, 'p-' + 10 lower-case base-32 characters (no l/o/0/1). */
export function newPolicyId(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  let out = 'p-';
  for (const b of randomBytes(10)) out += alphabet[b & 31];
  return out;
}

function notFound(id: string): BotError {
  return botError('POLICY_NOT_FOUND', `no policy ${id}`);
}

/**
 * Company archiving policies declared by an admin, for platforms with no
 * archive API: create / list / show / withdraw, and which policy covers an employee.
 *
 * Membership: an employee is in a policy's audience when it is `{all: true}`, lists their user id,
 * or names a department that contains them — directly or through a sub-department, as the
 * platform's directory (its NoticeChannel.resolveAudience) says. A department's members are read
 * once and cached in the store for `membershipTtlMs` (shared by instances), and concurrent
 * questions in one process wait for the same read. Without a channel for the platform, department
 * policies match nobody (a warning at creation, and once per policy in the log).
 *
 * Only active policies whose `since` has come (today in `timeZone`) apply. Several applying:
 * the most specific audience wins (userIds > departmentIds > all), then the latest `since`, then
 * the latest declared. Withdrawn policies are kept for the record and apply to nobody.
 *
 * Errors: POLICY_BAD_REQUEST (400, names the field), POLICY_NOT_FOUND (404),
 * POLICY_DIRECTORY_UNAVAILABLE (503, the platform's directory failed while matching a
 * department), STORE_UNAVAILABLE (503).
 */
export class PolicyService {
  readonly store: PolicyStore;
  private readonly log: Logger;
  private readonly channelFor: (platform: string) => NoticeChannel | undefined;
  private readonly hasArchiveSync: (platform: string) => boolean;
  private readonly now: () => number;
  private readonly timeZone: string;
  private readonly ttlMs: number;
  private cached: { revision: number; byPlatform: Map<string, Prepared[]> } | null = null;
  private readonly reading = new Map<string, Promise<string[]>>();
  private readonly warnedNoChannel = new Set<string>();

  constructor(options: PolicyServiceOptions) {
    this.store = options.store;
    this.log = options.log;
    this.channelFor = options.channelFor;
    this.hasArchiveSync = options.hasArchiveSync ?? (() => false);
    this.now = options.now ?? Date.now;
    this.timeZone = options.timeZone ?? DEFAULT_POLICY_TIME_ZONE;
    this.ttlMs = options.membershipTtlMs ?? DEFAULT_MEMBERSHIP_TTL_MS;
  }

  /**
   * A policy as it would be declared from `input`, validated but not stored (id 'p-preview',
   * created and updated now, active).
   * @throws BotError POLICY_BAD_REQUEST (400) naming the first bad field
   */
  draft(input: unknown, createdBy: string): PolicyRecord {
    const parsed = policyRequestSchema.safeParse(input);
    if (!parsed.success) throw botError('POLICY_BAD_REQUEST', firstIssue(parsed.error));
    const now = this.now();
    return { id: 'p-preview', ...parsed.data, state: 'active', createdBy, createdAt: now, updatedAt: now, withdrawnAt: null };
  }

  /**
   * What an employee covered by `policy` is told, in every language the bot answers in: the line
   * added to answers on the policy topics (src/policies/section.ts {@link formatPolicy}) and their
   * own status line (src/archiving/status.ts `formatStatus` of {@link statusFor}'s record). On a
   * platform whose statuses come from its own archive API the policy does not make the status:
   * `status` is null and `statusFromPlatform` true. Nothing is read or written.
   */
  preview(policy: PolicyRecord): PolicyPreview {
    const fromPlatform = this.hasArchiveSync(policy.platform);
    const status: ArchivingStatus = {
      platform: policy.platform, userId: '', archived: true, since: policy.since, scope: policy.scope, source: POLICY_SOURCE,
      updatedAt: new Date(policy.updatedAt).toISOString(),
    };
    const each = (f: (lang: Lang) => string) => Object.fromEntries(PREVIEW_LANGS.map((l) => [l, f(l)])) as Record<Lang, string>;
    return {
      answer: each((lang) => formatPolicy(policy, lang)),
      status: fromPlatform ? null : each((lang) => formatStatus(status, lang)),
      statusFromPlatform: fromPlatform,
      warnings: this.warningsFor(policy),
    };
  }

  /**
   * Validates and stores a new active policy.
   * @param input the request body (see src/policies/schema.ts)
   * @param createdBy 'api', 'cli', …
   * @returns the policy and what the admin should know (see {@link warningsFor})
   * @throws BotError POLICY_BAD_REQUEST (400) naming the first bad field; STORE_UNAVAILABLE
   */
  async create(input: unknown, createdBy: string): Promise<{ policy: PolicyRecord; warnings: string[] }> {
    const parsed = policyRequestSchema.safeParse(input);
    if (!parsed.success) throw botError('POLICY_BAD_REQUEST', firstIssue(parsed.error));
    const now = this.now();
    const policy: PolicyRecord = {
      id: newPolicyId(),
      ...parsed.data,
      state: 'active',
      createdBy,
      createdAt: now,
      updatedAt: now,
      withdrawnAt: null,
    };
    await this.store.createPolicy(policy);
    this.cached = null;
    const warnings = this.warningsFor(policy);
    this.log.info({ policy: policy.id, platform: policy.platform, audience: Object.keys(policy.audience)[0], warnings: warnings.length }, 'policy declared');
    for (const w of warnings) this.log.warn({ policy: policy.id, platform: policy.platform }, w);
    return { policy, warnings };
  }

  /**
   * What stops a policy from working as an admin may expect, as sentences (empty when nothing):
   * a department audience on a platform with no directory here; a platform whose statuses come
   * from its own archive API; a `since` still to come. Withdrawn policies: none.
   */
  warningsFor(policy: PolicyRecord): string[] {
    if (policy.state !== 'active') return [];
    const warnings: string[] = [];
    if ('departmentIds' in policy.audience && !this.channelFor(policy.platform)) {
      warnings.push(
        `${policy.platform} is not configured on this bot, so its directory cannot be read and this department policy matches nobody until it is; ` +
          'configure the platform, or declare the policy for {"all": true} or {"userIds": [...]}',
      );
    }
    if (this.hasArchiveSync(policy.platform)) {
      warnings.push(
        `${policy.platform} statuses come from the platform's own archive settings, so this policy does not change anyone's status; ` +
          'it only adds its retention, purpose, legal basis and readers to the answers of employees it covers',
      );
    }
    const today = formatDate(this.now(), this.timeZone);
    if (policy.since > today) warnings.push(`since ${policy.since} is after today (${today}): the policy applies from that day`);
    return warnings;
  }

  /** Policies, newest first (withdrawn ones too unless filtered). */
  list(filter: PolicyFilter = {}): Promise<PolicyRecord[]> {
    return this.store.listPolicies(filter);
  }

  /** @throws BotError POLICY_NOT_FOUND (404) */
  async get(id: string): Promise<PolicyRecord> {
    const p = POLICY_ID_PATTERN.test(id) ? await this.store.getPolicy(id) : null;
    if (!p) throw notFound(id);
    return p;
  }

  /**
   * Withdraws a policy: it applies to nobody from now on, and stays listed (state 'withdrawn',
   * withdrawnAt) as the record of what employees were told. Withdrawing twice is harmless.
   * @throws BotError POLICY_NOT_FOUND (404)
   */
  async withdraw(id: string): Promise<PolicyRecord> {
    const p = POLICY_ID_PATTERN.test(id) ? await this.store.withdrawPolicy(id, this.now()) : null;
    if (!p) throw notFound(id);
    this.cached = null;
    this.log.info({ policy: id, platform: p.platform }, 'policy withdrawn');
    return p;
  }

  /**
   * The policy that covers `userId` on `platform` today, or null (see the class comment for the
   * order). `userId` is the verified asker; it is never logged in clear.
   * @throws BotError POLICY_DIRECTORY_UNAVAILABLE (503) when a department has to be read and the
   *   directory fails; STORE_UNAVAILABLE
   */
  async policyFor(platform: string, userId: string): Promise<PolicyRecord | null> {
    const today = formatDate(this.now(), this.timeZone);
    const applying = (await this.active(platform)).filter((p) => p.policy.since <= today);
    if (applying.length === 0) return null;
    applying.sort(
      (a, b) =>
        SPECIFICITY[b.kind] - SPECIFICITY[a.kind] ||
        (a.policy.since < b.policy.since ? 1 : a.policy.since > b.policy.since ? -1 : 0) ||
        b.policy.createdAt - a.policy.createdAt,
    );
    for (const p of applying) {
      if (p.kind === 'all') return p.policy;
      if (p.users) {
        if (p.users.has(userId)) return p.policy;
        continue;
      }
      if (await this.inDepartments(p.policy, userId)) return p.policy;
    }
    return null;
  }

  /**
   * The archiving status a policy gives `userId`: archived since the policy's `since`, its scope,
   * source 'company policy', updatedAt the policy's. Null when no policy covers them.
   */
  async statusFor(platform: string, userId: string): Promise<ArchivingStatus | null> {
    const p = await this.policyFor(platform, userId);
    if (!p) return null;
    return {
      platform,
      userId,
      archived: true,
      since: p.since,
      scope: p.scope,
      source: POLICY_SOURCE,
      updatedAt: new Date(p.updatedAt).toISOString(),
    };
  }

  /** Active policies of a platform, re-read only when the store's revision changed. */
  private async active(platform: string): Promise<Prepared[]> {
    const revision = await this.store.revision();
    if (!this.cached || this.cached.revision !== revision) {
      const byPlatform = new Map<string, Prepared[]>();
      for (const policy of await this.store.listPolicies({ state: 'active' })) {
        const a = policy.audience;
        const prepared: Prepared =
          'userIds' in a
            ? { policy, kind: 'userIds', users: new Set(a.userIds) }
            : { policy, kind: 'departmentIds' in a ? 'departmentIds' : 'all', users: null };
        const list = byPlatform.get(policy.platform) ?? [];
        list.push(prepared);
        byPlatform.set(policy.platform, list);
      }
      this.cached = { revision, byPlatform };
    }
    return this.cached.byPlatform.get(platform) ?? [];
  }

  /** Whether one of the policy's departments contains the user (cache first, then the directory). */
  private async inDepartments(policy: PolicyRecord, userId: string): Promise<boolean> {
    if (!('departmentIds' in policy.audience)) return false;
    for (const dept of policy.audience.departmentIds) {
      const cached = await this.store.isDepartmentMember(policy.platform, dept, userId, this.now());
      if (cached !== null) {
        if (cached) return true;
        continue;
      }
      const channel = this.channelFor(policy.platform);
      if (!channel) {
        if (!this.warnedNoChannel.has(policy.id)) {
          this.warnedNoChannel.add(policy.id);
          this.log.warn({ policy: policy.id, platform: policy.platform }, 'department policy cannot be matched: the platform is not configured here');
        }
        return false;
      }
      const members = await this.readDepartment(channel, policy, dept);
      if (members.includes(userId)) return true;
    }
    return false;
  }

  /** Reads one department from the directory and caches it; one read per department at a time in this process. */
  private readDepartment(channel: NoticeChannel, policy: PolicyRecord, dept: string): Promise<string[]> {
    const key = `${policy.platform}\u0000${dept}`;
    let pending = this.reading.get(key);
    if (!pending) {
      pending = (async () => {
        const started = this.now();
        let members: string[];
        try {
          members = await channel.resolveAudience({ departmentIds: [dept] });
        } catch (err) {
          const e = err as { code?: string; status?: number; message?: string };
          if (!(err instanceof BotError && err.status === 400)) {
            this.log.error({ policy: policy.id, platform: policy.platform, department: dept, code: e.code, err: e.message }, 'policy directory read failed');
            throw botError('POLICY_DIRECTORY_UNAVAILABLE', `the ${policy.platform} directory could not be read: ${e.message ?? String(err)}`, { cause: err });
          }
          // The platform says this department does not exist (or its id is not one of its ids):
          // nobody is in it. Cached like any answer, so it is not asked again at every question.
          this.log.warn({ policy: policy.id, platform: policy.platform, department: dept, code: e.code }, 'policy department unknown to the platform: it matches nobody');
          members = [];
        }
        await this.store.cacheDepartment(policy.platform, dept, members, this.now(), this.ttlMs);
        this.log.info({ platform: policy.platform, department: dept, members: members.length, ms: this.now() - started }, 'policy department read from the directory');
        return members;
      })().finally(() => this.reading.delete(key));
      this.reading.set(key, pending);
    }
    return pending;
  }
}
