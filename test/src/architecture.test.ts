/**
 * The dependency rule of docs/ARCHITECTURE.md, checked on the import specifiers of every .ts file
 * of src/ (static imports, `export … from`, dynamic `import()`), read with TypeScript's own
 * pre-processor:
 * - only the composition root, src/app/, imports adapters/;
 * - adapters/ imports only the ports and small utilities of src/ (ADAPTER_MAY_IMPORT), never a feature;
 * - the top-level parts of src/ (its folders, and each file at its root) form no import cycle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const srcDir = join(root, 'src');

/** Every .ts file under `dir`, absolute paths. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return name.endsWith('.ts') ? [p] : [];
  });
}

/** Relative import specifiers of one file, resolved to absolute paths. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName).filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s));
}

/** 'app', 'bot', … for a folder of src/; 'config.ts' for a file at the root of src/; null outside src/. */
function part(file: string): string | null {
  const r = relative(srcDir, file);
  if (r.startsWith('..')) return null;
  return r.split(sep)[0]!;
}

const files = tsFiles(srcDir);

test('architecture: only src/app/ imports adapters/', () => {
  assert.ok(files.length > 50, 'src/ was read');
  const adaptersDir = join(root, 'adapters') + sep;
  const offenders: string[] = [];
  for (const f of files) {
    if (part(f) === 'app') continue;
    for (const target of importsOf(f)) {
      if (target.startsWith(adaptersDir)) offenders.push(`${relative(root, f)} imports ${relative(root, target)}`);
    }
  }
  assert.deepEqual(offenders, [], 'move the wiring into src/app/ (the composition root) or the type into src/platform/');
});

/** What adapters/ may import from src/: the ports and small platform-neutral utilities. */
const ADAPTER_MAY_IMPORT = ['src/platform/', 'src/store/ports/', 'src/errors.ts', 'src/log.ts', 'src/config.ts', 'src/reply-links.ts', 'src/text-cap.ts', 'src/http/connection.ts'];

test('architecture: adapters/ imports only ports and utilities of src/', () => {
  const adapterFiles = tsFiles(join(root, 'adapters'));
  assert.ok(adapterFiles.length > 30, 'adapters/ was read');
  const offenders: string[] = [];
  for (const f of adapterFiles) {
    for (const target of importsOf(f)) {
      const rel = relative(root, target).split(sep).join('/');
      if (rel.startsWith('src/') && !ADAPTER_MAY_IMPORT.some((p) => rel === p || (p.endsWith('/') && rel.startsWith(p)))) {
        offenders.push(`${relative(root, f)} imports ${rel}`);
      }
    }
  }
  assert.deepEqual(offenders, [], 'an adapter needs a port (src/platform/), not a feature of the core');
});

test('architecture: no import cycle between the top-level parts of src/', () => {
  const edges = new Map<string, Map<string, string>>(); // from part -> to part -> an example import
  for (const f of files) {
    const from = part(f)!;
    for (const target of importsOf(f)) {
      const to = part(target);
      if (to === null || to === from) continue;
      if (!edges.has(from)) edges.set(from, new Map());
      if (!edges.get(from)!.has(to)) edges.get(from)!.set(to, `${relative(root, f)} -> ${relative(root, target)}`);
    }
  }
  // Depth-first search; a back edge is a cycle, reported with one import per step.
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 'open');
    path.push(n);
    for (const m of edges.get(n)?.keys() ?? []) {
      if (state.get(m) === 'open') {
        const loop = [...path.slice(path.indexOf(m)), m];
        cycles.push(loop.slice(1).map((to, i) => edges.get(loop[i]!)!.get(to)!).join('; '));
      } else if (!state.has(m)) visit(m);
    }
    path.pop();
    state.set(n, 'done');
  };
  for (const n of [...edges.keys()].sort()) if (!state.has(n)) visit(n);
  assert.deepEqual(cycles, []);
});
