import type { Logger } from 'pino';
import type { KnowledgeBase, KnowledgeEntry } from '../knowledge/types.ts';
import type { Matcher } from '../matching/types.ts';
import { detectLanguage, isChineseScriptNeutral, isLanguageNeutral } from '../matching/language.ts';
import type { ArchivingStatus, Store } from '../store/ports/store.ts';
import { formatStatus, type DescribeSource } from '../archiving/status.ts';
import { hashUserId } from '../log.ts';
import type { BotResult, CommittedMessage, InboundMessage, Lang, MessageCommitter, MessageHandler, Reply, ReplyLink } from '../platform/message.ts';
import type { CommandHandler, DeferredReply, PersonalSection } from '../platform/plugins.ts';

export type { CommandHandler, DeferredReply, PersonalSection };
import { withLinks } from '../reply-links.ts';
import { messagesFor } from './messages.ts';
import { isDetailRequest, isGreeting, isHelpRequest, isThanks, platformFollowUp, platformNamed, suggestionChoice } from './intents.ts';
import { entryFamilies } from '../matching/matcher.ts';
import { toTaiwanTraditional } from './traditional.ts';
import { leadFor } from './leads.ts';
import { capMessage } from '../text-cap.ts';
import type { AnswerOutcome } from './answer-stats.ts';

/**
 * How long a "not sure" reply's numbered suggestions stay pickable by number, in ms (10 minutes). The memory
 * holds the topic ids and the reply's language only (never a text), per platform, user and conversation, and
 * any other message from that user in that conversation ends it: a number picks only as the very next message.
 */
export const SUGGESTION_TTL_MS = 10 * 60 * 1000;

/**
 * How long the bot remembers its last reply to an asker, in ms (10 minutes): "详细" / "more" fetches the
 * detail of that answer, or says in its language that there is none, and a language-neutral message ("2",
 * "?", "👍") is answered in its language. The memory holds the reply's language, and the topic id when the reply
 * was an answer with detail (never a text), per platform and hashed user id; the next message from that user
 * ends it, so it counts only for the very next message.
 */
export const DETAIL_TTL_MS = 10 * 60 * 1000;

/**
 * The reply language for a language-neutral message ("2", "?", "？？", an emoji alone) when nothing is known of
 * the asker: no reply of the bot's in the last {@link DETAIL_TTL_MS}, no question remembered (a brand-new
 * employee, or an anonymous asker) and no language hint on the message (`InboundMessage.langHint`). Simplified Chinese, because the product's users are employees of companies
 * in mainland China (WeCom, DingTalk, Feishu): it is what a newcomer most likely reads, what the welcome and the
 * "text only" replies lead with, and what notices fall back to (src/notices/languages.ts `recipientLanguage`).
 * English was only an accident of {@link detectLanguage}, which answers 'en' for any text without Han characters.
 */
export const UNKNOWN_ASKER_LANG: Lang = 'zh-CN';

/** The core handler, and the same pipeline in two steps (commit, then answer) for adapters. */
export type CoreHandler = MessageHandler & MessageCommitter;

/** Everything the router needs; all of it platform-neutral. */
export interface RouterDeps {
  kb: KnowledgeBase;
  matcher: Matcher;
  /** For the suggestion memory (and the status when no statusLookup is given). */
  store: Store;
  /** Where the asker's archiving status comes from (default: the store's own record). */
  statusLookup?: (platform: string, userId: string) => Promise<ArchivingStatus | null>;
  /** How platform archive sources read in the status line (src/archiving/directory.ts `describe`); default none. */
  describeSource?: DescribeSource;
  /** IANA time zone of the dates in the status line (the company's, as in the notices' lines); default 'UTC'. */
  timeZone?: string;
  log: Logger;
  /** Commands tried in order before anything else (help, greeting, FAQ matching). */
  commands?: CommandHandler<BotResult | DeferredReply>[];
  /** Personal sections added, in order, after the archiving status of topics flagged appendStatus. */
  personalSections?: PersonalSection[];
  /**
   * Told what was decided for a question (a topic's answer, or "not sure") before the reply is
   * returned — the answer statistics (src/bot/answer-stats.ts); never told the text. Not called for
   * commands, help, greetings, detail requests or messages marked `uncounted`. Must not throw.
   */
  onAnswer?: (outcome: AnswerOutcome) => Promise<void>;
  /**
   * Told the language of every question an employee asks (a topic answered or picked, or "not
   * sure") — never the text, never for anonymous askers: the notice engine remembers it to send
   * that employee's notices in it (src/notices/languages.ts). Must not throw.
   */
  onQuestionLanguage?: (m: InboundMessage, lang: Lang) => Promise<void>;
  /**
   * The language this employee last asked a question in, or null when none is known: the record
   * `onQuestionLanguage` keeps (src/notices/languages.ts, hash(platform, user id) -> language, 180 days). Read
   * only for a language-neutral message that does not follow a reply within {@link DETAIL_TTL_MS}, never for
   * anonymous askers; a language-neutral message is not a question in any language, so it never writes the
   * record. Default: none known (then the message's `langHint`, else {@link UNKNOWN_ASKER_LANG}). A failure
   * counts as none known.
   */
  lastQuestionLanguage?: (m: InboundMessage) => Promise<Lang | null>;
}

