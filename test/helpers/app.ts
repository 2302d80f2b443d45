/**
 * Test harness: the real bot (real knowledge base, real matcher, real store, real HTTP server on
 * 127.0.0.1:0) with a silent logger whose lines are captured for the privacy assertions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { loadConfig, type Config } from '../../src/config.ts';
import { createCore, type Core } from '../../src/core.ts';
import { createLogger } from '../../src/log.ts';
import { startServer, type RunningServer } from '../../src/http/server.ts';

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

/**
 * Starts the bot with `env` (merged over an empty environment: no platform unless given).
 * The embedded store lives in a fresh temp dir unless REDIS_URL is given.
 */
export async function startTestBot(env: Record<string, string> = {}, now?: () => number): Promise<TestBot> {
  const dataDir = mkdtempSync(join(tmpdir(), 'privacy-bot-test-'));
  const config = loadConfig({ KNOWLEDGE_DIR: join(REPO_ROOT, 'knowledge'), DATA_DIR: dataDir, PORT: '0', ...env });
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const log = createLogger('debug', sink);
  const core = await createCore(config, log);
  const server = await startServer({ config, core, log, host: '127.0.0.1', ...(now ? { now } : {}) });
  return {
    config,
    core,
    server,
    url: server.url,
    logLines,
    async close() {
      await server.close();
      await core.store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
