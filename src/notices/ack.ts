import type { Logger } from 'pino';
import type { CommandHandler, PersonalSection } from '../platform/plugins.ts';
import { hashUserId } from '../log.ts';
import type { BotResult, InboundMessage, Lang } from '../platform/message.ts';
import { ackTexts, titleIn } from './messages.ts';
import { parseAckKey, type AckResult, type NoticeService } from './service.ts';

/**
 * Employees acknowledging notices in the chat, and the line their status answers get.
 *
 * Which replies acknowledge (1:1 chat only). A reply counts when it says the employee has read or
 * understood the notice — never when it only says it arrived ("收到", "ok", "received"): those are
 * answered with how to acknowledge instead ({@link isReceiptOnly}, for an employee with a notice
 * still to acknowledge). Before comparing, the text is NFKC-normalised (full-width → half-width),
 * lower-cased, Traditional characters of these words mapped to Simplified (確認 → 确认, 已閱 → 已阅),
 * and split into clauses at punctuation (，。,.!！~…、;；:： and spaces between Chinese clauses). It counts
 * when one clause is an acknowledgement and every other clause is politeness ({@link POLITE}:
 * 好的 / 好 / 嗯 / 哦 / ok / 收到 / 谢谢 / thanks …). A question mark anywhere, a negation, or any other word
 * makes it not count ("确认什么", "不确认", "知道了吗？", "ack please").
 *
 * Acknowledgement clauses, each optionally opened by 我 / 本人 and (Chinese) closed by 了 / 啦:
 * - Chinese: 确认, 确认知悉, 知悉, 知道了, with 已 / 已经 before (已确认, 已知悉, 已经知悉);
 *   已阅 / 已阅读 / 已读, alone or followed by (并 / 且) 知悉 / 确认 / 确认知悉 / 悉 (已阅知悉, 已阅读并确认, 阅悉);
 * - English: ack, acknowledged, i acknowledge (it / this / the notice), noted (with thanks) — the English 知悉 —,
 *   read and understood, i have read and understood / i've read and understood (it / this / the notice).
 * Left out on purpose: 收到, ok, got it, 明白了, 了解, "understood" alone (they say the message arrived or answer any
 * reply — an employee who says "明白了" after an FAQ answer has not thereby acknowledged a notice), "acknowledge" alone
 * (a question as often as an answer) and past tenses with a subject ("I acknowledged").
 */

/** Traditional characters of the acknowledgement words, to their Simplified forms. */
const TO_SIMPLIFIED: Readonly<Record<string, string>> = { 確: '确', 認: '认', 閱: '阅', 讀: '读', 經: '经', 並: '并', 謝: '谢' };

/** Clause separators: punctuation, and any whitespace that touches a Chinese character or punctuation. */
const CLAUSE_SPLIT = /[,，。.!！~～…、;；:：]+|\s+(?=\p{Script=Han})|(?<=\p{Script=Han})\s+/u;

/** One acknowledgement clause (after normalisation; see the module doc). */
const ACK_CLAUSE = new RegExp(
  '^(?:' +
    [
      // Chinese
      '(?:我|本人)?(?:已经|已)?(?:确认知悉|确认|知悉)(?:了|啦)?',
      '(?:我|本人)?(?:已经|已)?知道了',
      '(?:我|本人)?(?:已经|已)(?:阅读|阅|读)(?:(?:并|且)?(?:确认知悉|确认|知悉))?(?:了|啦)?',
      '(?:我|本人)?(?:已经|已)?阅悉(?:了|啦)?',
      // English
      'ack',
      'acknowledged(?: with thanks)?',
      "i acknowledge(?: it| this| the notice)?",
      'noted(?: with thanks)?',
      "(?:(?:i have|i've|have) )?read and understood(?: it| this| the notice)?",
    ].join('|') +
    ')$',
  'u',
);

/**
 * Politeness that may stand beside an acknowledgement ("好的，已知悉", "收到，已阅，谢谢", "Acknowledged, thanks"),
 * and of which a receipt-only reply consists ({@link isReceiptOnly} — except thanks alone, which is answered
 * "you're welcome" as before).
 */
