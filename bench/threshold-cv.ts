/**
 * Chooses the matcher's acceptance thresholds by 5-fold cross-validation on the data that may be tuned on (the
 * `tune` half of blind set 1 and the team's held-out sets): for each fold, the grid point with the best score on
 * the other four folds is evaluated on the fold itself. Prints the per-fold choices, the cross-validated figures,
 * and the grid point best on all of the data.
 *
 * Score of a grid point = in-scope accuracy + out-of-scope declined rate (both targets matter equally).
 * Run: `node --import tsx bench/threshold-cv.ts`
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { loadKnowledge } from '../src/knowledge/load.ts';
import { buildMatcher, type MatcherOptions } from '../src/matching/matcher.ts';
import { halfOf, readEvalFile, type EvalCase } from '../src/eval/run.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const kb = await loadKnowledge(process.env.KB ?? path.join(root, 'knowledge'));
const cases: EvalCase[] = [
  ...(await readEvalFile(path.join(root, 'test/fixtures/blind/blind1.jsonl'))).filter((c) => halfOf(c.question) === 'tune'),
  ...(await readEvalFile(path.join(root, 'test/fixtures/holdout.jsonl'))),
  ...(await readEvalFile(path.join(root, 'test/fixtures/holdout2.jsonl'))),
  ...(await readEvalFile(path.join(root, 'test/fixtures/blind/valid.jsonl'))),
];
const fold = (q: string) => (createHash('sha256').update(`fold:${q}`).digest()[0] as number) % 5;

const grid: Partial<MatcherOptions>[] = [];
for (const acceptMass of [12, 14, 16]) for (const coverMass of [4, 6, 8]) for (const shortMass of [10, 12]) for (const outOfScopeMargin of [0.6, 0.7, 0.8, 0.9, 1]) grid.push({ acceptMass, coverMass, shortMass, outOfScopeMargin });

/** Per grid point, per case: correct or not. */
const outcomes: boolean[][] = [];
for (const g of grid) {
  const m = await buildMatcher(kb, g);
  outcomes.push(cases.map((c) => {
    const got = m.match(c.question).topic;
    return c.expected.length === 0 ? got === null : got !== null && c.expected.includes(got);
  }));
}
const score = (gi: number, keep: (i: number) => boolean) => {
  let inOk = 0, inN = 0, outOk = 0, outN = 0;
  cases.forEach((c, i) => {
    if (!keep(i)) return;
    const ok = (outcomes[gi] as boolean[])[i] as boolean;
    if (c.expected.length === 0) { outN++; if (ok) outOk++; } else { inN++; if (ok) inOk++; }
  });
  return { inScope: inOk / Math.max(1, inN), outOfScope: outOk / Math.max(1, outN), inOk, inN, outOk, outN };
};
const best = (keep: (i: number) => boolean) => {
  let bi = 0, bs = -1;
  grid.forEach((_, gi) => { const s = score(gi, keep); if (s.inScope + s.outOfScope > bs + 1e-12) { bs = s.inScope + s.outOfScope; bi = gi; } });
  return bi;
};
let inOk = 0, inN = 0, outOk = 0, outN = 0;
for (let f = 0; f < 5; f++) {
  const gi = best((i) => fold(cases[i]!.question) !== f);
  const s = score(gi, (i) => fold(cases[i]!.question) === f);
  inOk += s.inOk; inN += s.inN; outOk += s.outOk; outN += s.outN;
  console.log(`fold ${f}: chose ${JSON.stringify(grid[gi])} -> held-out fold in-scope ${s.inOk}/${s.inN}, out-of-scope ${s.outOk}/${s.outN}`);
}
console.log(`cross-validated: in-scope ${(100 * inOk / inN).toFixed(1)}% (${inOk}/${inN}), out-of-scope declined ${(100 * outOk / outN).toFixed(1)}% (${outOk}/${outN})`);
const all = best(() => true);
const s = score(all, () => true);
console.log(`best on all tuning data: ${JSON.stringify(grid[all])} in-scope ${(100 * s.inScope).toFixed(1)}%, out-of-scope ${(100 * s.outOfScope).toFixed(1)}%`);
