/**
 * The privacy-word gate of matching (src/matching/matcher.ts, step 5a): a question is answered only
 * when the top entry matched at least one privacy concept token. "企业微信怎么发红包" shares the
 * platform and a message type with the archive-scope entry and scores high enough on words alone,
 * but asks nothing about privacy: the gate, and only the gate, declines it.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadKnowledge } from '../../../src/knowledge/load.ts';
import { buildMatcher, createMatcher, DEFAULT_MATCHER_OPTIONS, type ExplainingMatcher } from '../../../src/matching/matcher.ts';
import { PRIVACY_CONCEPTS } from '../../../src/matching/vocabulary.ts';
import type { Matcher } from '../../../src/matching/types.ts';
import { REPO_ROOT } from '../../helpers/app.ts';

describe('privacy-word gate', () => {
  let gated: Matcher;
  let explaining: ExplainingMatcher;
  let ungated: ExplainingMatcher;
  before(async () => {
    const kb = await loadKnowledge(join(REPO_ROOT, 'knowledge'));
    gated = await createMatcher(kb);
    explaining = await buildMatcher(kb);
    ungated = await buildMatcher(kb, { conceptGate: false, classifier: false });
  });

  it('is on by default', () => {
    assert.equal(DEFAULT_MATCHER_OPTIONS.conceptGate, true);
  });

  it('declines a question that matches an entry on platform and message words but names no privacy concept', () => {
    const q = '企业微信怎么发红包';
    const without = ungated.explain(q);
    assert.notEqual(without.result.topic, null, 'without the gate the words alone would answer it (archive-scope today)');
    const top = without.candidates[0]!;
    assert.ok(!top.hits.some((h) => PRIVACY_CONCEPTS.has(h.token)), `no privacy concept among ${top.hits.map((h) => h.token).join(' ')}`);
    assert.equal(gated.match(q).topic, null, 'the gate declines it');
    assert.ok(gated.match(q).score < 0.5);
    assert.equal(explaining.explain(q).result.topic, null);
  });

  it('lets through a question whose matched words include a privacy concept', () => {
    for (const q of ['公司能导出我的企业微信聊天记录吗', '钉钉撤回的消息公司还看得到吗']) {
      const e = explaining.explain(q);
      assert.notEqual(e.result.topic, null, q);
      assert.ok(e.candidates[0]!.hits.some((h) => PRIVACY_CONCEPTS.has(h.token)), `${q}: a privacy concept matched`);
      assert.equal(gated.match(q).topic, e.result.topic);
    }
  });
});
