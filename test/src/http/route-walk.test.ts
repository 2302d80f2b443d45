/**
 * The admin surface walked route by route: every route the server's router has mounted (read from
 * `server.router.stack` at run time, not a hand list) — the admin and policy API, the platform
 * callbacks (WeCom, AI bot, DingTalk, Feishu), /try, /healthz, /readyz, /metrics — with every platform and the admin API on.
 *
 * For each route under /admin and /console (the page, its scripts and /console/api) every spelling a router or a proxy might
 * take for the same path — letter case, trailing and doubled slashes, percent-encoded letters and
 * slashes (also double-encoded), dot segments (also reached from each public route), backslashes,
 * `;` parameters, the absolute form — is sent with every method the route accepts plus OPTIONS,
 * with no Authorization header and with a wrong token. No answer may be 2xx or 3xx, and a snapshot
 * of the whole store (every row of every SQLite table; on Redis every key under the test's prefix,
 * as DUMP bytes) is identical before and after. Public routes under another spelling answer 404
 * (strict, case-sensitive routing), so no other spelling reaches a handler either.
 *
 * Runs on the embedded SQLite store and on Redis (127.0.0.1:6379, a private key prefix).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { startTestBot, type TestBot } from '../../helpers/app.ts';
import { deleteRedisPrefix } from '../../helpers/redis-prefix.ts';
import { startFakeWecom, type FakeWecom } from '../../fakes/wecom-api.ts';
import { startFakeDingtalk, type FakeDingtalk } from '../../fakes/dingtalk-api.ts';
import { startFakeFeishu, type FakeFeishu } from '../../fakes/feishu-api.ts';
import { AIBOT, DING, SHARED_REDIS_URL, WECOM, dingEnv, feishuEnv, uniquePrefix, wecomEnv } from '../../resilience/harness.ts';
import { GUARD_CODES, NOTICE, POLICY, bodyFor, concrete, publicSpellings, rawRequest, redisSnapshot, refusedByParser, spellings, sqliteSnapshot } from '../../helpers/admin-walk.ts';

const TOKEN = 'route-walk-admin-token-0123456789abcdef';
const WRONG = [undefined, `Bearer ${TOKEN.slice(0, -1)}x`] as const;

/** Routes anyone may reach without the admin token (the platforms, the operator's probes, the try page). */
const PUBLIC_ROUTES = new Set([
  'GET /', 'GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /try', 'POST /try/ask',
  'GET /wecom/callback', 'POST /wecom/callback', 'GET /wecom/aibot/callback', 'POST /wecom/aibot/callback', 'POST /dingtalk/callback',
  'POST /feishu/callback',
]);
/** First path segments that only the admin (and the console) may reach. */
const PROTECTED = /^\/(admin|console)(\/|$)/;
/**
 * The console's page and scripts, the list of platform sign-ins the sign-in page offers and the texts of the
 * adapters' error codes (the sign-in page words errors too): served to anyone inside ADMIN_ALLOW_FROM at their
 * exact path (the sign-in page must load before a session exists); they read files, platform ids or fixed
 * texts and change nothing.
 */
const CONSOLE_PAGE = /^\/console(\/assets\/[\w.-]+|\/api\/login\/platforms|\/api\/error-texts)?$/;

/**
 * The snapshot without the platforms' pace counters (`…:kv:pace:…`): rate windows of a few seconds
 * to a minute that expire on their own whether or not a request came (the setup's broadcast reads
 * the WeCom directory for the recipients' names, through those gates).
 */
function withoutPaceCounters(snapshot: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(snapshot).filter(([k]) => !k.includes(':kv:pace:')));
}

