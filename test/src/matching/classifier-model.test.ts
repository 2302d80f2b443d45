/**
 * The shipped model (knowledge/model/topic-classifier.json) is the one its training data makes today: after a
 * change of the knowledge base's phrasings, the lexicon, the tokenizer, the catalogue or a training file, this
 * fails until `npm run train:match` is run (bench/train-match.ts). And it knows exactly the knowledge base's topics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKnowledge } from '../../../src/knowledge/load.ts';
import { buildMatcher } from '../../../src/matching/matcher.ts';
import { DEFAULT_TRAINING, defaultModelPath, loadClassifierModel, OUT_OF_SCOPE_CLASS } from '../../../src/matching/classifier.ts';
import { trainingExamples, trainingFingerprint, trainingQuestions } from '../../../src/eval/training.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('the shipped classifier model is up to date with its training inputs (else: npm run train:match)', async () => {
  const file = defaultModelPath();
  assert.ok(file, 'knowledge/model/topic-classifier.json exists');
  assert.equal(path.relative(root, file), path.join('knowledge', 'model', 'topic-classifier.json'));
  const model = loadClassifierModel(file);
  const kb = await loadKnowledge(path.join(root, 'knowledge'));
  assert.deepEqual(model.classes, [...kb.entries.map((e) => e.id), OUT_OF_SCOPE_CLASS]);
  assert.deepEqual(model.training, DEFAULT_TRAINING);
  const matcher = await buildMatcher(kb, { classifier: false });
  const questions = await trainingQuestions(kb, root);
  const examples = trainingExamples(questions, kb, (q) => matcher.tokenize(q));
  assert.equal(model.inputsSha256, trainingFingerprint(examples, kb.entries.map((e) => e.id), DEFAULT_TRAINING), 'stale model: run npm run train:match');
  assert.equal(model.trainedOn.reduce((n, s) => n + s.questions, 0), questions.length);
});
