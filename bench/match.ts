/**
 * Matcher benchmark: start-up time, memory, and per-question latency (cold memo and warm) over the dev set,
 * with two baselines measured in the same run: the matcher without its search pre-filters (`searchPrefilter: false`:
 * every token looked up in all documents, Fuse.js over all of them, as before 2026-12-06) and plain Fuse.js defaults
 * (the eval baseline).
 *
 * On a busy machine other processes preempt the benchmark and inflate the tail: cold figures are also given over the
 * samples without an involuntary context switch of this process (`process.resourceUsage()`; GC helper threads count
 * too, so a few GC pauses drop out with them).
 *
 * Run: `npm run bench:match` (= `node --import tsx bench/match.ts [kbDir] [questions.jsonl]`).
 * Defaults: knowledge/ and test/fixtures/dev.jsonl. For steadier numbers pin to one core:
 * `taskset -c 0 npm run bench:match` (not required). Add `--expose-gc` via NODE_OPTIONS for cleaner heap figures.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { loadKnowledge } from '../src/knowledge/load.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const kbDir = process.argv[2] ?? path.join(root, 'knowledge');
const file = process.argv[3] ?? path.join(root, 'test/fixtures/dev.jsonl');
const ROUNDS = 20;
const WARMUP_ROUNDS = 5;

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const gc = (globalThis as { gc?: () => void }).gc;

function stats(samples: number[]): { p50: number; p99: number; max: number; mean: number } {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return { p50: percentile(s, 0.5), p99: percentile(s, 0.99), max: percentile(s, 1), mean: Math.round(mean * 1000) / 1000 };
}

function line(label: string, st: ReturnType<typeof stats>): string {
  return `${label.padEnd(34)} p50 ${st.p50.toFixed(3)}  p99 ${st.p99.toFixed(3)}  max ${st.max.toFixed(3)}  mean ${st.mean.toFixed(3)} ms`;
}

const kb = await loadKnowledge(kbDir);
gc?.();
const before = process.memoryUsage();

// Start-up = loading the matching modules (OpenCC and pinyin tables load on import) + building the matcher.
const t0 = performance.now();
const { buildMatcher } = await import('../src/matching/matcher.ts');
const importMs = performance.now() - t0;
const matcher = await buildMatcher(kb);
const startupMs = performance.now() - t0;
const { createBaselineMatcher, percentile, readEvalFile } = await import('../src/eval/run.ts');
const questions = (await readEvalFile(file)).map((c) => c.question);
gc?.();
const after = process.memoryUsage();

/** Cold: memo cleared before every round (each question's tokens looked up afresh); also the samples not preempted. */
function coldRun(m: typeof matcher): { all: number[]; unpreempted: number[] } {
  const all: number[] = [];
  const unpreempted: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    m.clearMemo();
    for (const q of questions) {
      const cs = process.resourceUsage().involuntaryContextSwitches;
      const t = performance.now();
      m.match(q);
      const ms = performance.now() - t;
      all.push(ms);
      if (process.resourceUsage().involuntaryContextSwitches === cs) unpreempted.push(ms);
    }
  }
  return { all, unpreempted };
}
const cold = coldRun(matcher);
// Warm: memo kept; after warm-up rounds.
for (let r = 0; r < WARMUP_ROUNDS; r++) for (const q of questions) matcher.match(q);
const warm: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  for (const q of questions) {
    const t = performance.now();
    matcher.match(q);
    warm.push(performance.now() - t);
  }
}

// The matcher as it searched before the pre-filters (same results, every document read per token).
const u0 = performance.now();
const unfiltered = await buildMatcher(kb, { searchPrefilter: false });
const unfilteredStartupMs = performance.now() - u0;
const coldUnfiltered = coldRun(unfiltered);

const b0 = performance.now();
const baseline = createBaselineMatcher(kb);
const baselineStartupMs = performance.now() - b0;
for (let r = 0; r < WARMUP_ROUNDS; r++) for (const q of questions) baseline(q);
const base: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  for (const q of questions) {
    const t = performance.now();
    baseline(q);
    base.push(performance.now() - t);
  }
}

const coldSt = stats(cold.all);
const coldUnfilteredSt = stats(coldUnfiltered.all);
const warmSt = stats(warm);
const baseSt = stats(base);
const out = [
  `matcher benchmark — ${kb.entries.length} entries (${kbDir}), ${questions.length} questions (${file}), ${ROUNDS} rounds`,
  `node ${process.version}, ${process.platform}/${process.arch}${gc ? ', gc exposed' : ''}`,
  `start-up (import + buildMatcher)   ${startupMs.toFixed(1)} ms (of which module import ${importMs.toFixed(1)} ms)`,
  `memory before: rss ${mb(before.rss)}, heap ${mb(before.heapUsed)}; after: rss ${mb(after.rss)}, heap ${mb(after.heapUsed)} (+${mb(after.rss - before.rss)} rss)`,
  line('matcher, cold (memo cleared)', coldSt),
  line('matcher, warm (memoised)', warmSt),
  line(`  cold, ${cold.unpreempted.length}/${cold.all.length} not preempted`, stats(cold.unpreempted)),
  `without search pre-filters (searchPrefilter: false, the search before 2026-12-06): build ${unfilteredStartupMs.toFixed(1)} ms`,
  line('  cold (memo cleared)', coldUnfilteredSt),
  line(`  cold, ${coldUnfiltered.unpreempted.length}/${coldUnfiltered.all.length} not preempted`, stats(coldUnfiltered.unpreempted)),
  `baseline fuse.js defaults: index ${baselineStartupMs.toFixed(1)} ms`,
  line('baseline, per question', baseSt),
  `ratio matcher/baseline p50: cold ${(coldSt.p50 / baseSt.p50).toFixed(2)}x, warm ${(warmSt.p50 / baseSt.p50).toFixed(2)}x; ` +
    `p99: cold ${(coldSt.p99 / baseSt.p99).toFixed(2)}x, warm ${(warmSt.p99 / baseSt.p99).toFixed(2)}x; ` +
    `cold p99 with/without pre-filters ${(coldSt.p99 / coldUnfilteredSt.p99).toFixed(2)}x`,
];
process.stdout.write(`${out.join('\n')}\n`);
