/**
 * A fake WeCom server API (qyapi.weixin.qq.com) for tests and benches, plus builders of signed,
 * encrypted callbacks. It follows shared/protocols.md §1.6 and §2.1–2.3 (gettoken, message/send,
 * directory, msgaudit, error codes) and records everything it receives. Real HTTP on 127.0.0.1,
 * port chosen by the OS.
 *
 * Usage:
 *   const fake = await startFakeWecom({ corpId: 'wwcorp', secret: 's3cret', archiveSecret: 'arch' });
 *   // point WecomConfig.apiBase at fake.url
 *   fake.failNext(42001);            // the next token-authenticated API call answers 42001
 *   fake.setDirectory([{ userid: 'zhangsan', department: [2] }], [{ id: 2, parentid: 1 }]);
 *   fake.enforceRateLimits();        // 10,000 calls/min per API -> 45009; > 30/min per member dropped
 *   fake.throttleRandomly(0.1);      // 10 % of API calls answer 45009
 *   fake.sent / fake.deliveries      // accepted message/send bodies / one row per delivered recipient
 *   await fake.close();
 *
 * Routes (every token-authenticated one: missing/unknown token 40014, expired 42001):
 * - GET  /cgi-bin/gettoken?corpid&corpsecret -> {access_token, expires_in}; wrong corpid 40013, a
 *   secret that is neither the app's nor the archive's 40001. Tokens remember which secret made them.
 * - POST /cgi-bin/message/send (app token; an archive token gets 48002) -> checks, in order: JSON body
 *   (47001), agentid (40056), touser (non-empty, ≤ 1000 ids, else 40058), msgtype text | textcard |
 *   template_card (else 40008) and its fields: text.content (empty 44004, > 2048 UTF-8 bytes 40058);
 *   textcard title ≤ 128 / description ≤ 512 bytes, url required (40058); template_card card_type,
 *   main_title.title or sub_title_text, task_id (required for *_interaction cards, ≤ 128 bytes of
 *   [0-9A-Za-z_-@], 40058; already used by an accepted card -> 40058 'task_id repeated' — the real
 *   errcode is UNVERIFIED), button_interaction button_list 1–6 buttons with text and a key ≤ 1024 bytes.
 *   With `enable_duplicate_check: 1`, the same JSON again within `duplicate_check_interval` (s,
 *   default 1800, max 14400) answers the first answer again (ok, same msgid and invalid lists; an
 *   assumption — the real answer is UNVERIFIED) and delivers nothing (`duplicatesSuppressed`).
 *   Recipients: unknown ids (when `users` or a directory is set; compared case-insensitively) come
 *   back lower-cased in `invaliduser`, unlicensed ones in `unlicenseduser`; all unknown -> 81013.
 *   With rate limits on, a member past 30 messages/min or 1000/h is dropped silently (`dropped`).
 * - POST /cgi-bin/user/list_id {cursor?, limit 1–10000} -> {next_cursor, dept_user:[{userid, department}]}
 *   (one row per member and department; empty next_cursor on the last page). `denyListId()` makes it
 *   answer 48002 as for an app secret (the doc allows only the contacts-sync secret).
 * - GET  /cgi-bin/department/simplelist[?id] -> {department_id:[{id, parentid, order}]}: the department
 *   and all below it, or every department; unknown id 60123.
 * - GET  /cgi-bin/department/list[?id] -> {department:[{id, name, name_en, department_leader, parentid,
 *   order}]} (developer.work.weixin.qq.com/document/path/90208): as simplelist, with names;
 *   `denyDepartmentList(errcode)` makes it answer that errcode.
 * - GET  /cgi-bin/user/simplelist?department_id[&fetch_child=1] -> {userlist:[{userid, name, department}]}
 *   (direct members; with fetch_child also those below); unknown department 60123, a department
 *   marked `denied` 60011.
 * - POST /cgi-bin/msgaudit/get_permit_user_list {type?} (archive token only, else 48002) -> {ids};
 *   type 1/2/3 or absent (all editions); anything else 40058.
 * - POST /cgi-bin/msgaudit/check_single_agree {info:[{userid, exteranalopenid}]} (archive token only)
 *   -> {agreeinfo:[{userid, exteranalopenid, agree_status, status_change_time}]}; 0 or > 100 items,
 *   or an item without exactly those two fields (e.g. the correct spelling 'externalopenid') -> 40058.
 *   A contact of that member without a set answer is 'Default_Agree'; pairs that are not the
 *   member's contacts are left out.
 * - GET  /cgi-bin/externalcontact/list?userid (app token) -> {external_userid:[…]}; none -> 84061.
 * - anything else -> HTTP 404 (and is recorded).
 * With rate limits on, every token-authenticated path allows 10,000 calls in any 60 s (sliding)
 * per corp; beyond -> 45009. Rate limits are off by default (benches of the bot's own throughput
 * must not be throttled); `enforceRateLimits()` or the `rateLimits` option turns them on.
 *
 * Extending: `fake.route(method, path, handler)` adds or replaces a route; a handler gets the parsed
 * request and returns the JSON answer, and can call `fake.checkToken(req)` for the standard
 * access_token check. Injected failures (`failNext`, `throttleRandomly`) apply to every
 * token-authenticated route.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomInt } from 'node:crypto';
import { encrypt as wecomEncrypt, getSignature } from '@wecom/crypto';
import { mulberry32 } from '../helpers/random.ts';

/** A member of the fake directory. */
export interface FakeMember {
  userid: string;
  /** Display name (default: the userid). */
  name?: string;
  /** Department ids (default [1]). */
  department?: number[];
}

