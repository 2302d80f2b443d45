/**
 * Question normalisation for matching: one pure function, {@link normalizeQuestion}.
 *
 * Steps, in order:
 * 1. cap raw input ({@link RAW_INPUT_CAP} UTF-16 units) so hostile input costs bounded time;
 * 2. remove @-mentions (WeCom/WeChat end a mention with U+2005; DingTalk with a plain space; full-width ＠ too);
 * 3. control / format characters -> space; Unicode NFKC; lowercase;
 * 4. traditional -> simplified characters (OpenCC 't' -> 'cn') plus a few Taiwan word forms (訊息 -> 消息 …);
 * 5. emoji, symbols and punctuation runs -> one space; whitespace collapsed;
 * 6. English -> Chinese domain glossary (wecom -> 企业微信, archive -> 存档, consent -> 同意 …) and Chinese aliases
 *    (企微 -> 企业微信 …);
 * 7. homophone-typo repair against the domain vocabulary by toneless pinyin (存挡 -> 存档, 钉丁 -> 钉钉,
 *    企业威信 -> 企业微信); a window is repaired only when its pinyin equals a domain word's and it shares at least
 *    one character with it;
 * 8. result capped at {@link NORMALIZED_CAP} characters (code points).
 *
 * The glossary and vocabulary are general domain language (how employees name the platforms and privacy
 * concepts), not copies of any evaluation question.
 */
import { pinyin } from 'pinyin-pro';
import { toSimplified } from './language.ts';
import { lexicon } from './lexicon.ts';

/** Raw input beyond this many UTF-16 code units is ignored before any processing. */
export const RAW_INPUT_CAP = 2000;
/** The normalised question is cut to this many characters (code points). */
export const NORMALIZED_CAP = 500;

const LEXICON = lexicon();
/** English words and phrases -> Chinese domain words (knowledge/lexicon/english.yaml). Keys lowercase. */
const EN_PHRASES: ReadonlyMap<string, string> = LEXICON.english;

/** Chinese aliases, Taiwan / Hong Kong and Cantonese forms, slang -> canonical words (aliases.yaml), longest first. */
const ZH_ALIASES: ReadonlyArray<readonly [string, string]> = LEXICON.aliases;

/** Domain words that homophone typos are repaired to (`typo_vocabulary` of knowledge/lexicon/terms.yaml). */
export const TYPO_VOCABULARY: readonly string[] = LEXICON.typoVocabulary;

/** Ordinary words that sound like a domain word and share a character with it (`real_word_homophones`). */
const REAL_WORD_HOMOPHONES: ReadonlySet<string> = LEXICON.realWordHomophones;

const SPACE_LIKE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;
/** @-mention ended by U+2005 (WeCom/WeChat): the name may contain spaces. Applied before NFKC. */
const MENTION_2005 = /[@＠][^@＠\u2005\n]{1,40}\u2005/g;
/**
 * Handles of assistants and roles that a typed mention may be glued to ("@隐私助手企业微信能看吗", "@HR小助手存档…"):
 * up to 6 characters ending in one of these words.
 */
const GLUED_HANDLE = /^[^\s@＠]{0,6}?(?:助手|机器人|小秘书|小秘|客服|bot|robot|assistant)/iu;
/** "@所有人" / "@all": a mention of everybody. */
const MENTION_ALL = /^(?:所有人|全体成员|all|everyone)/iu;
/** Longest run after "@" taken as a name when a space or the end of the text follows it (characters). */
const MENTION_MAX = 20;
/** A character before "@" that makes it part of an e-mail address or handle rather than a mention. */
const ADDRESS_CHAR = /[A-Za-z0-9._%+-]/;

/**
 * Removes typed @-mentions (DingTalk and other clients end a mention with a plain space; users also type them
 * anywhere, glued to the question on either side). A mention starts at "@"/"＠" not preceded by a Latin letter,
 * digit or address character (so e-mail addresses stay), and is
 * - the run of non-space characters after it when a space follows within {@link MENTION_MAX} characters (unless the
 *   run is a known assistant handle with text glued after it: then only the handle, as below), or
 *   the end of the text does and some text stands before the mention, plus up to 3 following capitalised Latin words that are followed by more text ("@Privacy Bot …");
 * - otherwise (glued to the text): a known assistant or role handle ({@link GLUED_HANDLE}) or "所有人", else only
 *   the "@" itself — an unknown name glued to the question is left as text rather than eating the question.
 * Linear in the length of `s`.
 */
