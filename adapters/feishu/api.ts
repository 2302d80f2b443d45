import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { BotError } from '../../src/errors.ts';
import type { KeyValueStore } from '../../src/store/ports/store.ts';
import type { HealthReporter } from '../../src/platform/health.ts';
import { ADAPTER_ERRORS } from '../errors.ts';
import { createSharedToken, type SharedToken } from '../kit/token-cache.ts';
import { createPaceGate, REAL_PACE_CLOCK, type PaceClock, type PaceGate } from '../kit/pace.ts';
import {
  API_TIMEOUT_MS,
  BOT_INFO_TTL_MS,
  MAX_CHAT_GATES,
  OTHER_THROTTLE_CODES,
  PACE_HEADROOM,
  RATE_LIMIT_ATTEMPTS,
  RATE_LIMIT_CODE,
  RATE_LIMIT_DEFAULT_WAIT_MS,
  RATE_LIMIT_MAX_WAIT_MS,
  RATE_LIMIT_RESET_HEADER,
  SEND_PER_MINUTE_PER_APP,
  SEND_QPS_PER_CHAT,
  TOKEN_EXPIRY_MARGIN_MS,
  TOKEN_INVALID_CODES,
  UUID_MAX_CHARS,
} from './limits.ts';

/**
 * The Feishu OpenAPI calls the adapter makes, over `fetch` with the tenant_access_token:
 * - token: `POST /open-apis/auth/v3/tenant_access_token/internal` `{app_id, app_secret}` →
 *   `{code:0, tenant_access_token, expire}` (seconds), cached in the shared store for every instance
 *   (../token-cache.ts) until {@link TOKEN_EXPIRY_MARGIN_MS} before expiry; a call answered with a
 *   token-invalid code ({@link TOKEN_INVALID_CODES}) drops the token and is retried once with a new one.
 * - throttling: HTTP 429 or code {@link RATE_LIMIT_CODE} → wait `x-ogw-ratelimit-reset` seconds and
 *   retry, at most {@link RATE_LIMIT_ATTEMPTS} times; then {@link FeishuApiError} with `retryAfterMs`.
 * - pacing: every send/reply takes the app gate (1,000/min → 15/s after headroom, so also under
 *   50/s) and the gate of its chat or user ({@link SEND_QPS_PER_CHAT} × headroom), both shared by
 *   all instances through the store; within one process the calls to one chat leave one chat
 *   interval apart, counted from when each left (after the app gate), not from its chat slot.
 * Source: https://open.feishu.cn/document/server-docs/im-v1/message/create,
 * https://open.feishu.cn/document/server-docs/im-v1/message/reply,
 * https://open.feishu.cn/document/server-docs/authentication-management/access-token/tenant_access_token_internal,
 * https://open.feishu.cn/document/ukTMukTMukTM/uUzN04SN3QjL1cDN (频控策略)
 */

/** A non-zero `code`, or an HTTP failure, from the Feishu OpenAPI. */
export class FeishuApiError extends BotError {
  constructor(
    /** Feishu's `code` (0 when the HTTP layer failed). */
    readonly feishuCode: number,
    /** HTTP status (0 = no answer). */
    readonly httpStatus: number,
    message: string,
    /** Set when the call was throttled: how long Feishu asked to wait, ms. */
    readonly retryAfterMs: number | null = null,
  ) {
    super('FEISHU_API_ERROR', message, { status: ADAPTER_ERRORS.FEISHU_API_ERROR.status });
    this.name = 'FeishuApiError';
  }
}

/** What a message send returns. */
export interface SentMessage {
  messageId: string;
}

/** One page of a paged list. */
export interface Page<T> {
  items: T[];
  hasMore: boolean;
  pageToken: string | null;
}

/** One department as the contact API describes it (ids are open_department_ids). */
export interface FeishuDepartmentInfo {
  id: string;
  name: string;
  /** The parent's open_department_id, '0' for a top-level one, null when not given. */
  parentId: string | null;
}

/** One user of a department listing. */
export interface FeishuPerson {
  openId: string;
  /** Display name ('' without the contact:user.base:readonly field permission). */
  name: string;
}

