/**
 * A bot process that kills itself (SIGKILL) at the instant an adapter is about to tell the
 * platform a given message arrived — the `beforePlatformAck` seam of startServer. Used by
 * ack-durable.test.ts; run as `node --import tsx test/resilience/kill-child.ts` with:
 * - the bot's usual environment (platform variables, DATA_DIR or REDIS_URL, KNOWLEDGE_DIR);
 * - KILL_AT_MESSAGE: the platform message id to die at (whether or not it was committed first);
 * - KILL_TEST_REDIS_PREFIX (optional): the Redis key prefix of the deployment under test;
 * - KILL_TEST_ADAPTER_OPTIONS (optional): JSON of per-adapter options (adapters/index.ts AdapterOptions);
 * - KILL_TEST_SLOW_STORE_MS (optional): every acknowledgement and broadcast record waits this long
 *   before it is written — a slow store, longer than the old "answer first" budgets, so that an
 *   adapter acknowledging before the record would be caught with the record missing.
 * It prints JSON lines on stdout: {"listening": url} once serving, {"killing": point} at the end.
 * Logs go to stderr.
 */
import { writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/app/config.ts';
import { createCore } from '../../src/core.ts';
import { createLogger } from '../../src/log.ts';
import { startServer } from '../../src/app/server.ts';
import type { AdapterOptions } from '../../adapters/index.ts';

const env = process.env;
const config = loadConfig(env);
const log = createLogger(env.LOG_LEVEL ?? 'warn', process.stderr);
const prefix = env.KILL_TEST_REDIS_PREFIX;
const core = await createCore(config, log, prefix && config.redisUrl ? { redisKeyPrefix: prefix } : {});

const slowMs = Number(env.KILL_TEST_SLOW_STORE_MS ?? '0');
if (slowMs > 0) {
  const store = core.notices.store;
  const acknowledge = store.acknowledge.bind(store);
  store.acknowledge = async (...args) => {
    await sleep(slowMs);
    return acknowledge(...args);
  };
  const createBroadcast = store.createBroadcast.bind(store);
  store.createBroadcast = async (...args) => {
    await sleep(slowMs);
    return createBroadcast(...args);
  };
}

const killAt = env.KILL_AT_MESSAGE;
const adapterOptions = env.KILL_TEST_ADAPTER_OPTIONS ? (JSON.parse(env.KILL_TEST_ADAPTER_OPTIONS) as AdapterOptions) : undefined;
const server = await startServer({
  config,
  core,
  log,
  host: '127.0.0.1',
  noticeWorker: false,
  ...(adapterOptions ? { adapterOptions } : {}),
  beforePlatformAck(point) {
    if (point.messageId !== killAt) return;
    writeSync(1, `${JSON.stringify({ killing: point })}\n`);
    process.kill(process.pid, 'SIGKILL');
    // SIGKILL to oneself is delivered before kill() returns; never go on should it not be.
    for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
  },
});
writeSync(1, `${JSON.stringify({ listening: server.url })}\n`);
