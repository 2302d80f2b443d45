/**
 * FAQ matcher: finds the knowledge-base entry a question is about, or declines.
 *
 * Recipe (measured in ../shared/matching.md, "hybrid"): normalise ({@link normalizeQuestion}); segment with
 * jieba plus a domain user dictionary; drop stop words; fold synonyms; look every distinct question token up
 * with Fuse.js in an index holding one document per phrasing / keyword / title (strict fuzzy threshold, so
 * two-character words must match exactly); per entry keep each token's best hit. Entries are **ranked** by
 * knowledge-base IDF (tokens that single out one entry count most) and the top entry is **accepted** only when
 * its evidence mass — the sum of the matched tokens' general-corpus IDF (jieba's idf.txt: common words weigh
 * little) — reaches a cut, and the matched share of the question's own evidence is large enough (a question
 * mostly about something else, such as "企业微信怎么改头像", is declined even though it names the platform).
 */
import { Jieba } from '@node-rs/jieba';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import Fuse from 'fuse.js';
import type { KnowledgeBase } from '../knowledge/types.ts';
import type { Lang } from '../types.ts';
import { detectLanguage } from './language.ts';
import { normalizeQuestion } from './normalize.ts';
import type { Matcher, MatcherFactory, MatchResult } from './types.ts';
import { DOMAIN_TERMS, STOP_WORDS, SYNONYMS } from './vocabulary.ts';

/** Tunable constants of the matcher. Units: IDF values are natural-log inverse document frequencies. */
export interface MatcherOptions {
  /** Fuse.js threshold per token (0 = exact). 0.2: words of up to 4 characters must match exactly. */
  fuseThreshold: number;
  /** Accept the top entry when its corpus-IDF evidence mass reaches this. */
  acceptMass: number;
  /** ... and the matched share of the question's corpus-IDF mass reaches this (0..1). */
  minCoverage: number;
  /** Corpus IDF given to domain terms missing from jieba's idf.txt (企业微信, 会话存档 …). */
  domainWeight: number;
  /** Corpus IDF given to platform names (企业微信, 钉钉, 飞书, 微信): they say where, not what. */
  platformWeight: number;
  /** Corpus IDF for other Chinese words missing from idf.txt. */
  unknownWeight: number;
  /** Corpus IDF for Latin words missing from idf.txt (untranslated English). */
  latinWeight: number;
  /** jieba HMM for unknown words. */
  hmm: boolean;
  /** Most distinct tokens memoised (token -> per-entry best Fuse score). */
  memoSize: number;
}

/** Defaults chosen on the dev set (see the report in bench/ and test/src/eval/). */
export const DEFAULT_MATCHER_OPTIONS: Readonly<MatcherOptions> = {
  fuseThreshold: 0.2,
  acceptMass: 16,
  minCoverage: 0,
  domainWeight: 12,
  platformWeight: 6,
  unknownWeight: 10,
  latinWeight: 6,
  hmm: false,
  memoSize: 20_000,
};

/** Platform names: weighted with {@link MatcherOptions.platformWeight}. */
const PLATFORM_WORDS: ReadonlySet<string> = new Set(['企业微信', '钉钉', '飞书', '微信', '个人微信']);

/** One token's contribution to one entry, for explanations. */
export interface TokenHit {
  token: string;
  /** Fuse score of the best phrasing of the entry for this token (0 = exact). */
  fuseScore: number;
  kbIdf: number;
  corpusIdf: number;
}

/** Why a question matched the way it did (for tuning and tests; contains the question's tokens). */
export interface MatchExplanation {
  normalized: string;
  tokens: string[];
  /** Candidates best first: entry id, ranking score, evidence mass, coverage, hits. */
  candidates: { id: string; rank: number; mass: number; coverage: number; hits: TokenHit[] }[];
  result: MatchResult;
}

/** A matcher that can also explain itself. */
export interface ExplainingMatcher extends Matcher {
  explain(question: string): MatchExplanation;
  /** Empties the token memo (benchmarks measure cold and warm). */
  clearMemo(): void;
  /** The tokens of a question after normalisation, segmentation, stop words and synonyms. */
  tokenize(question: string): string[];
}

