/**
 * A fake DingTalk for tests: a real HTTP server on 127.0.0.1 (free port) that speaks the parts of
 * the new-version OpenAPI (api.dingtalk.com) and of the robot sessionWebhook the bot uses, as
 * described in docs/PROTOCOLS.md §3.2, §3.4 and §5.2, and records everything it receives.
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
 * - Legacy server API (oapi.dingtalk.com, served on the same origin), `?access_token=` with a token
 *   issued by /v1.0/oauth2/accessToken (bad or expired → HTTP 200 {"errcode":40014,…}):
 *   - POST /topapi/v2/department/listsub {dept_id (default 1)} → {errcode:0, errmsg:"ok",
 *     result:[{dept_id, name, parent_id}]}; unknown dept → {"errcode":60003,"errmsg":"部门不存在"}.
 *   - POST /topapi/user/listsimple {dept_id, cursor (≥ 0), size (1..100)} → {errcode:0, result:
 *     {has_more, next_cursor, list:[{userid, name}]}} (direct members, `cursor` = offset).
 *   - POST /topapi/v2/department/get {dept_id} → {errcode:0, result:{dept_id, name, parent_id}}
 *     (the root's name is the directory's `rootName`, default '示例集团').
 *   The directory is set with `setDirectory()` (root dept_id 1 always exists). A department marked
 *   `outOfScope` answers these three calls with {"errcode":50004} (outside the app's contact range;
 *   the real errcode is UNVERIFIED).
 * - POST /v1.0/gateway/connections/open (Stream mode) is relayed to the gateway set with
 *   `setStreamGateway(url)` (a FakeStreamGateway's `gatewayUrl`), so an adapter configured with only
 *   `apiBase = fake.apiBase` and mode 'stream' reaches the fake Stream gateway; unset → 404.
 * - anything else → 404 {"code":"NotFound",…}.
 *
 * Rate limits (protocols.md §3.4, per app and API, UNVERIFIED ≈ 20/s for internal apps): batchSend,
 * groupMessages/send, readStatus, listsub and listsimple each accept at most `qpsLimit` (default 20)
 * calls in any sliding 1000 ms window; a call beyond it is refused and not counted: new API → HTTP 429
 * {"code":"Forbidden.AccessDenied.QpsLimitForApi"}, legacy API → HTTP 200 {"errcode":90018}.
 * `throttleRandomly(p)` refuses any such call with probability p the same way, and
 * `flowControlRandomly(p)` puts each batchSend user into flowControlledStaffIdList with probability p.
 * Every user a batchSend reached is recorded in `deliveries` (duplicates and lost recipients can be
 * counted with `deliveryCounts()` / `duplicateDeliveries()`).
 * API errors use the real error body shape {"code","message","requestid"} (the SDK turns it into a
 * thrown error with `code` and `statusCode`). A missing, unknown, revoked or expired token gives
 * 401 InvalidAuthentication. Bodies are read whole, chunked or not (the SDK sends chunked).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, randomUUID } from 'node:crypto';
import { mulberry32 } from '../helpers/random.ts';

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
  /** Calls per sliding second accepted per rate-limited API (see the file comment); default 20; Infinity = off. */
  qpsLimit?: number;
  /** Seed of the random throttling / flow control / auto-read decisions (default 1), for repeatable runs. */
  seed?: number;
  /**
   * Clock of the rate limits and of `FakeRequest.at`, ms (default Date.now). Pacing tests give the clock the code under
   * test paces by (test/helpers/virtual-clock.ts), so a loaded machine cannot bunch or spread the calls the fake counts.
   */
  now?: () => number;
}

/** One department of the fake directory. The root (id 1) exists without being listed. */
export interface FakeDepartment {
  id: number;
  /** Parent dept_id; 1 for top-level departments. */
  parentId: number;
  name?: string;
  /** listsub / listsimple / department/get of this department answer errcode 50004. */
  outOfScope?: boolean;
}

/** One employee of the fake directory. */
export interface FakeUser {
  userid: string;
  name?: string;
  /** Departments the user is a direct member of (a user may be in several). */
  deptIds: number[];
}

/** The fake address book. */
export interface FakeDirectory {
  departments: FakeDepartment[];
  users: FakeUser[];
  /** Name of the root department (dept_id 1) in department/get; default '示例集团'. */
  rootName?: string;
}

/**
 * A generated directory: `departments` departments in a tree under the root (each one's parent is
 * an earlier department or the root), `users` users 'u00001'… spread over the root and the
 * departments, with every `multiDeptEvery`-th user also in a second department (so "all" must dedup).
 */
