/**
 * How many questions of an evaluation file are word for word (src/eval/training.ts `sameQuestionKey`) a question of
 * the classifier's other training data, and the matcher's figures without them, fused and ranking alone, so a
 * blind set's first-run figure can be read with and without questions another author happened to write the same way.
 * The file itself is left out of the training data compared with (a blind set joins it after its first run); the
 * figures are those of this checkout's model, so they equal the first run's only at that run's commit.
 *
 * Run: `node --import tsx bench/collisions.ts test/fixtures/blind/blindN.jsonl` (totals only, no question printed).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKnowledge } from '../src/knowledge/load.ts';
import { buildMatcher, type ExplainingMatcher } from '../src/matching/matcher.ts';
import { readEvalFile, type EvalCase } from '../src/eval/run.ts';
import { sameQuestionKey, TRAINING_SETS, trainingQuestions } from '../src/eval/training.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const file = process.argv[2];
if (!file) {
  console.error('usage: node --import tsx bench/collisions.ts <file.jsonl>');
  process.exit(2);
}
const rel = path.relative(root, path.resolve(file));
const kb = await loadKnowledge(path.join(root, 'knowledge'));
const others = TRAINING_SETS.filter((s) => s.file !== rel);
const seen = new Set((await trainingQuestions(kb, root, others)).map((q) => sameQuestionKey(q.question)));
const all = await readEvalFile(path.resolve(file));
const fresh = all.filter((c) => !seen.has(sameQuestionKey(c.question)));
console.log(`${rel}: ${all.length - fresh.length} of ${all.length} questions are word for word in the other training data`);

function figures(m: ExplainingMatcher, cases: EvalCase[]): string {
  let inOk = 0, inN = 0, outOk = 0, outN = 0;
  for (const c of cases) {
    const got = m.match(c.question).topic;
    if (c.expected.length === 0) { outN++; if (got === null) outOk++; } else { inN++; if (got !== null && c.expected.includes(got)) inOk++; }
  }
  const pct = (a: number, b: number) => `${a}/${b} ${((100 * a) / Math.max(1, b)).toFixed(1)} %`;
  return `in scope ${pct(inOk, inN)}, declined ${pct(outOk, outN)}`;
}
console.log(`without them (${fresh.length}), fused:        ${figures(await buildMatcher(kb), fresh)}`);
console.log(`without them (${fresh.length}), ranking alone: ${figures(await buildMatcher(kb, { classifier: false }), fresh)}`);
