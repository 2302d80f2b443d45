/**
 * Topic classifier: a multinomial logistic regression (softmax over the knowledge base's topics plus one
 * out-of-scope class) on sparse binary features of a normalised question — its Han characters, the matcher's
 * canonical tokens (jieba + domain dictionary + synonyms) and its English words.
 *
 * It is trained offline on labelled questions (`npm run train:match`, bench/train-match.ts) and shipped as
 * `knowledge/model/topic-classifier.json`; the matcher fuses its probabilities with the token-evidence ranking
 * (matcher.ts, MatcherOptions.classifier). Why a trained model and how it is measured: docs/MATCHING-ROUNDS.md
 * (eighth round) and README "How matching works". The model file records the SHA-256 of everything it was trained from (the training questions,
 * the knowledge base's phrasings and the lexicon); test/src/matching/classifier-model.test.ts fails when it is stale.
 *
 * Training is deterministic: a fixed-seed shuffle, AdaGrad steps in a fixed order, weights rounded to
 * {@link WEIGHT_SCALE} when saved.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { BotError } from '../errors.ts';

/** Class name of "not about any topic" (the bot declines). */
export const OUT_OF_SCOPE_CLASS = '(out of scope)';
/** Weights are stored as integers: weight × WEIGHT_SCALE, rounded. */
export const WEIGHT_SCALE = 100;
/** Stored weights smaller than this (absolute, after scaling) are dropped: they change no decision measurably. */
export const MIN_STORED_WEIGHT = 2;
/** Current model file format. */
export const MODEL_FORMAT = 1;

const HAN_CHAR = /\p{Script=Han}/u;
const ENGLISH_WORD = /^[a-z]+$/;

/** Training settings (recorded in the model file). */
export interface ClassifierTraining {
  /** Passes over the training questions. */
  epochs: number;
  /** AdaGrad base learning rate. */
  learningRate: number;
  /** L2 penalty per step. */
  l2: number;
  /** Seed of the shuffle (run r uses seed + r). */
  seed: number;
  /** Independent runs (different shuffles) whose weights are averaged: steadier than one run. */
  runs: number;
}

/**
 * The settings chosen with bench/cv-classifier.ts (leave-one-author-out; 5 averaged runs: 96.6 -> 97.0 % in scope,
 * 97.4 -> 97.6 % declined over 1). l2 lowered from 1e-4 to 3e-5 in the fourteenth round (2026-12-07), chosen on blind
 * sets 22–25 while they were not trained on (models trained with blind sets 18–21, questions word for word in the
 * training data left out): 96.7 -> 97.2 % in scope, 96.3 % declined either way; 1e-5 gave 97.2 / 95.8 %.
 */
export const DEFAULT_TRAINING: Readonly<ClassifierTraining> = { epochs: 15, learningRate: 0.5, l2: 3e-5, seed: 1, runs: 5 };

/** What a model file holds. */
export interface TopicClassifierModel {
  format: number;
  /** Topic ids, then {@link OUT_OF_SCOPE_CLASS} last. */
  classes: string[];
  /** SHA-256 (hex) of the training inputs (see bench/train-match.ts `trainingInputs`). */
  inputsSha256: string;
  /** Where the training questions came from, with counts (for the README and reviewers). */
  trainedOn: { source: string; questions: number }[];
  training: ClassifierTraining;
  /** Feature -> flattened pairs [classIndex, weight × WEIGHT_SCALE, …]. Feature 'bias' is always present. */
  weights: Record<string, number[]>;
}

const modelSchema = z.object({
  format: z.literal(MODEL_FORMAT),
  classes: z.array(z.string().min(1)).min(2),
  inputsSha256: z.string().regex(/^[0-9a-f]{64}$/),
  trainedOn: z.array(z.object({ source: z.string(), questions: z.number().int().nonnegative() })),
  training: z.object({ epochs: z.number(), learningRate: z.number(), l2: z.number(), seed: z.number(), runs: z.number().int().positive() }),
  weights: z.record(z.string(), z.array(z.number().int())),
});

/** The model file is missing, unreadable or malformed. */
export class ClassifierModelError extends BotError {
  constructor(message: string) {
    super('KB_CLASSIFIER_INVALID', message);
    this.name = 'ClassifierModelError';
  }
}

