/**
 * Checks that this checkout's matcher gives byte-identical results to another checkout's (a performance change must
 * not change a match): `explain()` (every candidate, hit and Fuse score) and `match()` compared as JSON on every
 * question of test/fixtures/blind/blind2.jsonl … blind8.jsonl and valid.jsonl, cold (memo cleared) and warm, for three
 * asker platforms (none, dingtalk, feishu), plus this checkout with `searchPrefilter: false`. Prints counts only (no
 * question text); exits 1 on any difference.
 *
 * Run: `node --import tsx bench/match-identical.ts <other checkout>`, e.g. after
 * `mkdir /tmp/old && git archive <commit> src knowledge package.json tsconfig.json | tar -x -C /tmp/old &&
 * ln -s "$PWD/node_modules" /tmp/old/node_modules`. ≈1 min on 2 cores.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKnowledge } from '../src/knowledge/load.ts';
import { buildMatcher } from '../src/matching/matcher.ts';
import type { ExplainingMatcher } from '../src/matching/matcher.ts';
import type { MatchContext } from '../src/matching/types.ts';
import { readEvalFile } from '../src/eval/run.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const other = process.argv[2];
if (!other) {
  process.stderr.write('usage: node --import tsx bench/match-identical.ts <other checkout>\n');
  process.exit(2);
}
const { buildMatcher: buildOther } = (await import(path.resolve(other, 'src/matching/matcher.ts'))) as { buildMatcher: typeof buildMatcher };
const kb = await loadKnowledge(path.join(root, 'knowledge'));
const files = ['blind2', 'blind3', 'blind4', 'blind5', 'blind6', 'blind7', 'blind8', 'valid'].map((f) => path.join(root, `test/fixtures/blind/${f}.jsonl`));
const theirs: ExplainingMatcher = await buildOther(kb);
const ours = await buildMatcher(kb);
const unfiltered = await buildMatcher(kb, { searchPrefilter: false });
const contexts: (MatchContext | undefined)[] = [undefined, { platform: 'dingtalk' }, { platform: 'feishu' }];
let n = 0;
let matchDiffers = 0;
let explainDiffers = 0;
let unfilteredDiffers = 0;
for (const file of files) {
  const questions = (await readEvalFile(file)).map((c) => c.question);
  for (const round of ['cold', 'warm']) {
    if (round === 'cold') for (const m of [theirs, ours, unfiltered]) m.clearMemo();
    for (const q of questions) {
      for (const context of contexts) {
        n++;
        if (JSON.stringify(theirs.match(q, context)) !== JSON.stringify(ours.match(q, context))) matchDiffers++;
        const expected = JSON.stringify(theirs.explain(q, context));
        if (expected !== JSON.stringify(ours.explain(q, context))) explainDiffers++;
        if (expected !== JSON.stringify(unfiltered.explain(q, context))) unfilteredDiffers++;
      }
    }
  }
}
process.stdout.write(
  `${n} comparisons (${files.length} files × cold and warm × ${contexts.length} asker platforms): ` +
    `match() differs ${matchDiffers}, explain() differs ${explainDiffers}, searchPrefilter: false explain() differs ${unfilteredDiffers}\n`,
);
process.exit(matchDiffers + explainDiffers + unfilteredDiffers > 0 ? 1 : 0);
