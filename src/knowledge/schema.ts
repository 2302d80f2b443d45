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
 * - `answer.zh` at most {@link MAX_ZH_ANSWER_CHARS} characters (Unicode code points, whitespace not counted);
 * - `sources` ≥ 1, each `{ title, url }` with an absolute http(s) URL (https preferred; http is accepted
 *   because the official NPC text of the PIPL is only served over http);
 * - `reviewed` a real calendar date 'YYYY-MM-DD' (not in the future: checked by the loader, which knows "now");
 * - `appendStatus` a YAML boolean (true/false);
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
/** Longest Chinese answer, in characters (code points, whitespace excluded), not bytes. */
export const MAX_ZH_ANSWER_CHARS = 600;
/** The YAML keys of an entry, in their conventional order. */
export const ENTRY_KEYS = ['id', 'title', 'questions', 'keywords', 'answer', 'sources', 'reviewed', 'appendStatus', 'platforms'] as const;

/** Number of characters counted against {@link MAX_ZH_ANSWER_CHARS}: code points that are not whitespace. */
export function countAnswerChars(text: string): number {
  let n = 0;
  for (const ch of text) if (!/\s/u.test(ch)) n++;
  return n;
}

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
    .replace(/[?？!！。.,，、~～…\s]+$/u, '');
}

const text = (what: string) => z.string().trim().min(1, { error: `${what} must not be empty` });

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
  answer: z.strictObject({
    zh: text('answer').refine((s) => countAnswerChars(s) <= MAX_ZH_ANSWER_CHARS, {
      error: (iss) =>
        `too long: ${countAnswerChars(String(iss.input))} characters, at most ${MAX_ZH_ANSWER_CHARS}`,
    }),
    en: text('answer'),
  }),
  sources: z.array(sourceSchema).min(1, { error: 'at least one source required' }),
  reviewed: z.string().refine(isCalendarDate, { error: "must be a real date written 'YYYY-MM-DD' (quote it if in doubt)" }),
  appendStatus: z.boolean(),
  platforms: z
    .array(z.enum(PLATFORMS, { error: `must be one of ${PLATFORMS.join(', ')}` }))
    .min(1, { error: 'at least one platform required' })
    .superRefine((list, ctx) => noRepeats(list, ctx, 'platform')),
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
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(seg)]!;
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else return null;
    if (!s) return null;
  }
  return s instanceof z.ZodObject ? Object.keys(s.shape) : null;
}

/** Parses one document; `issues` empty means `entry` is valid. `reportInput` is on so a missing key reads 'required'. */
export function parseEntry(doc: unknown): { entry: z.infer<typeof entrySchema> | null; problems: { field: string; message: string }[] } {
  const r = entrySchema.safeParse(doc, { reportInput: true });
  if (r.success) return { entry: r.data, problems: [] };
  return { entry: null, problems: describeIssues(r.error.issues) };
}
