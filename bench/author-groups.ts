/**
 * The tuning sets grouped by author, for the cross-validations (bench/cv.ts for the ranking, bench/cv-classifier.ts
 * for the classifier): each group is one author's questions (B: blind set 1's tune half with the team's held-out
 * sets), so holding a group out measures how matching does on a new author's questions. A blind set joins here, as
 * in src/eval/training.ts, only after its first run is recorded in test/fixtures/blind/README.md.
 */
export type AuthorGroup = 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M' | 'N' | 'O' | 'P' | 'Q' | 'R' | 'S' | 'T' | 'U' | 'V' | 'W' | 'X' | 'Y';

/** One labelled file of a group: a short name, its path from the package root, and whether only its tune half counts. */
export interface GroupedSet {
  name: string;
  file: string;
  group: AuthorGroup;
  tuneHalfOnly: boolean;
}

export const GROUPED_SETS: readonly GroupedSet[] = [
  { name: 'blind2', file: 'test/fixtures/blind/blind2.jsonl', group: 'A', tuneHalfOnly: false },
  { name: 'valid', file: 'test/fixtures/blind/valid.jsonl', group: 'A', tuneHalfOnly: false },
  { name: 'blind1 tune', file: 'test/fixtures/blind/blind1.jsonl', group: 'B', tuneHalfOnly: true },
  { name: 'holdout', file: 'test/fixtures/holdout.jsonl', group: 'B', tuneHalfOnly: false },
  { name: 'holdout2', file: 'test/fixtures/holdout2.jsonl', group: 'B', tuneHalfOnly: false },
  { name: 'blind3', file: 'test/fixtures/blind/blind3.jsonl', group: 'C', tuneHalfOnly: false },
  { name: 'blind4', file: 'test/fixtures/blind/blind4.jsonl', group: 'D', tuneHalfOnly: false },
  { name: 'blind5', file: 'test/fixtures/blind/blind5.jsonl', group: 'E', tuneHalfOnly: false },
  { name: 'blind6', file: 'test/fixtures/blind/blind6.jsonl', group: 'F', tuneHalfOnly: false },
  { name: 'blind7', file: 'test/fixtures/blind/blind7.jsonl', group: 'G', tuneHalfOnly: false },
  { name: 'blind8', file: 'test/fixtures/blind/blind8.jsonl', group: 'H', tuneHalfOnly: false },
  { name: 'blind9', file: 'test/fixtures/blind/blind9.jsonl', group: 'I', tuneHalfOnly: false },
  { name: 'blind10', file: 'test/fixtures/blind/blind10.jsonl', group: 'J', tuneHalfOnly: false },
  { name: 'blind11', file: 'test/fixtures/blind/blind11.jsonl', group: 'K', tuneHalfOnly: false },
  { name: 'blind12', file: 'test/fixtures/blind/blind12.jsonl', group: 'L', tuneHalfOnly: false },
  { name: 'blind13', file: 'test/fixtures/blind/blind13.jsonl', group: 'M', tuneHalfOnly: false },
  { name: 'blind14', file: 'test/fixtures/blind/blind14.jsonl', group: 'N', tuneHalfOnly: false },
  { name: 'blind15', file: 'test/fixtures/blind/blind15.jsonl', group: 'O', tuneHalfOnly: false },
  { name: 'blind16', file: 'test/fixtures/blind/blind16.jsonl', group: 'P', tuneHalfOnly: false },
  { name: 'blind17', file: 'test/fixtures/blind/blind17.jsonl', group: 'Q', tuneHalfOnly: false },
  { name: 'blind18', file: 'test/fixtures/blind/blind18.jsonl', group: 'R', tuneHalfOnly: false },
  { name: 'blind19', file: 'test/fixtures/blind/blind19.jsonl', group: 'S', tuneHalfOnly: false },
  { name: 'blind20', file: 'test/fixtures/blind/blind20.jsonl', group: 'T', tuneHalfOnly: false },
  { name: 'blind21', file: 'test/fixtures/blind/blind21.jsonl', group: 'U', tuneHalfOnly: false },
  { name: 'blind22', file: 'test/fixtures/blind/blind22.jsonl', group: 'V', tuneHalfOnly: false },
  { name: 'blind23', file: 'test/fixtures/blind/blind23.jsonl', group: 'W', tuneHalfOnly: false },
  { name: 'blind24', file: 'test/fixtures/blind/blind24.jsonl', group: 'X', tuneHalfOnly: false },
  { name: 'blind25', file: 'test/fixtures/blind/blind25.jsonl', group: 'Y', tuneHalfOnly: false },
];

/** The groups, in order. */
export const AUTHOR_GROUPS: readonly AuthorGroup[] = [...new Set(GROUPED_SETS.map((s) => s.group))];
