/**
 * The topic classifier on its own (src/matching/classifier.ts): features, training, scoring and the model file.
 * Synthetic data written for this test; the shipped model is checked in classifier-model.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  classifierFeatures,
  DEFAULT_TRAINING,
  ClassifierModelError,
  loadClassifierModel,
  OUT_OF_SCOPE_CLASS,
  TopicClassifier,
  trainTopicClassifier,
  type TrainingExample,
} from '../../../src/matching/classifier.ts';

const ex = (label: string, ...features: string[]): TrainingExample => ({ features: ['bias', ...features], label });
const data: TrainingExample[] = [
  ex('alpha', 'c:管', 'w:管理员', 'w:看'),
  ex('alpha', 'c:管', 'w:管理员', 'w:聊天记录'),
  ex('alpha', 'w:管理员', 'e:admin'),
  ex('beta', 'c:存', 'w:存档', 'w:多久'),
  ex('beta', 'w:存档', 'w:保存', 'w:多久'),
  ex('beta', 'w:保存', 'e:retention'),
  ex(OUT_OF_SCOPE_CLASS, 'w:午饭', 'w:吃'),
  ex(OUT_OF_SCOPE_CLASS, 'w:天气'),
];

test('features: Han characters, canonical tokens, English words and a bias, each once', () => {
  const f = classifierFeatures('管理员 能看 我的 chats 吗 chats', ['管理员', '看', '聊天记录', '管理员']);
  for (const want of ['bias', 'c:管', 'c:理', 'c:看', 'w:管理员', 'w:聊天记录', 'e:chats']) assert.ok(f.includes(want), want);
  assert.equal(f.length, new Set(f).size, 'no duplicates');
  assert.ok(!f.some((x) => x === 'c:c' || x === 'e:吗'), 'Latin letters are not characters, Han words are not English');
});

test('training separates the classes and appends the out-of-scope class', () => {
  const model = trainTopicClassifier(data, ['alpha', 'beta']);
  assert.deepEqual(model.classes, ['alpha', 'beta', OUT_OF_SCOPE_CLASS]);
  const clf = new TopicClassifier(model);
  const argmax = (features: string[]) => {
    const p = clf.probabilities(['bias', ...features]);
    assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-9, 'probabilities sum to 1');
    return clf.classes[p.indexOf(Math.max(...p))];
  };
  assert.equal(argmax(['w:管理员', 'w:看']), 'alpha');
  assert.equal(argmax(['w:存档', 'w:多久']), 'beta');
  assert.equal(argmax(['w:天气']), OUT_OF_SCOPE_CLASS);
  // A question with no known feature still gets a distribution (the bias alone).
  assert.equal(clf.probabilities(['w:从没见过']).length, 3);
});

test('training is deterministic: the same inputs give the same weights', () => {
  assert.deepEqual(trainTopicClassifier(data, ['alpha', 'beta']), trainTopicClassifier(data, ['alpha', 'beta']));
  const reordered = trainTopicClassifier(data, ['alpha', 'beta'], { ...DEFAULT_TRAINING, seed: 2 });
  assert.notDeepEqual(reordered.weights, trainTopicClassifier(data, ['alpha', 'beta']).weights, 'the seed is used');
});

test('a label that is not a class is refused', () => {
  assert.throws(() => trainTopicClassifier([ex('gamma', 'w:x')], ['alpha']), (e: unknown) => e instanceof ClassifierModelError && /gamma/.test((e as Error).message));
});

test('kept classes: a class the knowledge base dropped keeps its share instead of lending it to a look-alike', () => {
  const model = trainTopicClassifier(data, ['alpha', 'beta']);
  const full = new TopicClassifier(model);
  const clf = new TopicClassifier(model, new Set(['beta']));
  assert.deepEqual(clf.classes, ['beta', OUT_OF_SCOPE_CLASS]);
  const q = ['bias', 'w:管理员', 'w:看'];
  const p = clf.probabilities(q);
  const all = full.probabilities(q);
  assert.equal(p[0], all[1], 'beta as in the full model');
  assert.equal(p[1], all[2], 'out of scope as in the full model');
  assert.ok(p[0]! + p[1]! < 0.5, 'alpha\'s share is not handed to beta');
});

test('model files: a malformed file names itself and the field', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'clf-'));
  const bad = path.join(dir, 'bad.json');
  writeFileSync(bad, '{"format": 1, "classes": ["a"]}');
  assert.throws(() => loadClassifierModel(bad), (e: unknown) => e instanceof ClassifierModelError && (e as Error).message.includes(bad) && (e as ClassifierModelError).code === 'KB_CLASSIFIER_INVALID');
  const notJson = path.join(dir, 'not.json');
  writeFileSync(notJson, '{');
  assert.throws(() => loadClassifierModel(notJson), ClassifierModelError);
  const trained = trainTopicClassifier(data, ['alpha', 'beta']);
  const wrongOrder = path.join(dir, 'order.json');
  writeFileSync(wrongOrder, JSON.stringify({ ...trained, classes: [OUT_OF_SCOPE_CLASS, 'alpha', 'beta'], inputsSha256: 'a'.repeat(64), trainedOn: [] }));
  assert.throws(() => loadClassifierModel(wrongOrder), /last class/);
  const good = path.join(dir, 'good.json');
  writeFileSync(good, JSON.stringify({ ...trained, inputsSha256: 'b'.repeat(64), trainedOn: [{ source: 'test', questions: data.length }] }));
  assert.deepEqual(loadClassifierModel(good).classes, trained.classes);
});