let corpusIdfCache: Map<string, number> | null = null;
let jiebaDictCache: Buffer | null = null;

/** A data file shipped in the @node-rs/jieba package (dict.txt, idf.txt). */
function jiebaFile(name: string): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@node-rs/jieba/package.json')), name);
}

/** jieba's main dictionary (dict.txt, ≈350k words), read once per process. */
function jiebaDict(): Buffer {
  jiebaDictCache ??= readFileSync(jiebaFile('dict.txt'));
  return jiebaDictCache;
}

/** jieba's idf.txt as a map word -> IDF, read once per process (≈270k words, ≈60 ms). */
function corpusIdf(): Map<string, number> {
  if (corpusIdfCache) return corpusIdfCache;
  const file = jiebaFile('idf.txt');
  const map = new Map<string, number>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const sp = line.indexOf(' ');
    if (sp <= 0) continue;
    const v = Number(line.slice(sp + 1));
    if (Number.isFinite(v)) map.set(line.slice(0, sp), v);
  }
  corpusIdfCache = map;
  return map;
}

const HAN_ONLY = /^\p{Script=Han}+$/u;
const LATIN = /^[a-z][a-z0-9]*$/;
const DIGITS = /^[0-9]+$/;

/**
 * Builds the matcher with explicit options (for tuning and benchmarks); {@link createMatcher} uses the defaults.
 * Cost: ≈0.3–0.6 s (jieba dictionary, idf table, OpenCC and pinyin tables on first use).
 */
