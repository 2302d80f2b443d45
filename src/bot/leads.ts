import type { KnowledgeEntry, KnowledgeLead } from '../knowledge/types.ts';
import { toSimplified } from '../matching/language.ts';

/** Latin letters and digits: a cue made only of them must match whole words ("call" is not in "recall"). */
const LATIN_CUE = /^[a-z0-9 '’-]+$/;

/**
 * Whether `question` contains `cue`, compared in Simplified Chinese and lower case after NFKC (a Traditional or
 * full-width question matches a Simplified cue); a Latin cue matches whole words only, any other cue as a substring.
 */
export function questionHasCue(question: string, cue: string): boolean {
  const q = toSimplified(question.normalize('NFKC')).toLowerCase();
  const c = toSimplified(cue.normalize('NFKC')).toLowerCase().trim();
  if (!c) return false;
  if (!LATIN_CUE.test(c)) return q.includes(c);
  let from = 0;
  for (;;) {
    const at = q.indexOf(c, from);
    if (at === -1) return false;
    const before = at === 0 ? '' : q[at - 1]!;
    const after = q[at + c.length] ?? '';
    if (!/[a-z0-9]/.test(before) && !/[a-z0-9]/.test(after)) return true;
    from = at + 1;
  }
}

/**
 * The lead of `entry` (its opening for a sub-question, knowledge/*.yaml `leads`) whose cue `question` contains, the
 * first in the entry's order; null when none matches or the entry has none. The question is only compared, never kept.
 */
export function leadFor(entry: KnowledgeEntry, question: string): KnowledgeLead | null {
  for (const lead of entry.leads ?? []) if (lead.cues.some((c) => questionHasCue(question, c))) return lead;
  return null;
}
