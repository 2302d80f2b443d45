/**
 * Load benchmark of the bot's two platform callbacks, with a bare Koa route as
 * the baseline, all on loopback in one run.
 *
 * Run: `npm run bench:load [-- options]` (= `node --import tsx bench/load.ts`). Options:
 *   --duration <s>     seconds per measured phase (default 10)
 *   --rate <n>         requests/s of the fixed-rate phases (default 200)
 *   --connections <n>  connections of the max-rate phases (default 10)
 *   --redis            use REDIS_URL (default redis://127.0.0.1:6379) instead of the embedded SQLite store
 *   --soak <minutes>   afterwards, run the fixed-rate load (half WeCom, half DingTalk) that long and
 *                      print the bot's RSS at start, middle and end (default: no soak)
 *   --json <file>      also write every figure as JSON to <file>
 *   --only <platform>  run only the wecom or the dingtalk phases (the baseline always runs; a soak sends both)
 *   --cpu-prof <dir>   run the bot with `node --cpu-prof --cpu-prof-dir=<dir>` (profile written when it stops)
 *   --unique-timestamps  give every DingTalk callback its own `timestamp` header (default: the send
 *                      time in ms, so callbacks sent in the same ms share a timestamp/sign pair)
 *   --unique-questions append each request's number to its question, so every text differs and
 *                      the bot's match cache (src/matching/cache.ts) never hits (default: the dev
 *                      set's 89 questions in turn, as colleagues repeat the same questions)
 *   --probe            preload bench/probe.mjs into the bot and print, per phase, event-loop delay,
 *                      GC pauses, the longest stall (and the CPU the bot used during it) and V8 heap
 *                      (diagnostics: the probe's 10 ms timer slightly changes what is measured)
 *
 * What runs (three processes besides this one, which is the load generator):
 * - the bot: `node bin/privacy-bot.mjs serve` on a free port, WeCom and DingTalk enabled and pointed
 *   at the fakes, LOG_LEVEL=info written to a file in a temp dir, embedded store in that temp dir;
 * - the fakes (bench/load-fakes.ts): the fake WeCom API and fake DingTalk of test/fakes/, which
 *   receive the bot's message/send, sessionWebhook and oToMessages calls;
 * - the baseline (bench/bare-koa.ts): Koa + @koa/router, raw body read, empty 200; in the same
 *   process, the protocol floors: that route plus only the platform's compulsory work for one text
 *   message, with the adapters' own functions (WeCom: envelope XML, SHA-1 signature, AES decrypt,
 *   message XML, encrypted passive reply; DingTalk: HMAC sign check, JSON, '{}', then the reply POSTed
 *   to the sessionWebhook on a keep-alive agent). No bot can be faster than its floor here.
 *
 * Requests: each WeCom request is an encrypted, signed text callback with its own MsgId and sender;
 * each DingTalk request a signed robot callback with its own msgId, sender and timestamp/sign pair
 * (1:1 chat, sessionWebhook on the fake). Every message has a new sender, so the per-user rate limit
 * never answers instead of the FAQ. Questions rotate over test/fixtures/dev.jsonl. Requests
 * are built before a phase starts (building them is not measured); a phase that outruns its stock
 * builds more on the fly and says how many. The baseline gets the same WeCom requests.
 *
 * Phases (after a 3 s unmeasured warm-up of each server at max rate): the baseline at max rate;
 * each platform's protocol floor at the fixed rate, then at max rate; WeCom at the fixed rate, then at max rate; DingTalk
 * likewise. Max rate is autocannon with
 * `--connections` connections, each sending its next request when the answer is in. The fixed rate
 * is sent evenly paced and open loop by bench/paced.ts (autocannon's `overallRate` sends each
 * second's quota as one burst, which measures a burst, not a steady 200/s). Latency is each
 * request's HTTP answer time (the acknowledgement) as the load generator sees it, ms, sub-ms
 * precision; for the paced phases it counts from the request's intended send time. The bot's
 * background replies are allowed to drain after each phase; its CPU time (/proc/<pid>/stat) per
 * request includes them. The bot's RSS is VmRSS from /proc/<pid>/status.
 *
 * Targets (docs/RELIABILITY.md): max-rate throughput >= 50 % of the baseline's; p99 < 50 ms at 200 requests/s;
 * RSS flat over a 10-minute soak. The summary also prints each floor's ratio to the baseline and
 * the bot's ratio to its floor.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { buildWecomCallback, wecomTextXml } from '../test/fakes/wecom-api.ts';
import { buildRobotMessage, signDingtalkRequest } from '../test/fakes/dingtalk-api.ts';
import { ENVIRONMENT_VARIABLES } from '../src/app/config.ts';
import { BENCH_DINGTALK, BENCH_WECOM, type FakesCounts, type FakesReady } from './load-shared.ts';
import { runPaced, type PreparedRequest } from './paced.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WARMUP_S = 3;
const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 50;

// ---------------------------------------------------------------------------------------------
// Options

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    rate: { type: 'string', default: '200' },
    connections: { type: 'string', default: '10' },
    redis: { type: 'boolean', default: false },
    soak: { type: 'string' },
    json: { type: 'string' },
    only: { type: 'string' },
    'cpu-prof': { type: 'string' },
    probe: { type: 'boolean', default: false },
    'unique-timestamps': { type: 'boolean', default: false },
    'unique-questions': { type: 'boolean', default: false },
  },
});
const DURATION_S = positive(opts.duration, '--duration');
const RATE = positive(opts.rate, '--rate');
const CONNECTIONS = positive(opts.connections, '--connections');
const SOAK_MIN = opts.soak === undefined ? 0 : positive(opts.soak, '--soak');
const ONLY = opts.only ?? null;
if (ONLY !== null && ONLY !== 'wecom' && ONLY !== 'dingtalk') {
  process.stderr.write(`bench:load: --only must be wecom or dingtalk (got ${JSON.stringify(ONLY)})\n`);
  process.exit(2);
}
const CPU_PROF_DIR = opts['cpu-prof'] ?? null;
const PROBE = opts.probe;
const UNIQUE_TS = opts['unique-timestamps'];
const UNIQUE_QUESTIONS = opts['unique-questions'];
const REDIS_URL = opts.redis ? (process.env.REDIS_URL ?? 'redis://127.0.0.1:6379') : null;

function positive(v: string | undefined, name: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`bench:load: ${name} must be a positive number (got ${JSON.stringify(v)})\n`);
    process.exit(2);
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Requests

type Prepared = PreparedRequest;

const QUESTIONS: string[] = readFileSync(join(ROOT, 'test/fixtures/dev.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => (JSON.parse(l) as { q: string }).q);

/**
 * The i-th question: the dev set's questions in turn; with --unique-questions each gets its number
 * appended ("…吗（1234）"), so no two texts are equal and the bot's match cache never hits.
 */
