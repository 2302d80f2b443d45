import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { lintKnowledge, parseTopics } from '../../../src/knowledge/lint.ts';

const NOW = new Date('2026-11-29T12:00:00Z');

function entry(id: string, appendStatus: boolean, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    title: { zh: `标题 ${id}`, en: `Title ${id}` },
    questions: { zh: [1, 2, 3, 4, 5].map((n) => `${id} 问题 ${n}`), en: [`${id} q1`, `${id} q2`] },
    keywords: ['存档'],
    answer: { zh: '答案。', en: 'Answer.' },
    sources: [{ title: 'PIPL', url: 'https://wechat.estsglobal.com/wechat/law_contents/310' }],
    reviewed: '2026-11-01',
    appendStatus,
    platforms: ['all'],
    ...over,
  };
}

async function setup(t: { after: (fn: () => Promise<void>) => void }, files: Record<string, unknown>, topics: string) {
  const dir = await mkdtemp(path.join(tmpdir(), 'kb-lint-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const kb = path.join(dir, 'kb');
  await mkdir(kb);
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(kb, name), stringify(content));
  const topicsFile = path.join(dir, 'topics.tsv');
  await writeFile(topicsFile, topics);
  return { kb, topicsFile };
}

const HEADER = 'id\twhat the entry answers\tpersonal status appended\n';

test('clean base with matching topics is ok', async (t) => {
  const { kb, topicsFile } = await setup(
    t,
    { 'one-topic.yaml': entry('one-topic', true), 'two-topic.yaml': entry('two-topic', false), 'extra.yaml': entry('extra', false) },
    `${HEADER}one-topic\tFirst?\tyes\ntwo-topic\tSecond?\tno\n\n`,
  );
  const r = await lintKnowledge(kb, { topicsFile, now: NOW });
  assert.deepEqual(r, { ok: true, problems: [], entries: 3 });
});

test('reports a missing topic entry, a wrong appendStatus and loader problems together', async (t) => {
  const { kb, topicsFile } = await setup(
    t,
    {
      'one-topic.yaml': entry('one-topic', false),
      'broken.yaml': entry('broken', true, { keywords: [] }),
    },
    `${HEADER}one-topic\tFirst?\tyes\nmissing-topic\tNot written\tno\nbroken\tBroken entry\tyes\n`,
  );
  const r = await lintKnowledge(kb, { topicsFile, now: NOW });
  assert.equal(r.ok, false);
  assert.equal(r.entries, 1);
  const lines = r.problems.map((p) => `${path.basename(p.file)} ${p.field}: ${p.message}`);
  assert.deepEqual(lines, [
    'broken.yaml keywords: at least one keyword required',
    'topics.tsv one-topic: appendStatus is false in the entry but yes in the topics file',
    'topics.tsv missing-topic: topic has no knowledge entry (expected missing-topic.yaml)',
  ]);
});

test('without a topics file only loader problems count', async (t) => {
  const { kb } = await setup(t, { 'solo.yaml': entry('solo', true) }, HEADER);
  assert.deepEqual(await lintKnowledge(kb, { now: NOW }), { ok: true, problems: [], entries: 1 });
  const r = await lintKnowledge(path.join(kb, 'nope'), { now: NOW });
  assert.equal(r.ok, false);
  assert.match(r.problems[0]!.message, /directory does not exist/);
});

test('a missing topics file is a problem, not a crash', async (t) => {
  const { kb, topicsFile } = await setup(t, { 'solo.yaml': entry('solo', true) }, HEADER);
  const r = await lintKnowledge(kb, { topicsFile: topicsFile + '.gone', now: NOW });
  assert.equal(r.ok, false);
  assert.match(r.problems[0]!.message, /cannot read topics file \(ENOENT\)/);
});

test('parseTopics validates columns, the yes/no flag and repeats', () => {
  const { topics, problems } = parseTopics(`${HEADER}a\tA?\tyes\nb\tB?\tmaybe\nc\tonly two\na\tagain\tno\r\nd\tD?\tno\n`, 'topics.tsv');
  assert.deepEqual(topics, [
    { id: 'a', what: 'A?', appendStatus: true },
    { id: 'd', what: 'D?', appendStatus: false },
  ]);
  assert.deepEqual(problems.map((p) => `${p.field}: ${p.message}`), [
    'line 3: third column must be yes or no, got "maybe"',
    'line 4: expected 3 tab-separated columns, got 2',
    'line 5: topic "a" listed twice',
  ]);
});
