import * as $Robot from '@alicloud/dingtalk/dist/robot_1_0/client.js';
import * as $Oauth2 from '@alicloud/dingtalk/dist/oauth2_1_0/client.js';
import * as $OpenApi from '@alicloud/openapi-client';
import * as $Util from '@alicloud/tea-util';
import type { Logger } from 'pino';
import type { HealthReporter } from '../../src/platform/health.ts';
import { BotError, ConfigError } from '../../src/errors.ts';
import type { KeyValueStore } from '../../src/store/ports/store.ts';
import { createSharedToken, type FetchedToken } from '../kit/token-cache.ts';
import { backoffWithJitterMs } from '../kit/backoff.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DingtalkConfig } from './config.ts';
import {
  ACCESS_TOKEN_REFRESH_MARGIN_MS,
  BATCH_SEND_MAX_USER_IDS,
  GROUP_MSG_PARAM_MAX_BYTES,
  IP_BAN_RETRY_MS,
  LEGACY_TOKEN_ERRCODES,
  OPENAPI_CONNECT_TIMEOUT_MS,
  OPENAPI_READ_TIMEOUT_MS,
  SEND_RETRY_BACKOFF_MS,
  SEND_THROTTLE_RETRIES,
  SEND_TRANSIENT_RETRIES,
  THROTTLE_API_CODES,
  THROTTLE_ERRCODES,
  THROTTLE_RETRY_MS,
} from './limits.ts';
import { ADAPTER_ERRORS, adapterError } from '../errors.ts';

// The SDK is CommonJS compiled from TypeScript: under Node ESM the class is `module.exports.default`.
const RobotClient = $Robot.default.default;
const Oauth2Client = $Oauth2.default.default;

/**
 * The SDK connection settings for an API base URL (docs/PROTOCOLS.md §3.4: the protocol is always set,
 * because an unset one means plain HTTP).
 * @param apiBase 'https://api.dingtalk.com' → { protocol: 'https', endpoint: 'api.dingtalk.com' };
 *   'http://127.0.0.1:8080' → { protocol: 'http', endpoint: '127.0.0.1:8080' }
 * @throws ConfigError when apiBase is not an http(s) URL without path, query or credentials
 */
export function openApiEndpoint(apiBase: string): { protocol: 'http' | 'https'; endpoint: string } {
  let url: URL;
  try {
    url = new URL(apiBase);
  } catch (err) {
    throw new ConfigError(`DINGTALK_API_BASE is not a URL: ${JSON.stringify(apiBase)}`, { cause: err });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError('DINGTALK_API_BASE must start with https:// (or http:// for a local fake)');
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.username || url.password) {
    throw new ConfigError('DINGTALK_API_BASE must be scheme://host[:port] without path or query');
  }
  return { protocol: url.protocol === 'https:' ? 'https' : 'http', endpoint: url.host };
}

/**
 * Base URL of the legacy server API (oapi.dingtalk.com: gettoken, topapi/…) for an OpenAPI base:
 * the real api.dingtalk.com maps to https://oapi.dingtalk.com; any other base (a local fake, an
 * egress proxy) serves both APIs itself, so its origin is returned unchanged.
 * @param apiBase DingtalkConfig.apiBase (already checked by {@link openApiEndpoint})
 * @returns an origin without trailing slash, e.g. 'https://oapi.dingtalk.com' or 'http://127.0.0.1:4567'
 */
export function legacyApiBase(apiBase: string): string {
  const url = new URL(apiBase);
  return url.hostname === 'api.dingtalk.com' ? `${url.protocol}//oapi.dingtalk.com` : url.origin;
}

/**
 * A failed DingTalk call (code DINGTALK_API_ERROR, HTTP status 502 when it ends a request), with what
 * DingTalk said. The message names the call and code, never request data.
 */
