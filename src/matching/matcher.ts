/**
 * FAQ matcher: finds the knowledge-base entry a question is about, or declines.
 *
 * Recipe (a hybrid of token lookup, fuzzy search and scoring, measured on the dev set and two held-out sets in test/fixtures):
 * 1. normalise ({@link normalizeQuestion}: mentions, NFKC, traditional -> simplified, English glossary, typos);
 * 2. segment with jieba plus a domain user dictionary (vocabulary.ts DOMAIN_TERMS + the knowledge base's Chinese
 *    keywords); drop stop words; fold synonyms onto canonical words; split general 4+ character compounds into
 *    their parts; add cue tokens for "what is" (是什么), "am I …" (我的状态), "have I read" (已读) and questions
 *    addressed to the bot (机器人);
 * 3. look every distinct token up in a Fuse.js index holding one document per title / phrasing / keyword (strict
 *    threshold 0.2: words up to 4 characters must occur exactly, found by a substring scan; single characters must
 *    be whole tokens; fuzzy.ts reads only the documents that can hold the token, with the hits and scores of reading
 *    all); per entry keep each token's best hit;
 * 4. rank entries by Σ KB-IDF × (1 − Fuse score) plus the weighted Jaccard similarity of the best single phrasing;
 *    entries about another platform than the one the question names rank lower;
 * 5. answer the top entry only when (a) one of its matched tokens is a privacy concept ("企业微信怎么发红包" names
 *    the platform and a message type but asks nothing about privacy) and (b) its evidence mass — Σ general-corpus
 *    IDF (jieba's idf.txt) × (1 − Fuse score) over matched tokens — reaches {@link MatcherOptions.acceptMass}, or
 *    reaches {@link MatcherOptions.shortMass} while one phrasing is closely similar, and (c) the final question
 *    carries no out-of-scope marker (加班费, 试用期, 报销 …: knowledge/lexicon/out-of-scope.yaml) the entry does not match.
 * 6. fuse with the topic classifier (classifier.ts, a logistic regression trained on labelled tuning questions): its
 *    best topic is answered when it is confident ({@link MatcherOptions.classifierAccept}, and clearly more likely
 *    than out of scope); else the ranking's answer from step 5 stands if the classifier gives it at least
 *    {@link MatcherOptions.classifierAgree} or the classifier is sure the question is in scope
 *    ({@link MatcherOptions.classifierSureInScope}); else the bot declines. A question naming no platform gives a platform
 *    family's probability (wecom-/dingtalk-/feishu-admin-access) to the asker's platform's member. A ranking answer
 *    the model was not trained on (an operator's own entry) stands: the classifier only speaks for topics it knows.
 * `score` = the answered topic's confidence (classifier probability, or mass / (mass + acceptMass) for the ranking),
 * clamped so that it is >= 0.5 exactly when the question is answered.
 */
