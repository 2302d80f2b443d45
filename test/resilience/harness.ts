/**
 * Shared parts of the resilience suite: the real bot on loopback with its log lines
 * captured, on SQLite or on Redis under a private key prefix (two bots with the same prefix are two
 * instances of one deployment); a throwaway redis-server that a test may stop and start again
 * (never the shared one on 6379); a fault-injecting HTTP proxy in front of a fake platform; a
 * round-robin load balancer; child `privacy-bot serve` processes; signed callbacks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { REPO_ROOT, startTestBot, type TestBot } from '../helpers/app.ts';
import { buildWecomCallback } from '../fakes/wecom-api.ts';
import type { NoticeStore } from '../../src/store/ports/notices.ts';
import { decryptWecom } from '../../adapters/wecom/crypto.ts';
import { parseWecomXml } from '../../adapters/wecom/xml.ts';

export { REPO_ROOT };

/** The shared Redis of the test machine (never stopped by this suite). */
export const SHARED_REDIS_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';

/** WeCom self-built app credentials of the official vectors (protocols.md §6). */
export const WECOM = {
  corpId: 'wx5823bf96d3bd56c7',
  agentId: '1000002',
  secret: 'app-secret',
  token: 'QDG6eK',
  encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
} as const;
/** The same as keys of the callback crypto. */
export const WECOM_KEYS = { token: WECOM.token, encodingAESKey: WECOM.encodingAESKey, corpId: WECOM.corpId };

/** DingTalk app of the tests (robotCode = appKey, as for internal apps). */
export const DING = { appKey: 'dingresilience', appSecret: 'ding-resilience-secret', robotCode: 'dingresilience' } as const;

