/**
 * A fake DingTalk Stream gateway for tests (protocols.md §3.3, pitfalls #7 and #8): one HTTP server
 * on 127.0.0.1 (free port) that serves
 * - `POST /v1.0/gateway/connections/open` {clientId, clientSecret, ua, subscriptions} with header
 *   `Accept: application/json` → 200 {endpoint: 'ws://127.0.0.1:<port>/connect', ticket}; wrong
 *   credentials → 401 {"code":"InvalidAuthentication",…} (real code UNVERIFIED); without the Accept
 *   header the answer is XML (as the SDK's comment says the real gateway does);
 * - the WebSocket `GET /connect?ticket=<ticket>` (each ticket once; others are refused with 401),
 * and records every open request, connection, pushed frame and upstream frame (acks).
 *
 * Frames it sends are DingTalk's CALLBACK frames:
 * `{"specVersion":"1.0","type":"CALLBACK","headers":{"topic","messageId","contentType":"application/json",
 * "appId","connectionId","time"},"data":"<JSON string>"}`. A callback not acknowledged within
 * `repushAfterMs` (default 60 000, as DingTalk) is pushed again with the same messageId, at most
 * `maxRepushes` times (default 2); with no open connection it waits for the next one.
 * An acknowledgement is an upstream frame `{"code":200,"headers":{"messageId",…},"message":"OK","data":…}`.
 * Point the adapter at it with `createDingtalkAdapter(config, ctx, { streamGatewayUrl: gw.gatewayUrl })`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';

/** The robot message topic (dingtalk-stream TOPIC_ROBOT). */
export const FAKE_TOPIC_ROBOT = '/v1.0/im/bot/messages/get';

/** Options of {@link startFakeStreamGateway}. */
export interface FakeStreamOptions {
  /** Default 'dingfakeappkey'. */
  clientId?: string;
  /** Default 'testSecret'. */
  clientSecret?: string;
  /** Re-push delay of unacknowledged callbacks, ms (default 60 000). */
  repushAfterMs?: number;
  /** Re-pushes per callback at most (default 2). */
  maxRepushes?: number;
}

/** One POST /v1.0/gateway/connections/open. */
export interface FakeOpenRequest {
  clientId: string | null;
  clientSecret: string | null;
  ua: string | null;
  subscriptions: { type: string; topic: string }[];
  accept: string | null;
  /** True when a ticket was issued. */
  ok: boolean;
  at: number;
}

/** One accepted WebSocket connection. */
export interface FakeStreamConnection {
  id: string;
  ticket: string;
  openedAt: number;
  /** When the socket closed (either side); null while open. */
  closedAt: number | null;
  /** Close code seen by the server (1000 normal, 1005 no status, 1006 abnormal). */
  closeCode: number | null;
  /** True when the fake dropped it ({@link FakeStreamGateway.dropConnections}). */
  droppedByServer: boolean;
}

/** One frame the fake sent. */
export interface FakePush {
  messageId: string;
  connectionId: string;
  /** 0 = first push, 1.. = re-pushes. */
  attempt: number;
  at: number;
}

/** One acknowledgement (upstream frame with code 200 and a messageId). */
export interface FakeAck {
  messageId: string;
  connectionId: string;
  /** The frame's `data` string (the SDK sends `{"response":…}`). */
  data: string | null;
  /** The whole frame as received. */
  frame: Record<string, unknown>;
  at: number;
  /** True when the fake pretended not to have received it ({@link FakeStreamGateway.loseAcks}). */
  lost: boolean;
}

