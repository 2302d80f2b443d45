import { randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Metrics } from '../metrics.ts';
import { requestContext } from '../log.ts';
import type { KeyValueStore } from '../store/ports/store.ts';
import type { BotResult, InboundMessage, MessageCommitter, MessageHandler } from '../platform/message.ts';
import type { BroadcastWorker } from '../notices/worker.ts';


const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * One request id per inbound request (the caller's X-Request-Id when it is a sane token, else a
 * new UUID), echoed in the X-Request-Id response header and added to every log line written while
 * handling it, including the background work it starts. Also counts platform callbacks by outcome
 * ('accepted' 2xx, 'rejected' 4xx, 'error' 5xx) and signature failures (401 on a callback route).
 * Mount first.
 * @param callbackRoutes path -> platform of every platform callback (PlatformAdapter.callbackRoutes);
 *   read at each request, so the app may fill it after mounting
 */
export function requestObservability(metrics: Metrics, callbackRoutes: ReadonlyMap<string, string> = new Map()): Middleware {
  return async (ctx, next) => {
    const given = ctx.get('x-request-id');
    const reqId = REQUEST_ID.test(given) ? given : randomUUID();
    ctx.set('X-Request-Id', reqId);
    await requestContext.run({ reqId }, async () => {
      try {
        await next();
      } finally {
        const platform = callbackRoutes.get(ctx.path);
        if (platform && ctx.method === 'POST') {
          const outcome = ctx.status < 300 ? 'accepted' : ctx.status < 500 ? 'rejected' : 'error';
          metrics.callbacks.inc({ platform, outcome });
          if (ctx.status === 401) metrics.signatureFailures.inc({ platform });
        }
      }
    });
  };
}

/** The core handler, counting answers by intent and topic and timing each answer (seconds). */
export function instrumentHandler(handle: MessageHandler, metrics: Metrics): MessageHandler {
  return async (message) => {
    const end = metrics.replyLatency.startTimer({ platform: message.platform });
    const r = await handle(message);
    end();
    count(metrics, message, r);
    return r;
  };
}

/** The core's commit step, counted and timed like {@link instrumentHandler} (commit to answer). */
export function instrumentCommitter(committer: MessageCommitter, metrics: Metrics): MessageCommitter {
  return {
    mayChangeState: (message) => committer.mayChangeState(message),
    commit: async (message) => {
      const end = metrics.replyLatency.startTimer({ platform: message.platform });
      const committed = await committer.commit(message);
      return {
        answer: async () => {
          const r = await committed.answer();
          end();
          count(metrics, message, r);
          return r;
        },
      };
    },
  };
}

function count(metrics: Metrics, message: InboundMessage, r: BotResult): void {
  metrics.answers.inc({ intent: r.intent, topic: r.topic ?? 'none' });
  if (r.intent === 'rate-limited') metrics.rateLimited.inc({ platform: message.platform });
}

/**
 * The store as adapters see it, counting dropped duplicates: a `claim` of a key
 * 'dedup:<platform>:…' that already exists is a platform re-delivery the adapter will drop.
 */
export function instrumentKv(kv: KeyValueStore, metrics: Metrics): KeyValueStore {
  return {
    claim: async (key, ttlMs, value) => {
      const first = await kv.claim(key, ttlMs, value);
      if (!first && key.startsWith('dedup:')) metrics.duplicates.inc({ platform: key.split(':')[1] ?? 'unknown' });
      return first;
    },
    get: (key) => kv.get(key),
    set: (key, value, ttlMs) => kv.set(key, value, ttlMs),
    delete: (key) => kv.delete(key),
    deleteIf: (key, value) => kv.deleteIf(key, value),
    increment: (key, ttlMs) => kv.increment(key, ttlMs),
  };
}

/**
 * GET /metrics in the Prometheus text format. Broadcast progress comes from this process's worker
 * counters (recipients sent / failed / retried / reminded since start).
 */
export function mountMetrics(router: Router, metrics: Metrics, worker: BroadcastWorker | null): void {
  router.get('/metrics', async (ctx) => {
    if (worker) {
      const w = worker.metrics;
      metrics.broadcastRecipients.set({ state: 'sent' }, w.recipientsSent);
      metrics.broadcastRecipients.set({ state: 'failed' }, w.recipientsFailed);
      metrics.broadcastRecipients.set({ state: 'retried' }, w.recipientsRetried);
      metrics.broadcastRecipients.set({ state: 'reminded' }, w.remindersSent);
      metrics.broadcastRecipients.set({ state: 'read' }, w.readsRecorded);
    }
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
}
