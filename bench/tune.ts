/**
 * Tuning loop for the matcher: figures on the data that may be looked at while tuning — the `tune` half of
 * blind set 1 and the team's own held-out sets — never on the `test` half, blind set 2 or the dev set.
 *
 * Run: `node --import tsx bench/tune.ts [--misses] [--options '{"acceptMass": 14}']`
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadKnowledge } from '../src/knowledge/load.ts';
import { buildMatcher, type MatcherOptions } from '../src/matching/matcher.ts';
import { halfOf, readEvalFile } from '../src/eval/run.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { misses: { type: 'boolean', default: false }, options: { type: 'string' } } });
const options = (values.options ? JSON.parse(values.options) : {}) as Partial<MatcherOptions>;
const kb = await loadKnowledge(process.env.KB ?? path.join(root, 'knowledge'));
const matcher = await buildMatcher(kb, options);

const sets: [string, string, boolean][] = [
  ['blind1 tune', 'test/fixtures/blind/blind1.jsonl', true],
  ['holdout', 'test/fixtures/holdout.jsonl', false],
  ['holdout2', 'test/fixtures/holdout2.jsonl', false],
  ['valid', 'test/fixtures/blind/valid.jsonl', false],
];
for (const [name, file, half] of sets) {
  const cases = (await readEvalFile(path.join(root, file))).filter((c) => !half || halfOf(c.question) === 'tune');
  let inOk = 0, inN = 0, outOk = 0, outN = 0;
  const misses: string[] = [];
  for (const c of cases) {
    const got = matcher.match(c.question).topic;
    const ok = c.expected.length === 0 ? got === null : got !== null && c.expected.includes(got);
    if (c.expected.length === 0) { outN++; if (ok) outOk++; } else { inN++; if (ok) inOk++; }
    if (!ok) misses.push(`  ${c.line}: ${c.question} — want ${c.expected.join('|') || '(decline)'}, got ${got ?? '(declined)'}`);
  }
  const pct = (a: number, b: number) => `${a}/${b} ${((100 * a) / Math.max(1, b)).toFixed(1)}%`;
  console.log(`${name.padEnd(12)} in-scope ${pct(inOk, inN).padEnd(16)} out-of-scope declined ${pct(outOk, outN)}`);
  if (values.misses) console.log(misses.join('\n'));
}
