import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import Koa from 'koa';
import type Router from '@koa/router';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Core } from '../core.ts';
import { BotError } from '../errors.ts';
import { BackgroundTasks } from '../http/background.ts';
import { mountTryPage, titleIn } from '../http/try-page.ts';
import { mountHomePage } from '../http/home-page.ts';
import { randomBytes } from 'node:crypto';
import { PLATFORM_IDS } from '../../adapters/platforms.ts';
import { createAdapters, sandboxActive, type AdapterOptions } from '../../adapters/index.ts';
import { createAdminLogins, LOGIN_PLATFORMS } from '../../adapters/login.ts';
import { ADAPTER_CONSOLE_TEXTS } from '../../adapters/errors.ts';
import type { PlatformAckPoint } from '../platform/message.ts';
import type { PlatformAdapter } from '../platform/adapter.ts';
import { mountAdminRoutes } from '../admin/routes.ts';
import { mountConsole } from '../console/server.ts';
import { AccountStore } from '../console/accounts.ts';
import type { KeyValueStore } from '../store/ports/store.ts';
import { BroadcastWorker, type BroadcastWorkerOptions } from '../notices/worker.ts';
import { createMetrics, type Metrics } from '../metrics.ts';
import { PlatformHealth } from '../platform/health.ts';
import { DEFAULT_ARCHIVE_SYNC_MS } from '../platform/archive.ts';
import { instrumentCommitter, instrumentHandler, instrumentKv, mountMetrics, requestObservability } from '../http/observability.ts';
import { strictRouter } from '../http/routing.ts';
import { adminSurfaceGuard, tagListener, type Listener } from '../admin/surface.ts';
import { clientAddress, NetworkSet } from '../http/networks.ts';

/** How long /readyz waits for the store to answer, in ms. */
export const READINESS_TIMEOUT_MS = 1000;

/** A started HTTP server with its platform adapters. */
export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:3000 */
  url: string;
  port: number;
  server: Server;
  /** With ADMIN_PORT: the admin listener's base URL, port and server (only /admin and /console); else null. */
  adminUrl: string | null;
  adminPort: number | null;
  adminServer: Server | null;
  adapters: PlatformAdapter[];
  /** The notice broadcast worker of this process; null when turned off (`noticeWorker: false`). */
  noticeWorker: BroadcastWorker | null;
  /**
   * In the sandbox (no platform configured) without ADMIN_TOKEN: the admin token made up for it, so the admin journey
   * can be tried with no configuration — the same for every instance on one store ({@link sharedSandboxAdminToken});
   * else null.
   */
  sandboxAdminToken: string | null;
  /**
   * In the sandbox with the console on and no console account yet: the owner account `sandbox.admin` created at
   * start with its one-time password (printed by `serve`; it must be changed at the first sign-in), so the console
   * can be tried with no configuration and no CLI step; else null (existing accounts are never touched).
   */
  sandboxConsoleAccount: { name: string; password: string } | null;
  /** This process's Prometheus metrics (served at GET /metrics). */
  metrics: Metrics;
  /** Platform configuration faults reported by the adapters (shown by /readyz). */
  health: PlatformHealth;
  /**
   * The router every route is mounted on (admin routes included, as cloned layers): read its
   * `stack` to list the routes actually served (the route-walk test does).
   */
  router: Router;
  /** Resolves when no reply is being delivered in the background. */
  idle(): Promise<void>;
  /**
   * Graceful stop (SIGTERM): stops accepting connections at once (new ones are refused), lets
   * requests in flight finish (their answers close the connection), waits for replies being
   * delivered in the background, and stops the notice worker (nothing more claimed; batches in
   * flight are sent and recorded; past the grace their leases are released so another instance
   * takes them over at once). After `graceMs` (default: no limit) connections still open are cut
   * and background replies still running are left. Stops adapters. Does not close the store.
   * Idempotent: a second call returns the first call's promise.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** Whether `p` settles within `ms` (Infinity = wait for it). */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  if (!Number.isFinite(ms)) {
    await p.catch(() => undefined);
    return true;
  }
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    p.then(() => true, () => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return settled;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e as Error); });
  });
}

