/**
 * A bot process on Redis under a private key prefix: what `privacy-bot serve` does (configuration
 * from the environment, JSON logs on stdout, 'privacy-bot listening' once serving, graceful stop on
 * SIGTERM), with its stores opened under PREFIXED_BOT_REDIS_PREFIX so that a test can run several
 * instances of one deployment on the shared Redis (127.0.0.1:6379) without touching other keys,
 * and a quick broadcast worker (idle 50 ms) so a test waits for events rather than for its pauses.
 * Run as `node --import tsx test/resilience/prefixed-bot.ts` (harness.ts spawnBot with `redisPrefix`).
 */
import { loadConfig } from '../../src/app/config.ts';
import { createCore } from '../../src/core.ts';
import { createLogger } from '../../src/log.ts';
import { startServer } from '../../src/app/server.ts';

const env = process.env;
const prefix = env.PREFIXED_BOT_REDIS_PREFIX;
const config = loadConfig(env);
if (!prefix || !config.redisUrl) throw new Error('prefixed-bot needs REDIS_URL and PREFIXED_BOT_REDIS_PREFIX');
const log = createLogger(config.logLevel);
const core = await createCore(config, log, { redisKeyPrefix: prefix });
const running = await startServer({ config, core, log, host: '127.0.0.1', noticeWorker: { idleMs: 50 } });
let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    await running.close({ graceMs: 5_000 }).catch(() => {});
    await core.store.close().catch(() => {});
    log.info('stopped');
    log.flush();
    process.exit(0);
  })();
});
log.info({ port: running.port, store: core.store.kind }, 'privacy-bot listening');
