import type { Logger } from 'pino';
import type { KnowledgeBase, KnowledgeEntry } from '../knowledge/types.ts';
import type { Matcher } from '../matching/types.ts';
import { detectLanguage, toTraditional } from '../matching/language.ts';
import type { ArchivingStatus, Store } from '../store/port.ts';
import { formatStatus } from '../archiving/status.ts';
import { hashUserId } from '../log.ts';
import type { BotResult, CommittedMessage, InboundMessage, Lang, MessageCommitter, MessageHandler, Reply } from '../types.ts';
import { messagesFor } from './messages.ts';
import { isGreeting, isHelpRequest, suggestionChoice } from './intents.ts';

/** How long a "not sure" reply's numbered suggestions stay pickable by number, in ms (10 minutes). */
export const SUGGESTION_TTL_MS = 10 * 60 * 1000;

/**
 * A command's answer that takes longer than its state change: the state change is recorded when
 * the command returns; `deferred` makes the reply afterwards (after the platform was told the
 * message arrived), e.g. an admin's confirmed broadcast resolving its audience. Must not throw.
 */
export interface DeferredReply {
  deferred: () => Promise<BotResult>;
}

/**
 * A command tried before FAQ matching (e.g. notice acknowledgement "确认", admin "/notice …").
 * Returns a result to answer with (or a {@link DeferredReply}), or null to let the next command /
 * the FAQ matcher handle it. Whatever it writes is written when its promise resolves.
 * Called for kinds 'text' and 'ack-action' only. Must not throw for user input.
 *
 * `changesState` (optional): synchronous, no I/O — true when the command may write durable state
 * for this message that the employee relies on (an acknowledgement, an admin's confirmation).
 * Such messages are committed before the platform is told they arrived (MessageCommitter).
 */
export type CommandHandler<R extends BotResult | DeferredReply = BotResult> = ((message: InboundMessage, lang: Lang) => Promise<R | null>) & {
  changesState?: (message: InboundMessage) => boolean;
};

/** The core handler, and the same pipeline in two steps (commit, then answer) for adapters. */
export type CoreHandler = MessageHandler & MessageCommitter;

/**
 * A personal line added to an FAQ answer for the asking employee (their archiving status, the
 * notices they acknowledged, their external contacts' consent, their company's policy…).
 * Returns null when it has nothing to add for this topic. Never called for anonymous askers.
 * Its text is private: in a group it goes only to the asker 1:1, never to the group.
 * A throw is reported to the asker as "temporarily unavailable" (the FAQ answer still goes out).
 */
export type PersonalSection = (message: InboundMessage, entry: KnowledgeEntry, lang: Lang) => Promise<string | null>;

/** Everything the router needs; all of it platform-neutral. */
export interface RouterDeps {
  kb: KnowledgeBase;
  matcher: Matcher;
  /** For the suggestion memory (and the status when no statusLookup is given). */
  store: Store;
  /** Where the asker's archiving status comes from (default: the store's own record). */
  statusLookup?: (platform: string, userId: string) => Promise<ArchivingStatus | null>;
  log: Logger;
  /** Commands tried in order before anything else (help, greeting, FAQ matching). */
  commands?: CommandHandler<BotResult | DeferredReply>[];
  /** Personal sections added, in order, after the archiving status of topics flagged appendStatus. */
  personalSections?: PersonalSection[];
}

function suggestionKey(m: InboundMessage): string {
  return `suggest:${m.platform}:${m.userId}`;
}

/** The answer text of an entry in the asker's language (zh-TW converted from the reviewed zh text). */
function answerText(entry: KnowledgeEntry, lang: Lang): string {
  if (lang === 'en') return entry.answer.en.trim();
  return lang === 'zh-TW' ? toTraditional(entry.answer.zh.trim()) : entry.answer.zh.trim();
}

function titleText(entry: KnowledgeEntry, lang: Lang): string {
  if (lang === 'en') return entry.title.en;
  return lang === 'zh-TW' ? toTraditional(entry.title.zh) : entry.title.zh;
}