/** Listens on `port` at `host`, every request tagged with the listener it came in on. */
function listen(app: Koa, listener: Listener, port: number, host: string): Promise<Server> {
  const handle = app.callback();
  const s = createServer((req, res) => {
    tagListener(req, listener);
    void handle(req, res);
  });
  return new Promise<Server>((resolve, reject) => {
    const fail = (err: Error) => reject(listenError(err, listener === 'admin' ? 'ADMIN_PORT' : 'PORT', port, host));
    s.once('error', fail);
    s.listen(port, host, () => {
      s.off('error', fail);
      resolve(s);
    });
  });
}

/**
 * A listen failure a newcomer can act on, naming the variable: PORT_IN_USE (EADDRINUSE), PORT_NOT_ALLOWED
 * (EACCES: a port under 1024 without the right to bind it), HOST_UNAVAILABLE (EADDRNOTAVAIL); other errors as they are.
 */
function listenError(err: Error, variable: 'PORT' | 'ADMIN_PORT', port: number, host: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new BotError('PORT_IN_USE', `port ${port} (${variable}) is already in use on ${host}: stop the program using it or set ${variable} to a free port`, { cause: err });
  }
  if (code === 'EACCES') {
    return new BotError('PORT_NOT_ALLOWED', `port ${port} (${variable}) may not be used by this user: set ${variable} to a port of 1024 or above`, { cause: err });
  }
  if (code === 'EADDRNOTAVAIL') return new BotError('HOST_UNAVAILABLE', `cannot listen on ${host}:${port} (${variable}): no such local address`, { cause: err });
  return err;
}

/**
 * Builds the Koa app (routes: GET /healthz, GET /readyz, the platform callbacks, GET /try, the
 * admin API) and listens on `config.port` (0 = any free port) at `host` — and, with ADMIN_PORT, on
 * `config.adminPort` too, which then alone serves /admin and /console.
 * The client address (ctx.ip) is the socket's peer, or with TRUSTED_PROXIES the client named by
 * X-Forwarded-For behind them (src/http/networks.ts); forwarded headers of anyone else are ignored.
 * The admin surface (/admin, /console, under any spelling) is guarded before the router
 * (src/admin/surface.ts); every router is strict and case-sensitive (src/http/routing.ts).
 * Errors: a BotError with a 4xx status becomes that status with a short plain-text reason
 * "<CODE>: <message>"; anything else is a 500 "internal error" (logged, no details leaked).
 */