export function generateDirectory(options: { users: number; departments?: number; multiDeptEvery?: number }): FakeDirectory {
  const deptCount = options.departments ?? 10;
  const multi = options.multiDeptEvery ?? 7;
  const departments: FakeDepartment[] = [];
  for (let i = 0; i < deptCount; i++) {
    const id = 100 + i;
    const parentId = i < 3 ? 1 : 100 + Math.floor(i / 3) - 1;
    departments.push({ id, parentId, name: `dept${i}` });
  }
  const all = [1, ...departments.map((d) => d.id)];
  const users: FakeUser[] = [];
  for (let i = 0; i < options.users; i++) {
    const main = all[i % all.length]!;
    const deptIds = [main];
    if (multi > 0 && i % multi === 0 && all.length > 1) {
      const other = all[(i + 1) % all.length]!;
      if (other !== main) deptIds.push(other);
    }
    users.push({ userid: `u${String(i + 1).padStart(5, '0')}`, name: `用户${i + 1}`, deptIds });
  }
  return { departments, users };
}

/** One user reached by an accepted batchSend. */
export interface FakeDelivery {
  userId: string;
  processQueryKey: string;
  msgKey: string;
  /** The msgParam string (the same notice version gives the same string). */
  msgParam: string;
  /** ms since the epoch. */
  at: number;
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
  /** The client's TCP port: the same for two requests means the connection was kept alive and reused. */
  remotePort: number;
  /** Arrival time by the fake's clock (FakeDingtalkOptions.now / setClock), ms. */
  at: number;
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
  /** param.content (sampleText) or param.text (sampleMarkdown) when it is a string, else null. */
  content: string | null;
  processQueryKey: string;
  /** Users answered in invalidStaffIdList / flowControlledStaffIdList (they got nothing). */
  invalidStaffIds: string[];
  flowControlledStaffIds: string[];
}

/** The readable text of a robot message template: sampleText `content`, sampleMarkdown `text` (protocols.md §3.4). */
function templateContent(msgKey: string, param: Record<string, unknown>): string | null {
  const v = msgKey === 'sampleMarkdown' ? param.text : param.content;
  return typeof v === 'string' ? v : null;
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
  /** Answer this JSON body instead of the standard {code, message, requestid} (e.g. the IP-ban body). */
  body?: unknown;
}

/** The OpenAPI endpoints errors can be injected into. */
export type FakeApiName = 'accessToken' | 'batchSend' | 'groupSend' | 'readStatus' | 'listsub' | 'listsimple' | 'deptget';

