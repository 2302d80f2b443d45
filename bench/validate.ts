/**
 * Validation of the matcher's fusion settings on blind sets the shipped model was never trained on
 * (src/eval/training.ts `RUN_NOT_TRAINED`: their first run is recorded, they stay out of the training data): for
 * each grid point, the shipped model with those MatcherOptions, in-scope top-1 and out-of-scope declined per set and
 * over all of them. Unlike the leave-one-author-out cross-validation (bench/cv-classifier.ts, whose held-out authors
 * all sit among the training data's), these authors' questions never shaped the model, so a threshold chosen here is
 * chosen on data as new to the model as a newcomer's — the figure that then counts is a fresh blind set's first run.
 * Only totals are printed (no question), so choosing on it reads no miss.
 *
 * Run: `node --import tsx bench/validate.ts [--grid '<json array of partial MatcherOptions>'] [--files a.jsonl,b.jsonl]`
 * (files relative to the package root; default the RUN_NOT_TRAINED sets).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadKnowledge } from '../src/knowledge/load.ts';
import { buildMatcher, type MatcherOptions } from '../src/matching/matcher.ts';
import { readEvalFile, type EvalCase } from '../src/eval/run.ts';
import { RUN_NOT_TRAINED } from '../src/eval/training.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { grid: { type: 'string' }, files: { type: 'string' } } });
const grid = (values.grid ? JSON.parse(values.grid) : [{}]) as Partial<MatcherOptions>[];
const files = values.files ? values.files.split(',') : RUN_NOT_TRAINED.map((s) => s.file);
if (files.length === 0) {
  console.error('no blind set is run and not trained on (src/eval/training.ts RUN_NOT_TRAINED): pass --files a.jsonl,b.jsonl');
  process.exit(2);
}
const kb = await loadKnowledge(path.join(root, 'knowledge'));
const sets: { name: string; cases: EvalCase[] }[] = [];
for (const f of files) sets.push({ name: path.basename(f, '.jsonl'), cases: await readEvalFile(path.join(root, f)) });

const pct = (a: number, b: number) => `${a}/${b} ${((100 * a) / Math.max(1, b)).toFixed(1)}%`;
console.log(`grid point | ${sets.map((s) => s.name).join(' | ')} | all (in scope, declined)`);
for (const point of grid) {
  const matcher = await buildMatcher(kb, point);
  const all = [0, 0, 0, 0];
  const cells: string[] = [];
  for (const s of sets) {
    const t = [0, 0, 0, 0];
    for (const c of s.cases) {
      const got = matcher.match(c.question).topic;
      const r = c.expected.length === 0 ? 2 : 0;
      t[r + 1]!++;
      if (c.expected.length === 0 ? got === null : got !== null && c.expected.includes(got)) t[r]!++;
    }
    t.forEach((v, i) => (all[i]! += v));
    cells.push(`${((100 * t[0]!) / t[1]!).toFixed(1)} / ${((100 * t[2]!) / t[3]!).toFixed(1)}`);
  }
  console.log(`${JSON.stringify(point)} | ${cells.join(' | ')} | ${pct(all[0]!, all[1]!)}  ${pct(all[2]!, all[3]!)}`);
}
