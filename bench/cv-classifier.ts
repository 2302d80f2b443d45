/**
 * Leave-one-author-out cross-validation of the topic classifier and its fusion with the ranking: for each group of
 * tuning questions (one blind set's author each; see bench/cv.ts), a model is trained on everything else of the
 * training data (src/eval/training.ts) and the group is matched with it. Printed per group beside the ranking
 * alone (the matcher without a classifier) from the same run: in-scope top-1 and out-of-scope declined.
 * This is the estimate of how the shipped recipe does on a new author's questions; the figures that count are
 * still the untouched half of blind set 1, the newest blind set and the dev set (README "How matching works").
 *
 * Run: `npm run cv:classifier [-- --options '<json MatcherOptions>'] [-- --grid '<json array>'] [-- --training '<json ClassifierTraining>']`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadKnowledge } from '../src/knowledge/load.ts';
import { buildMatcher, type MatcherOptions } from '../src/matching/matcher.ts';
import { DEFAULT_TRAINING, trainTopicClassifier, type ClassifierTraining } from '../src/matching/classifier.ts';
import { GROUPED_SETS } from './author-groups.ts';
import { TRAINING_SETS, trainingExamples, trainingQuestions, type LabelledQuestion } from '../src/eval/training.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { options: { type: 'string' }, grid: { type: 'string' }, training: { type: 'string' } } });
const base = (values.options ? JSON.parse(values.options) : {}) as Partial<MatcherOptions>;
const training = { ...DEFAULT_TRAINING, ...(values.training ? JSON.parse(values.training) : {}) } as ClassifierTraining;
const grid = (values.grid ? JSON.parse(values.grid) : [{}]) as Partial<MatcherOptions>[];

/** The author group of each training file (bench/author-groups.ts). */
const GROUP_OF: Record<string, string> = Object.fromEntries(GROUPED_SETS.map((x) => [x.file, x.group]));
const kb = await loadKnowledge(path.join(root, 'knowledge'));
const ranking = await buildMatcher(kb, { ...base, classifier: false });
const fixed = await trainingQuestions(kb, root, []);
const perSet = new Map<string, LabelledQuestion[]>();
for (const set of TRAINING_SETS) {
  const qs = await trainingQuestions(kb, root, [set]);
  perSet.set(set.file, qs.slice(fixed.length));
}
// Training-only data (test/fixtures/train/, no author group) is in every fold's training side and never held out.
const groups = [...new Set(TRAINING_SETS.flatMap((s) => (GROUP_OF[s.file] ? [GROUP_OF[s.file] as string] : [])))].sort();
const pct = (a: number, b: number) => `${a}/${b} ${((100 * a) / Math.max(1, b)).toFixed(1)}%`;
const totals = grid.map(() => [0, 0, 0, 0]);
const rankTotal = [0, 0, 0, 0];
for (const g of groups) {
  const held = TRAINING_SETS.filter((s) => GROUP_OF[s.file] === g).flatMap((s) => perSet.get(s.file) ?? []);
  const train = [...fixed, ...TRAINING_SETS.filter((s) => GROUP_OF[s.file] !== g).flatMap((s) => perSet.get(s.file) ?? [])];
  const model = trainTopicClassifier(trainingExamples(train, kb, (q) => ranking.tokenize(q)), kb.entries.map((e) => e.id), training);
  const score = (topicOf: (q: string) => string | null, acc: number[]) => {
    const t = [0, 0, 0, 0];
    for (const q of held) {
      const got = topicOf(q.question);
      const ok = q.labels.length === 0 ? got === null : got !== null && q.labels.includes(got);
      const r = q.labels.length === 0 ? 2 : 0;
      t[r + 1]!++;
      if (ok) t[r]!++;
    }
    t.forEach((v, i) => (acc[i]! += v));
    return `${pct(t[0]!, t[1]!).padEnd(16)} ${pct(t[2]!, t[3]!).padEnd(14)}`;
  };
  const parts = [`ranking ${score((q) => ranking.match(q).topic, rankTotal)}`];
  for (let i = 0; i < grid.length; i++) {
    const fused = await buildMatcher(kb, { ...base, ...grid[i], classifierModel: model });
    parts.push(`fused${grid.length > 1 ? i : ''} ${score((q) => fused.match(q).topic, totals[i]!)}`);
  }
  console.log(`group ${g}  ${parts.join('  ')}`);
}
console.log(`all      ranking ${pct(rankTotal[0]!, rankTotal[1]!)} ${pct(rankTotal[2]!, rankTotal[3]!)}`);
grid.forEach((g, i) => console.log(`all      fused${grid.length > 1 ? i : ''} ${JSON.stringify(g)} ${pct(totals[i]![0]!, totals[i]![1]!)} ${pct(totals[i]![2]!, totals[i]![3]!)}`));
