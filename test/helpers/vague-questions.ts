/**
 * Vague English privacy questions ("can my employer monitor me") for the tests of the "which one do you mean" reply
 * (MatchResult.ambiguous). Which of them the topic classifier leaves undecided moves a little with every retraining
 * (docs/MATCHING-ROUNDS.md: "can my employer monitor me" has leaned out of scope in some rounds), so a test takes the
 * first of the list that the shipped model finds ambiguous, and fails only when none is.
 */
import type { Matcher } from '../../src/matching/types.ts';

/** Candidates, in order of preference. */
export const VAGUE_EN: readonly string[] = [
  'can my employer monitor me',
  'can my manager see my chats',
  'who can see my chats',
  'can they see what i write',
];

/**
 * The first of {@link VAGUE_EN} the matcher declines as ambiguous.
 * @throws Error when none is (the ambiguous reply would then be untested in English)
 */
export function ambiguousEnglishQuestion(matcher: Pick<Matcher, 'match'>): string {
  const q = VAGUE_EN.find((x) => {
    const r = matcher.match(x) as { topic: string | null; ambiguous?: boolean };
    return r.topic === null && r.ambiguous === true;
  });
  if (!q) throw new Error(`none of ${JSON.stringify(VAGUE_EN)} is ambiguous to the shipped model: add a vague English question that is`);
  return q;
}
