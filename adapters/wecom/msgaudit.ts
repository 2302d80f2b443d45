import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { childLogger } from '../../src/log.ts';
import type { WecomConfig } from './config.ts';
import { BotError } from '../../src/errors.ts';
import type { ArchiveSource, ExternalConsentCounts } from '../../src/platform/archive.ts';
import type { Lang } from '../../src/platform/message.ts';
import type { KeyValueStore } from '../../src/store/ports/store.ts';
import {
  WECOM_API_CALLS_PER_MINUTE,
  WECOM_CHECK_AGREE_CALLS_PER_MINUTE,
  WECOM_CHECK_AGREE_MAX_ITEMS,
  WECOM_ERRCODE_NO_EXTERNAL_CONTACT,
  WECOM_MSGAUDIT_EDITIONS,
  WECOM_PERMIT_LIST_CALLS_PER_MINUTE,
} from './limits.ts';
import { createWecomClient, WecomApiError, type WecomApiResponse, type WecomClient, type WecomClientOptions } from './outbound.ts';
import { createPaceGate, type PaceClock, type PaceGate } from '../kit/pace.ts';
import { adapterError } from '../errors.ts';

/**
 * WeCom session-content archive (会话内容存档) as an {@link ArchiveSource} (docs/PROTOCOLS.md §2.1–2.3).
 *
 * Token: every msgaudit/* call uses an access token fetched with the archive's own Secret
 * (`WECOM_ARCHIVE_SECRET`); the app Secret's token gets 48002. It is cached in the shared store
 * under its own key per secret ({@link archiveTokenCacheKey}), apart from the app's token.
 *
 * - {@link WecomArchiveSource.permitUsers}: `POST /cgi-bin/msgaudit/get_permit_user_list` with
 *   `{"type": 1|2|3}` (办公版 / 服务版 / 企业版), answer `{ids: [...]}` — members enabled by department
 *   or tag come expanded; members beyond the purchased seats are left out
 *   (developer.work.weixin.qq.com/document/path/91614, ≤ 1000 calls/min). A member on several
 *   lists gets the highest edition; listArchived maps it to {@link WECOM_EDITION_SCOPES}. Any
 *   error fails the whole read (a partial list would wrongly tell people they are not archived).
 * - {@link WecomArchiveSource.externalContacts}: `GET /cgi-bin/externalcontact/list?userid=` ->
 *   `{external_userid: [...]}` with the APP's token (developer.work.weixin.qq.com/document/path/92113).
 *   Choice: the doc requires a self-built app to be listed under 客户联系 → 可调用接口的应用 (the
 *   客户联系 system secret is no longer accepted for new corps since 2023-12-01), so no third secret
 *   is configured; without that setting WeCom answers an errcode (48002, UNVERIFIED) and the
 *   consent answer says "temporarily unavailable". Only customers of members with 客户联系 are
 *   returned. errcode 84061 (no external contact; UNVERIFIED) -> empty list.
 * - {@link WecomArchiveSource.checkSingleAgree}: `POST /cgi-bin/msgaudit/check_single_agree` with
 *   `{"info": [{"userid", "exteranalopenid"}]}` — the official misspelling — at most 100 pairs per
 *   call (≤ 2500 calls/min), answer `agreeinfo: [{userid, exteranalopenid, agree_status,
 *   status_change_time}]`; agree_status 'Agree' | 'Disagree' | 'Default_Agree' (the last from SDKs)
 *   (developer.work.weixin.qq.com/document/path/91782).
 * Calls are paced by store-shared gates below the documented per-minute limits.
 * UNVERIFIED: whether get_permit_user_list returns UserIDs in the case the admin typed; the sync
 *   also looks statuses up lower-cased.
 */

/** ArchivingStatus.source of statuses from this source. */
export const WECOM_MSGAUDIT_SOURCE = 'wecom-msgaudit';

/** An archive edition: 1 办公版, 2 服务版, 3 企业版. */
export type WecomEdition = (typeof WECOM_MSGAUDIT_EDITIONS)[number];

/**
 * Scope texts of the WeCom archive editions (docs/PROTOCOLS.md §2.2; developer.work.weixin.qq.com/document/path/91614):
 * 办公版 internal chats; 服务版 + chats with external contacts; 企业版 + voice/video calls.
 * Stored bilingual in ArchivingStatus.scope; {@link WECOM_SCOPE_TEXTS} gives each language.
 */
export const WECOM_EDITION_SCOPES = {
  1: '内部聊天（办公版）/ internal chats (Office edition)',
  2: '内部聊天及与外部联系人的聊天（服务版）/ internal chats and chats with external contacts (Service edition)',
  3: '内部及外部聊天和音视频通话（企业版）/ internal and external chats plus voice and video calls (Enterprise edition)',
} as const;

