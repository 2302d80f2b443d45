import type { NoticeDelivery } from '../../src/platform/notices.ts';
import type { Lang } from '../../src/platform/message.ts';
import { CARD_ACK_FIELD, CARD_LANG_FIELD } from './inbound.ts';
import { isSingleNoticeLanguage, singleNoticeLanguage } from '../kit/notice-language.ts';

/**
 * Notice cards (Card JSON 2.0) with an acknowledge button whose `behaviors` send the
 * `card.action.trigger` callback with `{"ack":"ack:<notice>:<version>"}`.
 * Source: https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-structure,
 * https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-components/interactive-components/button,
 * https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-callback-communication
 */

/** A Card JSON 2.0 object (sent as the JSON string `content` with msg_type 'interactive'). */
export type FeishuCard = Record<string, unknown> & { schema: '2.0'; body: { elements: Record<string, unknown>[] } };

/** Element id of the acknowledge button (replaced in the acknowledged card). */
export const ACK_BUTTON_ID = 'ack_button';

/** Removes control characters except \n and \t; CRLF → LF. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '').trim();
}

/** The fixed texts of a single-language Feishu notice card and its answers (see {@link FEISHU_NOTICE_LABELS}). */
export interface FeishuNoticeLabels {
  /** Prefix of a reminder's header title. */
  reminder: string;
  /** The header's subtitle: the version. */
  version(v: number): string;
  /** The header title when the notice has none. */
  untitled(v: number): string;
  /** The acknowledge button. */
  button: string;
  /** The disabled button of the acknowledged card. */
  acknowledged: string;
  /** Toast of a recorded (or repeated) click. */
  received: string;
  /** Toast when the click could not be recorded in time. */
  retry: string;
}

/**
 * The fixed texts of a card delivered in one language (NoticeDelivery.language 'zh-CN' | 'zh-TW' |
 * 'en'); a bilingual card keeps its bilingual texts. zh-TW is written as Taiwan readers write it.
 */
export const FEISHU_NOTICE_LABELS: Readonly<Record<Lang, FeishuNoticeLabels>> = {
  'zh-CN': {
    reminder: '【提醒】',
    version: (v) => `第 ${v} 版`,
    untitled: (v) => `通知（第 ${v} 版）`,
    button: '确认已读',
    acknowledged: '已确认',
    received: '已收到您的确认',
    retry: '暂时无法记录，请稍后再点一次',
  },
  'zh-TW': {
    reminder: '【提醒】',
    version: (v) => `第 ${v} 版`,
    untitled: (v) => `通知（第 ${v} 版）`,
    button: '確認已讀',
    acknowledged: '已確認',
    received: '已收到您的確認',
    retry: '暫時無法記錄，請稍後再點一次',
  },
  en: {
    reminder: 'Reminder: ',
    version: (v) => `Version ${v}`,
    untitled: (v) => `Notice v${v}`,
    button: 'Acknowledge',
    acknowledged: 'Acknowledged',
    received: 'Acknowledgement received',
    retry: 'Could not record it, please try again',
  },
};

/** The button's callback value: the ack key, and the card's language when it is a single-language card. */
function ackValue(delivery: NoticeDelivery, lang: Lang | null): Record<string, string> {
  return lang === null ? { [CARD_ACK_FIELD]: delivery.ackKey } : { [CARD_ACK_FIELD]: delivery.ackKey, [CARD_LANG_FIELD]: lang };
}

/**
 * The card of one notice version. Bilingual (`delivery.language` absent or 'bilingual'): header
 * "<zh title> | <en title>" (a reminder is marked 提醒 / Reminder), the Chinese body, a rule, the
 * English body (markdown as the admin wrote it), and a primary button "确认已读 / Acknowledge".
 * One language ('zh-CN' | 'zh-TW' | 'en'): header = the `zh` title, subtitle, the body alone and the
 * button in that language ({@link FEISHU_NOTICE_LABELS}); the button's callback value also carries
 * the language (`lang`), so the acknowledged card and the toasts answer in it.
 */
