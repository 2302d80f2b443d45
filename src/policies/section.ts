import type { PersonalSection } from '../platform/plugins.ts';
import type { ArchivingStatus } from '../store/ports/store.ts';
import type { PolicyRecord } from '../store/ports/policies.ts';
import type { Lang } from '../platform/message.ts';
import type { PolicyService } from './service.ts';

/** Topics whose answer gets the asker's company policy (knowledge/<id>.yaml). */
export const POLICY_TOPICS: readonly string[] = ['retention', 'archive-viewers', 'legality', 'consent-required'];

/** Options of {@link createPolicySection}. */
export interface PolicySectionOptions {
  service: PolicyService;
  /**
   * The asker's effective archiving status (StatusDirectory.lookup). When given and it says
   * "not archived" (a platform sync or the employee's own record), the policy line is left out:
   * it would tell them how chats are kept that are not being archived.
   */
  statusOf?: (platform: string, userId: string) => Promise<ArchivingStatus | null>;
  /** Default {@link POLICY_TOPICS}. */
  topics?: readonly string[];
}

/**
 * The personal section of declared policies: for the asking employee only —
 * `message.userId`, the verified sender — when a policy covers them, what their company declared:
 * retention, purpose, legal basis and who may read the archive, in the asker's language. Null for
 * other topics and for employees no policy covers. Like every personal section, the router sends
 * it only 1:1 (in a group, as a private reply). Errors (directory or store down) are thrown; the
 * router then says "temporarily unavailable".
 */
export function createPolicySection(options: PolicySectionOptions): PersonalSection {
  const topics = new Set(options.topics ?? POLICY_TOPICS);
  return async (message, entry, lang) => {
    if (message.anonymous || !topics.has(entry.id)) return null;
    const policy = await options.service.policyFor(message.platform, message.userId);
    if (!policy) return null;
    if (options.statusOf) {
      const status = await options.statusOf(message.platform, message.userId);
      if (status && !status.archived) return null;
    }
    return formatPolicy(policy, lang);
  };
}

/**
 * Runs of whitespace and sentence punctuation; the one at the end of an admin's text is dropped so the line does
 * not end in "。。" or ".;" (found among all runs, each read once: /[…]+$/ would take quadratic time).
 */
const PUNCTUATION_RUN = /[\s.。;；,，、]+/gu;

function clean(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.replace(PUNCTUATION_RUN, (run: string, at: number) => (at + run.length === t.length ? '' : run));
}

/**
 * One line telling an employee their company's declared policy, in `lang`; the admin's words are
 * shown as written (line breaks become spaces, trailing punctuation is dropped):
 * - en "According to your company's policy (declared 2026-05-02): chats are kept for 3 years;
 *   purpose: …; legal basis: …; who may read them: Legal, HR director."
 * - zh-CN "根据公司的存档政策（声明于 2026-05-02）：聊天记录保存期限：3 年；目的：…；法律依据：…；可查看存档的人：法务部、人力资源总监。"
 * - zh-TW the same in traditional characters (the admin's words unchanged).
 * The declared date is the policy's creation day (UTC), like the status line's "updated" date.
 */
export function formatPolicy(policy: PolicyRecord, lang: Lang): string {
  const declared = new Date(policy.createdAt).toISOString().slice(0, 10);
  const retention = clean(policy.retention);
  const purpose = clean(policy.purpose);
  const legalBasis = clean(policy.legalBasis);
  const viewers = policy.viewers.map(clean).filter((v) => v !== '');
  if (lang === 'en') {
    return (
      `According to your company's policy (declared ${declared}): chats are kept for ${retention}; purpose: ${purpose}; ` +
      `legal basis: ${legalBasis}; who may read them: ${viewers.join(', ')}.`
    );
  }
  if (lang === 'zh-TW') {
    return `根據公司的存檔政策（聲明於 ${declared}）：聊天記錄保存期限：${retention}；目的：${purpose}；法律依據：${legalBasis}；可查看存檔的人：${viewers.join('、')}。`;
  }
  return `根据公司的存档政策（声明于 ${declared}）：聊天记录保存期限：${retention}；目的：${purpose}；法律依据：${legalBasis}；可查看存档的人：${viewers.join('、')}。`;
}
