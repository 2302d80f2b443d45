/**
 * The admin surface walked route by route: every route the server's router has mounted (read from
 * `server.router.stack` at run time, not a hand list) — the admin and policy API, the platform
 * callbacks, /try, /healthz, /readyz, /metrics — with every platform and the admin API on.
 *
 * For each route under /admin (and the reserved /console) every spelling a router or a proxy might
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
import { existsSync, readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { startTestBot, type TestBot } from '../../helpers/app.ts';
import { deleteRedisPrefix } from '../../helpers/redis-prefix.ts';
import { startFakeWecom, type FakeWecom } from '../../fakes/wecom-api.ts';
import { startFakeDingtalk, type FakeDingtalk } from '../../fakes/dingtalk-api.ts';
import { AIBOT, DING, SHARED_REDIS_URL, WECOM, dingEnv, uniquePrefix, wecomEnv } from '../../resilience/harness.ts';
import { openRedisStore } from '../../../src/store/redis.ts';
import { openRedisNoticeStore } from '../../../src/store/notices-redis.ts';
import { openRedisPolicyStore } from '../../../src/store/policies-redis.ts';

const TOKEN = 'route-walk-admin-token-0123456789abcdef';
const WRONG = [undefined, `Bearer ${TOKEN.slice(0, -1)}x`] as const;

/** Routes anyone may reach without the admin token (the platforms, the operator's probes, the try page). */
const PUBLIC_ROUTES = new Set([
  'GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /try', 'POST /try/ask',
  'GET /wecom/callback', 'POST /wecom/callback', 'GET /wecom/aibot/callback', 'POST /wecom/aibot/callback', 'POST /dingtalk/callback',
]);
/** First path segments that only the admin (and the console to come) may reach. */
const PROTECTED = /^\/(admin|console)(\/|$)/;

const NOTICE = { title: { zh: '会话存档告知', en: 'Archiving notice' }, body: { zh: '正文', en: 'Body' } };
const POLICY = {
  platform: 'wecom',
  audience: { userIds: ['zhangsan'] },
  since: '2026-03-01',
  scope: '单聊和群聊',
  retention: '3 年',
  purpose: '合规审计',
  legalBasis: '《个人信息保护法》第十三条第一款第二项',
  viewers: ['合规部'],
};

interface Answer {
  status: number;
  location: string | undefined;
}

/** One request with the request target exactly as given (fetch would normalise it first). */
function rawRequest(base: URL, method: string, target: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: base.hostname, port: base.port, method, path: target, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Every spelling of `path` (a concrete /admin/… path) that a lenient router or a proxy could map back onto it. */
function spellings(path: string, publicPaths: string[], origin: string): string[] {
  const [, first, rest = ''] = /^\/([^/]+)(.*)$/.exec(path)!;
  const enc = (s: string) => [...s].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`).join('');
  const out = new Set<string>([
    // letter case
    path.toUpperCase(),
    `/${first!.toUpperCase()}${rest}`,
    `/${first![0]!.toUpperCase()}${first!.slice(1)}${rest}`,
    `/${[...first!].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('')}${rest}`,
    `/${first}${rest.toUpperCase()}`,
    // trailing and doubled slashes
    `${path}/`,
    `${path}//`,
    `/${path}`,
    `//${first}//${rest.slice(1)}`,
    path.replaceAll('/', '//'),
    // percent-encoded letters and slashes, single and double
    `/${enc(first!)}${rest}`,
    `/${enc(first!).toLowerCase()}${rest}`,
    `/%${first!.charCodeAt(0).toString(16)}${first!.slice(1)}${rest}`,
    `/%25${first!.charCodeAt(0).toString(16)}${first!.slice(1)}${rest}`,
    `/${first}${rest.replaceAll('/', '%2F')}`,
    `/${first}${rest.replaceAll('/', '%2f')}`,
    `%2F${first}${rest}`,
    `/%2F${first}${rest}`,
    `/${first}${rest.replaceAll('/', '%252F')}`,
    `/${enc(first!.toUpperCase())}${rest}`,
    // dot segments
    `/./${first}${rest}`,
    `/x/../${first}${rest}`,
    `/${first}/.${rest}`,
    `/${first}/x/..${rest}`,
    `${path}/.`,
    `/%2e/${first}${rest}`,
    `/x/%2e%2e/${first}${rest}`,
    `/x/%2E%2E%2F${first}${rest}`,
    `/x/..%2F${first}${rest}`,
    `/..${path}`,
    `/X/../${first!.toUpperCase()}${rest}`,
    // other separators and parameters some servers strip or translate
    `/${first}${rest.replaceAll('/', '\\')}`,
    `\\${first}${rest}`,
    `/${first};x=1${rest}`,
    `/${first}.${rest}`,
    // absolute form of the request target
    `${origin}${path.toUpperCase()}`,
    `${origin}/x/../${first}${rest}`,
  ]);
  // From every public route back up into the admin path.
  for (const p of publicPaths) {
    const ups = p.split('/').filter(Boolean).map(() => '..');
    out.add(`${p}/${ups.join('/')}${path}`);
    out.add(`${p}/${ups.join('%2F')}${path}`);
    out.add(`${p.toUpperCase()}/${ups.join('/')}${path.toUpperCase()}`);
  }
  out.delete(path);
  return [...out];
}

/** Other spellings of a public route: each must answer 404 under strict, case-sensitive routing. */
function publicSpellings(path: string): string[] {
  const [, first, rest = ''] = /^\/([^/]+)(.*)$/.exec(path)!;
  return [path.toUpperCase(), `/${first![0]!.toUpperCase()}${first!.slice(1)}${rest}`, `${path}/`, `/${path}`, `/%${first!.charCodeAt(0).toString(16)}${first!.slice(1)}${rest}`];
}