function question(i: number): string {
  const q = QUESTIONS[i % QUESTIONS.length]!;
  return UNIQUE_QUESTIONS ? `${q}（${i}）` : q;
}

/** Run tag: keeps MsgIds, msgIds and senders of this run apart from earlier runs (Redis keeps dedup keys for hours). */
const RUN_TAG = randomUUID().slice(0, 8);
/** WeCom MsgIds are 64-bit decimal numbers; this run's start at ms * 1000. */
const WECOM_MSGID_BASE = BigInt(Date.now()) * 1000n;
let wecomSeq = 0;
let dingSeq = 0;
let dingtalkApiBase = '';

function buildWecom(): Prepared {
  const i = wecomSeq++;
  const xml = wecomTextXml({
    corpId: BENCH_WECOM.corpId,
    from: `bench${RUN_TAG}w${i}`,
    content: question(i),
    msgId: (WECOM_MSGID_BASE + BigInt(i)).toString(),
  });
  const cb = buildWecomCallback({ token: BENCH_WECOM.token, encodingAESKey: BENCH_WECOM.encodingAESKey, corpId: BENCH_WECOM.corpId, xml });
  return { path: `/wecom/callback?${cb.query}`, headers: { 'content-type': 'text/xml' }, body: Buffer.from(cb.body) };
}

function buildDingtalk(): Prepared {
  const i = dingSeq++;
  const now = Date.now();
  const user = `bench${RUN_TAG}d${i}`;
  const body = buildRobotMessage({
    msgId: `msgbench${RUN_TAG}${i}`,
    text: { content: ` ${question(i)}` },
    createAt: now,
    conversationId: `cidbench${RUN_TAG}${i}`,
    senderId: `$:LWCP_v1:$${user}`,
    senderStaffId: user,
    senderNick: `bench ${i}`,
    robotCode: BENCH_DINGTALK.robotCode,
    sessionWebhook: `${dingtalkApiBase}/robot/sendBySession?session=bench${RUN_TAG}${i}`,
    sessionWebhookExpiredTime: now + 90 * 60_000,
  });
  // timestamp/sign are added when the request is sent (stampDingtalk), as DingTalk signs at send time.
  return { path: '/dingtalk/callback', headers: { 'content-type': 'application/json; charset=utf-8' }, body: Buffer.from(JSON.stringify(body)) };
}

/**
 * The `timestamp`/`sign` headers of a DingTalk callback, made at send time like DingTalk does
 * (sign = HMAC-SHA256 over the ms timestamp only, a few µs). With --unique-timestamps each request
 * gets a timestamp no other request of the run has (max(previous + 1, now)); by default two
 * requests sent in the same millisecond share one, as two DingTalk pushes can.
 */
let lastDingtalkTs = 0;
function stampDingtalk(p: Prepared): Prepared {
  const now = Date.now();
  const ts = UNIQUE_TS ? Math.max(lastDingtalkTs + 1, now) : now;
  lastDingtalkTs = ts;
  const { timestamp, sign } = signDingtalkRequest(BENCH_DINGTALK.appSecret, ts);
  return { ...p, headers: { ...p.headers, timestamp, sign } };
}

/**
 * A stock of prepared requests. `next()` hands each out once; when the stock is empty it builds on
 * the fly (counted in `builtLive`). With `cycle` it hands the stock out round and round instead
 * (the baseline does not care about duplicates).
 */
