/**
 * Trains the topic classifier (src/matching/classifier.ts) on its training data (src/eval/training.ts) and writes
 * knowledge/model/topic-classifier.json. Deterministic: the same inputs give the same file.
 *
 * Run: `npm run train:match` (= `node --import tsx bench/train-match.ts [--check]`). `--check` writes nothing and
 * exits 1 when the shipped model was trained from other inputs than the current ones (stale).
 * How well the recipe generalises to a new author's questions: `npm run cv:classifier`.
 */
import path from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadKnowledge } from '../src/knowledge/load.ts';
import { buildMatcher } from '../src/matching/matcher.ts';
import { DEFAULT_TRAINING, defaultModelPath, loadClassifierModel, trainTopicClassifier, type TopicClassifierModel } from '../src/matching/classifier.ts';
import { sourceCounts, trainingExamples, trainingFingerprint, trainingQuestions } from '../src/eval/training.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
const kb = await loadKnowledge(path.join(root, 'knowledge'));
const matcher = await buildMatcher(kb, { classifier: false });
const questions = await trainingQuestions(kb, root);
const examples = trainingExamples(questions, kb, (q) => matcher.tokenize(q));
const classes = kb.entries.map((e) => e.id);
const fingerprint = trainingFingerprint(examples, classes, DEFAULT_TRAINING);
const file = path.join(root, 'knowledge', 'model', 'topic-classifier.json');

if (values.check) {
  const shipped = defaultModelPath();
  const current = shipped ? loadClassifierModel(shipped).inputsSha256 : '(no model file)';
  if (current !== fingerprint) {
    console.error(`${path.relative(root, file)} is stale: trained from ${current.slice(0, 12)}…, inputs are now ${fingerprint.slice(0, 12)}… — run npm run train:match`);
    process.exit(1);
  }
  console.log(`${path.relative(root, file)} is up to date (${fingerprint.slice(0, 12)}…)`);
} else {
  const t0 = performance.now();
  const trained = trainTopicClassifier(examples, classes);
  const model: TopicClassifierModel = { format: trained.format, classes: trained.classes, inputsSha256: fingerprint, trainedOn: sourceCounts(questions), training: trained.training, weights: trained.weights };
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(model)}\n`);
  const features = Object.keys(model.weights).length;
  console.log(`trained on ${examples.length} examples (${questions.length} questions) in ${Math.round(performance.now() - t0)} ms: ${features} features, ${model.classes.length} classes -> ${path.relative(root, file)}`);
  for (const s of model.trainedOn) console.log(`  ${String(s.questions).padStart(5)}  ${s.source}`);
}
