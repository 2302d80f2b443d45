/**
 * Harness of the notice end-to-end tests: the real bot (knowledge base, router, stores, HTTP
 * server with the admin API and the broadcast worker) on 127.0.0.1:0, with the loopback fake
 * notice platform registered twice: as 'wecom' (no read receipts) and as 'dingtalk' (read
 * receipts). Embedded SQLite in a temp dir, or Redis under a private key prefix. Two bots can
 * share one store (same data dir or prefix) and one fake: two instances of one deployment.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/app/config.ts';
import { createCore, type Core } from '../../src/core.ts';
import { startServer, type RunningServer } from '../../src/app/server.ts';
import { createLogger } from '../../src/log.ts';
import type { BroadcastWorkerOptions } from '../../src/notices/worker.ts';
import type { Clock } from '../../src/notices/clock.ts';
import { REPO_ROOT } from '../helpers/app.ts';
import { deleteRedisPrefix } from '../helpers/redis-prefix.ts';
import { createLoopbackChannel, startFakeNoticePlatform, type FakeNoticePlatform, type FakeNoticePlatformOptions } from '../fakes/notice-platform.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const REDIS_TEST_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';

/** Where the bot keeps its data. */
export type Backend = { kind: 'sqlite'; dataDir?: string } | { kind: 'redis'; url: string; prefix?: string };

export interface NoticeBot {
  url: string;
  core: Core;
  server: RunningServer;
  fake: FakeNoticePlatform;
  /** The backend with its data dir / prefix filled in (pass it to a second bot to share the store). */
  backend: Backend;
  /** fetch with the admin bearer token and JSON. */
  admin(method: string, path: string, body?: unknown): Promise<Response>;
  /** Closes server and stores; removes the data unless `keepData`, and closes the fake unless it was given. */
  close(opts?: { keepData?: boolean }): Promise<void>;
}

export async function startNoticeBot(options: {
  backend?: Backend;
  env?: Record<string, string>;
  fake: FakeNoticePlatformOptions | FakeNoticePlatform;
  maxBatchSize?: number;
  worker?: Partial<Omit<BroadcastWorkerOptions, 'service' | 'log'>> | false;
  /** The notice engine's clock (default the system clock): tests move it on to end a lease. */
  clock?: Clock;
}): Promise<NoticeBot> {
  const given = options.backend ?? { kind: 'sqlite' };
  const backend: Backend =
    given.kind === 'sqlite'
      ? { kind: 'sqlite', dataDir: given.dataDir ?? mkdtempSync(join(tmpdir(), 'notices-e2e-')) }
      : { kind: 'redis', url: given.url, prefix: given.prefix ?? `privacy-bot-test:e2e-${process.pid}-${randomBytes(4).toString('hex')}:` };
  const dataDir = backend.kind === 'sqlite' ? backend.dataDir! : mkdtempSync(join(tmpdir(), 'notices-e2e-'));
  const config = loadConfig({
    KNOWLEDGE_DIR: join(REPO_ROOT, 'knowledge'), DATA_DIR: dataDir, PORT: '0', ADMIN_TOKEN, SANDBOX: 'off', ...(options.env ?? {}),
    ...(backend.kind === 'redis' ? { REDIS_URL: backend.url } : {}),
  });
  const log = createLogger('silent');
  const ownFake = !('url' in options.fake);
  const fake = 'url' in options.fake ? options.fake : await startFakeNoticePlatform(options.fake);
  const core = await createCore(config, log, { ...(backend.kind === 'redis' ? { redisKeyPrefix: backend.prefix! } : {}), ...(options.clock ? { noticeClock: options.clock } : {}) });
  const maxBatchSize = options.maxBatchSize ?? 20;
  core.notices.registerChannel(createLoopbackChannel({ url: fake.url, platform: 'wecom', readSupported: false, maxBatchSize }));
  core.notices.registerChannel(createLoopbackChannel({ url: fake.url, platform: 'dingtalk', readSupported: true, maxBatchSize }));
  const server = await startServer({
    config,
    core,
    log,
    host: '127.0.0.1',
    noticeWorker: options.worker === false ? false : { idleMs: 20, leaseMs: 2000, backoffBaseMs: 50, readPollMs: 50, ...(options.worker ?? {}) },
  });
  return {
    url: server.url,
    core,
    server,
    fake,
    backend,
    admin(method, path, body) {
      return fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
    },
    async close(opts = {}) {
      await server.close();
      await core.store.close();
      if (ownFake) await fake.close();
      if (backend.kind === 'sqlite' && !opts.keepData) rmSync(dataDir, { recursive: true, force: true });
      if (backend.kind === 'redis') {
        rmSync(dataDir, { recursive: true, force: true });
        if (!opts.keepData) await deleteRedisPrefix(backend.url, backend.prefix!);
      }
    },
  };
}

/** Whether Redis answers at `url` (null) or why not. */
export async function redisUnreachable(url = REDIS_TEST_URL): Promise<string | null> {
  const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 1000, retryStrategy: () => null });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.ping();
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    c.disconnect();
  }
}
