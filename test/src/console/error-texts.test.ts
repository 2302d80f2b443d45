/**
 * The console words the server's errors in its own languages (src/console/ui/errors.js, PB_ERRORS): every code a
 * console endpoint can answer with — each catalogued code as the console's error middleware (jsonErrors) would
 * answer it (5xx codes not exposed become INTERNAL), without the codes of start-up, the CLI, /try and the Bearer-only
 * admin API, plus the adapters' audience codes — has a Chinese and an English text, either in errors.js or (the
 * adapters' codes) beside the adapters (adapters/errors.ts ADAPTER_CONSOLE_TEXTS, served by GET /console/api/error-texts
 * and added by PB_ERRORS.addCodes); so does every case of a code the server names (detail.kind) and every kind of CSV
 * row problem.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import type { Context } from 'koa';
import pino from 'pino';
import { BotError, ERRORS } from '../../../src/errors.ts';
import { ADAPTER_CONSOLE_TEXTS, ADAPTER_ERRORS } from '../../../adapters/errors.ts';
import { jsonErrors } from '../../../src/admin/routes.ts';

const root = new URL('../../../', import.meta.url).pathname;
type Text = string | ((params: Record<string, unknown>, message?: string) => string);
type Table = Record<'zh' | 'en', Record<string, Text>>;
type Errors = { codes: Table; cases: Table; rows: Table; addCodes(codes: unknown): void };
/** PB_ERRORS as errors.js defines it, before the server's texts are added. */
function load(): Errors {
  const sandbox: { window: { PB_ERRORS?: Errors } } = { window: {} };
  runInNewContext(readFileSync(join(root, 'src/console/ui/errors.js'), 'utf8'), sandbox);
  return sandbox.window.PB_ERRORS!;
}
/** The body of GET /console/api/error-texts as src/app wires it (src/console/server.ts). */
const served = { codes: { zh: {} as Record<string, string>, en: {} as Record<string, string> } };
for (const [code, text] of Object.entries(ADAPTER_CONSOLE_TEXTS)) {
  served.codes.zh[code] = text!.zh;
  served.codes.en[code] = text!.en;
}
const T = load();
T.addCodes(served.codes);

/** Codes no /console/api route can answer with: start-up, the CLI, evaluation files, /try, the Bearer token of /admin. */
const NOT_CONSOLE = new Set(['CONFIG_INVALID', 'KB_INVALID', 'PORT_IN_USE', 'PORT_NOT_ALLOWED', 'HOST_UNAVAILABLE', 'KB_LEXICON_INVALID', 'CLI_USAGE', 'CLI_FAILED', 'EVAL_BAD_FILE', 'ADMIN_UNAUTHORIZED', 'TRY_BAD_REQUEST', 'TRY_BAD_JSON', 'TRY_BAD_BODY', 'TRY_NOT_JSON_TYPE', 'TRY_RATE_LIMITED']);
/** The adapters' codes for an audience the platform refuses (preview, prepare). */
const ADAPTER_AUDIENCE = ['DINGTALK_BAD_AUDIENCE', 'DINGTALK_UNKNOWN_DEPARTMENT', 'FEISHU_BAD_AUDIENCE', 'FEISHU_DEPARTMENT_OUT_OF_SCOPE'];

/** The code the console's error middleware answers for an error of `code` with `status`. */
async function answered(code: string, status: number): Promise<string> {
  const ctx = { path: '/console/api/x', status: 200, body: undefined as unknown } as unknown as Context;
  await jsonErrors(pino({ level: 'silent' }))(ctx, async () => {
    throw new BotError(code, 'm', { status });
  });
  return (ctx.body as { error: { code: string } }).error.code;
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : n.endsWith('.ts') ? [join(dir, n)] : []));
}

function check(table: Table, keys: Iterable<string>): string[] {
  const missing: string[] = [];
  for (const key of keys) {
    for (const lang of ['zh', 'en'] as const) {
      const v = table[lang][key];
      const text = typeof v === 'function' ? v({}, 'server message') : v;
      if (typeof text !== 'string' || text.trim() === '') missing.push(`${lang} ${key}`);
      else if (lang === 'zh' && !/[\u4e00-\u9fff]/.test(text)) missing.push(`zh ${key} is not Chinese: ${text}`);
    }
  }
  return missing;
}