export function stripMentions(s: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const ch = s[i] as string;
    if ((ch !== '@' && ch !== '＠') || (i > 0 && ADDRESS_CHAR.test(s[i - 1] as string))) {
      out += ch;
      i++;
      continue;
    }
    let end = i + 1;
    while (end < s.length && end - i - 1 <= MENTION_MAX && !/[\s@＠]/u.test(s[end] as string)) end++;
    const run = s.slice(i + 1, end);
    const spaceAfter = end < s.length && /\s/u.test(s[end] as string);
    // At the end of the text, a run is a trailing mention only when a question stands before it.
    const trailing = end === s.length && out.trim() !== '';
    // A known assistant handle with more text glued to it ("@隐私助手关键字监控 飞书有没有") is a glued mention even
    // when a space follows later: only the handle is the name.
    const gluedHandle = GLUED_HANDLE.exec(run);
    const handleThenText = gluedHandle !== null && gluedHandle[0].length < run.length;
    if (!handleThenText && run.length > 0 && run.length <= MENTION_MAX && (spaceAfter || trailing)) {
      // "@name " — and a display name of capitalised words, when more text follows it.
      let j = end;
      for (let k = 0; k < 3; k++) {
        const m = /^\s+([A-Z][A-Za-z]*)(?=\s+\S)/u.exec(s.slice(j, j + 40));
        if (!m) break;
        j += m[0].length;
      }
      out += ' ';
      i = j;
      continue;
    }
    const handle = gluedHandle ?? MENTION_ALL.exec(run);
    out += ' ';
    i += 1 + (handle ? handle[0].length : 0);
  }
  return out;
}
const EMOJI_SYMBOL_PUNCT = /[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{P}\p{S}\u200d\ufe0e\ufe0f]+/gu;
const HAN = /\p{Script=Han}/u;
const LATIN_RUN = /[a-z0-9]+(?:[ '][a-z0-9]+)*/g;

const PHRASE_KEYS = [...EN_PHRASES.keys()].filter((k) => k.includes(' '));
const MAX_PHRASE_WORDS = Math.max(...PHRASE_KEYS.map((k) => k.split(' ').length));

/**
 * Normalises one question for matching (see the module comment for the steps).
 * @param raw user text, possibly with @-mentions, traditional characters, English, typos, emoji; non-strings give ''.
 * @returns lowercase simplified text, words separated by single spaces, at most {@link NORMALIZED_CAP} characters.
 * Never throws.
 */
export function normalizeQuestion(raw: string): string {
  if (typeof raw !== 'string' || raw.length === 0) return '';
  let s = raw.length > RAW_INPUT_CAP ? raw.slice(0, RAW_INPUT_CAP) : raw;
  s = s.replace(MENTION_2005, ' ');
  s = s.replace(SPACE_LIKE, ' ').normalize('NFKC');
  s = stripMentions(s);
  s = s.toLowerCase();
  if (HAN.test(s)) s = toSimplified(s);
  s = s.replace(/-/g, ' ').replace(EMOJI_SYMBOL_PUNCT, ' ').replace(/\s+/g, ' ').trim();
  for (const [from, to] of ZH_ALIASES) if (s.includes(from)) s = s.split(from).join(to);
  s = translateEnglish(s);
  if (HAN.test(s)) s = repairHomophones(s);
  s = s.replace(/\s+/g, ' ').trim();
  const chars = Array.from(s);
  return chars.length > NORMALIZED_CAP ? chars.slice(0, NORMALIZED_CAP).join('').trim() : s;
}

/** Looks up one lowercase English word, trying simple inflections. */
function lookupWord(word: string): string | undefined {
  const direct = EN_PHRASES.get(word);
  if (direct !== undefined) return direct;
  const candidates: string[] = [];
  if (word.endsWith('ies')) candidates.push(word.slice(0, -3) + 'y');
  if (word.endsWith('es')) candidates.push(word.slice(0, -2));
  if (word.endsWith('s')) candidates.push(word.slice(0, -1));
  if (word.endsWith('ed')) candidates.push(word.slice(0, -2), word.slice(0, -1));
  if (word.endsWith('ing')) candidates.push(word.slice(0, -3), word.slice(0, -3) + 'e');
  if (word.endsWith('ly')) candidates.push(word.slice(0, -2));
  for (const c of candidates) {
    const hit = EN_PHRASES.get(c);
    if (hit !== undefined) return hit;
  }
  return repairPlatformName(word);
}

/**
 * Platform names whose English typos are repaired (a glossary key each): six letters or more, and no common English
 * word within one edit of them. Left out on purpose: "wecom" and "lark" (too short: "welcome"-like words and "dark",
 * "park" are one or two edits away) and "wework" ("rework").
 */
export const TYPO_REPAIRED_PLATFORM_NAMES: readonly string[] = ['dingtalk', 'dingding', 'feishu', 'larksuite', 'wechat', 'weixin'];

/**
 * A word one edit from a platform name of {@link TYPO_REPAIRED_PLATFORM_NAMES} (one letter added, dropped or
 * changed, or two neighbours swapped: "dingtlak", "fieshu", "wechta", "dingtalkk") -> that name's glossary words;
 * words shorter than 6 letters are never repaired.
 */
function repairPlatformName(word: string): string | undefined {
  if (word.length < 6) return undefined;
  for (const name of TYPO_REPAIRED_PLATFORM_NAMES) {
    if (withinOneEdit(word, name)) return EN_PHRASES.get(name);
  }
  return undefined;
}

/** Whether `a` and `b` differ by at most one insertion, deletion, substitution or swap of adjacent letters. */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true; // one substitution
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2); // one swap
  }
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