/** The Feishu calls of the adapter. */
export interface FeishuApi {
  /** A valid tenant_access_token (shared cache). */
  tenantToken(): Promise<string>;
  /**
   * `POST /open-apis/im/v1/messages?receive_id_type=…` (paced per receiver).
   * @param uuid idempotency key (≤ 50 characters): Feishu sends a repeat within 1 h once
   */
  send(receiveIdType: 'open_id' | 'chat_id' | 'user_id', receiveId: string, msgType: string, content: string, uuid: string): Promise<SentMessage>;
  /** `POST /open-apis/im/v1/messages/:message_id/reply` (paced per chat `paceKey`). */
  reply(messageId: string, paceKey: string, msgType: string, content: string, uuid: string): Promise<SentMessage>;
  /** The bot's own open_id (`GET /open-apis/bot/v3/info`), cached in the store; null when unavailable. */
  botOpenId(): Promise<string | null>;
  /** `GET /open-apis/contact/v3/users/find_by_department` (open_ids of direct members). */
  usersOfDepartment(departmentId: string, pageToken: string | null, pageSize: number): Promise<Page<string>>;
  /** `GET /open-apis/contact/v3/departments/:id/children?fetch_child=true` (open_department_ids). */
  childDepartments(departmentId: string, pageToken: string | null, pageSize: number): Promise<Page<string>>;
  /**
   * `GET /open-apis/contact/v3/departments/:id/children?department_id_type=open_department_id&fetch_child=true`:
   * every department below `departmentId` ('0' = the root, UNVERIFIED that the root's "0" is taken
   * with open_department_id too) with `name` and `parent_department_id`, one page.
   * Source: https://open.feishu.cn/document/server-docs/contact-v3/department/children
   */
  departmentsBelow(departmentId: string, pageToken: string | null, pageSize: number): Promise<Page<FeishuDepartmentInfo>>;
  /**
   * `GET /open-apis/contact/v3/departments/:id?department_id_type=open_department_id`: one department.
   * Source: https://open.feishu.cn/document/server-docs/contact-v3/department/get
   */
  department(departmentId: string): Promise<FeishuDepartmentInfo>;
  /**
   * `GET /open-apis/contact/v3/users/find_by_department?user_id_type=open_id` with the department's
   * id type: its direct members with `name`, one page.
   * Source: https://open.feishu.cn/document/server-docs/contact-v3/user/find_by_department
   */
  peopleOfDepartment(departmentId: string, pageToken: string | null, pageSize: number): Promise<Page<FeishuPerson>>;
  /**
   * `GET /open-apis/contact/v3/scopes?department_id_type=open_department_id`: the departments of the
   * app's contact scope (`department_ids`), one page.
   * Source: https://open.feishu.cn/document/server-docs/contact-v3/scope/list
   */
  scopeDepartments(pageToken: string | null, pageSize: number): Promise<Page<string>>;
}

/** Options of {@link createFeishuApi}. */
export interface FeishuApiOptions {
  appId: string;
  appSecret: string;
  /** OpenAPI origin, e.g. https://open.feishu.cn. */
  apiBase: string;
  kv: KeyValueStore;
  log: Logger;
  health?: HealthReporter;
  observe?: (api: string, code: string) => void;
  /** Sleep in ms for throttled waits (tests; default `clock.sleep`). */
  sleep?: (ms: number) => Promise<void>;
  /** Clock of the send and contact pace gates, ms (default the real one; tests inject a virtual one). */
  clock?: PaceClock;
  /** Sends per second for the whole app (default 1,000/min × headroom). */
  appQps?: number;
  /** Sends per second per chat or user (default 5 × headroom). */
  chatQps?: number;
}

interface Answer {
  status: number;
  headers: Headers;
  body: { code?: unknown; msg?: unknown; data?: unknown; [k: string]: unknown } | null;
}

/** A uuid (idempotency key) from parts: 40 hex characters of their SHA-256 (≤ {@link UUID_MAX_CHARS}). */
export function idempotencyKey(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, Math.min(40, UUID_MAX_CHARS));
}

/**
 * Which kind of department id an admin gave: `od-…` is an open_department_id, anything else (and the
 * root "0") a department_id. Source: https://open.feishu.cn/document/server-docs/contact-v3/department/field-overview
 */
export function departmentIdType(id: string): 'open_department_id' | 'department_id' {
  return id.startsWith('od-') ? 'open_department_id' : 'department_id';
}

/** A chat's (or user's) pace gate, and the last turn of its calls (see `pace` in createFeishuApi). */
interface ChatPace {
  gate: PaceGate;
  /** Resolves when the last call to the chat has left (or given up). */
  turn: Promise<void>;
}

