import { z } from 'zod';

/**
 * Zod schema of one knowledge-base YAML file (one {@link KnowledgeEntry} per file). Every object is
 * strict: an unknown key (a typo such as `answers:` or `appendstatus:`) is an error, never ignored.
 *
 * Rules checked here, per entry (cross-entry and cross-file rules live in load.ts):
 * - `id` kebab-case (`^[a-z0-9]+(-[a-z0-9]+)*$`);
 * - `title.zh`, `title.en`, `answer.zh`, `answer.en`, every phrasing and keyword: non-empty after trim;
 * - `questions.zh` ≥ {@link MIN_ZH_QUESTIONS}, `questions.en` ≥ {@link MIN_EN_QUESTIONS}; no phrasing repeated
 *   within the entry (compared with {@link phrasingKey});
 * - one phone screen per message: `answer.zh` (and `detail.zh`) at most {@link MAX_ZH_ANSWER_CHARS} characters
 *   ({@link countAnswerChars}: code points, whitespace not counted), `answer.en` (and `detail.en`) at most
 *   {@link MAX_EN_ANSWER_CHARS} characters ({@link countEnglishChars}: code points of the trimmed text); the bot
 *   appends the sources after that, so they do not count;
 * - the answer's first sentence ({@link firstSentence}) answers directly and is short: at most
 *   {@link MAX_ZH_FIRST_SENTENCE_CHARS} characters in Chinese, {@link MAX_EN_FIRST_SENTENCE_CHARS} in English;
 * - `detail` optional; when present both `detail.zh` and `detail.en` are non-empty (sent when the asker replies
 *   "详细" / "more" right after the answer);
 * - `leads` optional: each `{ cues, zh, en }` with ≥ 1 non-empty cue (no repeats) and one sentence per language within
 *   the first-sentence limits; the answer with its longest lead fits the answer limits (the lead is sent before it);
 * - `sources` ≥ 1, each `{ title, url }` with an absolute http(s) URL (https preferred; http is accepted
 *   because the official NPC text of the PIPL is only served over http);
 * - `reviewed` a real calendar date 'YYYY-MM-DD' (not in the future: checked by the loader, which knows "now");
 * - `appendStatus` a YAML boolean (true/false); `statusFirst` optional, true only together with `appendStatus`;
 * - `platforms` ≥ 1 of {@link PLATFORMS}, no repeats.
 *
 * @see ./types.ts for the meaning of each field.
 */

/** Platforms an entry may name. */
export const PLATFORMS = ['wecom', 'dingtalk', 'feishu', 'all'] as const;
/** Minimum Chinese phrasings per entry. */
export const MIN_ZH_QUESTIONS = 5;
/** Minimum English phrasings per entry. */
export const MIN_EN_QUESTIONS = 2;
/**
 * Longest Chinese answer (and Chinese detail), in characters (code points, whitespace excluded), not bytes:
 * about one phone screen in a chat window.
 */
export const MAX_ZH_ANSWER_CHARS = 600;
/** Longest English answer (and English detail), in characters (code points of the trimmed text, spaces included). */
export const MAX_EN_ANSWER_CHARS = 1000;
/** Longest first sentence of a Chinese answer, counted like {@link countAnswerChars}. */
export const MAX_ZH_FIRST_SENTENCE_CHARS = 80;
/** Longest first sentence of an English answer, counted like {@link countEnglishChars}. */
export const MAX_EN_FIRST_SENTENCE_CHARS = 160;
/** The YAML keys of an entry, in their conventional order. */
export const ENTRY_KEYS = ['id', 'title', 'questions', 'keywords', 'answer', 'detail', 'leads', 'sources', 'reviewed', 'appendStatus', 'statusFirst', 'platforms'] as const;

/** Number of characters counted against {@link MAX_ZH_ANSWER_CHARS}: code points that are not whitespace. */
export function countAnswerChars(text: string): number {
  let n = 0;
  for (const ch of text) if (!/\s/u.test(ch)) n++;
  return n;
}

/** Number of characters counted against {@link MAX_EN_ANSWER_CHARS}: code points of the trimmed text. */
export function countEnglishChars(text: string): number {
  return [...text.trim()].length;
}

/**
 * The first sentence of an answer: the trimmed text up to and including the first sentence end — for 'zh'
 * 。！？!? or a line break; for 'en' . ! ? followed by white space or the end, or a line break. The whole
 * first line when there is no such end. Abbreviations ("e.g. ") end an English sentence early, which only
 * makes it shorter.
 */
