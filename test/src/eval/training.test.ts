/**
 * What the topic classifier may learn from (src/eval/training.ts): the tuning sets only — never the dev set, the
 * untouched half of blind set 1, or a blind set whose first run is not yet recorded in test/fixtures/blind/README.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKnowledge } from '../../../src/knowledge/load.ts';
import { halfOf, readEvalFile } from '../../../src/eval/run.ts';
import { CATALOGUE, RUN_NOT_TRAINED, sameQuestionKey as norm, TRAINING_SETS, trainingExamples, trainingQuestions } from '../../../src/eval/training.ts';
import { OUT_OF_SCOPE_CLASS } from '../../../src/matching/classifier.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('the training list holds no dev set, only the tune half of blind set 1, and only blind sets after their first run', () => {
  const files = TRAINING_SETS.map((s) => s.file);
  assert.ok(!files.some((f) => /dev\.jsonl$/.test(f)), 'no dev set');
  const blind1 = TRAINING_SETS.filter((s) => s.file.endsWith('blind1.jsonl'));
  assert.deepEqual(blind1.map((s) => s.half), ['tune']);
  const readme = readFileSync(path.join(root, 'test/fixtures/blind/README.md'), 'utf8');
  for (const f of files.filter((x) => /blind[0-9]+\.jsonl$/.test(x) && !x.endsWith('blind1.jsonl'))) {
    const name = path.basename(f);
    const section = readme.split(/^## /m).find((s) => s.startsWith(name)) ?? '';
    assert.match(section, /First run/, `${name}: its first run is recorded before it is trained on`);
  }
  // Every blind set in the folder is trained on, still sealed (not yet run), or listed in RUN_NOT_TRAINED with a reason.
  const notTrained = RUN_NOT_TRAINED.map((s) => s.file);
  for (const s of RUN_NOT_TRAINED) {
    assert.ok(!files.includes(s.file), `${s.file}: listed both as trained and as not trained`);
    assert.ok(s.why.length > 20, `${s.file}: say why it is not trained on`);
  }
  for (const name of readdirSync(path.join(root, 'test/fixtures/blind')).filter((n) => /^blind[0-9]+\.jsonl$/.test(n))) {
    const section = readme.split(/^## /m).find((s) => s.startsWith(name)) ?? '';
    const file = `test/fixtures/blind/${name}`;
    if (name !== 'blind1.jsonl' && /First run/.test(section)) assert.ok(files.includes(file) || notTrained.includes(file), `${name} has been run: add it to TRAINING_SETS (or to RUN_NOT_TRAINED, saying why)`);
  }
});

test('no question of the dev set or of blind set 1\'s test half is among the training questions, even one another author wrote word for word', async () => {
  const kb = await loadKnowledge(path.join(root, 'knowledge'));
  const trained = new Set((await trainingQuestions(kb, root)).map((q) => norm(q.question)));
  const dev = await readEvalFile(path.join(root, 'test/fixtures/dev.jsonl'));
  assert.equal(dev.filter((c) => trained.has(norm(c.question))).length, 0, 'dev questions in the training data');
  const testHalf = (await readEvalFile(path.join(root, 'test/fixtures/blind/blind1.jsonl'))).filter((c) => halfOf(c.question) === 'test');
  assert.ok(testHalf.length > 300);
  assert.equal(testHalf.filter((c) => trained.has(norm(c.question))).length, 0, 'test-half questions in the training data');
});

test('sources: the knowledge base, the catalogue, the out-of-scope examples, then each set; two labels give two examples', async () => {
  const kb = await loadKnowledge(path.join(root, 'knowledge'));
  const qs = await trainingQuestions(kb, root, []);
  const sources = [...new Set(qs.map((q) => q.source))];
  assert.deepEqual(sources, ['knowledge base', CATALOGUE, 'lexicon out-of-scope examples']);
  assert.equal(qs.filter((q) => q.source === CATALOGUE).length, kb.entries.length);
  const examples = trainingExamples(
    [
      { question: 'a', labels: ['wecom-admin-access', 'retention'], source: 't' },
      { question: 'b', labels: [], source: 't' },
      { question: 'c', labels: ['not-a-topic'], source: 't' },
    ],
    kb,
    () => [],
  );
  assert.deepEqual(examples.map((e) => e.label), ['wecom-admin-access', 'retention', OUT_OF_SCOPE_CLASS]);
});