/** A department of the fake directory (1 is the root and always exists). */
export interface FakeDepartment {
  id: number;
  parentid: number;
  /** Display name for department/list (default '部门<id>'; the root is '<corp>总部' unless set). */
  name?: string;
  /** English name for department/list's `name_en` (default ''). */
  nameEn?: string;
  /** `order` among siblings (larger first in WeCom; default 100000000 - id). */
  order?: number;
  /** user/simplelist of this department answers 60011 (no privilege). */
  denied?: boolean;
}

/** A small company for directory tests (names made up): 1 root; 5 销售部 (order 200) and 2 研发中心 (order 100) and 6 法务部 (refused); 3 后端组 and 4 前端组 under 2. */
export const WECOM_ORG_DEPARTMENTS: FakeDepartment[] = [
  { id: 1, parentid: 0, name: '示例科技有限公司' },
  { id: 2, parentid: 1, name: '研发中心', order: 100 },
  { id: 3, parentid: 2, name: '后端组', order: 20 },
  { id: 4, parentid: 2, name: '前端组', order: 10 },
  { id: 5, parentid: 1, name: '销售部', nameEn: 'Sales', order: 200 },
  { id: 6, parentid: 1, name: '法务部', order: 50, denied: true },
];
export const WECOM_ORG_MEMBERS: FakeMember[] = [
  { userid: 'boss', name: '老板', department: [1] },
  { userid: 'zhaoliu', name: '赵六', department: [5] },
  { userid: 'Alice', name: 'Alice Chen', department: [5] },
  { userid: 'ZhangSan', name: '张三', department: [3] },
  { userid: 'lisi', name: '李四', department: [3, 4] },
  { userid: 'wangwu', name: '王五', department: [4] },
  { userid: 'qianqi', name: '钱七', department: [6] },
];

/** Documented limits the fake enforces when rate limits are on (defaults from protocols.md §1.6). */
export interface FakeRateLimits {
  /** Calls per API path in any 60 s, per corp (10,000). */
  apiPerMinute: number;
  /** Messages one member may receive per 60 s (30); beyond: dropped silently. */
  memberPerMinute: number;
  /** … per 3600 s (1000). */
  memberPerHour: number;
}

export interface FakeWecomOptions {
  /** CorpID gettoken accepts (default 'wwfakecorp0000001'). */
  corpId?: string;
  /** App secret gettoken accepts (default 'fake-secret'). */
  secret?: string;
  /** Archive (会话内容存档) secret gettoken accepts; its tokens are the only ones msgaudit/* takes. Default none. */
  archiveSecret?: string;
  /** agentid message/send accepts (default 1000002). */
  agentId?: number;
  /** expires_in of issued tokens, seconds (default 7200). */
  tokenTtlSeconds?: number;
  /** Known UserIDs; when set (or a directory is), message/send reports others as invalid. Default: every id is valid. */
  users?: string[];
  /** The member directory (see setDirectory). */
  directory?: FakeMember[];
  departments?: FakeDepartment[];
  /** true = the documented limits; an object = own numbers (tests). Default off. */
  rateLimits?: boolean | Partial<FakeRateLimits>;
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
  template_card?: { card_type: string; task_id?: string; [field: string]: unknown };
  textcard?: { title: string; description: string; url: string; btntxt?: string };
  [field: string]: unknown;
}