/** The rate-limited APIs (file comment). */
export type FakeLimitedApi = 'batchSend' | 'groupSend' | 'readStatus' | 'listsub' | 'listsimple';

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
  /** Every listsub / listsimple call that passed the token check. */
  directoryRequests: { api: 'listsub' | 'listsimple' | 'deptget'; deptId: number; cursor?: number; size?: number }[];
  /** Every user reached by an accepted batchSend, in order. */
  deliveries: FakeDelivery[];
  /** Calls refused for rate reasons, per API (limit exceeded or random throttling). */
  throttled: Record<FakeLimitedApi, number>;
  /** Absolute sessionWebhook URL for session `id`: `<url>/robot/sendBySession?session=<id>`. */
  sessionWebhookUrl(id: string): string;
  /** From now on session `id` answers `{"errcode":<errcode>,"errmsg":…}` (default 300001 "session 不存在"). */
  expireSession(id: string, errcode?: number): void;
  /** From now on session `id` answers HTTP `status` (e.g. 404, 500) with an error body. */
  failSessionHttp(id: string, status: number): void;
  /** Every token issued so far now answers 401 InvalidAuthentication (as after expiry server-side). */
  revokeTokens(): void;
  /**
   * The next `times` (default 1) calls of `api` answer `error` instead. For the legacy APIs
   * (listsub, listsimple) `{status: 200, code: '<errcode>'}` answers HTTP 200 `{"errcode":<n>,"errmsg":…}`.
   */
  failNext(api: FakeApiName, error: FakeApiError, times?: number): void;
  /** batchSend lists this staffId in invalidStaffIdList (and delivers nothing to it). */
  setInvalidStaffId(staffId: string): void;
  /** batchSend lists this staffId in flowControlledStaffIdList. */
  setFlowControlledStaffId(staffId: string): void;
  /** Mark a batchSend as read by `userId` (readStatus then answers READ). */
  markRead(processQueryKey: string, userId: string, atMs?: number): void;
  /**
   * From now on every user reached by a batchSend reads it with probability `p` (0..1), `afterMs`
   * (default 0) after delivery; readStatus answers READ once that time has passed.
   */
  autoRead(p: number, afterMs?: number): void;
  /** The `sendStatus` readStatus answers (default 'SUCCESS'; the SDK's example spells it 'SUCESS'). */
  setReadSendStatus(status: string): void;
  /** Replaces the directory (root dept 1 always exists). */
  setDirectory(directory: FakeDirectory): void;
  /** Each rate-limited call is refused as throttled with probability `p` (0 = off). */
  throttleRandomly(p: number): void;
  /** Each batchSend user lands in flowControlledStaffIdList with probability `p` (0 = off). */
  flowControlRandomly(p: number): void;
  /** Relays POST /v1.0/gateway/connections/open to this URL (a FakeStreamGateway's `gatewayUrl`); null = off. */
  setStreamGateway(url: string | null): void;
  /** Changes the per-API limit (calls per sliding second; Infinity = off). */
  setQpsLimit(limit: number): void;
  /** Replaces the clock of the rate limits and of `FakeRequest.at` (undefined = Date.now again). */
  setClock(now?: () => number): void;
  /** How many times each user was reached, counted per distinct msgParam ("<userId>\n<msgParam>" → n). */
  deliveryCounts(): Map<string, number>;
  /** Deliveries beyond the first of the same msgParam to the same user. */
  duplicateDeliveries(): number;
  /** Distinct users reached at least once. */
  reachedUsers(): Set<string>;
  /**
   * A robot callback body whose sessionWebhook points at this fake (a fresh session id, expiring
   * in 90 minutes) and whose robotCode is this fake's; see {@link buildRobotMessage}.
   */
  robotMessage(overrides?: Partial<RobotMessageBody>): RobotMessageBody;
  /** Resolves when `predicate()` is true (polled every 10 ms); rejects after `timeoutMs` (default 3000). */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /**
   * Empties the records (requests, tokenRequests, issuedTokens, messages, deliveries, throttle counts)
   * and clears injected errors, session states, staffId settings, read marks, random throttling /
   * flow control / auto-read and the read sendStatus. Issued tokens, the directory and the QPS limit stay.
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
  constructor(readonly status: number, readonly code: string, message: string, readonly body?: unknown) {
    super(message);
  }
}

/** A legacy-API (oapi) refusal: answered HTTP 200 with {errcode, errmsg}. */
class LegacyError extends Error {
  constructor(readonly errcode: number, readonly errmsg: string) {
    super(errmsg);
  }
}

