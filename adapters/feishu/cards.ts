import type { NoticeDelivery } from '../../src/platform/notices.ts';
import { CARD_ACK_FIELD } from './inbound.ts';

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

/**
 * The card of one notice version: header "<zh title> | <en title>" (a reminder is marked
 * 提醒 / Reminder), the Chinese body, a rule, the English body (markdown as the admin wrote it), and
 * a primary button "确认已读 / Acknowledge".
 */
export function noticeCard(delivery: NoticeDelivery): FeishuCard {
  const reminder = typeof delivery.reminder === 'number';
  const zh = (reminder ? '【提醒】' : '') + clean(delivery.title.zh);
  const en = (reminder ? 'Reminder: ' : '') + clean(delivery.title.en);
  const title = [zh, en].filter((t) => t !== '').join(' | ') || `Notice v${delivery.version}`;
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: { title: { tag: 'plain_text', content: title.replace(/\n/g, ' ') }, subtitle: { tag: 'plain_text', content: `第 ${delivery.version} 版 · version ${delivery.version}` }, template: reminder ? 'orange' : 'blue' },
    body: {
      elements: [
        { tag: 'markdown', content: clean(delivery.body.zh) },
        { tag: 'hr' },
        { tag: 'markdown', content: clean(delivery.body.en) },
        {
          tag: 'button',
          element_id: ACK_BUTTON_ID,
          text: { tag: 'plain_text', content: '确认已读 / Acknowledge' },
          type: 'primary',
          behaviors: [{ type: 'callback', value: { [CARD_ACK_FIELD]: delivery.ackKey } }],
        },
      ],
    },
  };
}

/** The same card after the employee acknowledged: the button disabled and relabelled. */
export function acknowledgedCard(card: FeishuCard): FeishuCard {
  return {
    ...card,
    body: {
      ...card.body,
      elements: card.body.elements.map((el) =>
        el.element_id === ACK_BUTTON_ID
          ? { tag: 'button', element_id: ACK_BUTTON_ID, text: { tag: 'plain_text', content: '已确认 / Acknowledged' }, type: 'default', disabled: true }
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

/** Toast + acknowledged card for a recorded (or repeated) click; toast only when the card is unknown. */
export function ackAnswer(card: FeishuCard | null): CardCallbackAnswer {
  const answer: CardCallbackAnswer = {
    toast: { type: 'success', content: '已收到您的确认 / Acknowledgement received', i18n: { zh_cn: '已收到您的确认', en_us: 'Acknowledgement received' } },
  };
  if (card) answer.card = { type: 'raw', data: acknowledgedCard(card) };
  return answer;
}

/** Toast when the click could not be recorded in time: the card stays as it is, the employee clicks again. */
export function retryAnswer(): CardCallbackAnswer {
  return { toast: { type: 'error', content: '暂时无法记录，请稍后再点一次 / Could not record it, please try again', i18n: { zh_cn: '暂时无法记录，请稍后再点一次', en_us: 'Could not record it, please try again' } } };
}
