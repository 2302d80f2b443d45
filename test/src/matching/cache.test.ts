import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadKnowledge } from '../../../src/knowledge/load.ts';
import { createMatcher } from '../../../src/matching/matcher.ts';
import { cachedMatcher, MATCH_CACHE_MAX_QUESTION_CHARS } from '../../../src/matching/cache.ts';
import type { Matcher, MatchResult } from '../../../src/matching/types.ts';

const kbDir = fileURLToPath(new URL('../../../knowledge', import.meta.url));
const questions: string[] = readFileSync(fileURLToPath(new URL('../../fixtures/dev.jsonl', import.meta.url)), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => (JSON.parse(l) as { q: string }).q);

let real: Matcher;
/** The real matcher, counting how often it actually matched. */
let calls = 0;
const counting: Matcher = { match: (q) => (calls++, real.match(q)) };

before(async () => {
  real = await createMatcher(await loadKnowledge(kbDir));
});

test('a cached matcher gives exactly the results of the real matcher, first and second time', () => {
  const cached = cachedMatcher(real);
  for (const round of [1, 2]) {
    for (const q of questions) assert.deepEqual(cached.match(q), real.match(q), `round ${round}: ${q}`);
  }
});

test('a repeated question is matched once; distinct texts are matched separately', () => {
  calls = 0;
  const cached = cachedMatcher(counting);
  const q = questions[0]!;
  const first = cached.match(q);
  const second = cached.match(q);
  assert.equal(calls, 1);
  assert.equal(second, first, 'the same (frozen) result object');
  cached.match(`${q}?`);
  assert.equal(calls, 2, 'a different text is not served from the cache');
});

test('the least recently used question is evicted beyond maxEntries', () => {
  calls = 0;
  const cached = cachedMatcher(counting, 2);
  const [a, b, c] = questions as [string, string, string];
  cached.match(a);
  cached.match(b);
  cached.match(a); // a is now the most recent
  cached.match(c); // evicts b
  assert.equal(cached.size, 2);
  assert.equal(calls, 3);
  cached.match(a);
  assert.equal(calls, 3, 'a stayed');
  cached.match(b);
  assert.equal(calls, 4, 'b was evicted and matched again');
});

test('over-long questions are never cached, and maxEntries 0 disables the cache', () => {
  calls = 0;
  const long = '我的聊天记录会被公司看到吗'.repeat(Math.ceil((MATCH_CACHE_MAX_QUESTION_CHARS + 1) / 13));
  const cached = cachedMatcher(counting);
  cached.match(long);
  cached.match(long);
  assert.equal(calls, 2);
  assert.equal(cached.size, 0);
  const off = cachedMatcher(counting, 0);
  off.match(questions[0]!);
  off.match(questions[0]!);
  assert.equal(calls, 4);
});

test('cached results are frozen, so no caller can change what the next asker gets', () => {
  const cached = cachedMatcher(real);
  const r: MatchResult = cached.match(questions[0]!);
  assert.throws(() => {
    (r as { topic: string | null }).topic = 'changed';
  }, TypeError);
  assert.throws(() => r.suggestions.push('x'), TypeError);
});
