/**
 * A fake DingTalk for tests: a real HTTP server on 127.0.0.1 (free port) that speaks the parts of
 * the new-version OpenAPI (api.dingtalk.com) and of the robot sessionWebhook the bot uses, as
 * described in ../shared/protocols.md §3.2, §3.4 and §5.2, and records everything it receives.
 *
 * Point the adapter at it with `DingtalkConfig.apiBase = fake.apiBase` (the SDK then uses
 * `{ protocol: 'http', endpoint: '127.0.0.1:<port>' }`), and give inbound messages a
 * `sessionWebhook` from `fake.sessionWebhookUrl(id)` (or build them with `fake.robotMessage()`).
 *
 * Endpoints:
 * - POST /v1.0/oauth2/accessToken  {appKey, appSecret} → 200 {accessToken, expireIn}; wrong
 *   credentials → 400 {"code":"InvalidAuthentication",…} (the real code for this case is UNVERIFIED).
 * - POST /v1.0/robot/oToMessages/batchSend  header x-acs-dingtalk-access-token; body
 *   {robotCode, userIds (1..20), msgKey, msgParam (a JSON *string*)} → {processQueryKey,
 *   invalidStaffIdList, flowControlledStaffIdList}.
 * - POST /v1.0/robot/groupMessages/send  {robotCode, openConversationId, msgKey, msgParam (string,
 *   ≤ 15 000 bytes)} → {processQueryKey}.
 * - GET  /v1.0/robot/oToMessages/readStatus?processQueryKey=&robotCode= → {sendStatus:'SUCCESS',
 *   messageReadInfoList:[{name, userId, readStatus:'READ'|'UNREAD', readTimestamp}]}.
 * - POST /robot/sendBySession?session=<id>  a sessionWebhook: {"msgtype":"text",…} →
 *   {"errcode":0,"errmsg":"ok"}, or {"errcode":300001,"errmsg":"session 不存在"} once expired.
 * - anything else → 404 {"code":"NotFound",…}.
 * API errors use the real error body shape {"code","message","requestid"} (the SDK turns it into a
 * thrown error with `code` and `statusCode`). A missing, unknown, revoked or expired token gives
 * 401 InvalidAuthentication. Bodies are read whole, chunked or not (the SDK sends chunked).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, randomUUID } from 'node:crypto';

/** Options of {@link startFakeDingtalk}. */
export interface FakeDingtalkOptions {
  /** Default 'dingfakeappkey'. */
  appKey?: string;
  /** Default 'testSecret' (the secret of vector S5). */
  appSecret?: string;
  /** Default = appKey (as for real internal apps). */
  robotCode?: string;
  /** expireIn of issued tokens in seconds; default 7200. Tokens past it answer 401. */
  tokenTtlSeconds?: number;
}

/** One request as received (every endpoint). */
export interface FakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body as text. */
  body: string;
  /** HTTP status the fake answered. */
  status: number;
}

/** One POST /v1.0/oauth2/accessToken. */
export interface FakeTokenRequest {
  appKey: string | null;
  appSecret: string | null;
  /** True when credentials matched and a token was issued. */
  ok: boolean;
  token: string | null;
  at: number;
}

/** One accepted batchSend. */
export interface FakeOtoMessage {
  token: string;
  robotCode: string;
  userIds: string[];
  msgKey: string;
  /** Exactly as sent (a JSON string). */
  msgParam: string;
  /** JSON.parse(msgParam). */
  param: Record<string, unknown>;
  /** param.content when it is a string (sampleText), else null. */
  content: string | null;
  processQueryKey: string;
  /** Users answered in invalidStaffIdList / flowControlledStaffIdList (they got nothing). */
  invalidStaffIds: string[];
  flowControlledStaffIds: string[];
}

/** One accepted groupMessages/send. */
export interface FakeGroupMessage {
  token: string;
  robotCode: string;
  openConversationId: string;
  msgKey: string;
  msgParam: string;
  param: Record<string, unknown>;
  content: string | null;
  processQueryKey: string;
}