/**
 * Store key of the asker's pending "not sure" list in this conversation:
 * 'suggest:<platform>:<hashed user id>:<conversation>' -> {"ids": string[], "lang"}; the conversation is 'single' for a
 * 1:1 chat, 'group:<chatId>' in a group (a list offered in one group is not picked by a number sent elsewhere).
 * The user id is stored only as {@link hashUserId} (README "Privacy").
 */
function suggestionKey(m: InboundMessage): string {
  const conversation = m.chat.kind === 'group' ? `group:${m.chat.chatId}` : 'single';
  return `suggest:${m.platform}:${hashUserId(m.platform, m.userId)}:${conversation}`;
}

/**
 * Store key of the bot's last reply to the asker: 'last-reply:<platform>:<hashed user id>' -> {"lang", "id"?,
 * "topic"?}: the reply's language, the topic id when it was an answer whose detail "详细" / "more" can still fetch,
 * and the topic id of any answer (what a follow-up naming another platform, "那钉钉呢", asks again).
 * The user id is stored only as {@link hashUserId} (README "Privacy").
 */
function lastReplyKey(m: InboundMessage): string {
  return `last-reply:${m.platform}:${hashUserId(m.platform, m.userId)}`;
}

/** What {@link lastReplyKey} holds, read back: the reply's language and the answer whose detail is pending, if any. */
interface LastReply {
  lang: Lang;
  detailOf: KnowledgeEntry | null;
  /** The entry the reply answered (an answer, its detail or a platform's pick), if any. */
  topicOf: KnowledgeEntry | null;
}

/** A reviewed zh/en pair in the asker's language (zh-TW converted from zh by src/bot/traditional.ts). */
function inLanguage(zh: string, en: string, lang: Lang): string {
  if (lang === 'en') return en.trim();
  return lang === 'zh-TW' ? toTaiwanTraditional(zh.trim()) : zh.trim();
}

function answerText(entry: KnowledgeEntry, lang: Lang): string {
  return inLanguage(entry.answer.zh, entry.answer.en, lang);
}

function titleText(entry: KnowledgeEntry, lang: Lang): string {
  return inLanguage(entry.title.zh, entry.title.en, lang);
}

/**
 * A bilingual source title, "中文标题 / English title" (the knowledge base's convention: the English half holds no
 * Chinese character): groups 1 and 2 are the halves; no match when the title is not written that way (an operator's
 * own entry).
 */
const BILINGUAL_TITLE = /^(.*\p{Script=Han}.*?)\s*\/\s+(\P{Script=Han}+)$/u;

/**
 * The entry's sources as links, each title in the reply's language only: the Chinese half for zh-CN, converted for
 * zh-TW, the English half for en (both halves side by side made the sources block long on a phone). A title not
 * written as "中文 / English" is shown whole (converted for zh-TW).
 */
function sourceLinks(entry: KnowledgeEntry, lang: Lang): ReplyLink[] {
  return entry.sources.map((s) => {
    const halves = BILINGUAL_TITLE.exec(s.title);
    const title = halves ? (lang === 'en' ? (halves[2] as string) : (halves[1] as string)) : s.title;
    return { title: lang === 'zh-TW' ? toTaiwanTraditional(title) : title, url: s.url };
  });
}

function isLang(x: unknown): x is Lang {
  return x === 'zh-CN' || x === 'zh-TW' || x === 'en';
}