/** A concrete path for a route template: each `:param` replaced by an id the store really holds. */
function concrete(template: string, ids: { notice: string; broadcast: string; policy: string }): string {
  return template.replace(/\/([^/]+)\/:(\w+)/g, (_m, parent: string, name: string) => {
    const value = name === 'version' ? '1' : parent === 'notices' ? ids.notice : parent === 'broadcasts' ? ids.broadcast : parent === 'policies' ? ids.policy : 'x';
    return `/${parent}/${value}`;
  });
}

/** A body that the route's handler would accept (so a request that got through would change the store). */
function bodyFor(method: string, template: string, ids: { notice: string }): string | undefined {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return undefined;
  if (/\/notices(\/:id)?$/.test(template)) return JSON.stringify(NOTICE);
  if (template.endsWith('/broadcasts')) return JSON.stringify({ noticeId: ids.notice, platform: 'wecom', audience: { userIds: ['zhangsan'] } });
  if (template.endsWith('/policies')) return JSON.stringify(POLICY);
  if (template.endsWith('/resend')) return JSON.stringify({ only: 'unacknowledged' });
  return '{}';
}

/** Every row of every table of every SQLite file in `dataDir`, as sorted JSON. */
function sqliteSnapshot(dataDir: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const file of readdirSync(dataDir).filter((f) => f.endsWith('.db'))) {
    const db = new Database(join(dataDir, file), { readonly: true, fileMustExist: true });
    try {
      const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[];
      for (const { name } of tables) {
        const rows = db.prepare(`SELECT * FROM "${name.replaceAll('"', '""')}"`).all();
        out[`${file}:${name}`] = rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v))).sort();
      }
    } finally {
      db.close();
    }
  }
  return out;
}

/** Every key under `prefix` with its type and DUMP bytes. */
async function redisSnapshot(url: string, prefix: string): Promise<Record<string, string>> {
  const c = new Redis(url);
  try {
    const out: Record<string, string> = {};
    let cursor = '0';
    do {
      const [next, keys] = await c.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const k of keys) out[k] = `${await c.type(k)}:${((await c.dumpBuffer(k)) ?? Buffer.alloc(0)).toString('hex')}`;
    } while (cursor !== '0');
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
  } finally {
    c.disconnect();
  }
}

for (const kind of ['sqlite', 'redis'] as const) {
  describe(`admin surface, every mounted route walked (${kind} store)`, () => {
    let fake: FakeWecom;
    let ding: FakeDingtalk;
    let bot: TestBot;
    const prefix = uniquePrefix('route-walk');
    const ids = { notice: '', broadcast: '', policy: '' };
    const snapshot = async () => ({
      sqlite: existsSync(bot.config.dataDir) ? sqliteSnapshot(bot.config.dataDir) : {},
      redis: kind === 'redis' ? await redisSnapshot(SHARED_REDIS_URL, prefix) : {},
    });

    before(async () => {
      fake = await startFakeWecom({ corpId: WECOM.corpId, secret: WECOM.secret, agentId: Number(WECOM.agentId) });
      ding = await startFakeDingtalk({ appKey: DING.appKey, appSecret: DING.appSecret, robotCode: DING.robotCode });
      const stores =
        kind === 'redis'
          ? {
              store: await openRedisStore(SHARED_REDIS_URL, { keyPrefix: prefix }),
              noticeStore: await openRedisNoticeStore(SHARED_REDIS_URL, { keyPrefix: prefix }),
              policyStore: await openRedisPolicyStore(SHARED_REDIS_URL, { keyPrefix: prefix }),
            }
          : {};
      bot = await startTestBot(
        { ...wecomEnv(fake.url), ...dingEnv(ding.apiBase), WECOM_AIBOT_TOKEN: AIBOT.token, WECOM_AIBOT_ENCODING_AES_KEY: AIBOT.encodingAESKey, ADMIN_TOKEN: TOKEN },
        { stores, noticeWorker: false, logLevel: 'warn' },
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
      for (const layer of layers.filter((l) => PROTECTED.test((l.path as string).toLowerCase()))) {
        const template = layer.path as string;
        const path = concrete(template, ids);
        for (const target of spellings(path, publicPaths, bot.url)) {
          for (const method of [...layer.methods, 'OPTIONS']) {
            for (const auth of WRONG) {
              const body = bodyFor(method, template, ids);
              const headers: Record<string, string> = { ...(auth ? { authorization: auth } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) };
              const a = await rawRequest(base, method, target, headers, body);
              sent++;
              if ((a.status >= 200 && a.status < 400) || a.location !== undefined) leaks.push(`${method} ${target} (${auth ? 'wrong token' : 'no token'}) -> ${a.status}`);
            }
          }
        }
      }
      for (const r of open) {
        for (const target of publicSpellings(r.template)) {
          const a = await rawRequest(base, r.method, target, { 'content-type': 'application/json' }, r.method === 'POST' ? '{}' : undefined);
          sent++;
          if (a.status !== 404) leaks.push(`${r.method} ${target} (public route, other spelling) -> ${a.status}, want 404`);
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

    it('the right token on the exact path still works (the walk above is not just a broken admin API)', async () => {
      for (const [method, path] of [['GET', '/admin/notices'], ['GET', `/admin/broadcasts/${ids.broadcast}`], ['GET', `/admin/policies/${ids.policy}`], ['GET', `/admin/broadcasts/${ids.broadcast}/recipients.csv`]] as const) {
        const r = await fetch(`${bot.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } });
        assert.equal(r.status, 200, `${method} ${path}`);
      }
    });
  });
}
