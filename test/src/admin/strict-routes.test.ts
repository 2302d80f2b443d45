/**
 * The admin router on its own holds, without the guard in front of it (src/admin/surface.ts):
 * mounted on a bare Koa app, its routes are strict and case-sensitive and each carries the Bearer
 * check in its own stack, so every spelling of every admin route (read from the router) is refused
 * without a token — the exact one with 401, the others with 401, 404 or 405 — and nothing is stored.
 * The same walk passes a lenient router plus `use()` middleware on an unguarded app only by luck
 * of spelling; this one fails on it (`/ADMIN/notices` was 201).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { startTestBot, type TestBot } from '../../helpers/app.ts';
import { NOTICE, POLICY, bodyFor, concrete, rawRequest, refusedByParser, spellings, sqliteSnapshot } from '../../helpers/admin-walk.ts';
import { startFakeWecom, type FakeWecom } from '../../fakes/wecom-api.ts';
import { WECOM, wecomEnv } from '../../resilience/harness.ts';
import { strictRouter } from '../../../src/http/routing.ts';
import { mountAdminRoutes } from '../../../src/admin/routes.ts';
import { createLogger } from '../../../src/log.ts';

const TOKEN = 'strict-routes-admin-token-0123456789';

describe('the admin router alone (no guard in front)', () => {
  let fake: FakeWecom;
  let bot: TestBot;
  let server: Server;
  let base: URL;
  const router = strictRouter();
  const ids = { notice: '', broadcast: '', policy: '' };

  before(async () => {
    fake = await startFakeWecom({ corpId: WECOM.corpId, secret: WECOM.secret, agentId: Number(WECOM.agentId) });
    bot = await startTestBot({ ...wecomEnv(fake.url), ADMIN_TOKEN: TOKEN }, { noticeWorker: false, logLevel: 'warn' });
    const admin = async (path: string, body: unknown) => {
      const r = await fetch(`${bot.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(r.status, 201, path);
      return ((await r.json()) as { id: string }).id;
    };
    ids.notice = await admin('/admin/notices', NOTICE);
    ids.broadcast = await admin('/admin/broadcasts', { noticeId: ids.notice, platform: 'wecom', audience: { userIds: ['zhangsan'] } });
    ids.policy = await admin('/admin/policies', POLICY);
    await bot.server.idle();
    // The same services, mounted on a bare app: only the router and its routes' own checks.
    mountAdminRoutes(router, { service: bot.core.notices, policies: bot.core.policies, token: TOKEN, log: createLogger('silent') });
    const app = new Koa();
    app.use(router.routes());
    app.use(router.allowedMethods());
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  after(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await bot?.close();
    await fake?.close();
  });

  it('refuses every spelling of every route without a valid token; nothing is stored', async (t) => {
    const layers = router.stack.filter((l) => l.methods.length > 0 && typeof l.path === 'string');
    assert.ok(layers.length >= 15, `admin routes: ${layers.length}`);
    const before = sqliteSnapshot(bot.config.dataDir);
    const leaks: string[] = [];
    let sent = 0;
    for (const layer of layers) {
      const template = layer.path as string;
      const path = concrete(template, ids);
      for (const target of [path, ...spellings(path, [], base.origin)]) {
        for (const method of layer.methods) {
          for (const auth of [undefined, `Bearer ${TOKEN}x`]) {
            const body = bodyFor(method, template, ids);
            const a = await rawRequest(base, method, target, { ...(auth ? { authorization: auth } : {}), 'content-type': 'application/json' }, body);
            sent++;
            const want = target === path ? [401] : [401, 404, 405];
            if (!want.includes(a.status) && !refusedByParser(target, a)) leaks.push(`${method} ${target} -> ${a.status}`);
          }
        }
      }
    }
    t.diagnostic(`${layers.length} routes, ${sent} requests, ${leaks.length} not refused`);
    assert.deepEqual(leaks.slice(0, 30), []);
    assert.deepEqual(sqliteSnapshot(bot.config.dataDir), before, 'the store changed');
  });

  it('every admin route carries the checks in its own middleware stack (handler last)', () => {
    for (const layer of router.stack.filter((l) => l.methods.length > 0)) {
      assert.ok(layer.stack.length >= 3, `${layer.methods.join(',')} ${String(layer.path)}: ${layer.stack.length} middleware`);
    }
    assert.equal(router.stack.filter((l) => l.methods.length === 0).length, 0, 'no path-less use() middleware: checks belong to the routes');
  });
});
