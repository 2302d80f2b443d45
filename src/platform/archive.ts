import type { Lang } from './message.ts';

/**
 * The archive-source port: where the core reads employees' archiving status from the platform
 * itself (the source of truth) instead of an administrator's import. Adapters implement it
 * (WeCom: adapters/wecom/msgaudit.ts, `msgaudit/get_permit_user_list` + `check_single_agree`) and
 * expose it as `PlatformAdapter.archiveSource`; the core never sees tokens or platform payloads.
 */

/** External contacts' consent to archiving for one employee, counted by answer. */
export interface ExternalConsentCounts {
  /** The contact agreed. */
  agree: number;
  /** The contact refused. */
  disagree: number;
  /** The contact never chose; the platform treats it as agreed (WeCom 'Default_Agree'). */
  defaultAgree: number;
  /** External contacts checked (agree + disagree + defaultAgree + those without any answer). */
  total: number;
}

/** A platform's archive configuration, read live. */
export interface ArchiveSource {
  /** 'wecom', … (the platform of the statuses written). */
  readonly platform: string;
  /** Value of ArchivingStatus.source for statuses from this source, e.g. 'wecom-msgaudit'. */
  readonly sourceName: string;
  /**
   * How statuses from this source are named in an answer, per language (en "WeCom archive
   * settings"); absent = the sourceName as is.
   */
  readonly label?: Readonly<Record<Lang, string>>;
  /**
   * The platform's name as employees know it, per language (en "WeCom"), for texts that cite the
   * platform as where figures come from; absent = the platform id as is.
   */
  readonly platformName?: Readonly<Record<Lang, string>>;
  /**
   * Translations of the scope texts {@link listArchived} writes: stored scope -> text per language.
   * Other scopes are shown as stored.
   */
  readonly scopeTexts?: Readonly<Record<string, Readonly<Record<Lang, string>>>>;
  /** Time between two syncs of {@link listArchived}, in ms; absent = {@link DEFAULT_ARCHIVE_SYNC_MS}. */
  readonly syncIntervalMs?: number;
  /**
   * Every member whose chats are archived now, user id -> what is archived (a scope text, see
   * {@link scopeTexts}). Members beyond the purchased seats are not included (WeCom).
   * @throws BotError naming the platform error; callers keep their previous data then
   */
  listArchived(): Promise<Map<string, { scope: string }>>;
  /**
   * Consent of `userId`'s own external contacts (customers) — only ever called with the asking
   * employee's own id. Absent when the platform has no such notion.
   * @throws BotError naming the platform error
   */
  externalConsent?(userId: string): Promise<ExternalConsentCounts>;
}

/** Default time between two syncs of an archive source, in ms (10 minutes). */
export const DEFAULT_ARCHIVE_SYNC_MS = 10 * 60_000;