describe('console error texts', () => {
  it('every code a console endpoint can answer with has a zh-CN and an en text', async () => {
    const codes = new Set<string>(ADAPTER_AUDIENCE);
    for (const [code, spec] of Object.entries(ERRORS)) if (!NOT_CONSOLE.has(code)) codes.add(await answered(code, spec.status));
    assert.ok(codes.has('INTERNAL') && codes.has('CONSOLE_BAD_ACCOUNT') && codes.has('STORE_UNAVAILABLE') && !codes.has('PLATFORM_THROTTLED'), 'hidden 5xx codes answer INTERNAL');
    for (const c of ADAPTER_AUDIENCE) assert.ok(c in ADAPTER_ERRORS, `${c} is catalogued`);
    assert.ok(codes.size > 40, `${codes.size} codes`);
    assert.deepEqual(check(T.codes, codes), []);
  });

  it('the adapters\' codes are worded beside the adapters, not in the console page, and keep the server\'s message', () => {
    const bare = load();
    for (const c of ADAPTER_AUDIENCE) {
      assert.ok(!(c in bare.codes.zh) && !(c in bare.codes.en), `${c} is not worded in errors.js`);
      assert.ok(c in ADAPTER_CONSOLE_TEXTS, `${c} has texts in adapters/errors.ts`);
    }
    const zh = T.codes.zh.FEISHU_BAD_AUDIENCE!;
    assert.equal(typeof zh === 'function' ? zh({}, 'departmentIds: empty') : zh, '发送对象不符合飞书的要求：departmentIds: empty');
    // A code errors.js words already keeps its own text.
    const before = T.codes.en.INTERNAL;
    T.addCodes({ en: { INTERNAL: 'x' } });
    assert.equal(T.codes.en.INTERNAL, before);
  });

  it('the codes left out are raised by none of the console\'s modules', () => {
    const dirs = ['src/console', 'src/admin', 'src/notices', 'src/policies', 'src/archiving', 'src/evidence'];
    // src/admin/auth.ts is the Bearer check of /admin alone (ADMIN_UNAUTHORIZED); the console has sessions instead.
    const raised = dirs.flatMap((d) => files(join(root, d))).filter((f) => !f.endsWith('src/admin/auth.ts')).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/(?:requestError|botError|Error)\(\s*'([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1]!));
    assert.ok(raised.length > 30);
    assert.deepEqual(raised.filter((c) => NOT_CONSOLE.has(c)), []);
  });

  it('every case the server names (detail.kind) and every kind of CSV row problem has a zh-CN and an en text', () => {
    const accounts = readFileSync(join(root, 'src/console/accounts.ts'), 'utf8');
    const cases = [...accounts.matchAll(/kind: '([a-z_]+)'|, '(password_[a-z]+)'/g)].map((m) => `CONSOLE_BAD_ACCOUNT.${m[1] ?? m[2]}`);
    assert.deepEqual(cases.filter((c) => c.includes('password')).sort(), ['password_guessable', 'password_long', 'password_name', 'password_same', 'password_short'].map((k) => `CONSOLE_BAD_ACCOUNT.${k}`));
    assert.deepEqual(check(T.cases, cases), []);
    const server = readFileSync(join(root, 'src/console/server.ts'), 'utf8');
    const sources = [readFileSync(join(root, 'src/archiving/status.ts'), 'utf8'), server.slice(server.indexOf('export function parseUserIdCsv'))];
    const rowKinds = new Set(sources.flatMap((text) => [...text.matchAll(/kind: '([a-z_]+)'/g)].map((m) => m[1]!)));
    assert.ok(rowKinds.has('duplicate') && rowKinds.has('user_id_empty') && rowKinds.size >= 14, [...rowKinds].join());
    assert.deepEqual(check(T.rows, rowKinds), []);
  });

  it('texts take their parameters', () => {
    const short = T.cases.zh['CONSOLE_BAD_ACCOUNT.password_short']!;
    assert.equal(typeof short === 'function' ? short({ min: 12 }) : short, '新密码太短：至少 12 个字符');
    const dup = T.rows.en.duplicate!;
    assert.equal(typeof dup === 'function' ? dup({ first: 2 }) : dup, 'duplicate of line 2 (same platform and userId)');
  });
});
