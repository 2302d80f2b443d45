import type { KnowledgeBase } from '../knowledge/types.ts';
import type { Lang } from '../types.ts';

/** The result of matching one question against the knowledge base. */
export interface MatchResult {
  /** Best topic id when the matcher is confident enough to answer, else null (decline). */
  topic: string | null;
  /** Confidence of the best candidate in [0, 1] (1 = certain), whether accepted or not. */
  score: number;
  /** Up to 3 likely topic ids, best first (excludes `topic`); used for "did you mean". */
  suggestions: string[];
  /** Detected language of the question. */
  lang: Lang;
}

/** A matcher built once at start-up over a knowledge base; `match` is synchronous and pure. */
export interface Matcher {
  /** Match one question (raw user text, mentions possibly still present). Never throws. */
  match(question: string): MatchResult;
}

/** Builds a matcher; may take up to ~1.5 s (dictionary loading). */
export type MatcherFactory = (kb: KnowledgeBase) => Promise<Matcher>;