export async function startServer(options: {
  config: Config;
  core: Core;
  log: Logger;
  now?: () => number;
  host?: string;
  /** Options of the notice broadcast worker (tests shorten leases and pauses); false = no worker. */
  noticeWorker?: Partial<Omit<BroadcastWorkerOptions, 'service' | 'log'>> | false;
  /** Per-adapter tuning (tests: commit deadlines and leases, AI bot answer budget, fake endpoints). */
  adapterOptions?: AdapterOptions;
  /** Test seam: called right before an adapter tells a platform a message arrived (src/platform/adapter.ts). */
  beforePlatformAck?: (point: PlatformAckPoint) => void;
}): Promise<RunningServer> {
  const { config, core, log } = options;
  const now = options.now ?? Date.now;
  const background = new BackgroundTasks(log);
  const app = new Koa();
  // Forwarded headers are believed only from TRUSTED_PROXIES (below), never from anyone who sends them.
  app.proxy = false;
  const router = strictRouter();
  const trustedProxies = new NetworkSet(config.trustedProxies);
  const metrics = createMetrics();
  const health = new PlatformHealth(now);

  // Callback paths of the adapters (filled once they exist, below), for the callback metrics.
  const callbackRoutes = new Map<string, string>();
  app.use(requestObservability(metrics, callbackRoutes));
  // ctx.ip for everything downstream (e.g. per-address limits): the socket's peer, or the client
  // behind a trusted proxy. An unreadable hop passed on by a trusted proxy leaves the peer.
  app.use(async (ctx, next) => {
    ctx.request.ip = clientAddress(ctx.req.socket.remoteAddress, ctx.get('x-forwarded-for'), trustedProxies) ?? ctx.req.socket.remoteAddress ?? '';
    await next();
  });
  // Once shutting down, every answer closes its connection, so keep-alive clients reconnect
  // (to another instance behind the load balancer) instead of holding this one open.
  let shuttingDown = false;
  app.use(async (ctx, next) => {
    if (shuttingDown) ctx.set('Connection', 'close');
    await next();
    if (shuttingDown) ctx.set('Connection', 'close');
  });
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (err instanceof BotError && err.status < 500) {
        ctx.status = err.status;
        ctx.type = 'text/plain; charset=utf-8';
        ctx.body = `${err.code}: ${err.message}`;
        log.info({ route: ctx.path, code: err.code, httpStatus: err.status }, 'request rejected');
        return;
      }
      const e = err as { status?: number; expose?: boolean; message?: string };
      if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
        ctx.status = e.status;
        ctx.type = 'text/plain; charset=utf-8';
        ctx.body = e.expose && e.message ? e.message : 'bad request';
        return;
      }
      log.error({ route: ctx.path, code: (err as BotError).code, err: e.message }, 'request failed');
      ctx.status = 500;
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = 'internal error';
    }
  });

  // The sandbox with no ADMIN_TOKEN gets a random one, shared through the store by every instance on it (printed at
  // start by `serve`): behind a load balancer each instance must accept the token the others printed.
  const sandboxAdminToken = config.adminToken === null && sandboxActive(config) ? await sharedSandboxAdminToken(core.store, log) : null;
  const adminToken = config.adminToken ?? sandboxAdminToken;
  const sandboxConsoleAccount = config.console && sandboxActive(config) ? await createSandboxConsoleAccount(core.store, log) : null;
  // Deny by default for /admin and /console under every spelling, before any route is matched.
  app.use(adminSurfaceGuard({ adminToken, console: config.console, allowFrom: new NetworkSet(config.adminAllowFrom), trustedProxies, log }));

  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    // Ready = the store answers and no platform reported a configuration fault (wrong secret, IP not allowed).
    const platforms = health.current();
    const faults = Object.entries(platforms).map(([p, f]) => `${p}: ${f.code} (${f.message})`);
    try {
      await withTimeout(core.store.ping(), READINESS_TIMEOUT_MS, `${core.store.kind} store`);
    } catch (err) {
      ctx.status = 503;
      ctx.body = { status: 'not ready', store: core.store.kind, reason: (err as Error).message, platforms };
      return;
    }
    if (faults.length > 0) {
      ctx.status = 503;
      ctx.body = { status: 'not ready', store: core.store.kind, reason: faults.join('; '), platforms };
      return;
    }
    ctx.body = { status: 'ready', store: core.store.kind };
  });

  const { adapters, disabled } = createAdapters(
    config,
    {
      handle: instrumentHandler(core.handle, metrics),
      committer: instrumentCommitter(core.committer, metrics),
      ...(options.beforePlatformAck ? { beforePlatformAck: options.beforePlatformAck } : {}),
      kv: instrumentKv(core.store, metrics),
      log,
      now,
      background: (name, work) => background.run(name, work),
      health: health.report,
      observeApiCall: (platform, api, code) => metrics.platformCalls.inc({ platform, api, code }),
      notices: core.notices,
      statusStore: core.store,
      topicTitle: (id) => core.kb.byId.get(id)?.title,
      titleIn,
      timeZone: core.notices.timeZone,
    },
    options.adapterOptions,
  );
  for (const a of adapters) {
    for (const path of a.callbackRoutes ?? []) callbackRoutes.set(path, a.platform);
    a.mount(router);
    log.info({ platform: a.platform }, `${a.platform} enabled`);
  }
  for (const d of disabled) {
    log.info({ platform: d.platform }, `${d.platform} disabled: set ${d.variables.join(', ')} to enable it`);
  }
  // GET /: where to go (/try, /console — or that the console is on ADMIN_PORT); the admin listener redirects / to /console.
  mountHomePage(router, { tryPage: config.tryPage, console: config.console, consoleOnAdminPort: config.adminPort !== null });
  if (config.tryPage) mountTryPage(router, core, log, { now, scripts: adapters.flatMap((a) => a.tryPageScripts ?? []) });
  // Archiving notices: each adapter's delivery channel, the admin API (only with
  // ADMIN_TOKEN set; otherwise its routes do not exist), and this process's broadcast worker.
  for (const a of adapters) if (a.noticeChannel) core.notices.registerChannel(a.noticeChannel);
  // How statuses an adapter writes itself read in answers (the sandbox's demo statuses).
  for (const a of adapters) if (a.statusSource) core.statuses.addDescription(a.statusSource.sourceName, a.statusSource);
  // Statuses from the platform itself where it has an archive API (e.g. WeCom msgaudit).
  for (const a of adapters) {
    if (a.archiveSource) {
      const intervalMs = a.archiveSource.syncIntervalMs ?? DEFAULT_ARCHIVE_SYNC_MS;
      core.statuses.addSource(a.archiveSource, intervalMs);
      log.info({ platform: a.archiveSource.platform, minutes: intervalMs / 60_000 }, 'archive status sync enabled');
    }
  }
  if (adminToken) mountAdminRoutes(router, { service: core.notices, policies: core.policies, token: adminToken, log });
  // The admin console (/console): the same admin routes behind console sessions; CONSOLE=off removes it.
  if (config.console) {
    const { logins, notes } = createAdminLogins(config, config.login);
    for (const note of notes) log.info(note);
    mountConsole(router, { config, core, log, health, trustedProxies, now, readinessTimeoutMs: READINESS_TIMEOUT_MS, statusPlatforms: PLATFORM_IDS, logins, loginPlatforms: LOGIN_PLATFORMS, errorTexts: ADAPTER_CONSOLE_TEXTS });
  }
  // Always on (cheap when idle: one look at the active broadcasts per idleMs), so a channel
  // registered later — or a broadcast started by the CLI or another instance — gets delivered.
  const noticeWorker =
    options.noticeWorker !== false ? new BroadcastWorker({ kv: core.store, ...(options.noticeWorker ?? {}), service: core.notices, log }) : null;

  mountMetrics(router, metrics, noticeWorker);
  app.use(router.routes());
  app.use(router.allowedMethods());
  for (const a of adapters) await a.start?.();

  // The sandbox is a demo of made-up people whose inboxes and acknowledgements are public like /try: it stays on
  // this machine unless HOST says otherwise. A real deployment listens on every address (the platforms call in).
  const listenHost = options.host ?? config.host ?? (sandboxActive(config) ? '127.0.0.1' : '0.0.0.0');
  let server: Server | null = null;
  let adminServer: Server | null = null;
  try {
    server = await listen(app, config.adminPort === null ? 'shared' : 'public', config.port, listenHost);
    if (config.adminPort !== null) adminServer = await listen(app, 'admin', config.adminPort, listenHost);
  } catch (err) {
    // Nothing may stay running (a busy port must end the start with its one-line error, not hang).
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    core.statuses.stop();
    for (const a of adapters) await a.stop?.().catch(() => {});
    throw err;
  }
  const servers = adminServer ? [server, adminServer] : [server];
  // A platform callback must be answered in seconds; do not let one slow client hold a socket.
  for (const s of servers) {
    s.requestTimeout = 30_000;
    s.headersTimeout = 10_000;
  }
  noticeWorker?.start();
  // A wrong secret shows on /readyz within a second of start, not at the first reply needing a token.
  for (const a of adapters) {
    if (a.checkCredentials) background.run(`${a.platform}.credentials`, () => a.checkCredentials!());
  }
  const port = (server.address() as AddressInfo).port;
  const adminPort = adminServer ? (adminServer.address() as AddressInfo).port : null;
  // Any-address listeners are reached on loopback; an IPv6 literal goes in brackets.
  const reachable = listenHost === '0.0.0.0' || listenHost === '::' ? '127.0.0.1' : listenHost;
  const host = reachable.includes(':') ? `[${reachable}]` : reachable;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    server,
    adminUrl: adminPort === null ? null : `http://${host}:${adminPort}`,
    adminPort,
    adminServer,
    adapters,
    sandboxAdminToken,
    sandboxConsoleAccount,
    noticeWorker,
    metrics,
    health,
    router,
    idle: () => background.idle(),
    close(closeOptions: { graceMs?: number } = {}) {
      closing ??= (async () => {
        const graceMs = closeOptions.graceMs ?? Number.POSITIVE_INFINITY;
        const deadline = performance.now() + graceMs;
        const left = () => Math.max(0, deadline - performance.now());
        shuttingDown = true;
        // The worker stops claiming now and finishes its batches while HTTP drains.
        const workerStopped = noticeWorker ? noticeWorker.stop({ graceMs }) : Promise.resolve(0);
        const closed = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
        for (const s of servers) s.closeIdleConnections();
        if (!(await settlesWithin(closed, left()))) {
          log.warn('shutdown: requests still running at the end of the grace period were cut');
          for (const s of servers) s.closeAllConnections();
          await closed;
        }
        if (!(await settlesWithin(background.idle(), left()))) {
          log.warn({ tasks: background.size }, 'shutdown: replies still being delivered at the end of the grace period were left');
        }
        const released = await workerStopped;
        if (released > 0) log.info({ recipients: released }, 'shutdown: broadcast leases released for another instance');
        core.statuses.stop();
        for (const a of adapters) await a.stop?.();
      })();
      return closing;
    },
  };
}