/** The edition scopes per language (ArchiveSource.scopeTexts). */
export const WECOM_SCOPE_TEXTS: Readonly<Record<string, Readonly<Record<Lang, string>>>> = {
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

/** How statuses read from WeCom's archive member list are named in an answer (ArchiveSource.label). */
export const WECOM_ARCHIVE_LABEL: Readonly<Record<Lang, string>> = { en: 'WeCom archive settings', 'zh-CN': '企业微信存档设置', 'zh-TW': '企業微信存檔設定' };
/** WeCom's name as employees know it (ArchiveSource.platformName: "source: WeCom" in the consent answer). */
export const WECOM_PLATFORM_NAME: Readonly<Record<Lang, string>> = { en: 'WeCom', 'zh-CN': '企业微信', 'zh-TW': '企業微信' };

/** One external contact's answer. */
export interface AgreeInfo {
  externalId: string;
  /** 'Agree' | 'Disagree' | 'Default_Agree' (or whatever else WeCom answers, kept as is). */
  status: string;
  /** When the contact answered, ms since the epoch; null when absent. */
  changedAt: number | null;
}

export interface WecomArchiveSource extends ArchiveSource {
  readonly platform: 'wecom';
  readonly sourceName: typeof WECOM_MSGAUDIT_SOURCE;
  /** The client holding the archive secret's token. */
  readonly archiveClient: WecomClient;
  /** userId -> highest edition of every member with archiving on. */
  permitUsers(): Promise<Map<string, WecomEdition>>;
  listArchived(): Promise<Map<string, { scope: string }>>;
  /** External contact ids (external_userid) of one member, deduplicated. */
  externalContacts(userId: string): Promise<string[]>;
  /** Consent of (userId, externalId) pairs, in calls of ≤ 100; externalId -> answer (missing = no answer). */
  checkSingleAgree(userId: string, externalIds: string[]): Promise<Map<string, AgreeInfo>>;
  externalConsent(userId: string): Promise<ExternalConsentCounts>;
}

export interface WecomArchiveSourceOptions {
  /** The app's configuration (corp id, app secret for externalcontact/list, API base). */
  wecom: WecomConfig;
  /** WECOM_ARCHIVE_SECRET. */
  archiveSecret: string;
  kv: KeyValueStore;
  log: Logger;
  /** The app's client if one exists already (else one is made from `wecom`; both share the token cache). */
  appClient?: WecomClient;
  /** Client tuning (tests). */
  client?: Pick<WecomClientOptions, 'timeoutMs' | 'backoffMs' | 'maxBusyRetries'>;
  /** Clock of the pace gates, ms (default the real one; tests inject a virtual one, adapters/kit/pace.ts). */
  paceClock?: PaceClock;
  /** Time between two syncs of the member list, in ms (WECOM_ARCHIVE_SYNC_MINUTES; default 10 minutes). */
  syncIntervalMs?: number;
}

/** Store key of the archive secret's token: 'token:wecom:<corpid>:archive:<12 hex of SHA-256(secret)>'. */
export function archiveTokenCacheKey(corpId: string, secret: string): string {
  return `token:wecom:${corpId}:archive:${createHash('sha256').update(secret).digest('hex').slice(0, 12)}`;
}

/** Creates the source; it holds no connection. */
export function createWecomArchiveSource(options: WecomArchiveSourceOptions): WecomArchiveSource {
  const { wecom, kv } = options;
  const log = childLogger(options.log, { platform: 'wecom', part: 'msgaudit' });
  const archiveClient = createWecomClient({
    corpId: wecom.corpId,
    agentId: wecom.agentId,
    secret: options.archiveSecret,
    apiBase: wecom.apiBase,
    kv,
    log,
    tokenCacheKey: archiveTokenCacheKey(wecom.corpId, options.archiveSecret),
    secretName: 'WECOM_ARCHIVE_SECRET',
    ...options.client,
  });
  const appClient =
    options.appClient ??
    createWecomClient({ corpId: wecom.corpId, agentId: wecom.agentId, secret: wecom.secret, apiBase: wecom.apiBase, kv, log, ...options.client });
  const gate = (path: string, perMinute: number): PaceGate =>
    createPaceGate({ limit: { perMinute }, kv, key: `pace:wecom:${wecom.corpId}:${path}`, log, clock: options.paceClock });
  const permitGate = gate('/cgi-bin/msgaudit/get_permit_user_list', WECOM_PERMIT_LIST_CALLS_PER_MINUTE);
  const agreeGate = gate('/cgi-bin/msgaudit/check_single_agree', WECOM_CHECK_AGREE_CALLS_PER_MINUTE);
  const contactGate = gate('/cgi-bin/externalcontact/list', WECOM_API_CALLS_PER_MINUTE);

  async function permitUsers(): Promise<Map<string, WecomEdition>> {
    const editions = new Map<string, WecomEdition>();
    for (const type of WECOM_MSGAUDIT_EDITIONS) {
      await permitGate.take();
      const answer = await archiveClient.call<WecomApiResponse & { ids?: unknown }>('POST', '/cgi-bin/msgaudit/get_permit_user_list', { body: { type } });
      if (answer.ids !== undefined && !Array.isArray(answer.ids)) throw badAnswer('get_permit_user_list', 'ids is not a list');
      for (const id of (answer.ids ?? []) as unknown[]) {
        if (typeof id !== 'string' || id === '') continue;
        if ((editions.get(id) ?? 0) < type) editions.set(id, type);
      }
    }
    log.info({ members: editions.size }, 'wecom archive member list read');
    return editions;
  }

  async function listArchived(): Promise<Map<string, { scope: string }>> {
    const out = new Map<string, { scope: string }>();
    for (const [id, edition] of await permitUsers()) out.set(id, { scope: WECOM_EDITION_SCOPES[edition] });
    return out;
  }

  async function externalContacts(userId: string): Promise<string[]> {
    requireUser(userId);
    await contactGate.take();
    try {
      const answer = await appClient.call<WecomApiResponse & { external_userid?: unknown }>('GET', '/cgi-bin/externalcontact/list', { query: { userid: userId } });
      if (answer.external_userid === undefined) return [];
      if (!Array.isArray(answer.external_userid)) throw badAnswer('externalcontact/list', 'external_userid is not a list');
      return [...new Set((answer.external_userid as unknown[]).filter((x): x is string => typeof x === 'string' && x !== ''))];
    } catch (err) {
      if (err instanceof WecomApiError && err.errcode === WECOM_ERRCODE_NO_EXTERNAL_CONTACT) return [];
      throw err;
    }
  }

  async function checkSingleAgree(userId: string, externalIds: string[]): Promise<Map<string, AgreeInfo>> {
    requireUser(userId);
    const ids = [...new Set(externalIds)];
    const out = new Map<string, AgreeInfo>();
    for (let i = 0; i < ids.length; i += WECOM_CHECK_AGREE_MAX_ITEMS) {
      const batch = ids.slice(i, i + WECOM_CHECK_AGREE_MAX_ITEMS);
      const wanted = new Set(batch);
      await agreeGate.take();
      const answer = await archiveClient.call<WecomApiResponse & { agreeinfo?: unknown }>('POST', '/cgi-bin/msgaudit/check_single_agree', {
        body: { info: batch.map((id) => ({ userid: userId, exteranalopenid: id })) },
      });
      if (answer.agreeinfo !== undefined && !Array.isArray(answer.agreeinfo)) throw badAnswer('check_single_agree', 'agreeinfo is not a list');
      for (const row of (answer.agreeinfo ?? []) as Record<string, unknown>[]) {
        const ext = row?.['exteranalopenid'];
        const status = row?.['agree_status'];
        const owner = row?.['userid'];
        if (typeof ext !== 'string' || !wanted.has(ext) || typeof status !== 'string') continue;
        // Never count an answer about another member's contact.
        if (typeof owner === 'string' && owner.toLowerCase() !== userId.toLowerCase()) continue;
        const t = Number(row['status_change_time']);
        out.set(ext, { externalId: ext, status, changedAt: Number.isFinite(t) && t > 0 ? t * 1000 : null });
      }
    }
    return out;
  }

  async function externalConsent(userId: string): Promise<ExternalConsentCounts> {
    const contacts = await externalContacts(userId);
    const answers = await checkSingleAgree(userId, contacts);
    const counts: ExternalConsentCounts = { agree: 0, disagree: 0, defaultAgree: 0, total: contacts.length };
    for (const { status } of answers.values()) {
      if (status === 'Agree') counts.agree++;
      else if (status === 'Disagree') counts.disagree++;
      else if (status === 'Default_Agree') counts.defaultAgree++;
    }
    return counts;
  }

  return {
    platform: 'wecom',
    sourceName: WECOM_MSGAUDIT_SOURCE,
    label: WECOM_ARCHIVE_LABEL,
    platformName: WECOM_PLATFORM_NAME,
    scopeTexts: WECOM_SCOPE_TEXTS,
    ...(options.syncIntervalMs !== undefined ? { syncIntervalMs: options.syncIntervalMs } : {}),
    archiveClient,
    permitUsers,
    listArchived,
    externalContacts,
    checkSingleAgree,
    externalConsent,
  };
}

function requireUser(userId: string): void {
  if (typeof userId !== 'string' || userId.trim() === '' || userId.includes('|')) {
    throw adapterError('WECOM_BAD_ARGUMENT', 'one WeCom UserID is needed');
  }
}

function badAnswer(api: string, what: string): BotError {
  return adapterError('WECOM_MSGAUDIT_BAD_ANSWER', `WeCom ${api}: ${what}`);
}