/** WeCom AI bot callback secrets (its own token and key; receiveid ""). */
export const AIBOT = { token: 'aibotTok3n', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' } as const;

/** Environment of the WeCom app pointing at `apiBase`. */
export function wecomEnv(apiBase: string): Record<string, string> {
  return {
    WECOM_CORP_ID: WECOM.corpId,
    WECOM_AGENT_ID: WECOM.agentId,
    WECOM_SECRET: WECOM.secret,
    WECOM_TOKEN: WECOM.token,
    WECOM_ENCODING_AES_KEY: WECOM.encodingAESKey,
    WECOM_API_BASE: apiBase,
  };
}

/** Environment of the DingTalk app pointing at `apiBase`. */
export function dingEnv(apiBase: string): Record<string, string> {
  return { DINGTALK_APP_KEY: DING.appKey, DINGTALK_APP_SECRET: DING.appSecret, DINGTALK_ROBOT_CODE: DING.robotCode, DINGTALK_API_BASE: apiBase };
}

/** Feishu app secrets of the resilience tests (the fake's app id and secret are its own defaults). */
export const FEISHU = { verificationToken: 'resilience-feishu-verification-token', encryptKey: 'resilience-feishu-encrypt-key' } as const;

/** Environment of the Feishu app (HTTP mode, encrypted and signed) pointing at `fake` (or `apiBase` in front of it). */
export function feishuEnv(fake: { appId: string; appSecret: string; apiBase: string }, apiBase = fake.apiBase): Record<string, string> {
  return {
    FEISHU_APP_ID: fake.appId,
    FEISHU_APP_SECRET: fake.appSecret,
    FEISHU_VERIFICATION_TOKEN: FEISHU.verificationToken,
    FEISHU_ENCRYPT_KEY: FEISHU.encryptKey,
    FEISHU_API_BASE: apiBase,
  };
}

/** A unique Redis key prefix for one test file (or one deployment inside it). */
export function uniquePrefix(name: string): string {
  return `privacy-bot-test:resilience-${name}-${process.pid}-${randomBytes(4).toString('hex')}:`;
}

/** One running bot of a test. */
export type Bot = TestBot;

/**
 * Starts the real bot (knowledge base, matcher, router, store, HTTP server) on 127.0.0.1:0, with
 * a quick broadcast worker (idle 50 ms, lease 3 s, backoff 50 ms).
 * @param options.env merged over an empty environment (no platform unless given)
 * @param options.redis Redis URL and key prefix (two bots with the same pair share one store);
 *   default: SQLite in a fresh temp dir
 */
export async function startBot(options: { env?: Record<string, string>; redis?: { url: string; prefix: string }; logLevel?: string } = {}): Promise<Bot> {
  return startTestBot(options.env, {
    ...(options.redis ? { redis: { url: options.redis.url, keyPrefix: options.redis.prefix } } : {}),
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    noticeWorker: { idleMs: 50, leaseMs: 3000, backoffBaseMs: 50 },
  });
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A redis-server child process of this test only. */
export interface ThrowawayRedis {
  readonly url: string;
  readonly port: number;
  /** True while the server runs. */
  readonly running: boolean;
  /** Kills the server (SIGKILL: an outage, not a shutdown) and waits until the port refuses. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence) and waits until it answers PING. */
  start(): Promise<void>;
}

/**
 * Starts `redis-server` on a free port (loopback only) as a child of this process, so a test can
 * stop it mid-run. Never touches the shared server on 6379.
 * @param options.persistent AOF with fsync on every write in a temp dir, so the data survives a
 *   SIGKILL and a restart (as production runs it); default: no persistence (a restart is empty)
 */
export async function startThrowawayRedis(options: { persistent?: boolean } = {}): Promise<ThrowawayRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'resilience-redis-'));
  const persistence = options.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  let child: ChildProcess | null = null;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  async function start(): Promise<void> {
    const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir, '--loglevel', 'warning'], {
      stdio: 'ignore',
    });
    child = c;
    c.once('exit', () => {
      if (child === c) child = null;
    });
    const deadline = Date.now() + 5000;
    for (;;) {
      if (await pingRedis(`redis://127.0.0.1:${port}`)) return;
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start`);
      await sleep(25);
    }
  }
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get running() {
      return child !== null;
    },
    async stop() {
      const c = child;
      if (!c) return;
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGKILL');
      await exited;
    },
    start,
  };
}

async function pingRedis(url: string): Promise<boolean> {
  const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 300, retryStrategy: () => null });
  c.on('error', () => {});
  try {
    await c.connect();
    return (await c.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    c.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers.

/** Reads a request body whole. */
async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Forwards one request to `target` (origin) and pipes the answer back (after `holdMs`). */
function forward(target: string, req: IncomingMessage, body: Buffer, res: ServerResponse, holdMs = 0): void {
  const url = new URL(req.url ?? '/', target);
  const headers = { ...req.headers, host: url.host, 'content-length': String(body.length) };
  delete headers['transfer-encoding'];
  const upstream = httpRequest(
    url,
    { method: req.method, headers },
    (answer) => {
      void (async () => {
        const data = await bodyOf(answer);
        if (holdMs > 0) await sleep(holdMs);
        if (res.destroyed) return;
        const headers = { ...answer.headers, 'content-length': String(data.length) };
        delete headers['transfer-encoding'];
        res.writeHead(answer.statusCode ?? 502, headers);
        res.end(data);
      })();
    },
  );
  upstream.on('error', () => {
    if (res.destroyed) return;
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  upstream.end(body);
}

/** A fault to inject into the next matching requests of a {@link FaultProxy}. */
export type Fault =
  /** answer this HTTP status with a short body, without forwarding */
  | { kind: 'status'; status: number }
  /** wait `ms`, then forward — unless the client gave up meanwhile (a request lost on the way) */
  | { kind: 'delay'; ms: number }
  /** forward at once (the platform gets and processes it), but hold its answer `ms` (a late answer) */
  | { kind: 'late-answer'; ms: number }
  /** destroy the connection without an answer */
  | { kind: 'reset' };

/** An HTTP proxy in front of one fake platform that can fail requests on purpose and counts them. */
export interface FaultProxy {
  readonly url: string;
  /** Every request seen: path (without query) and when (ms since the epoch) and what was done. */
  readonly seen: { method: string; path: string; at: number; fault: Fault['kind'] | 'forwarded' }[];
  /** The next `times` requests whose path contains `pathPart` (default: any) get `fault`. */
  inject(fault: Fault, times?: number, pathPart?: string): void;
  /** Forgets injected faults that were not used. */
  clearFaults(): void;
  close(): Promise<void>;
}

/** Starts a {@link FaultProxy} forwarding to `target` (an origin such as a fake's url). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const seen: FaultProxy['seen'] = [];
  let faults: { fault: Fault; left: number; pathPart: string | undefined }[] = [];
  const server = createHttpServer((req, res) => {
    void (async () => {
      const body = await bodyOf(req);
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const f = faults.find((x) => x.left > 0 && (x.pathPart === undefined || path.includes(x.pathPart)));
      if (f) f.left--;
      seen.push({ method: req.method ?? 'GET', path, at: Date.now(), fault: f ? f.fault.kind : 'forwarded' });
      if (f?.fault.kind === 'status') {
        res.writeHead(f.fault.status, { 'content-type': 'text/plain' });
        res.end(`injected ${f.fault.status}`);
        return;
      }
      if (f?.fault.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      if (f?.fault.kind === 'late-answer') return forward(target, req, body, res, f.fault.ms);
      if (f?.fault.kind === 'delay') await sleep(f.fault.ms);
      if (res.destroyed || req.socket.destroyed) return;
      forward(target, req, body, res);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    inject(fault, times = 1, pathPart) {
      faults.push({ fault, left: times, pathPart });
    },
    clearFaults() {
      faults = [];
    },
    close: () => closeServer(server),
  };
}

/** A round-robin HTTP load balancer over several bot instances. */
export interface RoundRobin {
  readonly url: string;
  /** How many requests went to each target, by index. */
  readonly counts: number[];
  close(): Promise<void>;
}

/** Starts a round-robin HTTP proxy: request n goes to targets[n % targets.length]. */
export async function startRoundRobin(targets: string[]): Promise<RoundRobin> {
  const counts = targets.map(() => 0);
  let next = 0;
  const server = createHttpServer((req, res) => {
    void (async () => {
      const body = await bodyOf(req);
      const i = next++ % targets.length;
      counts[i]!++;
      forward(targets[i]!, req, body, res);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, counts, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

// ---------------------------------------------------------------------------------------------
// WeCom callbacks.

/** POSTs a signed, encrypted WeCom callback carrying `xml` to `<base>/wecom/callback`. */
export async function postWecom(base: string, xml: string): Promise<Response> {
  const cb = buildWecomCallback({ ...WECOM_KEYS, xml });
  return fetch(`${base}/wecom/callback?${cb.query}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: cb.body });
}

