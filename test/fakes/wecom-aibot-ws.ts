/**
 * The WeCom AI bot's platform side, for tests (shared/protocols.md §2.5):
 * - a fake long-connection server (WebSocket on 127.0.0.1, port chosen by the OS) speaking the frame
 *   protocol the official SDK speaks: `aibot_subscribe` auth ({bot_id, secret}) answered with an ack
 *   frame {headers:{req_id}, errcode, errmsg}; `ping` acked; `aibot_msg_callback` /
 *   `aibot_event_callback` pushed by the test; every `aibot_respond_msg` (and welcome/update/send)
 *   recorded and acked; one connection per bot (a newer authenticated connection kicks the older
 *   one with a `disconnected_event`, as WeCom does);
 * - builders of callback bodies (the decrypted JSON, same in both modes) and of signed, encrypted
 *   HTTP callbacks (receiveid "").
 *
 * Usage:
 *   const ws = await startFakeAibotWs({ botId: 'bot1', secret: 's' });   // WecomAibotConfig.wsUrl = ws.url
 *   await ws.waitForAuth();
 *   const reqId = ws.push(aibotText({ msgid: 'm1', userid: 'zhangsan', chatid: 'c1', content: '@bot hi' }));
 *   const finished = await ws.waitFor((f) => f.headers.req_id === reqId && f.body?.stream?.finish === true);
 *   await ws.close();
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { encrypt as wecomEncrypt, getSignature } from '@wecom/crypto';

/** One frame as exchanged on the long connection. */
export interface AibotFrame {
  cmd?: string;
  headers: { req_id: string; [k: string]: unknown };
  /** Arbitrary JSON. */
  body?: any;
  errcode?: number;
  errmsg?: string;
}

export interface FakeAibotWsOptions {
  botId?: string;
  secret?: string;
  /** errcode the fake acks reply frames with (default 0). */
  replyErrcode?: number;
}

export interface FakeAibotWs {
  /** ws://127.0.0.1:<port> */
  readonly url: string;
  readonly botId: string;
  /** Every frame the clients sent, in order (auth and pings included). */
  readonly received: AibotFrame[];
  /** `aibot_respond_msg` frames, in order. */
  readonly replies: AibotFrame[];
  /** `aibot_respond_welcome_msg` frames, in order. */
  readonly welcomes: AibotFrame[];
  /** Successful authentications so far. */
  readonly authCount: number;
  /** Failed authentications so far. */
  readonly authFailures: number;
  /** Sockets currently open. */
  readonly openConnections: number;
  /** Resolves once `count` authentications have succeeded (default 1). */
  waitForAuth(count?: number, timeoutMs?: number): Promise<void>;
  /**
   * Pushes a callback to the current authenticated connection.
   * @param body the callback JSON (see the builders below)
   * @param cmd default 'aibot_event_callback' when body.msgtype is 'event', else 'aibot_msg_callback'
   * @returns the frame's req_id
   */
  push(body: unknown, options?: { cmd?: string; reqId?: string }): string;
  /** Resolves with the first received frame matching `pred` (past or future). */
  waitFor(pred: (f: AibotFrame) => boolean, timeoutMs?: number): Promise<AibotFrame>;
  /** Closes every client socket from the server side (a dropped connection). */
  dropConnections(): void;
  close(): Promise<void>;
}

const ACK_CMDS = new Set([
  'aibot_respond_msg',
  'aibot_respond_welcome_msg',
  'aibot_respond_update_msg',
  'aibot_send_msg',
]);

