import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { BotError } from '../errors.ts';
import { parseEntry, phrasingKey } from './schema.ts';
import type { KnowledgeBase, KnowledgeEntry } from './types.ts';

/** One thing wrong with the knowledge base: `file` as shown to people, `field` a dotted path ('' = whole file). */
export interface KnowledgeProblem {
  file: string;
  field: string;
  message: string;
}

/**
 * The knowledge base did not load. Code 'KB_INVALID'. `problems` lists every problem found (the loader
 * never stops at the first one); `message` has one line per problem, `<file>: <field>: <problem>`,
 * e.g. `knowledge/retention.yaml: answer.en: required`.
 */
export class KnowledgeError extends BotError {
  readonly problems: KnowledgeProblem[];
  constructor(problems: KnowledgeProblem[]) {
    const lines = problems.map(formatProblem);
    super('KB_INVALID', problems.length === 1 ? lines[0]! : `${problems.length} problems in the knowledge base:\n${lines.join('\n')}`);
    this.name = 'KnowledgeError';
    this.problems = problems;
  }
}

/** `<file>: <field>: <message>`, or `<file>: <message>` when the problem concerns the whole file. */
export function formatProblem(p: KnowledgeProblem): string {
  return p.field ? `${p.file}: ${p.field}: ${p.message}` : `${p.file}: ${p.message}`;
}

/** Options for tests and tools. */
export interface LoadOptions {
  /** Clock for the "reviewed is not in the future" rule (default: now). */
  now?: Date;
}

/** Result of reading without throwing: what validated, what did not, and which file stems were seen. */
export interface KnowledgeScan {
  /** The entries that validated, after the overlay (a later directory replaces the same id), first-seen order. */
  entries: KnowledgeEntry[];
  problems: KnowledgeProblem[];
  /** Ids (file stems) of every knowledge file found, valid or not. */
  ids: Set<string>;
  dirs: string[];
}

const YAML_EXT = /\.ya?ml$/i;

/** A path as shown in messages: relative to the working directory when inside it, else absolute. */
export function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : path.resolve(p);
}

/**
 * The latest calendar date anywhere on Earth at `now` (UTC+14), 'YYYY-MM-DD'. Used for "reviewed is not in
 * the future" so a date written in China (UTC+8) is never rejected by a server running in UTC.
 */
function latestToday(now: Date): string {
  return new Date(now.getTime() + 14 * 3600_000).toISOString().slice(0, 10);
}

/**
 * Reads and validates every knowledge file of `dirs` without throwing; see {@link loadKnowledge} for the rules.
 * Used by {@link loadKnowledge} and by the `kb lint` command.
 */
export async function scanKnowledge(dirs: string | string[], options: LoadOptions = {}): Promise<KnowledgeScan> {
  const dirList = typeof dirs === 'string' ? [dirs] : [...dirs];
  const problems: KnowledgeProblem[] = [];
  const merged = new Map<string, { entry: KnowledgeEntry; file: string }>();
  const ids = new Set<string>();
  const today = latestToday(options.now ?? new Date());
  if (dirList.length === 0) problems.push({ file: '(none)', field: '', message: 'no knowledge directory given' });

  for (const dir of dirList) {
    let names: string[];
    try {
      names = (await readdir(dir, { withFileTypes: true }))
        .filter((d) => d.isFile() && YAML_EXT.test(d.name) && !d.name.startsWith('_') && !d.name.startsWith('.'))
        .map((d) => d.name)
        .sort();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'directory does not exist' : code === 'ENOTDIR' ? 'not a directory' : `cannot read directory (${code ?? String(err)})`;
      problems.push({ file: displayPath(dir), field: '', message: why });
      continue;
    }
    if (names.length === 0) {
      problems.push({ file: displayPath(dir), field: '', message: 'no knowledge files (*.yaml, *.yml) in this directory' });
      continue;
    }
    const inThisDir = new Map<string, string>();
    for (const name of names) {
      const full = path.join(dir, name);
      const file = displayPath(full);
      const stem = name.replace(YAML_EXT, '');
      ids.add(stem);
      const earlier = inThisDir.get(stem);
      if (earlier) {
        problems.push({ file, field: 'id', message: `duplicate id "${stem}": ${earlier} has it too` });
        continue;
      }
      inThisDir.set(stem, file);
      const parsed = await readEntry(full, file, stem, today);
      problems.push(...parsed.problems);
      if (parsed.entry) merged.set(parsed.entry.id, { entry: parsed.entry, file });
    }
  }

  // Phrasings must be unique across the whole (merged) base: two entries claiming one question confuse matching.
  const owner = new Map<string, string>();
  for (const { entry, file } of merged.values()) {
    for (const lang of ['zh', 'en'] as const) {
      entry.questions[lang].forEach((q, i) => {
        const key = phrasingKey(q);
        const other = owner.get(key);
        if (other && other !== entry.id) {
          problems.push({ file, field: `questions.${lang}.${i}`, message: `duplicate phrasing, also in entry "${other}": "${q}"` });
        } else owner.set(key, entry.id);
      });
    }
  }
  return { entries: [...merged.values()].map((m) => m.entry), problems, ids, dirs: dirList };
}