/** Wait asked by a throttled answer, ms (header seconds; default {@link RATE_LIMIT_DEFAULT_WAIT_MS}). */
function resetWaitMs(headers: Headers): number {
  const s = Number(headers.get(RATE_LIMIT_RESET_HEADER));
  if (!Number.isFinite(s) || s < 0) return RATE_LIMIT_DEFAULT_WAIT_MS;
  return Math.min(RATE_LIMIT_MAX_WAIT_MS, Math.max(0, Math.ceil(s * 1000)));
}

/**
 * Creates the API client of one app. Holds no connections (fetch keeps its own pool).
 */
export function createFeishuApi(options: FeishuApiOptions): FeishuApi {
  const { appId, appSecret, apiBase, kv, log } = options;
  const clock = options.clock ?? REAL_PACE_CLOCK;
  const sleep = options.sleep ?? ((ms: number) => clock.sleep(ms));
  const appQps = options.appQps ?? (SEND_PER_MINUTE_PER_APP / 60) * PACE_HEADROOM;
  const chatQps = options.chatQps ?? SEND_QPS_PER_CHAT * PACE_HEADROOM;
  const appGate = createPaceGate({ limit: { perSecond: appQps }, kv, key: `pace:feishu:${appId}:send`, clock });
  const contactGate = createPaceGate({ limit: { perSecond: appQps }, kv, key: `pace:feishu:${appId}:contact`, clock });
  const chatGates = new Map<string, ChatPace>();

  function chatGate(id: string): ChatPace {
    let g = chatGates.get(id);
    if (g) {
      chatGates.delete(id);
      chatGates.set(id, g);
      return g;
    }
    g = { gate: createPaceGate({ limit: { perSecond: chatQps }, kv, key: `pace:feishu:${appId}:chat:${id}`, clock }), turn: Promise.resolve() };
    chatGates.set(id, g);
    while (chatGates.size > MAX_CHAT_GATES) chatGates.delete(chatGates.keys().next().value as string);
    return g;
  }

  async function raw(method: 'GET' | 'POST', path: string, body: unknown, token: string | null): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
    if (token) headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await fetch(`${apiBase}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(API_TIMEOUT_MS),
        redirect: 'manual',
      });
    } catch (err) {
      throw new FeishuApiError(0, 0, `network: ${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name}`);
    }
    let json: Answer['body'] = null;
    try {
      json = (await res.json()) as Answer['body'];
    } catch {
      json = null;
    }
    return { status: res.status, headers: res.headers, body: json };
  }

  const token: SharedToken = createSharedToken({
    kv,
    cacheKey: `token:feishu:${appId}`,
    log,
    platform: 'feishu',
    async fetch() {
      const a = await raw('POST', '/open-apis/auth/v3/tenant_access_token/internal', { app_id: appId, app_secret: appSecret }, null);
      const code = typeof a.body?.code === 'number' ? a.body.code : -1;
      options.observe?.('auth/v3/tenant_access_token/internal', String(code));
      const t = a.body?.tenant_access_token;
      const expire = Number(a.body?.expire);
      if (a.status !== 200 || code !== 0 || typeof t !== 'string' || t === '') {
        const err = new FeishuApiError(code, a.status, `tenant_access_token refused: code ${code}`);
        options.health?.('feishu', { code: 'FEISHU_TOKEN_REFUSED', message: `tenant_access_token refused (code ${code}): check FEISHU_APP_ID / FEISHU_APP_SECRET` });
        throw err;
      }
      options.health?.('feishu', null);
      const ttlMs = Number.isFinite(expire) ? Math.max(0, expire * 1000 - TOKEN_EXPIRY_MARGIN_MS) : 0;
      return { token: t, ttlMs };
    },
  });

  /**
   * Takes the chat's gate (if any), then `gates`. The calls to one chat take their turns one at a
   * time, from the chat's gate until the request leaves, and the chat's gate learns when it left:
   * the app's gate may hold a call past its chat's slot, and the next call to that chat must still
   * leave one chat interval later (else the two could go out one app interval apart).
   */
  async function pace(gates: PaceGate[], chat: ChatPace | undefined): Promise<void> {
    if (!chat) {
      for (const g of gates) await g.take();
      return;
    }
    const previous = chat.turn;
    let done: () => void = () => undefined;
    chat.turn = new Promise<void>((resolve) => (done = resolve));
    try {
      await previous;
      await chat.gate.take();
      for (const g of gates) await g.take();
      chat.gate.departed(clock.now());
    } finally {
      done();
    }
  }

  /**
   * One authenticated call with the token-refresh and throttle rules; returns `data`.
   * @param name API name for metrics and errors (no ids)
   */
  async function call(name: string, method: 'GET' | 'POST', path: string, body: unknown, gates: PaceGate[], chat?: ChatPace): Promise<Record<string, unknown>> {
    let refreshed = false;
    let throttled = 0;
    for (;;) {
      const t = await token.get();
      // Paced right before the request leaves (after the token, which may take a while to fetch).
      await pace(gates, chat);
      const a = await raw(method, path, body, t);
      const code = typeof a.body?.code === 'number' ? a.body.code : null;
      options.observe?.(name, code === null ? `http_${a.status}` : String(code));
      if (code !== null && TOKEN_INVALID_CODES.includes(code) && !refreshed) {
        refreshed = true;
        await token.invalidate(t);
        log.warn({ api: name, code }, 'tenant_access_token rejected: fetching a new one');
        continue;
      }
      if (a.status === 429 || code === RATE_LIMIT_CODE || (code !== null && OTHER_THROTTLE_CODES.includes(code))) {
        const wait = resetWaitMs(a.headers);
        throttled++;
        if (throttled > RATE_LIMIT_ATTEMPTS) {
          throw new FeishuApiError(code ?? 0, a.status, `${name} throttled`, wait);
        }
        log.warn({ api: name, code, waitMs: wait }, 'Feishu throttled a call: waiting');
        appGate.pause(wait);
        await sleep(wait);
        continue;
      }
      if (a.status < 200 || a.status > 299 || code !== 0) {
        throw new FeishuApiError(code ?? 0, a.status, `${name} failed: HTTP ${a.status}, code ${code ?? 'none'}`);
      }
      const data = a.body?.data;
      return data && typeof data === 'object' ? (data as Record<string, unknown>) : {};
    }
  }

  function messageIdOf(data: Record<string, unknown>, name: string): SentMessage {
    const id = data.message_id;
    if (typeof id !== 'string' || id === '') throw new FeishuApiError(0, 200, `${name}: answer without message_id`);
    return { messageId: id };
  }

  function page(data: Record<string, unknown>, pick: (item: Record<string, unknown>) => unknown): Page<string> {
    const items = Array.isArray(data.items) ? (data.items as Record<string, unknown>[]) : [];
    return {
      items: items.map(pick).filter((x): x is string => typeof x === 'string' && x !== ''),
      hasMore: data.has_more === true,
      pageToken: typeof data.page_token === 'string' && data.page_token !== '' ? data.page_token : null,
    };
  }

  function pageOf<T>(data: Record<string, unknown>, list: string, pick: (item: Record<string, unknown>) => T | null): Page<T> {
    const items = Array.isArray(data[list]) ? (data[list] as unknown[]) : [];
    return {
      items: items.map((x) => (x && typeof x === 'object' ? pick(x as Record<string, unknown>) : null)).filter((x): x is T => x !== null),
      hasMore: data.has_more === true,
      pageToken: typeof data.page_token === 'string' && data.page_token !== '' ? data.page_token : null,
    };
  }

  function departmentInfo(d: Record<string, unknown>): FeishuDepartmentInfo | null {
    const id = d.open_department_id;
    if (typeof id !== 'string' || id === '') return null;
    const parent = d.parent_department_id;
    return { id, name: typeof d.name === 'string' ? d.name.trim() : '', parentId: typeof parent === 'string' && parent !== '' ? parent : null };
  }

  const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');

  return {
    tenantToken: () => token.get(),
    async send(receiveIdType, receiveId, msgType, content, uuid) {
      // The chat's gate first, the app's last (see pace()): the app gate then spaces the calls as they leave.
      const data = await call(
        'im/v1/messages',
        'POST',
        `/open-apis/im/v1/messages?receive_id_type=${receiveIdType}`,
        { receive_id: receiveId, msg_type: msgType, content, uuid: uuid.slice(0, UUID_MAX_CHARS) },
        [appGate],
        chatGate(receiveId),
      );
      return messageIdOf(data, 'im/v1/messages');
    },
    async reply(messageId, paceKey, msgType, content, uuid) {
      const data = await call(
        'im/v1/messages/reply',
        'POST',
        `/open-apis/im/v1/messages/${encodeURIComponent(messageId)}/reply`,
        { msg_type: msgType, content, reply_in_thread: false, uuid: uuid.slice(0, UUID_MAX_CHARS) },
        [appGate],
        chatGate(paceKey),
      );
      return messageIdOf(data, 'im/v1/messages/reply');
    },
    async botOpenId() {
      const key = `feishu:bot-open-id:${appId}`;
      try {
        const cached = await kv.get(key);
        if (cached) return cached;
      } catch {
        // fetch below
      }
      try {
        // bot/v3/info answers {code, msg, bot:{open_id,…}} (no data envelope).
        const t = await token.get();
        const a = await raw('GET', '/open-apis/bot/v3/info', undefined, t);
        options.observe?.('bot/v3/info', String(a.body?.code ?? `http_${a.status}`));
        const bot = a.body?.bot as { open_id?: unknown } | undefined;
        if (a.body?.code !== 0 || typeof bot?.open_id !== 'string') return null;
        await kv.set(key, bot.open_id, BOT_INFO_TTL_MS).catch(() => undefined);
        return bot.open_id;
      } catch (err) {
        log.warn({ code: (err as BotError).code }, 'bot/v3/info failed');
        return null;
      }
    },
    async usersOfDepartment(departmentId, pageToken, pageSize) {
      const q = new URLSearchParams({ department_id: departmentId, department_id_type: departmentIdType(departmentId), user_id_type: 'open_id', page_size: String(pageSize) });
      if (pageToken) q.set('page_token', pageToken);
      const data = await call('contact/v3/users/find_by_department', 'GET', `/open-apis/contact/v3/users/find_by_department?${q}`, undefined, [contactGate]);
      return page(data, (u) => u.open_id);
    },
    async childDepartments(departmentId, pageToken, pageSize) {
      const q = new URLSearchParams({ department_id_type: departmentIdType(departmentId), fetch_child: 'true', page_size: String(pageSize) });
      if (pageToken) q.set('page_token', pageToken);
      const data = await call('contact/v3/departments/children', 'GET', `/open-apis/contact/v3/departments/${encodeURIComponent(departmentId)}/children?${q}`, undefined, [contactGate]);
      return page(data, (d) => d.open_department_id);
    },
    async departmentsBelow(departmentId, pageToken, pageSize) {
      const q = new URLSearchParams({ department_id_type: 'open_department_id', fetch_child: 'true', page_size: String(pageSize) });
      if (pageToken) q.set('page_token', pageToken);
      const data = await call('contact/v3/departments/children', 'GET', `/open-apis/contact/v3/departments/${encodeURIComponent(departmentId)}/children?${q}`, undefined, [contactGate]);
      return pageOf(data, 'items', departmentInfo);
    },
    async department(departmentId) {
      const q = new URLSearchParams({ department_id_type: 'open_department_id' });
      const data = await call('contact/v3/departments/get', 'GET', `/open-apis/contact/v3/departments/${encodeURIComponent(departmentId)}?${q}`, undefined, [contactGate]);
      const d = data.department && typeof data.department === 'object' ? departmentInfo(data.department as Record<string, unknown>) : null;
      return d ?? { id: departmentId, name: '', parentId: null };
    },
    async peopleOfDepartment(departmentId, pageToken, pageSize) {
      const q = new URLSearchParams({ department_id: departmentId, department_id_type: departmentIdType(departmentId), user_id_type: 'open_id', page_size: String(pageSize) });
      if (pageToken) q.set('page_token', pageToken);
      const data = await call('contact/v3/users/find_by_department', 'GET', `/open-apis/contact/v3/users/find_by_department?${q}`, undefined, [contactGate]);
      return pageOf(data, 'items', (u) => (str(u.open_id) === '' ? null : { openId: str(u.open_id), name: str(u.name) }));
    },
    async scopeDepartments(pageToken, pageSize) {
      const q = new URLSearchParams({ department_id_type: 'open_department_id', user_id_type: 'open_id', page_size: String(pageSize) });
      if (pageToken) q.set('page_token', pageToken);
      const data = await call('contact/v3/scopes', 'GET', `/open-apis/contact/v3/scopes?${q}`, undefined, [contactGate]);
      const ids = Array.isArray(data.department_ids) ? data.department_ids.filter((x): x is string => typeof x === 'string' && x !== '') : [];
      return { items: ids, hasMore: data.has_more === true, pageToken: typeof data.page_token === 'string' && data.page_token !== '' ? data.page_token : null };
    },
  };
}
