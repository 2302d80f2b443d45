/**
 * A fake WeCom server API (qyapi.weixin.qq.com) for tests, plus builders of signed, encrypted
 * callbacks. It follows shared/protocols.md §1.6 (gettoken, message/send, error codes) and records
 * everything it receives. Real HTTP on 127.0.0.1, port chosen by the OS.
 *
 * Usage:
 *   const fake = await startFakeWecom({ corpId: 'wwcorp', secret: 's3cret' });
 *   // point WecomConfig.apiBase at fake.url
 *   fake.failNext(42001);            // the next token-authenticated API call answers 42001
 *   fake.sent                        // accepted message/send bodies, in arrival order
 *   await fake.close();
 *
 * Routes:
 * - GET  /cgi-bin/gettoken?corpid&corpsecret -> {errcode:0, access_token, expires_in}; wrong corpid
 *   -> 40013, wrong secret -> 40001. Every call issues a new token (old ones stay valid until they expire).
 * - POST /cgi-bin/message/send?access_token -> checks, in order: token (missing/unknown 40014,
 *   expired 42001), JSON body (47001), agentid (40056), touser (non-empty, ≤ 1000 ids, else 40058),
 *   msgtype 'text' (else 40008), text.content (empty 44004, > 2048 UTF-8 bytes 40058). With
 *   `users` set, unknown ids come back in `invaliduser` (all unknown: 81013). Accepted bodies go to `sent`.
 * - anything else -> HTTP 404 (and is recorded).
 *
 * Extending (user/list_id, departments, rate limits …): `fake.route(method, path, handler)` adds or
 * replaces a route; a handler gets the parsed request and returns the JSON answer, and can call
 * `fake.checkToken(req)` for the standard access_token check. Injected failures (`failNext`) apply to
 * every route.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomInt } from 'node:crypto';
import { encrypt as wecomEncrypt, getSignature } from '@wecom/crypto';

export interface FakeWecomOptions {
  /** CorpID gettoken accepts (default 'wwfakecorp0000001'). */
  corpId?: string;
  /** App secret gettoken accepts (default 'fake-secret'). */
  secret?: string;
  /** agentid message/send accepts (default 1000002). */
  agentId?: number;
  /** expires_in of issued tokens, seconds (default 7200). */
  tokenTtlSeconds?: number;
  /** Known UserIDs; when set, message/send reports others as invalid. Default: every id is valid. */
  users?: string[];
}

/** One request as the fake saw it. */
export interface FakeRequest {
  method: string;
  /** Path without query, e.g. '/cgi-bin/message/send'. */
  path: string;
  query: Record<string, string>;
  /** The body as received (UTF-8). */
  rawBody: string;
  /** The body parsed as JSON, or undefined when empty or not JSON. */
  json: unknown;
}

/** A request and what the fake answered. */
export interface RecordedRequest extends FakeRequest {
  answer: FakeAnswer;
  /** ms since the epoch. */
  at: number;
}

/** JSON answer of a route (always HTTP 200 like WeCom, unless `httpStatus` is set). */
export interface FakeAnswer {
  errcode: number;
  errmsg: string;
  [field: string]: unknown;
}

/** A message/send body the fake accepted. */
export interface SentMessage {
  touser: string;
  msgtype: string;
  agentid: number;
  text?: { content: string };
  [field: string]: unknown;
}

export type FakeRouteHandler = (req: FakeRequest) => FakeAnswer | Promise<FakeAnswer>;