/** Replaces glossary words and phrases inside each run of Latin words; unknown words are kept. */
function translateEnglish(s: string): string {
  if (!/[a-z]/.test(s)) return s;
  return s.replace(LATIN_RUN, (run) => {
    const words = run.replace(/'/g, ' ').split(' ').filter(Boolean);
    const out: string[] = [];
    for (let i = 0; i < words.length; ) {
      let matched = false;
      for (let n = Math.min(MAX_PHRASE_WORDS, words.length - i); n >= 2; n--) {
        const phrase = words.slice(i, i + n).join(' ');
        const hit = EN_PHRASES.get(phrase) ?? lookupPhraseInflected(words.slice(i, i + n));
        if (hit !== undefined) {
          out.push(hit);
          i += n;
          matched = true;
          break;
        }
      }
      if (matched) continue;
      // Typed pinyin of a domain word, joined or syllable by syllable (chehui, hui hua cun dang).
      for (let n = Math.min(MAX_PINYIN_SYLLABLES, words.length - i); n >= 1; n--) {
        const hit = PINYIN_WORDS.get(words.slice(i, i + n).join(''));
        if (hit !== undefined) {
          out.push(hit);
          i += n;
          matched = true;
          break;
        }
      }
      if (matched) continue;
      const w = words[i] as string;
      out.push(lookupWord(w) ?? w);
      i++;
    }
    return ` ${out.join(' ')} `;
  });
}

/** A phrase whose last word is inflected ("chat logs", "group chats", "turned on" is not handled). */
function lookupPhraseInflected(words: string[]): string | undefined {
  const last = words[words.length - 1] as string;
  for (const stem of [last.replace(/ies$/, 'y'), last.replace(/es$/, ''), last.replace(/s$/, ''), last.replace(/ing$/, '')]) {
    if (stem === last) continue;
    const hit = EN_PHRASES.get([...words.slice(0, -1), stem].join(' '));
    if (hit !== undefined) return hit;
  }
  return undefined;
}

interface VocabWord {
  word: string;
  chars: string[];
  syllables: string[];
}

const VOCAB: VocabWord[] = TYPO_VOCABULARY.map((word) => ({
  word,
  chars: Array.from(word),
  syllables: pinyin(word, { toneType: 'none', type: 'array' }),
})).sort((a, b) => b.chars.length - a.chars.length);

const VOCAB_BY_FIRST = new Map<string, VocabWord[]>();
for (const v of VOCAB) {
  const first = v.syllables[0] as string;
  const list = VOCAB_BY_FIRST.get(first) ?? [];
  list.push(v);
  VOCAB_BY_FIRST.set(first, list);
}

/**
 * Toneless pinyin written without spaces (chehui, huihuacundang) -> the domain word, for the typo vocabulary's
 * words of two or more syllables whose pinyin is at least 5 letters and is not an English word of the glossary.
 */
const PINYIN_WORDS: ReadonlyMap<string, string> = new Map(
  VOCAB.filter((v) => v.syllables.length >= 2 && v.syllables.join('').length >= 5 && /^[a-z]+$/.test(v.syllables.join('')) && !EN_PHRASES.has(v.syllables.join('')))
    .map((v) => [v.syllables.join(''), v.word] as const),
);
const MAX_PINYIN_SYLLABLES = Math.max(1, ...VOCAB.map((v) => v.syllables.length));

/**
 * Replaces character windows whose toneless pinyin equals a domain word's, that share at least one character
 * with it, and that are not already the word. Longer words are tried first; repaired text is not re-scanned.
 */
function repairHomophones(s: string): string {
  const chars = Array.from(s);
  const syl = pinyin(s, { toneType: 'none', type: 'array' });
  if (syl.length !== chars.length) return s; // alignment not guaranteed: leave the text as it is
  const out: string[] = [];
  for (let i = 0; i < chars.length; ) {
    const candidates = VOCAB_BY_FIRST.get(syl[i] as string);
    let replaced = false;
    if (candidates) {
      for (const v of candidates) {
        const k = v.chars.length;
        if (i + k > chars.length) continue;
        let same = true;
        let shared = 0;
        let identical = true;
        for (let j = 0; j < k; j++) {
          if (syl[i + j] !== v.syllables[j]) {
            same = false;
            break;
          }
          if (chars[i + j] === v.chars[j]) shared++;
          else identical = false;
        }
        if (!same || (!identical && shared === 0)) continue; // no shared character: too likely another real word
        if (!identical && REAL_WORD_HOMOPHONES.has(chars.slice(i, i + k).join(''))) continue;
        out.push(v.word);
        i += k;
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      out.push(chars[i] as string);
      i++;
    }
  }
  return out.join('');
}