function parseLegacyBody(body: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(body === '' ? '{}' : body);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* fall through */
  }
  throw new LegacyError(40035, '不合法的参数: body is not a JSON object');
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
  let qpsLimit = options.qpsLimit ?? 20;
  let clockNow: () => number = options.now ?? Date.now;
  const callTimes: Record<FakeLimitedApi, number[]> = { batchSend: [], groupSend: [], readStatus: [], listsub: [], listsimple: [] };
  let throttleP = 0;
  let flowP = 0;
  let autoReadP = 0;
  let autoReadAfterMs = 0;
  let readSendStatus = 'SUCCESS';
  let directory: FakeDirectory = { departments: [], users: [] };
  let streamGateway: string | null = null;
  // Seeded so random throttling is repeatable.
  const random = mulberry32(options.seed ?? 1);
  let tokenCounter = 0;
  let keyCounter = 0;

  function injected(api: FakeApiName): void {
    const list = failures.get(api);
    const next = list?.[0];
    if (!next) return;
    next.times--;
    if (next.times <= 0) list!.shift();
    const legacy = api === 'listsub' || api === 'listsimple' || api === 'deptget';
    if (legacy && next.error.status === 200 && /^-?\d+$/.test(next.error.code)) {
      throw new LegacyError(Number(next.error.code), next.error.message ?? next.error.code);
    }
    throw new HttpError(next.error.status, next.error.code, next.error.message ?? next.error.code, next.error.body);
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

  /** Throws the throttling answer when `api` is over its limit (or randomly throttled); else counts the call. */
  function rateLimit(api: FakeLimitedApi, legacy: boolean): void {
    const now = clockNow();
    const times = callTimes[api];
    while (times.length > 0 && times[0]! <= now - 1000) times.shift();
    if (times.length >= qpsLimit || (throttleP > 0 && random() < throttleP)) {
      fake.throttled[api]++;
      if (legacy) throw new LegacyError(90018, '应用调用该接口的频率超过限制');
      throw new HttpError(429, 'Forbidden.AccessDenied.QpsLimitForApi', 'too many requests for this api');
    }
    times.push(now);
  }

  function checkLegacyToken(query: URLSearchParams): void {
    const token = query.get('access_token') ?? '';
    const t = tokens.get(token);
    if (!t || t.revoked || Date.now() >= t.expiresAt) throw new LegacyError(40014, '不合法的access_token');
  }

  function deptExists(id: number): boolean {
    return id === 1 || directory.departments.some((d) => d.id === id);
  }

  function legacyDeptId(o: Record<string, unknown>, fallback?: number): number {
    const v = o.dept_id ?? fallback;
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) throw new LegacyError(40035, '不合法的参数: dept_id');
    if (!deptExists(n)) throw new LegacyError(60003, '部门不存在');
    if (directory.departments.some((d) => d.id === n && d.outOfScope)) throw new LegacyError(50004, '请确认访问的部门id是否在权限范围内');
    return n;
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
      rateLimit('batchSend', false);
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
      const flow = (userIds as string[]).filter(
        (u) => !invalidStaff.has(u) && (flowControlledStaff.has(u) || (flowP > 0 && random() < flowP)),
      );
      const at = Date.now();
      for (const userId of new Set(userIds as string[])) {
        if (invalid.includes(userId) || flow.includes(userId)) continue;
        fake.deliveries.push({ userId, processQueryKey, msgKey, msgParam, at });
        if (autoReadP > 0 && random() < autoReadP) {
          const m = reads.get(processQueryKey) ?? new Map<string, number>();
          m.set(userId, at + autoReadAfterMs);
          reads.set(processQueryKey, m);
        }
      }
      fake.otoMessages.push({
        token,
        robotCode: rc,
        userIds: userIds as string[],
        msgKey,
        msgParam,
        param,
        content: templateContent(msgKey, param),
        processQueryKey,
        invalidStaffIds: invalid,
        flowControlledStaffIds: flow,
      });
      return { json: { processQueryKey, invalidStaffIdList: invalid, flowControlledStaffIdList: flow } };
    },

    'POST /v1.0/robot/groupMessages/send': (req, body) => {
      injected('groupSend');
      const token = checkToken(req);
      rateLimit('groupSend', false);
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
        content: templateContent(msgKey, param),
        processQueryKey,
      });
      return { json: { processQueryKey } };
    },

    'GET /v1.0/robot/oToMessages/readStatus': (req, _body, query) => {
      injected('readStatus');
      checkToken(req);
      rateLimit('readStatus', false);
      const processQueryKey = query.get('processQueryKey') ?? '';
      const rc = query.get('robotCode') ?? '';
      fake.readStatusRequests.push({ processQueryKey, robotCode: rc });
      if (rc !== robotCode) throw new HttpError(400, 'InvalidParameter.robotCode', 'robotCode does not belong to this app');
      const sent = fake.otoMessages.find((m) => m.processQueryKey === processQueryKey);
      if (!sent) throw new HttpError(400, 'InvalidParameter.processQueryKey', 'unknown processQueryKey');
      const readBy = reads.get(processQueryKey) ?? new Map<string, number>();
      const now = Date.now();
      const isRead = (u: string): boolean => readBy.has(u) && readBy.get(u)! <= now;
      return {
        json: {
          sendStatus: readSendStatus,
          messageReadInfoList: [...new Set(sent.userIds)]
            .filter((u) => !sent.invalidStaffIds.includes(u) && !sent.flowControlledStaffIds.includes(u))
            .map((userId) => ({
              name: userId,
              userId,
              readStatus: isRead(userId) ? 'READ' : 'UNREAD',
              readTimestamp: isRead(userId) ? readBy.get(userId)! : 0,
            })),
        },
      };
    },

    'POST /topapi/v2/department/listsub': (_req, body, query) => {
      injected('listsub');
      checkLegacyToken(query);
      const o = parseLegacyBody(body);
      const deptId = legacyDeptId(o, 1);
      fake.directoryRequests.push({ api: 'listsub', deptId });
      rateLimit('listsub', true);
      const result = directory.departments
        .filter((d) => d.parentId === deptId)
        .map((d) => ({ dept_id: d.id, name: d.name ?? `dept${d.id}`, parent_id: d.parentId, create_dept_group: false, auto_add_user: false }));
      return { json: { errcode: 0, errmsg: 'ok', result, request_id: randomUUID() } };
    },

    'POST /topapi/v2/department/get': (_req, body, query) => {
      injected('deptget');
      checkLegacyToken(query);
      const o = parseLegacyBody(body);
      const deptId = legacyDeptId(o);
      fake.directoryRequests.push({ api: 'deptget', deptId });
      const d = directory.departments.find((x) => x.id === deptId);
      const result = deptId === 1 ? { dept_id: 1, name: directory.rootName ?? '示例集团' } : { dept_id: deptId, name: d?.name ?? `dept${deptId}`, parent_id: d?.parentId };
      return { json: { errcode: 0, errmsg: 'ok', result, request_id: randomUUID() } };
    },

    'POST /topapi/user/listsimple': (_req, body, query) => {
      injected('listsimple');
      checkLegacyToken(query);
      const o = parseLegacyBody(body);
      const deptId = legacyDeptId(o);
      const cursor = o.cursor ?? 0;
      const size = o.size;
      if (typeof cursor !== 'number' || !Number.isSafeInteger(cursor) || cursor < 0) throw new LegacyError(40035, '不合法的参数: cursor');
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1 || size > 100) throw new LegacyError(40035, '不合法的参数: size');
      fake.directoryRequests.push({ api: 'listsimple', deptId, cursor, size });
      rateLimit('listsimple', true);
      const members = directory.users.filter((u) => u.deptIds.includes(deptId));
      const page = members.slice(cursor, cursor + size);
      const hasMore = cursor + size < members.length;
      const result: Record<string, unknown> = {
        has_more: hasMore,
        list: page.map((u) => ({ userid: u.userid, name: u.name ?? u.userid })),
      };
      if (hasMore) result.next_cursor = cursor + size;
      return { json: { errcode: 0, errmsg: 'ok', result, request_id: randomUUID() } };
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
      remotePort: req.socket.remotePort ?? 0,
      at: clockNow(),
    };
    fake.requests.push(record);
    if (record.method === 'POST' && url.pathname === '/v1.0/gateway/connections/open' && streamGateway) {
      const relayed = await fetch(streamGateway, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: String(req.headers.accept ?? '') },
        body,
      });
      const text = await relayed.text();
      record.status = relayed.status;
      res.writeHead(relayed.status, { 'content-type': relayed.headers.get('content-type') ?? 'application/json' });
      res.end(text);
      return;
    }
    let status = 200;
    let json: unknown;
    try {
      const handler = handlers[`${record.method} ${url.pathname}`];
      if (!handler) throw new HttpError(404, 'NotFound', `no such API: ${record.method} ${url.pathname}`);
      const out = handler(req, body, url.searchParams);
      status = out.status ?? 200;
      json = out.json;
    } catch (err) {
      if (err instanceof LegacyError) {
        status = 200;
        json = { errcode: err.errcode, errmsg: err.errmsg, request_id: randomUUID() };
      } else {
        const e = err instanceof HttpError ? err : new HttpError(500, 'InternalError', (err as Error).message);
        status = e.status;
        json = e.body ?? { code: e.code, message: e.message, requestid: randomUUID() };
      }
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
    directoryRequests: [],
    deliveries: [],
    throttled: { batchSend: 0, groupSend: 0, readStatus: 0, listsub: 0, listsimple: 0 },
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
    autoRead(p, afterMs = 0) {
      autoReadP = p;
      autoReadAfterMs = afterMs;
    },
    setReadSendStatus(status) {
      readSendStatus = status;
    },
    setDirectory(d) {
      directory = { departments: [...d.departments], users: [...d.users], ...(d.rootName !== undefined ? { rootName: d.rootName } : {}) };
    },
    throttleRandomly(p) {
      throttleP = p;
    },
    flowControlRandomly(p) {
      flowP = p;
    },
    setQpsLimit(limit) {
      qpsLimit = limit;
    },
    setClock(now) {
      clockNow = now ?? options.now ?? Date.now;
    },
    setStreamGateway(url) {
      streamGateway = url;
    },
    deliveryCounts() {
      const counts = new Map<string, number>();
      for (const d of fake.deliveries) {
        const k = `${d.userId}\n${d.msgParam}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      return counts;
    },
    duplicateDeliveries() {
      let n = 0;
      for (const c of fake.deliveryCounts().values()) n += c - 1;
      return n;
    },
    reachedUsers() {
      return new Set(fake.deliveries.map((d) => d.userId));
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
      fake.directoryRequests.length = 0;
      fake.deliveries.length = 0;
      for (const k of Object.keys(fake.throttled) as FakeLimitedApi[]) {
        fake.throttled[k] = 0;
        callTimes[k].length = 0;
      }
      throttleP = 0;
      flowP = 0;
      autoReadP = 0;
      autoReadAfterMs = 0;
      readSendStatus = 'SUCCESS';
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