/** One POST to a sessionWebhook (recorded whether it was accepted or not). */
export interface FakeWebhookMessage {
  session: string;
  /** The parsed JSON body (null when it was not JSON). */
  body: Record<string, unknown> | null;
  msgtype: string | null;
  /** text.content (msgtype text) or markdown.text, else null. */
  content: string | null;
  /** at.atUserIds, [] when absent. */
  atUserIds: string[];
  /** The errcode the fake answered (0 = delivered), or the HTTP status when it answered non-200. */
  errcode: number;
  httpStatus: number;
}

/** An error the fake answers instead of the normal response. */
export interface FakeApiError {
  /** HTTP status, e.g. 400, 401, 403, 429, 500. */
  status: number;
  /** Error code, e.g. 'InvalidAuthentication', 'Forbidden.AccessDenied.QpsLimitForApi'. */
  code: string;
  message?: string;
}

/** The OpenAPI endpoints errors can be injected into. */
export type FakeApiName = 'accessToken' | 'batchSend' | 'groupSend' | 'readStatus';

/** A running fake. All arrays are appended to in arrival order; `reset()` empties them. */
export interface FakeDingtalk {
  /** 'http://127.0.0.1:<port>' (same as apiBase). */
  url: string;
  /** Value for DingtalkConfig.apiBase. */
  apiBase: string;
  port: number;
  appKey: string;
  appSecret: string;
  robotCode: string;
  requests: FakeRequest[];
  tokenRequests: FakeTokenRequest[];
  /** Tokens issued so far, in order. */
  issuedTokens: string[];
  otoMessages: FakeOtoMessage[];
  groupMessages: FakeGroupMessage[];
  webhookMessages: FakeWebhookMessage[];
  readStatusRequests: { processQueryKey: string; robotCode: string }[];
  /** Absolute sessionWebhook URL for session `id`: `<url>/robot/sendBySession?session=<id>`. */
  sessionWebhookUrl(id: string): string;
  /** From now on session `id` answers `{"errcode":<errcode>,"errmsg":…}` (default 300001 "session 不存在"). */
  expireSession(id: string, errcode?: number): void;
  /** From now on session `id` answers HTTP `status` (e.g. 404, 500) with an error body. */
  failSessionHttp(id: string, status: number): void;
  /** Every token issued so far now answers 401 InvalidAuthentication (as after expiry server-side). */
  revokeTokens(): void;
  /** The next `times` (default 1) calls of `api` answer `error` instead. */
  failNext(api: FakeApiName, error: FakeApiError, times?: number): void;
  /** batchSend lists this staffId in invalidStaffIdList (and delivers nothing to it). */
  setInvalidStaffId(staffId: string): void;
  /** batchSend lists this staffId in flowControlledStaffIdList. */
  setFlowControlledStaffId(staffId: string): void;
  /** Mark a batchSend as read by `userId` (readStatus then answers READ). */
  markRead(processQueryKey: string, userId: string, atMs?: number): void;
  /**
   * A robot callback body whose sessionWebhook points at this fake (a fresh session id, expiring
   * in 90 minutes) and whose robotCode is this fake's; see {@link buildRobotMessage}.
   */
  robotMessage(overrides?: Partial<RobotMessageBody>): RobotMessageBody;
  /** Resolves when `predicate()` is true (polled every 10 ms); rejects after `timeoutMs` (default 3000). */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /**
   * Empties the records (requests, tokenRequests, issuedTokens, messages) and clears injected errors,
   * session states, staffId settings and read marks. Issued tokens stay valid.
   */
  reset(): void;
  close(): Promise<void>;
}

/**
 * The `timestamp` and `sign` headers DingTalk sends with an HTTP-mode robot callback:
 * sign = Base64(HmacSHA256(key = appSecret, data = timestamp + "\n" + appSecret)).
 * Written independently of adapters/dingtalk/sign.ts so tests check one against the other.
 * @param timestampMs ms since the epoch
 */
