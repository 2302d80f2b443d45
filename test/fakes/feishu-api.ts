/**
 * A fake Feishu / Lark for tests: a real HTTP server on 127.0.0.1 (free port) that speaks the parts
 * of the OpenAPI the bot uses (docs/FEISHU.md; Feishu server docs for each path below) and records
 * everything the bot sent, plus helpers that build and POST callbacks the way Feishu does.
 *
 * Point the adapter at it with `FeishuConfig.apiBase = fake.apiBase`.
 *
 * Endpoints (all answers `{code, msg, data}`; a non-zero code is an error):
 * - POST /open-apis/auth/v3/tenant_access_token/internal {app_id, app_secret} →
 *   {code:0, tenant_access_token, expire:7200}; wrong credentials → {code:10014}.
 * - Authenticated calls need `Authorization: Bearer <issued token>`; an unknown or revoked token
 *   (`revokeTokens()`) → HTTP 400 {code:99991663, msg:"Invalid access token for authorization"}.
 * - POST /open-apis/im/v1/messages?receive_id_type=open_id|chat_id {receive_id, msg_type, content
 *   (a JSON *string*), uuid (≤ 50)} → {data:{message_id}}; a uuid seen within 1 h returns the first
 *   message again and is not recorded twice (Feishu's idempotency) — the repeat is listed in
 *   `repeatedUuids`.
 * - POST /open-apis/im/v1/messages/:message_id/reply {msg_type, content, uuid, reply_in_thread} →
 *   {data:{message_id}}; unknown parent → {code:230001}.
 * - GET /open-apis/bot/v3/info → {code:0, bot:{open_id, app_name}}.
 * - GET /open-apis/contact/v3/users/find_by_department?department_id=&page_size=&page_token= →
 *   {data:{items:[{open_id, name}], has_more, page_token}}; a department outside the scope → {code:40004}.
 * - GET /open-apis/contact/v3/departments/:id/children?fetch_child=true → all descendants, paged,
 *   each {name, parent_department_id, department_id, open_department_id, order}.
 * - GET /open-apis/contact/v3/departments/:id → {data:{department:{…as above}}}; outside the scope → 40004.
 * - GET /open-apis/contact/v3/scopes → {data:{department_ids, user_ids:[], group_ids:[], has_more,
 *   page_token}} (`setScope(ids)`, default ['0']), paged.
 *   Page sizes above 50 are cut to 50; page tokens are offsets. Every contact call is recorded with
 *   its query in `contactRequests`.
 * - POST /callback/ws/endpoint {AppID, AppSecret} → `wsEndpointAnswer` (default {code:1000040345}, long
 *   connection not enabled); `enableLongConnection()` makes it answer the URL of the fake's own
 *   WebSocket endpoint (`/ws?device_id=…&service_id=…`), which speaks the SDK's frames
 *   (protobuf `pbbp2.Frame`, field numbers from @larksuiteoapi/node-sdk 1.74.0 lib/index.js):
 *   `longConnection.push(event)` sends an event as a data frame (method 1, headers type=event,
 *   message_id, sum=1, seq=0) and resolves with the client's answer frame payload `{code, data}`
 *   (`data` base64 JSON decoded); `dropAll()` cuts every socket (the SDK reconnects).
 * Throttling: `throttleNext(n, resetSeconds)` makes the next n message calls answer HTTP 429
 * {code:99991400} with `x-ogw-ratelimit-reset`. Per-chat pacing: every send/reply is recorded with
 * its target chat and time `at` (the fake's clock, `FakeFeishuOptions.now`), and `chatBursts()` lists
 * targets that got more than 5 messages in any 1000 ms window of that clock. A test of pacing gives
 * the fake the virtual clock the adapter paces by: the times are then the ones the adapter's gates
 * scheduled, not when a loaded machine delivered the requests.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import protobuf from 'protobufjs';
import { WebSocketServer, type WebSocket } from 'ws';
import { encryptFeishu, feishuSignature } from '../../adapters/feishu/crypto.ts';

/** The SDK's frame (pbbp2.Frame / pbbp2.Header), same field numbers. */
const pb = protobuf.Root.fromJSON({
  nested: {
    pbbp2: {
      nested: {
        Header: { fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        Frame: {
          fields: {
            SeqID: { type: 'uint64', id: 1 },
            LogID: { type: 'uint64', id: 2 },
            service: { type: 'int32', id: 3 },
            method: { type: 'int32', id: 4 },
            headers: { rule: 'repeated', type: 'Header', id: 5 },
            payloadEncoding: { type: 'string', id: 6 },
            payloadType: { type: 'string', id: 7 },
            payload: { type: 'bytes', id: 8 },
            LogIDNew: { type: 'string', id: 9 },
          },
        },
      },
    },
  },
});
const Frame = pb.lookupType('pbbp2.Frame');

interface FrameObject {
  service: number;
  method: number;
  headers: { key: string; value: string }[];
  payload?: Uint8Array;
}

/** The fake's long-connection side. */
export interface FakeLongConnection {
  /** Sockets opened so far. */
  readonly opened: number;
  /** Sockets open now. */
  readonly open: number;
  /** Resolves once `n` sockets were opened in total. */
  waitOpened(n: number): Promise<void>;
  /** Resolves once no socket is open. */
  waitAllClosed(): Promise<void>;
  /** Sends one event (a v2 body) to the newest open socket; resolves with the answer payload. */
  push(event: unknown): Promise<{ code: number; data?: unknown }>;
  /** Cuts every open socket. */
  dropAll(): void;
}

/** One message the bot sent. */
export interface SentRecord {
  kind: 'send' | 'reply';
  /** For 'send': receive_id_type and receive_id; for 'reply': the parent message id. */
  receiveIdType: string | null;
  receiveId: string | null;
  parentId: string | null;
  /** The chat it went to: the receive id of a send, the chat of the parent message of a reply. */
  target: string;
  msgType: string;
  /** `content` parsed from its JSON string. */
  content: Record<string, unknown>;
  uuid: string | null;
  messageId: string;
  /** When the fake received it, ms on the fake's clock (`FakeFeishuOptions.now`). */
  at: number;
}

/** One department of the fake directory ('0' is the root and always exists). */
export interface FakeFeishuDepartment {
  id: string;
  parentId: string;
  /** Display name (default 'dept <id>'). */
  name?: string;
  /** Direct members: open_ids, or open_id with a display name (default name: the open_id). */
  members: (string | { openId: string; name: string })[];
  /** Answer code 40004 for this department (outside the app's contact scope). */
  outOfScope?: boolean;
}

export interface FakeFeishuOptions {
  appId?: string;
  appSecret?: string;
  botOpenId?: string;
  /** Clock of `SentRecord.at`, `chatBursts()` and the 1 h uuid window, ms (default Date.now). */
  now?: () => number;
}

export interface FakeFeishu {
  apiBase: string;
  appId: string;
  appSecret: string;
  botOpenId: string;
  /** Everything the bot sent, in order. */
  sent: SentRecord[];
  /** uuids of sends and replies that came again within 1 h (Feishu answers them without sending twice). */
  repeatedUuids: string[];
  /** Requests per path (method + path without query). */
  calls: string[];
  /** Tokens issued. */
  tokensIssued: number;
  /** Makes every issued token invalid (99991663) from now on. */
  revokeTokens(): void;
  /** The next `n` message calls answer 429 / 99991400 with `x-ogw-ratelimit-reset: resetSeconds`. */
  throttleNext(n: number, resetSeconds: number): void;
  /** Sets the directory (replaces it). */
  setDirectory(departments: FakeFeishuDepartment[]): void;
  /** What contact/v3/scopes lists as the app's departments (default ['0']). */
  setScope(departmentIds: string[]): void;
  /** Contact API calls (path without query, and the query), in order. */
  contactRequests: { path: string; query: Record<string, string> }[];
  /** The next `n` contact API calls answer HTTP 400 {code} (e.g. 40014 missing permission). */
  failContactNext(n: number, code: number): void;
  /** Message calls that answered 429. */
  throttled: number;
  /**
   * Holds every message call (send and reply) from now until the returned function is called: the calls
   * arrive and wait unanswered, unrecorded. `heldCalls` counts the ones waiting.
   */
  holdMessages(): () => void;
  /** Message calls waiting in a hold. */
  heldCalls: number;
  /** Targets (receive id or chat of the parent) that got > 5 messages within 1000 ms. */
  chatBursts(): string[];
  /** Answer of POST /callback/ws/endpoint. */
  wsEndpointAnswer: unknown;
  /** Bodies POSTed to /callback/ws/endpoint. */
  wsEndpointRequests: unknown[];
  /** Makes /callback/ws/endpoint hand out the fake's WebSocket URL (reconnect interval `reconnectMs`). */
  enableLongConnection(reconnectMs?: number): void;
  longConnection: FakeLongConnection;
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const s = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(s)), ...headers });
  res.end(s);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const t = Buffer.concat(chunks).toString('utf8');
  return t === '' ? {} : JSON.parse(t);
}

