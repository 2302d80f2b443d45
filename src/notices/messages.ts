import type { Bilingual } from '../platform/notices.ts';
import type { Lang } from '../platform/message.ts';
import { noticeTextIn } from './languages.ts';

/**
 * What employees read about their notice acknowledgements, in the three reply languages.
 * zh-TW is written by hand (not converted) so it reads naturally; notice titles use the admin's
 * zh-TW title, else an OpenCC (twp) conversion of the reviewed zh text.
 */
interface AckTexts {
  /** The acknowledgement was recorded just now. */
  confirmed(title: string, version: number, date: string): string;
  /** It had been recorded before (on `date`): nothing changed. */
  already(title: string, version: number, date: string): string;
  /** The store could not record it: try again (never a false confirmation). */
  tryAgain: string;
  /** A card button for a notice this employee never received. */
  notFound: string;
  /** Status line: acknowledged. */
  acknowledgedLine(title: string, version: number, date: string): string;
  /** A receipt-only reply ("收到", "ok") to a notice still to acknowledge: how to acknowledge it. */
  howTo(title: string, version: number): string;
  /** Status line: received, not yet acknowledged. */
  openLine(title: string, version: number): string;
}

const zhCN: AckTexts = {
  confirmed: (t, v, d) => `已记录：你已于 ${d} 确认知悉《${t}》第 ${v} 版。谢谢！`,
  already: (t, v, d) => `你已于 ${d} 确认知悉《${t}》第 ${v} 版，无需再次确认。`,
  tryAgain: '抱歉，你的确认暂时没能记录下来，请稍后再发一次“确认”（或再点一次按钮）。',
  notFound: '没有找到发给你的这份通知，无需确认。',
  howTo: (t) => `如已阅读并知悉《${t}》，请回复“确认”。`,
  acknowledgedLine: (t, v, d) => `你已于 ${d} 确认知悉《${t}》第 ${v} 版。`,
  openLine: (t, v) => `你收到的《${t}》第 ${v} 版尚未确认；回复“确认”即可确认知悉。`,
};

const zhTW: AckTexts = {
  confirmed: (t, v, d) => `已記錄：你已於 ${d} 確認知悉《${t}》第 ${v} 版。謝謝！`,
  already: (t, v, d) => `你已於 ${d} 確認知悉《${t}》第 ${v} 版，無需再次確認。`,
  tryAgain: '抱歉，你的確認暫時沒能記錄下來，請稍後再傳一次「確認」（或再按一次按鈕）。',
  notFound: '沒有找到發給你的這份通知，無需確認。',
  howTo: (t) => `如已閱讀並知悉《${t}》，請回覆「確認」。`,
  acknowledgedLine: (t, v, d) => `你已於 ${d} 確認知悉《${t}》第 ${v} 版。`,
  openLine: (t, v) => `你收到的《${t}》第 ${v} 版尚未確認；回覆「確認」即可確認知悉。`,
};

const en: AckTexts = {
  confirmed: (t, v, d) => `Recorded: you acknowledged notice "${t}" v${v} on ${d}. Thank you!`,
  already: (t, v, d) => `You already acknowledged notice "${t}" v${v} on ${d}; nothing more to do.`,
  tryAgain: 'Sorry, your acknowledgement could not be recorded just now. Please send "ack" again (or press the button again) in a moment.',
  notFound: 'This notice was not sent to you, so there is nothing to acknowledge.',
  howTo: (t) => `If you have read and understood notice "${t}", reply "ack" to acknowledge it.`,
  acknowledgedLine: (t, v, d) => `You acknowledged notice "${t}" v${v} on ${d}.`,
  openLine: (t, v) => `You have not yet acknowledged notice "${t}" v${v}; reply "ack" to do so.`,
};

/** The acknowledgement texts for a language. */
export function ackTexts(lang: Lang): AckTexts {
  return lang === 'en' ? en : lang === 'zh-TW' ? zhTW : zhCN;
}

/** A notice title in a reply language (the written one, else the fallback of src/notices/languages.ts). */
export function titleIn(title: Bilingual, lang: Lang): string {
  return noticeTextIn(title, lang);
}
