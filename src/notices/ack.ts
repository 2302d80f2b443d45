import type { Logger } from 'pino';
import type { CommandHandler, PersonalSection } from '../platform/plugins.ts';
import { hashUserId } from '../log.ts';
import type { BotResult, InboundMessage, Lang } from '../platform/message.ts';
import { ackTexts, titleIn } from './messages.ts';
import { parseAckKey, type AckResult, type NoticeService } from './service.ts';

/**
 * Employees acknowledging notices in the chat, and the line their status answers get.
 * Acknowledgement phrases (1:1 chat only; trimmed, any letter case, trailing punctuation ok):
 * 确认 / 確認, 确认知悉 / 確認知悉, 已知悉, 知道了, ack, I acknowledge.
 */
const ACK_PHRASES = new Set(['确认', '確認', '确认知悉', '確認知悉', '已知悉', '知道了', 'ack', 'i acknowledge']);

/** True when `text` is one of the acknowledgement phrases. */
export function isAckPhrase(text: string): boolean {
  const t = text
    .trim()
    .toLowerCase()
    // The trailing run of whitespace and punctuation, found among all runs (each read once): /[…]+$/ would read
    // every run to its end again, in quadratic time.
    .replace(/[\s.!！。．,，;；~～…]+/gu, (run: string, at: number, all: string) => (at + run.length === all.length ? '' : run))
    .replace(/\s+/g, ' ');
  return ACK_PHRASES.has(t);
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
 * remark is answered by the FAQ/help as usual. When the store cannot record it, the employee is
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
    if (m.kind !== 'text' || m.chat.kind !== 'single' || !isAckPhrase(m.text)) return null;
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
