/**
 * Test harness: the real bot (real knowledge base, real matcher, real store, real HTTP server on
 * 127.0.0.1:0) with a silent logger whose lines are captured for the privacy assertions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { loadConfig, type Config } from '../../src/app/config.ts';
import { createCore, type Core } from '../../src/core.ts';
import { createLogger } from '../../src/log.ts';
import { startServer, type RunningServer } from '../../src/app/server.ts';
import type { BroadcastWorkerOptions } from '../../src/notices/worker.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface TestBot {
  config: Config;
  core: Core;
  server: RunningServer;
  url: string;
  /** Every log line written so far (JSON strings). */
  logLines: string[];
  close(): Promise<void>;
}

/** What else a test may choose when starting the bot (see {@link startTestBot}). */
export interface TestBotOptions {
  /** Clock handed to the server (official vectors verify at their own time). */
  now?: () => number;
  /** pino level of the captured log (default 'debug': every line is checked for privacy). */
  logLevel?: string;
  /** Redis instead of the embedded SQLite of the temp dir: sets REDIS_URL to `url`, every key under the private `keyPrefix`. */
  redis?: { url: string; keyPrefix: string };
  /** Address to listen on (default 127.0.0.1; '0.0.0.0' or '::' to accept other local addresses; null = the server's own default from HOST and the sandbox). */
  host?: string | null;
  /** Broadcast worker tuning (ms), passed to startServer; false = no worker (the store changes only by requests). */
  noticeWorker?: Partial<Omit<BroadcastWorkerOptions, 'service' | 'log'>> | false;
  /** Per-adapter tuning, passed to startServer. */
  adapterOptions?: Parameters<typeof startServer>[0]['adapterOptions'];
  /** Test seam passed to startServer (called right before a platform is told a message arrived). */
  beforePlatformAck?: Parameters<typeof startServer>[0]['beforePlatformAck'];
  /** DATA_DIR to use (kept on close) instead of a fresh temp dir (removed on close). */
  dataDir?: string;
}

/**
 * Starts the bot with `env` (merged over an empty environment: no platform unless given; the
 * sandbox organisation off unless `SANDBOX: 'on'` is given, so "no platform" stays no platform).
 * The embedded store lives in a fresh temp dir unless REDIS_URL or `options.redis` is given.
 * @param nowOrOptions a clock (the older form) or {@link TestBotOptions}
 */
export async function startTestBot(env: Record<string, string> = {}, nowOrOptions?: (() => number) | TestBotOptions): Promise<TestBot> {
  const options: TestBotOptions = typeof nowOrOptions === 'function' ? { now: nowOrOptions } : (nowOrOptions ?? {});
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'privacy-bot-test-'));
  const config = loadConfig({ KNOWLEDGE_DIR: join(REPO_ROOT, 'knowledge'), DATA_DIR: dataDir, PORT: '0', SANDBOX: 'off', ...env, ...(options.redis ? { REDIS_URL: options.redis.url } : {}) });
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const log = createLogger(options.logLevel ?? 'debug', sink);
  const core = await createCore(config, log, options.redis ? { redisKeyPrefix: options.redis.keyPrefix } : {});
  const server = await startServer({
    config,
    core,
    log,
    ...(options.host === null ? {} : { host: options.host ?? '127.0.0.1' }),
    ...(options.now ? { now: options.now } : {}),
    ...(options.noticeWorker !== undefined ? { noticeWorker: options.noticeWorker } : {}),
    ...(options.adapterOptions ? { adapterOptions: options.adapterOptions } : {}),
    ...(options.beforePlatformAck ? { beforePlatformAck: options.beforePlatformAck } : {}),
  });
  return {
    config,
    core,
    server,
    url: server.url,
    logLines,
    async close() {
      await server.close();
      await core.store.close();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