export interface FakeWecom {
  /** Base URL, e.g. 'http://127.0.0.1:53211' (use as WecomConfig.apiBase). */
  readonly url: string;
  readonly corpId: string;
  readonly secret: string;
  readonly agentId: number;
  /** Every request received, in order (including refused ones). */
  readonly requests: RecordedRequest[];
  /** Accepted message/send bodies, in order. */
  readonly sent: SentMessage[];
  /** How many gettoken requests arrived (successful or not). */
  readonly tokenRequests: number;
  /** Tokens issued so far, in order. */
  readonly tokens: string[];
  /**
   * The next `times` calls answer `{errcode, errmsg}` instead of running the route.
   * @param options.path restrict to one path; default: every token-authenticated route (all but
   *   /cgi-bin/gettoken). Injected 40014/42001 also expire the presented token, as real expiry would.
   * @param options.errmsg default: a realistic message (60020 includes 'from ip: 203.0.113.7').
   */
  failNext(errcode: number, times?: number, options?: { path?: string; errmsg?: string }): void;
  /** The next `times` requests (any path) wait `ms` before being handled (timeouts). */
  delayNext(ms: number, times?: number): void;
  /** Every token issued so far is expired (calls with them get 42001). */
  expireTokens(): void;
  /** Standard access_token check for custom routes: an error answer, or null when the token is valid. */
  checkToken(req: FakeRequest): FakeAnswer | null;
  /** Adds or replaces a route. */
  route(method: 'GET' | 'POST', path: string, handler: FakeRouteHandler): void;
  /** Forgets recorded requests, sent messages, counters and injected failures (tokens stay valid). */
  reset(): void;
  close(): Promise<void>;
}

/** The IP the fake's default 60020 errmsg names. */
export const FAKE_WECOM_CALLER_IP = '203.0.113.7';

const DEFAULT_ERRMSG: Record<number, string> = {
  [-1]: 'system busy',
  40001: 'invalid credential',
  40013: 'invalid corpid',
  40014: 'invalid access_token',
  42001: 'access_token expired',
  45009: 'api freq out of limit',
  45033: 'api concurrent out of limit',
  60020: `not allow to access from your ip, hint: [1700000000_1_abc], from ip: ${FAKE_WECOM_CALLER_IP}, more info at https://open.work.weixin.qq.com/devtool/query?e=60020`,
};

const TEXT_MAX_BYTES = 2048; // protocols.md §1.6; kept independent of adapters/wecom/limits.ts on purpose
const TOUSER_MAX = 1000;