class RequestStock {
  private items: Prepared[] = [];
  private pos = 0;
  builtLive = 0;
  /**
   * @param build makes one request
   * @param cycle hand the stock out round and round (the baseline)
   * @param atSend last touch when the request is handed out, i.e. sent (DingTalk's timestamp/sign)
   */
  constructor(
    private readonly build: () => Prepared,
    private readonly cycle = false,
    private readonly atSend: (p: Prepared) => Prepared = (p) => p,
  ) {}
  fill(n: number): void {
    this.items = this.items.slice(this.pos);
    this.pos = 0;
    while (this.items.length < n) this.items.push(this.build());
  }
  next(): Prepared {
    if (this.cycle) return this.atSend(this.items[this.pos++ % this.items.length]!);
    if (this.pos < this.items.length) {
      const p = this.items[this.pos]!;
      this.items[this.pos++] = undefined as never; // let it be collected
      return this.atSend(p);
    }
    this.builtLive++;
    return this.atSend(this.build());
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

const children: ChildProcess[] = [];
let probeFile: string | null = null;

/** One line of bench/probe.mjs. */
interface ProbeLine {
  t: number;
  eldP99Ms: number;
  eldMaxMs: number;
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
  stallMs: number;
  stallCpuMs: number;
  heapUsedBytes: number;
  rssBytes: number;
}

function probeLines(): ProbeLine[] {
  if (!probeFile) return [];
  try {
    return readFileSync(probeFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ProbeLine);
  } catch {
    return [];
  }
}

/** Probe figures over [from, to] (ms since the epoch), or null without probe lines there. */
function probeSummary(from: number, to: number): string | null {
  const ls = probeLines().filter((l) => l.t >= from && l.t <= to + 1000);
  if (ls.length === 0) return null;
  const worst = ls.reduce((a, b) => (b.stallMs > a.stallMs ? b : a));
  const max = (f: (l: ProbeLine) => number) => Math.max(...ls.map(f));
  const gcMs = ls.reduce((a, l) => a + l.gcTotalMs, 0);
  return (
    `event-loop delay p99 ≤ ${max((l) => l.eldP99Ms).toFixed(0)} ms, max ${max((l) => l.eldMaxMs).toFixed(0)} ms; ` +
    `GC ${gcMs.toFixed(0)} ms in ${ls.reduce((a, l) => a + l.gcCount, 0)} pauses (longest ${max((l) => l.gcMaxMs).toFixed(0)} ms); ` +
    `longest stall ${worst.stallMs.toFixed(0)} ms with ${worst.stallCpuMs.toFixed(0)} ms CPU; ` +
    `heap ${mb(Math.min(...ls.map((l) => l.heapUsedBytes)))} – ${mb(max((l) => l.heapUsedBytes))}`
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function startFakes(): Promise<{ child: ChildProcess; ready: FakesReady }> {
  const child = fork(join(ROOT, 'bench/load-fakes.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fakes process exited (${code}) before it was ready`)));
    child.once('message', (m: FakesReady) => resolve({ child, ready: m }));
  });
}

function fakesCounts(child: ChildProcess): Promise<FakesCounts> {
  return new Promise((resolve) => {
    child.once('message', (m: FakesCounts) => resolve(m));
    child.send({ type: 'counts' });
  });
}

/** Environment without any of the bot's variables from the caller's shell. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ENVIRONMENT_VARIABLES) delete env[name];
  return env;
}

async function waitReady(url: string, child: ChildProcess, what: string, logFile?: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  const tail = logFile ? readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
  throw new Error(`${what} did not become ready at ${url}${child.exitCode !== null ? ` (exited ${child.exitCode})` : ''}\n${tail}`);
}

/** VmRSS of a process in bytes (Linux /proc). */
function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** CPU time (user + system) a process has used so far, in ms (Linux /proc; clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: field 3 is index 0, so utime (14) is index 11 and stime (15) index 12.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;

/**
 * Time the process's main thread has spent runnable but waiting for a CPU, in ms
 * (/proc/<pid>/schedstat, second field, ns). Grows when other processes hold the CPUs.
 */
function runQueueWaitMs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return NaN;
  }
}

/** Least-squares slope of y over x (0 with fewer than two points). */
function slope(x: number[], y: number[]): number {
  const n = x.length;
  if (n < 2) return 0;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (x[i]! - mx) * (y[i]! - my);
    den += (x[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;

// ---------------------------------------------------------------------------------------------
// Load phases

/** Figures of one phase. */
interface PhaseResult {
  name: string;
  /** 'floor-wecom' / 'floor-dingtalk': the protocol floor routes of bench/bare-koa.ts. */
  target: 'baseline' | 'wecom' | 'dingtalk' | 'floor-wecom' | 'floor-dingtalk';
  /** Requests/s asked for; null = as fast as the server answers. */
  rate: number | null;
  durationS: number;
  responses: number;
  requestsPerS: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** WeCom: 2xx answers carrying a passive (encrypted XML) reply; DingTalk: answers that were `{}`. */
  replyBodies: number;
  /** Failed requests by error code (paced phases only). */
  errorCodes: Record<string, number>;
  /** Requests sent again after a keep-alive race (paced phases only). */
  retried: number;
  /** Non-2xx answers by status, with the first body seen. */
  non2xxByStatus: Record<string, { count: number; body: string }>;
  builtLive: number;
  /** CPU used by the server process during the phase, % of one core. */
  serverCpuPct: number;
  /** CPU used by the load generator (this process) during the phase, % of one core. */
  generatorCpuPct: number;
  /**
   * Server CPU time per answered request, in ms, counted from the phase's start until the bot's
   * background replies have drained (so DingTalk's after-the-answer work is included). Unlike
   * requests/s it does not depend on how much CPU the other processes left the server.
   */
  cpuPerRequestMs: number;
  /** Seconds from the end of the load until the bot's background replies stopped (null: not waited for). */
  drainS: number | null;
  /**
   * ms the server's main thread was ready to run but waited for a CPU during the load, per second
   * of load (0 on an idle machine; other processes, the generator included, make it grow).
   */
  runQueueWaitMsPerS: number;
  /** ms since the epoch: when the load started and ended (for the probe's lines). */
  startedAt: number;
  endedAt: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i]!;
}

/** What one driver (autocannon or the paced client) measured. */
interface DriverResult {
  durationS: number;
  /** Ascending, ms. */
  latencies: Float64Array;
  non2xx: number;
  errors: number;
  timeouts: number;
  replyBodies: number;
  /** Failed requests by error code (paced phases only). */
  errorCodes: Record<string, number>;
  /** Requests the paced client sent again after a keep-alive race. */
  retried: number;
  /** Non-2xx answers by status, with the first answer body seen (up to 120 characters). */
  non2xxByStatus: Record<string, { count: number; body: string }>;
}

function noteNon2xx(into: Record<string, { count: number; body: string }>, status: number, body: string): void {
  const e = (into[String(status)] ??= { count: 0, body: body.slice(0, 120) });
  e.count++;
}

/** Max rate: autocannon, `CONNECTIONS` connections, each sending its next request as soon as the answer is in. */
async function runAutocannon(url: string, stock: RequestStock, durationS: number, isReply: (body: string) => boolean): Promise<DriverResult> {
  let latencies = new Float64Array(1 << 16);
  let n = 0;
  let replyBodies = 0;
  const non2xxByStatus: Record<string, { count: number; body: string }> = {};
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: CONNECTIONS,
        duration: durationS,
        requests: [
          {
            method: 'POST',
            setupRequest: (req) => {
              const p = stock.next();
              req.path = p.path;
              req.headers = { ...p.headers };
              req.body = p.body;
              return req;
            },
            onResponse: (status, body) => {
              if (status >= 200 && status < 300) {
                if (isReply(body)) replyBodies++;
              } else noteNon2xx(non2xxByStatus, status, body);
            },
          },
        ],
      },
      (err: unknown, r: autocannon.Result) => (err ? reject(err as Error) : resolve(r)),
    );
    // autocannon's own histogram keeps whole ms of 2xx answers only; record every answer's time.
    (instance as unknown as NodeJS.EventEmitter).on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
      if (n === latencies.length) {
        const bigger = new Float64Array(latencies.length * 2);
        bigger.set(latencies);
        latencies = bigger;
      }
      latencies[n++] = ms;
    });
  });
  return {
    durationS: result.duration,
    latencies: latencies.subarray(0, n).sort(),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    replyBodies,
    errorCodes: {},
    retried: 0,
    non2xxByStatus,
  };
}

