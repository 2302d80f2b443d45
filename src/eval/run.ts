/**
 * Offline evaluation of the matcher on a labelled JSON-lines file (one `{"q": string, "topics": string[]}` per
 * line; `topics` empty = the bot must decline, else the top answer must be one of them), optionally side by
 * side with plain Fuse.js defaults as a baseline. Used by `privacy-bot eval <file.jsonl> [--json] [--baseline]`.
 * Reports never include anything but the evaluation file's own questions.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import Fuse from 'fuse.js';
import { botError, BotError } from '../errors.ts';
import type { KnowledgeBase } from '../knowledge/types.ts';
import { createMatcher } from '../matching/matcher.ts';
import type { Matcher } from '../matching/types.ts';

/** One labelled question of an evaluation file. */
export interface EvalCase {
  /** 1-based line number in the file. */
  line: number;
  question: string;
  /** Accepted topic ids; empty = out of scope (must decline). */
  expected: string[];
}

/** The outcome for one question. */
export interface EvalItem extends EvalCase {
  /** Topic answered, or null when declined. */
  got: string | null;
  correct: boolean;
  /** Time of the one `match` call, ms. */
  ms: number;
}

/** Figures for one method (the matcher, or the baseline). */
export interface EvalFigures {
  method: string;
  inScope: { total: number; correct: number; accuracy: number };
  outOfScope: { total: number; declined: number; rate: number };
  /** Share of all questions handled right (in-scope correct + out-of-scope declined). */
  overall: number;
  misses: { line: number; question: string; expected: string[]; got: string | null }[];
  /** Per-question `match` latency over one pass through the file, ms. */
  latencyMs: { p50: number; p99: number; max: number };
  /** Time to build the matcher or index, ms. */
  startupMs: number;
  items: EvalItem[];
}

/** Result of {@link runEval}. */
export interface EvalReport {
  file: string;
  /** The half evaluated (see {@link halfOf}); absent = the whole file. */
  half?: EvalHalf;
  questions: number;
  /** Topic ids named in the file that the knowledge base does not have (such questions cannot be right). */
  unknownTopics: string[];
  matcher: EvalFigures;
  baseline?: EvalFigures;
}

/**
 * Reads an evaluation file: UTF-8 JSON lines, blank lines skipped.
 * @throws BotError 'EVAL_BAD_FILE' (status 400) naming the file and 1-based line number for a line that is not
 *   JSON, lacks a non-empty string `q`, or has `topics` that is not an array of strings; or when the file cannot
 *   be read or holds no question.
 */
export async function readEvalFile(file: string): Promise<EvalCase[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw botError('EVAL_BAD_FILE', `${file}: cannot read (${(err as Error).message})`, { cause: err });
  }
  const cases: EvalCase[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    const bad = (why: string): never => {
      throw botError('EVAL_BAD_FILE', `${file}: line ${line}: ${why}`);
    };
    let data: unknown;
    try {
      data = JSON.parse(raw);
    } catch {
      bad('not valid JSON');
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data)) bad('expected an object {"q": …, "topics": […]}');
    const { q, topics } = data as { q?: unknown; topics?: unknown };
    if (typeof q !== 'string' || q.trim() === '') bad('"q" must be a non-empty string');
    if (!Array.isArray(topics) || !topics.every((t) => typeof t === 'string')) bad('"topics" must be an array of topic ids (strings)');
    cases.push({ line, question: q as string, expected: [...(topics as string[])] });
  });
  if (cases.length === 0) throw botError('EVAL_BAD_FILE', `${file}: no questions`);
  return cases;
}

/** The two fixed halves of an evaluation file: `tune` may be looked at while tuning, `test` never. */
export type EvalHalf = 'tune' | 'test';

/**
 * The half a question belongs to, fixed for ever by its text: the first byte of SHA-256 over the question's
 * UTF-8 bytes (NFC), below 128 = 'tune', else 'test'. Independent of line order, so adding or moving lines
 * never moves a question to the other half.
 */
export function halfOf(question: string): EvalHalf {
  const first = createHash('sha256').update(question.normalize('NFC'), 'utf8').digest()[0] as number;
  return first < 128 ? 'tune' : 'test';
}

/** A stand-in matcher: plain Fuse.js with default options over every phrasing; any hit counts as an answer. */
export function createBaselineMatcher(kb: KnowledgeBase): (question: string) => string | null {
  const items = kb.entries.map((e) => ({ id: e.id, phrasings: [...e.questions.zh, ...e.questions.en] }));
  const fuse = new Fuse(items, { keys: ['phrasings'] });
  return (question) => fuse.search(question)[0]?.item.id ?? null;
}

/**
 * Evaluates the production matcher (or `matcher` if given) on `file` against `kb`; with `baseline`, also plain
 * Fuse.js defaults. Each question is matched once (cold token memo, after one warm-up call on an unrelated
 * sentence so first-call costs are not charged to the first question), timed with `performance.now()`.
 * @throws BotError 'EVAL_BAD_FILE' (see {@link readEvalFile}).
 */