async function readEntry(
  full: string,
  file: string,
  stem: string,
  today: string,
): Promise<{ entry: KnowledgeEntry | null; problems: KnowledgeProblem[] }> {
  let source: string;
  try {
    source = await readFile(full, 'utf8');
  } catch (err) {
    return { entry: null, problems: [{ file, field: '', message: `cannot read file (${(err as Error).message})` }] };
  }
  const lines = new LineCounter();
  const doc = parseDocument(source, { prettyErrors: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    return {
      entry: null,
      // The place as the field ("line 3, column 8", 1-based, where the parser stopped), the parser's reason as the message.
      problems: doc.errors.map((e) => {
        const at = lines.linePos(e.pos[0]);
        return { file, field: `line ${at.line}, column ${at.col}`, message: `YAML syntax: ${e.message.split('\n')[0]}` };
      }),
    };
  }
  const data: unknown = doc.toJS();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { entry: null, problems: [{ file, field: '', message: 'must be a YAML mapping with the keys of one entry' }] };
  }
  const { entry, problems: issues } = parseEntry(data);
  const problems: KnowledgeProblem[] = issues.map((p) => ({ file, ...p }));
  const id = (data as { id?: unknown }).id;
  if (typeof id === 'string' && id !== stem) {
    problems.push({ file, field: 'id', message: `"${id}" must equal the file name stem "${stem}"` });
  }
  const reviewed = (data as { reviewed?: unknown }).reviewed;
  if (typeof reviewed === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(reviewed) && reviewed > today) {
    problems.push({ file, field: 'reviewed', message: `${reviewed} is in the future` });
  }
  return { entry: problems.length === 0 ? entry : null, problems };
}

/**
 * Loads the knowledge base: every `*.yaml` / `*.yml` file directly in each directory (not recursive;
 * names starting with `_` or `.` are skipped), one entry per file, parsed with `yaml` (YAML 1.2 core
 * schema, duplicate keys rejected) and validated with {@link entrySchema} (schema.ts), plus:
 * - `id` equals the file name stem; one id at most once per directory;
 * - a later directory's entry replaces the earlier entry with the same id (company overlay); order of
 *   `entries` is first-seen order;
 * - no phrasing (compared by {@link phrasingKey}) in two entries of the merged base;
 * - `reviewed` not after today (today = the latest calendar date on Earth, UTC+14);
 * - every directory exists and holds at least one knowledge file.
 *
 * @param dirs one directory or a list, base first, overlays after.
 * @throws KnowledgeError (code 'KB_INVALID') listing every problem in `problems`; nothing is half-loaded.
 */
export async function loadKnowledge(dirs: string | string[], options: LoadOptions = {}): Promise<KnowledgeBase> {
  const scan = await scanKnowledge(dirs, options);
  if (scan.problems.length > 0) throw new KnowledgeError(scan.problems);
  return {
    entries: scan.entries,
    byId: new Map(scan.entries.map((e) => [e.id, e])),
    dirs: scan.dirs.map((d) => path.resolve(d)),
  };
}
