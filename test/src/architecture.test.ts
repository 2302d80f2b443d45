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

/** A file's code with its comments blanked out (layout and quotes kept): the comment ranges TypeScript's parser finds before each token. */
function codeOf(file: string): string {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('.js') ? ts.ScriptKind.JS : ts.ScriptKind.TS);
  const out = text.split('');
  const blank = (pos: number, end: number) => {
    for (let i = pos; i < end; i++) if (out[i] !== '\n') out[i] = ' ';
  };
  const visit = (node: ts.Node): void => {
    const children = node.getChildren(sf);
    if (children.length === 0) ts.forEachLeadingCommentRange(text, node.getFullStart(), (pos, end) => blank(pos, end));
    children.forEach(visit);
  };
  visit(sf);
  return out.join('');
}

/** Every .ts and .js file under `dir`, absolute paths. */
function codeFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return codeFiles(p);
    return /\.(ts|js)$/.test(name) ? [p] : [];
  });
}

const NAME = `(?:wecom|dingtalk|feishu)`;
/** Platform knowledge in code: a comparison with a platform id, a list of platform ids, an environment variable or code of a platform. */
const PLATFORM_KNOWLEDGE = [
  new RegExp(`(?:[!=]==?|\\bcase)\\s*['"\`]${NAME}\\b`),
  new RegExp(`['"\`]${NAME}['"\`]\\s*[!=]==?`),
  new RegExp(`\\.(?:has|includes|startsWith|get)\\(\\s*['"\`]${NAME}['"\`]`),
  new RegExp(`['"\`]${NAME}['"\`]\\s*,\\s*['"\`]${NAME}['"\`]`),
  new RegExp(`:\\s*['"\`]${NAME}['"\`]`),
  /\b(?:WECOM|DINGTALK|FEISHU)_[A-Z0-9_]+/,
];

/**
 * Lines of src/ outside src/app/ allowed to name platforms, each as [file, a piece of the line, why]: domain data about
 * platform names (what people call them), never a decision taken by platform.
 */
const PLATFORM_WORDS_ALLOWED: readonly [string, string, string][] = [
  ['src/matching/matcher.ts', 'PLATFORM_OF', 'question words naming a platform, mapped to knowledge-entry platform values (vocabulary)'],
  ['src/matching/matcher.ts', "ps.has('wecom')", 'an entry about WeCom, the knowledge base\'s default subject, fits a question naming no platform (knowledge data)'],
  ['src/knowledge/schema.ts', 'PLATFORMS', 'the `platforms` values a knowledge entry may declare (knowledge data)'],
  ['src/console/accounts.ts', 'COMMON_WORDS', 'words a password must not be made of (vocabulary)'],
  ['src/bot/third-party.ts', "'lark'", 'words that are not a person named in a question (vocabulary)'],
];

test('architecture: src/ outside src/app/ takes no decision by platform and names no platform variable', () => {
  const scanned = codeFiles(srcDir).filter((f) => part(f) !== 'app' && !relative(srcDir, f).startsWith(`knowledge${sep}data`));
  assert.ok(scanned.length > 50, 'src/ was read');
  const offenders: string[] = [];
  const used = new Set<string>();
  for (const f of scanned) {
    const rel = relative(root, f).split(sep).join('/');
    for (const line of codeOf(f).split('\n')) {
      if (!PLATFORM_KNOWLEDGE.some((re) => re.test(line))) continue;
      const allowed = PLATFORM_WORDS_ALLOWED.find(([file, piece]) => file === rel && line.includes(piece));
      if (allowed) used.add(`${allowed[0]} ${allowed[1]}`);
      else offenders.push(`${rel}: ${line.trim().slice(0, 160)}`);
    }
  }
  assert.deepEqual(offenders, [], 'let the adapter describe itself (adapters/, wired in src/app/) and pass the description in');
  // An allowance no line needs any more is removed, so the list cannot hide a new line.
  assert.deepEqual(PLATFORM_WORDS_ALLOWED.map(([file, piece]) => `${file} ${piece}`).filter((k) => !used.has(k)), []);
});

/** A platform named in the console's page scripts: an id, a name as people know it (zh-CN, zh-TW, en), a platform API's name. */
const PLATFORM_NAME = /wecom|dingtalk|feishu|\blark\b|msgaudit|企业微信|企業微信|钉钉|釘釘|飞书|飛書/i;

test('architecture: the console page scripts name no platform (every platform word comes from the adapters through the API)', () => {
  const uiDir = join(srcDir, 'console', 'ui');
  const scripts = readdirSync(uiDir).filter((n) => /\.(js|html)$/.test(n));
  assert.ok(scripts.includes('platform-signin.js') && scripts.length > 10, 'the page scripts were read');
  const offenders: string[] = [];
  for (const name of scripts) {
    const file = join(uiDir, name);
    const code = name.endsWith('.js') ? codeOf(file) : readFileSync(file, 'utf8');
    code.split('\n').forEach((line, i) => {
      if (PLATFORM_NAME.test(line)) offenders.push(`src/console/ui/${name}:${i + 1}: ${line.trim().slice(0, 160)}`);
    });
  }
  assert.deepEqual(offenders, [], 'take the words from the adapter\'s description (LoginPlatformInfo, ArchiveSource.label) served by the console API');
  for (const bad of ["signInWith_wecom: '企业微信登录'", "'source:wecom-msgaudit'", "'飞书填 open_id'", 'Sign in with Lark']) assert.ok(PLATFORM_NAME.test(bad), bad);
});

test('architecture: the platform scan finds what it is for', () => {
  const probe = (code: string) => PLATFORM_KNOWLEDGE.some((re) => re.test(code));
  for (const bad of ["if (platform === 'wecom') x();", "const w = 'dingtalk' !== p;", "case 'feishu':", "ps.has('wecom')", "const L = ['wecom', 'dingtalk'];", 'const v = env.WECOM_CORP_ID;', "'FEISHU_BAD_AUDIENCE'", "const d = { platform: 'wecom' };"]) {
    assert.ok(probe(bad), bad);
  }
  for (const fine of ["if (platform === source.platform) x();", "const id = 'wecom-msgaudit-x'.length;", 'const weCom = 1;']) assert.ok(!probe(fine), fine);
  // Comments are not code.
  assert.ok(!codeOf(join(root, 'src/errors.ts')).includes('WECOM_BAD_SIGNATURE'), 'comments stripped');
});