import { Jieba } from '@node-rs/jieba';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { KnowledgeBase } from '../knowledge/types.ts';
import type { Lang } from '../platform/message.ts';
import { createTextSearch } from './fuzzy.ts';
import { detectLanguage } from './language.ts';
import { normalizeQuestion } from './normalize.ts';
import { classifierFeatures, defaultModelPath, loadClassifierModel, OUT_OF_SCOPE_CLASS, TopicClassifier, type TopicClassifierModel } from './classifier.ts';
import { lexicon } from './lexicon.ts';
import type { MatchContext, Matcher, MatcherFactory, MatchResult } from './types.ts';
import {
  CUE_BOT,
  CUE_SELF_STATUS,
  CUE_WEIGHTS,
  DOMAIN_TERMS,
  PRIVACY_CONCEPTS,
  PRIVACY_CONCEPT_PAIRS,
  READ_RECEIPT_PATTERNS,
  BOT_ADDRESS_PATTERNS,
  CUE_DEFINITION,
  CUE_BEFORE_START,
  BEFORE_START_PATTERNS,
  CUE_WHO_CAN_SEE,
  WHO_CAN_SEE_PATTERNS,
  CUE_INSPECT,
  INSPECT_PATTERNS,
  CUE_HOW_TO,
  HOW_TO_PATTERNS,
  DEFINITION_PATTERNS,
  SELF_STATUS_PATTERNS,
  STOP_WORDS,
  SYNONYMS,
} from './vocabulary.ts';

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
  /** Split general (non-domain) compounds of 4+ characters into their parts. */
  splitCompounds: boolean;
  /** Drop a 4+ character stop word (可不可以, 是不是啊) whole instead of splitting it into parts (可不, 不可). */
  keepStopCompounds: boolean;
  /** Cue patterns see a question's Chinese written with spaces between words as unspaced text. */
  joinHanSpaces: boolean;
  /** … and so do they for knowledge-base phrasings and out-of-scope examples. */
  joinHanSpacesKb: boolean;
  /** Add the how-to cue token (vocabulary.ts HOW_TO_PATTERNS). */
  howToCue: boolean;
  /** Decline a message whose only token is the bot's name (机器人): an address, not a question. */
  addresseeNotConcept: boolean;
  /** Latin words of up to 3 letters match whole tokens only ("ma" must not hit "manager", "log" not "blog"). */
  latinWholeWord: boolean;
  /** Weight of the best single phrasing's weighted Jaccard similarity in the ranking score. */
  phraseWeight: number;
  /** Ranking factor for an entry about other platforms than the one the question names (1 = no effect). */
  platformMismatch: number;
  /** Add the knowledge base's Chinese keywords to jieba's user dictionary. */
  kbKeywordsInDict: boolean;
  /** Answer only when the top entry matched at least one privacy concept token (vocabulary.ts PRIVACY_CONCEPTS). */
  conceptGate: boolean;
  /**
   * A token in at least this many knowledge-base phrasings and in no out-of-scope example is a privacy concept
   * too (0 = only the listed concepts).
   */
  learnedConceptSupport: number;
  /** A question closely matching one phrasing (similarity >= phraseAccept) is answered from this mass up. */
  shortMass: number;
  /** Weighted Jaccard similarity with the best phrasing that lets {@link shortMass} apply. */
  phraseAccept: number;
  /** Ranking: 'legacy' = Σ KB-IDF per matched token; 'bm25' = BM25 over each entry's phrasings and keywords. */
  ranker: 'legacy' | 'bm25';
  /** A question whose corpus-IDF mass the top entry covers at least this share of (0..1) … */
  coverAccept: number;
  /** … is answered from this evidence mass up (short questions: "删除权?", "服务商呢") … */
  coverMass: number;
  /**
   * Decline when the out-of-scope examples (knowledge/lexicon/out-of-scope.yaml) rank at least 1/this of the top
   * entry: the top entry must beat them by this factor. 0 = do not use them.
   */
  outOfScopeMargin: number;
  /** Below acceptMass, the top entry's ranking score must be at least this multiple of the runner-up's. */
  coverMargin: number;
  /** Ranking factor for an entry most of whose phrasings carry a cue the question lacks (1 = no effect). */
  cueMissing: number;
  /** Questions of at least this many characters are read as a story followed by the question … */
  focusMinChars: number;
  /** … and tokens found only outside the final question sentence rank with this factor (0..1). */
  narrativeWeight: number;
  bm25K1: number;
  bm25B: number;
  /**
   * Ranking factor, when neither the question nor the asker's platform names a platform, for an entry about one
   * platform other than WeCom (the feishu / dingtalk admin-access entries): they answer about that platform only.
   */
  unnamedPlatform: number;
  /**
   * The bot token (机器人: the question names or addresses the assistant) is a cue too: an entry most of whose
   * phrasings address the bot (bot-privacy) ranks with {@link cueMissing} for a question that does not.
   */
  addressCue: boolean;
  /** A how-to question (the how-to cue) ranks an entry fewer than this share (0..1) of whose phrasings ask how-to … */
  howToShare: number;
  /**
   * … with this factor (1 = no effect), so that the out-of-scope examples (app how-to: recalling, searching,
   * backing up one's own chats) outrank it.
   */
  howToMissing: number;
  /**
   * Ranking factor for an entry that does not match an out-of-scope marker the question carries
   * (knowledge/lexicon/out-of-scope.yaml `markers`: 加班费, 试用期, 报销 …); 0 = decline such a question unless
   * the top entry itself mentions the marker; 1 = no effect.
   */
  markerMissing: number;
  /**
   * Fuse the topic classifier's probabilities with the ranking (classifier.ts; README "How matching works"):
   * the classifier's best topic is answered when its probability reaches {@link classifierAccept} and is at least
   * {@link classifierOosRatio} times the out-of-scope probability; otherwise the ranking's answer stands only when
   * the classifier gives that topic at least {@link classifierAgree}; otherwise the bot declines.
   */
  classifier: boolean;
  /** Probability (0–1) the classifier's best topic needs to be answered on the classifier's word. */
  classifierAccept: number;
  /** … and how many times the out-of-scope probability it must be. */
  classifierOosRatio: number;
  /** Probability (0–1) the classifier must give the ranking's answer for it to stand. */
  classifierAgree: number;
  /**
   * When the classifier's out-of-scope probability is at most this (0–1: it is sure the question is about privacy,
   * only not which topic), the ranking's answer stands whatever probability the classifier gives it (0 = off).
   */
  classifierSureInScope: number;
  /**
   * The ranking's answer stands on {@link classifierAgree} only while the classifier's out-of-scope probability is
   * below this (0–1; 1 = no cap): a topic the classifier gives 0.25 beside 0.7 out of scope is a near-domain
   * question, not an answer.
   */
  classifierAgreeMaxOos: number;
  /**
   * A model to use instead of knowledge/model/topic-classifier.json (cross-validation plugs in one trained
   * without the held-out group); undefined = the shipped file.
   */
  classifierModel?: Pick<TopicClassifierModel, 'classes' | 'weights'>;
  /**
   * Search a token only in the documents that can hold it: Fuse.js on those with a piece of the token, substring scans
   * on those with its rarest character (same hits and scores, faster; see fuzzy.ts). false = read every document,
   * as before 2026-12-06 (benchmarks compare the two).
   */
  searchPrefilter: boolean;
}

/** Defaults chosen on the dev set (see the report in bench/ and test/src/eval/). */
export const DEFAULT_MATCHER_OPTIONS: Readonly<MatcherOptions> = {
  fuseThreshold: 0.2,
  acceptMass: 14,
  minCoverage: 0,
  domainWeight: 12,
  platformWeight: 6,
  unknownWeight: 10,
  latinWeight: 6,
  hmm: false,
  memoSize: 20_000,
  splitCompounds: true,
  keepStopCompounds: true,
  joinHanSpaces: true,
  joinHanSpacesKb: false,
  howToCue: true,
  addresseeNotConcept: true,
  latinWholeWord: true,
  phraseWeight: 1,
  platformMismatch: 0.7,
  kbKeywordsInDict: true,
  conceptGate: true,
  learnedConceptSupport: 3,
  shortMass: 10,
  phraseAccept: 0.5,
  ranker: 'bm25',
  coverAccept: 0.8,
  coverMass: 6,
  coverMargin: 1.15,
  outOfScopeMargin: 0.9,
  cueMissing: 0.75,
  focusMinChars: 40,
  narrativeWeight: 0.5,
  bm25K1: 1.2,
  bm25B: 0.75,
  unnamedPlatform: 0.5,
  addressCue: true,
  howToShare: 0.1,
  howToMissing: 0.8,
  markerMissing: 0,
  classifier: true,
  classifierAccept: 0.5,
  classifierOosRatio: 6,
  classifierAgree: 0.2,
  classifierSureInScope: 0.08,
  classifierAgreeMaxOos: 0.1,
  searchPrefilter: true,
};

/** Id of the pseudo-entry made of out-of-scope examples (never answered). */
const OUT_OF_SCOPE = OUT_OF_SCOPE_CLASS;