/** The topic a suggestion button picked (`InboundMessage.pick`), when it names a known entry. */
function pickedTopicIn(kb: KnowledgeBase, m: InboundMessage): { entry: KnowledgeEntry; lang: Lang } | null {
  const entry = m.pick ? kb.byId.get(m.pick.topic) : undefined;
  return entry && m.pick && isLang(m.pick.lang) ? { entry, lang: m.pick.lang } : null;
}

/**
 * The help text for where the asker is: it promises the asker's own status only where one can be shown
 * (a 1:1 chat, or privately from a group), never to an anonymous asker nor in a group with no private channel.
 */
function helpText(m: InboundMessage, lang: Lang): string {
  const msgs = messagesFor(lang);
  if (m.anonymous) return msgs.helpAnonymous;
  if (m.chat.kind === 'group' && m.canReplyPrivately === false) return msgs.helpNoPrivate;
  return msgs.help;
}

function result(partial: Partial<BotResult> & Pick<BotResult, 'intent' | 'lang' | 'replies'>): BotResult {
  return { topic: null, score: 0, suggestions: [], ...partial };
}

/**
 * Builds the core message handler: "详细" / "more" right after an answer with detail (its detail), commands
 * (rate limit, admin, acknowledgement, …), then a picked topic (`InboundMessage.pick`, or a bare number as the very
 * next message after a "not sure" list in the same conversation), help, greeting, FAQ match, or "not sure" with up
 * to 3 suggestions. Replies follow the question's language (zh-TW answers converted by src/bot/traditional.ts);
 * a message that says nothing of its language ("2", "?", "？？", an emoji alone: src/matching/language.ts
 * `isLanguageNeutral`) is answered in the language of the bot's last reply to the asker (10 minutes), else the
 * language the employee last asked in (`lastQuestionLanguage`), else the message's language hint (`langHint`, the
 * /try page's language), else {@link UNKNOWN_ASKER_LANG}; Chinese that could be either script ("更多", "可以看":
 * `isChineseScriptNeutral`) is answered in zh-TW when that reply or the hint was zh-TW; a card button (kind
 * 'ack-action') is answered in the employee's remembered language, else in both (`CommandContext.langKnown`);
 * "详细" / "more" answers in the language of the reply it follows;
 * an answer's sources end its reply as links (`Reply.links`, plain "title: url" lines in `text`). Topics flagged
 * `appendStatus` add the asker's own archiving status — in a 1:1 chat inside the answer (after it, or leading it
 * when the entry is `statusFirst`), in a group only as a separate private reply (never posted to the group); never
 * for anonymous askers.
 *
 * The result is callable as `handle(m)` and also offers the same pipeline in two steps
 * ({@link MessageCommitter}): `mayChangeState(m)` asks the commands' `changesState`; `commit(m)`
 * runs the commands (whose writes are then done) and returns `answer()`, which makes the reply —
 * a command's result, its deferred reply, or the FAQ path. `handle(m)` is `commit(m)` then `answer()`.
 * Never throws for user input; a store failure degrades to "status temporarily unavailable". A message's text is
 * first cut to MAX_MESSAGE_CHARS (src/text-cap.ts), before any command or the matcher reads it.
 */
