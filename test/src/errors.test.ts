/**
 * The error catalogue (src/errors.ts ERRORS for the core, adapters/errors.ts ADAPTER_ERRORS for the
 * adapters): every code a throw site in src/ or adapters/ raises is catalogued on its side of the
 * seam, with the status the throw site uses (or the catalogue's noted exception), and every
 * catalogued code is raised somewhere.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERRORS, type ErrorCatalogue } from '../../src/errors.ts';
import { ADAPTER_ERRORS } from '../../adapters/errors.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return name.endsWith('.ts') ? [p] : [];
  });
}

/**
 * (code, literal status or null, file) of every `new XError('CODE', …)`, `super('CODE', …)`,
 * catalogue factory call (`requestError('CODE', …)`, `botError`, `adapterRequestError`, `adapterError`:
 * status from the catalogue, so null) and `refuse(ctx, N, 'CODE'`.
 */
function throwSites(dir: string): { code: string; status: number | null; file: string }[] {
  const sites: { code: string; status: number | null; file: string }[] = [];
  for (const file of tsFiles(join(root, dir))) {
    const text = readFileSync(file, 'utf8');
    const rel = relative(root, file);
    for (const m of text.matchAll(/(?:new [A-Z][A-Za-z]*Error|super|\b(?:requestError|botError|adapterRequestError|adapterError))\(\s*'([A-Z][A-Z0-9_]+)'([^;]*?)\)\s*[;,)]/gs)) {
      const rest = m[2]!;
      const status = /^\s*,[^,]*,\s*(\d{3})\s*$/.exec(rest)?.[1] ?? /status:\s*(\d{3})/.exec(rest)?.[1] ?? null;
      sites.push({ code: m[1]!, status: status === null ? null : Number(status), file: rel });
    }
    for (const m of text.matchAll(/refuse\(ctx, (\d{3}), '([A-Z][A-Z0-9_]+)'/g)) sites.push({ code: m[2]!, status: Number(m[1]), file: rel });
  }
  return sites;
}

/** Codes whose catalogue entry names another status some throw sites use on purpose. */
const SECOND_STATUS: Record<string, number> = { STORE_UNAVAILABLE: 500, POLICY_BAD_REQUEST: 500, TRY_BAD_BODY: 413, STORE_BAD_ARGUMENT: 400, SANDBOX_BAD_BODY: 413 };

function check(sites: ReturnType<typeof throwSites>, catalogue: ErrorCatalogue): string[] {
  const problems: string[] = [];
  for (const s of sites) {
    const spec = catalogue[s.code];
    if (!spec) problems.push(`${s.file}: ${s.code} is not catalogued`);
    else if (s.status !== null && s.status !== spec.status && SECOND_STATUS[s.code] !== s.status) {
      problems.push(`${s.file}: ${s.code} thrown with ${s.status}, catalogued ${spec.status}`);
    }
  }
  return problems;
}

test('errors: every code thrown in src/ is in src/errors.ts ERRORS, with its status', () => {
  const sites = throwSites('src');
  assert.ok(sites.length > 40, 'throw sites were found');
  assert.deepEqual(check(sites, ERRORS), []);
});

test('errors: every code thrown in adapters/ is in adapters/errors.ts or src/errors.ts, with its status', () => {
  const sites = throwSites('adapters');
  assert.ok(sites.length > 30, 'throw sites were found');
  assert.deepEqual(check(sites, { ...ERRORS, ...ADAPTER_ERRORS }), []);
});

test('errors: a throw site names a status only when it is not the catalogue\'s (the factories take it from there)', () => {
  const catalogue: ErrorCatalogue = { ...ERRORS, ...ADAPTER_ERRORS };
  const own = [...throwSites('src'), ...throwSites('adapters')]
    .filter((s) => s.status !== null && catalogue[s.code]?.status === s.status && !s.file.endsWith('errors.ts'))
    .map((s) => `${s.file}: ${s.code} passes ${s.status}, the catalogue's own status`);
  assert.deepEqual(own, []);
});

test('errors: the two catalogues do not overlap, and every catalogued code is used', () => {
  assert.deepEqual(Object.keys(ERRORS).filter((c) => c in ADAPTER_ERRORS), []);
  // Every file but the catalogue objects themselves (the error classes after ERRORS in src/errors.ts count).
  const code = [...tsFiles(join(root, 'src')), ...tsFiles(join(root, 'adapters'))]
    .filter((f) => !f.endsWith('adapters/errors.ts'))
    .map((f) => {
      const text = readFileSync(f, 'utf8');
      return f.endsWith('src/errors.ts') ? text.slice(text.indexOf('} as const satisfies ErrorCatalogue;')) : text;
    })
    .join('\n');
  // A code is used when it is quoted (alone or at the start of an answer body), or — for
  // <PREFIX>_NOT_RECORDED — when answerNotRecorded is called with its prefix.
  const used = (c: string): boolean =>
    code.includes(`'${c}`) || code.includes(`\`${c}`) || (c.endsWith('_NOT_RECORDED') && code.includes(`answerNotRecorded(k, '${c.slice(0, -'_NOT_RECORDED'.length)}'`)) || (c.endsWith('_NOT_RECORDED') && code.includes(`answerNotRecorded(koa, '${c.slice(0, -'_NOT_RECORDED'.length)}'`));
  const unused = [...Object.keys(ERRORS), ...Object.keys(ADAPTER_ERRORS)].filter((c) => !used(c));
  assert.deepEqual(unused, []);
});