/** Name of the console account the sandbox creates when there is none. */
export const SANDBOX_CONSOLE_ACCOUNT = 'sandbox.admin';

/**
 * Creates the owner account {@link SANDBOX_CONSOLE_ACCOUNT} when the store holds no console account (first start
 * of a sandbox); null when accounts exist or another instance created it first (the store's claim decides).
 */
/**
 * Key-value key of the sandbox admin token (no ADMIN_TOKEN set): 'sandbox:admin-token' -> the token. Kept in the store
 * so that every instance on one store (Redis behind a load balancer) accepts the same token.
 */
export const SANDBOX_ADMIN_TOKEN_KEY = 'sandbox:admin-token';

/**
 * How long the shared sandbox admin token is kept, in ms (a year): for as long as the store is used, so that an
 * instance started later gets the token the running ones accept (a token that expired under running instances would
 * split them again). Set ADMIN_TOKEN to choose the token and keep none in the store.
 */
export const SANDBOX_ADMIN_TOKEN_TTL_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * The sandbox admin token of this store: the one an instance made first ({@link SANDBOX_ADMIN_TOKEN_KEY}, set only
 * if absent), else a new random one (24 bytes, base64url) stored for the others. The token is never logged.
 * @throws what the store throws (the start fails, as for the console account)
 */
