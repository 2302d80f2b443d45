/**
 * Prints the first 16 hex digits of the SHA-256 of every knowledge-base phrasing, title and out-of-scope example,
 * one per line — the list a blind set's near-copy exemption is made of when the set is frozen
 * (test/fixtures/blind/kb-texts-before-blind*.txt; see test/src/knowledge/no-dev-copies.test.ts).
 *
 * Run: `node --import tsx bench/kb-text-hashes.ts > test/fixtures/blind/kb-texts-before-blindN.txt` (then add the header).
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadKnowledge } from '../src/knowledge/load.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const kb = await loadKnowledge(path.join(root, 'knowledge'));
const oos = parse(readFileSync(path.join(root, 'knowledge/lexicon/out-of-scope.yaml'), 'utf8')) as { zh: string[]; en: string[] };
const texts = [...kb.entries.flatMap((e) => [...e.questions.zh, ...e.questions.en, e.title.zh, e.title.en]), ...oos.zh, ...oos.en];
const hashes = [...new Set(texts.map((t) => createHash('sha256').update(t).digest('hex').slice(0, 16)))].sort();
process.stdout.write(`${hashes.join('\n')}\n`);