async function runPhase(args: {
  name: string;
  target: PhaseResult['target'];
  url: string;
  /** pid of the server process, for its CPU time. */
  pid: number;
  stock: RequestStock;
  /** Requests/s, evenly paced (bench/paced.ts); null = max rate (autocannon). */
  rate: number | null;
  durationS: number;
  quiet?: boolean;
  /**
   * Resolves when the server's background work for this phase is done (counted in
   * cpuPerRequestMs), with the seconds from the end of the load to the last background request.
   */
  drain?: () => Promise<number>;
}): Promise<PhaseResult> {
  const cpu0 = cpuMs(args.pid);
  const wait0 = runQueueWaitMs(args.pid);
  const gen0 = process.cpuUsage();
  const t0 = performance.now();
  const startedAt = Date.now();
  const builtBefore = args.stock.builtLive;
  const isReply =
    args.target === 'dingtalk' || args.target === 'floor-dingtalk' ? (body: string) => body === '{}' : (body: string) => body.startsWith('<xml>') && body.includes('<Encrypt>');
  let d: DriverResult;
  if (args.rate === null) {
    d = await runAutocannon(args.url, args.stock, args.durationS, isReply);
  } else {
    const non2xxByStatus: Record<string, { count: number; body: string }> = {};
    const p = await runPaced({
      baseUrl: args.url,
      rate: args.rate,
      durationS: args.durationS,
      next: () => args.stock.next(),
      isReply,
      onNon2xx: (status, body) => noteNon2xx(non2xxByStatus, status, body),
    });
    d = {
      durationS: p.durationS,
      latencies: p.latenciesMs,
      non2xx: p.non2xx,
      errors: p.errors,
      timeouts: p.timeouts,
      replyBodies: p.replyBodies,
      errorCodes: p.errorCodes,
      retried: p.retried,
      non2xxByStatus,
    };
  }
  const wallMs = performance.now() - t0;
  const runQueueWaitMsPerS = ((runQueueWaitMs(args.pid) - wait0) * 1000) / wallMs;
  const gen = process.cpuUsage(gen0);
  const serverCpuPct = (100 * (cpuMs(args.pid) - cpu0)) / wallMs;
  const generatorCpuPct = (100 * (gen.user + gen.system)) / 1000 / wallMs;
  const n = d.latencies.length;
  const r: PhaseResult = {
    name: args.name,
    target: args.target,
    rate: args.rate,
    durationS: d.durationS,
    responses: n,
    requestsPerS: n / d.durationS,
    p50Ms: percentile(d.latencies, 0.5),
    p90Ms: percentile(d.latencies, 0.9),
    p99Ms: percentile(d.latencies, 0.99),
    maxMs: percentile(d.latencies, 1),
    non2xx: d.non2xx,
    errors: d.errors,
    timeouts: d.timeouts,
    replyBodies: d.replyBodies,
    errorCodes: d.errorCodes,
    retried: d.retried,
    non2xxByStatus: d.non2xxByStatus,
    builtLive: args.stock.builtLive - builtBefore,
    serverCpuPct,
    generatorCpuPct,
    cpuPerRequestMs: (cpuMs(args.pid) - cpu0) / Math.max(1, n),
    drainS: null,
    runQueueWaitMsPerS,
    startedAt,
    endedAt: Date.now(),
  };
  if (args.drain) {
    r.drainS = await args.drain();
    r.cpuPerRequestMs = (cpuMs(args.pid) - cpu0) / Math.max(1, n);
  }
  if (!args.quiet) {
    process.stdout.write(`  ${formatPhase(r)}\n`);
    printNon2xx(r);
    printProbe(r);
  }
  return r;
}