export function signDingtalkRequest(appSecret: string, timestampMs: number): { timestamp: string; sign: string } {
  const timestamp = String(timestampMs);
  const sign = createHmac('sha256', appSecret).update(timestamp + '\n' + appSecret).digest('base64');
  return { timestamp, sign };
}

/** An HTTP-mode robot callback body (protocols.md §3.1). Extra fields are allowed. */
export interface RobotMessageBody {
  msgId: string;
  msgtype: string;
  text?: { content: string };
  content?: unknown;
  createAt: number;
  conversationType: '1' | '2' | string;
  conversationId?: string;
  conversationTitle?: string;
  senderId?: string;
  senderNick?: string;
  senderCorpId?: string;
  senderStaffId?: string;
  chatbotCorpId?: string;
  chatbotUserId?: string;
  isAdmin?: boolean;
  isInAtList?: boolean;
  atUsers?: { dingtalkId: string; staffId?: string }[];
  sessionWebhook?: string;
  sessionWebhookExpiredTime?: number;
  robotCode: string;
  [extra: string]: unknown;
}

let messageCounter = 0;

/**
 * Builds a robot callback body. Defaults: a one-to-one ('1') text message " 我的聊天会被存档吗"
 * from staffId 'user001' (senderNick '张三', corp 'dingfakecorp'), a unique msgId, robotCode
 * 'dingfakeappkey', a sessionWebhook on oapi.dingtalk.com valid for 90 minutes.
 * For a group message pass `{ conversationType: '2', conversationId: 'cid…', isInAtList: true }`.
 * A key given as `undefined` in `overrides` is removed (e.g. `{ senderStaffId: undefined }`).
 */
export function buildRobotMessage(overrides: Partial<RobotMessageBody> = {}): RobotMessageBody {
  messageCounter++;
  const now = Date.now();
  const base: RobotMessageBody = {
    msgId: `msg${now.toString(36)}${messageCounter}${randomUUID().slice(0, 8)}`,
    msgtype: 'text',
    text: { content: ' 我的聊天会被存档吗' },
    createAt: now,
    conversationType: '1',
    conversationId: `cidSingle${messageCounter}`,
    senderId: '$:LWCP_v1:$fakeSenderId001',
    senderNick: '张三',
    senderCorpId: 'dingfakecorp',
    senderStaffId: 'user001',
    chatbotCorpId: 'dingfakecorp',
    chatbotUserId: '$:LWCP_v1:$fakeChatbotUser',
    isAdmin: false,
    sessionWebhook: `https://oapi.dingtalk.com/robot/sendBySession?session=fake${messageCounter}`,
    sessionWebhookExpiredTime: now + 90 * 60_000,
    robotCode: 'dingfakeappkey',
  };
  const out: RobotMessageBody = { ...base, ...overrides };
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete out[k];
  return out;
}

/**
 * POSTs a robot callback to the bot the way DingTalk does: JSON body with `timestamp`/`sign` headers.
 * @param callbackUrl e.g. `${serverUrl}/dingtalk/callback`
 * @param body the callback body (an object is JSON-encoded; a string is sent as is)
 * @param options.timestampMs default Date.now(); options.headers override/add headers
 */
export async function sendRobotCallback(
  callbackUrl: string,
  body: unknown,
  appSecret: string,
  options: { timestampMs?: number; headers?: Record<string, string> } = {},
): Promise<Response> {
  const { timestamp, sign } = signDingtalkRequest(appSecret, options.timestampMs ?? Date.now());
  return fetch(callbackUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', timestamp, sign, ...options.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJsonObject(body: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    throw new HttpError(400, 'InvalidParameter.Body', 'body is not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new HttpError(400, 'InvalidParameter.Body', 'body is not a JSON object');
  }
  return v as Record<string, unknown>;
}

function requireString(o: Record<string, unknown>, name: string): string {
  const v = o[name];
  if (typeof v !== 'string' || v === '') throw new HttpError(400, `MissingParameter.${name}`, `${name} is required (a string)`);
  return v;
}

