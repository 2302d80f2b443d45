/**
 * A small fake notice platform on loopback HTTP (port 0) plus a {@link NoticeChannel} that talks
 * to it, for testing the platform-neutral notice engine (src/notices/) without the WeCom and
 * DingTalk adapters. It records every notice it delivers, enforces a batch limit and a rate
 * limit, and can answer throttling, server errors, invalid users and "retry later" users.
 *
 * Routes (JSON):
 * - GET  /directory?dept=<id>&cursor=<n> -> {users: string[], nextCursor: number | null}
 *   (pages of `pageSize`; no dept = everyone; unknown dept -> 404 {error});
 * - POST /send {users, broadcastId, noticeId, version, deliveryKey, reminder?} ->
 *   200 {sent, invalid, later, readHandle?} | 400 (over the batch limit) | 429 {retryAfterMs} | 500;
 * - GET  /read?handle=<h> -> {reads: [{userId, readAt}]}.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { BotError } from '../../src/errors.ts';
import { ThrottledError, type Audience, type NoticeBatchResult, type NoticeChannel, type NoticeDelivery } from '../../src/platform/notices.ts';

export interface FakeNoticePlatformOptions {
  /** Every user the directory lists (in this order). */
  users: string[];
  /** Department id -> its users. */
  departments?: Record<string, string[]>;
  /** Most users per send (larger sends get 400 and are counted in batchLimitViolations). Default 50. */
  batchLimit?: number;
  /** Users the platform refuses permanently (reason 'invaliduser'). */
  invalidUsers?: string[];
  /** Sends allowed per second (token bucket, burst = the same number); excess -> 429. Default unlimited. */
  sendsPerSecond?: number;
  /** Probability in [0, 1) that a send is throttled at random (429), to exercise backoff. Default 0. */
  randomThrottle?: number;
  /** retryAfterMs the fake answers with its 429s. Default 50. */
  retryAfterMs?: number;
  /** Directory page size. Default 100. */
  pageSize?: number;
  /** Whether sends return a read handle. Default true. */
  readSupported?: boolean;
  /** Delay of each send answer, ms. Default 0. */
  latencyMs?: number;
}

/** One notice delivered to one user, as recorded by the fake. */
export interface DeliveredNotice {
  userId: string;
  broadcastId: string;
  noticeId: string;
  version: number;
  deliveryKey: string;
  reminder: number | null;
  at: number;
}

export interface FakeNoticePlatform {
  url: string;
  /** Every delivered (user, notice) in arrival order (only users the platform accepted). */
  delivered: DeliveredNotice[];
  /** Sends answered per outcome. */
  stats: { sends: number; accepted: number; throttled: number; errors: number; batchLimitViolations: number; maxBatch: number };
  /** The next `n` sends answer 429 (default 1). */
  throttleNext(n?: number): void;
  /** The next `n` sends answer 500 (default 1). */
  failNext(n?: number): void;
  /** These users are answered "later" (retryLater) the next `times` times each. */
  flowControl(userIds: string[], times?: number): void;
  /** Makes the directory unavailable (500) until called with false. */
  breakDirectory(broken?: boolean): void;
  /** Records that a user read a notice at `readAt` (reported by /read for the handles that carried it). */
  read(userId: string, readAt: number): void;
  /** Forgets injected failures, flow control, reads, deliveries and stats. */
  reset(): void;
  /** (userId, noticeId, version) delivered more than once outside reminders, with the count. */
  duplicates(): { key: string; count: number }[];
  /** First deliveries (not reminders) per user id. */
  firstDeliveries(): Map<string, number>;
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  return raw ? (JSON.parse(raw) as unknown) : {};
}