for (const kind of ['sqlite', 'redis'] as const) {
  describe(`admin surface, every mounted route walked (${kind} store)`, () => {
    let fake: FakeWecom;
    let ding: FakeDingtalk;
    let feishu: FakeFeishu;
    let bot: TestBot;
    const prefix = uniquePrefix('route-walk');
    const ids = { notice: '', broadcast: '', policy: '' };
    const snapshot = async () => ({
      sqlite: existsSync(bot.config.dataDir) ? sqliteSnapshot(bot.config.dataDir) : {},
      redis: kind === 'redis' ? withoutPaceCounters(await redisSnapshot(SHARED_REDIS_URL, prefix)) : {},
    });

    before(async () => {
      fake = await startFakeWecom({ corpId: WECOM.corpId, secret: WECOM.secret, agentId: Number(WECOM.agentId) });
      ding = await startFakeDingtalk({ appKey: DING.appKey, appSecret: DING.appSecret, robotCode: DING.robotCode });
      feishu = await startFakeFeishu();
      bot = await startTestBot(
        { ...wecomEnv(fake.url), ...dingEnv(ding.apiBase), WECOM_AIBOT_TOKEN: AIBOT.token, WECOM_AIBOT_ENCODING_AES_KEY: AIBOT.encodingAESKey, ...feishuEnv(feishu), ADMIN_TOKEN: TOKEN },
        { ...(kind === 'redis' ? { redis: { url: SHARED_REDIS_URL, keyPrefix: prefix } } : {}), noticeWorker: false, logLevel: 'warn' },
      );
      // Something for every :id to point at, made the proper way.
      const admin = async (method: string, path: string, body: unknown) => {
        const r = await fetch(`${bot.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        assert.equal(r.status, 201, `${method} ${path}: ${await r.clone().text()}`);
        return (await r.json()) as { id: string };
      };
      ids.notice = (await admin('POST', '/admin/notices', NOTICE)).id;
      ids.broadcast = (await admin('POST', '/admin/broadcasts', { noticeId: ids.notice, platform: 'wecom', audience: { userIds: ['zhangsan'] } })).id;
      ids.policy = (await admin('POST', '/admin/policies', POLICY)).id;
      await bot.server.idle();
    });
    after(async () => {
      await bot?.close();
      await fake?.close();
      await ding?.close();
      await feishu?.close();
      if (kind === 'redis') await deleteRedisPrefix(SHARED_REDIS_URL, prefix);
    });

    it('no spelling of an admin route gets through without the token, and the store does not change', async (t) => {
      const layers = bot.server.router.stack.filter((l) => l.methods.length > 0 && typeof l.path === 'string');
      const routes = layers.flatMap((l) => l.methods.filter((m) => m !== 'HEAD').map((m) => ({ method: m, template: l.path as string, methods: l.methods })));
      const admin = routes.filter((r) => PROTECTED.test(r.template.toLowerCase()));
      const open = routes.filter((r) => !PROTECTED.test(r.template.toLowerCase()));
      // Every route is either behind the admin surface or one of the known public ones: a new route elsewhere must be classified here.
      for (const r of open) assert.ok(PUBLIC_ROUTES.has(`${r.method} ${r.template}`), `route ${r.method} ${r.template} is neither under /admin nor a known public route`);
      assert.deepEqual(new Set(open.map((r) => `${r.method} ${r.template}`)), PUBLIC_ROUTES, 'every public route is mounted (every platform on)');
      assert.ok(admin.length >= 15, `admin routes mounted: ${admin.length}`);

      const before = await snapshot();
      const base = new URL(bot.url);
      const publicPaths = [...new Set(open.map((r) => r.template))];
      let sent = 0;
      const leaks: string[] = [];
      // The mounted admin routes, and the reserved console (no route yet: it must be refused just the same).
      const walked = [
        ...layers.filter((l) => PROTECTED.test((l.path as string).toLowerCase())).map((l) => ({ template: l.path as string, methods: l.methods })),
        { template: '/console', methods: ['HEAD', 'GET', 'POST'] },
        { template: '/console/index.html', methods: ['HEAD', 'GET', 'POST', 'PUT', 'DELETE'] },
      ];
      for (const layer of walked) {
        const template = layer.template;
        const path = concrete(template, ids);
        for (const target of [path, ...spellings(path, publicPaths, bot.url)]) {
          for (const method of [...layer.methods, 'OPTIONS']) {
            for (const auth of WRONG) {
              const body = bodyFor(method, template, ids);
              const headers: Record<string, string> = { ...(auth ? { authorization: auth } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) };
              const a = await rawRequest(base, method, target, headers, body);
              sent++;
              const isConsole = template.startsWith('/console');
              if (isConsole && CONSOLE_PAGE.test(template) && target === path && ['GET', 'HEAD', 'OPTIONS'].includes(method)) continue;
              // "Who is signed in?" answers without a session — nobody: 200 {"signedIn": false}, and nothing else.
              if (template === '/console/api/session' && target === path && (method === 'GET' || method === 'HEAD') && a.status === 200) {
                if (method === 'GET' && a.text !== '{"signedIn":false}') leaks.push(`${method} ${target} (${auth ? 'wrong token' : 'no token'}) -> ${a.text}`);
                continue;
              }
              // The console ignores Bearer tokens: its routes answer 401 without a session (or 4xx for a bad
              // body / method), never 2xx — the guard refuses every other spelling, the router the rest.
              const fromGuard =
                refusedByParser(target, a) ||
                (method === 'HEAD' ? [401, 403, 404].includes(a.status) : isConsole ? a.status >= 400 : a.code !== undefined && GUARD_CODES.has(a.code));
              if ((a.status >= 200 && a.status < 400) || a.location !== undefined || !fromGuard) {
                leaks.push(`${method} ${target} (${auth ? 'wrong token' : 'no token'}) -> ${a.status} ${a.code ?? ''}`.trimEnd());
              }
            }
          }
        }
      }
      for (const r of open) {
        for (const target of publicSpellings(r.template)) {
          const a = await rawRequest(base, r.method, target, { 'content-type': 'application/json' }, r.method === 'POST' ? '{}' : undefined);
          sent++;
          if (a.status !== 404 && !refusedByParser(target, a)) leaks.push(`${r.method} ${target} (public route, other spelling) -> ${a.status}, want 404`);
        }
      }
      await bot.server.idle();
      const afterwards = await snapshot();
      const byStatus: Record<string, number> = {};
      for (const l of leaks) byStatus[l.slice(l.lastIndexOf(' ') + 1)] = (byStatus[l.slice(l.lastIndexOf(' ') + 1)] ?? 0) + 1;
      const changed = Object.keys({ ...before.sqlite, ...afterwards.sqlite, ...before.redis, ...afterwards.redis }).filter(
        (k) => !isDeepStrictEqual(before.sqlite[k] ?? before.redis[k], afterwards.sqlite[k] ?? afterwards.redis[k]),
      );
      t.diagnostic(
        `${admin.length} admin routes and ${open.length} public routes read from the router; ${sent} requests; ${leaks.length} got through ${JSON.stringify(byStatus)}; ` +
          `store ${changed.length ? `changed (${changed.length} tables/keys)` : 'unchanged'}`,
      );
      assert.deepEqual(leaks.slice(0, 40), [], `${leaks.length} requests got through`);
      assert.deepEqual(afterwards, before, 'the store changed');
      assert.ok(Object.keys(kind === 'redis' ? before.redis : before.sqlite).length > 0, 'the snapshot saw the store');
    });

    it('the right token on the exact path still works (the walk above is not just a broken admin API); other spellings are 404 even with it', async () => {
      const base = new URL(bot.url);
      const auth = { authorization: `Bearer ${TOKEN}` };
      for (const path of ['/admin/notices', `/admin/broadcasts/${ids.broadcast}`, `/admin/policies/${ids.policy}`, `/admin/broadcasts/${ids.broadcast}/recipients.csv`]) {
        assert.equal((await rawRequest(base, 'GET', path, auth)).status, 200, `GET ${path}`);
        for (const target of spellings(path, [], bot.url)) {
          const a = await rawRequest(base, 'GET', target, auth);
          if (!refusedByParser(target, a)) assert.equal(a.status, 404, `GET ${target} with the token`);
        }
      }
    });
  });
}
