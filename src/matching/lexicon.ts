/**
 * The matcher's lexicon: the domain language it knows, kept as data in `knowledge/lexicon/*.yaml` (reviewed like
 * the knowledge base, never copied from evaluation questions) rather than in code:
 * - `english.yaml`  — English words and phrases -> Chinese domain words (groups of `phrase: words`);
 * - `aliases.yaml`  — Chinese aliases, Taiwan / Hong Kong and Cantonese word forms, slang -> canonical words,
 *                     replaced in the (simplified) text before segmentation (groups of `surface: words`);
 * - `synonyms.yaml` — segmented words -> one or more canonical words (groups of `word: word | [words]`);
 * - `terms.yaml`    — `domain_terms`, `stop_words`, `privacy_concepts`, `typo_vocabulary`, `real_word_homophones`;
 * - `out-of-scope.yaml` — questions the bot must decline (`zh`, `en` lists), see {@link Lexicon.outOfScope}, and
 *                     words of such questions (`markers`), see {@link Lexicon.outOfScopeMarkers}.
 *
 * Read once, synchronously, on first use (≈5 ms). A missing file or a bad value is a start-up error naming the
 * file and the key ({@link LexiconError}, code KB_LEXICON_INVALID): the matcher never runs on half a lexicon.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { BotError } from '../errors.ts';

/** A lexicon file that is missing or malformed. The message names the file and the key. */
export class LexiconError extends BotError {
  constructor(message: string) {
    super('KB_LEXICON_INVALID', message);
    this.name = 'LexiconError';
  }
}

/** The loaded lexicon. Maps are keyed by the lowercase (English) or simplified (Chinese) surface form. */
export interface Lexicon {
  english: ReadonlyMap<string, string>;
  /** Longest surface first, so that longer aliases win. */
  aliases: ReadonlyArray<readonly [string, string]>;
  synonyms: Readonly<Record<string, readonly string[]>>;
  domainTerms: readonly string[];
  stopWords: ReadonlySet<string>;
  privacyConcepts: ReadonlySet<string>;
  /**
   * Pairs of word lists (`privacy_concept_pairs` of `terms.yaml`): a top entry matching a word of `who` (someone
   * with power: 领导, 管理员) and a word of `what` (聊天记录) is about privacy too, though neither word alone is.
   */
  privacyConceptPairs: ReadonlyArray<{ who: readonly string[]; what: readonly string[] }>;
  typoVocabulary: readonly string[];
  realWordHomophones: ReadonlySet<string>;
  /**
   * Questions employees send a workplace bot that this bot does not answer (IT helpdesk, how-to, HR admin,
   * labour law outside privacy, chit-chat), many sharing the topics' words: `out-of-scope.yaml` (`zh`, `en`
   * lists). The matcher declines a question that resembles them at least as much as any topic.
   */
  outOfScope: readonly string[];
  /**
   * Words of the near-domain traps (payroll, leave, severance, probation, IT helpdesk, shopping apps …):
   * `out-of-scope.yaml` `markers`. A question carrying one that the best topic never mentions is declined.
   */
  outOfScopeMarkers: readonly string[];
}

const word = z.string().trim().min(1);
const groupsOf = <T extends z.ZodType>(value: T) => z.record(z.string(), z.record(word, value));
const englishSchema = groupsOf(word);
const aliasesSchema = groupsOf(word);
const synonymsSchema = groupsOf(z.union([word, z.array(word).min(1)]));
const outOfScopeSchema = z.strictObject({ zh: z.array(word), en: z.array(word), markers: z.array(word).default([]) });
const termsSchema = z.strictObject({
  domain_terms: z.array(word),
  stop_words: z.array(word),
  privacy_concepts: z.array(word),
  privacy_concept_pairs: z.array(z.strictObject({ who: z.array(word).min(1), what: z.array(word).min(1) })).default([]),
  typo_vocabulary: z.array(word),
  real_word_homophones: z.array(word),
});

/** The directory holding the lexicon: `knowledge/lexicon` of this package (found from this file, src/ or dist/). */
export function lexiconDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'knowledge', 'lexicon');
    if (existsSync(path.join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new LexiconError('knowledge/lexicon: not found next to package.json (the matcher needs it)');
}

function read<T extends z.ZodType>(dir: string, file: string, schema: T): z.infer<T> {
  const p = path.join(dir, file);
  let doc: unknown;
  try {
    doc = parse(readFileSync(p, 'utf8'));
  } catch (err) {
    throw new LexiconError(`${p}: ${(err as Error).message.split('\n')[0]}`);
  }
  const r = schema.safeParse(doc);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new LexiconError(`${p}: ${issue.path.map(String).join('.') || '(document)'}: ${issue.message}`);
  }
  return r.data;
}

function merge(groups: Record<string, Record<string, string>>, file: string, lowercase: boolean): Map<string, string> {
  const out = new Map<string, string>();
  for (const [group, entries] of Object.entries(groups)) {
    for (const [key, value] of Object.entries(entries)) {
      const k = key.trim();
      if (lowercase && k !== k.toLowerCase()) throw new LexiconError(`${file}: ${group}.${key}: keys must be lowercase`);
      if (out.has(k) && out.get(k) !== value) throw new LexiconError(`${file}: ${group}.${key}: given twice with different values`);
      out.set(k, value);
    }
  }
  return out;
}

/** Loads and checks the lexicon in `dir`. @throws LexiconError naming the file and key. */
export function loadLexicon(dir: string = lexiconDir()): Lexicon {
  const english = merge(read(dir, 'english.yaml', englishSchema), 'english.yaml', true);
  const aliases = [...merge(read(dir, 'aliases.yaml', aliasesSchema), 'aliases.yaml', false)].sort((a, b) => b[0].length - a[0].length);
  const synonyms: Record<string, string[]> = {};
  for (const [group, entries] of Object.entries(read(dir, 'synonyms.yaml', synonymsSchema))) {
    for (const [key, value] of Object.entries(entries)) {
      const list = typeof value === 'string' ? [value] : value;
      const prev = synonyms[key];
      if (prev && prev.join() !== list.join()) throw new LexiconError(`synonyms.yaml: ${group}.${key}: given twice with different values`);
      synonyms[key] = list;
    }
  }
  const terms = read(dir, 'terms.yaml', termsSchema);
  const oos = read(dir, 'out-of-scope.yaml', outOfScopeSchema);
  return {
    english,
    aliases,
    synonyms,
    domainTerms: terms.domain_terms,
    stopWords: new Set(terms.stop_words),
    privacyConcepts: new Set(terms.privacy_concepts),
    privacyConceptPairs: terms.privacy_concept_pairs,
    typoVocabulary: terms.typo_vocabulary,
    realWordHomophones: new Set(terms.real_word_homophones),
    outOfScope: [...oos.zh, ...oos.en],
    outOfScopeMarkers: oos.markers,
  };
}

let cached: Lexicon | null = null;

/** The package's lexicon, loaded on first call. @throws LexiconError */
export function lexicon(): Lexicon {
  cached ??= loadLexicon();
  return cached;
}
