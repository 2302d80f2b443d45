import { normalizeQuestion } from '../matching/normalize.ts';

/**
 * Small fixed intents recognised before FAQ matching: help requests, greetings/thanks, a bare number
 * picking one of the suggestions offered in the last "not sure" reply, and "详细" / "more" asking for the
 * detail of the previous answer.
 */

const HELP = new Set([
  '帮助', '幫助', 'help', '菜单', '菜單', 'menu', '?', '？', '/help', 'h',
  // "Who are you / what can you do": answered with the same introduction (a newcomer's "你是谁" got "not sure").
  '你是谁', '你是誰', '你是什么', '你是什麼', '你是干嘛的', '你是幹嘛的', '你能做什么', '你能做什麼', '你会什么', '你會什麼', '你可以做什么', '你可以做什麼',
  'who are you', 'what are you', 'what can you do', 'what do you do',
]);
/** Thank-yous and okays: answered with "you're welcome", not with an introduction. */
const THANKS_WORDS = '谢谢|謝謝|多谢|多謝|感谢|感謝|thanks|thank you|thx|好的|ok|okay|👍';
const HELLO_WORDS = '你好|您好|嗨|哈喽|哈囉|在吗|在嗎|早上好|早安|晚上好|hi|hello|hey|good (morning|afternoon|evening)';
/** What may follow the words: trailing punctuation or spaces only. */
const ALONE_TAIL = '[\\s!！。.~～,，]*$';
const GREETING = new RegExp(`^(${HELLO_WORDS}|${THANKS_WORDS})${ALONE_TAIL}`, 'iu');
const THANKS = new RegExp(`^(${THANKS_WORDS})${ALONE_TAIL}`, 'iu');

/** Runs of whitespace and sentence punctuation. */
const PUNCTUATION_RUN = /[\s!！。.~～?？]+/gu;

/**
 * Strip surrounding whitespace and trailing sentence punctuation. The trailing run is found among all runs
 * (each read once) rather than with /[…]+$/, which reads every run to its end again: quadratic time.
 */
function bare(text: string): string {
  const t = text.trim();
  return t.replace(PUNCTUATION_RUN, (run: string, at: number) => (at + run.length === t.length ? '' : run)).trim();
}

/** True for "帮助", "help", "菜单", "?", "你是谁", "what can you do" and a few variants (case-insensitive). */
export function isHelpRequest(text: string): boolean {
  const t = text.trim().toLowerCase();
  return HELP.has(t) || HELP.has(bare(t));
}

/** True for a greeting or a thank-you with nothing else in it. */
export function isGreeting(text: string): boolean {
  return GREETING.test(text.trim());
}

/** True for a thank-you or an okay with nothing else in it ("谢谢", "thanks!", "好的", "👍"): a {@link isGreeting} too. */
export function isThanks(text: string): boolean {
  return THANKS.test(text.trim());
}

/**
 * A bare number 1–3 (ASCII, full-width or 一/二/三), else null. Used to pick a suggestion.
 * @returns the 1-based choice
 */
export function suggestionChoice(text: string): number | null {
  const t = bare(text.normalize('NFKC'));
  const m = /^(?:第)?([123一二三])(?:个|個|条|條)?$/u.exec(t);
  if (!m) return null;
  const d = m[1]!;
  return d === '一' ? 1 : d === '二' ? 2 : d === '三' ? 3 : Number(d);
}

/** Names employees give their platform, alone in a message (compared after {@link bare}, lower case). */
const PLATFORM_NAMES: ReadonlyMap<string, string> = new Map([
  ...['企业微信', '企業微信', '企微', 'wecom', 'wework', 'we com', '企业微信的', '企业微信吧'].map((n) => [n, 'wecom'] as const),
  ...['钉钉', '釘釘', 'dingtalk', 'ding talk', 'dingding', '钉钉的', '钉钉吧'].map((n) => [n, 'dingtalk'] as const),
  ...['飞书', '飛書', 'feishu', 'lark', 'feishu lark', '飞书的', '飞书吧'].map((n) => [n, 'feishu'] as const),
]);

/**
 * The platform a short message names and nothing else ("钉钉", "Lark", "用的是飞书", "we use dingtalk"), else null: an
 * answer to a platform-choice reply. @returns an entry `platforms` id: 'wecom', 'dingtalk' or 'feishu'
 */
export function platformNamed(text: string): string | null {
  const t = bare(text.normalize('NFKC')).toLowerCase();
  return PLATFORM_NAMES.get(t) ?? PLATFORM_NAMES.get(t.replace(/^(?:我们用的是|我们用|用的是|用|是|we use|we're on|on)\s*/u, '')) ?? null;
}

/**
 * Follow-up frames around a platform's name: "what about X", "how about X", "and X", "and on X", 「那X呢」, 「X呢」,
 * 「X的呢」, 「那X的呢」, 「換成X呢」, 「如果是X呢」 (compared after {@link bare}, NFKC, lower case; group 1 is X).
 */
const FOLLOW_UP_FRAMES: readonly RegExp[] = [
  /^(?:and\s+)?(?:what|how)\s+about\s+(?:(?:on|for|in|with)\s+)?(.+)$/u,
  /^and\s+(?:(?:on|for|in|with)\s+)?(.+)$/u,
  /^(?:那|那么|那麼|那换成|那換成|换成|換成|如果是|要是|假如是|那如果是)?\s*(.+?)\s*(?:的|那边的|那邊的|那边|那邊|上)?(?:呢|呐|吶)$/u,
];

/**
 * The platform a follow-up names ("what about lark?", "how about DingTalk", "and WeCom?", 「那钉钉呢」, 「飞书呢」,
 * 「企微的呢」, 「換成釘釘呢」), else null: X may be any spelling the lexicon maps to a platform (src/matching/normalize.ts
 * `normalizeQuestion`: "lark", "wechat work", 「企微」, 釘釘 …). A bare name is {@link platformNamed}'s, not this.
 * @returns an entry `platforms` id: 'wecom', 'dingtalk' or 'feishu'
 */
export function platformFollowUp(text: string): string | null {
  const t = bare(text.normalize('NFKC')).toLowerCase();
  if (t.length > 40) return null;
  for (const frame of FOLLOW_UP_FRAMES) {
    const x = frame.exec(t)?.[1];
    if (!x) continue;
    const named = PLATFORM_NAMES.get(normalizeQuestion(x)) ?? PLATFORM_NAMES.get(x.trim());
    if (named) return named;
  }
  return null;
}

/** Replies that ask for the detail of the previous answer (compared after {@link bare}, case-insensitive). */
const DETAIL = new Set([
  '详细', '詳細', '详情', '詳情', '更多', '详细点', '詳細點', '详细些', '詳細些', '详细说说', '詳細說說', '展开', '展開',
  'more', 'details', 'detail', 'more details', 'more detail', 'tell me more', 'more info',
]);

/** True for "详细", "詳細", "更多", "more", "details" and a few variants, alone in the message. */
export function isDetailRequest(text: string): boolean {
  return DETAIL.has(bare(text.normalize('NFKC')).toLowerCase());
}
