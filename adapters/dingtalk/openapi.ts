import * as $Robot from '@alicloud/dingtalk/dist/robot_1_0/client.js';
import * as $Oauth2 from '@alicloud/dingtalk/dist/oauth2_1_0/client.js';
import * as $OpenApi from '@alicloud/openapi-client';
import * as $Util from '@alicloud/tea-util';
import type { Logger } from 'pino';
import { BotError, ConfigError } from '../../src/errors.ts';
import type { KeyValueStore } from '../../src/store/port.ts';
import type { DingtalkConfig } from '../../src/config.ts';
import {
  ACCESS_TOKEN_REFRESH_MARGIN_MS,
  BATCH_SEND_MAX_USER_IDS,
  GROUP_MSG_PARAM_MAX_BYTES,
  OPENAPI_CONNECT_TIMEOUT_MS,
  OPENAPI_READ_TIMEOUT_MS,
} from './limits.ts';

// The SDK is CommonJS compiled from TypeScript: under Node ESM the class is `module.exports.default`.
const RobotClient = $Robot.default.default;
const Oauth2Client = $Oauth2.default.default;

/**
 * The SDK connection settings for an API base URL (protocols.md §3.4: the protocol is always set,
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
   * A valid access token: from the shared store when cached, else fetched (one fetch at a time per
   * process) and cached for `expireIn` minus {@link ACCESS_TOKEN_REFRESH_MARGIN_MS}.
   * @throws BotError DINGTALK_API_ERROR when DingTalk refuses the credentials or cannot be reached
   */
  accessToken(): Promise<string>;
  /**
   * Sends one text (msgKey sampleText) to up to 20 employees' 1:1 chats with the robot.
   * `POST /v1.0/robot/oToMessages/batchSend`.
   * @param userIds staffIds (userid), 1..{@link BATCH_SEND_MAX_USER_IDS}
   * @param content message text (bytes limited by the caller)
   * @throws RangeError for 0 or > 20 userIds; BotError DINGTALK_API_ERROR when the call fails
   *   (after one token refresh for InvalidAuthentication / HTTP 401)
   * Source: https://open.dingtalk.com/document/orgapp/chatbots-send-one-on-one-chat-messages-in-batches
   */
  batchSendText(userIds: string[], content: string): Promise<BatchSendResult>;
  /**
   * Sends one text (msgKey sampleText) into a group the robot is in. `POST /v1.0/robot/groupMessages/send`.
   * @param openConversationId the group's conversationId from the callback
   * @param content message text; the msgParam JSON must stay ≤ {@link GROUP_MSG_PARAM_MAX_BYTES} bytes
   * @throws BotError DINGTALK_MSG_TOO_LARGE when msgParam is too large; DINGTALK_API_ERROR when the call fails
   * Source: https://open.dingtalk.com/document/orgapp/the-robot-sends-a-group-message
   */
  groupSendText(openConversationId: string, content: string): Promise<{ processQueryKey: string | null }>;
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

/** SDK error shape (protocols.md §3.4): `code`, `statusCode`, `data` = the JSON error body. */
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

/** True when DingTalk says the token is invalid or expired: HTTP 401 or code InvalidAuthentication. */
export function isTokenError(err: unknown): boolean {
  return errorStatus(err) === 401 || /^InvalidAuthentication/.test(errorCode(err));
}

function apiError(call: string, err: unknown): BotError {
  const status = errorStatus(err);
  return new BotError(
    'DINGTALK_API_ERROR',
    `${call} failed: ${errorCode(err)}${status !== null ? ` (HTTP ${status})` : ''}`,
    { status: 502, cause: err },
  );
}

/**
 * Creates the OpenAPI client (@alicloud/dingtalk oauth2_1_0 + robot_1_0) for one app.
 * @param config appKey/appSecret/robotCode/apiBase
 * @param kv shared store for the token cache (key {@link accessTokenKey})
 * @throws ConfigError for a bad apiBase
 */