/** Classifier probability (0–1) a topic needs to be offered as a "did you mean" suggestion before the ranking's. */
const SUGGESTION_MIN_PROBABILITY = 0.05;
/**
 * A declined question the classifier gives at least this out-of-scope probability gets no suggestions: it is off topic
 * ("报销怎么走流程", "tell me a joke"), and the ranking's best guesses would only offer unrelated privacy topics; the bot
 * then points to HR / IT instead. On the tuning sets' declined out-of-scope questions, 2,502 of 3,037 came with such
 * suggestions before, 17 after; none of their declined in-scope questions lost the right topic from its suggestions.
 */
const SUGGESTION_MAX_OUT_OF_SCOPE = 0.9;
/**
 * A declined question the classifier gives at most this out-of-scope probability is about privacy but fits several
 * topics ("公司可以监控我吗": chats, devices, refusing…): MatchResult.ambiguous, and the reply asks which one is meant
 * rather than saying it did not understand. Chosen 0.1 on blind sets 18–23 (totals only: 4 of 78 declined in-scope
 * questions and 1 of 1,187 declined out-of-scope ones at or under it); raised to 0.3 for the fourteenth round's sharper
 * model (l2 3e-5, more out-of-scope traps that say "monitor"), on blind sets 26–27, not trained on (totals only,
 * a scratch script: of 31 declined in-scope and 387 declined out-of-scope questions, 0.1 -> 2 and 1, 0.2 -> 4 and 2,
 * 0.3 -> 10 and 2, 0.4 -> 13 and 4, 0.5 -> 18 and 5; every in-scope one at 0.3 had its right topic among the offered).
 * Changes only the reply's wording for a declined question, never whether it is answered.
 */
const CLARIFY_MAX_OUT_OF_SCOPE = 0.3;

/** Platform names: weighted with {@link MatcherOptions.platformWeight}. */
const PLATFORM_WORDS: ReadonlySet<string> = new Set(['企业微信', '钉钉', '飞书', '微信', '个人微信']);
/** Question tokens naming a platform, as knowledge-entry `platforms` values. */
const PLATFORM_OF: Readonly<Record<string, string>> = { 企业微信: 'wecom', 钉钉: 'dingtalk', 飞书: 'feishu', 会话存档: 'wecom' };

/**
 * The platforms a normalised question names (normalizeQuestion has already mapped aliases, English names and typos
 * onto 企业微信 / 钉钉 / 飞书), in order of first mention, each once.
 */
function platformsNamedIn(normalized: string): string[] {
  const found: [number, string][] = [];
  for (const [word, platform] of Object.entries(PLATFORM_OF)) {
    const at = normalized.indexOf(word);
    if (at >= 0) found.push([at, platform]);
  }
  return [...new Set(found.sort((a, b) => a[0] - b[0]).map(([, p]) => p))];
}

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
  candidates: { id: string; rank: number; mass: number; phrase: number; coverage: number; hits: TokenHit[] }[];
  /** The classifier's best topic, its probability and the out-of-scope probability (absent without a model). */
  classifier?: { topic: string | null; probability: number; outOfScope: number };
  result: MatchResult;
}

/** A matcher that can also explain itself. */
export interface ExplainingMatcher extends Matcher {
  explain(question: string, context?: MatchContext): MatchExplanation;
  /** Empties the token memo (benchmarks measure cold and warm). */
  clearMemo(): void;
  /** The tokens of a question after normalisation, segmentation, stop words and synonyms. */
  tokenize(question: string): string[];
}

let jiebaDictCache: Buffer | null = null;
let idfTextCache: string | null = null;

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

/**
 * General-corpus IDF (jieba's idf.txt, ≈270k words) of the given words only: a question token can only carry
 * evidence when it occurs inside a knowledge-base phrasing, so only substrings of phrasing tokens are kept
 * (a full map would cost ≈250 ms and ≈40 MB).
 */
function corpusIdf(wanted: ReadonlySet<string>): Map<string, number> {
  idfTextCache ??= readFileSync(jiebaFile('idf.txt'), 'utf8');
  const text = idfTextCache;
  const map = new Map<string, number>();
  let i = 0;
  while (i < text.length) {
    const sp = text.indexOf(' ', i);
    if (sp < 0) break;
    let nl = text.indexOf('\n', sp);
    if (nl < 0) nl = text.length;
    if (sp - i <= MAX_IDF_WORD) {
      const word = text.slice(i, sp);
      if (wanted.has(word)) {
        const v = Number(text.slice(sp + 1, nl));
        if (Number.isFinite(v)) map.set(word, v);
      }
    }
    i = nl + 1;
  }
  return map;
}

/** Longest substring of a phrasing token looked up in idf.txt, in UTF-16 units. */
const MAX_IDF_WORD = 8;

const HAN_ONLY = /^\p{Script=Han}+$/u;
/** One space between two Chinese characters (removed before the cue patterns run). */
const HAN_SPACE_HAN = /(\p{Script=Han}) (?=\p{Script=Han})/gu;
/** Ends of clauses in raw user text (Chinese and Western sentence punctuation and commas, line breaks). */
const CLAUSE_END = /[。！？!?\n，；]+|[.;,](?=\s|$)/u;
/** Shortest focus of a long question, in characters (code points). */
const FOCUS_MIN_CHARS = 16;
const LATIN = /^[a-z][a-z0-9]*$/;
const DIGITS = /^[0-9]+$/;

/**
 * Builds the matcher with explicit options (for tuning and benchmarks); {@link createMatcher} uses the defaults.
 * Cost: ≈0.3–0.6 s (jieba dictionary, idf table, OpenCC and pinyin tables on first use).
 */