/** Starts the fake long-connection server. */
export async function startFakeAibotWs(options: FakeAibotWsOptions = {}): Promise<FakeAibotWs> {
  const botId = options.botId ?? 'fake-bot-id';
  const secret = options.secret ?? 'fake-bot-secret';
  const received: AibotFrame[] = [];
  const replies: AibotFrame[] = [];
  const welcomes: AibotFrame[] = [];
  let authCount = 0;
  let authFailures = 0;
  let current: WebSocket | null = null;
  const waiters: { pred: (f: AibotFrame) => boolean; resolve: (f: AibotFrame) => void }[] = [];
  const authWaiters: { count: number; resolve: () => void }[] = [];

  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));

  function send(socket: WebSocket, frame: AibotFrame): void {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
  }

  function record(frame: AibotFrame): void {
    received.push(frame);
    for (const w of [...waiters]) {
      if (w.pred(frame)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(frame);
      }
    }
  }

  wss.on('connection', (socket) => {
    socket.on('message', (data) => {
      let frame: AibotFrame;
      try {
        frame = JSON.parse(String(data)) as AibotFrame;
      } catch {
        return;
      }
      record(frame);
      const reqId = frame.headers?.req_id ?? '';
      if (frame.cmd === 'aibot_subscribe') {
        const ok = frame.body?.bot_id === botId && frame.body?.secret === secret;
        if (!ok) {
          authFailures++;
          send(socket, { headers: { req_id: reqId }, errcode: 40001, errmsg: 'invalid bot_id or secret' });
          return;
        }
        authCount++;
        const previous = current;
        current = socket;
        send(socket, { headers: { req_id: reqId }, errcode: 0, errmsg: 'ok' });
        if (previous && previous !== socket) {
          // One connection per bot: the new one kicks the old one.
          send(previous, {
            cmd: 'aibot_event_callback',
            headers: { req_id: `evt_${randomBytes(6).toString('hex')}` },
            body: { msgid: `kick-${authCount}`, aibotid: botId, msgtype: 'event', from: { userid: '' }, event: { eventtype: 'disconnected_event' } },
          });
          previous.close();
        }
        for (const w of [...authWaiters]) {
          if (authCount >= w.count) {
            authWaiters.splice(authWaiters.indexOf(w), 1);
            w.resolve();
          }
        }
        return;
      }
      if (frame.cmd === 'ping') {
        send(socket, { headers: { req_id: reqId }, errcode: 0, errmsg: 'ok' });
        return;
      }
      if (frame.cmd && ACK_CMDS.has(frame.cmd)) {
        if (frame.cmd === 'aibot_respond_msg') replies.push(frame);
        if (frame.cmd === 'aibot_respond_welcome_msg') welcomes.push(frame);
        const errcode = options.replyErrcode ?? 0;
        send(socket, { headers: { req_id: reqId }, errcode, errmsg: errcode === 0 ? 'ok' : 'fake reply error' });
      }
    });
    socket.on('close', () => {
      if (current === socket) current = null;
    });
  });

  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    botId,
    received,
    replies,
    welcomes,
    get authCount() {
      return authCount;
    },
    get authFailures() {
      return authFailures;
    },
    get openConnections() {
      return wss.clients.size;
    },
    waitForAuth(count = 1, timeoutMs = 5000) {
      if (authCount >= count) return Promise.resolve();
      return withTimeout(new Promise<void>((resolve) => authWaiters.push({ count, resolve })), timeoutMs, `${count} authentication(s)`);
    },
    push(body, opts = {}) {
      if (!current) throw new Error('fake aibot ws: no authenticated connection to push to');
      const msgtype = (body as { msgtype?: string }).msgtype;
      const reqId = opts.reqId ?? `req_${randomBytes(8).toString('hex')}`;
      send(current, { cmd: opts.cmd ?? (msgtype === 'event' ? 'aibot_event_callback' : 'aibot_msg_callback'), headers: { req_id: reqId }, body });
      return reqId;
    },
    waitFor(pred, timeoutMs = 5000) {
      const past = received.find(pred);
      if (past) return Promise.resolve(past);
      return withTimeout(new Promise<AibotFrame>((resolve) => waiters.push({ pred, resolve })), timeoutMs, 'a matching frame');
    },
    dropConnections() {
      for (const c of wss.clients) c.terminate();
    },
    close() {
      for (const c of wss.clients) c.terminate();
      return new Promise<void>((resolve, reject) => wss.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`fake aibot ws: no ${what} within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e as Error);
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Callback bodies (the decrypted JSON in HTTP mode = a frame's body in long-connection mode).

/** A text message; a group one when `chatid` is given. */
export function aibotText(m: { msgid: string; userid: string; content: string; chatid?: string; aibotid?: string }): Record<string, unknown> {
  return {
    msgid: m.msgid,
    aibotid: m.aibotid ?? 'aib-fake',
    ...(m.chatid ? { chatid: m.chatid, chattype: 'group' } : { chattype: 'single' }),
    from: { userid: m.userid },
    create_time: Math.floor(Date.now() / 1000),
    response_url: 'https://example.invalid/aibot/response?response_code=fake',
    msgtype: 'text',
    text: { content: m.content },
  };
}

/** Any other message type (image, file, voice, mixed, video) with the given extra fields. */
export function aibotMessage(m: { msgid: string; userid: string; msgtype: string; chatid?: string; fields?: Record<string, unknown> }): Record<string, unknown> {
  return {
    msgid: m.msgid,
    aibotid: 'aib-fake',
    ...(m.chatid ? { chatid: m.chatid, chattype: 'group' } : { chattype: 'single' }),
    from: { userid: m.userid },
    msgtype: m.msgtype,
    ...m.fields,
  };
}

/** An event (enter_chat, template_card_event, feedback_event, …). */
export function aibotEvent(e: { msgid: string; userid: string; eventtype: string; eventKey?: string; chatid?: string }): Record<string, unknown> {
  return {
    msgid: e.msgid,
    aibotid: 'aib-fake',
    create_time: Math.floor(Date.now() / 1000),
    ...(e.chatid ? { chatid: e.chatid, chattype: 'group' } : { chattype: 'single' }),
    from: { userid: e.userid, corpid: 'wwfakecorp' },
    msgtype: 'event',
    event: { eventtype: e.eventtype, ...(e.eventKey !== undefined ? { event_key: e.eventKey, task_id: 'task-1' } : {}) },
  };
}

/** A stream refresh callback for `streamId`. */
export function aibotStreamRefresh(m: { msgid: string; userid: string; streamId: string; chatid?: string }): Record<string, unknown> {
  return {
    msgid: m.msgid,
    aibotid: 'aib-fake',
    ...(m.chatid ? { chatid: m.chatid, chattype: 'group' } : { chattype: 'single' }),
    from: { userid: m.userid },
    msgtype: 'stream',
    stream: { id: m.streamId },
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP mode: signed, encrypted callbacks with receiveid "" (protocols.md §0, §2.5(a), §6.2 S3).

/** The bot's callback secrets. */
export interface AibotSecrets {
  token: string;
  encodingAESKey: string;
}

/** A signed POST: append `query` to the path and send `body` as application/json. */
export interface BuiltAibotCallback {
  query: string;
  body: string;
  encrypt: string;
  msgSignature: string;
  timestamp: string;
  nonce: string;
}

/**
 * Encrypts `json` (string or object) with receiveid "" (or `receiveId`), signs it and wraps it as
 * {"encrypt": …}.
 */
export function buildAibotCallback(
  args: AibotSecrets & { json: string | object; timestamp?: string; nonce?: string; random?: Buffer; receiveId?: string },
): BuiltAibotCallback {
  const timestamp = args.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = args.nonce ?? String(randomInt(1_000_000_000, 10_000_000_000));
  const plain = typeof args.json === 'string' ? args.json : JSON.stringify(args.json);
  const encrypt = wecomEncrypt(args.encodingAESKey, plain, args.receiveId ?? '', args.random ?? randomBytes(16));
  const msgSignature = getSignature(args.token, timestamp, nonce, encrypt);
  return {
    query: new URLSearchParams({ msg_signature: msgSignature, timestamp, nonce }).toString(),
    body: JSON.stringify({ encrypt }),
    encrypt,
    msgSignature,
    timestamp,
    nonce,
  };
}

/** A signed GET URL verification whose echostr decrypts (receiveid "") to `echo`. */
export function buildAibotVerification(args: AibotSecrets & { echo: string; receiveId?: string }): { query: string; echostr: string } {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(randomInt(1_000_000_000, 10_000_000_000));
  const echostr = wecomEncrypt(args.encodingAESKey, args.echo, args.receiveId ?? '', randomBytes(16));
  const msgSignature = getSignature(args.token, timestamp, nonce, echostr);
  return { query: new URLSearchParams({ msg_signature: msgSignature, timestamp, nonce, echostr }).toString(), echostr };
}