/** One message that reached one member. */
export interface Delivery {
  /** The UserID as written in touser. */
  userId: string;
  msgtype: string;
  /** template_card task_id, else null. */
  taskId: string | null;
  /** text content / textcard title+description / card main title + sub title. */
  content: string;
  msgid: string;
  /** ms since the epoch. */
  at: number;
}

export type FakeRouteHandler = (req: FakeRequest) => FakeAnswer | Promise<FakeAnswer>;

export interface FakeWecom {
  /** Base URL, e.g. 'http://127.0.0.1:53211' (use as WecomConfig.apiBase). */
  readonly url: string;
  readonly corpId: string;
  readonly secret: string;
  readonly archiveSecret: string | undefined;
  readonly agentId: number;
  /** Every request received, in order (including refused ones), recorded once answered. */
  readonly requests: RecordedRequest[];
  /** Every request as it arrives, before any {@link FakeWecom.delayNext} hold: path and time (ms epoch). */
  readonly arrivals: { path: string; at: number }[];
  /** Accepted message/send bodies, in order (duplicates suppressed by the duplicate check are not here). */
  readonly sent: SentMessage[];
  /** One row per (accepted message, recipient that got it), in order. */
  readonly deliveries: Delivery[];
  /** Recipients dropped silently by the per-member limit. */
  readonly dropped: { userId: string; msgid: string; at: number }[];
  /** message/send calls answered ok without delivery because of enable_duplicate_check. */
  readonly duplicatesSuppressed: number;
  /** How many gettoken requests arrived (successful or not). */
  readonly tokenRequests: number;
  /** Tokens issued so far, in order. */
  readonly tokens: string[];
  /**
   * The next `times` calls answer `{errcode, errmsg}` instead of running the route.
   * @param options.path restrict to one path; default: every token-authenticated route (all but
   *   /cgi-bin/gettoken). Injected 40014/42001 also expire the presented token, as real expiry would.
   * @param options.errmsg default: a realistic message (60020 includes 'from ip: 203.0.113.7').
   * @param options.after let this many matching calls through first (e.g. fail only a batch's 2nd message).
   */
  failNext(errcode: number, times?: number, options?: { path?: string; errmsg?: string; after?: number }): void;
  /** The next `times` requests (any path) wait `ms` before being handled (timeouts). */
  delayNext(ms: number, times?: number): void;
  /**
   * The next `times` requests (any path) are held, unanswered, until the returned function is
   * called — for tests that need work in flight for as long as they choose, not for a duration.
   */
  holdNext(times?: number): () => void;
  /** Every token issued so far is expired (calls with them get 42001). */
  expireTokens(): void;
  /** Standard access_token check for custom routes: an error answer, or null when the token is valid.
   * @param kind also require the token to come from this secret (else 48002) */
  checkToken(req: FakeRequest, kind?: 'app' | 'archive'): FakeAnswer | null;
  /** Adds or replaces a route. */
  route(method: 'GET' | 'POST', path: string, handler: FakeRouteHandler): void;
  /** Replaces the member directory and (optionally) the department tree. */
  setDirectory(members: FakeMember[], departments?: FakeDepartment[]): void;
  /** No directory any more: every id is valid again for message/send (unless `users` is set). */
  clearDirectory(): void;
  /** user/list_id answers `errcode` (default 48002) from now on; null = allowed again. */
  denyListId(errcode?: number | null): void;
  /** department/list answers `errcode` (default 48002) from now on; null = allowed again. */
  denyDepartmentList(errcode?: number | null): void;
  /** These members are in the directory but unlicensed (message/send lists them in unlicenseduser). */
  setUnlicensed(userIds: string[]): void;
  /** Turns the documented limits on (or own numbers); `false` turns them off. */
  enforceRateLimits(limits?: boolean | Partial<FakeRateLimits>): void;
  /** Each token-authenticated call answers 45009 with this probability (0 = off). `seed` makes it repeatable. */
  throttleRandomly(probability: number, seed?: number): void;
  /** The members on the get_permit_user_list of one edition (1 办公版, 2 服务版, 3 企业版). */
  setPermitList(type: 1 | 2 | 3, userIds: string[]): void;
  /** One member's external contacts (externalcontact/list). */
  setExternalContacts(userId: string, externalIds: string[]): void;
  /** One contact's consent answer (default Default_Agree); `at` in unix seconds. */
  setAgreement(userId: string, externalId: string, status: string, at?: number): void;
  /** Forgets recorded requests, messages, deliveries, counters, rate windows, duplicate-check memory,
   * used task_ids and injected failures (tokens, directory, lists and consent stay). */
  reset(): void;
  close(): Promise<void>;
}