function sourcesText(entry: KnowledgeEntry, lang: Lang): string {
  const lines = entry.sources.map((s) => `- ${s.title} ${s.url}`);
  return `${messagesFor(lang).sources}\n${lines.join('\n')}`;
}

function result(partial: Partial<BotResult> & Pick<BotResult, 'intent' | 'lang' | 'replies'>): BotResult {
  return { topic: null, score: 0, suggestions: [], ...partial };
}

/**
 * Builds the core message handler: commands (rate limit, admin, acknowledgement, …), then help,
 * greeting, suggestion pick, FAQ match, or "not sure" with up to 3 suggestions. Replies follow the
 * question's language. Topics flagged `appendStatus` add the asker's own archiving status — in a
 * 1:1 chat inside the answer, in a group only as a separate private reply (never posted to the
 * group); never for anonymous askers.
 *
 * The result is callable as `handle(m)` and also offers the same pipeline in two steps
 * ({@link MessageCommitter}): `mayChangeState(m)` asks the commands' `changesState`; `commit(m)`
 * runs the commands (whose writes are then done) and returns `answer()`, which makes the reply —
 * a command's result, its deferred reply, or the FAQ path. `handle(m)` is `commit(m)` then `answer()`.
 * Never throws for user input; a store failure degrades to "status temporarily unavailable".
 */
