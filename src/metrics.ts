import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics (prom-client), served at GET /metrics. One {@link Metrics} per process;
 * label values are ids and outcomes only — never question text, answers, statuses or user ids.
 */
export interface Metrics {
  readonly registry: Registry;
  /** Platform callbacks by platform and outcome ('handled', 'duplicate', 'ignored', 'rejected'). */
  callbacks: Counter<'platform' | 'outcome'>;
  /** Duplicate platform deliveries dropped by dedup. */
  duplicates: Counter<'platform'>;
  /** Callbacks refused for a bad or missing signature / stale timestamp. */
  signatureFailures: Counter<'platform'>;
  /** Answers by intent and topic ('none' when declined). */
  answers: Counter<'intent' | 'topic'>;
  /** Time from receiving a message to having the core's answer, in seconds. */
  replyLatency: Histogram<'platform'>;
  /** Outbound platform API calls by platform, API and result code ('0' / 'ok' for success). */
  platformCalls: Counter<'platform' | 'api' | 'code'>;
  /** Broadcast recipients by state, updated by the notice engine. */
  broadcastRecipients: Gauge<'state'>;
  /** Questions refused by the per-user rate limit. */
  rateLimited: Counter<'platform'>;
}

/** Creates the metrics of this process, with Node's default process metrics. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'privacy_bot_' });
  const r = [registry];
  return {
    registry,
    callbacks: new Counter({ name: 'privacy_bot_callbacks_total', help: 'Platform callbacks by outcome', labelNames: ['platform', 'outcome'], registers: r }),
    duplicates: new Counter({ name: 'privacy_bot_duplicates_dropped_total', help: 'Duplicate platform deliveries dropped', labelNames: ['platform'], registers: r }),
    signatureFailures: new Counter({ name: 'privacy_bot_signature_failures_total', help: 'Callbacks refused for a bad signature or timestamp', labelNames: ['platform'], registers: r }),
    answers: new Counter({ name: 'privacy_bot_answers_total', help: 'Answers by intent and topic', labelNames: ['intent', 'topic'], registers: r }),
    replyLatency: new Histogram({
      name: 'privacy_bot_reply_latency_seconds',
      help: 'Time from receiving a message to the core answer',
      labelNames: ['platform'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: r,
    }),
    platformCalls: new Counter({ name: 'privacy_bot_platform_api_calls_total', help: 'Outbound platform API calls by result code', labelNames: ['platform', 'api', 'code'], registers: r }),
    broadcastRecipients: new Gauge({ name: 'privacy_bot_broadcast_recipients', help: 'Broadcast recipients by state (all broadcasts)', labelNames: ['state'], registers: r }),
    rateLimited: new Counter({ name: 'privacy_bot_rate_limited_total', help: 'Questions refused by the per-user rate limit', labelNames: ['platform'], registers: r }),
  };
}