export function createRouter(deps: RouterDeps): CoreHandler {
  const { kb, matcher, store, log } = deps;
  const pickedTopic = (m: InboundMessage) => pickedTopicIn(kb, m);

  const commands = deps.commands ?? [];
  /** Platform families of the knowledge base (entry id -> every member's id): what a platform follow-up switches between. */
  const families = entryFamilies(kb.entries);
  const sections = deps.personalSections ?? [];

  /** The built-in section: the asker's archiving status, for topics flagged appendStatus. */
  const statusLookup = deps.statusLookup ?? ((platform: string, userId: string) => store.getStatus(platform, userId));
  const archivingStatus: PersonalSection = async (m, entry, lang) =>
    entry.appendStatus ? formatStatus(await statusLookup(m.platform, m.userId), lang, deps.describeSource, deps.timeZone) : null;

  /** Every personal line for this asker and topic; a failing section becomes "temporarily unavailable". */
  async function personalLines(m: InboundMessage, entry: KnowledgeEntry, lang: Lang): Promise<string[]> {
    const lines: string[] = [];
    for (const section of [archivingStatus, ...sections]) {
      try {
        const line = await section(m, entry, lang);
        if (line) lines.push(line);
      } catch (err) {
        log.warn({ user: hashUserId(m.platform, m.userId), topic: entry.id, err: (err as Error).message }, 'personal section failed');
        const unavailable = messagesFor(lang).statusUnavailable;
        if (!lines.includes(unavailable)) lines.push(unavailable);
      }
    }
    return lines;
  }

  /** `before` followed by the entry's sources (plain "title: url" lines in `text`, the links in `links`). */
  function withSources(before: string, entry: KnowledgeEntry, lang: Lang): Pick<Reply, 'text' | 'links'> {
    return withLinks(before, messagesFor(lang).sources, sourceLinks(entry, lang));
  }

  /**
   * Remembers the reply to a text message (its language; the topic id too when it is an answer whose entry has
   * detail) for the asker's next message; best effort. `r` is what the router answers: an answer of the FAQ path
   * (intent 'faq') can offer its detail, nothing else can.
   */
  async function rememberLastReply(m: InboundMessage, r: BotResult): Promise<void> {
    const entry = r.intent === 'faq' && r.topic ? kb.byId.get(r.topic) : undefined;
    const answered = (r.intent === 'faq' || r.intent === 'detail') && r.topic ? r.topic : undefined;
    const record = { ...(entry?.detail ? { id: entry.id } : {}), ...(answered ? { topic: answered } : {}), lang: r.lang };
    try {
      await store.set(lastReplyKey(m), JSON.stringify(record), DETAIL_TTL_MS);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'could not remember the last reply');
    }
  }

  /**
   * Ends the memory of the bot's last reply to the asker (every message does) and, when `wanted`, returns it
   * first. A store failure or an unreadable record means "nothing remembered".
   */
  async function takeLastReply(m: InboundMessage, wanted: boolean): Promise<LastReply | null> {
    let raw: string | null = null;
    try {
      if (wanted) raw = await store.get(lastReplyKey(m));
      await store.delete(lastReplyKey(m));
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'could not read or end the last reply');
      return null;
    }
    if (!raw) return null;
    try {
      const saved = JSON.parse(raw) as { id?: unknown; lang?: unknown; topic?: unknown };
      if (!isLang(saved.lang)) return null;
      const entry = typeof saved.id === 'string' ? kb.byId.get(saved.id) : undefined;
      const topic = typeof saved.topic === 'string' ? kb.byId.get(saved.topic) : undefined;
      return { lang: saved.lang, detailOf: entry?.detail ? entry : null, topicOf: topic ?? null };
    } catch {
      return null;
    }
  }

  /**
   * The language to answer a language-neutral message in: that of the bot's last reply to the asker (within
   * {@link DETAIL_TTL_MS}), else the language the employee last asked a question in, else the message's
   * `langHint` (a language known from outside the message, e.g. the /try page's), else {@link UNKNOWN_ASKER_LANG}.
   */
  async function neutralLanguage(m: InboundMessage, last: LastReply | null): Promise<Lang> {
    if (last) return last.lang;
    return (await rememberedLanguage(m)) ?? (isLang(m.langHint) ? m.langHint : UNKNOWN_ASKER_LANG);
  }

  /**
   * The language the employee last asked a question in (`lastQuestionLanguage`), or null when none is remembered,
   * the asker is anonymous or the record cannot be read (logged, message only).
   */
  async function rememberedLanguage(m: InboundMessage): Promise<Lang | null> {
    if (m.anonymous || !deps.lastQuestionLanguage) return null;
    try {
      const lang = await deps.lastQuestionLanguage(m);
      return lang && isLang(lang) ? lang : null;
    } catch (err) {
      log.warn({ err: (err as Error).message }, "could not read the employee's language");
      return null;
    }
  }

  /** The detail of `entry` with its sources, in the language of the answer it follows. */
  function detailAnswer(m: InboundMessage, entry: KnowledgeEntry, lang: Lang): BotResult {
    const text = inLanguage(entry.detail!.zh, entry.detail!.en, lang);
    return result({
      intent: 'detail',
      topic: entry.id,
      score: 1,
      lang,
      replies: [{ ...withSources(text, entry, lang), visibility: 'chat', mentionAsker: m.chat.kind === 'group' }],
    });
  }

  /**
   * The answer to `entry` for `m`. `question`: the text matched, when the reply answers it directly (not a topic
   * picked from a list): a lead of the entry whose cue it contains opens the reply (src/bot/leads.ts).
   */
  async function answer(
    m: InboundMessage,
    entry: KnowledgeEntry,
    lang: Lang,
    score: number,
    suggestions: string[],
    question?: string,
    platformContext?: string,
  ): Promise<BotResult> {
    const msgs = messagesFor(lang);
    // The lead for the sub-question asked, if any; the answer, and when the entry has detail, how to get it; notes
    // and personal lines follow, sources last. A follow-up naming a platform (`platformContext`) opens with a line
    // saying how the answer applies to that platform.
    const lead = question === undefined ? null : leadFor(entry, question);
    const plain = lead ? `${inLanguage(lead.zh, lead.en, lang)}\n\n${answerText(entry, lang)}` : answerText(entry, lang);
    const opened = platformContext ? `${platformLine(entry, platformContext, lang)}\n\n${plain}` : plain;
    const main = entry.detail ? `${opened}\n\n${msgs.detailHint}` : opened;
    const base = { intent: 'faq' as const, topic: entry.id, score, suggestions, lang };
    if (m.anonymous) {
      const note = entry.appendStatus ? `\n\n${msgs.anonymousStatus}` : '';
      return result({ ...base, replies: [{ ...withSources(`${main}${note}`, entry, lang), visibility: 'chat' }] });
    }
    if (m.chat.kind === 'group' && m.canReplyPrivately === false) {
      // No private channel to the asker from here: nothing personal is looked up or shown.
      const note = entry.appendStatus ? `\n\n${msgs.groupAskPrivately}` : '';
      return result({ ...base, replies: [{ ...withSources(`${main}${note}`, entry, lang), visibility: 'chat', mentionAsker: true }] });
    }
    const personal = await personalLines(m, entry, lang);
    if (personal.length === 0) {
      return result({ ...base, replies: [{ ...withSources(main, entry, lang), visibility: 'chat', mentionAsker: m.chat.kind === 'group' }] });
    }
    if (m.chat.kind === 'group') {
      const replies: Reply[] = [
        { ...withSources(`${main}\n\n${msgs.groupPrivateNote}`, entry, lang), visibility: 'chat', mentionAsker: true },
        { text: `${titleText(entry, lang)}\n${personal.join('\n')}`, visibility: 'private' },
      ];
      return result({ ...base, replies });
    }
    // 1:1: the answer, then the asker's own lines, then the sources — the own lines first when they are what the
    // question asks (statusFirst: "am I archived?").
    const body = entry.statusFirst ? `${personal.join('\n')}\n\n${main}` : `${main}\n\n${personal.join('\n')}`;
    return result({ ...base, replies: [{ ...withSources(body, entry, lang), visibility: 'chat' }] });
  }

  /**
   * The line opening a platform-neutral answer given again for a follow-up naming `platform` ("那钉钉呢"): it points to
   * what the answer says about that platform when the answer names it, else says the answer has no point of its own on
   * it and that what it says of a named platform applies to that one only (messages.ts `platformFollowUp`).
   */
  function platformLine(entry: KnowledgeEntry, platform: string, lang: Lang): string {
    const msgs = messagesFor(lang);
    const name = msgs.platformNames[platform] ?? platform;
    const text = answerText(entry, lang);
    const mentioned = name.split(' / ').some((n) => text.includes(n));
    return msgs.platformFollowUp(name, mentioned);
  }

  /**
   * What a follow-up naming `platform` ("what about lark?", 「那钉钉呢」) asks, given the previous answer's entry: the
   * member of its platform family for that platform (wecom-admin-access -> dingtalk-admin-access), or the same
   * entry again when it is about no single platform (retention), with `platform` as context; null when the previous
   * answer was about another single platform with no variant for this one (the message is then a normal question).
   */
  function followUpEntry(previous: KnowledgeEntry, platform: string): { entry: KnowledgeEntry; context?: string } | null {
    const family = families.get(previous.id);
    if (family) {
      const member = family.map((id) => kb.byId.get(id)).find((e) => e?.platforms[0] === platform);
      return member ? { entry: member } : null;
    }
    if (previous.platforms.length === 1 && previous.platforms[0] !== 'all') return previous.platforms[0] === platform ? { entry: previous } : null;
    return { entry: previous, context: platform };
  }

  /** Remembers a numbered list offered to the asker, so that a bare number as the next message picks from it. */
  async function rememberSuggestions(m: InboundMessage, picks: KnowledgeEntry[], lang: Lang): Promise<void> {
    try {
      await store.set(suggestionKey(m), JSON.stringify({ ids: picks.map((e) => e.id), lang }), SUGGESTION_TTL_MS);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'could not remember suggestions');
    }
  }

  /**
   * A platform-family question ("can admins read my chats?") from an asker whose platform is unknown (/try, the
   * CLI): each platform's opening sentence, numbered (WeCom, DingTalk, Feishu), instead of the answer for a guessed
   * platform. A number, the platform's name or a /try button then gives that platform's full answer with its sources.
   * `topic` stays the matcher's pick.
   */
  async function platformChoice(m: InboundMessage, topic: string, variants: string[], lang: Lang, score: number): Promise<BotResult> {
    const msgs = messagesFor(lang);
    // Always the same order (that of msgs.platformNames, then the rest), so that "1" means the same app every time.
    const order = Object.keys(msgs.platformNames);
    const rank = (e: KnowledgeEntry): number => {
      const at = order.indexOf(e.platforms[0] ?? '');
      return at < 0 ? order.length : at;
    };
    const members = variants
      .map((id) => kb.byId.get(id))
      .filter((e): e is KnowledgeEntry => e !== undefined)
      .sort((a, b) => rank(a) - rank(b));
    const lines = members.map((e, i) => {
      const name = e.platforms.length === 1 ? msgs.platformNames[e.platforms[0] as string] : undefined;
      const opening = answerText(e, lang).split(/\n\s*\n/)[0]?.trim() ?? '';
      return `${i + 1}. ${name ?? titleText(e, lang)}${lang === 'en' ? ': ' : '：'}${opening}`;
    });
    await rememberSuggestions(m, members, lang);
    const text = `${msgs.platformChoiceIntro}\n${lines.join('\n')}\n${msgs.platformChoicePick}`;
    return result({
      intent: 'platform-choice',
      topic,
      score,
      suggestions: members.map((e) => e.id),
      lang,
      replies: [{ text, visibility: 'chat', mentionAsker: m.chat.kind === 'group' }],
    });
  }

  /**
   * "Not sure" with up to 3 numbered suggestions. `ambiguous` (MatchResult.ambiguous): the question is about privacy
   * but fits several topics, so the reply asks which one is meant instead of saying it did not understand.
   * `offTopic` (MatchResult.offTopic) with nothing to suggest: the message is not about privacy, so the reply says
   * what the bot answers and points to HR / IT.
   */
  async function fallback(m: InboundMessage, lang: Lang, score: number, suggestions: string[], ambiguous = false, offTopic = false): Promise<BotResult> {
    const msgs = messagesFor(lang);
    const picks = suggestions.map((id) => kb.byId.get(id)).filter((e): e is KnowledgeEntry => e !== undefined).slice(0, 3);
    if (offTopic && picks.length === 0) {
      return result({ intent: 'fallback', score, suggestions: [], lang, replies: [{ text: msgs.offTopic, visibility: 'chat', mentionAsker: m.chat.kind === 'group' }] });
    }
    const clarify = ambiguous && picks.length >= 2;
    let text = clarify ? msgs.clarifyIntro : msgs.fallbackIntro;
    if (picks.length > 0) {
      const list = picks.map((e, i) => `${i + 1}. ${titleText(e, lang)}`).join('\n');
      text += clarify ? `\n${list}` : `\n${msgs.fallbackPick}\n${list}`;
      await rememberSuggestions(m, picks, lang);
    }
    text += `\n${clarify ? msgs.clarifyNone : msgs.fallbackNone}`;
    return result({
      intent: 'fallback',
      score,
      suggestions: picks.map((e) => e.id),
      lang,
      replies: [{ text, visibility: 'chat', mentionAsker: m.chat.kind === 'group' }],
    });
  }

  /**
   * Ends the asker's pending numbered list in this conversation (every message does) and, when the message is a bare
   * number (`choice`, 1-based) or a platform's name alone (`platform`, an entry `platforms` id: the answer to a
   * platform-choice reply), returns the entry it picks with that reply's language. A store failure, an unreadable
   * record, a number beyond the list or a platform none of its entries is about means "nothing picked" (the message
   * is then a normal question).
   */
  async function takePendingSuggestion(m: InboundMessage, choice: number | null, platform: string | null): Promise<{ entry: KnowledgeEntry; lang: Lang } | null> {
    let raw: string | null = null;
    try {
      if (choice !== null || platform !== null) raw = await store.get(suggestionKey(m));
      await store.delete(suggestionKey(m));
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'could not read or end the pending suggestions');
      return null;
    }
    if (!raw || (choice === null && platform === null)) return null;
    try {
      const saved = JSON.parse(raw) as { ids?: unknown; lang?: unknown };
      const ids: unknown[] = Array.isArray(saved.ids) ? saved.ids : [];
      // A platform's name picks the listed entry about that platform alone (the answer to a platform-choice reply).
      const id =
        choice !== null
          ? ids[choice - 1]
          : ids.find((x) => typeof x === 'string' && (kb.byId.get(x)?.platforms ?? []).length === 1 && kb.byId.get(x)?.platforms[0] === platform);
      const entry = typeof id === 'string' ? kb.byId.get(id) : undefined;
      const lang = isLang(saved.lang) ? saved.lang : null;
      return entry && lang ? { entry, lang } : null;
    } catch {
      return null;
    }
  }

  /**
   * Everything after the commands: a topic picked (a suggestion button, or a number right after a "not sure"
   * list: `picked`), help, greeting, FAQ match or fallback. `neutral`: the text says nothing of its language,
   * `lang` was found otherwise — it is then the reply's language, and not remembered as the asker's.
   */
  async function afterCommands(
    m: InboundMessage,
    text: string,
    lang: Lang,
    neutral: boolean,
    picked: { entry: KnowledgeEntry; lang: Lang } | null,
    followUp: { entry: KnowledgeEntry; context?: string } | null = null,
  ): Promise<BotResult> {
    const mention = m.chat.kind === 'group';
    const counted = (outcome: AnswerOutcome) => (deps.onAnswer && !m.uncounted ? deps.onAnswer(outcome) : undefined);
    const asked = (lang: Lang) => (deps.onQuestionLanguage && !m.anonymous && !neutral ? deps.onQuestionLanguage(m, lang) : undefined);
    const count = async (outcome: AnswerOutcome, lang: Lang) => {
      await Promise.all([counted(outcome), asked(lang)]);
    };
    if (picked) {
      await count({ topic: picked.entry.id }, picked.lang);
      return answer(m, picked.entry, picked.lang, 1, []);
    }
    if (followUp) {
      await count({ topic: followUp.entry.id }, lang);
      return answer(m, followUp.entry, lang, 1, [], undefined, followUp.context);
    }
    if (m.kind === 'ack-action' || text === '' || isHelpRequest(text)) {
      return result({ intent: 'help', lang, replies: [{ text: helpText(m, lang), visibility: 'chat', mentionAsker: mention }] });
    }
    if (isGreeting(text)) {
      const reply = isThanks(text) ? messagesFor(lang).thanks : messagesFor(lang).greeting;
      return result({ intent: 'help', lang, replies: [{ text: reply, visibility: 'chat', mentionAsker: mention }] });
    }
    const match = matcher.match(text, { platform: m.platform });
    const replyLang = neutral ? lang : match.lang;
    if (match.topic) {
      const entry = kb.byId.get(match.topic);
      if (entry) {
        await count({ topic: entry.id }, replyLang);
        if (match.platformVariants && match.platformVariants.length >= 2) return platformChoice(m, entry.id, match.platformVariants, replyLang, match.score);
        return answer(m, entry, replyLang, match.score, match.suggestions, text);
      }
    }
    await count({ notSure: true }, replyLang);
    return fallback(m, replyLang, match.score, match.suggestions, match.ambiguous === true, match.offTopic === true);
  }

  function mayChangeState(message: InboundMessage): boolean {
    const m = capMessage(message);
    if (m.kind !== 'text' && m.kind !== 'ack-action') return false;
    return commands.some((c) => c.changesState?.(m) === true);
  }

  async function commit(message: InboundMessage): Promise<CommittedMessage> {
    // The last line against very long messages: nothing below reads more than MAX_MESSAGE_CHARS.
    const m = capMessage(message);
    const mention = m.chat.kind === 'group';
    if (m.kind === 'enter') {
      const r = result({ intent: 'welcome', lang: 'zh-CN', replies: [{ text: messagesFor('zh-CN').welcome, visibility: 'chat' }] });
      return { answer: async () => r };
    }
    // Any message ends the memory of the last reply ("详细" / "more" fetches its detail first, a language-neutral
    // message reads its language first) and the pending "not sure" list of this conversation (a bare number picks
    // from it first).
    const typed = m.kind === 'text' && m.pick === undefined;
    const wantsDetail = typed && isDetailRequest(m.text.trim());
    const neutral = typed && isLanguageNeutral(m.text);
    const choice = typed ? suggestionChoice(m.text) : null;
    // "what about lark?" / 「那钉钉呢」: a platform named as a follow-up (to a platform-choice list, or to an answer).
    const followUpPlatform = typed && choice === null ? platformFollowUp(m.text) : null;
    const platformPick = typed && choice === null ? (platformNamed(m.text) ?? followUpPlatform) : null;
    const [last, pickedByNumber] = await Promise.all([
      takeLastReply(m, wantsDetail || neutral || followUpPlatform !== null),
      takePendingSuggestion(m, choice, platformPick),
    ]);
    if (m.kind === 'non-text') {
      const r = result({ intent: 'non-text', lang: 'zh-CN', replies: [{ text: messagesFor('zh-CN').nonText, visibility: 'chat', mentionAsker: mention }] });
      return { answer: async () => r };
    }
    const text = m.text.trim();
    // A card button's text is a key, not words: its reply follows the employee's remembered language, if any.
    const buttonLang = m.kind === 'ack-action' ? await rememberedLanguage(m) : null;
    const lang = m.pick?.lang ?? buttonLang ?? (neutral ? await neutralLanguage(m, last) : m.kind === 'ack-action' ? UNKNOWN_ASKER_LANG : detectLanguage(text));
    const context = { langKnown: m.kind !== 'ack-action' || buttonLang !== null };
    // Chinese that could be either script ("更多", "可以看") follows the Traditional of the bot's last reply (read
    // for "更多" and language-neutral messages) or of the message's hint instead of defaulting to Simplified; like a
    // hint, this is not remembered as the asker's language.
    const zhOpen = typed && !neutral && lang === 'zh-CN' && (last?.lang ?? m.langHint) === 'zh-TW' && isChineseScriptNeutral(text);
    const replyLang: Lang = zhOpen ? 'zh-TW' : lang;
    // The reply to a text message is remembered for the next one (its language; its detail, if any).
    const remembered = (make: () => Promise<BotResult>) =>
      m.kind === 'text'
        ? async () => {
            const r = await make();
            await rememberLastReply(m, r);
            return r;
          }
        : make;
    if (wantsDetail) {
      // "详细" / "more" answers in the language of the reply it follows (an answer without detail included).
      if (last?.detailOf) {
        const r = detailAnswer(m, last.detailOf, last.lang);
        return { answer: remembered(async () => r) };
      }
      const detailLang = last?.lang ?? replyLang;
      const r = result({ intent: 'fallback', lang: detailLang, replies: [{ text: messagesFor(detailLang).detailNone, visibility: 'chat', mentionAsker: mention }] });
      return { answer: remembered(async () => r) };
    }
    for (const command of commands) {
      const r = await command(m, replyLang, context);
      if (r === null) continue;
      if ('deferred' in r) return { answer: remembered(r.deferred) };
      return { answer: remembered(async () => r) };
    }
    const picked = m.kind === 'text' ? (pickedTopic(m) ?? pickedByNumber) : null;
    // A follow-up naming a platform after an answer asks that answer's question for the platform; with no previous
    // answer (or none that fits the platform) it is a normal question.
    const followUp = !picked && followUpPlatform !== null && last?.topicOf ? followUpEntry(last.topicOf, followUpPlatform) : null;
    return { answer: remembered(() => afterCommands(m, text, replyLang, neutral || zhOpen, picked, followUp)) };
  }

  async function handle(m: InboundMessage): Promise<BotResult> {
    return (await commit(m)).answer();
  }

  return Object.assign(handle, { mayChangeState, commit });
}