/** A running fake gateway. */
export interface FakeStreamGateway {
  /** 'http://127.0.0.1:<port>' */
  url: string;
  /** `${url}/v1.0/gateway/connections/open` */
  gatewayUrl: string;
  openRequests: FakeOpenRequest[];
  connections: FakeStreamConnection[];
  pushes: FakePush[];
  acks: FakeAck[];
  /** Every upstream frame, parsed (null when not JSON). */
  upstream: (Record<string, unknown> | null)[];
  /** Connections currently open. */
  openConnections(): FakeStreamConnection[];
  /**
   * Sends a robot CALLBACK frame carrying `body` (JSON-encoded into `data`) on the newest open
   * connection (or, with `toAll`, on every open one — pitfall #8). Returns the frame's messageId.
   * @throws Error when no connection is open
   */
  pushCallback(body: unknown, options?: { messageId?: string; topic?: string; toAll?: boolean; rawData?: string }): string;
  /** Whether `messageId` has an acknowledgement that was not lost. */
  isAcked(messageId: string): boolean;
  /** The next `n` acknowledgements are recorded but treated as lost, so their callbacks get re-pushed. */
  loseAcks(n: number): void;
  /** Terminates every open connection abruptly (no close frame), as a network drop would. */
  dropConnections(): void;
  /** Resolves when `predicate()` is true (polled every 10 ms); rejects after `timeoutMs` (default 3000). */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

interface Pending {
  messageId: string;
  frame: string;
  attempts: number;
  timer: NodeJS.Timeout | null;
  waitingForConnection: boolean;
}

/** Starts the fake gateway on 127.0.0.1 with a free port. */
export async function startFakeStreamGateway(options: FakeStreamOptions = {}): Promise<FakeStreamGateway> {
  const clientId = options.clientId ?? 'dingfakeappkey';
  const clientSecret = options.clientSecret ?? 'testSecret';
  const repushAfterMs = options.repushAfterMs ?? 60_000;
  const maxRepushes = options.maxRepushes ?? 2;
  const tickets = new Set<string>();
  const sockets = new Map<string, WebSocket>();
  const pending = new Map<string, Pending>();
  let acksToLose = 0;
  let counter = 0;
  let closed = false;

  const wss = new WebSocketServer({ noServer: true });

  function readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  function json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = await readBody(req);
      if (req.method !== 'POST' || url.pathname !== '/v1.0/gateway/connections/open') {
        json(res, 404, { code: 'NotFound', message: `no such API: ${req.method} ${url.pathname}` });
        return;
      }
      let o: Record<string, unknown> = {};
      try {
        o = JSON.parse(body) as Record<string, unknown>;
      } catch {
        /* recorded with nulls */
      }
      const record: FakeOpenRequest = {
        clientId: typeof o.clientId === 'string' ? o.clientId : null,
        clientSecret: typeof o.clientSecret === 'string' ? o.clientSecret : null,
        ua: typeof o.ua === 'string' ? o.ua : null,
        subscriptions: Array.isArray(o.subscriptions) ? (o.subscriptions as { type: string; topic: string }[]) : [],
        accept: typeof req.headers.accept === 'string' ? req.headers.accept : null,
        ok: false,
        at: Date.now(),
      };
      fake.openRequests.push(record);
      if (!record.accept?.includes('application/json')) {
        res.writeHead(200, { 'content-type': 'application/xml' });
        res.end('<OpenConnectionResponse><code>NotAcceptable</code></OpenConnectionResponse>');
        return;
      }
      if (record.clientId !== clientId || record.clientSecret !== clientSecret) {
        json(res, 401, { code: 'InvalidAuthentication', message: 'clientId or clientSecret is wrong', requestid: randomUUID() });
        return;
      }
      const ticket = randomUUID();
      tickets.add(ticket);
      record.ok = true;
      json(res, 200, { endpoint: `ws://127.0.0.1:${port}/connect`, ticket });
    })().catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String((err as Error).message));
    });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (closed || url.pathname !== '/connect' || !tickets.has(ticket)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
      return;
    }
    tickets.delete(ticket);
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, ticket));
  });

  function onConnection(ws: WebSocket, ticket: string): void {
    const conn: FakeStreamConnection = {
      id: `conn-${++counter}`,
      ticket,
      openedAt: Date.now(),
      closedAt: null,
      closeCode: null,
      droppedByServer: false,
    };
    fake.connections.push(conn);
    sockets.set(conn.id, ws);
    ws.on('message', (raw) => onUpstream(conn, String(raw)));
    ws.on('close', (code) => {
      conn.closedAt = Date.now();
      conn.closeCode = code;
      sockets.delete(conn.id);
    });
    ws.on('error', () => undefined);
    for (const p of pending.values()) {
      if (p.waitingForConnection) {
        p.waitingForConnection = false;
        send(p);
      }
    }
  }

  function onUpstream(conn: FakeStreamConnection, raw: string): void {
    let frame: Record<string, unknown> | null = null;
    try {
      frame = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      frame = null;
    }
    fake.upstream.push(frame);
    const headers = frame?.headers as { messageId?: unknown } | undefined;
    if (frame?.code !== 200 || typeof headers?.messageId !== 'string') return;
    const messageId = headers.messageId;
    const lost = acksToLose > 0;
    if (lost) acksToLose--;
    fake.acks.push({
      messageId,
      connectionId: conn.id,
      data: typeof frame.data === 'string' ? frame.data : null,
      frame,
      at: Date.now(),
      lost,
    });
    if (!lost) {
      const p = pending.get(messageId);
      if (p) {
        if (p.timer) clearTimeout(p.timer);
        pending.delete(messageId);
      }
    }
  }

  function newestOpen(): [string, WebSocket] | null {
    let found: [string, WebSocket] | null = null;
    for (const [id, ws] of sockets) if (ws.readyState === ws.OPEN) found = [id, ws];
    return found;
  }

  /** Sends a pending callback on the newest connection and arms its re-push timer. */
  function send(p: Pending): void {
    const target = newestOpen();
    if (!target) {
      p.waitingForConnection = true;
      return;
    }
    const frame = JSON.parse(p.frame) as { headers: Record<string, string> };
    frame.headers.connectionId = target[0];
    target[1].send(JSON.stringify(frame));
    fake.pushes.push({ messageId: p.messageId, connectionId: target[0], attempt: p.attempts, at: Date.now() });
    armRepush(p);
  }

  function armRepush(p: Pending): void {
    if (p.attempts >= maxRepushes) {
      pending.delete(p.messageId);
      return;
    }
    p.timer = setTimeout(() => {
      p.timer = null;
      if (closed || !pending.has(p.messageId)) return;
      p.attempts++;
      send(p);
    }, repushAfterMs);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;

  const fake: FakeStreamGateway = {
    url: base,
    gatewayUrl: `${base}/v1.0/gateway/connections/open`,
    openRequests: [],
    connections: [],
    pushes: [],
    acks: [],
    upstream: [],
    openConnections: () => fake.connections.filter((c) => c.closedAt === null),
    pushCallback(body, o = {}) {
      const messageId = o.messageId ?? `m-${randomUUID()}`;
      const frame = {
        specVersion: '1.0',
        type: 'CALLBACK',
        headers: {
          topic: o.topic ?? FAKE_TOPIC_ROBOT,
          messageId,
          contentType: 'application/json',
          appId: clientId,
          connectionId: '',
          time: String(Date.now()),
        },
        data: o.rawData ?? JSON.stringify(body),
      };
      const open = [...sockets.entries()].filter(([, ws]) => ws.readyState === ws.OPEN);
      if (open.length === 0) throw new Error('fake stream gateway: no open connection');
      if (o.toAll) {
        for (const [id, ws] of open) {
          ws.send(JSON.stringify({ ...frame, headers: { ...frame.headers, connectionId: id } }));
          fake.pushes.push({ messageId, connectionId: id, attempt: 0, at: Date.now() });
        }
        return messageId;
      }
      const p: Pending = { messageId, frame: JSON.stringify(frame), attempts: 0, timer: null, waitingForConnection: false };
      pending.set(messageId, p);
      send(p);
      return messageId;
    },
    isAcked: (messageId) => fake.acks.some((a) => a.messageId === messageId && !a.lost),
    loseAcks(n) {
      acksToLose = n;
    },
    dropConnections() {
      for (const [id, ws] of sockets) {
        const conn = fake.connections.find((c) => c.id === id);
        if (conn) conn.droppedByServer = true;
        ws.terminate();
      }
    },
    async waitFor(predicate, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`fake stream gateway: condition not met within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close() {
      closed = true;
      for (const p of pending.values()) if (p.timer) clearTimeout(p.timer);
      pending.clear();
      for (const ws of sockets.values()) ws.terminate();
      wss.close();
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
  return fake;
}
