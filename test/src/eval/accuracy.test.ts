/**
 * Accuracy floors of the production matcher over the real knowledge base (knowledge/):
 * - test/fixtures/dev.jsonl (copy of the team's dev set): >= 95% in-scope correct and >= 95% out-of-scope declined;
 * - test/fixtures/holdout.jsonl (our own held-out set, written before tuning; never used to tune): the floors
 *   below are what the matcher honestly reaches, with a little margin.
 * No timing assertions here: speed is measured by `npm run bench:match`.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadKnowledge } from '../../../src/knowledge/load.ts';
import { createMatcher } from '../../../src/matching/matcher.ts';
import type { Matcher } from '../../../src/matching/types.ts';
import type { KnowledgeBase } from '../../../src/knowledge/types.ts';
import { formatEvalReport, runEval } from '../../../src/eval/run.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url));
const kbDir = fileURLToPath(new URL('../../../knowledge', import.meta.url));

/** Floors on our held-out set (see the report in the commit history for the measured figures). */
const HOLDOUT_IN_SCOPE_FLOOR = 0.85;
const HOLDOUT_OOS_FLOOR = 0.85;

let kb: KnowledgeBase;
let matcher: Matcher;
before(async () => {
  kb = await loadKnowledge(kbDir);
  matcher = await createMatcher(kb);
});

test('dev set: >= 95% in-scope correct and >= 95% out-of-scope declined', async () => {
  const r = await runEval({ file: fixture('dev.jsonl'), kb, matcher });
  const why = formatEvalReport(r, { json: false });
  assert.deepEqual(r.unknownTopics, [], why);
  assert.ok(r.matcher.inScope.accuracy >= 0.95, why);
  assert.ok(r.matcher.outOfScope.rate >= 0.95, why);
});

test(`holdout set: >= ${HOLDOUT_IN_SCOPE_FLOOR * 100}% in-scope correct and >= ${HOLDOUT_OOS_FLOOR * 100}% out-of-scope declined`, async () => {
  const r = await runEval({ file: fixture('holdout.jsonl'), kb, matcher });
  const why = formatEvalReport(r, { json: false });
  assert.deepEqual(r.unknownTopics, [], why);
  assert.ok(r.matcher.inScope.accuracy >= HOLDOUT_IN_SCOPE_FLOOR, why);
  assert.ok(r.matcher.outOfScope.rate >= HOLDOUT_OOS_FLOOR, why);
});

test('the matcher beats plain Fuse.js defaults on the dev set', async () => {
  const r = await runEval({ file: fixture('dev.jsonl'), kb, matcher, baseline: true });
  assert.ok(r.baseline);
  assert.ok(r.matcher.overall > r.baseline.overall, formatEvalReport(r, { json: false }));
});