export async function buildMatcher(kb: KnowledgeBase, options: Partial<MatcherOptions> = {}): Promise<ExplainingMatcher> {
  const opt: MatcherOptions = { ...DEFAULT_MATCHER_OPTIONS, ...options };
  const entries = kb.entries;
  const idf = corpusIdf();

  // Segmenter with the domain dictionary plus the knowledge base's own Chinese keywords.
  const userWords = new Set<string>(DOMAIN_TERMS);
  for (const e of entries) for (const k of e.keywords) {
    const w = k.trim();
    if (HAN_ONLY.test(w) && w.length >= 2 && w.length <= 8) userWords.add(w);
  }
  for (const [from, to] of Object.entries(SYNONYMS)) {
    if (HAN_ONLY.test(from) && from.length >= 2) userWords.add(from);
    for (const t of to) if (HAN_ONLY.test(t) && t.length >= 2) userWords.add(t);
  }
  const jieba = Jieba.withDict(jiebaDict());
  jieba.loadDict(Buffer.from([...userWords].map((w) => `${w} 50000`).join('\n'), 'utf8'));
  const domainSet = new Set<string>(userWords);

  const tokensOf = (normalized: string): string[] => {
    if (!normalized) return [];
    const out: string[] = [];
    for (const raw of jieba.cut(normalized, opt.hmm)) {
      const t = raw.trim();
      if (!t || STOP_WORDS.has(t) || DIGITS.test(t)) continue;
      const syn = SYNONYMS[t];
      if (syn) {
        for (const s of syn) if (!STOP_WORDS.has(s)) out.push(s);
      } else out.push(t);
    }
    return out;
  };
  const tokenize = (question: string): string[] => [...new Set(tokensOf(normalizeQuestion(question)))];

  // One Fuse document per phrasing, keyword and title, as space-joined canonical tokens.
  const docs: { entry: number; text: string }[] = [];
  entries.forEach((e, i) => {
    const texts = [e.title.zh, e.title.en, ...e.questions.zh, ...e.questions.en, ...e.keywords];
    const seen = new Set<string>();
    for (const t of texts) {
      const text = tokensOf(normalizeQuestion(t)).join(' ');
      if (text && !seen.has(text)) {
        seen.add(text);
        docs.push({ entry: i, text });
      }
    }
  });
  const fuse = new Fuse(docs, {
    keys: ['text'],
    includeScore: true,
    ignoreLocation: true,
    ignoreFieldNorm: true,
    threshold: opt.fuseThreshold,
    shouldSort: false,
  });

  const memo = new Map<string, Array<[number, number]>>();
  /** Per-entry best Fuse score for one token, memoised (bounded: the oldest half is dropped when full). */
  const lookup = (token: string): Array<[number, number]> => {
    const cached = memo.get(token);
    if (cached) return cached;
    const best = new Map<number, number>();
    for (const r of fuse.search(token)) {
      const s = r.score ?? 1;
      const prev = best.get(r.item.entry);
      if (prev === undefined || s < prev) best.set(r.item.entry, s);
    }
    const list = [...best.entries()];
    if (memo.size >= opt.memoSize) {
      let drop = Math.floor(opt.memoSize / 2);
      for (const k of memo.keys()) {
        if (drop-- <= 0) break;
        memo.delete(k);
      }
    }
    memo.set(token, list);
    return list;
  };

  const N = entries.length;
  const corpusWeight = (t: string): number => {
    if (PLATFORM_WORDS.has(t)) return opt.platformWeight;
    const v = idf.get(t);
    if (v !== undefined) return v;
    if (domainSet.has(t)) return opt.domainWeight;
    if (LATIN.test(t)) return opt.latinWeight;
    return opt.unknownWeight;
  };

  const explain = (question: string): MatchExplanation => {
    const lang: Lang = detectLanguage(typeof question === 'string' ? question.slice(0, 2000) : '');
    const normalized = normalizeQuestion(question);
    const tokens = [...new Set(tokensOf(normalized))];
    const perEntry = new Map<number, TokenHit[]>();
    let questionMass = 0;
    for (const token of tokens) {
      const cw = corpusWeight(token);
      questionMass += cw;
      const hits = lookup(token);
      if (hits.length === 0) continue;
      const df = hits.length;
      const kbIdf = Math.log(1 + (N - df + 0.5) / (df + 0.5));
      for (const [entry, fuseScore] of hits) {
        const list = perEntry.get(entry) ?? [];
        list.push({ token, fuseScore, kbIdf, corpusIdf: cw });
        perEntry.set(entry, list);
      }
    }
    const candidates = [...perEntry.entries()]
      .map(([entry, hits]) => {
        let rank = 0;
        let mass = 0;
        for (const h of hits) {
          rank += h.kbIdf * (1 - h.fuseScore);
          mass += h.corpusIdf * (1 - h.fuseScore);
        }
        return { entry, id: (entries[entry] as (typeof entries)[number]).id, rank, mass, coverage: questionMass > 0 ? mass / questionMass : 0, hits };
      })
      .sort((a, b) => b.rank - a.rank || b.mass - a.mass || a.entry - b.entry);
    const top = candidates[0];
    const accepted = !!top && top.mass >= opt.acceptMass && top.coverage >= opt.minCoverage;
    const score = top ? round3(top.mass / (top.mass + opt.acceptMass)) : 0;
    const others = accepted ? candidates.slice(1) : candidates;
    const result: MatchResult = {
      topic: accepted && top ? top.id : null,
      score: accepted ? Math.max(score, 0.5) : Math.min(score, 0.499),
      suggestions: others.slice(0, 3).map((c) => c.id),
      lang,
    };
    return { normalized, tokens, candidates: candidates.map(({ entry: _e, ...c }) => c), result };
  };

  return {
    match(question: string): MatchResult {
      try {
        return explain(question).result;
      } catch {
        // Defensive: matching must never take the bot down; an unexpected failure is a decline.
        return { topic: null, score: 0, suggestions: [], lang: safeLang(question) };
      }
    },
    explain,
    clearMemo: () => memo.clear(),
    tokenize,
  };
}

function safeLang(q: unknown): Lang {
  try {
    return detectLanguage(typeof q === 'string' ? q.slice(0, 2000) : '');
  } catch {
    return 'en';
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * Builds the production matcher over `kb` with {@link DEFAULT_MATCHER_OPTIONS}.
 * Start-up ≈0.3–0.6 s; `match` is synchronous, never throws, ≈0.05–1 ms per question.
 * `score` is `mass / (mass + acceptMass)`: 0.5 or more exactly when the question is answered.
 */
export const createMatcher: MatcherFactory = (kb) => buildMatcher(kb);
