/**
 * Static ReDoS check: every regular expression written in src/ and adapters/ — all of which may see text
 * from outside (employees' messages, platform callbacks, admin files) — is proven or fuzzed safe by recheck
 * (https://makenowjust-labs.github.io/recheck/): no exponential and no polynomial (e.g. quadratic) backtracking.
 * The expressions are found by scanning the sources (test/helpers/regex-scan.ts), so a new one is checked
 * without being listed anywhere. Not a timing test: recheck's verdict is about the expression's structure.
 *
 * recheck runs its native binary (npm package recheck-linux-x64), else its Java build, else its pure
 * JavaScript build; all work offline. The fuzz checker (used for look-behind, \b and the like) gets a fixed
 * seed and no time limits — only its step limits (characters read) — so its verdict does not depend on how
 * busy the machine is: with its default time limits a loaded machine turned a "safe" into "unknown: timeout",
 * or into a "vulnerable" that V8 does not show.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { check } from 'recheck';
import { REPO_ROOT } from '../helpers/app.ts';
import { regexesIn, tsFilesUnder, type FoundRegex, type UnresolvedRegex } from '../helpers/regex-scan.ts';

const FOLDERS = ['src', 'adapters'];

/** recheck parameters: a fixed seed and step limits only (see the module comment). */
const RECHECK = { randomSeed: 42, timeout: null, attackTimeout: null, incubationTimeout: null, seedingTimeout: null, recallTimeout: null } as const;

const found: FoundRegex[] = [];
const unresolved: UnresolvedRegex[] = [];
for (const folder of FOLDERS) {
  for (const file of tsFilesUnder(join(REPO_ROOT, folder))) {
    const r = regexesIn(file, REPO_ROOT);
    found.push(...r.found);
    unresolved.push(...r.unresolved);
  }
}

/** One check per distinct (source, flags); `where` lists every place it is written. */
const distinct = new Map<string, { source: string; flags: string; where: string[] }>();
for (const r of found) {
  const key = `/${r.source}/${r.flags}`;
  const d = distinct.get(key) ?? { source: r.source, flags: r.flags, where: [] };
  d.where.push(r.where);
  distinct.set(key, d);
}

describe('regular expressions in src/ and adapters/ are linear (recheck)', () => {
  it('the scanner finds them (and the known user-text ones among them)', () => {
    assert.ok(found.length > 100, `only ${found.length} regular expressions found: is the scanner broken?`);
    const places = new Set(found.map((r) => r.where.replace(/:\d+$/, '')));
    for (const f of ['src/bot/third-party.ts', 'src/bot/intents.ts', 'src/matching/normalize.ts', 'src/notices/ack.ts', 'adapters/dingtalk/inbound.ts', 'adapters/wecom-aibot/inbound.ts']) {
      assert.ok(places.has(f), `no regular expression found in ${f}`);
    }
    // new RegExp(...) built from constants is resolved, e.g. the third-party owner patterns.
    assert.ok(found.some((r) => r.where.startsWith('src/bot/third-party.ts') && r.source.includes("'s\\s+")));
  });

  it('every new RegExp(…) can be computed statically', () => {
    assert.deepEqual(unresolved, [], 'build these from string constants of the same file, or from a regex literal');
  });

  for (const [key, d] of distinct) {
    it(`${key.length > 90 ? `${key.slice(0, 90)}…` : key} (${d.where.join(', ')})`, async () => {
      const diagnostics = await check(d.source, d.flags, RECHECK);
      const detail =
        diagnostics.status === 'vulnerable'
          ? `${diagnostics.complexity.summary}; attack: ${diagnostics.attack.pattern}`
          : diagnostics.status === 'unknown'
            ? `unknown: ${diagnostics.error.kind}`
            : '';
      assert.equal(diagnostics.status, 'safe', `${key} at ${d.where.join(', ')}: ${detail}`);
    });
  }
});
