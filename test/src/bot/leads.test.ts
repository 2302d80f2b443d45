import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leadFor, questionHasCue } from '../../../src/bot/leads.ts';
import type { KnowledgeEntry } from '../../../src/knowledge/types.ts';

test('questionHasCue: Chinese cues as substrings, also in a Traditional or full-width question', () => {
  assert.equal(questionHasCue('已读能关掉吗', '关掉'), true);
  assert.equal(questionHasCue('已讀能關掉嗎', '关掉'), true);
  assert.equal(questionHasCue('已读能看到吗', '关掉'), false);
  assert.equal(questionHasCue('ＴＵＲＮ ＯＦＦ read receipts', 'turn off'), true);
});

test('questionHasCue: Latin cues match whole words only, in any case', () => {
  assert.equal(questionHasCue('Are CALLS archived?', 'calls'), true);
  assert.equal(questionHasCue('can admins recall my message', 'call'), false);
  assert.equal(questionHasCue('call-recording on wecom', 'call'), true);
  assert.equal(questionHasCue('how do I turn it off', 'turn off'), false);
  assert.equal(questionHasCue('anything', '  '), false);
});

test('leadFor: the first lead whose cue matches; null without leads or without a match', () => {
  const entry = {
    leads: [
      { cues: ['关掉'], zh: '一。', en: 'One.' },
      { cues: ['关', 'hide'], zh: '二。', en: 'Two.' },
    ],
  } as unknown as KnowledgeEntry;
  assert.equal(leadFor(entry, '能关掉吗')?.en, 'One.');
  assert.equal(leadFor(entry, '能关吗')?.en, 'Two.');
  assert.equal(leadFor(entry, 'can I hide it')?.en, 'Two.');
  assert.equal(leadFor(entry, '能看到吗'), null);
  assert.equal(leadFor({} as KnowledgeEntry, '能关掉吗'), null);
});