export function firstSentence(text: string, lang: 'zh' | 'en'): string {
  const t = text.trim();
  if (lang === 'zh') return (/^[^\n。！？!?]*[。！？!?]?/u.exec(t)?.[0] ?? t).trim();
  // English, with a loop (the lazy /^[^\n]*?[.!?](?=\s|$)/ is flagged by recheck as quadratic on runs of "!").
  const lineEnd = t.indexOf('\n');
  const line = lineEnd === -1 ? t : t.slice(0, lineEnd);
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if ((c === '.' || c === '!' || c === '?') && (i + 1 === t.length || WHITE_SPACE.test(t[i + 1]!))) return line.slice(0, i + 1).trim();
  }
  return line.trim();
}

const WHITE_SPACE = /\s/;

/** Problems with one answer-sized text (the answer or the detail) in one language; [] when fine. */
function lengthProblems(text: string, lang: 'zh' | 'en', what: 'answer' | 'detail'): string[] {
  const out: string[] = [];
  if (lang === 'zh') {
    const n = countAnswerChars(text);
    if (n > MAX_ZH_ANSWER_CHARS) {
      out.push(`too long: ${n} characters, at most ${MAX_ZH_ANSWER_CHARS} (one phone screen, whitespace not counted)` +
        (what === 'answer' ? '; move the rest to detail.zh' : ''));
    }
  } else {
    const n = countEnglishChars(text);
    if (n > MAX_EN_ANSWER_CHARS) {
      out.push(`too long: ${n} characters, at most ${MAX_EN_ANSWER_CHARS} (one phone screen)` +
        (what === 'answer' ? '; move the rest to detail.en' : ''));
    }
  }
  if (what === 'answer') {
    const first = firstSentence(text, lang);
    const n = lang === 'zh' ? countAnswerChars(first) : countEnglishChars(first);
    const max = lang === 'zh' ? MAX_ZH_FIRST_SENTENCE_CHARS : MAX_EN_FIRST_SENTENCE_CHARS;
    if (n > max) out.push(`first sentence too long: ${n} characters, at most ${max}; open with a direct yes / no / it depends on X`);
  }
  return out;
}

/** A non-empty answer-sized text checked by {@link lengthProblems}. */
const answerText = (lang: 'zh' | 'en', what: 'answer' | 'detail') =>
  text(what).superRefine((s, ctx) => {
    for (const message of lengthProblems(s, lang, what)) ctx.addIssue({ code: 'custom', message });
  });

/**
 * Comparison key for duplicate phrasings: NFKC, lower case, inner whitespace collapsed, trimmed, and
 * trailing sentence punctuation (？?！!。.，,~ and the like) removed. "管理员能看吗？" and "管理员能看吗" collide.
 */
export function phrasingKey(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\s+/gu, ' ')
    .trim()
    // the trailing run, found among all runs (each read once; /[…]+$/ would take quadratic time)
    .replace(/[?？!！。.,，、~～…\s]+/gu, (run: string, at: number, all: string) => (at + run.length === all.length ? '' : run));
}

const text = (what: string) => z.string().trim().min(1, { error: `${what} must not be empty` });

/** A lead's sentence in one language: non-empty, within the first-sentence limit, and one sentence only. */
const leadText = (lang: 'zh' | 'en') =>
  text('lead').superRefine((s, ctx) => {
    const n = lang === 'zh' ? countAnswerChars(s) : countEnglishChars(s);
    const max = lang === 'zh' ? MAX_ZH_FIRST_SENTENCE_CHARS : MAX_EN_FIRST_SENTENCE_CHARS;
    if (n > max) ctx.addIssue({ code: 'custom', message: `too long: ${n} characters, at most ${max} (a lead is the reply's first sentence)` });
    else if (firstSentence(s, lang) !== s.trim()) ctx.addIssue({ code: 'custom', message: 'one sentence only (the answer follows it)' });
  });

const leadSchema = z.strictObject({
  cues: z.array(text('a cue')).min(1, { error: 'at least one cue required' }).superRefine((list, ctx) => noRepeats(list, ctx, 'cue')),
  zh: leadText('zh'),
  en: leadText('en'),
});

/** True when `s` is 'YYYY-MM-DD' and names a real date (2026-02-30 is not). */
export function isCalendarDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

function noRepeats(list: string[], ctx: z.RefinementCtx, what: string): void {
  const seen = new Map<string, number>();
  list.forEach((item, i) => {
    const key = what === 'phrasing' ? phrasingKey(item) : item;
    const first = seen.get(key);
    if (first !== undefined) {
      ctx.addIssue({ code: 'custom', path: [i], message: `duplicate ${what} (same as item ${first}): "${item}"` });
    } else seen.set(key, i);
  });
}

const phrasings = (lang: string, min: number) =>
  z
    .array(text('a phrasing'))
    .min(min, { error: `at least ${min} ${lang} phrasings required` })
    .superRefine((list, ctx) => noRepeats(list, ctx, 'phrasing'));