const POLITE = new Set(['好的', '好', '好滴', '嗯', '嗯嗯', '哦', '噢', '是的', 'ok', 'okay', 'ok的', '收到', '收到了', '已收到', '收到啦', 'received', 'got it', '谢谢', '多谢', '感谢', '谢谢你', '谢谢您', 'thanks', 'thank you', 'thx', 'many thanks']);
/** The receipt-only words ({@link isReceiptOnly}): the reply says it arrived or "ok", not that it was read. */
const RECEIPT = new Set(['好的', '好', '好滴', '嗯', '嗯嗯', 'ok', 'okay', 'ok的', '收到', '收到了', '已收到', '收到啦', 'received', 'got it', '👌', '👍']);
const THANKS = new Set(['谢谢', '多谢', '感谢', '谢谢你', '谢谢您', 'thanks', 'thank you', 'thx', 'many thanks']);

/** The clauses of a reply, normalised (see the module doc); null when it asks something or is too long to be a reply. */
function clauses(text: string): string[] | null {
  if (text.length > 200) return null;
  const t = [...text.normalize('NFKC').toLowerCase()].map((c) => TO_SIMPLIFIED[c] ?? c).join('').trim();
  if (/[?？]/u.test(t)) return null;
  const parts = t
    .split(CLAUSE_SPLIT)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter((p) => p !== '');
  // An English politeness opening the clause ("ok noted", "yes, acknowledged") is a clause of its own.
  return parts.flatMap((p) => {
    const m = /^(ok|okay|yes|sure) (.+)$/u.exec(p);
    return m ? [m[1] === 'yes' || m[1] === 'sure' ? 'ok' : m[1]!, m[2]!] : [p];
  });
}

/** True when `text` acknowledges: one acknowledgement clause, the rest politeness (module doc). */
export function isAckPhrase(text: string): boolean {
  const cs = clauses(text);
  if (!cs) return false;
  const acks = cs.filter((c) => ACK_CLAUSE.test(c));
  return acks.length >= 1 && cs.every((c) => ACK_CLAUSE.test(c) || POLITE.has(c));
}

/**
 * True when `text` only says the notice arrived or "ok" ("收到", "好的", "OK", "received", "收到，谢谢"), with no
 * acknowledgement in it: an employee with a notice still to acknowledge is told how to (module doc).
 */
export function isReceiptOnly(text: string): boolean {
  const cs = clauses(text);
  if (!cs || cs.length === 0) return false;
  return cs.some((c) => RECEIPT.has(c)) && cs.every((c) => RECEIPT.has(c) || THANKS.has(c));
}

function reply(m: InboundMessage, lang: Lang, text: string): BotResult {
  return {
    intent: 'status',
    topic: null,
    score: 1,
    suggestions: [],
    lang,
    // A card button is pressed in the 1:1 chat; should one ever come from a group, answer privately.
    replies: [{ text, visibility: m.chat.kind === 'group' ? 'private' : 'chat' }],
  };
}

/**
 * The acknowledgement command (register it in the router's `commands`):
 * - kind 'ack-action' with text `ack:<noticeId>:<version>` (the card button) acknowledges that
 *   version, channel 'card'; the reply is in the employee's remembered language (`context.langKnown`), else
 *   bilingual (a button press has no language of its own);
 * - kind 'text' in a 1:1 chat that is an acknowledgement phrase acknowledges the employee's
 *   newest unacknowledged notice on that platform, channel 'text', replying in their language.
 * The reply names the notice title and version. A second acknowledgement changes nothing and
 * says when the first was. With nothing to acknowledge it returns null, so "知道了" as a plain
 * remark is answered by the FAQ/help as usual;
 * - kind 'text' in a 1:1 chat that only says the notice arrived ({@link isReceiptOnly}: "收到", "好的", "ok") from an
 *   employee with a notice still to acknowledge: a short reply telling how to acknowledge it (「如已阅读并知悉《…》，请回复
 *   “确认”。」) — nothing is recorded; without such a notice it returns null (the usual greeting / FAQ reply). When the store cannot record it, the employee is
 * asked to try again — never confirmed and dropped. Anonymous askers are never handled.
 * `changesState`: card clicks and acknowledgement phrases (so they are recorded before the
 * platform is told the message arrived); acknowledging is idempotent, so a platform's redelivery
 * of the same message only says when it was acknowledged.
 */