/** The IP the fake's default 60020 errmsg names. */
export const FAKE_WECOM_CALLER_IP = '203.0.113.7';

/** The documented limits (protocols.md §1.6). */
export const FAKE_WECOM_RATE_LIMITS: FakeRateLimits = { apiPerMinute: 10_000, memberPerMinute: 30, memberPerHour: 1000 };

const DEFAULT_ERRMSG: Record<number, string> = {
  [-1]: 'system busy',
  40001: 'invalid credential',
  40013: 'invalid corpid',
  40014: 'invalid access_token',
  42001: 'access_token expired',
  45009: 'api freq out of limit',
  45033: 'api concurrent out of limit',
  48002: 'api forbidden',
  60011: 'no privilege to access/modify contact/party/agent',
  60020: `not allow to access from your ip, hint: [1700000000_1_abc], from ip: ${FAKE_WECOM_CALLER_IP}, more info at https://open.work.weixin.qq.com/devtool/query?e=60020`,
  60123: 'invalid party id',
  84061: 'not exist external contact',
};

// protocols.md §1.6 / §2.3; kept independent of adapters/wecom/limits.ts on purpose
const TEXT_MAX_BYTES = 2048;
const TOUSER_MAX = 1000;
const LIST_ID_MAX = 10_000;
const CHECK_AGREE_MAX = 100;
const TASK_ID_RE = /^[0-9A-Za-z_\-@]{1,128}$/;

