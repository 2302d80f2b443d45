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
   * Every member whose chats are archived now, user id -> what is archived (a scope text, see
   * {@link localizeScope}). Members beyond the purchased seats are not included (WeCom).
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

/**
 * Scope texts of the WeCom archive editions (facts.md §2.1 fact 1; developer.work.weixin.qq.com/document/path/91614):
 * 办公版 internal chats; 服务版 + chats with external contacts; 企业版 + voice/video calls.
 * Stored bilingual in ArchivingStatus.scope; {@link localizeScope} picks one language.
 */
export const WECOM_EDITION_SCOPES = {
  1: '内部聊天（办公版）/ internal chats (Office edition)',
  2: '内部聊天及与外部联系人的聊天（服务版）/ internal chats and chats with external contacts (Service edition)',
  3: '内部及外部聊天和音视频通话（企业版）/ internal and external chats plus voice and video calls (Enterprise edition)',
} as const;

const LOCALIZED: Record<string, Record<Lang, string>> = {
  [WECOM_EDITION_SCOPES[1]]: {
    'zh-CN': '内部聊天（办公版）',
    'zh-TW': '內部聊天（辦公版）',
    en: 'internal chats (Office edition)',
  },
  [WECOM_EDITION_SCOPES[2]]: {
    'zh-CN': '内部聊天及与外部联系人的聊天（服务版）',
    'zh-TW': '內部聊天及與外部聯絡人的聊天（服務版）',
    en: 'internal chats and chats with external contacts (Service edition)',
  },
  [WECOM_EDITION_SCOPES[3]]: {
    'zh-CN': '内部及外部聊天和音视频通话（企业版）',
    'zh-TW': '內部及外部聊天和音視訊通話（企業版）',
    en: 'internal and external chats plus voice and video calls (Enterprise edition)',
  },
};

/** A known (bilingual) scope text in `lang`; any other scope is returned unchanged. */
export function localizeScope(scope: string, lang: Lang): string {
  return LOCALIZED[scope]?.[lang] ?? scope;
}