/** Starts the fake. */
export async function startFakeFeishu(options: FakeFeishuOptions = {}): Promise<FakeFeishu> {
  const appId = options.appId ?? 'cli_a1b2c3d4e5f60718';
  const appSecret = options.appSecret ?? 'fake-app-secret';
  const botOpenId = options.botOpenId ?? 'ou_bot0000000000000000000000000000';
  const clock = options.now ?? (() => Date.now());
  const tokens = new Set<string>();
  const uuids = new Map<string, { messageId: string; at: number }>();
  const messageChats = new Map<string, string>();
  const times = new Map<string, number[]>();
  const bursts = new Set<string>();
  let throttle = { n: 0, reset: 0 };
  let hold: Promise<void> | null = null;
  let directory: FakeFeishuDepartment[] = [{ id: '0', parentId: '', members: [] }];
  let scope: string[] = ['0'];
  let contactFailure = { n: 0, code: 0 };
  const member = (m: string | { openId: string; name: string }): { open_id: string; name: string } =>
    typeof m === 'string' ? { open_id: m, name: m } : { open_id: m.openId, name: m.name };
  const departmentJson = (x: FakeFeishuDepartment) => ({
    name: x.name ?? `dept ${x.id}`,
    parent_department_id: x.parentId,
    department_id: x.id,
    open_department_id: x.id,
    order: '0',
    status: { is_deleted: false },
  });
  let seq = 0;

  const wss = new WebSocketServer({ noServer: true });
  const sockets: WebSocket[] = [];
  let opened = 0;
  const waiters: (() => void)[] = [];
  const answers = new Map<string, (a: { code: number; data?: unknown }) => void>();
  let frameSeq = 0;
  const notify = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  wss.on('connection', (socket) => {
    opened++;
    sockets.push(socket);
    socket.on('message', (buf: Buffer) => {
      const f = Frame.toObject(Frame.decode(buf), { longs: Number, bytes: Buffer }) as FrameObject;
      const h = Object.fromEntries((f.headers ?? []).map((x) => [x.key, x.value]));
      if (f.method !== 1 || !h.message_id) return; // pings
      const done = answers.get(h.message_id);
      if (!done) return;
      answers.delete(h.message_id);
      const a = JSON.parse(Buffer.from(f.payload ?? []).toString('utf8')) as { code: number; data?: string };
      done({ code: a.code, ...(a.data ? { data: JSON.parse(Buffer.from(a.data, 'base64').toString('utf8')) } : {}) });
    });
    socket.on('close', () => {
      sockets.splice(sockets.indexOf(socket), 1);
      notify();
    });
    notify();
  });
  const until = (ok: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (ok()) resolve();
        else waiters.push(check);
      };
      check();
    });
  const longConnection: FakeLongConnection = {
    get opened() {
      return opened;
    },
    get open() {
      return sockets.length;
    },
    waitOpened: (n) => until(() => opened >= n),
    waitAllClosed: () => until(() => sockets.length === 0),
    push(event) {
      const socket = sockets.at(-1);
      if (!socket) return Promise.reject(new Error('no open long connection'));
      const id = `ws_msg_${++frameSeq}`;
      const frame = Frame.encode(
        Frame.fromObject({
          SeqID: frameSeq,
          LogID: 0,
          service: 7,
          method: 1,
          headers: [
            { key: 'type', value: 'event' },
            { key: 'message_id', value: id },
            { key: 'sum', value: '1' },
            { key: 'seq', value: '0' },
            { key: 'trace_id', value: `trace_${frameSeq}` },
          ],
          payload: Buffer.from(JSON.stringify(event), 'utf8'),
        }),
      ).finish();
      return new Promise((resolve) => {
        answers.set(id, resolve);
        socket.send(frame);
      });
    },
    dropAll() {
      for (const s of [...sockets]) s.terminate();
    },
  };

  const fake: FakeFeishu = {
    apiBase: '',
    appId,
    appSecret,
    botOpenId,
    sent: [],
    repeatedUuids: [],
    calls: [],
    tokensIssued: 0,
    throttled: 0,
    heldCalls: 0,
    holdMessages() {
      let release!: () => void;
      hold = new Promise<void>((resolve) => (release = resolve));
      return () => {
        hold = null;
        release();
      };
    },
    revokeTokens: () => tokens.clear(),
    throttleNext(n, resetSeconds) {
      throttle = { n, reset: resetSeconds };
    },
    setDirectory(d) {
      directory = d.some((x) => x.id === '0') ? d : [{ id: '0', parentId: '', members: [] }, ...d];
    },
    setScope(ids) {
      scope = [...ids];
    },
    failContactNext(n, code) {
      contactFailure = { n, code };
    },
    contactRequests: [],
    chatBursts: () => [...bursts],
    wsEndpointAnswer: { code: 1000040345, msg: 'app has not enabled long connection (fake)', data: {} },
    wsEndpointRequests: [],
    longConnection,
    enableLongConnection(reconnectMs = 50) {
      fake.wsEndpointAnswer = {
        code: 0,
        msg: 'ok',
        data: {
          URL: `${fake.apiBase.replace(/^http/, 'ws')}/ws?device_id=dev1&service_id=7`,
          ClientConfig: { PingInterval: 120, ReconnectCount: -1, ReconnectInterval: reconnectMs / 1000, ReconnectNonce: 0 },
        },
      };
    },
    close: async () => {
      for (const s of [...sockets]) s.terminate();
      wss.close();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    },
  };

  function timeTarget(target: string, now: number): void {
    const list = (times.get(target) ?? []).filter((t) => now - t < 1000);
    list.push(now);
    times.set(target, list);
    if (list.length > 5) bursts.add(target);
  }

  function descendants(id: string): FakeFeishuDepartment[] {
    const out: FakeFeishuDepartment[] = [];
    const queue = [id];
    while (queue.length > 0) {
      const p = queue.shift()!;
      for (const d of directory) if (d.parentId === p && d.id !== p) {
        out.push(d);
        queue.push(d.id);
      }
    }
    return out;
  }

  function paged<T>(items: T[], url: URL): { items: T[]; has_more: boolean; page_token?: string } {
    const size = Math.min(50, Number(url.searchParams.get('page_size') ?? 50));
    const start = Number(url.searchParams.get('page_token') ?? 0);
    const slice = items.slice(start, start + size);
    const more = start + size < items.length;
    return more ? { items: slice, has_more: true, page_token: String(start + size) } : { items: slice, has_more: false };
  }

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      fake.calls.push(`${req.method} ${url.pathname}`);
      const isContact = url.pathname.startsWith('/open-apis/contact/');
      if (isContact) fake.contactRequests.push({ path: url.pathname, query: Object.fromEntries(url.searchParams) });
      const body = (await readBody(req)) as Record<string, unknown>;
      if (req.method === 'POST' && url.pathname === '/open-apis/auth/v3/tenant_access_token/internal') {
        if (body.app_id !== appId || body.app_secret !== appSecret) return json(res, 200, { code: 10014, msg: 'app secret invalid' });
        const t = `t-${randomBytes(12).toString('hex')}`;
        tokens.add(t);
        fake.tokensIssued++;
        return json(res, 200, { code: 0, msg: 'ok', tenant_access_token: t, expire: 7200 });
      }
      if (req.method === 'POST' && url.pathname === '/callback/ws/endpoint') {
        fake.wsEndpointRequests.push(body);
        return json(res, 200, fake.wsEndpointAnswer);
      }
      const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!auth || !tokens.has(auth)) return json(res, 400, { code: 99991663, msg: 'Invalid access token for authorization' });
      if (req.method === 'GET' && url.pathname === '/open-apis/bot/v3/info') {
        return json(res, 200, { code: 0, msg: 'ok', bot: { open_id: botOpenId, app_name: 'privacy-bot' } });
      }
      const isSend = req.method === 'POST' && url.pathname === '/open-apis/im/v1/messages';
      const reply = req.method === 'POST' ? /^\/open-apis\/im\/v1\/messages\/([^/]+)\/reply$/.exec(url.pathname) : null;
      if (isSend || reply) {
        if (hold) {
          fake.heldCalls++;
          await hold;
          fake.heldCalls--;
        }
        if (throttle.n > 0) {
          throttle.n--;
          fake.throttled++;
          return json(res, 429, { code: 99991400, msg: 'request trigger frequency limit' }, { 'x-ogw-ratelimit-limit': '50', 'x-ogw-ratelimit-reset': String(throttle.reset) });
        }
        if (typeof body.content !== 'string' || typeof body.msg_type !== 'string') return json(res, 400, { code: 230001, msg: 'invalid content' });
        let content: Record<string, unknown>;
        try {
          content = JSON.parse(body.content) as Record<string, unknown>;
        } catch {
          return json(res, 400, { code: 230001, msg: 'content is not a JSON string' });
        }
        const uuid = typeof body.uuid === 'string' ? body.uuid : null;
        if (uuid !== null && uuid.length > 50) return json(res, 400, { code: 99992402, msg: 'uuid too long' });
        const seen = uuid ? uuids.get(uuid) : undefined;
        if (seen && clock() - seen.at < 3_600_000) fake.repeatedUuids.push(uuid!);
        if (seen && clock() - seen.at < 3_600_000) return json(res, 200, { code: 0, msg: 'success', data: { message_id: seen.messageId } });
        let target: string;
        let receiveIdType: string | null = null;
        let receiveId: string | null = null;
        let parentId: string | null = null;
        if (isSend) {
          receiveIdType = url.searchParams.get('receive_id_type');
          receiveId = typeof body.receive_id === 'string' ? body.receive_id : null;
          if (!receiveIdType || !receiveId) return json(res, 400, { code: 230001, msg: 'receive_id required' });
          target = receiveId;
        } else {
          parentId = decodeURIComponent(reply![1]!);
          target = messageChats.get(parentId) ?? parentId;
        }
        const at = clock();
        timeTarget(target, at);
        const messageId = `om_fake${++seq}`;
        if (uuid) uuids.set(uuid, { messageId, at });
        messageChats.set(messageId, target);
        fake.sent.push({ kind: isSend ? 'send' : 'reply', receiveIdType, receiveId, parentId, target, msgType: body.msg_type, content, uuid, messageId, at });
        return json(res, 200, { code: 0, msg: 'success', data: { message_id: messageId } });
      }
      if (isContact && contactFailure.n > 0) {
        contactFailure.n--;
        return json(res, 400, { code: contactFailure.code, msg: 'injected failure (fake)' });
      }
      if (req.method === 'GET' && url.pathname === '/open-apis/contact/v3/users/find_by_department') {
        const id = url.searchParams.get('department_id') ?? '';
        const d = directory.find((x) => x.id === id);
        if (!d) return json(res, 400, { code: 40003, msg: 'department not found' });
        if (d.outOfScope) return json(res, 400, { code: 40004, msg: 'no dept authority error' });
        return json(res, 200, { code: 0, msg: 'success', data: paged(d.members.map(member), url) });
      }
      if (req.method === 'GET' && url.pathname === '/open-apis/contact/v3/scopes') {
        const p = paged(scope, url);
        return json(res, 200, { code: 0, msg: 'success', data: { department_ids: p.items, user_ids: [], group_ids: [], has_more: p.has_more, ...(p.page_token ? { page_token: p.page_token } : {}) } });
      }
      const one = req.method === 'GET' ? /^\/open-apis\/contact\/v3\/departments\/([^/]+)$/.exec(url.pathname) : null;
      if (one) {
        const d = directory.find((x) => x.id === decodeURIComponent(one[1]!));
        if (!d) return json(res, 400, { code: 40003, msg: 'department not found' });
        if (d.outOfScope) return json(res, 400, { code: 40004, msg: 'no dept authority error' });
        return json(res, 200, { code: 0, msg: 'success', data: { department: departmentJson(d) } });
      }
      const children = req.method === 'GET' ? /^\/open-apis\/contact\/v3\/departments\/([^/]+)\/children$/.exec(url.pathname) : null;
      if (children) {
        const id = decodeURIComponent(children[1]!);
        const d = directory.find((x) => x.id === id);
        if (!d) return json(res, 400, { code: 40003, msg: 'department not found' });
        if (d.outOfScope) return json(res, 400, { code: 40004, msg: 'no dept authority error' });
        const all = url.searchParams.get('fetch_child') === 'true' ? descendants(id) : directory.filter((x) => x.parentId === id);
        return json(res, 200, { code: 0, msg: 'success', data: paged(all.map(departmentJson), url) });
      }
      return json(res, 404, { code: 404, msg: 'not found (fake)' });
    })().catch((err: unknown) => json(res, 500, { code: 500, msg: String(err) }));
  });
  server.on('upgrade', (req, socket, head) => {
    if (!(req.url ?? '').startsWith('/ws?')) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  fake.apiBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

/** A v2 im.message.receive_v1 body. */
export function messageEvent(o: {
  appId: string;
  token: string;
  messageId: string;
  eventId?: string;
  openId: string;
  text: string;
  chatType?: 'p2p' | 'group';
  chatId?: string;
  mentions?: { key: string; openId: string; name: string }[];
  messageType?: string;
  tenantKey?: string;
  senderTenantKey?: string;
}): Record<string, unknown> {
  const tenant = o.tenantKey ?? 'tenant_fake';
  return {
    schema: '2.0',
    header: { event_id: o.eventId ?? `ev_${randomBytes(8).toString('hex')}`, event_type: 'im.message.receive_v1', create_time: String(Date.now()), token: o.token, app_id: o.appId, tenant_key: tenant },
    event: {
      sender: { sender_id: { open_id: o.openId, union_id: `on_${o.openId}` }, sender_type: 'user', tenant_key: o.senderTenantKey ?? tenant },
      message: {
        message_id: o.messageId,
        create_time: String(Date.now()),
        chat_id: o.chatId ?? `oc_p2p_${o.openId}`,
        chat_type: o.chatType ?? 'p2p',
        message_type: o.messageType ?? 'text',
        content: JSON.stringify({ text: o.text }),
        mentions: (o.mentions ?? []).map((m) => ({ key: m.key, id: { open_id: m.openId }, name: m.name, tenant_key: tenant })),
      },
    },
  };
}

/** A v2 card.action.trigger body (new card callback). */
export function cardActionEvent(o: { appId: string; token: string; openId: string; openMessageId: string; value: Record<string, unknown>; eventId?: string; tenantKey?: string }): Record<string, unknown> {
  const tenant = o.tenantKey ?? 'tenant_fake';
  return {
    schema: '2.0',
    header: { event_id: o.eventId ?? `ev_${randomBytes(8).toString('hex')}`, event_type: 'card.action.trigger', create_time: String(Date.now() * 1000), token: o.token, app_id: o.appId, tenant_key: tenant },
    event: {
      operator: { tenant_key: tenant, open_id: o.openId, union_id: `on_${o.openId}` },
      token: `c-${randomBytes(8).toString('hex')}`,
      action: { value: o.value, tag: 'button' },
      host: 'im_message',
      context: { open_message_id: o.openMessageId, open_chat_id: `oc_p2p_${o.openId}` },
    },
  };
}

/** A v2 im.message.message_read_v1 body. */
export function readEvent(o: { appId: string; token: string; openId: string; messageIds: string[]; readTime: number }): Record<string, unknown> {
  return {
    schema: '2.0',
    header: { event_id: `ev_${randomBytes(8).toString('hex')}`, event_type: 'im.message.message_read_v1', create_time: String(Date.now()), token: o.token, app_id: o.appId, tenant_key: 'tenant_fake' },
    event: { reader: { reader_id: { open_id: o.openId }, read_time: String(o.readTime), tenant_key: 'tenant_fake' }, message_id_list: o.messageIds },
  };
}

/** How {@link postCallback} sends a body. */
export interface PostOptions {
  /** Encrypt with this Encrypt Key (body `{"encrypt":…}`) and sign the bytes. */
  encryptKey?: string;
  /** Sign (with encryptKey) but do not encrypt. */
  plainSigned?: boolean;
  /** Do not send the X-Lark-* headers (as for url_verification). */
  unsigned?: boolean;
  /** Use these exact bytes as the body (after any encryption step is skipped); the signature covers them. */
  rawBytes?: Buffer;
  /** Change the bytes after signing (tamper). */
  tamper?: (bytes: Buffer) => Buffer;
  timestamp?: string;
  nonce?: string;
}

/**
 * POSTs a callback as Feishu does: JSON bytes (encrypted when `encryptKey` is given), with
 * X-Lark-Request-Timestamp / -Nonce / -Signature over the exact bytes unless `unsigned`.
 */
export async function postCallback(url: string, body: unknown, o: PostOptions = {}): Promise<Response> {
  let bytes: Buffer;
  if (o.rawBytes) bytes = o.rawBytes;
  else if (o.encryptKey && !o.plainSigned) bytes = Buffer.from(JSON.stringify({ encrypt: encryptFeishu(o.encryptKey, JSON.stringify(body)) }), 'utf8');
  else bytes = Buffer.from(JSON.stringify(body), 'utf8');
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (o.encryptKey && !o.unsigned) {
    const timestamp = o.timestamp ?? String(Math.floor(Date.now() / 1000));
    const nonce = o.nonce ?? randomBytes(8).toString('hex');
    headers['x-lark-request-timestamp'] = timestamp;
    headers['x-lark-request-nonce'] = nonce;
    headers['x-lark-signature'] = feishuSignature(timestamp, nonce, o.encryptKey, bytes);
  }
  if (o.tamper) bytes = o.tamper(bytes);
  return fetch(url, { method: 'POST', headers, body: new Uint8Array(bytes) });
}

/** sha256 hex of a string (tests). */
export function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
