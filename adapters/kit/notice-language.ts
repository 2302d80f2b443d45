import type { Lang } from '../../src/platform/message.ts';
import type { NoticeDelivery } from '../../src/platform/notices.ts';

/**
 * The language a notice delivery is rendered in, for the adapters' notice messages
 * (src/platform/notices.ts NoticeDelivery.language): one of 'zh-CN' | 'zh-TW' | 'en' when the
 * delivery is in that single language (its text is in `zh`, `en` is ''), or null when it is
 * bilingual ('bilingual' or absent: zh and en rendered together, with bilingual labels).
 * Anything else (a value the port does not know) is treated as bilingual.
 */
export function singleNoticeLanguage(delivery: Pick<NoticeDelivery, 'language'>): Lang | null {
  const l = delivery.language;
  return l === 'zh-CN' || l === 'zh-TW' || l === 'en' ? l : null;
}

/** Whether `value` is one of the single notice languages ('zh-CN' | 'zh-TW' | 'en'). */
export function isSingleNoticeLanguage(value: unknown): value is Lang {
  return value === 'zh-CN' || value === 'zh-TW' || value === 'en';
}
