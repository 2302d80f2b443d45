import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BotError } from '../../../src/errors.ts';
import { loadKnowledge } from '../../../src/knowledge/load.ts';
import type { KnowledgeBase } from '../../../src/knowledge/types.ts';
import { formatEvalReport, percentile, readEvalFile, runEval } from '../../../src/eval/run.ts';

const kbDir = fileURLToPath(new URL('../../fixtures/kb-small', import.meta.url));
let kb: KnowledgeBase;
let dir: string;

before(async () => {
  kb = await loadKnowledge(kbDir);
  dir = await mkdtemp(path.join(tmpdir(), 'privacy-bot-eval-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, lines: string[]): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, lines.join('\n'), 'utf8');
  return p;
}

test('runEval counts in-scope correct, out-of-scope declined and lists misses', async () => {
  const f = await file('small.jsonl', [
    JSON.stringify({ q: '钉钉管理员可以看我的聊天记录吗', topics: ['dingtalk-admin-access'] }),
    JSON.stringify({ q: '撤回的消息公司还能看到吗', topics: ['recalled-deleted', 'wecom-admin-access'] }),
    JSON.stringify({ q: '钉钉管理员可以看我的聊天记录吗？', topics: ['personal-wechat'] }), // deliberately mislabelled
    '',
    JSON.stringify({ q: '今天中午吃什么', topics: [] }),
    JSON.stringify({ q: '明天会下雨吗', topics: [] }),
  ]);
  const r = await runEval({ file: f, kb });
  assert.equal(r.questions, 5);
  assert.deepEqual(r.matcher.inScope, { total: 3, correct: 2, accuracy: 2 / 3 });
  assert.deepEqual(r.matcher.outOfScope, { total: 2, declined: 2, rate: 1 });
  assert.equal(r.matcher.overall, 4 / 5);
  assert.deepEqual(r.matcher.misses, [
    { line: 3, question: '钉钉管理员可以看我的聊天记录吗？', expected: ['personal-wechat'], got: 'dingtalk-admin-access' },
  ]);
  assert.equal(r.matcher.items[3]?.line, 5, 'line numbers count blank lines');
  assert.ok(r.matcher.latencyMs.p50 >= 0 && r.matcher.latencyMs.p99 >= r.matcher.latencyMs.p50);
  assert.equal(r.baseline, undefined);
  assert.deepEqual(r.unknownTopics, []);
});

test('runEval with baseline reports plain Fuse.js defaults side by side', async () => {
  const f = await file('base.jsonl', [
    JSON.stringify({ q: '撤回的消息公司还能看到吗', topics: ['recalled-deleted'] }),
    JSON.stringify({ q: '今天中午吃什么', topics: [] }),
    JSON.stringify({ q: '会话存档的内容公司能看吗', topics: ['wecom-archive-overview'] }),
  ]);
  const r = await runEval({ file: f, kb, baseline: true });
  assert.ok(r.baseline);
  assert.equal(r.baseline.method, 'fuse.js defaults');
  assert.equal(r.baseline.items.length, 3);
  assert.equal(r.baseline.inScope.total, 2);
  // The baseline answers whatever Fuse returns first; check it against a direct computation.
  for (const item of r.baseline.items) {
    assert.equal(item.correct, item.expected.length === 0 ? item.got === null : item.expected.includes(item.got ?? ''));
  }
  const text = formatEvalReport(r, { json: false });
  assert.match(text, /fuse\.js defaults/);
  assert.match(text, /in-scope correct/);
});

test('runEval names topics the knowledge base does not have', async () => {
  const f = await file('unknown.jsonl', [JSON.stringify({ q: '保存多久', topics: ['retention'] })]);
  const r = await runEval({ file: f, kb });
  assert.deepEqual(r.unknownTopics, ['retention']);
  assert.match(formatEvalReport(r, { json: false }), /not in the knowledge base: retention/);
});

const badFiles: Array<[string, string[], RegExp]> = [
  ['not JSON', ['{"q":"a","topics":[]}', '{oops'], /line 2: not valid JSON/],
  ['array instead of object', ['[1,2]'], /line 1: expected an object/],
  ['missing q', ['', '{"topics":[]}'], /line 2: "q" must be a non-empty string/],
  ['empty q', ['{"q":"  ","topics":[]}'], /line 1: "q"/],
  ['topics not an array', ['{"q":"a","topics":"x"}'], /line 1: "topics" must be an array/],
  ['topics with a number', ['{"q":"a","topics":[1]}'], /line 1: "topics"/],
  ['no questions', ['', '  '], /no questions/],
];
for (const [name, lines, re] of badFiles) {
  test(`bad eval file: ${name} -> EVAL_BAD_FILE naming the line`, async () => {
    const f = await file(`bad-${name.replace(/\W+/g, '-')}.jsonl`, lines);
    await assert.rejects(runEval({ file: f, kb }), (err: unknown) => {
      assert.ok(err instanceof BotError);
      assert.equal(err.code, 'EVAL_BAD_FILE');
      assert.equal(err.status, 400);
      assert.match(err.message, re);
      assert.ok(err.message.includes(f), 'names the file');
      return true;
    });
  });
}

test('missing eval file -> EVAL_BAD_FILE', async () => {
  await assert.rejects(readEvalFile(path.join(dir, 'nope.jsonl')), { code: 'EVAL_BAD_FILE' });
});

test('formatEvalReport json is the whole report', async () => {
  const f = await file('json.jsonl', [JSON.stringify({ q: '今天中午吃什么', topics: [] })]);
  const r = await runEval({ file: f, kb, baseline: true });
  const parsed = JSON.parse(formatEvalReport(r, { json: true }));
  assert.equal(parsed.questions, 1);
  assert.equal(parsed.matcher.outOfScope.declined, 1);
  assert.ok(parsed.baseline);
});

test('percentile uses nearest rank', () => {
  assert.equal(percentile([], 0.5), 0);
  assert.equal(percentile([1, 2, 3, 4], 0.5), 2);
  assert.equal(percentile([1, 2, 3, 4], 0.99), 4);
  assert.equal(percentile([5], 0.01), 5);
});

test('formatEvalReport totals: the figures and the number of misses, never a question (text and JSON)', async () => {
  const questions = ['撤回的消息公司还能看到吗', '今天中午吃什么', '企业微信怎么发红包存档', 'zzzz 完全无关 qqqq'];
  const f = await file('totals.jsonl', questions.map((q) => JSON.stringify({ q, topics: ['two-factor'] })));
  const r = await runEval({ file: f, kb, baseline: true });
  assert.ok(r.matcher.misses.length > 0, 'the file has misses to hide');
  const full = formatEvalReport(r, { json: false });
  assert.ok(questions.some((q) => full.includes(q)), 'without totals the misses are listed');
  for (const text of [formatEvalReport(r, { json: false, totals: true }), formatEvalReport(r, { json: true, totals: true })]) {
    for (const q of questions) assert.ok(!text.includes(q), `${q} is not printed`);
  }
  assert.match(formatEvalReport(r, { json: false, totals: true }), new RegExp(`misses \\(matcher\\): ${r.matcher.misses.length}`));
  assert.equal(JSON.parse(formatEvalReport(r, { json: true, totals: true })).matcher.inScope.total, 4);
});
