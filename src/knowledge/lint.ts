import { readFile } from 'node:fs/promises';
import { displayPath, scanKnowledge, type KnowledgeProblem, type LoadOptions } from './load.ts';

/** A topic of topics.tsv: id, what the entry answers, whether the personal status is appended. */
export interface Topic {
  id: string;
  what: string;
  appendStatus: boolean;
}

/**
 * Parses the topics file (`id<TAB>what<TAB>yes|no`, first row a header, blank lines ignored).
 * Problems (wrong column count, third column not yes/no, repeated id) are returned, not thrown;
 * `field` is 'line N' (1-based).
 */
export function parseTopics(source: string, file: string): { topics: Topic[]; problems: KnowledgeProblem[] } {
  const topics: Topic[] = [];
  const problems: KnowledgeProblem[] = [];
  const seen = new Set<string>();
  source.split(/\r?\n/).forEach((line, i) => {
    if (i === 0 || line.trim() === '') return;
    const field = `line ${i + 1}`;
    const cols = line.split('\t');
    if (cols.length !== 3) {
      problems.push({ file, field, message: `expected 3 tab-separated columns, got ${cols.length}` });
      return;
    }
    const [id, what, flag] = cols.map((c) => c.trim()) as [string, string, string];
    if (flag !== 'yes' && flag !== 'no') {
      problems.push({ file, field, message: `third column must be yes or no, got "${flag}"` });
      return;
    }
    if (seen.has(id)) {
      problems.push({ file, field, message: `topic "${id}" listed twice` });
      return;
    }
    seen.add(id);
    topics.push({ id, what, appendStatus: flag === 'yes' });
  });
  return { topics, problems };
}

/** Reads and parses a topics file; a missing file is one problem. */
export async function readTopics(file: string): Promise<{ topics: Topic[]; problems: KnowledgeProblem[] }> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (err) {
    return { topics: [], problems: [{ file, field: '', message: `cannot read topics file (${(err as NodeJS.ErrnoException).code ?? String(err)})` }] };
  }
  return parseTopics(source, file);
}

/** Result of {@link lintKnowledge}. */
export interface LintResult {
  /** True when there is no problem at all. */
  ok: boolean;
  problems: KnowledgeProblem[];
  /** Number of entries that validated (after the overlay). */
  entries: number;
}

/**
 * Checks a knowledge base without throwing (backs `privacy-bot kb lint`): every problem the loader
 * would raise ({@link loadKnowledge}), plus, when `topicsFile` is given, that every topic id has a
 * knowledge file and that its `appendStatus` equals the topic's third column. Entries that are not
 * topics are allowed (a company overlay may add its own).
 */
export async function lintKnowledge(
  dirs: string | string[],
  options: { topicsFile?: string } & LoadOptions = {},
): Promise<LintResult> {
  const scan = await scanKnowledge(dirs, options);
  const problems = [...scan.problems];
  if (options.topicsFile) {
    const shownTopics = displayPath(options.topicsFile);
    const { topics, problems: topicProblems } = await readTopics(options.topicsFile);
    problems.push(...topicProblems.map((p) => ({ ...p, file: shownTopics })));
    const byId = new Map(scan.entries.map((e) => [e.id, e]));
    for (const t of topics) {
      if (!scan.ids.has(t.id)) {
        problems.push({ file: shownTopics, field: t.id, message: `topic has no knowledge entry (expected ${t.id}.yaml)` });
        continue;
      }
      const entry = byId.get(t.id);
      if (entry && entry.appendStatus !== t.appendStatus) {
        problems.push({
          file: shownTopics,
          field: t.id,
          message: `appendStatus is ${entry.appendStatus} in the entry but ${t.appendStatus ? 'yes' : 'no'} in the topics file`,
        });
      }
    }
  }
  return { ok: problems.length === 0, problems, entries: scan.entries.length };
}