export function createDingtalkOpenApi(config: DingtalkConfig, kv: KeyValueStore, log: Logger): DingtalkOpenApi {
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
  let inFlight: Promise<string> | null = null;

  async function fetchToken(): Promise<string> {
    let body: $Oauth2.GetAccessTokenResponseBody | undefined;
    try {
      const res = await oauth.getAccessTokenWithOptions(
        new $Oauth2.GetAccessTokenRequest({ appKey: config.appKey, appSecret: config.appSecret }),
        {},
        runtime(),
      );
      body = res.body;
    } catch (err) {
      throw apiError('oauth2/accessToken', err);
    }
    const token = body?.accessToken;
    const expireIn = body?.expireIn;
    if (typeof token !== 'string' || token === '' || typeof expireIn !== 'number' || !(expireIn > 0)) {
      throw new BotError('DINGTALK_API_ERROR', 'oauth2/accessToken answered without accessToken/expireIn', { status: 502 });
    }
    await kv.set(key, token, tokenCacheTtlMs(expireIn));
    log.info({ platform: 'dingtalk', expireIn }, 'access token refreshed');
    return token;
  }

  async function accessToken(): Promise<string> {
    const cached = await kv.get(key);
    if (cached) return cached;
    if (!inFlight) {
      inFlight = (async () => (await kv.get(key)) ?? (await fetchToken()))().finally(() => {
        inFlight = null;
      });
    }
    return inFlight;
  }

  /** Drops `token` from the cache unless another instance already replaced it. */
  async function invalidate(token: string): Promise<void> {
    if ((await kv.get(key)) === token) await kv.delete(key);
  }

  async function withToken<T>(call: string, fn: (token: string) => Promise<T>): Promise<T> {
    const token = await accessToken();
    try {
      return await fn(token);
    } catch (err) {
      if (!isTokenError(err)) throw apiError(call, err);
      log.warn({ platform: 'dingtalk', call, code: errorCode(err) }, 'access token rejected; refreshing once');
      await invalidate(token);
      const fresh = await accessToken();
      try {
        return await fn(fresh);
      } catch (err2) {
        throw apiError(call, err2);
      }
    }
  }

  return {
    accessToken,

    async batchSendText(userIds, content) {
      if (userIds.length === 0 || userIds.length > BATCH_SEND_MAX_USER_IDS) {
        throw new RangeError(`batchSend takes 1..${BATCH_SEND_MAX_USER_IDS} userIds, got ${userIds.length}`);
      }
      const msgParam = JSON.stringify({ content });
      const res = await withToken('robot/oToMessages/batchSend', (token) =>
        robot.batchSendOTOWithOptions(
          new $Robot.BatchSendOTORequest({ robotCode: config.robotCode, userIds, msgKey: 'sampleText', msgParam }),
          new $Robot.BatchSendOTOHeaders({ xAcsDingtalkAccessToken: token }),
          runtime(),
        ),
      );
      return {
        processQueryKey: res.body?.processQueryKey ?? null,
        invalidStaffIdList: res.body?.invalidStaffIdList ?? [],
        flowControlledStaffIdList: res.body?.flowControlledStaffIdList ?? [],
      };
    },

    async groupSendText(openConversationId, content) {
      const msgParam = JSON.stringify({ content });
      if (Buffer.byteLength(msgParam, 'utf8') > GROUP_MSG_PARAM_MAX_BYTES) {
        throw new BotError('DINGTALK_MSG_TOO_LARGE', `msgParam over ${GROUP_MSG_PARAM_MAX_BYTES} bytes`, { status: 500 });
      }
      const res = await withToken('robot/groupMessages/send', (token) =>
        robot.orgGroupSendWithOptions(
          new $Robot.OrgGroupSendRequest({ robotCode: config.robotCode, openConversationId, msgKey: 'sampleText', msgParam }),
          new $Robot.OrgGroupSendHeaders({ xAcsDingtalkAccessToken: token }),
          runtime(),
        ),
      );
      return { processQueryKey: res.body?.processQueryKey ?? null };
    },
  };
}