/** The passive reply's text of a WeCom callback answer, or null for an empty answer. */
export async function passiveReply(res: Response): Promise<string | null> {
  const body = await res.text();
  if (body === '') return null;
  const outer = parseWecomXml(body);
  return parseWecomXml(decryptWecom(WECOM_KEYS, outer.Encrypt!)).Content ?? '';
}

let msgSeq = BigInt(Date.now()) * 1000n + BigInt(process.pid % 1000);
/** A fresh 64-bit-looking WeCom MsgId (as a string). */
export function nextMsgId(): string {
  msgSeq += 1n;
  return msgSeq.toString();
}

// ---------------------------------------------------------------------------------------------
// Child processes.

/** A `privacy-bot serve` child process. */
export interface BotProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Its stdout (JSON log lines) so far. */
  readonly lines: string[];
  /** SIGTERM, then SIGKILL after 10 s; resolves when it exited. */
  stop(): Promise<void>;
}

/** How long {@link spawnBot} waits for 'privacy-bot listening' before failing, in ms. */
const SPAWN_GUARD_MS = 300_000;

/**
 * Runs `node bin/privacy-bot.mjs serve` with `env` (PORT is chosen here) and waits for its
 * 'privacy-bot listening' log line.
 * @param options.redisPrefix run prefixed-bot.ts instead: the same server on REDIS_URL (from `env`)
 *   under this key prefix (instances of one deployment on the shared Redis), quick broadcast worker
 */
export async function spawnBot(env: Record<string, string>, options: { redisPrefix?: string } = {}): Promise<BotProcess> {
  const port = await freePort();
  const args = options.redisPrefix
    ? ['--import', 'tsx', join(REPO_ROOT, 'test', 'resilience', 'prefixed-bot.ts')]
    : [join(REPO_ROOT, 'bin', 'privacy-bot.mjs'), 'serve'];
  if (options.redisPrefix) env = { ...env, PREFIXED_BOT_REDIS_PREFIX: options.redisPrefix };
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', TRY_PAGE: 'off', KNOWLEDGE_DIR: join(REPO_ROOT, 'knowledge'), ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  let buffered = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Failure guard only: three processes starting at once on a loaded 2-core machine (tsx compiles
  // the sources on the first start) have taken more than 30 s.
  const deadline = Date.now() + SPAWN_GUARD_MS;
  while (!lines.some((l) => l.includes('privacy-bot listening'))) {
    if (child.exitCode !== null) throw new Error(`privacy-bot serve exited (${child.exitCode}): ${stderr.slice(0, 2000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`privacy-bot serve did not start within ${SPAWN_GUARD_MS / 1000} s: ${stderr.slice(0, 2000)}`);
    }
    await sleep(50);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    lines,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/**
 * Polls `predicate` every 20 ms until it is true; throws after `timeoutMs` (default 30 s: a failure
 * guard for a loaded machine, never a measure — tests do not depend on how fast it comes true).
 */
export async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}

// ---------------------------------------------------------------------------------------------
// Stores.

/** Whether the shared Redis answers PING (tests on Redis skip with a reason when it does not). */
export async function sharedRedisReachable(): Promise<boolean> {
  return pingRedis(SHARED_REDIS_URL);
}

/**
 * Records a notice (version 1, title 会话存档告知) delivered — recipients in state sent — to
 * `users` on `platform`, straight through the notice store, as a finished broadcast would leave it.
 * @returns the notice and broadcast ids
 */
export async function deliveredNotice(store: NoticeStore, platform: string, users: string[]): Promise<{ noticeId: string; broadcastId: string }> {
  const tag = randomBytes(4).toString('hex');
  const noticeId = `n-seed${tag}`;
  const broadcastId = `b-seed${tag}`;
  const now = Date.now();
  await store.createNotice(noticeId, { title: { zh: '会话存档告知', en: 'Archiving notice' }, body: { zh: '工作聊天会存档。', en: 'Work chats are archived.' } }, now);
  await store.createBroadcast({ id: broadcastId, noticeId, version: 1, platform, audience: { userIds: users }, readSupported: false, createdBy: 'test' }, now);
  await store.addRecipients(broadcastId, users, now);
  await store.startSending(broadcastId, now);
  const batch = await store.claimBatch(broadcastId, { owner: 'seed', max: 1000, leaseMs: 60_000, deferMs: 1000 }, now);
  await store.settleBatch(batch!, { sent: users, failed: [], retry: [] }, now);
  return { noticeId, broadcastId };
}