/** One labelled training question, already turned into features. */
export interface TrainingExample {
  features: readonly string[];
  /** A class of the model (a topic id or {@link OUT_OF_SCOPE_CLASS}). */
  label: string;
}

/**
 * The features of one question: its Han characters (`c:`), canonical tokens (`w:`), English words (`e:`) and
 * 'bias'. Deduplicated; order does not matter.
 * @param normalized the output of normalizeQuestion (lowercase, simplified, single spaces)
 * @param tokens the matcher's canonical tokens of the same question
 */
export function classifierFeatures(normalized: string, tokens: readonly string[]): string[] {
  const out = new Set<string>(['bias']);
  for (const ch of normalized) if (HAN_CHAR.test(ch)) out.add(`c:${ch}`);
  for (const t of tokens) out.add(`w:${t}`);
  for (const w of normalized.split(' ')) if (ENGLISH_WORD.test(w)) out.add(`e:${w}`);
  return [...out];
}

/**
 * Trains a model (without `inputsSha256` / `trainedOn`, which the caller knows).
 * @param classes topic ids; {@link OUT_OF_SCOPE_CLASS} is appended when missing
 * @throws ClassifierModelError when an example's label is not a class
 */
export function trainTopicClassifier(
  examples: readonly TrainingExample[],
  classes: readonly string[],
  training: ClassifierTraining = DEFAULT_TRAINING,
): Pick<TopicClassifierModel, 'format' | 'classes' | 'training' | 'weights'> {
  const all = classes.includes(OUT_OF_SCOPE_CLASS) ? [...classes] : [...classes, OUT_OF_SCOPE_CLASS];
  const K = all.length;
  const index = new Map(all.map((c, i) => [c, i]));
  const data = examples.map((e) => {
    const y = index.get(e.label);
    if (y === undefined) throw new ClassifierModelError(`training label "${e.label}" is not a class`);
    return { x: [...new Set(e.features)].sort(), y };
  });
  const W = new Map<string, Float64Array>();
  for (const d of data) for (const f of d.x) if (!W.has(f)) W.set(f, new Float64Array(K));
  const runs = Math.max(1, Math.floor(training.runs));
  for (let r = 0; r < runs; r++) {
    const run = trainOnce(data, K, training, training.seed + r);
    for (const [f, w] of run) {
      const sum = W.get(f) as Float64Array;
      for (let k = 0; k < K; k++) sum[k] = (sum[k] as number) + (w[k] as number) / runs;
    }
  }
  const weights: Record<string, number[]> = {};
  for (const f of [...W.keys()].sort()) {
    const w = W.get(f) as Float64Array;
    const pairs: number[] = [];
    for (let k = 0; k < K; k++) {
      const q = Math.round((w[k] as number) * WEIGHT_SCALE);
      if (Math.abs(q) >= MIN_STORED_WEIGHT) pairs.push(k, q);
    }
    if (pairs.length > 0 || f === 'bias') weights[f] = pairs;
  }
  return { format: MODEL_FORMAT, classes: all, training: { ...training }, weights };
}

/** One AdaGrad run over the examples (shuffled with `runSeed`); the raw weights per feature. */
function trainOnce(data: readonly { x: string[]; y: number }[], K: number, training: ClassifierTraining, runSeed: number): Map<string, Float64Array> {
  const W = new Map<string, Float64Array>();
  const G = new Map<string, Float64Array>();
  for (const d of data) for (const f of d.x) if (!W.has(f)) {
    W.set(f, new Float64Array(K));
    G.set(f, new Float64Array(K).fill(1e-8));
  }
  let seed = runSeed >>> 0 || 1;
  const random = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const order = data.map((_, i) => i);
  const z = new Float64Array(K);
  for (let epoch = 0; epoch < training.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    for (const i of order) {
      const { x, y } = data[i] as (typeof data)[number];
      z.fill(0);
      for (const f of x) {
        const w = W.get(f) as Float64Array;
        for (let k = 0; k < K; k++) z[k] = (z[k] as number) + (w[k] as number);
      }
      softmaxInPlace(z);
      z[y] = (z[y] as number) - 1;
      for (const f of x) {
        const w = W.get(f) as Float64Array;
        const g = G.get(f) as Float64Array;
        for (let k = 0; k < K; k++) {
          const grad = (z[k] as number) + training.l2 * (w[k] as number);
          g[k] = (g[k] as number) + grad * grad;
          w[k] = (w[k] as number) - (training.learningRate * grad) / Math.sqrt(g[k] as number);
        }
      }
    }
  }
  return W;
}