export function noticeCard(delivery: NoticeDelivery): FeishuCard {
  const reminder = typeof delivery.reminder === 'number';
  const lang = singleNoticeLanguage(delivery);
  let title: string;
  let subtitle: string;
  let bodies: Record<string, unknown>[];
  let button: string;
  if (lang !== null) {
    const l = FEISHU_NOTICE_LABELS[lang];
    const t = clean(delivery.title.zh);
    title = (reminder ? l.reminder : '') + (t || l.untitled(delivery.version));
    subtitle = l.version(delivery.version);
    const body = clean(delivery.body.zh);
    bodies = body === '' ? [] : [{ tag: 'markdown', content: body }];
    button = l.button;
  } else {
    const zh = (reminder ? '【提醒】' : '') + clean(delivery.title.zh);
    const en = (reminder ? 'Reminder: ' : '') + clean(delivery.title.en);
    title = [zh, en].filter((t) => t !== '').join(' | ') || `Notice v${delivery.version}`;
    subtitle = `第 ${delivery.version} 版 · version ${delivery.version}`;
    bodies = [{ tag: 'markdown', content: clean(delivery.body.zh) }, { tag: 'hr' }, { tag: 'markdown', content: clean(delivery.body.en) }];
    button = '确认已读 / Acknowledge';
  }
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: { title: { tag: 'plain_text', content: title.replace(/\n/g, ' ') }, subtitle: { tag: 'plain_text', content: subtitle }, template: reminder ? 'orange' : 'blue' },
    body: {
      elements: [
        ...bodies,
        {
          tag: 'button',
          element_id: ACK_BUTTON_ID,
          text: { tag: 'plain_text', content: button },
          type: 'primary',
          behaviors: [{ type: 'callback', value: ackValue(delivery, lang) }],
        },
      ],
    },
  };
}

/** The single language of a card sent by {@link noticeCard} (its button's `lang`); null for a bilingual card. */
export function cardLanguage(card: FeishuCard): Lang | null {
  const button = card.body.elements.find((el) => el.element_id === ACK_BUTTON_ID);
  const behaviors = button?.behaviors;
  if (!Array.isArray(behaviors)) return null;
  for (const b of behaviors as { value?: unknown }[]) {
    const v = b && typeof b.value === 'object' && b.value !== null ? (b.value as Record<string, unknown>)[CARD_LANG_FIELD] : undefined;
    if (isSingleNoticeLanguage(v)) return v;
  }
  return null;
}

/**
 * The same card after the employee acknowledged: the button disabled and relabelled, in the card's
 * language ("已确认 / Acknowledged" on a bilingual card).
 */
export function acknowledgedCard(card: FeishuCard): FeishuCard {
  const lang = cardLanguage(card);
  const label = lang === null ? '已确认 / Acknowledged' : FEISHU_NOTICE_LABELS[lang].acknowledged;
  return {
    ...card,
    body: {
      ...card.body,
      elements: card.body.elements.map((el) =>
        el.element_id === ACK_BUTTON_ID
          ? { tag: 'button', element_id: ACK_BUTTON_ID, text: { tag: 'plain_text', content: label }, type: 'default', disabled: true }
          : el,
      ),
    },
  };
}

/** The answer to a card.action.trigger callback: a toast, and the updated card when known. */
export interface CardCallbackAnswer {
  toast: { type: 'success' | 'info' | 'error'; content: string; i18n?: Record<string, string> };
  card?: { type: 'raw'; data: FeishuCard };
}

/**
 * Toast + acknowledged card for a recorded (or repeated) click; toast only when the card is unknown.
 * The toast is in `lang` (the clicked card's language, from its callback value; else the stored
 * card's) when that is a single language, else bilingual with zh_cn / en_us variants.
 */
export function ackAnswer(card: FeishuCard | null, lang: Lang | null = null): CardCallbackAnswer {
  const one = lang ?? (card ? cardLanguage(card) : null);
  const answer: CardCallbackAnswer = {
    toast:
      one === null
        ? { type: 'success', content: '已收到您的确认 / Acknowledgement received', i18n: { zh_cn: '已收到您的确认', en_us: 'Acknowledgement received' } }
        : { type: 'success', content: FEISHU_NOTICE_LABELS[one].received },
  };
  if (card) answer.card = { type: 'raw', data: acknowledgedCard(card) };
  return answer;
}

/**
 * Toast when the click could not be recorded in time: the card stays as it is, the employee clicks
 * again. In `lang` when the clicked card is a single-language one, else bilingual.
 */
export function retryAnswer(lang: Lang | null = null): CardCallbackAnswer {
  if (lang !== null) return { toast: { type: 'error', content: FEISHU_NOTICE_LABELS[lang].retry } };
  return { toast: { type: 'error', content: '暂时无法记录，请稍后再点一次 / Could not record it, please try again', i18n: { zh_cn: '暂时无法记录，请稍后再点一次', en_us: 'Could not record it, please try again' } } };
}