function printNon2xx(r: PhaseResult): void {
  for (const [status, e] of Object.entries(r.non2xxByStatus)) {
    process.stdout.write(`  ${''.padEnd(22)} ${e.count} × HTTP ${status}: ${JSON.stringify(e.body)}\n`);
  }
}

function printProbe(r: PhaseResult): void {
  if (r.target !== 'wecom' && r.target !== 'dingtalk') return;
  const p = probeSummary(r.startedAt, r.endedAt);
  if (p) process.stdout.write(`  ${''.padEnd(22)} probe: ${p}\n`);
}

function formatPhase(r: PhaseResult): string {
  const rate = r.rate === null ? 'max' : `${r.rate}/s`;
  const extra =
    r.target === 'wecom' || r.target === 'floor-wecom'
      ? `, passive replies ${r.replyBodies}`
      : r.target === 'dingtalk' || r.target === 'floor-dingtalk'
        ? `, '{}' answers ${r.replyBodies}`
        : '';
  return (
    `${r.name.padEnd(22)} ${rate.padStart(6)}  ${r.requestsPerS.toFixed(0).padStart(6)} req/s  ` +
    `p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  max ${r.maxMs.toFixed(1)} ms  ` +
    `non-2xx ${r.non2xx}  errors ${r.errors}${
      Object.keys(r.errorCodes).length > 0 ? ` (${Object.entries(r.errorCodes).map(([c, n]) => `${n} ${c}`).join(', ')})` : ''
    }${r.retried > 0 ? `, ${r.retried} resent after a keep-alive race` : ''}${r.drainS !== null && r.drainS > 0.15 ? `  replies still going ${r.drainS.toFixed(1)} s after the load` : ''}  cpu: server ${r.serverCpuPct.toFixed(0)} % (${(r.cpuPerRequestMs * 1000).toFixed(0)} µs/request), generator ${r.generatorCpuPct.toFixed(0)} %; server waited for a CPU ${r.runQueueWaitMsPerS.toFixed(0)} ms/s${extra}${r.builtLive > 0 ? `, ${r.builtLive} built during the run` : ''}`
  );
}

/**
 * Waits until the fakes have seen no new request for `quietMs` (the bot's background replies are
 * done). Resolves with the counts and the seconds from the call to the last new request seen
 * (0 when nothing came after the call; resolution 100 ms).
 */
async function drain(fakes: ChildProcess, quietMs = 1500, maxMs = 300_000): Promise<{ counts: FakesCounts; tailS: number }> {
  const start = Date.now();
  let last = await fakesCounts(fakes);
  let lastChange = start;
  while (Date.now() - start < maxMs) {
    await sleep(100);
    const c = await fakesCounts(fakes);
    if (c.wecomRequests !== last.wecomRequests || c.dingtalkRequests !== last.dingtalkRequests) lastChange = Date.now();
    last = c;
    if (Date.now() - lastChange >= quietMs) break;
  }
  return { counts: last, tailS: (lastChange - start) / 1000 };
}

function diffCounts(a: FakesCounts, b: FakesCounts): Omit<FakesCounts, 'type'> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(b) as (keyof FakesCounts)[]) if (k !== 'type') out[k] = (b[k] as number) - (a[k] as number);
  return out as Omit<FakesCounts, 'type'>;
}

