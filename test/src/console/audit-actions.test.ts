/**
 * The operation log in words (src/console/audit-actions.ts): every audited console route — each change (POST, PUT,
 * DELETE through the admin declaration or the console's own routes, session routes and read-only POSTs aside) and each
 * export (GET …csv / …xlsx) — is named in AUDIT_ACTIONS; entries read with their parameters in zh and en; a refusal
 * says so; an unknown action reads as it is.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AUDIT_ACTIONS, describeAudit } from '../../../src/console/audit-actions.ts';

const root = new URL('../../../', import.meta.url).pathname;
const SOURCES = ['src/admin/routes.ts', 'src/admin/policies.ts', 'src/admin/evidence.ts', 'src/console/server.ts', 'src/console/account-routes.ts'];
/** Routes not audited through the route guard: the session's own (logged as sign-in / sign-out). */
const NOT_ROUTE_AUDITED = new Set(['POST /console/api/session', 'DELETE /console/api/session']);

describe('operation log in words', () => {
  it('names every audited console route', () => {
    const audited = new Set<string>();
    for (const f of SOURCES) {
      for (const m of readFileSync(root + f, 'utf8').matchAll(/\b(?:admin|consoleRoutes|api)\.(post|put|delete|get)\('([^']+)'/g)) {
        const [method, path] = [m[1]!.toUpperCase(), m[2]!];
        if (method === 'GET' && !/\.(csv|xlsx)$/.test(path)) continue;
        audited.add(`${method} /console/api${path}`);
      }
    }
    for (const r of NOT_ROUTE_AUDITED) audited.delete(r);
    assert.ok(audited.size >= 20, `${audited.size} routes`);
    assert.deepEqual([...audited].filter((r) => !(r in AUDIT_ACTIONS)), []);
  });

  it('reads an entry with its parameters, the title looked up, in zh and en', () => {
    const title = (n: string, v?: number) => (n === 'n-1' && v === 2 ? { zh: '年度告知', en: 'Annual notice' } : undefined);
    const at = '2026-12-05T12:00:00.000Z';
    const e = (action: string, extra: object = {}) => ({ seq: 1, at, actor: 'hr.li', action, status: 200, ...extra });
    assert.deepEqual(describeAudit(e('POST /console/api/broadcasts/:id/confirm', { target: 'b-1', details: { notice: 'n-1', version: 2, count: 30 } }), title), {
      zh: '发送通知《年度告知》v2 给 30 人', en: 'Sent notice "Annual notice" v2 to 30 people',
    });
    assert.deepEqual(describeAudit(e('POST /console/api/broadcasts/:id/resend', { details: { notice: 'n-1', version: 2, count: 7, only: 'unacknowledged' } }), title), {
      zh: '提醒未确认的 7 人：《年度告知》v2', en: 'Reminded the 7 unacknowledged: "Annual notice" v2',
    });
    assert.equal(describeAudit(e('DELETE /console/api/policies/:id', { target: 'p-9' }), title).zh, '撤回政策 p-9');
    assert.equal(describeAudit(e('POST /console/api/statuses/import', { details: { rows: 12 } }), title).zh, '导入状态 12 行');
    assert.equal(describeAudit(e('POST /console/api/accounts', { target: 'legal.wang', details: { role: 'auditor' } }), title).zh, '添加管理员 legal.wang（auditor）');
    assert.equal(describeAudit(e('sign-in (wecom)'), title).en, 'Signed in with wecom');
    // The notice gone (or an old entry without details): its id.
    assert.equal(describeAudit(e('POST /console/api/broadcasts/:id/cancel', { details: { notice: 'n-2', version: 1 } }), title).zh, '取消发送n-2 v1');
    assert.deepEqual(describeAudit({ ...e('POST /console/api/broadcasts'), status: 403 }, title), { zh: '发送通知（未成功，403）', en: 'Sent notice (refused, 403)' });
    assert.deepEqual(describeAudit(e('PATCH /console/api/something'), title), { zh: 'PATCH /console/api/something', en: 'PATCH /console/api/something' });
  });
});