export class DingtalkApiError extends BotError {
  constructor(
    /** The call, e.g. 'robot/oToMessages/batchSend', 'topapi/user/listsimple'. */
    readonly call: string,
    /** New-API code (e.g. 'Forbidden.AccessDenied.QpsLimitForApi'), 'errcode <n>' for the legacy API, or 'NETWORK_ERROR'. */
    readonly apiCode: string,
    /** HTTP status of the answer; null when there was none (network). */
    readonly httpStatus: number | null,
    /** Legacy errcode; null for the new API. */
    readonly errcode: number | null,
    /** True for the per-IP ban answer `{"status":1111,…,"punish":"deny"}`. */
    readonly ipBanned: boolean,
    options: { cause?: unknown } = {},
  ) {
    super(
      'DINGTALK_API_ERROR',
      `${call} failed: ${apiCode}${httpStatus !== null && httpStatus !== 200 ? ` (HTTP ${httpStatus})` : ''}`,
      { status: ADAPTER_ERRORS.DINGTALK_API_ERROR.status, cause: options.cause },
    );
    this.name = 'DingtalkApiError';
  }
}

/**
 * How long to wait before retrying a call DingTalk refused for rate reasons, in ms; null when the
 * error is not throttling. IP ban → {@link IP_BAN_RETRY_MS}; HTTP 429, a code in
 * {@link THROTTLE_API_CODES} or an errcode in {@link THROTTLE_ERRCODES} → {@link THROTTLE_RETRY_MS}.
 * Source: https://help.dingtalk.io/open/development/call-frequency-limit (docs/PROTOCOLS.md §3.4).
 */
export function throttleDelayMs(err: unknown): number | null {
  if (!(err instanceof DingtalkApiError)) return null;
  if (err.ipBanned) return IP_BAN_RETRY_MS;
  if (err.httpStatus === 429) return THROTTLE_RETRY_MS;
  if (THROTTLE_API_CODES.includes(err.apiCode)) return THROTTLE_RETRY_MS;
  if (err.errcode !== null && THROTTLE_ERRCODES.includes(err.errcode)) return THROTTLE_RETRY_MS;
  const numeric = /^\d+$/.test(err.apiCode) ? Number(err.apiCode) : null;
  if (numeric !== null && THROTTLE_ERRCODES.includes(numeric)) return THROTTLE_RETRY_MS;
  return null;
}

/**
 * True for a failure that may pass on retrying: no HTTP answer that could be read (network error,
 * connection reset, timeout, a gateway's non-JSON error page) or HTTP 5xx. Not throttling (its own
 * delays, {@link throttleDelayMs}) and not 4xx.
 */
export function isTransientFailure(err: unknown): boolean {
  if (!(err instanceof DingtalkApiError) || err.ipBanned) return false;
  if (err.httpStatus !== null) return err.httpStatus >= 500;
  return throttleDelayMs(err) === null;
}

/** One entry of oToMessages/readStatus. */
export interface ReadInfo {
  userId: string;
  /** 'READ' or 'UNREAD' as DingTalk spells it. */
  readStatus: string;
  /** ms since the epoch; null when absent or 0. */
  readTimestamp: number | null;
}

/** Result of one batchSend call. */
export interface BatchSendResult {
  processQueryKey: string | null;
  /** staffIds DingTalk refused (outside the app's visibility range, robot not published, …). */
  invalidStaffIdList: string[];
  /** staffIds throttled by DingTalk; to be retried later. */
  flowControlledStaffIdList: string[];
}

