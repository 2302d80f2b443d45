/**
 * The filtered token searches of src/matching/fuzzy.ts give exactly the hits (documents, order, scores) of reading
 * every document: Fuse.js over all documents for fuzzy search, `String.includes` on every text for substrings.
 * Checked on seeded random texts and tokens over a small alphabet (so that near matches are common): substrings of
 * the texts with 0–3 random edits, case changes, astral characters, whole-text patterns and patterns longer than
 * Fuse's 32-unit chunk, at the matcher's threshold and at looser ones that allow more errors.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTextSearch } from '../../../src/matching/fuzzy.ts';
import { mulberry32 as rng } from '../../helpers/random.ts';


const ALPHABET = [...'隐私存档聊天记录企业微信钉钉飞书管理员能看吗abcdeXY ', '𠀀'];

function randomWorld(seed: number): { texts: string[]; tokens: string[] } {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const randomText = (min: number, max: number): string => {
    const n = min + Math.floor(r() * (max - min + 1));
    let s = '';
    for (let i = 0; i < n; i++) s += pick(ALPHABET);
    return s;
  };
  const texts = Array.from({ length: 150 }, () => randomText(2, 40));
  texts.push('企业微信会话存档', 'ABCDE abcde');
  const tokens: string[] = [];
  for (let k = 0; k < 600; k++) {
    const kind = r();
    if (kind < 0.1) {
      tokens.push(randomText(1, 45));
      continue;
    }
    if (kind < 0.15) {
      tokens.push(pick(texts));
      continue;
    }
    const text = pick(texts);
    const start = Math.floor(r() * text.length);
    const chars = [...text.slice(start, start + 1 + Math.floor(r() * 36))];
    const edits = Math.floor(r() * 4);
    for (let e = 0; e < edits && chars.length > 0; e++) {
      const at = Math.floor(r() * chars.length);
      const op = r();
      if (op < 0.34) chars[at] = pick(ALPHABET);
      else if (op < 0.67) chars.splice(at, 1);
      else chars.splice(at, 0, pick(ALPHABET));
    }
    let token = chars.join('');
    if (r() < 0.2) token = token.toUpperCase();
    if (token) tokens.push(token);
  }
  return { texts, tokens };
}

describe('filtered token search', () => {
  for (const threshold of [0.2, 0.34, 0.5]) {
    it(`fuzzy hits equal Fuse.js over all documents (threshold ${threshold})`, () => {
      const { texts, tokens } = randomWorld(Math.round(threshold * 1000));
      const filtered = createTextSearch(texts, threshold);
      const full = createTextSearch(texts, threshold, false);
      let hits = 0;
      let approximate = 0;
      for (const token of tokens) {
        const expected = full.fuzzy(token);
        assert.deepEqual(filtered.fuzzy(token), expected, `token of ${token.length} units`);
        hits += expected.docs.length;
        approximate += expected.scores.filter((s) => s > 0.001 && s < 1).length;
      }
      // The check is not vacuous: the tokens hit documents, many with errors.
      assert.ok(hits > tokens.length && approximate > 100, `${hits} hits, ${approximate} approximate`);
    });
  }

  it('substring hits equal a scan of every document', () => {
    const { texts, tokens } = randomWorld(7);
    const filtered = createTextSearch(texts, 0.2);
    const full = createTextSearch(texts, 0.2, false);
    let hits = 0;
    for (const token of [...tokens, ...tokens.map((t) => t.slice(0, 3)), '𠀀', '\uD840', '']) {
      const expected = full.substring(token);
      assert.deepEqual(filtered.substring(token), expected);
      hits += expected.length;
    }
    assert.ok(hits > tokens.length);
  });

  it('finds nothing in no documents', () => {
    const empty = createTextSearch([], 0.2);
    assert.deepEqual(empty.fuzzy('会话存档功能'), { docs: [], scores: [] });
    assert.deepEqual(empty.substring('存档'), []);
  });
});
