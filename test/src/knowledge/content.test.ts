// The real knowledge base in knowledge/: it loads, covers exactly the topics of topics.tsv with the
// right appendStatus, cites only URLs taken from the shared fact sheets, and copies no evaluation question.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKnowledge } from '../../../src/knowledge/load.ts';
import { lintKnowledge, parseTopics } from '../../../src/knowledge/lint.ts';
import {
  countAnswerChars,
  countEnglishChars,
  firstSentence,
  MAX_EN_ANSWER_CHARS,
  MAX_EN_FIRST_SENTENCE_CHARS,
  MAX_ZH_ANSWER_CHARS,
  MAX_ZH_FIRST_SENTENCE_CHARS,
  phrasingKey,
} from '../../../src/knowledge/schema.ts';

const repoRoot = path.resolve(fileURLToPath(import.meta.url), '../../../..');
const kbDir = path.join(repoRoot, 'knowledge');
/** The shared design folder next to this checkout (SHARED_DIR overrides it, e.g. to check the CI rule below). */
const shared = path.resolve(repoRoot, process.env.SHARED_DIR ?? '../shared');

/**
 * A comparison with the shared originals that cannot run because they are absent: skipped on a
 * developer's machine, but a FAILURE when CI is set — CI must compare, never pass silently.
 */
function sharedAbsent(t: TestContext, what: string): void {
  if (process.env.CI) assert.fail(`${what} not present at ${shared} (CI is set: this comparison must run; check out ../shared or set SHARED_DIR)`);
  t.skip(`${what} not present at ${shared}`);
}

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
  for (const [s, f] of present) {
    assert.equal(readFileSync(path.join(repoRoot, 'test/fixtures', f), 'utf8'), readFileSync(path.join(shared, s), 'utf8'), `test/fixtures/${f} differs from ../shared/${s}`);
  }
  const absent = pairs.filter((p) => !present.includes(p));
  if (absent.length > 0) sharedAbsent(t, absent.map(([s]) => `../shared/${s}`).join(', '));
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
  if (!sheets.every(existsSync)) return sharedAbsent(t, '../shared/facts.md or protocols.md');
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

test('readable in a chat window: a short first sentence, one phone screen, no "see below", no own "more" hint', async () => {
  const kb = await loadKnowledge(kbDir);
  const problems: string[] = [];
  for (const e of kb.entries) {
    const zh1 = countAnswerChars(firstSentence(e.answer.zh, 'zh'));
    const en1 = countEnglishChars(firstSentence(e.answer.en, 'en'));
    if (zh1 > MAX_ZH_FIRST_SENTENCE_CHARS) problems.push(`${e.id}: zh first sentence ${zh1}`);
    if (en1 > MAX_EN_FIRST_SENTENCE_CHARS) problems.push(`${e.id}: en first sentence ${en1}`);
    for (const part of [e.answer, ...(e.detail ? [e.detail] : [])]) {
      if (countAnswerChars(part.zh) > MAX_ZH_ANSWER_CHARS) problems.push(`${e.id}: zh over one screen`);
      if (countEnglishChars(part.en) > MAX_EN_ANSWER_CHARS) problems.push(`${e.id}: en over one screen`);
    }
    // The personal status is added by the bot only where it can be shown; the answer never promises it.
    if (/见下方|下方状态|附在下方|appended below|shown below|status below/i.test(e.answer.zh + e.answer.en)) problems.push(`${e.id}: says "see below"`);
    // The bot adds "回复“详细”查看更多" itself when (and only when) there is detail.
    if (/回复“详细”|Reply "more"/.test(e.answer.zh + e.answer.en)) problems.push(`${e.id}: writes its own "more" hint`);
  }
  assert.deepEqual(problems, []);
});

test('first sentences answer directly: yes / no / it depends, or a direct statement (reviewed list)', async () => {
  // Read and approved one by one (docs/KB-REVIEW.md); a changed opening must be re-read and this list updated.
  const kb = await loadKnowledge(kbDir);
  const openings = Object.fromEntries(kb.entries.map((e) => [e.id, [firstSentence(e.answer.zh, 'zh'), firstSentence(e.answer.en, 'en')]]));
  const DIRECT_ZH = /^(可能|可以|不能|不会|不是|会|还在|一般|要看|取决于|由公司决定|有可能|对客户来说需要|没有|不一定|很可能不能|公司开了会话存档的话|目前没有可靠资料|通过会话存档看不到|离职不会|你有权|最实用的一条|看两样|几乎所有|会话内容存档是|领导可能看得到|我们没有找到官方资料|确认只表示你已收到并阅读|先在公司内部)/u;
  const DIRECT_EN = /^(Possibly|It can|It depends|Usually|Yes|No|Not|Generally|Your company decides|For customers, yes|Probably not|If your company archives chats, yes|Leaving does not|You may|You can act|The most useful rule|Two things tell you|Almost every|Session content archiving|Depends on the platform|Your boss may see it|We found no official source|Acknowledging only confirms|Raise it in writing|They can be used|It does not record)/u;
  const indirect = Object.entries(openings).filter(([, [zh, en]]) => !DIRECT_ZH.test(zh!) || !DIRECT_EN.test(en!));
  assert.deepEqual(indirect, []);
});

test('sub-question leads are reviewed: which entries have them and how each opens (docs/KB-REVIEW.md)', async () => {
  // A lead is the reply's first sentence when its cue is in the question; a new or changed lead must be re-read.
  const kb = await loadKnowledge(kbDir);
  const leads = Object.fromEntries(kb.entries.filter((e) => e.leads).map((e) => [e.id, e.leads!.map((l) => [l.zh.slice(0, 8), l.en.split(' ').slice(0, 4).join(' ')])]));
  assert.deepEqual(leads, {
    'archive-scope': [['通话只有企业版会', 'Calls only on the'], ['和客户的聊天只有', 'Chats with customers are']],
    'read-receipts': [['能不能关掉要看平', 'Whether you can switch']],
    'refuse-archiving': [['开除需要公司能证', 'Dismissal needs a lawful']],
  });
});