/** The robot OpenAPI calls the adapter uses, with the access token handled inside. */
export interface DingtalkOpenApi {
  /**
   * A valid access token: from the shared store when cached, else fetched — one fetch at a time
   * across all instances sharing the store — and cached for `expireIn` minus
   * {@link ACCESS_TOKEN_REFRESH_MARGIN_MS}. A store outage does not stop it (fetched directly).
   * @throws BotError DINGTALK_API_ERROR when DingTalk refuses the credentials or cannot be reached
   */
  accessToken(): Promise<string>;
  /**
   * Sends one text (msgKey sampleText) to up to 20 employees' 1:1 chats with the robot.
   * `POST /v1.0/robot/oToMessages/batchSend`.
   * @param userIds staffIds (userid), 1..{@link BATCH_SEND_MAX_USER_IDS}
   * @param content message text (bytes limited by the caller)
   * @throws RangeError for 0 or > 20 userIds; BotError DINGTALK_API_ERROR when the call fails
   *   (after one token refresh for InvalidAuthentication / HTTP 401, and up to
   *   {@link SEND_TRANSIENT_RETRIES} retries with backoff and jitter after a transient failure)
   * Source: https://open.dingtalk.com/document/orgapp/chatbots-send-one-on-one-chat-messages-in-batches
   */
  batchSendText(userIds: string[], content: string): Promise<BatchSendResult>;
  /**
   * Sends one markdown message (msgKey sampleMarkdown, msgParam `{"title","text"}`) to up to 20 employees'
   * 1:1 chats with the robot; retries and errors as {@link batchSendText}.
   * @param title shown in the chat list and notification; text the markdown body (bytes limited by the caller)
   * Source: https://open.dingtalk.com/document/orgapp/chatbots-send-one-on-one-chat-messages-in-batches
   */
  batchSendMarkdown(userIds: string[], title: string, text: string): Promise<BatchSendResult>;
  /**
   * Sends one text (msgKey sampleText) into a group the robot is in. `POST /v1.0/robot/groupMessages/send`.
   * @param openConversationId the group's conversationId from the callback
   * @param content message text; the msgParam JSON must stay ≤ {@link GROUP_MSG_PARAM_MAX_BYTES} bytes
   * @throws BotError DINGTALK_MSG_TOO_LARGE when msgParam is too large; DINGTALK_API_ERROR when the call fails
   *   (after retries as for {@link batchSendText})
   * Source: https://open.dingtalk.com/document/orgapp/the-robot-sends-a-group-message
   */
  groupSendText(openConversationId: string, content: string): Promise<{ processQueryKey: string | null }>;
  /**
   * One `POST /v1.0/robot/oToMessages/batchSend` with any robot message template.
   * @param userIds staffIds, 1..{@link BATCH_SEND_MAX_USER_IDS}
   * @param msgKey e.g. 'sampleMarkdown'; msgParam the template parameters as a JSON string
   * @throws RangeError for 0 or > 20 userIds; {@link DingtalkApiError} when the call fails (after one
   *   token refresh) or the answer has no processQueryKey
   * Source: https://open.dingtalk.com/document/orgapp/chatbots-send-one-on-one-chat-messages-in-batches
   */
  batchSend(userIds: string[], msgKey: string, msgParam: string): Promise<BatchSendResult & { processQueryKey: string }>;
  /**
   * `GET /v1.0/robot/oToMessages/readStatus` (SDK BatchOTOQuery): who read a batchSend.
   * @returns sendStatus as DingTalk spells it (e.g. 'SUCCESS', or 'SUCESS' in the SDK's own example), and the entries
   * @throws {@link DingtalkApiError}
   * Source: https://open.dingtalk.com/document/orgapp/chatbot-batch-query-the-read-status-of-messages (docs/PROTOCOLS.md §3.4)
   */
  readStatus(processQueryKey: string): Promise<{ sendStatus: string | null; entries: ReadInfo[] }>;
  /**
   * One legacy server API call: `POST <oapi base><path>?access_token=…` with a JSON body; success is
   * HTTP 200 with `errcode` 0. The token is the same app access token (UNVERIFIED: DingTalk treats the
   * new-API accessToken and the legacy access_token of an internal app as one token). A token errcode
   * ({@link LEGACY_TOKEN_ERRCODES}) refreshes the token once.
   * @param path e.g. '/topapi/v2/department/listsub'
   * @returns the whole answer object
   * @throws {@link DingtalkApiError} (errcode ≠ 0, HTTP ≠ 200, network, not JSON)
   */
  legacyPost(path: string, body: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** Store key of the cached access token (shared by all instances). */
export function accessTokenKey(appKey: string): string {
  return `token:dingtalk:${appKey}`;
}

/** How long a token of `expireInSeconds` is cached, in ms: 5 minutes early, or 90 % for short-lived tokens. */
export function tokenCacheTtlMs(expireInSeconds: number): number {
  const lifetime = expireInSeconds * 1000;
  return Math.max(Math.floor(lifetime * 0.9), lifetime - ACCESS_TOKEN_REFRESH_MARGIN_MS, 1);
}

/** SDK error shape (docs/PROTOCOLS.md §3.4): `code`, `statusCode`, `data` = the JSON error body. */
interface SdkError {
  code?: unknown;
  statusCode?: unknown;
  data?: { code?: unknown; statusCode?: unknown };
}

function errorCode(err: unknown): string {
  const e = err as SdkError;
  const code = e?.code ?? e?.data?.code;
  return typeof code === 'string' && code !== '' ? code : 'NETWORK_ERROR';
}

function errorStatus(err: unknown): number | null {
  const e = err as SdkError;
  const s = e?.statusCode ?? e?.data?.statusCode;
  return typeof s === 'number' ? s : null;
}

/** A legacy-API answer that was not success (thrown inside {@link DingtalkOpenApi.legacyPost}). */
class LegacyFailure extends Error {
  constructor(readonly httpStatus: number | null, readonly errcode: number | null, readonly ipBanned: boolean, readonly detail: string) {
    super(detail);
  }
}

/** The per-IP ban answer `{"status":1111,"wait":5,"punish":"deny"}` (docs/PROTOCOLS.md §3.4). */
function isIpBanBody(body: unknown): boolean {
  const b = body as { punish?: unknown; status?: unknown } | null;
  return b?.punish === 'deny' || b?.status === 1111;
}

/**
 * True when DingTalk says the token is invalid or expired: HTTP 401 or code InvalidAuthentication
 * (new API), errcode 40014 / 42001 (legacy API).
 */
export function isTokenError(err: unknown): boolean {
  if (err instanceof LegacyFailure) return err.errcode !== null && LEGACY_TOKEN_ERRCODES.includes(err.errcode);
  return errorStatus(err) === 401 || /^InvalidAuthentication/.test(errorCode(err));
}

function apiError(call: string, err: unknown): DingtalkApiError {
  if (err instanceof DingtalkApiError) return err;
  if (err instanceof LegacyFailure) {
    const code = err.errcode !== null ? `errcode ${err.errcode}` : err.detail;
    return new DingtalkApiError(call, code, err.httpStatus, err.errcode, err.ipBanned, { cause: err });
  }
  const data = (err as { data?: unknown } | null)?.data;
  return new DingtalkApiError(call, errorCode(err), errorStatus(err), null, isIpBanBody(data), { cause: err });
}

/**
 * Creates the OpenAPI client (@alicloud/dingtalk oauth2_1_0 + robot_1_0) for one app.
 * @param config appKey/appSecret/robotCode/apiBase
 * @param kv shared store for the token cache (key {@link accessTokenKey})
 * @throws ConfigError for a bad apiBase
 */
export function createDingtalkOpenApi(
  config: DingtalkConfig,
  kv: KeyValueStore,
  log: Logger,
  health?: HealthReporter,
  observe?: (api: string, code: string) => void,
): DingtalkOpenApi {
  const { protocol, endpoint } = openApiEndpoint(config.apiBase);
  const sdkConfig = new $OpenApi.Config({
    protocol,
    endpoint,
    regionId: 'central',
    readTimeout: OPENAPI_READ_TIMEOUT_MS,
    connectTimeout: OPENAPI_CONNECT_TIMEOUT_MS,
  });
  const oauth = new Oauth2Client(sdkConfig);
  const robot = new RobotClient(sdkConfig);
  // No SDK auto-retry: a repeated send could reach the employee twice.
  const runtime = (): $Util.RuntimeOptions =>
    new $Util.RuntimeOptions({
      autoretry: false,
      readTimeout: OPENAPI_READ_TIMEOUT_MS,
      connectTimeout: OPENAPI_CONNECT_TIMEOUT_MS,
    });
  const key = accessTokenKey(config.appKey);
  const legacyBase = legacyApiBase(config.apiBase);

  async function fetchToken(): Promise<FetchedToken> {
    let body: $Oauth2.GetAccessTokenResponseBody | undefined;
    try {
      const res = await oauth.getAccessTokenWithOptions(
        new $Oauth2.GetAccessTokenRequest({ appKey: config.appKey, appSecret: config.appSecret }),
        {},
        runtime(),
      );
      body = res.body;
    } catch (err) {
      const e = apiError('oauth2/accessToken', err);
      health?.('dingtalk', { code: e.code, message: `oauth2/accessToken: ${errorCode(err) || errorStatus(err) || e.message} (check DINGTALK_APP_KEY and DINGTALK_APP_SECRET)` });
      throw e;
    }
    const token = body?.accessToken;
    const expireIn = body?.expireIn;
    if (typeof token !== 'string' || token === '' || typeof expireIn !== 'number' || !(expireIn > 0)) {
      throw adapterError('DINGTALK_API_ERROR', 'oauth2/accessToken answered without accessToken/expireIn');
    }
    health?.('dingtalk', null);
    log.info({ platform: 'dingtalk', expireIn }, 'access token refreshed');
    return { token, ttlMs: tokenCacheTtlMs(expireIn) };
  }

  // One fetch at a time across instances (a lock in the store) and in this process; the cache is
  // best-effort, so a store outage never stops replies (../token-cache.ts).
  const shared = createSharedToken({ kv, cacheKey: key, fetch: fetchToken, log, platform: 'dingtalk' });
  const accessToken = (): Promise<string> => shared.get();
  /** Drops `token` from the cache unless another instance already replaced it. */
  const invalidate = (token: string): Promise<void> => shared.invalidate(token);

  async function withToken<T>(call: string, send: (token: string) => Promise<T>): Promise<T> {
    // Every attempt is counted by result code (metrics): 'ok', the API's error code, or the HTTP status.
    const fn = async (token: string): Promise<T> => {
      try {
        const r = await send(token);
        observe?.(call, 'ok');
        return r;
      } catch (err) {
        observe?.(call, errorCode(err) || String(errorStatus(err) ?? 'error'));
        throw err;
      }
    };
    const token = await accessToken();
    try {
      return await fn(token);
    } catch (err) {
      if (!isTokenError(err)) throw apiError(call, err);
      log.warn({ platform: 'dingtalk', call, code: apiError(call, err).apiCode }, 'access token rejected; refreshing once');
      await invalidate(token);
      const fresh = await accessToken();
      try {
        return await fn(fresh);
      } catch (err2) {
        throw apiError(call, err2);
      }
    }
  }

  /**
   * Runs a reply send again after a transient failure ({@link isTransientFailure}; at most
   * {@link SEND_TRANSIENT_RETRIES} times, with backoff and jitter) or a per-second throttle (HTTP
   * 429, QpsLimitForApi, errcode 90018…; at most {@link SEND_THROTTLE_RETRIES} times, after
   * {@link THROTTLE_RETRY_MS} plus up to as much again at random, so sends throttled together do
   * not come back together). Not after the 5-minute IP ban. For replies only: the
   * notice worker reschedules failed batches itself, so batchSend (notices) is not wrapped.
   */
  async function withTransientRetries<T>(call: string, op: () => Promise<T>): Promise<T> {
    let transient = 0;
    let throttles = 0;
    for (;;) {
      try {
        return await op();
      } catch (err) {
        const throttled = throttleDelayMs(err);
        let delay: number;
        if (throttled !== null && throttled <= THROTTLE_RETRY_MS && throttles < SEND_THROTTLE_RETRIES) {
          // Spread over a whole extra second: the sends throttled together must not return together.
          delay = throttled + Math.floor(Math.random() * THROTTLE_RETRY_MS);
          throttles++;
        } else if (throttled === null && isTransientFailure(err) && transient < SEND_TRANSIENT_RETRIES) {
          delay = backoffWithJitterMs(SEND_RETRY_BACKOFF_MS, transient);
          transient++;
        } else {
          throw err;
        }
        log.warn({ platform: 'dingtalk', call, transient, throttles, code: (err as DingtalkApiError).apiCode, delayMs: delay }, 'dingtalk api failed for now, retrying');
        await sleep(delay);
      }
    }
  }

  async function batchSendRaw(userIds: string[], msgKey: string, msgParam: string): Promise<BatchSendResult> {
    if (userIds.length === 0 || userIds.length > BATCH_SEND_MAX_USER_IDS) {
      throw new RangeError(`batchSend takes 1..${BATCH_SEND_MAX_USER_IDS} userIds, got ${userIds.length}`);
    }
    const res = await withToken('robot/oToMessages/batchSend', (token) =>
      robot.batchSendOTOWithOptions(
        new $Robot.BatchSendOTORequest({ robotCode: config.robotCode, userIds, msgKey, msgParam }),
        new $Robot.BatchSendOTOHeaders({ xAcsDingtalkAccessToken: token }),
        runtime(),
      ),
    );
    return {
      processQueryKey: res.body?.processQueryKey ?? null,
      invalidStaffIdList: res.body?.invalidStaffIdList ?? [],
      flowControlledStaffIdList: res.body?.flowControlledStaffIdList ?? [],
    };
  }

  async function legacyCall(path: string, body: Record<string, unknown>, token: string): Promise<Record<string, unknown>> {
    let res: Response;
    try {
      res = await fetch(`${legacyBase}${path}?access_token=${encodeURIComponent(token)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', accept: 'application/json' },
        body: JSON.stringify(body),
        redirect: 'error',
        signal: AbortSignal.timeout(OPENAPI_CONNECT_TIMEOUT_MS + OPENAPI_READ_TIMEOUT_MS),
      });
    } catch (err) {
      throw new LegacyFailure(null, null, false, `NETWORK_ERROR (${(err as Error).name})`);
    }
    let parsed: unknown;
    try {
      parsed = await res.json();
    } catch {
      parsed = null;
    }
    if (isIpBanBody(parsed)) throw new LegacyFailure(res.status, null, true, 'IP banned (punish deny)');
    const o = parsed as Record<string, unknown> | null;
    const errcode = typeof o?.errcode === 'number' ? o.errcode : null;
    if (!res.ok) throw new LegacyFailure(res.status, errcode, false, `HTTP ${res.status}`);
    if (o === null || typeof o !== 'object') throw new LegacyFailure(res.status, null, false, 'answer is not JSON');
    if (errcode !== 0) throw new LegacyFailure(res.status, errcode, false, 'answer without errcode');
    return o;
  }

  return {
    accessToken,

    async batchSendText(userIds, content) {
      return withTransientRetries('robot/oToMessages/batchSend', () => batchSendRaw(userIds, 'sampleText', JSON.stringify({ content })));
    },

    async batchSendMarkdown(userIds, title, text) {
      return withTransientRetries('robot/oToMessages/batchSend', () =>
        batchSendRaw(userIds, 'sampleMarkdown', JSON.stringify({ title, text })),
      );
    },

    async batchSend(userIds, msgKey, msgParam) {
      const r = await batchSendRaw(userIds, msgKey, msgParam);
      if (!r.processQueryKey) {
        throw new DingtalkApiError('robot/oToMessages/batchSend', 'NO_PROCESS_QUERY_KEY', 200, null, false);
      }
      return { ...r, processQueryKey: r.processQueryKey };
    },

    async readStatus(processQueryKey) {
      const res = await withToken('robot/oToMessages/readStatus', (token) =>
        robot.batchOTOQueryWithOptions(
          new $Robot.BatchOTOQueryRequest({ robotCode: config.robotCode, processQueryKey }),
          new $Robot.BatchOTOQueryHeaders({ xAcsDingtalkAccessToken: token }),
          runtime(),
        ),
      );
      const entries: ReadInfo[] = [];
      for (const e of res.body?.messageReadInfoList ?? []) {
        if (typeof e?.userId !== 'string' || e.userId === '') continue;
        const ts = typeof e.readTimestamp === 'number' && e.readTimestamp > 0 ? e.readTimestamp : null;
        entries.push({ userId: e.userId, readStatus: typeof e.readStatus === 'string' ? e.readStatus : '', readTimestamp: ts });
      }
      return { sendStatus: typeof res.body?.sendStatus === 'string' ? res.body.sendStatus : null, entries };
    },

    legacyPost(path, body) {
      return withToken(path.replace(/^\//, ''), (token) => legacyCall(path, body, token));
    },

    async groupSendText(openConversationId, content) {
      const msgParam = JSON.stringify({ content });
      if (Buffer.byteLength(msgParam, 'utf8') > GROUP_MSG_PARAM_MAX_BYTES) {
        throw adapterError('DINGTALK_MSG_TOO_LARGE', `msgParam over ${GROUP_MSG_PARAM_MAX_BYTES} bytes`);
      }
      const res = await withTransientRetries('robot/groupMessages/send', () =>
        withToken('robot/groupMessages/send', (token) =>
          robot.orgGroupSendWithOptions(
            new $Robot.OrgGroupSendRequest({ robotCode: config.robotCode, openConversationId, msgKey: 'sampleText', msgParam }),
            new $Robot.OrgGroupSendHeaders({ xAcsDingtalkAccessToken: token }),
            runtime(),
          ),
        ),
      );
      return { processQueryKey: res.body?.processQueryKey ?? null };
    },
  };
}
