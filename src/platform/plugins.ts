/**
 * The router's plug-in points (src/bot/router.ts): commands tried before FAQ matching and personal
 * sections added to an answer. Features (notices, admin chat commands, archiving consent, policies)
 * implement them without importing the router.
 */
import type { KnowledgeEntry } from '../knowledge/types.ts';
import type { BotResult, InboundMessage, Lang } from './message.ts';

/**
 * A command's answer that takes longer than its state change: the state change is recorded when
 * the command returns; `deferred` makes the reply afterwards (after the platform was told the
 * message arrived), e.g. an admin's confirmed broadcast resolving its audience. Must not throw.
 */
export interface DeferredReply {
  deferred: () => Promise<BotResult>;
}

/**
 * What the router knows beside a command's message and language.
 * `langKnown`: false when nothing tells the asker's language — a card button (kind 'ack-action': its text is a key,
 * not words) from an employee whose question language is not remembered; `lang` is then only the default
 * (zh-CN), and a command may reply in both Chinese and English. True for every text message (its own language).
 */
export interface CommandContext {
  langKnown: boolean;
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
export type CommandHandler<R extends BotResult | DeferredReply = BotResult> = ((message: InboundMessage, lang: Lang, context?: CommandContext) => Promise<R | null>) & {
  changesState?: (message: InboundMessage) => boolean;
};

/**
 * A personal line added to an FAQ answer for the asking employee (their archiving status, the
 * notices they acknowledged, their external contacts' consent, their company's policy…).
 * Returns null when it has nothing to add for this topic. Never called for anonymous askers.
 * Its text is private: in a group it goes only to the asker 1:1, never to the group.
 * A throw is reported to the asker as "temporarily unavailable" (the FAQ answer still goes out).
 */
export type PersonalSection = (message: InboundMessage, entry: KnowledgeEntry, lang: Lang) => Promise<string | null>;
