// The real knowledge base in knowledge/: it loads, covers exactly the topics of topics.tsv with the
// right appendStatus, cites only URLs taken from the shared fact sheets, and copies no evaluation question.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKnowledge } from '../../../src/knowledge/load.ts';
import { lintKnowledge, parseTopics } from '../../../src/knowledge/lint.ts';
import { phrasingKey } from '../../../src/knowledge/schema.ts';

const repoRoot = path.resolve(fileURLToPath(import.meta.url), '../../../..');
const kbDir = path.join(repoRoot, 'knowledge');
const shared = path.resolve(repoRoot, '../shared');

/** The shared file when this checkout sits next to ../shared, else the copy kept in test/fixtures. */
function sharedOrFixture(sharedRel: string, fixture: string): string {
  const s = path.join(shared, sharedRel);
  return existsSync(s) ? s : path.join(repoRoot, 'test/fixtures', fixture);
}
const topicsFile = sharedOrFixture('eval/topics.tsv', 'topics.tsv');

test('fixture copies match the shared originals when those are present', (t) => {
  const pairs = [
    ['eval/topics.tsv', 'topics.tsv'],
    ['eval/dev.jsonl', 'dev.jsonl'],
  ] as const;
  const present = pairs.filter(([s]) => existsSync(path.join(shared, s)));
  if (present.length === 0) return t.skip('../shared not present; fixtures are the reference');
  for (const [s, f] of present) {
    assert.equal(readFileSync(path.join(repoRoot, 'test/fixtures', f), 'utf8'), readFileSync(path.join(shared, s), 'utf8'), `test/fixtures/${f} differs from ../shared/${s}`);
  }
});

test('knowledge/ loads and holds exactly the 35 topics with their appendStatus', async () => {
  const kb = await loadKnowledge(kbDir);
  const { topics, problems } = parseTopics(readFileSync(topicsFile, 'utf8'), topicsFile);
  assert.deepEqual(problems, []);
  assert.equal(topics.length, 35);
  assert.deepEqual(kb.entries.map((e) => e.id).sort(), topics.map((t) => t.id).sort());
  for (const topic of topics) {
    assert.equal(kb.byId.get(topic.id)?.appendStatus, topic.appendStatus, `${topic.id}: appendStatus`);
  }
  assert.deepEqual(await lintKnowledge(kbDir, { topicsFile }), { ok: true, problems: [], entries: 35 });
});

test('every entry meets the content floor: 8 zh / 3 en phrasings, answers in both languages, reviewed date', async () => {
  const kb = await loadKnowledge(kbDir);
  for (const e of kb.entries) {
    assert.ok(e.questions.zh.length >= 8, `${e.id}: ${e.questions.zh.length} Chinese phrasings`);
    assert.ok(e.questions.en.length >= 3, `${e.id}: ${e.questions.en.length} English phrasings`);
    assert.match(e.answer.zh, /\p{Script=Han}/u, `${e.id}: zh answer has Chinese`);
    const han = (e.answer.en.match(/\p{Script=Han}/gu) ?? []).length;
    assert.ok(han < e.answer.en.length / 20, `${e.id}: en answer is mostly Chinese (${han} Han characters)`);
    assert.doesNotMatch(e.answer.zh + e.answer.en, /https?:\/\//, `${e.id}: sources belong in sources, not in the answer`);
  }
});

test('every source URL is one listed in the shared fact sheets (no invented URLs)', async (t) => {
  const sheets = ['facts.md', 'protocols.md'].map((f) => path.join(shared, f));
  if (!sheets.every(existsSync)) return t.skip('../shared/facts.md or protocols.md not present');
  const text = sheets.map((f) => readFileSync(f, 'utf8')).join('\n');
  const kb = await loadKnowledge(kbDir);
  for (const e of kb.entries) {
    for (const s of e.sources) {
      const bare = s.url.replace(/^https?:\/\//, '');
      assert.ok(text.includes(bare), `${e.id}: ${s.url} is not in facts.md or protocols.md`);
    }
  }
});

/** Evaluation questions (one JSON object with "q" per line) from the sets kept out of the KB. */
function evalQuestions(): { file: string; q: string }[] {
  const files = [sharedOrFixture('eval/dev.jsonl', 'dev.jsonl'), path.join(repoRoot, 'test/fixtures/holdout.jsonl')];
  const out: { file: string; q: string }[] = [];
  for (const file of files.filter(existsSync)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.trim()) out.push({ file: path.basename(file), q: (JSON.parse(line) as { q: string }).q });
    }
  }
  return out;
}

test('no evaluation question appears verbatim among the titles, phrasings or keywords', async () => {
  const questions = evalQuestions();
  assert.ok(questions.length >= 80, `expected the dev set (89 questions), read ${questions.length}`);
  const kb = await loadKnowledge(kbDir);
  const owned = new Map<string, string>();
  for (const e of kb.entries) {
    for (const s of [e.title.zh, e.title.en, ...e.questions.zh, ...e.questions.en, ...e.keywords]) owned.set(phrasingKey(s), e.id);
  }
  const copies = questions.filter(({ q }) => owned.has(phrasingKey(q))).map(({ file, q }) => `${file}: "${q}" (in ${owned.get(phrasingKey(q))})`);
  assert.deepEqual(copies, []);
});