const sourceSchema = z.strictObject({
  title: text('source title'),
  url: z
    .string()
    .trim()
    .refine((u) => {
      try {
        const p = new URL(u);
        return (p.protocol === 'https:' || p.protocol === 'http:') && p.hostname.length > 0;
      } catch {
        return false;
      }
    }, { error: 'must be an absolute https:// (or http://) URL' }),
});

/** Schema of one YAML file's content. Output type is {@link KnowledgeEntry}. */
export const entrySchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, { error: 'must be kebab-case (a-z, 0-9, single hyphens)' }),
  title: z.strictObject({ zh: text('title'), en: text('title') }),
  questions: z.strictObject({
    zh: phrasings('Chinese', MIN_ZH_QUESTIONS),
    en: phrasings('English', MIN_EN_QUESTIONS),
  }),
  keywords: z.array(text('a keyword')).min(1, { error: 'at least one keyword required' }),
  answer: z.strictObject({ zh: answerText('zh', 'answer'), en: answerText('en', 'answer') }),
  detail: z.strictObject({ zh: answerText('zh', 'detail'), en: answerText('en', 'detail') }).optional(),
  leads: z.array(leadSchema).min(1, { error: 'leave leads out rather than empty' }).optional(),
  sources: z.array(sourceSchema).min(1, { error: 'at least one source required' }),
  reviewed: z.string().refine(isCalendarDate, { error: "must be a real date written 'YYYY-MM-DD' (quote it if in doubt)" }),
  appendStatus: z.boolean(),
  statusFirst: z.boolean().optional(),
  platforms: z
    .array(z.enum(PLATFORMS, { error: `must be one of ${PLATFORMS.join(', ')}` }))
    .min(1, { error: 'at least one platform required' })
    .superRefine((list, ctx) => noRepeats(list, ctx, 'platform')),
}).superRefine((e, ctx) => {
  if (e.statusFirst && !e.appendStatus) ctx.addIssue({ code: 'custom', path: ['statusFirst'], message: 'true only together with appendStatus: true' });
  e.leads?.forEach((lead, i) => {
    const zh = countAnswerChars(lead.zh) + countAnswerChars(e.answer.zh);
    if (zh > MAX_ZH_ANSWER_CHARS) ctx.addIssue({ code: 'custom', path: ['leads', i, 'zh'], message: `with the answer too long: ${zh} characters, at most ${MAX_ZH_ANSWER_CHARS} (one phone screen)` });
    const en = countEnglishChars(lead.en) + 2 + countEnglishChars(e.answer.en);
    if (en > MAX_EN_ANSWER_CHARS) ctx.addIssue({ code: 'custom', path: ['leads', i, 'en'], message: `with the answer too long: ${en} characters, at most ${MAX_EN_ANSWER_CHARS} (one phone screen)` });
  });
});

/**
 * Turns zod issues into `{ field, message }` pairs: `field` is the dotted path ('answer.en',
 * 'sources.0.url', '' for the whole document); a missing key reads 'required'; an unknown key is
 * reported at its own path as 'unknown key (allowed: …)'.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  for (const iss of issues) {
    const field = iss.path.map(String).join('.');
    if (iss.code === 'unrecognized_keys') {
      const allowed = allowedKeysAt(iss.path);
      for (const key of iss.keys) {
        out.push({
          field: field ? `${field}.${key}` : key,
          message: `unknown key${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}`,
        });
      }
    } else if (iss.code === 'invalid_type' && iss.input === undefined) {
      out.push({ field, message: 'required' });
    } else if (iss.code === 'invalid_type') {
      const got = iss.input === null ? 'null' : Array.isArray(iss.input) ? 'list' : typeof iss.input;
      const want: Record<string, string> = { object: 'a mapping', array: 'a list', boolean: 'true or false' };
      out.push({ field, message: `must be ${want[iss.expected] ?? `a ${iss.expected}`}, got ${got}` });
    } else {
      out.push({ field, message: iss.message });
    }
  }
  return out;
}

function allowedKeysAt(path: readonly PropertyKey[]): string[] | null {
  let s: z.ZodType = entrySchema;
  for (const seg of path) {
    if (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(seg)]!;
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else return null;
    if (!s) return null;
  }
  if (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  return s instanceof z.ZodObject ? Object.keys(s.shape) : null;
}

/** Parses one document; `issues` empty means `entry` is valid. `reportInput` is on so a missing key reads 'required'. */
export function parseEntry(doc: unknown): { entry: z.infer<typeof entrySchema> | null; problems: { field: string; message: string }[] } {
  const r = entrySchema.safeParse(doc, { reportInput: true });
  if (r.success) return { entry: r.data, problems: [] };
  return { entry: null, problems: describeIssues(r.error.issues) };
}
