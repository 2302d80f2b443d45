/**
 * Token search over the matcher's documents: exact substring scans and Fuse.js fuzzy search, both restricted to the
 * documents that can match, with the same hits and scores as scanning or searching every document.
 *
 * - {@link TextSearch.substring}: the documents whose text contains a token, scanning only those that hold the
 *   token's rarest UTF-16 code unit (an index built once: code unit -> documents).
 * - {@link TextSearch.fuzzy}: exactly the documents, order and scores of `fuse.search(token)` over all documents
 *   (Fuse.js options {@link FUSE_OPTIONS}: one key, ignoreLocation, ignoreFieldNorm, no sorting). Fuse's bitap
 *   accepts a document when some substring of its lowercased text is within `e` edits (Levenshtein: substitutions,
 *   insertions, deletions) of the lowercased pattern, `e` being the most errors with `e / pattern length <=
 *   threshold` (with ignoreLocation the score is errors / length). Cut the pattern into `e + 1` contiguous pieces:
 *   an edit touches at most one piece, so every match holds at least one piece verbatim (the pigeonhole filter of
 *   approximate string matching). Only documents containing a piece are searched, by a Fuse instance over them
 *   alone; a document's score does not depend on the other documents (ignoreFieldNorm, one key), so the hits and
 *   scores are those of the full search. Patterns over 32 UTF-16 units (Fuse cuts them into chunks) and blank ones
 *   (Fuse returns every document) take the full search.
 *
 * Cost over the ≈1,500 documents of the knowledge base: a fuzzy search ≈0.1–0.4 ms instead of ≈4–5 ms, a substring
 * scan a few µs to ≈0.05 ms. Fuse.js source: https://github.com/krisk/Fuse (src/search/bitap).
 */
import Fuse, { type IFuseOptions } from 'fuse.js';

/** Fuse.js options of the matcher's token search (the threshold comes from the matcher's options). */
export const FUSE_OPTIONS: Readonly<IFuseOptions<{ text: string }>> = {
  keys: ['text'],
  includeScore: true,
  ignoreLocation: true,
  ignoreFieldNorm: true,
  shouldSort: false,
};

/** Fuse patterns longer than this (UTF-16 units) are cut into chunks by Fuse: searched without the filter. */
const FUSE_MAX_PATTERN = 32;

/** Hits of one fuzzy search: document indices, ascending, and their Fuse scores (0 … threshold; ≈0 = exact). */
export interface FuzzyHits {
  docs: number[];
  scores: number[];
}

/** Searches over a fixed list of document texts (see the module comment). */
export interface TextSearch {
  /** Indices (ascending) of the documents whose text contains `token` (case-sensitive, as `String.includes`). */
  substring(token: string): number[];
  /** The hits of `fuse.search(token)` over all documents, in its order, with its scores. */
  fuzzy(token: string): FuzzyHits;
}

/** UTF-16 code unit -> indices (ascending) of the texts holding it. */
function unitIndex(texts: readonly string[]): Map<number, number[]> {
  const index = new Map<number, number[]>();
  texts.forEach((text, i) => {
    for (let k = 0; k < text.length; k++) {
      const u = text.charCodeAt(k);
      const list = index.get(u);
      if (!list) index.set(u, [i]);
      else if (list[list.length - 1] !== i) list.push(i);
    }
  });
  return index;
}

const NONE: readonly number[] = [];

/** Ascending indices of the texts that may contain `s` (those holding its rarest code unit); null when `s` is empty. */
function mayContain(index: Map<number, number[]>, s: string): readonly number[] | null {
  let best: readonly number[] | null = null;
  for (let k = 0; k < s.length; k++) {
    const list = index.get(s.charCodeAt(k)) ?? NONE;
    if (!best || list.length < best.length) best = list;
    if (best.length === 0) break;
  }
  return best;
}

/**
 * Builds the searches over `texts`.
 * @param texts document texts, by document index (not copied: do not change them afterwards)
 * @param threshold Fuse.js threshold (0 = exact … 1)
 * @param prefilter false = every fuzzy search runs Fuse over all documents and every scan reads every document (the
 *   behaviour before the filters; for benchmarks and tests)
 */
export function createTextSearch(texts: readonly string[], threshold: number, prefilter = true): TextSearch {
  const records = texts.map((text) => ({ text }));
  const options: IFuseOptions<{ text: string }> = { ...FUSE_OPTIONS, threshold };
  const fuse = new Fuse(records, options);
  // Fuse lowercases pattern and text (isCaseSensitive is off); the filter reads the texts as Fuse does.
  const lower = texts.map((t) => t.toLowerCase());
  const units = unitIndex(texts);
  const lowerUnits = lower.every((t, i) => t === texts[i]) ? units : unitIndex(lower);
  const unpack = (results: { refIndex: number; score?: number }[], ref: (i: number) => number): FuzzyHits => ({
    docs: results.map((r) => ref(r.refIndex)),
    scores: results.map((r) => r.score ?? 1),
  });

  return {
    substring(token: string): number[] {
      const hits: number[] = [];
      const candidates = prefilter ? mayContain(units, token) : null;
      if (!candidates) {
        texts.forEach((t, i) => {
          if (t.includes(token)) hits.push(i);
        });
        return hits;
      }
      for (const i of candidates) if ((texts[i] as string).includes(token)) hits.push(i);
      return hits;
    },

    fuzzy(token: string): FuzzyHits {
      const pattern = token.toLowerCase();
      const m = pattern.length;
      // Fuse returns every document, unscored, for a blank query.
      if (!prefilter || m === 0 || m > FUSE_MAX_PATTERN || !token.trim()) return unpack(fuse.search(token), (i) => i);
      // Fuse tries error levels 0, 1, … while level / m <= threshold (and below m).
      let errors = 0;
      while (errors + 1 < m && (errors + 1) / m <= threshold) errors++;
      const seen = new Set<number>();
      for (let p = 0; p <= errors; p++) {
        const piece = pattern.slice(Math.floor((p * m) / (errors + 1)), Math.floor(((p + 1) * m) / (errors + 1)));
        for (const i of mayContain(lowerUnits, piece) ?? lower.keys()) if (!seen.has(i) && (lower[i] as string).includes(piece)) seen.add(i);
      }
      if (seen.size === 0) return { docs: [], scores: [] };
      const candidates = [...seen].sort((a, b) => a - b);
      const sub = new Fuse(
        candidates.map((i) => records[i] as { text: string }),
        options,
      );
      return unpack(sub.search(token), (i) => candidates[i] as number);
    },
  };
}