/** JSON with object keys sorted, so equal bodies compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}


/** Starts the fake on 127.0.0.1 (random port). */
export async function startFakeWecom(options: FakeWecomOptions = {}): Promise<FakeWecom> {
  const corpId = options.corpId ?? 'wwfakecorp0000001';
  const secret = options.secret ?? 'fake-secret';
  const archiveSecret = options.archiveSecret;
  const agentId = options.agentId ?? 1000002;
  const ttlS = options.tokenTtlSeconds ?? 7200;
  const users = options.users ? new Set(options.users.map((u) => u.toLowerCase())) : null;

  const requests: RecordedRequest[] = [];
  const sent: SentMessage[] = [];
  const deliveries: Delivery[] = [];
  const dropped: { userId: string; msgid: string; at: number }[] = [];
  const tokens: string[] = [];
  const tokenExpiry = new Map<string, number>();
  const tokenKind = new Map<string, 'app' | 'archive'>();
  let tokenRequests = 0;
  let msgCounter = 0;
  let duplicatesSuppressed = 0;
  let failures: { errcode: number; errmsg: string; path: string | undefined; left: number; skip: number }[] = [];
  let delays: { ms: number; left: number }[] = [];
  const arrivals: { path: string; at: number }[] = [];
  let holds: { left: number; released: Promise<void> }[] = [];
  const routes = new Map<string, FakeRouteHandler>();

  // Directory: members by lower-cased id, departments id -> parent.
  let members = new Map<string, { userid: string; name: string; department: number[] }>();
  let departments = new Map<number, number>([[1, 0]]);
  let departmentInfo = new Map<number, FakeDepartment>();
  let departmentListErrcode: number | null = null;
  let directorySet = false;
  let listIdErrcode: number | null = null;
  let unlicensed = new Set<string>();
  // Rate limits and throttling.
  let limits: FakeRateLimits | null = null;
  const apiCalls = new Map<string, number[]>();
  const memberMessages = new Map<string, number[]>();
  let throttle = { probability: 0, random: Math.random };
  // message/send memory.
  const duplicateMemory = new Map<string, { answer: FakeAnswer; until: number }>();
  const usedTaskIds = new Set<string>();
  // msgaudit.
  const permit = new Map<number, string[]>([[1, []], [2, []], [3, []]]);
  const contacts = new Map<string, string[]>();
  const agreements = new Map<string, { status: string; at: number }>();

  const err = (errcode: number, errmsg = DEFAULT_ERRMSG[errcode] ?? `error ${errcode}`): FakeAnswer => ({ errcode, errmsg });

  function setDirectory(list: FakeMember[], depts: FakeDepartment[] = []): void {
    members = new Map();
    departments = new Map([[1, 0]]);
    departmentInfo = new Map();
    for (const d of depts) {
      departments.set(d.id, d.parentid);
      departmentInfo.set(d.id, d);
    }
    for (const m of list) {
      const department = m.department && m.department.length > 0 ? [...m.department] : [1];
      for (const d of department) if (!departments.has(d)) departments.set(d, 1);
      members.set(m.userid.toLowerCase(), { userid: m.userid, name: m.name ?? m.userid, department });
    }
    directorySet = true;
  }
  if (options.directory || options.departments) setDirectory(options.directory ?? [], options.departments ?? []);

  function enforceRateLimits(l: boolean | Partial<FakeRateLimits> = true): void {
    limits = l === false ? null : { ...FAKE_WECOM_RATE_LIMITS, ...(l === true ? {} : l) };
  }
  if (options.rateLimits) enforceRateLimits(options.rateLimits);

  function checkToken(req: FakeRequest, kind?: 'app' | 'archive'): FakeAnswer | null {
    const token = req.query['access_token'];
    const expiresAt = token === undefined ? undefined : tokenExpiry.get(token);
    if (expiresAt === undefined) return err(40014);
    if (Date.now() >= expiresAt) return err(42001);
    if (kind !== undefined && tokenKind.get(token!) !== kind) return err(48002);
    return null;
  }

  /** Departments at and below `id`. */
  function subtree(id: number): number[] {
    const out = [id];
    for (let i = 0; i < out.length; i++) {
      for (const [child, parent] of departments) if (parent === out[i] && !out.includes(child)) out.push(child);
    }
    return out;
  }

  /** Keeps the timestamps of the last `windowMs` and returns how many remain. */
  function recent(list: number[], now: number, windowMs: number): number {
    while (list.length > 0 && list[0]! <= now - windowMs) list.shift();
    return list.length;
  }

  routes.set('GET /cgi-bin/gettoken', (req) => {
    tokenRequests++;
    if (req.query['corpid'] !== corpId) return err(40013);
    const kind = req.query['corpsecret'] === secret ? 'app' : archiveSecret !== undefined && req.query['corpsecret'] === archiveSecret ? 'archive' : null;
    if (kind === null) return err(40001);
    const token = `FAKE-${tokens.length + 1}-${randomBytes(12).toString('hex')}`;
    tokens.push(token);
    tokenExpiry.set(token, Date.now() + ttlS * 1000);
    tokenKind.set(token, kind);
    return { errcode: 0, errmsg: 'ok', access_token: token, expires_in: ttlS };
  });

  /** Field checks of the message types the fake knows; null = fine. */
  function checkPayload(body: Partial<SentMessage>): FakeAnswer | null {
    if (body.msgtype === 'text') {
      const content = body.text?.content;
      if (typeof content !== 'string' || content === '') return err(44004, 'empty content');
      const bytes = Buffer.byteLength(content, 'utf8');
      if (bytes > TEXT_MAX_BYTES) return err(40058, `text.content exceed max length ${TEXT_MAX_BYTES}, got ${bytes} bytes`);
      return null;
    }
    if (body.msgtype === 'textcard') {
      const c = body.textcard;
      if (!c || typeof c.title !== 'string' || typeof c.description !== 'string' || typeof c.url !== 'string' || c.url === '') return err(40058, 'textcard needs title, description and url');
      if (Buffer.byteLength(c.title, 'utf8') > 128) return err(40058, 'textcard.title exceed max length 128');
      if (Buffer.byteLength(c.description, 'utf8') > 512) return err(40058, 'textcard.description exceed max length 512');
      return null;
    }
    if (body.msgtype === 'template_card') {
      const c = body.template_card as Record<string, unknown> | undefined;
      if (!c || typeof c['card_type'] !== 'string') return err(40058, 'template_card.card_type missing');
      const main = c['main_title'] as { title?: unknown } | undefined;
      if (!(typeof main?.title === 'string' && main.title !== '') && !(typeof c['sub_title_text'] === 'string' && c['sub_title_text'] !== '')) {
        return err(40058, 'template_card needs main_title.title or sub_title_text');
      }
      const interactive = String(c['card_type']).endsWith('_interaction');
      const taskId = c['task_id'];
      if (taskId !== undefined || interactive) {
        if (typeof taskId !== 'string' || !TASK_ID_RE.test(taskId)) return err(40058, 'template_card.task_id invalid (1-128 bytes of [0-9A-Za-z_-@])');
        if (usedTaskIds.has(taskId)) return err(40058, 'template_card.task_id repeated');
      }
      if (c['card_type'] === 'button_interaction') {
        const buttons = c['button_list'];
        if (!Array.isArray(buttons) || buttons.length === 0 || buttons.length > 6) return err(40058, 'button_list needs 1-6 buttons');
        for (const b of buttons as Record<string, unknown>[]) {
          if (typeof b?.['text'] !== 'string' || b['text'] === '') return err(40058, 'button text missing');
          if ((b['type'] ?? 0) === 0 && (typeof b['key'] !== 'string' || b['key'] === '' || Buffer.byteLength(b['key'], 'utf8') > 1024)) {
            return err(40058, 'button key missing or over 1024 bytes');
          }
        }
      }
      return null;
    }
    return err(40008, `fake supports msgtype text, textcard and template_card, got ${String(body.msgtype)}`);
  }

  function contentOf(body: SentMessage): string {
    if (body.msgtype === 'text') return body.text!.content;
    if (body.msgtype === 'textcard') return `${body.textcard!.title}\n${body.textcard!.description}`;
    const c = body.template_card as Record<string, unknown>;
    return `${(c['main_title'] as { title?: string } | undefined)?.title ?? ''}\n${String(c['sub_title_text'] ?? '')}`;
  }

  routes.set('POST /cgi-bin/message/send', (req) => {
    const denied = checkToken(req, archiveSecret === undefined ? undefined : 'app');
    if (denied) return denied;
    const body = req.json as Partial<SentMessage> | undefined;
    if (body === undefined || body === null || typeof body !== 'object') return err(47001, 'data format error');
    if (body.agentid !== agentId) return err(40056, `invalid agentid ${String(body.agentid)}`);
    const ids = typeof body.touser === 'string' && body.touser !== '' ? body.touser.split('|') : [];
    if (ids.length === 0) return err(40058, 'touser is empty');
    if (ids.length > TOUSER_MAX) return err(40058, `touser exceed max ${TOUSER_MAX}`);
    const now = Date.now();
    // The duplicate check comes first: the same accepted JSON again is answered ok, not re-validated
    // (so a repeated card is not refused for its task_id).
    const dedupKey = body['enable_duplicate_check'] === 1 ? canonical(body) : null;
    if (dedupKey !== null) {
      const seen = duplicateMemory.get(dedupKey);
      if (seen && seen.until > now) {
        duplicatesSuppressed++;
        return { ...seen.answer };
      }
    }
    const bad = checkPayload(body);
    if (bad) return bad;
    const known = users || directorySet ? (id: string) => users?.has(id.toLowerCase()) === true || members.has(id.toLowerCase()) : () => true;
    const invalid = ids.filter((id) => !known(id));
    if (invalid.length === ids.length) return err(81013, 'user & party & tag all invalid');
    const unlic = ids.filter((id) => known(id) && unlicensed.has(id.toLowerCase()));
    msgCounter++;
    const msgid = `fake-msg-${msgCounter}`;
    const message = body as SentMessage;
    sent.push(message);
    const taskId = message.msgtype === 'template_card' && typeof message.template_card?.task_id === 'string' ? message.template_card.task_id : null;
    if (taskId !== null) usedTaskIds.add(taskId);
    const content = contentOf(message);
    const got = new Set<string>();
    for (const id of ids) {
      const lower = id.toLowerCase();
      if (!known(id) || unlicensed.has(lower) || got.has(lower)) continue;
      got.add(lower);
      if (limits) {
        const list = memberMessages.get(lower) ?? [];
        memberMessages.set(lower, list);
        const lastHour = recent(list, now, 3_600_000);
        const lastMinute = list.filter((t) => t > now - 60_000).length;
        if (lastMinute >= limits.memberPerMinute || lastHour >= limits.memberPerHour) {
          dropped.push({ userId: id, msgid, at: now });
          continue;
        }
        list.push(now);
      }
      deliveries.push({ userId: id, msgtype: message.msgtype, taskId, content, msgid, at: now });
    }
    const answer: FakeAnswer = {
      errcode: 0,
      errmsg: 'ok',
      invaliduser: invalid.map((u) => u.toLowerCase()).join('|'),
      invalidparty: '',
      invalidtag: '',
      unlicenseduser: unlic.map((u) => u.toLowerCase()).join('|'),
      msgid,
    };
    if (dedupKey !== null) {
      const interval = Math.min(Number(body['duplicate_check_interval'] ?? 1800) || 1800, 14_400);
      duplicateMemory.set(dedupKey, { answer, until: now + interval * 1000 });
    }
    return answer;
  });

  routes.set('POST /cgi-bin/user/list_id', (req) => {
    const denied = checkToken(req);
    if (denied) return denied;
    if (listIdErrcode !== null) return err(listIdErrcode);
    const body = (req.json ?? {}) as { cursor?: unknown; limit?: unknown };
    const limit = body.limit === undefined ? LIST_ID_MAX : Number(body.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > LIST_ID_MAX) return err(40058, `limit must be 1-${LIST_ID_MAX}`);
    let offset = 0;
    if (body.cursor !== undefined && body.cursor !== '') {
      const decoded = /^c(\d+)$/.exec(Buffer.from(String(body.cursor), 'base64url').toString('utf8'));
      if (!decoded) return err(40058, 'invalid cursor');
      offset = Number(decoded[1]);
    }
    const rows = [...members.values()].flatMap((m) => m.department.map((d) => ({ userid: m.userid, department: d })));
    const page = rows.slice(offset, offset + limit);
    const next = offset + limit < rows.length ? Buffer.from(`c${offset + limit}`).toString('base64url') : '';
    return { errcode: 0, errmsg: 'ok', next_cursor: next, dept_user: page };
  });

  routes.set('GET /cgi-bin/department/simplelist', (req) => {
    const denied = checkToken(req);
    if (denied) return denied;
    const idText = req.query['id'];
    let ids: number[];
    if (idText === undefined || idText === '') ids = [...departments.keys()];
    else {
      const id = Number(idText);
      if (!departments.has(id)) return err(60123);
      ids = subtree(id);
    }
    return { errcode: 0, errmsg: 'ok', department_id: ids.map((id) => ({ id, parentid: departments.get(id) ?? 0, order: departmentInfo.get(id)?.order ?? 100_000_000 - id })) };
  });

  routes.set('GET /cgi-bin/department/list', (req) => {
    const denied = checkToken(req);
    if (denied) return denied;
    if (departmentListErrcode !== null) return err(departmentListErrcode);
    const idText = req.query['id'];
    let ids: number[];
    if (idText === undefined || idText === '') ids = [...departments.keys()];
    else {
      const id = Number(idText);
      if (!departments.has(id)) return err(60123);
      ids = subtree(id);
    }
    const department = ids.map((id) => {
      const info = departmentInfo.get(id);
      return {
        id,
        name: info?.name ?? (id === 1 ? `${corpId}总部` : `部门${id}`),
        name_en: info?.nameEn ?? '',
        department_leader: [],
        parentid: departments.get(id) ?? 0,
        order: info?.order ?? 100_000_000 - id,
      };
    });
    return { errcode: 0, errmsg: 'ok', department };
  });

  routes.set('GET /cgi-bin/user/simplelist', (req) => {
    const denied = checkToken(req);
    if (denied) return denied;
    const id = Number(req.query['department_id']);
    if (!departments.has(id)) return err(60123);
    if (departmentInfo.get(id)?.denied) return err(60011);
    const scope = new Set(req.query['fetch_child'] === '1' ? subtree(id) : [id]);
    const userlist = [...members.values()].filter((m) => m.department.some((d) => scope.has(d))).map((m) => ({ userid: m.userid, name: m.name, department: m.department }));
    return { errcode: 0, errmsg: 'ok', userlist };
  });

  routes.set('POST /cgi-bin/msgaudit/get_permit_user_list', (req) => {
    const denied = checkToken(req, 'archive');
    if (denied) return denied;
    const type = (req.json as { type?: unknown } | undefined)?.type;
    if (type === undefined) return { errcode: 0, errmsg: 'ok', ids: [...new Set([...permit.values()].flat())] };
    if (type !== 1 && type !== 2 && type !== 3) return err(40058, 'invalid type');
    return { errcode: 0, errmsg: 'ok', ids: [...permit.get(type)!] };
  });

  routes.set('POST /cgi-bin/msgaudit/check_single_agree', (req) => {
    const denied = checkToken(req, 'archive');
    if (denied) return denied;
    const info = (req.json as { info?: unknown } | undefined)?.info;
    if (!Array.isArray(info) || info.length === 0) return err(40058, 'info is empty');
    if (info.length > CHECK_AGREE_MAX) return err(40058, `info exceed max ${CHECK_AGREE_MAX}`);
    const agreeinfo: Record<string, unknown>[] = [];
    for (const item of info as Record<string, unknown>[]) {
      const keys = item && typeof item === 'object' ? Object.keys(item).sort().join(',') : '';
      if (keys !== 'exteranalopenid,userid' || typeof item['userid'] !== 'string' || typeof item['exteranalopenid'] !== 'string') {
        return err(40058, 'each info item needs exactly userid and exteranalopenid');
      }
      const user = item['userid'].toLowerCase();
      const ext = item['exteranalopenid'];
      if (!(contacts.get(user) ?? []).includes(ext)) continue;
      const a = agreements.get(`${user}\u0000${ext}`);
      agreeinfo.push({ status_change_time: a?.at ?? 0, userid: item['userid'], exteranalopenid: ext, agree_status: a?.status ?? 'Default_Agree' });
    }
    return { errcode: 0, errmsg: 'ok', agreeinfo };
  });

  routes.set('GET /cgi-bin/externalcontact/list', (req) => {
    const denied = checkToken(req, archiveSecret === undefined ? undefined : 'app');
    if (denied) return denied;
    const list = contacts.get(String(req.query['userid'] ?? '').toLowerCase()) ?? [];
    if (list.length === 0) return err(84061);
    return { errcode: 0, errmsg: 'ok', external_userid: [...list] };
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
    arrivals.push({ path: request.path, at: Date.now() });
    const hold = holds.find((h) => h.left > 0);
    if (hold) {
      hold.left--;
      await hold.released;
    }
    const delay = delays.find((d) => d.left > 0);
    if (delay) {
      delay.left--;
      await new Promise((r) => setTimeout(r, delay.ms));
    }
    const route = routes.get(`${request.method} ${request.path}`);
    const authenticated = request.path !== '/cgi-bin/gettoken';
    let answer: FakeAnswer;
    if (!route) {
      answer = err(404, 'no such route in the fake');
      res.statusCode = 404;
    } else {
      let failure = failures.find((f) => f.left > 0 && (f.path === undefined ? authenticated : f.path === request.path));
      if (failure && failure.skip > 0) {
        failure.skip--;
        failure = undefined;
      }
      const now = Date.now();
      if (failure) {
        failure.left--;
        answer = err(failure.errcode, failure.errmsg);
        const token = request.query['access_token'];
        if ((failure.errcode === 42001 || failure.errcode === 40014) && token !== undefined && tokenExpiry.has(token)) {
          tokenExpiry.set(token, 0);
        }
      } else if (authenticated && throttle.probability > 0 && throttle.random() < throttle.probability) {
        answer = err(45009);
      } else if (authenticated && limits && checkToken(request) === null) {
        const calls = apiCalls.get(request.path) ?? [];
        apiCalls.set(request.path, calls);
        if (recent(calls, now, 60_000) >= limits.apiPerMinute) answer = err(45009);
        else {
          calls.push(now);
          answer = await route(request);
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
    archiveSecret,
    agentId,
    requests,
    arrivals,
    sent,
    deliveries,
    dropped,
    get duplicatesSuppressed() {
      return duplicatesSuppressed;
    },
    get tokenRequests() {
      return tokenRequests;
    },
    tokens,
    failNext(errcode, times = 1, opts = {}) {
      failures.push({ errcode, errmsg: opts.errmsg ?? DEFAULT_ERRMSG[errcode] ?? `error ${errcode}`, path: opts.path, left: times, skip: opts.after ?? 0 });
    },
    holdNext(times = 1) {
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      holds.push({ left: times, released });
      return release;
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
    setDirectory,
    clearDirectory() {
      setDirectory([]);
      directorySet = false;
    },
    denyListId(errcode = 48002) {
      listIdErrcode = errcode;
    },
    denyDepartmentList(errcode = 48002) {
      departmentListErrcode = errcode;
    },
    setUnlicensed(ids) {
      unlicensed = new Set(ids.map((u) => u.toLowerCase()));
    },
    enforceRateLimits,
    throttleRandomly(probability, seed) {
      throttle = { probability, random: seed === undefined ? Math.random : mulberry32(seed) };
    },
    setPermitList(type, ids) {
      permit.set(type, [...ids]);
    },
    setExternalContacts(userId, ids) {
      contacts.set(userId.toLowerCase(), [...ids]);
    },
    setAgreement(userId, externalId, status, at = Math.floor(Date.now() / 1000)) {
      agreements.set(`${userId.toLowerCase()}\u0000${externalId}`, { status, at });
    },
    reset() {
      requests.length = 0;
      arrivals.length = 0;
      sent.length = 0;
      deliveries.length = 0;
      dropped.length = 0;
      tokenRequests = 0;
      duplicatesSuppressed = 0;
      failures = [];
      delays = [];
      holds = [];
      apiCalls.clear();
      memberMessages.clear();
      duplicateMemory.clear();
      usedTaskIds.clear();
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
