import type { KnowledgeEntry, KnowledgeLead } from '../knowledge/types.ts';
import { toSimplified } from '../matching/language.ts';

/** Latin letters and digits: a cue made only of them must match whole words ("call" is not in "recall"). */
const LATIN_CUE = /^[a-z0-9 '’-]+$/;

/** The form a question and a cue are compared in: NFKC, Simplified Chinese, lower case. */
function cueForm(text: string): string {
  return toSimplified(text.normalize('NFKC')).toLowerCase();
}

/** {@link questionHasCue} on a question already in {@link cueForm}. */
function hasCue(q: string, cue: string): boolean {
  const c = cueForm(cue).trim();
  if (!c) return false;
  if (!LATIN_CUE.test(c)) return q.includes(c);
  for (let at = q.indexOf(c); at !== -1; at = q.indexOf(c, at + 1)) {
    const before = at === 0 ? '' : q[at - 1]!;
    const after = q[at + c.length] ?? '';
    if (!/[a-z0-9]/.test(before) && !/[a-z0-9]/.test(after)) return true;
  }
  return false;
}

/**
 * Whether `question` contains `cue`, compared in Simplified Chinese and lower case after NFKC (a Traditional or
 * full-width question matches a Simplified cue); a Latin cue matches whole words only, any other cue as a substring.
 * Never throws.
 */
export function questionHasCue(question: string, cue: string): boolean {
  return hasCue(cueForm(question), cue);
}

/**
 * The lead of `entry` (its opening for a sub-question: knowledge/*.yaml `leads`, reviewed in docs/KB-REVIEW.md) whose
 * cue `question` contains, the first in the entry's order; null when none matches or the entry has none. The question
 * is converted once and only compared, never kept or logged. Never throws.
 */
export function leadFor(entry: KnowledgeEntry, question: string): KnowledgeLead | null {
  if (!entry.leads?.length) return null;
  const q = cueForm(question);
  for (const lead of entry.leads) if (lead.cues.some((c) => hasCue(q, c))) return lead;
  return null;
}