export function createAckCommand(service: NoticeService, log: Logger): CommandHandler {
  const command: CommandHandler = async (m, lang, context) => {
    if (m.anonymous) return null;
    let result: AckResult;
    if (m.kind === 'ack-action') {
      const key = parseAckKey(m.text);
      if (!key) return null;
      // The employee's language when the router knows it, else Chinese then English.
      const known = context?.langKnown === true;
      const say = (text: (l: Lang) => string) => reply(m, known ? lang : 'zh-CN', known ? text(lang) : both(text));
      try {
        result = await service.acknowledge(m.platform, m.userId, key, 'card');
      } catch (err) {
        logFailure(log, m, err);
        return say((l) => ackTexts(l).tryAgain);
      }
      if (result.kind === 'not-found') return say((l) => ackTexts(l).notFound);
      const r = result;
      const date = service.date(r.record.acknowledgedAt!);
      return say((l) => (r.kind === 'acknowledged' ? ackTexts(l).confirmed : ackTexts(l).already)(titleIn(r.notice.title, l), r.notice.version, date));
    }
    if (m.kind !== 'text' || m.chat.kind !== 'single') return null;
    if (!isAckPhrase(m.text)) return isReceiptOnly(m.text) ? howToAcknowledge(m, lang) : null;
    try {
      result = await service.acknowledge(m.platform, m.userId, 'latest', 'text');
    } catch (err) {
      logFailure(log, m, err);
      return reply(m, lang, ackTexts(lang).tryAgain);
    }
    if (result.kind === 'not-found') return null;
    const texts = ackTexts(lang);
    const say = result.kind === 'acknowledged' ? texts.confirmed : texts.already;
    return reply(m, lang, say(titleIn(result.notice.title, lang), result.notice.version, service.date(result.record.acknowledgedAt!)));
  };
  /** "收到" / "ok" from an employee with a notice to acknowledge: how to acknowledge it; else null (the usual reply). */
  async function howToAcknowledge(m: InboundMessage, lang: Lang): Promise<BotResult | null> {
    let pending: Awaited<ReturnType<NoticeService['pendingNotice']>>;
    try {
      pending = await service.pendingNotice(m.platform, m.userId);
    } catch (err) {
      logFailure(log, m, err);
      return null;
    }
    return pending ? reply(m, lang, ackTexts(lang).howTo(titleIn(pending.title, lang), pending.version)) : null;
  }
  // A card click or an acknowledgement phrase records an acknowledgement: committed before the
  // platform is told the message arrived.
  command.changesState = (m) => !m.anonymous && (m.kind === 'ack-action' || (m.kind === 'text' && m.chat.kind === 'single' && isAckPhrase(m.text)));
  return command;
}

/** The Chinese text, then the English one. */
function both(text: (lang: Lang) => string): string {
  return `${text('zh-CN')}\n${text('en')}`;
}

function logFailure(log: Logger, m: InboundMessage, err: unknown): void {
  const e = err as { code?: string; message?: string };
  log.warn({ user: hashUserId(m.platform, m.userId), code: e.code, err: e.message }, 'acknowledgement could not be recorded');
}

/**
 * The personal section for status topics (knowledge entries with appendStatus): the notices
 * the employee received, each "acknowledged on YYYY-MM-DD" or "not yet acknowledged (reply 确认)".
 * Null when they received none or the topic is not a status topic. A store failure throws (the
 * router then says "temporarily unavailable").
 */
export function createNoticeSection(service: NoticeService): PersonalSection {
  return async (m, entry, lang) => {
    if (!entry.appendStatus) return null;
    const lines = await service.personalLines(m.platform, m.userId, lang);
    return lines.length > 0 ? lines.join('\n') : null;
  };
}
