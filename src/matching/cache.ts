import { createHash } from 'node:crypto';
import type { MatchContext, MatchResult, Matcher } from './types.ts';

/** Default number of distinct questions whose results are kept (≈ 150 bytes each: ~1.5 MB). */
export const MATCH_CACHE_ENTRIES = 10_000;

/** Questions longer than this (characters) are matched every time and never cached. */
export const MATCH_CACHE_MAX_QUESTION_CHARS = 500;

/**
 * Wraps a matcher with a bounded least-recently-used cache of its results. Employees ask the same
 * few questions in the same words again and again (the dev set's 89 questions cover 29 topics), and
 * a match costs ~70–120 µs of CPU (normalisation, pinyin, segmentation, Fuse.js) while a cache hit
 * costs a SHA-256 of the text (~2 µs). `Matcher.match` is pure for a given knowledge base, which is
 * loaded once per process, so a cached result is always the result a fresh match would give.
 *
 * Privacy: the cache is keyed by the SHA-256 of the platform id and the question, so no question text stays in memory
 * after its message is handled; the values are topic ids, scores and the detected language.
 * Returned results are frozen (shared between callers).
 *
 * @param matcher the matcher to wrap
 * @param maxEntries how many distinct questions to keep (default {@link MATCH_CACHE_ENTRIES}); 0 disables the cache
 */
export function cachedMatcher(matcher: Matcher, maxEntries = MATCH_CACHE_ENTRIES): Matcher & { readonly size: number } {
  const cache = new Map<string, MatchResult>();
  return {
    get size() {
      return cache.size;
    },
    match(question: string, context?: MatchContext): MatchResult {
      if (maxEntries <= 0 || question.length > MATCH_CACHE_MAX_QUESTION_CHARS) return matcher.match(question, context);
      const key = createHash('sha256').update(`${context?.platform ?? ''}\u0000${question}`).digest('base64');
      const hit = cache.get(key);
      if (hit) {
        // Most recently used goes last; the first key is the one to evict.
        cache.delete(key);
        cache.set(key, hit);
        return hit;
      }
      const fresh = matcher.match(question, context);
      const frozen: MatchResult = Object.freeze({
        ...fresh,
        suggestions: Object.freeze([...fresh.suggestions]) as string[],
        ...(fresh.suggestionScores ? { suggestionScores: Object.freeze([...fresh.suggestionScores]) as number[] } : {}),
      });
      cache.set(key, frozen);
      if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
      return frozen;
    },
  };
}
