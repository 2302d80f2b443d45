import type { KnowledgeBase } from '../knowledge/types.ts';
import type { Lang } from '../platform/message.ts';

/** The result of matching one question against the knowledge base. */
export interface MatchResult {
  /** Best topic id when the matcher is confident enough to answer, else null (decline). */
  topic: string | null;
  /** Confidence of the best candidate in [0, 1] (1 = certain), whether accepted or not. */
  score: number;
  /** Up to 3 likely topic ids, best first (excludes `topic`); used for "did you mean". */
  suggestions: string[];
  /**
   * The confidence of each of `suggestions`, same index, on the scale of `score` (all below 0.5: none is
   * answered). For the console's "try a question" box only; never part of an employee's answer. Absent from
   * matchers that do not rank suggestions.
   */
  suggestionScores?: number[];
  /** Detected language of the question. */
  lang: Lang;
  /**
   * Set when `topic` is one member of a platform family (entries that differ only by platform, ids
   * `<platform>-<rest>`: wecom-admin-access, dingtalk-admin-access, feishu-admin-access), the question names no
   * platform and the asker's platform is not one of the family's (the /try page, the CLI): every member's id, in
   * knowledge-base order, `topic` among them. The reply should then ask which platform the asker's company uses
   * instead of answering for one it guessed.
   */
  platformVariants?: string[];
  /**
   * True when the question is declined (`topic` null) although the classifier is sure it is about privacy: it fits
   * several of `suggestions` about equally ("公司可以监控我吗"). The reply should ask which one is meant, not say it
   * did not understand. Absent otherwise, and from matchers without a classifier.
   */
  ambiguous?: boolean;
  /**
   * True when the question is declined and the classifier is sure (out of scope >= 0.9) it is not about privacy
   * ("报销怎么走流程", "tell me a joke"); `suggestions` is then empty. The reply should say what the bot answers and
   * point to HR / IT rather than say it did not understand. Absent otherwise, and from matchers without a classifier.
   */
  offTopic?: boolean;
}

/** What the matcher may know about the asker besides the question. */
export interface MatchContext {
  platform?: string;
}

/** A matcher built once at start-up over a knowledge base; `match` is synchronous and pure. */
export interface Matcher {
  /**
   * Match one question (raw user text, mentions possibly still present). Never throws.
   * @param context.platform the asker's platform id (InboundMessage.platform, e.g. 'dingtalk' or 'wecom-aibot'):
   *   when the question names no platform, entries about another platform rank lower ("管理员能看到我的聊天吗"
   *   asked on DingTalk is about DingTalk). A platform id matches an entry's `platforms` value equal to it or to
   *   the part before its first '-' ('wecom-aibot' -> 'wecom').
   */
  match(question: string, context?: MatchContext): MatchResult;
}

/** Builds a matcher; may take up to ~1.5 s (dictionary loading). */
export type MatcherFactory = (kb: KnowledgeBase) => Promise<Matcher>;