/** Starts the fake on 127.0.0.1 (random port). */
export async function startFakeWecom(options: FakeWecomOptions = {}): Promise<FakeWecom> {
  const corpId = options.corpId ?? 'wwfakecorp0000001';
  const secret = options.secret ?? 'fake-secret';
  const agentId = options.agentId ?? 1000002;
  const ttlS = options.tokenTtlSeconds ?? 7200;
  const users = options.users ? new Set(options.users) : null;

  const requests: RecordedRequest[] = [];
  const sent: SentMessage[] = [];
  const tokens: string[] = [];
  const tokenExpiry = new Map<string, number>();
  let tokenRequests = 0;
  let msgCounter = 0;
  let failures: { errcode: number; errmsg: string; path: string | undefined; left: number }[] = [];
  let delays: { ms: number; left: number }[] = [];
  const routes = new Map<string, FakeRouteHandler>();

  const err = (errcode: number, errmsg = DEFAULT_ERRMSG[errcode] ?? `error ${errcode}`): FakeAnswer => ({ errcode, errmsg });

  function checkToken(req: FakeRequest): FakeAnswer | null {
    const token = req.query['access_token'];
    const expiresAt = token === undefined ? undefined : tokenExpiry.get(token);
    if (expiresAt === undefined) return err(40014);
    if (Date.now() >= expiresAt) return err(42001);
    return null;
  }

  routes.set('GET /cgi-bin/gettoken', (req) => {
    tokenRequests++;
    if (req.query['corpid'] !== corpId) return err(40013);
    if (req.query['corpsecret'] !== secret) return err(40001);
    const token = `FAKE-${tokens.length + 1}-${randomBytes(12).toString('hex')}`;
    tokens.push(token);
    tokenExpiry.set(token, Date.now() + ttlS * 1000);
    return { errcode: 0, errmsg: 'ok', access_token: token, expires_in: ttlS };
  });

  routes.set('POST /cgi-bin/message/send', (req) => {
    const denied = checkToken(req);
    if (denied) return denied;
    const body = req.json as Partial<SentMessage> | undefined;
    if (body === undefined || body === null || typeof body !== 'object') return err(47001, 'data format error');
    if (body.agentid !== agentId) return err(40056, `invalid agentid ${String(body.agentid)}`);
    const ids = typeof body.touser === 'string' && body.touser !== '' ? body.touser.split('|') : [];
    if (ids.length === 0) return err(40058, 'touser is empty');
    if (ids.length > TOUSER_MAX) return err(40058, `touser exceed max ${TOUSER_MAX}`);
    if (body.msgtype !== 'text') return err(40008, `fake supports msgtype text only, got ${String(body.msgtype)}`);
    const content = body.text?.content;
    if (typeof content !== 'string' || content === '') return err(44004, 'empty content');
    const bytes = Buffer.byteLength(content, 'utf8');
    if (bytes > TEXT_MAX_BYTES) return err(40058, `text.content exceed max length ${TEXT_MAX_BYTES}, got ${bytes} bytes`);
    const invalid = users ? ids.filter((id) => !users.has(id)) : [];
    if (invalid.length === ids.length) return err(81013, 'user & party & tag all invalid');
    sent.push(body as SentMessage);
    msgCounter++;
    return { errcode: 0, errmsg: 'ok', invaliduser: invalid.join('|'), invalidparty: '', invalidtag: '', unlicenseduser: '', msgid: `fake-msg-${msgCounter}` };
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    let json: unknown;
    try {
      json = rawBody === '' ? undefined : JSON.parse(rawBody);
    } catch {
      json = undefined;
    }
    const request: FakeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      rawBody,
      json,
    };
    const delay = delays.find((d) => d.left > 0);
    if (delay) {
      delay.left--;
      await new Promise((r) => setTimeout(r, delay.ms));
    }
    const route = routes.get(`${request.method} ${request.path}`);
    let answer: FakeAnswer;
    if (!route) {
      answer = err(404, 'no such route in the fake');
      res.statusCode = 404;
    } else {
      const failure = failures.find(
        (f) => f.left > 0 && (f.path === undefined ? request.path !== '/cgi-bin/gettoken' : f.path === request.path),
      );
      if (failure) {
        failure.left--;
        answer = err(failure.errcode, failure.errmsg);
        const token = request.query['access_token'];
        if ((failure.errcode === 42001 || failure.errcode === 40014) && token !== undefined && tokenExpiry.has(token)) {
          tokenExpiry.set(token, 0);
        }
      } else {
        answer = await route(request);
      }
    }
    requests.push({ ...request, answer, at: Date.now() });
    res.setHeader('content-type', 'application/json; charset=UTF-8');
    res.end(JSON.stringify(answer));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      res.statusCode = 500;
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    corpId,
    secret,
    agentId,
    requests,
    sent,
    get tokenRequests() {
      return tokenRequests;
    },
    tokens,
    failNext(errcode, times = 1, opts = {}) {
      failures.push({ errcode, errmsg: opts.errmsg ?? DEFAULT_ERRMSG[errcode] ?? `error ${errcode}`, path: opts.path, left: times });
    },
    delayNext(ms, times = 1) {
      delays.push({ ms, left: times });
    },
    expireTokens() {
      for (const t of tokenExpiry.keys()) tokenExpiry.set(t, 0);
    },
    checkToken,
    route(method, path, handler) {
      routes.set(`${method} ${path}`, handler);
    },
    reset() {
      requests.length = 0;
      sent.length = 0;
      tokenRequests = 0;
      failures = [];
      delays = [];
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Callback builders (what WeCom sends to our /wecom/callback), with @wecom/crypto directly.

/** Secrets of one callback URL. */
export interface WecomCallbackSecrets {
  token: string;
  encodingAESKey: string;
  corpId: string;
}

/** A signed POST callback: append `query` to the path (`?${query}`) and send `body` as text/xml. */
export interface BuiltWecomCallback {
  /** 'msg_signature=…&timestamp=…&nonce=…' (URL-encoded). */
  query: string;
  /** The outer XML (ToUserName, Encrypt, AgentID). */
  body: string;
  encrypt: string;
  msgSignature: string;
  timestamp: string;
  nonce: string;
}

/**
 * Encrypts `xml` (the inner message) with receiveid = corpId, signs it, and wraps it like WeCom does.
 * @param args.timestamp unix seconds (default now); args.nonce (default 10 random digits);
 *   args.random 16 bytes (default random); args.agentId the outer AgentID (default '1000002');
 *   args.encrypt use this ciphertext instead (to sign a broken one on purpose)
 */
export function buildWecomCallback(
  args: WecomCallbackSecrets & { xml: string; timestamp?: string; nonce?: string; random?: Buffer; agentId?: string | number; encrypt?: string },
): BuiltWecomCallback {
  const timestamp = args.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = args.nonce ?? String(randomInt(1_000_000_000, 10_000_000_000));
  const encrypt = args.encrypt ?? wecomEncrypt(args.encodingAESKey, args.xml, args.corpId, args.random ?? randomBytes(16));
  const msgSignature = getSignature(args.token, timestamp, nonce, encrypt);
  const body =
    `<xml><ToUserName><![CDATA[${args.corpId}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt>` +
    `<AgentID><![CDATA[${args.agentId ?? '1000002'}]]></AgentID></xml>`;
  return { query: new URLSearchParams({ msg_signature: msgSignature, timestamp, nonce }).toString(), body, encrypt, msgSignature, timestamp, nonce };
}

/**
 * A signed GET URL verification: `query` holds msg_signature, timestamp, nonce and the URL-encoded
 * echostr (the encryption of `echo`).
 */
export function buildWecomVerification(
  args: WecomCallbackSecrets & { echo: string; timestamp?: string; nonce?: string; random?: Buffer },
): { query: string; echostr: string; msgSignature: string } {
  const timestamp = args.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = args.nonce ?? String(randomInt(1_000_000_000, 10_000_000_000));
  const echostr = wecomEncrypt(args.encodingAESKey, args.echo, args.corpId, args.random ?? randomBytes(16));
  const msgSignature = getSignature(args.token, timestamp, nonce, echostr);
  return { query: new URLSearchParams({ msg_signature: msgSignature, timestamp, nonce, echostr }).toString(), echostr, msgSignature };
}

function cdata(s: string): string {
  return `<![CDATA[${s.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

/** Inner XML of a text message, shaped like the official sample (protocols.md §6.1 V1b). */
export function wecomTextXml(m: { corpId: string; from: string; content: string; msgId: string; createTime?: number; agentId?: number }): string {
  return (
    `<xml><ToUserName>${cdata(m.corpId)}</ToUserName>\n<FromUserName>${cdata(m.from)}</FromUserName>\n` +
    `<CreateTime>${m.createTime ?? Math.floor(Date.now() / 1000)}</CreateTime>\n<MsgType>${cdata('text')}</MsgType>\n` +
    `<Content>${cdata(m.content)}</Content>\n<MsgId>${m.msgId}</MsgId>\n<AgentID>${m.agentId ?? 1000002}</AgentID>\n</xml>`
  );
}

/** Inner XML of a non-event message of another type (image, voice, …) without its media fields. */
export function wecomMediaXml(m: { corpId: string; from: string; msgType: string; msgId: string; createTime?: number; agentId?: number }): string {
  return (
    `<xml><ToUserName>${cdata(m.corpId)}</ToUserName><FromUserName>${cdata(m.from)}</FromUserName>` +
    `<CreateTime>${m.createTime ?? Math.floor(Date.now() / 1000)}</CreateTime><MsgType>${cdata(m.msgType)}</MsgType>` +
    `<MediaId>${cdata('media-1')}</MediaId><MsgId>${m.msgId}</MsgId><AgentID>${m.agentId ?? 1000002}</AgentID></xml>`
  );
}

/** Inner XML of an event (enter_agent, subscribe, template_card_event, …). */
export function wecomEventXml(e: { corpId: string; from: string; event: string; eventKey?: string; createTime?: number; agentId?: number }): string {
  return (
    `<xml><ToUserName>${cdata(e.corpId)}</ToUserName><FromUserName>${cdata(e.from)}</FromUserName>` +
    `<CreateTime>${e.createTime ?? Math.floor(Date.now() / 1000)}</CreateTime><MsgType>${cdata('event')}</MsgType>` +
    `<AgentID>${e.agentId ?? 1000002}</AgentID><Event>${cdata(e.event)}</Event><EventKey>${cdata(e.eventKey ?? '')}</EventKey></xml>`
  );
}