export function createRouter(deps: RouterDeps): CoreHandler {
  const { kb, matcher, store, log } = deps;

  const commands = deps.commands ?? [];
  const sections = deps.personalSections ?? [];

  /** The built-in section: the asker's archiving status, for topics flagged appendStatus. */
  const statusLookup = deps.statusLookup ?? ((platform: string, userId: string) => store.getStatus(platform, userId));
  const archivingStatus: PersonalSection = async (m, entry, lang) =>
    entry.appendStatus ? formatStatus(await statusLookup(m.platform, m.userId), lang) : null;

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

  async function answer(m: InboundMessage, entry: KnowledgeEntry, lang: Lang, score: number, suggestions: string[]): Promise<BotResult> {
    const msgs = messagesFor(lang);
    const sources = sourcesText(entry, lang);
    const body = `${answerText(entry, lang)}\n\n${sources}`;
    const base = { intent: 'faq' as const, topic: entry.id, score, suggestions, lang };
    if (m.anonymous) {
      const note = entry.appendStatus ? `\n\n${msgs.anonymousStatus}` : '';
      return result({ ...base, replies: [{ text: `${body}${note}`, visibility: 'chat' }] });
    }
    if (m.chat.kind === 'group' && m.canReplyPrivately === false) {
      // No private channel to the asker from here: nothing personal is looked up or shown.
      const note = entry.appendStatus ? `\n\n${msgs.groupAskPrivately}` : '';
      return result({ ...base, replies: [{ text: `${body}${note}`, visibility: 'chat', mentionAsker: true }] });
    }
    const personal = await personalLines(m, entry, lang);
    if (personal.length === 0) {
      return result({ ...base, replies: [{ text: body, visibility: 'chat', mentionAsker: m.chat.kind === 'group' }] });
    }
    if (m.chat.kind === 'group') {
      const replies: Reply[] = [
        { text: `${body}\n\n${msgs.groupPrivateNote}`, visibility: 'chat', mentionAsker: true },
        { text: `${titleText(entry, lang)}\n${personal.join('\n')}`, visibility: 'private' },
      ];
      return result({ ...base, replies });
    }
    // 1:1: the answer, then the asker's own lines, then the sources.
    return result({ ...base, replies: [{ text: `${answerText(entry, lang)}\n\n${personal.join('\n')}\n\n${sources}`, visibility: 'chat' }] });
  }

  async function fallback(m: InboundMessage, lang: Lang, score: number, suggestions: string[]): Promise<BotResult> {
    const msgs = messagesFor(lang);
    const picks = suggestions.map((id) => kb.byId.get(id)).filter((e): e is KnowledgeEntry => e !== undefined).slice(0, 3);
    let text = msgs.fallbackIntro;
    if (picks.length > 0) {
      text += `\n${msgs.fallbackPick}\n${picks.map((e, i) => `${i + 1}. ${titleText(e, lang)}`).join('\n')}`;
      try {
        await store.set(suggestionKey(m), JSON.stringify({ ids: picks.map((e) => e.id), lang }), SUGGESTION_TTL_MS);
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'could not remember suggestions');
      }
    }
    text += `\n${msgs.fallbackNone}`;
    return result({
      intent: 'fallback',
      score,
      suggestions: picks.map((e) => e.id),
      lang,
      replies: [{ text, visibility: 'chat', mentionAsker: m.chat.kind === 'group' }],
    });
  }

  /** The entry picked by number from the last "not sure" reply (within 10 minutes), with that reply's language. */
  async function pickedSuggestion(m: InboundMessage, choice: number): Promise<{ entry: KnowledgeEntry; lang: Lang } | null> {
    let raw: string | null = null;
    try {
      raw = await store.get(suggestionKey(m));
    } catch {
      return null;
    }
    if (!raw) return null;
    const saved = JSON.parse(raw) as { ids: string[]; lang: Lang };
    const id = saved.ids[choice - 1];
    const entry = id ? kb.byId.get(id) : undefined;
    return entry ? { entry, lang: saved.lang } : null;
  }

  /** Everything after the commands: help, greeting, a picked suggestion, FAQ match or fallback. */
  async function afterCommands(m: InboundMessage, text: string, lang: Lang): Promise<BotResult> {
    const mention = m.chat.kind === 'group';
    if (m.kind === 'ack-action' || text === '' || isHelpRequest(text)) {
      return result({ intent: 'help', lang, replies: [{ text: messagesFor(lang).help, visibility: 'chat', mentionAsker: mention }] });
    }
    if (isGreeting(text)) {
      return result({ intent: 'help', lang, replies: [{ text: messagesFor(lang).greeting, visibility: 'chat', mentionAsker: mention }] });
    }
    const choice = suggestionChoice(text);
    if (choice !== null) {
      const picked = await pickedSuggestion(m, choice);
      if (picked) return answer(m, picked.entry, picked.lang, 1, []);
    }
    const match = matcher.match(text);
    if (match.topic) {
      const entry = kb.byId.get(match.topic);
      if (entry) return answer(m, entry, match.lang, match.score, match.suggestions);
    }
    return fallback(m, match.lang, match.score, match.suggestions);
  }

  function mayChangeState(m: InboundMessage): boolean {
    if (m.kind !== 'text' && m.kind !== 'ack-action') return false;
    return commands.some((c) => c.changesState?.(m) === true);
  }

  async function commit(m: InboundMessage): Promise<CommittedMessage> {
    const mention = m.chat.kind === 'group';
    if (m.kind === 'enter') {
      const r = result({ intent: 'welcome', lang: 'zh-CN', replies: [{ text: messagesFor('zh-CN').welcome, visibility: 'chat' }] });
      return { answer: async () => r };
    }
    if (m.kind === 'non-text') {
      const r = result({ intent: 'non-text', lang: 'zh-CN', replies: [{ text: messagesFor('zh-CN').nonText, visibility: 'chat', mentionAsker: mention }] });
      return { answer: async () => r };
    }
    const text = m.text.trim();
    const lang = detectLanguage(text);
    for (const command of commands) {
      const r = await command(m, lang);
      if (r === null) continue;
      if ('deferred' in r) return { answer: r.deferred };
      return { answer: async () => r };
    }
    return { answer: () => afterCommands(m, text, lang) };
  }

  async function handle(m: InboundMessage): Promise<BotResult> {
    return (await commit(m)).answer();
  }

  return Object.assign(handle, { mayChangeState, commit });
}