function parseMsgParam(o: Record<string, unknown>): { msgParam: string; param: Record<string, unknown> } {
  const msgParam = o.msgParam;
  if (typeof msgParam !== 'string') {
    throw new HttpError(400, 'InvalidParameter.msgParam', 'msgParam must be a JSON string, not an object');
  }
  let param: unknown;
  try {
    param = JSON.parse(msgParam);
  } catch {
    throw new HttpError(400, 'InvalidParameter.msgParam', 'msgParam is not valid JSON');
  }
  if (typeof param !== 'object' || param === null || Array.isArray(param)) {
    throw new HttpError(400, 'InvalidParameter.msgParam', 'msgParam must encode a JSON object');
  }
  return { msgParam, param: param as Record<string, unknown> };
}

/**
 * Starts the fake on 127.0.0.1 with a free port. See the file comment for the endpoints and
 * {@link FakeDingtalk} for the records and controls. Close it with `fake.close()`.
 */
export async function startFakeDingtalk(options: FakeDingtalkOptions = {}): Promise<FakeDingtalk> {
  const appKey = options.appKey ?? 'dingfakeappkey';
  const appSecret = options.appSecret ?? 'testSecret';
  const robotCode = options.robotCode ?? appKey;
  const tokenTtlSeconds = options.tokenTtlSeconds ?? 7200;

  const tokens = new Map<string, { expiresAt: number; revoked: boolean }>();
  const failures = new Map<FakeApiName, { error: FakeApiError; times: number }[]>();
  const sessionStates = new Map<string, { errcode?: number; httpStatus?: number }>();
  const invalidStaff = new Set<string>();
  const flowControlledStaff = new Set<string>();
  const reads = new Map<string, Map<string, number>>();
  let tokenCounter = 0;
  let keyCounter = 0;

  function injected(api: FakeApiName): void {
    const list = failures.get(api);
    const next = list?.[0];
    if (!next) return;
    next.times--;
    if (next.times <= 0) list!.shift();
    throw new HttpError(next.error.status, next.error.code, next.error.message ?? next.error.code);
  }

  function checkToken(req: IncomingMessage): string {
    const raw = req.headers['x-acs-dingtalk-access-token'];
    const token = Array.isArray(raw) ? raw[0] : raw;
    if (!token) throw new HttpError(401, 'InvalidAuthentication', 'x-acs-dingtalk-access-token is missing');
    const t = tokens.get(token);
    if (!t || t.revoked || Date.now() >= t.expiresAt) {
      throw new HttpError(401, 'InvalidAuthentication', '不合法的access_token');
    }
    return token;
  }

  function checkRobotCode(o: Record<string, unknown>): string {
    const rc = requireString(o, 'robotCode');
    if (rc !== robotCode) throw new HttpError(400, 'InvalidParameter.robotCode', 'robotCode does not belong to this app');
    return rc;
  }

  const handlers: Record<string, (req: IncomingMessage, body: string, query: URLSearchParams) => { status?: number; json: unknown }> = {
    'POST /v1.0/oauth2/accessToken': (_req, body) => {
      let o: Record<string, unknown> = {};
      try {
        o = parseJsonObject(body);
      } catch {
        /* recorded below as a failed request */
      }
      const record: FakeTokenRequest = {
        appKey: typeof o.appKey === 'string' ? o.appKey : null,
        appSecret: typeof o.appSecret === 'string' ? o.appSecret : null,
        ok: false,
        token: null,
        at: Date.now(),
      };
      fake.tokenRequests.push(record);
      injected('accessToken');
      if (record.appKey !== appKey || record.appSecret !== appSecret) {
        throw new HttpError(400, 'InvalidAuthentication', 'appKey or appSecret is wrong');
      }
      const token = `fake-token-${++tokenCounter}-${randomUUID().slice(0, 8)}`;
      tokens.set(token, { expiresAt: Date.now() + tokenTtlSeconds * 1000, revoked: false });
      fake.issuedTokens.push(token);
      record.ok = true;
      record.token = token;
      return { json: { accessToken: token, expireIn: tokenTtlSeconds } };
    },

    'POST /v1.0/robot/oToMessages/batchSend': (req, body) => {
      injected('batchSend');
      const token = checkToken(req);
      const o = parseJsonObject(body);
      const rc = checkRobotCode(o);
      const msgKey = requireString(o, 'msgKey');
      const userIds = o.userIds;
      if (!Array.isArray(userIds) || userIds.length === 0 || !userIds.every((u) => typeof u === 'string' && u !== '')) {
        throw new HttpError(400, 'InvalidParameter.userIds', 'userIds must be a non-empty array of staffIds');
      }
      if (userIds.length > 20) throw new HttpError(400, 'InvalidParameter.userIds', 'at most 20 userIds per call');
      const { msgParam, param } = parseMsgParam(o);
      const processQueryKey = `pqk-oto-${++keyCounter}`;
      const invalid = (userIds as string[]).filter((u) => invalidStaff.has(u));
      const flow = (userIds as string[]).filter((u) => flowControlledStaff.has(u) && !invalidStaff.has(u));
      fake.otoMessages.push({
        token,
        robotCode: rc,
        userIds: userIds as string[],
        msgKey,
        msgParam,
        param,
        content: typeof param.content === 'string' ? param.content : null,
        processQueryKey,
        invalidStaffIds: invalid,
        flowControlledStaffIds: flow,
      });
      return { json: { processQueryKey, invalidStaffIdList: invalid, flowControlledStaffIdList: flow } };
    },

    'POST /v1.0/robot/groupMessages/send': (req, body) => {
      injected('groupSend');
      const token = checkToken(req);
      const o = parseJsonObject(body);
      const rc = checkRobotCode(o);
      const msgKey = requireString(o, 'msgKey');
      const openConversationId = requireString(o, 'openConversationId');
      const { msgParam, param } = parseMsgParam(o);
      if (Buffer.byteLength(msgParam, 'utf8') > 15_000) {
        throw new HttpError(400, 'InvalidParameter.msgParam', 'msgParam over 15000 bytes');
      }
      const processQueryKey = `pqk-group-${++keyCounter}`;
      fake.groupMessages.push({
        token,
        robotCode: rc,
        openConversationId,
        msgKey,
        msgParam,
        param,
        content: typeof param.content === 'string' ? param.content : null,
        processQueryKey,
      });
      return { json: { processQueryKey } };
    },

    'GET /v1.0/robot/oToMessages/readStatus': (req, _body, query) => {
      injected('readStatus');
      checkToken(req);
      const processQueryKey = query.get('processQueryKey') ?? '';
      const rc = query.get('robotCode') ?? '';
      fake.readStatusRequests.push({ processQueryKey, robotCode: rc });
      if (rc !== robotCode) throw new HttpError(400, 'InvalidParameter.robotCode', 'robotCode does not belong to this app');
      const sent = fake.otoMessages.find((m) => m.processQueryKey === processQueryKey);
      if (!sent) throw new HttpError(400, 'InvalidParameter.processQueryKey', 'unknown processQueryKey');
      const readBy = reads.get(processQueryKey) ?? new Map<string, number>();
      return {
        json: {
          sendStatus: 'SUCCESS',
          messageReadInfoList: sent.userIds
            .filter((u) => !sent.invalidStaffIds.includes(u) && !sent.flowControlledStaffIds.includes(u))
            .map((userId) => ({
              name: userId,
              userId,
              readStatus: readBy.has(userId) ? 'READ' : 'UNREAD',
              readTimestamp: readBy.get(userId) ?? 0,
            })),
        },
      };
    },

    'POST /robot/sendBySession': (_req, body, query) => {
      const session = query.get('session') ?? '';
      let parsed: Record<string, unknown> | null = null;
      try {
        parsed = parseJsonObject(body);
      } catch {
        parsed = null;
      }
      const msgtype = typeof parsed?.msgtype === 'string' ? parsed.msgtype : null;
      const text = parsed?.text as { content?: unknown } | undefined;
      const markdown = parsed?.markdown as { text?: unknown } | undefined;
      const at = parsed?.at as { atUserIds?: unknown } | undefined;
      const content =
        msgtype === 'text' && typeof text?.content === 'string'
          ? text.content
          : msgtype === 'markdown' && typeof markdown?.text === 'string'
            ? markdown.text
            : null;
      const state = sessionStates.get(session);
      let errcode = 0;
      let httpStatus = 200;
      if (state?.httpStatus) {
        httpStatus = state.httpStatus;
        errcode = state.httpStatus;
      } else if (state?.errcode !== undefined) {
        errcode = state.errcode;
      } else if (session === '') {
        errcode = 300001;
      } else if (parsed === null || content === null) {
        errcode = 40035; // fake-only: malformed message
      }
      fake.webhookMessages.push({
        session,
        body: parsed,
        msgtype,
        content,
        atUserIds: Array.isArray(at?.atUserIds) ? (at!.atUserIds as string[]) : [],
        errcode,
        httpStatus,
      });
      if (httpStatus !== 200) return { status: httpStatus, json: { errcode: httpStatus, errmsg: 'error' } };
      if (errcode === 300001) return { json: { errcode, errmsg: 'session 不存在' } };
      if (errcode !== 0) return { json: { errcode, errmsg: 'error' } };
      return { json: { errcode: 0, errmsg: 'ok' } };
    },
  };

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = await readBody(req);
    const record: FakeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...req.headers },
      body,
      status: 200,
    };
    fake.requests.push(record);
    let status = 200;
    let json: unknown;
    try {
      const handler = handlers[`${record.method} ${url.pathname}`];
      if (!handler) throw new HttpError(404, 'NotFound', `no such API: ${record.method} ${url.pathname}`);
      const out = handler(req, body, url.searchParams);
      status = out.status ?? 200;
      json = out.json;
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, 'InternalError', (err as Error).message);
      status = e.status;
      json = { code: e.code, message: e.message, requestid: randomUUID() };
    }
    record.status = status;
    const text = JSON.stringify(json);
    res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String((err as Error).message));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  let sessionCounter = 0;

  const fake: FakeDingtalk = {
    url: base,
    apiBase: base,
    port,
    appKey,
    appSecret,
    robotCode,
    requests: [],
    tokenRequests: [],
    issuedTokens: [],
    otoMessages: [],
    groupMessages: [],
    webhookMessages: [],
    readStatusRequests: [],
    sessionWebhookUrl: (id) => `${base}/robot/sendBySession?session=${encodeURIComponent(id)}`,
    expireSession(id, errcode = 300001) {
      sessionStates.set(id, { errcode });
    },
    failSessionHttp(id, status) {
      sessionStates.set(id, { httpStatus: status });
    },
    revokeTokens() {
      for (const t of tokens.values()) t.revoked = true;
    },
    failNext(api, error, times = 1) {
      const list = failures.get(api) ?? [];
      list.push({ error, times });
      failures.set(api, list);
    },
    setInvalidStaffId(staffId) {
      invalidStaff.add(staffId);
    },
    setFlowControlledStaffId(staffId) {
      flowControlledStaff.add(staffId);
    },
    markRead(processQueryKey, userId, atMs = Date.now()) {
      const m = reads.get(processQueryKey) ?? new Map<string, number>();
      m.set(userId, atMs);
      reads.set(processQueryKey, m);
    },
    robotMessage(overrides = {}) {
      const session = `s${++sessionCounter}-${randomUUID().slice(0, 8)}`;
      return buildRobotMessage({ robotCode, sessionWebhook: fake.sessionWebhookUrl(session), ...overrides });
    },
    async waitFor(predicate, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`fake DingTalk: condition not met within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    reset() {
      fake.requests.length = 0;
      fake.tokenRequests.length = 0;
      fake.issuedTokens.length = 0;
      fake.otoMessages.length = 0;
      fake.groupMessages.length = 0;
      fake.webhookMessages.length = 0;
      fake.readStatusRequests.length = 0;
      failures.clear();
      sessionStates.clear();
      invalidStaff.clear();
      flowControlledStaff.clear();
      reads.clear();
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
  return fake;
}