export async function runEval(opts: { file: string; kb: KnowledgeBase; baseline?: boolean; matcher?: Matcher; half?: EvalHalf }): Promise<EvalReport> {
  const all = await readEvalFile(opts.file);
  const cases = opts.half ? all.filter((c) => halfOf(c.question) === opts.half) : all;
  const known = new Set(opts.kb.entries.map((e) => e.id));
  const unknownTopics = [...new Set(cases.flatMap((c) => c.expected).filter((t) => !known.has(t)))].sort();

  let t0 = performance.now();
  const matcher = opts.matcher ?? (await createMatcher(opts.kb));
  const matcherStartup = opts.matcher ? 0 : performance.now() - t0;
  const report: EvalReport = {
    file: opts.file,
    ...(opts.half ? { half: opts.half } : {}),
    questions: cases.length,
    unknownTopics,
    matcher: score('matcher', cases, (q) => matcher.match(q).topic, matcherStartup),
  };
  if (opts.baseline) {
    t0 = performance.now();
    const base = createBaselineMatcher(opts.kb);
    report.baseline = score('fuse.js defaults', cases, base, performance.now() - t0);
  }
  return report;
}

/** Warm-up input for the code paths (segmenter, pinyin, OpenCC, Fuse) with tokens no evaluation relies on. */
const WARM_UP = '今天天氣不错 hello';

function score(method: string, cases: EvalCase[], answer: (q: string) => string | null, startupMs: number): EvalFigures {
  answer(WARM_UP);
  const items: EvalItem[] = cases.map((c) => {
    const t = performance.now();
    const got = answer(c.question);
    const ms = performance.now() - t;
    const correct = c.expected.length === 0 ? got === null : got !== null && c.expected.includes(got);
    return { ...c, got, correct, ms };
  });
  const inScope = items.filter((i) => i.expected.length > 0);
  const oos = items.filter((i) => i.expected.length === 0);
  const inCorrect = inScope.filter((i) => i.correct).length;
  const declined = oos.filter((i) => i.correct).length;
  const ms = items.map((i) => i.ms).sort((a, b) => a - b);
  return {
    method,
    inScope: { total: inScope.length, correct: inCorrect, accuracy: ratio(inCorrect, inScope.length) },
    outOfScope: { total: oos.length, declined, rate: ratio(declined, oos.length) },
    overall: ratio(inCorrect + declined, items.length),
    misses: items.filter((i) => !i.correct).map(({ line, question, expected, got }) => ({ line, question, expected, got })),
    latencyMs: { p50: percentile(ms, 0.5), p99: percentile(ms, 0.99), max: ms[ms.length - 1] ?? 0 },
    startupMs: round(startupMs),
    items,
  };
}

function ratio(a: number, b: number): number {
  return b === 0 ? 1 : a / b;
}

/** Nearest-rank percentile of an ascending list (0 for an empty list), rounded to 0.001 ms. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return round(sorted[idx] as number);
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/**
 * Formats a report. `json: true` gives the whole report as pretty JSON (items included); otherwise a short
 * human summary: per method in-scope accuracy, out-of-scope declined rate, latency, and the misses — or, with
 * `totals: true`, only their number (for a set whose questions nobody tuning may read: the dev set, blind set 1's
 * test half, a blind set's first run). `totals` applies to the JSON too (its `misses` and `items` lists, which hold the questions, are emptied).
 */
export function formatEvalReport(report: EvalReport, options: { json: boolean; totals?: boolean }): string {
  if (options.json) {
    if (!options.totals) return JSON.stringify(report, null, 2);
    const hide = (m: EvalFigures): EvalFigures => ({ ...m, misses: [], items: [] });
    return JSON.stringify({ ...report, matcher: hide(report.matcher), ...(report.baseline ? { baseline: hide(report.baseline) } : {}) }, null, 2);
  }
  const methods = [report.matcher, ...(report.baseline ? [report.baseline] : [])];
  const out: string[] = [`eval ${report.file}${report.half ? ` (${report.half} half)` : ''}: ${report.questions} questions`];
  if (report.unknownTopics.length) out.push(`warning: topics not in the knowledge base: ${report.unknownTopics.join(', ')}`);
  const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - [...s].length));
  out.push(pad('method', 18) + pad('in-scope correct', 22) + pad('out-of-scope declined', 24) + pad('overall', 10) + 'latency p50 / p99 ms');
  for (const m of methods) {
    out.push(
      pad(m.method, 18) +
        pad(`${m.inScope.correct}/${m.inScope.total} ${pct(m.inScope.accuracy)}`, 22) +
        pad(`${m.outOfScope.declined}/${m.outOfScope.total} ${pct(m.outOfScope.rate)}`, 24) +
        pad(pct(m.overall), 10) +
        `${m.latencyMs.p50.toFixed(3)} / ${m.latencyMs.p99.toFixed(3)}`,
    );
  }
  for (const m of methods) {
    out.push('', `misses (${m.method}): ${m.misses.length}`);
    if (options.totals) continue;
    for (const x of m.misses) {
      out.push(`  line ${x.line}: ${x.question} — expected ${x.expected.length ? x.expected.join(' | ') : '(decline)'}, got ${x.got ?? '(declined)'}`);
    }
  }
  return out.join('\n');
}