export async function buildMatcher(kb: KnowledgeBase, options: Partial<MatcherOptions> = {}): Promise<ExplainingMatcher> {
  const opt: MatcherOptions = { ...DEFAULT_MATCHER_OPTIONS, ...options };
  const entries = kb.entries;

  // Segmenter with the domain dictionary plus the knowledge base's own Chinese keywords (those that are not
  // just stop words, such as 我自己).
  const jieba = Jieba.withDict(jiebaDict());
  const userWords = new Set<string>(DOMAIN_TERMS);
  for (const [from, to] of Object.entries(SYNONYMS)) {
    if (HAN_ONLY.test(from) && from.length >= 2) userWords.add(from);
    for (const t of to) if (HAN_ONLY.test(t) && t.length >= 2) userWords.add(t);
  }
  if (opt.kbKeywordsInDict) for (const e of entries) for (const k of e.keywords) {
    const w = k.trim();
    if (!HAN_ONLY.test(w) || w.length < 2 || w.length > 8 || userWords.has(w)) continue;
    if (jieba.cut(w, false).every((p) => STOP_WORDS.has(p))) continue;
    userWords.add(w);
  }
  // Out-of-scope markers stay whole words (年假, 抖音) so that they can be recognised.
  if (opt.markerMissing !== 1) for (const w of lexicon().outOfScopeMarkers) if (HAN_ONLY.test(w) && w.length >= 2) userWords.add(w);
  jieba.loadDict(Buffer.from([...userWords].map((w) => `${w} 50000`).join('\n'), 'utf8'));
  /** Compounds kept whole (curated domain terms); other compounds of 4+ characters are matched by their parts. */
  const protectedTerms = new Set<string>(DOMAIN_TERMS);
  const domainSet = userWords;

  const pushCanonical = (t: string, out: string[]): void => {
    if (!t || STOP_WORDS.has(t) || DIGITS.test(t)) return;
    const syn = SYNONYMS[t];
    if (syn) {
      for (const x of syn) if (!STOP_WORDS.has(x)) out.push(x);
    } else out.push(t);
  };
  const tokensOf = (normalized: string, fromUser = true): string[] => {
    if (!normalized) return [];
    const out: string[] = [];
    for (const raw of jieba.cut(normalized, opt.hmm)) {
      const t = raw.trim();
      if (opt.splitCompounds && t.length >= 4 && HAN_ONLY.test(t) && !protectedTerms.has(t) && !SYNONYMS[t] && !(opt.keepStopCompounds && STOP_WORDS.has(t))) {
        // A general compound jieba keeps whole (侵犯隐私, 上班时间): match on its parts.
        const parts = jieba.cutForSearch(t, false).filter((p) => p !== t && p.length >= 2);
        if (parts.length > 0) {
          for (const p of parts) pushCanonical(p, out);
          continue;
        }
      }
      pushCanonical(t, out);
    }
    // Cue patterns read a user's Chinese written word by word ("我 的 账号 有没有 被 存档") as if it were unspaced
    // (knowledge-base phrasings are written unspaced; their translated English keeps its word breaks).
    const cueText = opt.joinHanSpaces && (fromUser || opt.joinHanSpacesKb) ? normalized.replace(HAN_SPACE_HAN, '$1') : normalized;
    if (SELF_STATUS_PATTERNS.some((re) => re.test(cueText))) out.push(CUE_SELF_STATUS);
    if (READ_RECEIPT_PATTERNS.some((re) => re.test(cueText))) out.push('已读');
    if (BOT_ADDRESS_PATTERNS.some((re) => re.test(cueText))) out.push(CUE_BOT);
    if (DEFINITION_PATTERNS.some((re) => re.test(cueText))) out.push(CUE_DEFINITION);
    if (BEFORE_START_PATTERNS.some((re) => re.test(cueText))) out.push(CUE_BEFORE_START);
    if (WHO_CAN_SEE_PATTERNS.some((re) => re.test(cueText))) out.push(CUE_WHO_CAN_SEE);
    if (INSPECT_PATTERNS.some((re) => re.test(cueText))) out.push(CUE_INSPECT);
    if (opt.howToCue && HOW_TO_PATTERNS.some((re) => re.test(cueText))) out.push(CUE_HOW_TO);
    return out;
  };
  const tokenize = (question: string): string[] => [...new Set(tokensOf(normalizeQuestion(question)))];

  // One Fuse document per phrasing, keyword and title, as space-joined canonical tokens.
  // Keyword documents count as token evidence but not as phrasings for the phrasing similarity.
  const docs: { entry: number; text: string; tokens: string[]; phrasing: boolean }[] = [];
  // The out-of-scope examples (lexicon) form one more, unanswerable pseudo-entry at index entries.length.
  const outOfScope = opt.outOfScopeMargin > 0 ? lexicon().outOfScope : [];
  const sources: { id: string; platforms: string[]; phrasings: string[]; keywords: string[] }[] = entries.map((e) => ({
    id: e.id,
    platforms: e.platforms,
    phrasings: [e.title.zh, e.title.en, ...e.questions.zh, ...e.questions.en],
    keywords: e.keywords,
  }));
  if (outOfScope.length > 0) sources.push({ id: OUT_OF_SCOPE, platforms: ['all'], phrasings: [...outOfScope], keywords: [] });
  const ids = sources.map((x) => x.id);
  const oosIndex = outOfScope.length > 0 ? entries.length : -1;
  sources.forEach((e, i) => {
    const all = [...e.phrasings.map((t) => [t, true] as const), ...e.keywords.map((k) => [k, false] as const)];
    const seen = new Set<string>();
    for (const [t, phrasing] of all) {
      const tokens = [...new Set(tokensOf(normalizeQuestion(t), false))];
      const text = tokens.join(' ');
      if (text && !seen.has(text)) {
        seen.add(text);
        docs.push({ entry: i, text, tokens, phrasing });
      }
    }
  });
  // Platforms each entry is about; a question naming another platform ranks the entry lower.
  const entryPlatforms = sources.map((e) => new Set(e.platforms));
  // Words the knowledge base uses again and again and the out-of-scope examples never do count as privacy concepts
  // too (存几年, 要注意 …): the listed concepts plus what the data shows.
  const learnedConcepts = new Set<string>();
  if (oosIndex >= 0 && opt.learnedConceptSupport > 0) {
    const inKb = new Map<string, number>();
    const inOos = new Set<string>();
    for (const d of docs) {
      if (d.entry === oosIndex) for (const t of d.tokens) inOos.add(t);
      else if (d.phrasing) for (const t of d.tokens) inKb.set(t, (inKb.get(t) ?? 0) + 1);
    }
    for (const [t, n] of inKb) if (n >= opt.learnedConceptSupport && !inOos.has(t) && !PLATFORM_WORDS.has(t)) learnedConcepts.add(t);
  }
  // Cues an entry is about: at least half of its phrasings carry the cue token (am-i-archived and 我的状态,
  // personal-device-inspection and 检查手机, bot-privacy and 机器人 …). A question without that cue ranks the entry lower.
  const cueNames = opt.addressCue ? [...Object.keys(CUE_WEIGHTS), CUE_BOT] : Object.keys(CUE_WEIGHTS);
  const entryCues = sources.map((_, i) => {
    const phrasingDocs = docs.filter((d) => d.entry === i && d.phrasing);
    return cueNames.filter((c) => phrasingDocs.length > 0 && phrasingDocs.filter((d) => d.tokens.includes(c)).length >= phrasingDocs.length / 2);
  });
  // Share of each entry's phrasings that ask how to operate the app (the how-to cue): "企微消息怎么撤回" is an app
  // how-to question, and an entry that answers whether recalled messages stay visible hardly ever asks one.
  const howToShare = sources.map((_, i) => {
    const phrasingDocs = docs.filter((d) => d.entry === i && d.phrasing);
    return phrasingDocs.length === 0 ? 0 : phrasingDocs.filter((d) => d.tokens.includes(CUE_HOW_TO)).length / phrasingDocs.length;
  });
  // Out-of-scope markers as canonical tokens (a marker that segments into several tokens is left out).
  const markerTokens = new Set<string>();
  for (const w of lexicon().outOfScopeMarkers) {
    const t = [...new Set(tokensOf(normalizeQuestion(w), false))];
    if (t.length === 1) markerTokens.add(t[0] as string);
  }
  /** Platforms some entry is specifically about (not 'all'): the only asker platforms that change ranking. */
  const knownPlatforms = new Set(sources.flatMap((e) => e.platforms.filter((p) => p !== 'all')));
  // The topic classifier over this knowledge base's topics (a topic the model does not know is left to the ranking).
  const classifier = (() => {
    if (!opt.classifier) return null;
    const file = opt.classifierModel ? null : defaultModelPath();
    const model = opt.classifierModel ?? (file ? loadClassifierModel(file) : null);
    return model ? new TopicClassifier(model, new Set(entries.map((e) => e.id))) : null;
  })();
  const classifierPlatforms = classifier ? classifier.classes.map((c) => entryPlatforms[ids.indexOf(c)] ?? new Set<string>(['all'])) : [];
  // Platform families of the knowledge base (entryFamilies: wecom-admin-access, dingtalk-admin-access, …): the members
  // of each answered topic's family, and the same families as classifier slots (those with at least two slots).
  const variantsOf = entryFamilies(entries);
  const families: number[][] = classifier
    ? [...new Set(variantsOf.values())].map((f) => f.map((id) => classifier.classes.indexOf(id)).filter((k) => k >= 0)).filter((f) => f.length >= 2)
    : [];
  // Corpus IDF for every substring (up to MAX_IDF_WORD) of every phrasing token: all a matching token can be.
  const wanted = new Set<string>();
  for (const d of docs) for (const t of d.tokens) {
    for (let a = 0; a < t.length; a++) for (let b = a + 1; b <= Math.min(t.length, a + MAX_IDF_WORD); b++) wanted.add(t.slice(a, b));
  }
  const idf = corpusIdf(wanted);
  const N = sources.length;
  const idfOfDf = (df: number): number => Math.log(1 + (N - df + 0.5) / (df + 0.5));
  // Knowledge-base IDF of every phrasing token (exact), for the phrasing-level similarity.
  const exactDf = new Map<string, Set<number>>();
  for (const d of docs) for (const t of d.tokens) {
    const set = exactDf.get(t) ?? new Set<number>();
    set.add(d.entry);
    exactDf.set(t, set);
  }
  const entryDocs = new Array<number>(sources.length).fill(0);
  for (const d of docs) entryDocs[d.entry] = (entryDocs[d.entry] ?? 0) + 1;
  // Average length over the real entries (the out-of-scope pseudo-entry is much longer and is normalised against them).
  const avgDocs = docs.filter((d) => d.entry !== oosIndex).length / Math.max(1, entries.length);
  const docMass = docs.map((d) => d.tokens.reduce((sum, t) => sum + idfOfDf(exactDf.get(t)?.size ?? 1), 0));

  /** Token search over the documents' texts (Fuse.js with {@link MatcherOptions.fuseThreshold}, substring scans). */
  const search = createTextSearch(docs.map((d) => d.text), opt.fuseThreshold, opt.searchPrefilter);

  /**
   * One token's Fuse hits: document indices (ascending, as Fuse returns them), their Fuse scores (`null` = all 0,
   * exact hits) and the number of distinct entries hit. Shared by the memo and read-only.
   */
  interface TokenHits {
    docs: readonly number[];
    scores: readonly number[] | null;
    entries: number;
  }
  // Single characters match whole tokens only (看 must not hit 看病 … as a substring; 建 not 建议).
  const exactDocs = new Map<string, number[]>();
  docs.forEach((d, i) => {
    for (const t of d.tokens) {
      const list = exactDocs.get(t) ?? [];
      list.push(i);
      exactDocs.set(t, list);
    }
  });
  /** Entry of each document, by document index. */
  const docEntry = Int32Array.from(docs, (d) => d.entry);
  // Per-entry scratch of {@link lookup} and explain (both synchronous): a slot counts only when its stamp is current.
  const entryMark = new Uint32Array(sources.length);
  /** A fresh stamp for {@link entryMark}. */
  const nextEntryMark = stamper(entryMark);
  const entryBest = new Float64Array(sources.length);
  const entryTf = new Float64Array(sources.length);
  // Per-document scratch of explain, stamped like entryMark.
  const docStamp = new Uint32Array(docs.length);
  const docShared = new Float64Array(docs.length);
  const docsHit = new Int32Array(docs.length);
  /** Per entry: weighted Jaccard similarity of the question with its best phrasing (explain's scratch). */
  const bestPhrase = new Float64Array(sources.length);
  /** A fresh stamp for {@link docStamp}. */
  const nextDocMark = stamper(docStamp);
  const memo = new Map<string, TokenHits>();
  /** Fuse hits of one token, memoised (bounded: the oldest half is dropped when full). */
  const lookup = (token: string): TokenHits => {
    const cached = memo.get(token);
    if (cached) return cached;
    const length = Array.from(token).length;
    let hitDocs: number[];
    let scores: number[] | null = null;
    if (length === 1 || (opt.latinWholeWord && length <= 3 && LATIN.test(token))) hitDocs = exactDocs.get(token) ?? [];
    else if (Math.floor(opt.fuseThreshold * length) === 0) {
      // Fuse would allow no error at this length: a plain substring scan gives the same hits, faster.
      hitDocs = search.substring(token);
    } else ({ docs: hitDocs, scores } = search.fuzzy(token));
    const mark = nextEntryMark();
    let entries = 0;
    for (const d of hitDocs) {
      const e = docEntry[d] as number;
      if (entryMark[e] !== mark) {
        entryMark[e] = mark;
        entries++;
      }
    }
    const value: TokenHits = { docs: hitDocs, scores, entries };
    if (memo.size >= opt.memoSize) {
      let drop = Math.floor(opt.memoSize / 2);
      for (const k of memo.keys()) {
        if (drop-- <= 0) break;
        memo.delete(k);
      }
    }
    memo.set(token, value);
    return value;
  };

  const corpusWeight = (t: string): number => {
    const cue = CUE_WEIGHTS[t];
    if (cue !== undefined) return cue;
    if (PLATFORM_WORDS.has(t)) return opt.platformWeight;
    const v = idf.get(t);
    if (v !== undefined) return v;
    if (domainSet.has(t)) return opt.domainWeight;
    if (LATIN.test(t)) return opt.latinWeight;
    return opt.unknownWeight;
  };

  /**
   * The tokens of a long question's final question (the story before it only sets the scene), or null for a
   * question shorter than {@link MatcherOptions.focusMinChars}: its last clauses, back to the first that makes
   * them {@link FOCUS_MIN_CHARS} long together ("…，我还能往哪里反映？可以匿名吗？" takes both).
   */
  const focusOf = (question: string): { tokens: Set<string>; normalized: string } | null => {
    if (typeof question !== 'string' || Array.from(question).length < opt.focusMinChars) return null;
    const clauses = question.slice(0, 2000).split(CLAUSE_END).map((x) => x.trim()).filter((x) => x.length > 0);
    if (clauses.length < 2) return null;
    // The last clauses, back to the first one that is at least FOCUS_MIN_CHARS long together.
    let focus = '';
    for (let i = clauses.length - 1; i >= 0 && Array.from(focus).length < FOCUS_MIN_CHARS; i--) focus = `${clauses[i] as string} ${focus}`;
    const normalized = normalizeQuestion(focus);
    return { tokens: new Set(tokensOf(normalized)), normalized };
  };

  /**
   * Matches one question; with `withCandidates` false the explanation's candidate list is left empty (match() needs
   * only the result).
   */
  const run = (question: string, context: MatchContext | undefined, withCandidates: boolean): MatchExplanation => {
    const lang: Lang = detectLanguage(typeof question === 'string' ? question.slice(0, 2000) : '');
    const normalized = normalizeQuestion(question);
    const tokens = [...new Set(tokensOf(normalized))];
    const tokenSet = new Set(tokens);
    const focused = focusOf(question);
    const focus = focused?.tokens ?? null;
    // Markers of the final question only: a story may mention pay or a meeting room on the way.
    const questionMarkers = tokens.filter((t) => markerTokens.has(t) && (!focus || focus.has(t)));
    // Platforms the question is about: those of its final question sentence when it names one ("换到飞书…飞书的
    // 管理后台能看吗" after a story about DingTalk), else all it names.
    // Read in the normalised text, not the tokens: jieba may cut a name apart (企业微信管理员 -> 企业 / 微信 / 信管 …).
    const focusNamed = focused ? platformsNamedIn(focused.normalized) : [];
    const asked = focusNamed.length > 0 ? focusNamed : platformsNamedIn(normalized);
    // A question naming no platform is about the asker's own (an id like 'wecom-aibot' is a WeCom platform).
    const own = context?.platform?.split('-')[0];
    const named = asked.length > 0 ? asked : own && knownPlatforms.has(own) ? [own] : [];
    const tokenWeight = (t: string): number => (focus && !focus.has(t) ? opt.narrativeWeight : 1);
    // A family answer for nobody's platform in particular: the reply asks which one (MatchResult.platformVariants).
    const withVariants = (r: MatchResult): MatchResult => {
      const family = r.topic && named.length === 0 ? variantsOf.get(r.topic) : undefined;
      return family ? { ...r, platformVariants: family } : r;
    };
    /**
     * Per entry hit (in first-hit order): each token's best hit (token order) and its BM25 term frequency, Σ over the
     * entry's documents hit by the token of (1 − Fuse score).
     */
    const perEntry = new Map<number, { hits: TokenHit[]; tfs: number[] }>();
    /** Documents hit (first-hit order, docsHit[0 … docsHitCount)) and Σ over their tokens of KB IDF × (1 − Fuse score), in docShared. */
    let docsHitCount = 0;
    const docMark = nextDocMark();
    let questionMass = 0;
    let questionKbMass = 0;
    for (const token of tokens) {
      const cw = corpusWeight(token);
      questionMass += cw;
      const hits = lookup(token);
      if (hits.docs.length === 0) continue;
      const kbIdf = idfOfDf(hits.entries);
      questionKbMass += kbIdf;
      const mark = nextEntryMark();
      const entriesHit: number[] = [];
      const { docs: hitDocs, scores } = hits;
      for (let k = 0; k < hitDocs.length; k++) {
        const doc = hitDocs[k] as number;
        const fuseScore = scores ? (scores[k] as number) : 0;
        const entry = docEntry[doc] as number;
        if (entryMark[entry] !== mark) {
          entryMark[entry] = mark;
          entryBest[entry] = fuseScore;
          entryTf[entry] = 0;
          entriesHit.push(entry);
        } else if (fuseScore < (entryBest[entry] as number)) entryBest[entry] = fuseScore;
        if (docStamp[doc] !== docMark) {
          docStamp[doc] = docMark;
          docShared[doc] = 0;
          docsHit[docsHitCount++] = doc;
        }
        docShared[doc] = (docShared[doc] as number) + kbIdf * (1 - fuseScore);
        entryTf[entry] = (entryTf[entry] as number) + (1 - fuseScore);
      }
      for (const entry of entriesHit) {
        let rec = perEntry.get(entry);
        if (!rec) perEntry.set(entry, (rec = { hits: [], tfs: [] }));
        rec.hits.push({ token, fuseScore: entryBest[entry] as number, kbIdf, corpusIdf: cw });
        rec.tfs.push(entryTf[entry] as number);
      }
    }
    // Best phrasing per entry: weighted Jaccard of question tokens and phrasing tokens (KB IDF weights).
    bestPhrase.fill(0);
    for (let k = 0; k < docsHitCount; k++) {
      const doc = docsHit[k] as number;
      const shared = docShared[doc] as number;
      const d = docs[doc] as (typeof docs)[number];
      if (!d.phrasing) continue;
      const entry = d.entry;
      const union = questionKbMass + (docMass[doc] as number) - shared;
      const sim = union > 0 ? Math.min(1, shared / union) : 0;
      if (sim > (bestPhrase[entry] as number)) bestPhrase[entry] = sim;
    }
    const candidates = [...perEntry.entries()]
      .map(([entry, { hits, tfs }]) => {
        let rank = 0;
        let mass = 0;
        for (const h of hits) {
          rank += h.kbIdf * (1 - h.fuseScore);
          mass += h.corpusIdf * (1 - h.fuseScore);
        }
        if (opt.ranker === 'bm25') {
          rank = 0;
          const norm = opt.bm25K1 * (1 - opt.bm25B + (opt.bm25B * (entryDocs[entry] as number)) / avgDocs);
          for (let k = 0; k < hits.length; k++) {
            const h = hits[k] as TokenHit;
            const tf = tfs[k] as number;
            rank += (tokenWeight(h.token) * h.kbIdf * tf * (opt.bm25K1 + 1)) / (tf + norm);
          }
        }
        const phrase = bestPhrase[entry] as number;
        rank += opt.phraseWeight * phrase;
        if ((entryCues[entry] as string[]).some((c) => !tokenSet.has(c))) rank *= opt.cueMissing;
        if (tokenSet.has(CUE_HOW_TO) && entry !== oosIndex && (howToShare[entry] as number) < opt.howToShare) rank *= opt.howToMissing;
        if (questionMarkers.length > 0 && entry !== oosIndex && !questionMarkers.some((t) => hits.some((h) => h.token === t))) rank *= opt.markerMissing;
        const ps = entryPlatforms[entry] as Set<string>;
        if (named.length > 0 && !ps.has('all') && !named.some((p) => ps.has(p))) rank *= opt.platformMismatch;
        if (named.length === 0 && !ps.has('all') && !ps.has('wecom')) rank *= opt.unnamedPlatform;
        return {
          entry,
          id: ids[entry] as string,
          rank,
          mass,
          phrase,
          coverage: questionMass > 0 ? mass / questionMass : 0,
          hits,
        };
      })
      .sort((a, b) => b.rank - a.rank || b.mass - a.mass || a.entry - b.entry);
    // The out-of-scope pseudo-entry never answers: it only declines a question it matches about as well as the best
    // real entry (scaled by outOfScopeMargin).
    const oos = candidates.find((c) => c.entry === oosIndex);
    if (oos) candidates.splice(candidates.indexOf(oos), 1);
    const top = candidates[0];
    const inScope = !oos || !top || top.rank > opt.outOfScopeMargin * oos.rank;
    // A message that only names the bot ("hi bot", "谢谢机器人") addresses it and asks nothing.
    const onlyAddress = opt.addresseeNotConcept && tokens.length > 0 && tokens.every((t) => t === CUE_BOT);
    // … or one of the concept pairs (someone with power + chats: 领导 + 聊天记录).
    const pairHit = (hits: TokenHit[]): boolean => PRIVACY_CONCEPT_PAIRS.some((p) => hits.some((h) => p.who.has(h.token)) && hits.some((h) => p.what.has(h.token)));
    const aboutPrivacy =
      !!top && !onlyAddress && (!opt.conceptGate || top.hits.some((h) => PRIVACY_CONCEPTS.has(h.token) || learnedConcepts.has(h.token)) || pairHit(top.hits));
    // Below acceptMass, a question is answered only with a clear lead over the runner-up (a bare "存档" fits many).
    const leads = !!top && top.rank >= opt.coverMargin * (candidates[1]?.rank ?? 0);
    const enough =
      !!top &&
      (top.mass >= opt.acceptMass ||
        (leads && top.mass >= opt.shortMass && top.phrase >= opt.phraseAccept) ||
        (leads && top.mass >= opt.coverMass && top.coverage >= opt.coverAccept));
    const markerOk = opt.markerMissing > 0 || !top || questionMarkers.length === 0 || questionMarkers.some((t) => top.hits.some((h) => h.token === t));
    const ranked = !!top && inScope && aboutPrivacy && enough && markerOk && top.coverage >= opt.minCoverage;
    const rankScore = (c: (typeof candidates)[number]): number => round3(c.mass / (c.mass + opt.acceptMass));
    const explanation = { normalized, tokens, candidates: withCandidates ? candidates.map(({ entry: _e, ...c }) => c) : [] };
    if (!classifier) {
      const others = ranked ? candidates.slice(1) : candidates;
      const score = top ? rankScore(top) : 0;
      const result: MatchResult = {
        topic: ranked && top ? top.id : null,
        score: ranked ? Math.max(score, 0.5) : Math.min(score, 0.499),
        suggestions: others.slice(0, 3).map((c) => c.id),
        suggestionScores: others.slice(0, 3).map((c) => Math.min(rankScore(c), 0.499)),
        lang,
      };
      return { ...explanation, result: withVariants(result) };
    }
    // Fusion with the topic classifier (see MatcherOptions.classifier).
    const p = classifier.probabilities(classifierFeatures(normalized, tokens));
    // A question naming no platform asks about a platform family as a whole (which admin can read my chats); the
    // family's probability goes to the member for the asker's platform, else to the one the ranking puts first.
    if (asked.length === 0) {
      for (const family of families) {
        const own = named.length > 0 ? family.find((k) => named.some((x) => (classifierPlatforms[k] as Set<string>).has(x))) : undefined;
        const ranks = family.map((k) => candidates.findIndex((c) => c.id === classifier.classes[k]));
        const firstRanked = family[ranks.indexOf(Math.min(...ranks.map((r) => (r < 0 ? Infinity : r))))];
        const to = own ?? firstRanked ?? (family[0] as number);
        let sum = 0;
        for (const k of family) {
          sum += p[k] as number;
          p[k] = 0;
        }
        p[to] = sum;
      }
    }
    const oosSlot = classifier.classes.length - 1;
    let best = -1;
    for (let k = 0; k < oosSlot; k++) if (best < 0 || (p[k] as number) > (p[best] as number)) best = k;
    const probOf = (id: string): number | undefined => {
      const k = classifier.classes.indexOf(id);
      return k >= 0 ? (p[k] as number) : undefined;
    };
    const pBest = best >= 0 ? (p[best] as number) : 0;
    let topic: string | null = null;
    let score = 0;
    if (ranked && top && probOf(top.id) === undefined) {
      // The ranking's answer is a topic the model was not trained on (an operator's own entry): it stands.
      topic = top.id;
      score = rankScore(top);
    } else if (best >= 0 && pBest >= opt.classifierAccept && pBest >= opt.classifierOosRatio * (p[oosSlot] as number)) {
      topic = classifier.classes[best] as string;
      score = pBest;
    } else if (
      ranked &&
      top &&
      (((probOf(top.id) ?? 1) >= opt.classifierAgree && (p[oosSlot] as number) < opt.classifierAgreeMaxOos) || (p[oosSlot] as number) <= opt.classifierSureInScope)
    ) {
      topic = top.id;
      score = Math.max(rankScore(top), probOf(top.id) ?? 0);
    }
    // Suggestions: the classifier's likely topics first, then the ranking's.
    const suggestionIds: string[] = [];
    const suggestionScores: number[] = [];
    const offTopic = topic === null && (p[oosSlot] as number) >= SUGGESTION_MAX_OUT_OF_SCOPE;
    const likely = offTopic ? [] : [...Array(oosSlot).keys()].filter((k) => (p[k] as number) >= SUGGESTION_MIN_PROBABILITY).sort((a, b) => (p[b] as number) - (p[a] as number));
    for (const k of likely) {
      const id = classifier.classes[k] as string;
      if (id === topic || suggestionIds.length >= 3) continue;
      suggestionIds.push(id);
      suggestionScores.push(Math.min(round3(p[k] as number), 0.499));
    }
    for (const c of offTopic ? [] : candidates) {
      if (c.id === topic || suggestionIds.includes(c.id) || suggestionIds.length >= 3) continue;
      suggestionIds.push(c.id);
      suggestionScores.push(Math.min(rankScore(c), 0.499));
    }
    const result: MatchResult = {
      topic,
      score: topic ? Math.max(round3(score), 0.5) : Math.min(top ? rankScore(top) : 0, round3(pBest), 0.499),
      suggestions: suggestionIds,
      suggestionScores,
      lang,
      ...(topic === null && suggestionIds.length >= 2 && (p[oosSlot] as number) <= CLARIFY_MAX_OUT_OF_SCOPE ? { ambiguous: true } : {}),
      ...(offTopic ? { offTopic: true } : {}),
    };
    return { ...explanation, result: withVariants(result), classifier: { topic: best >= 0 ? (classifier.classes[best] as string) : null, probability: round3(pBest), outOfScope: round3(p[oosSlot] as number) } };
  };
  const explain = (question: string, context?: MatchContext): MatchExplanation => run(question, context, true);

  return {
    match(question: string, context?: MatchContext): MatchResult {
      try {
        return run(question, context, false).result;
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

/**
 * Platform families of a knowledge base: entries that differ only by platform — id `<platform>-<rest>` and
 * `platforms: [<platform>]` (wecom-admin-access, dingtalk-admin-access, feishu-admin-access) — with at least two
 * members. Returns each member's id -> all members' ids in knowledge-base order.
 */
export function entryFamilies(entries: readonly { id: string; platforms: readonly string[] }[]): Map<string, string[]> {
  const byRest = new Map<string, string[]>();
  for (const e of entries) {
    const dash = e.id.indexOf('-');
    if (dash <= 0 || e.platforms.length !== 1 || e.platforms[0] !== e.id.slice(0, dash)) continue;
    const rest = e.id.slice(dash + 1);
    byRest.set(rest, [...(byRest.get(rest) ?? []), e.id]);
  }
  const out = new Map<string, string[]>();
  for (const members of byRest.values()) if (members.length >= 2) for (const id of members) out.set(id, members);
  return out;
}

/**
 * Stamps for a scratch array whose slots count only when they hold the current stamp: each call returns a new stamp
 * (1, 2, …), clearing the array when the 32-bit counter would wrap, so no slot from an earlier use looks current.
 */
function stamper(marks: Uint32Array): () => number {
  let now = 0;
  return () => {
    if (++now === 0xffffffff) {
      marks.fill(0);
      now = 1;
    }
    return now;
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