/** Log lines of the bot at level error or above, grouped by message. */
function errorLines(logFile: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const o = JSON.parse(line) as { level?: number; msg?: string; code?: string };
      if ((o.level ?? 0) >= 50) {
        const k = `${o.msg ?? '?'}${o.code ? ` (${o.code})` : ''}`;
        out[k] = (out[k] ?? 0) + 1;
      }
    } catch {
      /* not JSON */
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'privacy-bot-bench-'));
  const logFile = join(work, 'bot.log');
  const { child: fakes, ready } = await startFakes();
  dingtalkApiBase = ready.dingtalkUrl;

  const botPort = await freePort();
  const logFd = openSync(logFile, 'a');
  const profArgs = CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : [];
  if (PROBE) {
    probeFile = join(work, 'probe.jsonl');
    profArgs.push('--import', pathToFileURL(join(ROOT, 'bench/probe.mjs')).href);
  }
  const bot = spawn(process.execPath, [...profArgs, join(ROOT, 'bin/privacy-bot.mjs'), 'serve'], {
    cwd: ROOT,
    stdio: ['ignore', logFd, logFd],
    env: {
      ...cleanEnv(),
      PORT: String(botPort),
      DATA_DIR: join(work, 'data'),
      KNOWLEDGE_DIR: join(ROOT, 'knowledge'),
      LOG_LEVEL: 'info',
      ...(probeFile ? { BENCH_PROBE_FILE: probeFile } : {}),
      TRY_PAGE: 'off',
      ...(REDIS_URL ? { REDIS_URL } : {}),
      WECOM_CORP_ID: BENCH_WECOM.corpId,
      WECOM_AGENT_ID: String(BENCH_WECOM.agentId),
      WECOM_SECRET: BENCH_WECOM.secret,
      WECOM_TOKEN: BENCH_WECOM.token,
      WECOM_ENCODING_AES_KEY: BENCH_WECOM.encodingAESKey,
      WECOM_API_BASE: ready.wecomUrl,
      DINGTALK_APP_KEY: BENCH_DINGTALK.appKey,
      DINGTALK_APP_SECRET: BENCH_DINGTALK.appSecret,
      DINGTALK_ROBOT_CODE: BENCH_DINGTALK.robotCode,
      DINGTALK_API_BASE: ready.dingtalkUrl,
    },
  });
  closeSync(logFd);
  children.push(bot);
  const barePort = await freePort();
  const bare = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/bare-koa.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...cleanEnv(), PORT: String(barePort) },
  });
  children.push(bare);
  const botUrl = `http://127.0.0.1:${botPort}`;
  const bareUrl = `http://127.0.0.1:${barePort}`;
  await waitReady(`${botUrl}/readyz`, bot, 'the bot', logFile);
  await waitReady(`${bareUrl}/healthz`, bare, 'the bare Koa route');
  const botPid = bot.pid!;

  const store = REDIS_URL ? `Redis (${REDIS_URL})` : 'embedded SQLite (temp dir)';
  process.stdout.write(
    `privacy-bot load bench — node ${process.version}, ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}\n` +
      `load average at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (other work on the machine skews every figure)\n` +
      `store: ${store}; ${CONNECTIONS} connections; ${DURATION_S} s per phase; fixed rate ${RATE}/s; ` +
      `${QUESTIONS.length} questions rotated${UNIQUE_QUESTIONS ? ', each made unique (match cache never hits)' : ''}; LOG_LEVEL=info to a file\n` +
      `DingTalk timestamp header: ${UNIQUE_TS ? 'unique per callback (--unique-timestamps)' : 'send time in ms (callbacks sent in the same ms share a timestamp/sign pair)'}\n` +
      `processes on this machine: bot (pid ${botPid}), bare Koa (pid ${bare.pid}), fake platforms (pid ${fakes.pid}), ` +
      `load generator (this, pid ${process.pid}) — nothing pinned, they share the CPUs\n\n`,
  );

  const rss: { at: string; bytes: number }[] = [];
  const noteRss = (at: string) => rss.push({ at, bytes: rssBytes(botPid) });
  noteRss('start (ready, before any request)');

  const wecom = new RequestStock(buildWecom);
  const ding = new RequestStock(buildDingtalk, false, stampDingtalk);
  const bareStock = new RequestStock(buildWecom, true);
  // The baseline gets WeCom-shaped requests; its own stock so that the bot's MsgIds stay unused.
  bareStock.fill(2000);

  const platforms = (['wecom', 'dingtalk'] as const).filter((t) => ONLY === null || ONLY === t);
  // Floor requests: the same callbacks sent to the floor routes, handed out round and round (no dedup there).
  const toFloor = (p: Prepared): Prepared => ({ ...p, path: p.path.replace('/callback', '/floor') });
  const floorStocks = {
    wecom: new RequestStock(() => toFloor(buildWecom()), true),
    dingtalk: new RequestStock(() => toFloor(buildDingtalk()), true, stampDingtalk),
  };
  const stocks = { wecom, dingtalk: ding };
  process.stdout.write(`warm-up (${WARMUP_S} s each at max rate, not counted)\n`);
  const wBare = await runPhase({ name: 'warm-up baseline', target: 'baseline', url: bareUrl, pid: bare.pid!, stock: bareStock, rate: null, durationS: WARMUP_S, quiet: true });
  const warm: Partial<Record<'wecom' | 'dingtalk', PhaseResult>> = {};
  for (const t of platforms) {
    stocks[t].fill(20_000);
    warm[t] = await runPhase({ name: `warm-up ${t}`, target: t, url: botUrl, pid: botPid, stock: stocks[t], rate: null, durationS: WARMUP_S, quiet: true });
    await drain(fakes);
  }
  process.stdout.write(
    `  warm-up rates: baseline ${wBare.requestsPerS.toFixed(0)}${platforms.map((t) => `, ${t} ${warm[t]!.requestsPerS.toFixed(0)}`).join('')} req/s\n`,
  );
  noteRss('after warm-up');

  // Warm-up rates run low (the JIT is still cold), so stock well above them.
  const stockFor = (maxRate: number) => Math.ceil(Math.max(RATE, maxRate) * DURATION_S * 2.5) + 2000;
  const phases: PhaseResult[] = [];
  const deliveries: Record<string, Omit<FakesCounts, 'type'>> = {};
  process.stdout.write(`\nphases (${DURATION_S} s each)\n`);
  phases.push(await runPhase({ name: 'baseline (bare Koa)', target: 'baseline', url: bareUrl, pid: bare.pid!, stock: bareStock, rate: null, durationS: DURATION_S }));
  // The protocol floors (bench/bare-koa.ts): the bare route plus only the platform's compulsory work.
  for (const t of platforms) {
    const floorStock = floorStocks[t];
    floorStock.fill(2000);
    await runPhase({ name: `warm-up floor ${t}`, target: `floor-${t}`, url: bareUrl, pid: bare.pid!, stock: floorStock, rate: null, durationS: WARMUP_S, quiet: true });
    for (const rate of [RATE, null]) {
      const name = `${t} floor ${rate === null ? 'max' : 'fixed'}`;
      phases.push(await runPhase({ name, target: `floor-${t}`, url: bareUrl, pid: bare.pid!, stock: floorStock, rate, durationS: DURATION_S }));
    }
    await drain(fakes);
  }

  for (const target of platforms) {
    const stock = stocks[target];
    stock.fill(Math.ceil(RATE * DURATION_S * 1.2) + 500);
    for (const rate of [RATE, null]) {
      const name = `${target} ${rate === null ? 'max rate' : 'fixed rate'}`;
      if (rate === null) stock.fill(stockFor(warm[target]!.requestsPerS));
      const before = await fakesCounts(fakes);
      let after = before;
      const drainNow = async () => {
        const d = await drain(fakes);
        after = d.counts;
        return d.tailS;
      };
      phases.push(await runPhase({ name, target, url: botUrl, pid: botPid, stock, rate, durationS: DURATION_S, drain: drainNow }));
      deliveries[name] = diffCounts(before, after);
      noteRss(`after ${name}`);
    }
  }

  // Background deliveries per phase, as the fakes saw them.
  process.stdout.write(`\nbackground replies received by the fake platforms (after each phase drained)\n`);
  for (const [name, d] of Object.entries(deliveries)) {
    const line = name.startsWith('wecom')
      ? `message/send accepted ${d.wecomSent}, API errors ${d.wecomErrors}`
      : `sessionWebhook ok ${d.dingtalkWebhookOk}, failed ${d.dingtalkWebhookErrors}; oToMessages ${d.dingtalkOto}; API errors ${d.dingtalkErrors}`;
    process.stdout.write(`  ${name.padEnd(22)} ${line}\n`);
  }

  // Summary against the targets.
  const base = phases.find((p) => p.target === 'baseline')!;
  const get = (t: string, fixed: boolean) => phases.find((p) => p.target === t && (p.rate !== null) === fixed)!;
  const summary = platforms.map((t) => {
    const max = get(t, false);
    const fixed = get(t, true);
    const floor = phases.find((p) => p.target === `floor-${t}` && p.rate === null)!;
    return {
      platform: t,
      floorRatio: floor.requestsPerS / base.requestsPerS,
      ofFloor: max.requestsPerS / floor.requestsPerS,
      ratio: max.requestsPerS / base.requestsPerS,
      ratioOk: max.requestsPerS / base.requestsPerS >= TARGET_RATIO,
      p99AtRateMs: fixed.p99Ms,
      p99Ok: fixed.p99Ms < TARGET_P99_MS && fixed.non2xx === 0 && fixed.errors === 0,
    };
  });
  process.stdout.write(`\nsummary (targets: max-rate throughput >= ${TARGET_RATIO * 100} % of the bare route; p99 < ${TARGET_P99_MS} ms at ${RATE}/s)\n`);
  for (const s of summary) {
    process.stdout.write(
      `  ${s.platform.padEnd(9)} ratio ${(s.ratio * 100).toFixed(1)} % of ${base.requestsPerS.toFixed(0)} req/s  ${s.ratioOk ? 'OK' : 'MISSED'};  ` +
        `p99 at ${RATE}/s ${s.p99AtRateMs.toFixed(2)} ms  ${s.p99Ok ? 'OK' : 'MISSED'}\n`,
    );
  }
  process.stdout.write(`  protocol floor (the bare route + only the platform's compulsory work; no bot can beat it here):\n`);
  for (const s of summary) {
    process.stdout.write(
      `  ${s.platform.padEnd(9)} floor ${(s.floorRatio * 100).toFixed(1)} % of the bare route; the bot reaches ${(s.ofFloor * 100).toFixed(1)} % of its floor\n`,
    );
  }

  // Soak.
  let soak: { samples: { atS: number; bytes: number }[]; wecom: PhaseResult; dingtalk: PhaseResult } | null = null;
  if (SOAK_MIN > 0) {
    const soakS = Math.round(SOAK_MIN * 60);
    process.stdout.write(`\nsoak: ${SOAK_MIN} min at ${RATE}/s (${RATE / 2}/s WeCom + ${RATE / 2}/s DingTalk), requests built on the fly\n`);
    await drain(fakes);
    const liveW = new RequestStock(buildWecom);
    const liveD = new RequestStock(buildDingtalk, false, stampDingtalk);
    const samples: { atS: number; bytes: number }[] = [];
    const t0 = Date.now();
    const sample = () => samples.push({ atS: Math.round((Date.now() - t0) / 1000), bytes: rssBytes(botPid) });
    sample();
    const sampler = setInterval(sample, 10_000);
    const cpu0 = cpuMs(botPid);
    const [w, d] = await Promise.all([
      runPhase({ name: 'soak wecom', target: 'wecom', url: botUrl, pid: botPid, stock: liveW, rate: RATE / 2, durationS: soakS, quiet: true }),
      runPhase({ name: 'soak dingtalk', target: 'dingtalk', url: botUrl, pid: botPid, stock: liveD, rate: RATE / 2, durationS: soakS, quiet: true }),
    ]);
    clearInterval(sampler);
    await drain(fakes);
    sample();
    // Both phases share the bot: its CPU is split over all their requests.
    const soakCpuMs = cpuMs(botPid) - cpu0;
    for (const r of [w, d]) {
      r.cpuPerRequestMs = soakCpuMs / Math.max(1, w.responses + d.responses);
      r.serverCpuPct = (100 * soakCpuMs) / ((Date.now() - t0) || 1);
      process.stdout.write(`  ${formatPhase(r)}\n`);
      printNon2xx(r);
    }
    printProbe(w);
    const mid = samples.reduce((best, s) => (Math.abs(s.atS - soakS / 2) < Math.abs(best.atS - soakS / 2) ? s : best));
    const end = samples[samples.length - 1]!;
    const bytes = samples.map((s) => s.bytes);
    // After the first two minutes (the heap left by the max-rate phases needs a major GC first):
    // range and least-squares trend.
    const SETTLE_S = Math.min(120, soakS / 4);
    const later = samples.filter((s) => s.atS >= SETTLE_S);
    const trendMbPerMin = slope(later.map((s) => s.atS / 60), later.map((s) => s.bytes / 1024 / 1024));
    process.stdout.write(
      `  bot RSS: start ${mb(samples[0]!.bytes)}, middle (${mid.atS} s) ${mb(mid.bytes)}, end (${end.atS} s) ${mb(end.bytes)}; ` +
        `min ${mb(Math.min(...bytes))}, max ${mb(Math.max(...bytes))} over ${samples.length} samples (every 10 s)\n`,
    );
    if (later.length >= 3) {
      const lb = later.map((s) => s.bytes);
      process.stdout.write(
        `  after the first ${SETTLE_S} s: RSS ${mb(Math.min(...lb))} – ${mb(Math.max(...lb))}, trend ${signed(trendMbPerMin)} MB/min\n`,
      );
      const heap = probeLines().filter((l) => l.t >= t0 + SETTLE_S * 1000);
      if (heap.length >= 3) {
        const hb = heap.map((l) => l.heapUsedBytes);
        const heapTrend = slope(heap.map((l) => (l.t - t0) / 60_000), hb.map((b) => b / 1024 / 1024));
        process.stdout.write(`  V8 heap used (probe): ${mb(Math.min(...hb))} – ${mb(Math.max(...hb))}, trend ${signed(heapTrend)} MB/min\n`);
      }
    }
    soak = { samples, wecom: w, dingtalk: d };
  }

  noteRss('end (background replies drained)');
  process.stdout.write(`\nbot RSS (VmRSS of pid ${botPid})\n`);
  for (const r of rss) process.stdout.write(`  ${r.at.padEnd(36)} ${mb(r.bytes)}\n`);

  process.stdout.write(`\nload average at end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
  const errs = errorLines(logFile);
  const errTotal = Object.values(errs).reduce((a, b) => a + b, 0);
  process.stdout.write(`\nbot log lines at level error: ${errTotal}\n`);
  for (const [msg, c] of Object.entries(errs)) process.stdout.write(`  ${c} × ${msg}\n`);

  if (opts.json) {
    writeFileSync(
      opts.json,
      JSON.stringify({ node: process.version, cpus: cpus().length, store, connections: CONNECTIONS, rate: RATE, uniqueTimestamps: UNIQUE_TS, loadavgEnd: loadavg(), phases, deliveries, summary, rss, soak, errorLines: errs }, null, 2),
    );
  }
  await stopAll();
  if (errTotal === 0) rmSync(work, { recursive: true, force: true });
  else process.stdout.write(`(bot log kept at ${logFile})\n`);
}

async function stopAll(): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const t = setTimeout(() => {
            c.kill('SIGKILL');
            resolve();
          }, 20_000);
          c.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          if (c.connected) c.disconnect();
          else c.kill('SIGTERM');
        }),
    ),
  );
}

process.on('SIGINT', () => {
  for (const c of children) c.kill('SIGTERM');
  process.exit(130);
});

try {
  await main();
} catch (err) {
  process.stderr.write(`bench:load: ${(err as Error).stack ?? String(err)}\n`);
  for (const c of children) c.kill('SIGTERM');
  process.exitCode = 1;
}