/** Starts the fake on 127.0.0.1 with an OS-chosen port. */
export async function startFakeNoticePlatform(options: FakeNoticePlatformOptions): Promise<FakeNoticePlatform> {
  const batchLimit = options.batchLimit ?? 50;
  const invalid = new Set(options.invalidUsers ?? []);
  const known = new Set(options.users);
  const pageSize = options.pageSize ?? 100;
  const retryAfterMs = options.retryAfterMs ?? 50;
  const delivered: DeliveredNotice[] = [];
  const stats = { sends: 0, accepted: 0, throttled: 0, errors: 0, batchLimitViolations: 0, maxBatch: 0 };
  let throttle = 0;
  let fail = 0;
  let directoryBroken = false;
  const later = new Map<string, number>();
  const handles = new Map<string, string[]>();
  const readAt = new Map<string, number>();
  // Token bucket.
  const rate = options.sendsPerSecond;
  let tokens = rate ?? 0;
  let refilled = Date.now();
  const takeToken = (): boolean => {
    if (rate === undefined) return true;
    const now = Date.now();
    tokens = Math.min(rate, tokens + ((now - refilled) / 1000) * rate);
    refilled = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      try {
        if (req.method === 'GET' && url.pathname === '/directory') {
          if (directoryBroken) return json(res, 500, { error: 'directory unavailable' });
          const dept = url.searchParams.get('dept');
          let list = options.users;
          if (dept !== null) {
            const d = options.departments?.[dept];
            if (!d) return json(res, 404, { error: `no department ${dept}` });
            list = d;
          }
          const cursor = Number(url.searchParams.get('cursor') ?? '0');
          const page = list.slice(cursor, cursor + pageSize);
          return json(res, 200, { users: page, nextCursor: cursor + pageSize < list.length ? cursor + pageSize : null });
        }
        if (req.method === 'POST' && url.pathname === '/send') {
          const b = (await body(req)) as { users: string[]; broadcastId: string; noticeId: string; version: number; deliveryKey: string; reminder?: number };
          stats.sends++;
          if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
          if (!Array.isArray(b.users) || b.users.length === 0 || b.users.length > batchLimit) {
            stats.batchLimitViolations++;
            return json(res, 400, { error: `users must be 1–${batchLimit}` });
          }
          stats.maxBatch = Math.max(stats.maxBatch, b.users.length);
          if (fail > 0) {
            fail--;
            stats.errors++;
            return json(res, 500, { error: 'internal error' });
          }
          if (throttle > 0 || !takeToken() || Math.random() < (options.randomThrottle ?? 0)) {
            if (throttle > 0) throttle--;
            stats.throttled++;
            return json(res, 429, { retryAfterMs });
          }
          stats.accepted++;
          const sent: string[] = [];
          const bad: string[] = [];
          const retry: string[] = [];
          const now = Date.now();
          for (const u of b.users) {
            if (invalid.has(u) || !known.has(u)) bad.push(u);
            else if ((later.get(u) ?? 0) > 0) {
              later.set(u, later.get(u)! - 1);
              retry.push(u);
            } else {
              sent.push(u);
              delivered.push({ userId: u, broadcastId: b.broadcastId, noticeId: b.noticeId, version: b.version, deliveryKey: b.deliveryKey, reminder: b.reminder ?? null, at: now });
            }
          }
          let readHandle: string | undefined;
          if ((options.readSupported ?? true) && sent.length > 0) {
            readHandle = `h-${randomBytes(6).toString('hex')}`;
            handles.set(readHandle, sent);
          }
          return json(res, 200, { sent, invalid: bad, later: retry, ...(readHandle ? { readHandle } : {}) });
        }
        if (req.method === 'GET' && url.pathname === '/read') {
          const users = handles.get(url.searchParams.get('handle') ?? '') ?? [];
          return json(res, 200, { reads: users.filter((u) => readAt.has(u)).map((u) => ({ userId: u, readAt: readAt.get(u)! })) });
        }
        json(res, 404, { error: 'not found' });
      } catch (err) {
        json(res, 500, { error: (err as Error).message });
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    delivered,
    stats,
    throttleNext: (n = 1) => void (throttle += n),
    failNext: (n = 1) => void (fail += n),
    flowControl(userIds, times = 1) {
      for (const u of userIds) later.set(u, times);
    },
    breakDirectory(broken = true) {
      directoryBroken = broken;
    },
    read(userId, at) {
      readAt.set(userId, at);
    },
    reset() {
      throttle = 0;
      fail = 0;
      later.clear();
      readAt.clear();
      handles.clear();
      delivered.length = 0;
      Object.assign(stats, { sends: 0, accepted: 0, throttled: 0, errors: 0, batchLimitViolations: 0, maxBatch: 0 });
    },
    duplicates() {
      const counts = new Map<string, number>();
      for (const d of delivered) {
        if (d.reminder !== null) continue;
        const key = `${d.userId}|${d.noticeId}|${d.version}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return [...counts].filter(([, c]) => c > 1).map(([key, count]) => ({ key, count }));
    },
    firstDeliveries() {
      const m = new Map<string, number>();
      for (const d of delivered) if (d.reminder === null) m.set(d.userId, (m.get(d.userId) ?? 0) + 1);
      return m;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * A NoticeChannel over the fake's HTTP API: 429 -> {@link ThrottledError} with the fake's
 * retryAfterMs; other non-2xx -> BotError 'FAKE_PLATFORM_ERROR' (a transient failure to the worker).
 */
export function createLoopbackChannel(options: { url: string; platform?: string; maxBatchSize?: number; readSupported?: boolean }): NoticeChannel & { calls: number } {
  const { url } = options;
  const readSupported = options.readSupported ?? true;
  const call = async (path: string, init?: RequestInit): Promise<unknown> => {
    const r = await fetch(`${url}${path}`, init);
    const j = (await r.json()) as { retryAfterMs?: number; error?: string };
    if (r.status === 429) throw new ThrottledError(j.retryAfterMs ?? 100);
    if (!r.ok) throw new BotError('FAKE_PLATFORM_ERROR', `fake platform answered ${r.status}: ${j.error ?? ''}`, { status: 502 });
    return j;
  };
  const channel = {
    platform: options.platform ?? 'fake',
    maxBatchSize: options.maxBatchSize ?? 50,
    readSupported,
    calls: 0,
    async resolveAudience(audience: Audience): Promise<string[]> {
      const walk = async (dept: string | null): Promise<string[]> => {
        const out: string[] = [];
        let cursor: number | null = 0;
        while (cursor !== null) {
          const page = (await call(`/directory?${dept !== null ? `dept=${encodeURIComponent(dept)}&` : ''}cursor=${cursor}`)) as { users: string[]; nextCursor: number | null };
          out.push(...page.users);
          cursor = page.nextCursor;
        }
        return out;
      };
      if ('all' in audience) return [...new Set(await walk(null))];
      if ('departmentIds' in audience) {
        const all: string[] = [];
        for (const d of audience.departmentIds) all.push(...(await walk(d)));
        return [...new Set(all)];
      }
      return [...new Set(audience.userIds)];
    },
    async sendBatch(userIds: string[], d: NoticeDelivery): Promise<NoticeBatchResult> {
      channel.calls++;
      const r = (await call('/send', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ users: userIds, broadcastId: d.broadcastId, noticeId: d.noticeId, version: d.version, deliveryKey: d.deliveryKey, reminder: d.reminder }),
      })) as { sent: string[]; invalid: string[]; later: string[]; readHandle?: string };
      return {
        sent: r.sent,
        failed: r.invalid.map((u) => ({ userId: u, reason: 'invaliduser' })),
        retryLater: r.later,
        ...(r.readHandle ? { readHandle: r.readHandle } : {}),
      };
    },
    ...(readSupported
      ? {
          async readStatus(handle: string) {
            return ((await call(`/read?handle=${encodeURIComponent(handle)}`)) as { reads: { userId: string; readAt: number }[] }).reads;
          },
        }
      : {}),
  };
  return channel;
}
