/**
 * Open-loop, evenly paced HTTP load for bench/load.ts's fixed-rate phases.
 *
 * Why not autocannon's `overallRate`: autocannon gives each connection a per-second quota and sends
 * it back to back at the start of every second, then pauses, so "200 requests/s" arrives as a
 * burst of 200 once a second and the measured latency is that of the burst. Here request i is
 * sent at t0 + i / rate whatever the earlier ones are doing (open loop, like a platform delivering
 * callbacks), and its latency is counted from that intended send time to the last byte of the
 * answer, so a stalled server is not hidden by a generator that waits for it.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** One ready-to-send POST. */
export interface PreparedRequest {
  /** Path with query, e.g. '/wecom/callback?msg_signature=…'. */
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** What {@link runPaced} measured. */
export interface PacedResult {
  /** Answers received (any status). */
  responses: number;
  /** Wall time from the first send to the last answer, s. */
  durationS: number;
  /** Latency of every answered request, ms, ascending. */
  latenciesMs: Float64Array;
  /** Answers with a status outside 200–299. */
  non2xx: number;
  /** Requests that failed without an answer (connection error or timeout). */
  errors: number;
  timeouts: number;
  /** 2xx answers whose body `isReply` accepted. */
  replyBodies: number;
  /** Most requests in flight at once. */
  maxInFlight: number;
  /** Requests sent again after a keep-alive race (ECONNRESET on a reused connection). */
  retried: number;
  /** Failed requests by error code. */
  errorCodes: Record<string, number>;
}

/**
 * Sends `rate` requests per second to `baseUrl` for `durationS` seconds, each from `next()`.
 * @param options.rate requests per second (> 0); options.durationS seconds
 * @param options.timeoutMs per-request timeout, default 10 000 ms (counted in `errors` and `timeouts`)
 * @param options.isReply classifies a 2xx answer body (counted in `replyBodies`)
 * @param options.onNon2xx sees every answer with a status outside 200–299
 */
export async function runPaced(options: {
  baseUrl: string;
  rate: number;
  durationS: number;
  next: () => PreparedRequest;
  isReply?: (body: string) => boolean;
  /** Called with each non-2xx answer's status and body. */
  onNon2xx?: (status: number, body: string) => void;
  timeoutMs?: number;
}): Promise<PacedResult> {
  const url = new URL(options.baseUrl);
  // Idle connections are closed by us after 4 s, before the server's keep-alive timeout (Node's
  // default 5 s) can close one under a request being written (the keep-alive race).
  const agent = new Agent({ keepAlive: true, maxSockets: 256, timeout: 4000 });
  const total = Math.max(1, Math.round(options.rate * options.durationS));
  const intervalMs = 1000 / options.rate;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const latencies = new Float64Array(total);
  let responses = 0;
  let non2xx = 0;
  let errors = 0;
  let timeouts = 0;
  let replyBodies = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let retried = 0;
  const errorCodes: Record<string, number> = {};
  let lastAnswerAt = 0;
  let settled = 0;
  let allSettled!: () => void;
  const finished = new Promise<void>((r) => (allSettled = r));
  const settle = () => {
    inFlight--;
    if (++settled === total) allSettled();
  };

  function fire(intendedAt: number, prepared?: PreparedRequest): void {
    const p = prepared ?? options.next();
    let done = false;
    const settleOnce = (failed: boolean) => {
      if (done) return;
      done = true;
      if (failed) errors++;
      settle();
    };
    if (!prepared) {
      inFlight++;
      if (inFlight > maxInFlight) maxInFlight = inFlight;
    }
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: p.path,
        method: 'POST',
        agent,
        headers: { ...p.headers, 'content-length': String(p.body.length) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (done) return;
          const now = performance.now();
          latencies[responses++] = now - intendedAt;
          lastAnswerAt = now;
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) {
            non2xx++;
            options.onNon2xx?.(status, Buffer.concat(chunks).toString('utf8'));
          } else if (options.isReply?.(Buffer.concat(chunks).toString('utf8'))) replyBodies++;
          settleOnce(false);
        });
        res.on('error', () => settleOnce(true));
      },
    );
    req.on('timeout', () => {
      timeouts++;
      req.destroy(new Error('timeout'));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      // Keep-alive race: the server closed an idle connection just as this request was written on
      // it, so the server never saw the request. Send it again once on a fresh connection (Node's
      // documented remedy for req.reusedSocket); its latency still counts from the intended time.
      if (!done && !prepared && req.reusedSocket && err.code === 'ECONNRESET') {
        done = true;
        retried++;
        fire(intendedAt, p);
        return;
      }
      if (!done) errorCodes[err.code ?? err.message] = (errorCodes[err.code ?? err.message] ?? 0) + 1;
      settleOnce(true);
    });
    req.end(p.body);
  }

  const t0 = performance.now();
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    const due = Math.min(total, Math.floor((now - t0) / intervalMs) + 1);
    while (sent < due) {
      fire(t0 + sent * intervalMs);
      sent++;
    }
    if (sent < total) {
      const wait = t0 + sent * intervalMs - performance.now();
      await new Promise((r) => setTimeout(r, Math.max(0, wait)));
    }
  }
  await finished;
  agent.destroy();
  const sorted = latencies.subarray(0, responses).sort();
  return {
    responses,
    durationS: Math.max(0.001, (Math.max(lastAnswerAt, t0) - t0) / 1000),
    latenciesMs: sorted,
    non2xx,
    errors,
    timeouts,
    replyBodies,
    maxInFlight,
    retried,
    errorCodes,
  };
}
