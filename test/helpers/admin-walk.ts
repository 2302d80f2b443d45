/**
 * Helpers of the admin-surface walks (test/src/http/route-walk.test.ts, test/src/admin/strict-routes.test.ts):
 * raw HTTP requests whose target is sent exactly as given, the spellings of a path that a lenient
 * router or proxy could map back onto it, request bodies the admin handlers accept, and snapshots
 * of the whole store (SQLite rows, Redis keys) to compare before and after.
 */
import { readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';

export const NOTICE = { title: { zh: '会话存档告知', en: 'Archiving notice' }, body: { zh: '正文', en: 'Body' } };
export const POLICY = {
  platform: 'wecom',
  audience: { userIds: ['zhangsan'] },
  since: '2026-03-01',
  scope: '单聊和群聊',
  retention: '3 年',
  purpose: '合规审计',
  legalBasis: '《个人信息保护法》第十三条第一款第二项',
  viewers: ['合规部'],
};

export interface Answer {
  status: number;
  location: string | undefined;
  /** `error.code` of a JSON error body, if any. */
  code: string | undefined;
}

/** The codes of the guard in front of the router (src/admin/surface.ts): an answer with one of them never reached a route. */
export const GUARD_CODES = new Set(['ADMIN_UNAUTHORIZED', 'ADMIN_NOT_FOUND', 'ADMIN_NETWORK_FORBIDDEN', 'ADMIN_NOT_HERE', 'ADMIN_OFF']);

/** One request with the request target exactly as given (fetch would normalise it first). */
export function rawRequest(
  base: URL,
  method: string,
  target: string,
  headers: Record<string, string>,
  body?: string,
  options: { localAddress?: string } = {},
): Promise<Answer & { text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: base.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: base.port,
        method,
        path: target,
        headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let code: string | undefined;
          try {
            code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
          } catch {
            code = undefined;
          }
          resolve({ status: res.statusCode ?? 0, location: res.headers.location, code, text });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Node's HTTP parser answers 400 itself (no body) to a request target that is neither origin- nor absolute-form. */
export function refusedByParser(target: string, a: Answer): boolean {
  return !/^(\/|https?:\/\/)/.test(target) && a.status === 400 && a.code === undefined;
}

/** Every spelling of `path` (a concrete /admin/… path) that a lenient router or a proxy could map back onto it. */
export function spellings(path: string, publicPaths: string[], origin: string): string[] {
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
export function publicSpellings(path: string): string[] {
  // The root has no other spelling that is not itself ('/' is the whole path).
  if (path === '/') return [];
  const [, first, rest = ''] = /^\/([^/]+)(.*)$/.exec(path)!;
  return [path.toUpperCase(), `/${first![0]!.toUpperCase()}${first!.slice(1)}${rest}`, `${path}/`, `/${path}`, `/%${first!.charCodeAt(0).toString(16)}${first!.slice(1)}${rest}`];
}

/** A concrete path for a route template: each `:param` replaced by an id the store really holds. */
export function concrete(template: string, ids: { notice: string; broadcast: string; policy: string }): string {
  return template.replace(/\/([^/]+)\/:(\w+)/g, (_m, parent: string, name: string) => {
    const value = name === 'version' ? '1' : parent === 'notices' ? ids.notice : parent === 'broadcasts' ? ids.broadcast : parent === 'policies' ? ids.policy : 'x';
    return `/${parent}/${value}`;
  });
}

/** A body that the route's handler would accept (so a request that got through would change the store). */
export function bodyFor(method: string, template: string, ids: { notice: string }): string | undefined {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return undefined;
  if (/\/notices(\/:id)?$/.test(template)) return JSON.stringify(NOTICE);
  if (template.endsWith('/notices/convert')) return JSON.stringify({ title: '隐私告知', body: '公司会存档聊天' });
  if (template.endsWith('/broadcasts')) return JSON.stringify({ noticeId: ids.notice, platform: 'wecom', audience: { userIds: ['zhangsan'] } });
  if (template.endsWith('/policies')) return JSON.stringify(POLICY);
  if (template.endsWith('/resend')) return JSON.stringify({ only: 'unacknowledged' });
  return '{}';
}

/** Every row of every table of every SQLite file in `dataDir`, as sorted JSON. */
export function sqliteSnapshot(dataDir: string): Record<string, string[]> {
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
export async function redisSnapshot(url: string, prefix: string): Promise<Record<string, string>> {
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
