/**
 * Matcher benchmark: start-up time, memory, and per-question latency (cold memo and warm) over the dev set,
 * with plain Fuse.js defaults (the eval baseline) measured in the same run.
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

// Cold: memo cleared before every round (each question's tokens looked up in Fuse afresh).
const cold: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  matcher.clearMemo();
  for (const q of questions) {
    const t = performance.now();
    matcher.match(q);
    cold.push(performance.now() - t);
  }
}
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

const coldSt = stats(cold);
const warmSt = stats(warm);
const baseSt = stats(base);
const out = [
  `matcher benchmark — ${kb.entries.length} entries (${kbDir}), ${questions.length} questions (${file}), ${ROUNDS} rounds`,
  `node ${process.version}, ${process.platform}/${process.arch}${gc ? ', gc exposed' : ''}`,
  `start-up (import + buildMatcher)   ${startupMs.toFixed(1)} ms (of which module import ${importMs.toFixed(1)} ms)`,
  `memory before: rss ${mb(before.rss)}, heap ${mb(before.heapUsed)}; after: rss ${mb(after.rss)}, heap ${mb(after.heapUsed)} (+${mb(after.rss - before.rss)} rss)`,
  line('matcher, cold (memo cleared)', coldSt),
  line('matcher, warm (memoised)', warmSt),
  `baseline fuse.js defaults: index ${baselineStartupMs.toFixed(1)} ms`,
  line('baseline, per question', baseSt),
  `ratio matcher/baseline p50: cold ${(coldSt.p50 / baseSt.p50).toFixed(2)}x, warm ${(warmSt.p50 / baseSt.p50).toFixed(2)}x; ` +
    `p99: cold ${(coldSt.p99 / baseSt.p99).toFixed(2)}x, warm ${(warmSt.p99 / baseSt.p99).toFixed(2)}x`,
];
process.stdout.write(`${out.join('\n')}\n`);