export async function sharedSandboxAdminToken(kv: KeyValueStore, log: Logger): Promise<string> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const mine = randomBytes(24).toString('base64url');
    if (await kv.claim(SANDBOX_ADMIN_TOKEN_KEY, SANDBOX_ADMIN_TOKEN_TTL_MS, mine)) {
      log.info('sandbox: admin token made up and kept in the store for every instance (printed at start; set ADMIN_TOKEN to choose your own)');
      return mine;
    }
    const theirs = await kv.get(SANDBOX_ADMIN_TOKEN_KEY);
    // Between the claim and the read it may have expired or been deleted: claim again.
    if (theirs !== null && /^[\x21-\x7e]{16,256}$/.test(theirs)) {
      log.info('sandbox: using the admin token another instance (or an earlier run) kept in the store');
      return theirs;
    }
    if (theirs !== null) await kv.deleteIf(SANDBOX_ADMIN_TOKEN_KEY, theirs);
  }
  throw new BotError('STORE_UNAVAILABLE', 'the sandbox admin token could not be kept in the store');
}

async function createSandboxConsoleAccount(kv: KeyValueStore, log: Logger): Promise<{ name: string; password: string } | null> {
  const accounts = new AccountStore(kv);
  if ((await accounts.list()).length > 0) return null;
  try {
    const { password } = await accounts.add(SANDBOX_CONSOLE_ACCOUNT, 'owner');
    log.info({ account: SANDBOX_CONSOLE_ACCOUNT }, 'sandbox: console owner account created (one-time password printed at start)');
    return { name: SANDBOX_CONSOLE_ACCOUNT, password };
  } catch (err) {
    if (err instanceof BotError && err.code === 'CONSOLE_ACCOUNT_EXISTS') return null;
    throw err;
  }
}