function softmaxInPlace(z: Float64Array): void {
  let max = -Infinity;
  for (const v of z) if (v > max) max = v;
  let sum = 0;
  for (let k = 0; k < z.length; k++) {
    const e = Math.exp((z[k] as number) - max);
    z[k] = e;
    sum += e;
  }
  for (let k = 0; k < z.length; k++) z[k] = (z[k] as number) / sum;
}

/** A loaded model, ready to score questions (~36 classes × the question's features; well under 0.1 ms). */
export class TopicClassifier {
  /** The classes scored: the model's, or those kept (see the constructor), out of scope last. */
  readonly classes: readonly string[];
  private readonly weights: Map<string, Float64Array>;
  private readonly slots: readonly number[];
  private readonly width: number;

  /**
   * @param model a model as trained (or read from its file)
   * @param keep when given, only these classes (topic ids present in the knowledge base) and the out-of-scope
   *   class are reported. The softmax still runs over every class of the model and is not renormalised: a class
   *   the knowledge base dropped keeps its share, so its questions do not flow to a look-alike topic.
   */
  constructor(model: Pick<TopicClassifierModel, 'classes' | 'weights'>, keep?: ReadonlySet<string>) {
    const kept = model.classes.map((c, i) => [c, i] as const).filter(([c]) => c === OUT_OF_SCOPE_CLASS || !keep || keep.has(c));
    this.classes = kept.map(([c]) => c);
    this.slots = kept.map(([, i]) => i);
    this.width = model.classes.length;
    this.weights = new Map();
    for (const [f, pairs] of Object.entries(model.weights)) {
      const w = new Float64Array(this.width);
      for (let i = 0; i + 1 < pairs.length; i += 2) {
        const k = pairs[i] as number;
        if (k >= 0 && k < this.width) w[k] = (pairs[i + 1] as number) / WEIGHT_SCALE;
      }
      this.weights.set(f, w);
    }
  }

  /**
   * Probabilities of {@link classes} (same order) for a question's features; they sum to 1 when every class of
   * the model is kept, else to 1 minus the share of the classes not kept.
   */
  probabilities(features: readonly string[]): Float64Array {
    const z = new Float64Array(this.width);
    for (const f of features) {
      const w = this.weights.get(f);
      if (w) for (let k = 0; k < z.length; k++) z[k] = (z[k] as number) + (w[k] as number);
    }
    softmaxInPlace(z);
    return Float64Array.from(this.slots, (k) => z[k] as number);
  }
}

/** `knowledge/model/topic-classifier.json` of this package (found from this file, src/ or dist/), or null. */
export function defaultModelPath(): string | null {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'knowledge', 'model', 'topic-classifier.json');
    if (existsSync(path.join(dir, 'package.json'))) return existsSync(candidate) ? candidate : null;
    dir = path.dirname(dir);
  }
  return null;
}

const cache = new Map<string, TopicClassifierModel>();

/**
 * Reads and checks a model file (cached per path).
 * @throws ClassifierModelError naming the file when it cannot be read or does not match the format
 */
export function loadClassifierModel(file: string): TopicClassifierModel {
  const hit = cache.get(file);
  if (hit) return hit;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ClassifierModelError(`${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const r = modelSchema.safeParse(doc);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ClassifierModelError(`${file}: ${issue.path.map(String).join('.') || '(document)'}: ${issue.message}`);
  }
  if (r.data.classes[r.data.classes.length - 1] !== OUT_OF_SCOPE_CLASS) throw new ClassifierModelError(`${file}: classes: the last class must be "${OUT_OF_SCOPE_CLASS}"`);
  cache.set(file, r.data);
  return r.data;
}
