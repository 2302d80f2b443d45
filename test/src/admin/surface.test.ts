/**
 * The admin surface's reading of a path: the lenient normalisation (what the most forgiving router
 * or proxy might make of a target), the protected test built on it (random re-spellings of admin
 * paths are all caught; public paths never are), and the one canonical spelling that is served.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_DECODE_ROUNDS, isCanonicalProtectedPath, isProtectedTarget, lenientPath } from '../../../src/admin/surface.ts';

describe('lenientPath', () => {
  it('lower-cases, decodes (also twice), collapses slashes, resolves dot segments, drops trailing slashes and ;parameters', () => {
    const cases: [string, string][] = [
      ['/ADMIN/Notices', '/admin/notices'],
      ['/admin/notices/', '/admin/notices'],
      ['//admin///notices//', '/admin/notices'],
      ['/%61dmin/notices', '/admin/notices'],
      ['/%2561dmin/notices', '/admin/notices'],
      ['/admin%2Fnotices', '/admin/notices'],
      ['/admin%252fnotices', '/admin/notices'],
      ['/x/../admin/notices', '/admin/notices'],
      ['/./admin/./notices/.', '/admin/notices'],
      ['/../../admin', '/admin'],
      ['/x/%2e%2e/admin', '/admin'],
      ['/admin\\notices', '/admin/notices'],
      ['/admin;jsessionid=1/notices', '/admin/notices'],
      ['/admin./notices', '/admin/notices'],
      ['/admin%20/notices', '/admin/notices'],
      ['/ad%00min', '/admin'],
      ['http://bot.example:3000/ADMIN/x?y=/z', '/admin/x'],
      ['/ａｄｍｉｎ/x', '/admin/x'],
      ['/healthz', '/healthz'],
      ['', '/'],
    ];
    for (const [input, want] of cases) assert.equal(lenientPath(input).path, want, input);
  });

  it('a path still changing after the last decoding round is undecided (and so protected)', () => {
    const deep = `/%${'25'.repeat(MAX_DECODE_ROUNDS)}61dmin`; // needs MAX_DECODE_ROUNDS + 1 rounds to read 'admin'
    assert.equal(lenientPath(deep).undecided, true);
    assert.equal(isProtectedTarget(deep), true);
    assert.equal(lenientPath('/%2561dmin').undecided, false);
  });
});

describe('isProtectedTarget', () => {
  it('public paths are not protected, nor are look-alikes that no router maps onto /admin', () => {
    for (const p of ['/', '/healthz', '/readyz', '/metrics', '/try', '/try/ask', '/wecom/callback', '/wecom/aibot/callback', '/dingtalk/callback', '/feishu/callback', '/administrator', '/consoles', '/x/admin'])
      assert.equal(isProtectedTarget(p), false, p);
  });

  it('every re-spelling of an admin or console path is protected (random case, escapes, slashes, dot segments)', () => {
    const path = fc.constantFrom('/admin/notices', '/admin/broadcasts/b-1/recipients.csv', '/admin/policies/p-1', '/admin', '/console', '/console/app.js');
    const respell = fc.record({
      caseFlips: fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
      encode: fc.array(fc.constantFrom(0, 0, 0, 1, 2), { minLength: 40, maxLength: 40 }),
      slash: fc.constantFrom('/', '//', '/./', '\\', '%2F', '%252F', '/x/../'),
      trailing: fc.constantFrom('', '/', '/.', '//', '?q=1', '#f'),
      lead: fc.constantFrom('', '/.', '/x/..', '/..', '//', 'http://h'),
    });
    fc.assert(
      fc.property(path, respell, (p, r) => {
        const chars = [...p].map((c, i) => {
          if (c === '/') return c;
          const cased = r.caseFlips[i] ? c.toUpperCase() : c;
          const hex = c.charCodeAt(0).toString(16).padStart(2, '0');
          return r.encode[i] === 1 ? `%${hex}` : r.encode[i] === 2 ? `%25${hex}` : cased;
        });
        const segments = chars.join('').split('/');
        const target = `${r.lead}/${segments.slice(1).join(r.slash)}${r.trailing}`;
        return isProtectedTarget(target);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('isCanonicalProtectedPath', () => {
  it('accepts only the exact lower-case prefix with plain segments', () => {
    for (const p of ['/admin', '/admin/notices', '/admin/notices/n-k3v9q2x7ma/versions/1', '/admin/broadcasts/b-1/recipients.csv', '/admin/policies/a%3Ab', '/console/app.js'])
      assert.equal(isCanonicalProtectedPath(p), true, p);
    for (const p of [
      '/ADMIN/notices', '/Admin/notices', '/%61dmin/notices', '/admin/notices/', '//admin/notices', '/admin//notices', '/admin/./notices',
      '/admin/../admin/notices', '/admin/.hidden', '/admin/notices%2Fx', '/admin/%2e%2e', '/admin/x%25', '/admin/x%5Cy', '/admin/x%00',
      '/admin;x/notices', '/admin/notices;x', '/admin/x y', '/admin\\notices', 'admin/notices', '/healthz',
    ])
      assert.equal(isCanonicalProtectedPath(p), false, p);
  });
});
