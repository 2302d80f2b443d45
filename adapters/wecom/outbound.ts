import { setTimeout as sleepMs } from 'node:timers/promises';
import type { Logger } from 'pino';
import { BotError } from '../../src/errors.ts';
import type { KeyValueStore } from '../../src/store/ports/store.ts';
import { createSharedToken, type FetchedToken } from '../kit/token-cache.ts';
import { backoffWithJitterMs } from '../kit/backoff.ts';
import type { HealthReporter } from '../../src/platform/health.ts';
import type { Reply } from '../../src/platform/message.ts';
import { isWebUrl } from '../../src/reply-links.ts';
import {
  WECOM_API_TIMEOUT_MS,
  WECOM_BUSY_BACKOFF_MS,
  WECOM_BUSY_MAX_RETRIES,
  WECOM_ERRCODE_IP_NOT_ALLOWED,
  WECOM_REPLY_DUPLICATE_CHECK_S,
  WECOM_RETRYABLE_ERRCODES,
  WECOM_TEXT_MAX_BYTES,
  WECOM_TOKEN_ERRCODES,
  WECOM_TOKEN_REFRESH_MARGIN_S,
} from './limits.ts';
import { splitByBytes } from '../kit/split.ts';
import { ADAPTER_ERRORS, adapterError } from '../errors.ts';

/**
 * A small WeCom server-API client for one self-built app (corpid + agentid + secret):
 * access-token caching in the shared store, `message/send` text, reply splitting.
 * Docs: gettoken developer.work.weixin.qq.com/document/path/91039, message/send /path/90236,
 * error codes /path/90313; docs/PROTOCOLS.md §1.6, §8.3, §8.4.
 *
 * Errors (BotError, status 502 — the platform, not our caller, failed):
 * - WECOM_IP_NOT_ALLOWED: errcode 60020, the server IP is not in the app's 企业可信IP list; the message
 *   names the IP WeCom saw. Never triggers a token refresh or a retry.
 * - WECOM_TOKEN_FAILED: gettoken answered an errcode (40001 wrong secret, 40013 wrong corpid, …).
 * - WECOM_API_ERROR: any other errcode (after the retries below); `errcode` holds it.
 * - WECOM_API_UNREACHABLE: network error, timeout, HTTP status ≠ 200 or a body that is not JSON.
 * - WECOM_RECIPIENT_INVALID: message/send accepted the call but listed the user as invalid/unlicensed.
 * Retries: errcode 40014/42001 -> refresh the token once and retry once; -1/45009/45033, a network
 * error, a timeout, HTTP 5xx/429 or a body that is not JSON -> at most 3 retries (default; 0 for
 * callers that reschedule themselves, e.g. the notice worker) with exponential backoff and jitter
 * (../backoff.ts: 200, 400, 800 ms, each between half and all of it). A POST that failed in transit
 * may have been delivered: reply texts are therefore sent with WeCom's duplicate check over
 * {@link WECOM_REPLY_DUPLICATE_CHECK_S}, so a retried send is not shown twice.
 */

/** An error answer from the WeCom API (errcode ≠ 0). */
export class WecomApiError extends BotError {
  readonly errcode: number;
  readonly errmsg: string;
  constructor(code: string, message: string, errcode: number, errmsg: string) {
    super(code, message, { status: 502 });
    this.name = 'WecomApiError';
    this.errcode = errcode;
    this.errmsg = errmsg;
  }
}

/**
 * WECOM_API_UNREACHABLE: no answer (network error, timeout), an HTTP status other than 200, or a
 * body that is not JSON. `retryable` for network errors, timeouts, 5xx, 429 and non-JSON bodies.
 */
export class WecomUnreachableError extends BotError {
  constructor(message: string, readonly retryable: boolean, cause?: unknown) {
    super('WECOM_API_UNREACHABLE', message, { status: ADAPTER_ERRORS.WECOM_API_UNREACHABLE.status, cause });
    this.name = 'WecomUnreachableError';
  }
}

/** Every WeCom API JSON answer carries these two. */
export interface WecomApiResponse {
  errcode: number;
  errmsg: string;
  [field: string]: unknown;
}

/** message/send's answer (invalid* list recipients WeCom did not deliver to). */
export interface WecomSendResponse extends WecomApiResponse {
  invaliduser?: string;
  invalidparty?: string;
  invalidtag?: string;
  unlicenseduser?: string;
  msgid?: string;
}

export interface WecomClientOptions {
  corpId: string;
  agentId: number;
  secret: string;
  /** API base without trailing slash, e.g. https://qyapi.weixin.qq.com or a fake's URL. */
  apiBase: string;
  /** Shared store for the access-token cache (key {@link tokenCacheKey}). */
  kv: KeyValueStore;
  log: Logger;
  /** Timeout of one HTTP call in ms (default {@link WECOM_API_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** First backoff in ms after a busy errcode, doubled per retry (default {@link WECOM_BUSY_BACKOFF_MS}). */
  backoffMs?: number;
  /** Most retries after busy errcodes (default {@link WECOM_BUSY_MAX_RETRIES}). */
  maxBusyRetries?: number;
  /**
   * Store key of the token cache (default {@link tokenCacheKey}(corpId, agentId)). Each secret needs
   * its own token (docs/PROTOCOLS.md §1.6): give another secret (the archive's) its own key.
   */
  tokenCacheKey?: string;
  /** Environment variable of the secret, named in gettoken errors (default 'WECOM_SECRET'). */
  secretName?: string;
  /** Told about token failures (wrong secret…) and recoveries, under the name 'wecom' (or 'wecom:<secretName>'). */
  health?: HealthReporter;
  /** Counts every HTTP exchange by API path and result: the errcode, 'http_<status>' or 'unreachable' (metrics). */
  observe?: (api: string, code: string) => void;
}

/** Per-call options of {@link WecomClient.call}. */
export interface WecomCallOptions {
  query?: Record<string, string>;
  body?: unknown;
  /** Retries after -1/45009/45033 for this call (default: the client's maxBusyRetries). 0 = the
   * errcode is thrown at once as WecomApiError (callers that reschedule themselves). */
  busyRetries?: number;
}

export interface WecomClient {
  /** A valid access token: from the store cache, else from gettoken — one request at a time across
   * all instances sharing the store (a lock in the store; ../token-cache.ts). The cache is
   * best-effort: when the store fails, a token is fetched anyway (and a warning logged). */
  getAccessToken(): Promise<string>;
  /**
   * Calls a token-authenticated API (`access_token` is added to the query) and returns the answer
   * when errcode is 0, handling token refresh, busy retries and 60020 as described above.
   * @param path e.g. '/cgi-bin/message/send'
   * @throws WecomApiError / BotError with the codes listed in the module doc
   */
  call<T extends WecomApiResponse = WecomApiResponse>(method: 'GET' | 'POST', path: string, options?: WecomCallOptions): Promise<T>;
  /**
   * Sends `text` to one member as app text messages: split into parts of ≤ 2048 UTF-8 bytes
   * ({@link splitForWecom}) and sent in order, each after the previous one succeeded.
   * @param userId one UserID (no '|')
   * @returns the number of messages sent (0 for empty text)
   * @throws as {@link call}; BotError WECOM_BAD_ARGUMENT for an empty or multi-user userId
   */
  sendText(userId: string, text: string): Promise<number>;
}

/** Store key of the cached access token of one app: 'token:wecom:<corpid>:<agentid>'. */
export function tokenCacheKey(corpId: string, agentId: number): string {
  return `token:wecom:${corpId}:${agentId}`;
}

/**
 * How long to cache a token, in ms: `expires_in` minus {@link WECOM_TOKEN_REFRESH_MARGIN_S}, but at
 * least 90 % of `expires_in`; 0 (do not cache) when expires_in is not a positive number.
 */
export function tokenCacheTtlMs(expiresInS: number): number {
  if (!Number.isFinite(expiresInS) || expiresInS <= 0) return 0;
  const margin = Math.min(WECOM_TOKEN_REFRESH_MARGIN_S, expiresInS * 0.1);
  return Math.floor((expiresInS - margin) * 1000);
}

/** Creates a client; it holds no connection, so there is nothing to close. */
export function createWecomClient(options: WecomClientOptions): WecomClient {
  const timeoutMs = options.timeoutMs ?? WECOM_API_TIMEOUT_MS;
  const backoffMs = options.backoffMs ?? WECOM_BUSY_BACKOFF_MS;
  const maxBusyRetries = options.maxBusyRetries ?? WECOM_BUSY_MAX_RETRIES;
  const cacheKey = options.tokenCacheKey ?? tokenCacheKey(options.corpId, options.agentId);
  const secretName = options.secretName ?? 'WECOM_SECRET';
  const healthName = secretName === 'WECOM_SECRET' ? 'wecom' : `wecom:${secretName}`;
  const log = options.log;

  /** One HTTP exchange; returns the parsed JSON answer. */
  async function exchange(method: 'GET' | 'POST', path: string, query: Record<string, string>, body: unknown): Promise<WecomApiResponse> {
    const url = `${options.apiBase}${path}?${new URLSearchParams(query).toString()}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      options.observe?.(path, 'unreachable');
      const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'network error';
      throw new WecomUnreachableError(`WeCom ${path}: ${reason}`, true, err);
    }
    const raw = await res.text().catch(() => '');
    if (res.status !== 200) {
      options.observe?.(path, `http_${res.status}`);
      // 5xx and 429: the platform (or a gateway before it) failed for now; other statuses will not change.
      throw new WecomUnreachableError(`WeCom ${path}: HTTP ${res.status}`, res.status >= 500 || res.status === 429);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      // An HTML error page of a gateway in between, as a rule.
      throw new WecomUnreachableError(`WeCom ${path}: answer is not JSON`, true);
    }
    const answer = parsed as Partial<WecomApiResponse> | null;
    if (answer === null || typeof answer !== 'object') {
      throw adapterError('WECOM_API_UNREACHABLE', `WeCom ${path}: answer is not a JSON object`);
    }
    const errcode = Number(answer.errcode ?? 0);
    options.observe?.(path, String(errcode));
    return { ...answer, errcode, errmsg: String(answer.errmsg ?? '') } as WecomApiResponse;
  }

  /**
   * An exchange with the busy/transport retries. Token errcodes are returned to the caller, and so is
   * every other non-retryable errcode (callers decide); 60020 throws at once.
   */
  async function exchangeWithRetries(
    method: 'GET' | 'POST',
    path: string,
    query: Record<string, string>,
    body: unknown,
    busyRetries: number = maxBusyRetries,
  ): Promise<WecomApiResponse> {
    for (let retry = 0; ; retry++) {
      let answer: WecomApiResponse;
      try {
        answer = await exchange(method, path, query, body);
      } catch (err) {
        if (err instanceof WecomUnreachableError && err.retryable && retry < busyRetries) {
          log.warn({ path, retry: retry + 1, err: err.message }, 'wecom api unreachable, retrying');
          await sleepMs(backoffWithJitterMs(backoffMs, retry));
          continue;
        }
        throw err;
      }
      if (answer.errcode === WECOM_ERRCODE_IP_NOT_ALLOWED) throw ipNotAllowed(path, answer.errmsg);
      if (WECOM_RETRYABLE_ERRCODES.has(answer.errcode) && retry < busyRetries) {
        log.warn({ path, errcode: answer.errcode, retry: retry + 1 }, 'wecom api busy, retrying');
        await sleepMs(backoffWithJitterMs(backoffMs, retry));
        continue;
      }
      return answer;
    }
  }

  async function fetchToken(): Promise<FetchedToken> {
    const answer = await exchangeWithRetries('GET', '/cgi-bin/gettoken', { corpid: options.corpId, corpsecret: options.secret }, undefined);
    const token = answer['access_token'];
    if (answer.errcode !== 0 || typeof token !== 'string' || token === '') {
      options.health?.(healthName, { code: 'WECOM_TOKEN_FAILED', message: `gettoken errcode ${answer.errcode} ${short(answer.errmsg)} (check WECOM_CORP_ID and ${secretName})` });
      throw new WecomApiError(
        'WECOM_TOKEN_FAILED',
        `WeCom gettoken failed: errcode ${answer.errcode} ${short(answer.errmsg)} (check WECOM_CORP_ID and ${secretName})`,
        answer.errcode,
        answer.errmsg,
      );
    }
    options.health?.(healthName, null);
    log.info({ expiresInS: Number(answer['expires_in']) }, 'wecom access token refreshed');
    return { token, ttlMs: tokenCacheTtlMs(Number(answer['expires_in'])) };
  }

  // Single flight across instances (store lock) and within this process; the cache is an
  // optimisation, so a store outage never stops replies (../token-cache.ts).
  const shared = createSharedToken({ kv: options.kv, cacheKey, fetch: fetchToken, log, platform: 'wecom' });
  const getAccessToken = (): Promise<string> => shared.get();
  const invalidate = (token: string): Promise<void> => shared.invalidate(token);

  async function call<T extends WecomApiResponse = WecomApiResponse>(
    method: 'GET' | 'POST',
    path: string,
    callOptions: WecomCallOptions = {},
  ): Promise<T> {
    let token = await getAccessToken();
    for (let tokenRetry = 0; ; tokenRetry++) {
      const answer = await exchangeWithRetries(
        method,
        path,
        { ...callOptions.query, access_token: token },
        callOptions.body,
        callOptions.busyRetries ?? maxBusyRetries,
      );
      if (answer.errcode === 0) return answer as T;
      if (WECOM_TOKEN_ERRCODES.has(answer.errcode) && tokenRetry === 0) {
        log.warn({ path, errcode: answer.errcode }, 'wecom access token rejected, refreshing once');
        await invalidate(token);
        token = await getAccessToken();
        continue;
      }
      throw new WecomApiError(
        'WECOM_API_ERROR',
        `WeCom ${path} failed: errcode ${answer.errcode} ${short(answer.errmsg)}`,
        answer.errcode,
        answer.errmsg,
      );
    }
  }

  async function sendText(userId: string, text: string): Promise<number> {
    if (userId === '' || userId.includes('|')) {
      throw adapterError('WECOM_BAD_ARGUMENT', 'sendText needs exactly one UserID');
    }
    const parts = splitForWecom(text);
    for (const content of parts) {
      const answer = await call<WecomSendResponse>('POST', '/cgi-bin/message/send', {
        body: {
          touser: userId,
          msgtype: 'text',
          agentid: options.agentId,
          text: { content },
          safe: 0,
          // A retry after a timeout or a 5xx must not show the text twice (see the module doc).
          enable_duplicate_check: 1,
          duplicate_check_interval: WECOM_REPLY_DUPLICATE_CHECK_S,
        },
      });
      if (answer.invaliduser || answer.unlicenseduser) {
        throw new WecomApiError(
          'WECOM_RECIPIENT_INVALID',
          'WeCom message/send did not deliver: the member is invalid, outside the app\'s visible range, or unlicensed',
          answer.errcode,
          answer.errmsg,
        );
      }
    }
    return parts.length;
  }

  return { getAccessToken, call, sendText };
}

function ipNotAllowed(path: string, errmsg: string): WecomApiError {
  const ip = /from ip:\s*([0-9A-Fa-f.:]+)/.exec(errmsg)?.[1] ?? 'unknown (not in errmsg)';
  return new WecomApiError(
    'WECOM_IP_NOT_ALLOWED',
    `WeCom ${path} refused this server's IP ${ip} (errcode 60020): add ${ip} to the app's 企业可信IP list in the WeCom admin console`,
    WECOM_ERRCODE_IP_NOT_ALLOWED,
    errmsg,
  );
}

/** errmsg trimmed to 200 characters for error messages. */
function short(errmsg: string): string {
  return errmsg.length > 200 ? `${errmsg.slice(0, 200)}…` : errmsg;
}

/**
 * Splits `text` into ordered parts of at most `maxBytes` UTF-8 bytes each, so that
 * `parts.join('') === text` (adapters/kit/split.ts `splitByBytes`: cuts after a line break, a
 * sentence end or a space within the last half of a part). Empty text gives [].
 * @param maxBytes default {@link WECOM_TEXT_MAX_BYTES} (2048); must be ≥ 4 (one code point)
 * @throws BotError WECOM_BAD_ARGUMENT when maxBytes < 4
 */
export function splitForWecom(text: string, maxBytes: number = WECOM_TEXT_MAX_BYTES): string[] {
  if (!(maxBytes >= 4)) throw adapterError('WECOM_BAD_ARGUMENT', 'maxBytes must be at least 4');
  return splitByBytes(text, maxBytes);
}

/** `<` and `>` in a link title as full-width characters, so the text message never sees another tag. */
function linkTitle(title: string): string {
  // Whitespace runs with a line break become one space (/\s*\n\s*/ would take quadratic time on long runs).
  return title.replace(/\s+/g, (run: string) => (run.includes('\n') ? ' ' : run)).replace(/</g, '＜').replace(/>/g, '＞');
}

/**
 * The app text messages (message/send `text`) of one reply, in order, each at most `maxBytes` UTF-8 bytes.
 * A text message renders `<a href="…">…</a>` as a link, in the WeCom client and in WeChat
 * (developer.work.weixin.qq.com/document/path/90236: "支持换行、以及A标签"), so a reply's links (an answer's
 * sources) are sent that way: the whole reply as one message when it fits; else the text before the links
 * split by {@link splitForWecom} and the links block as its own message (a tag is never cut); when even the
 * links block does not fit, the plain text with "title: url" lines, split. Replies without links: split text.
 * Only http(s) URLs become tags; the URL is serialised by WHATWG URL, so it holds no `"`.
 */
export function wecomTextMessages(reply: Pick<Reply, 'text' | 'links'>, maxBytes: number = WECOM_TEXT_MAX_BYTES): string[] {
  if (!reply.links) return splitForWecom(reply.text, maxBytes);
  const { before, heading, items } = reply.links;
  const lines = items.map((l) => (isWebUrl(l.url) ? `- <a href="${new URL(l.url).href}">${linkTitle(l.title)}</a>` : `- ${l.title}: ${l.url}`));
  const block = [heading, ...lines].join('\n');
  const whole = `${before}\n\n${block}`;
  if (Buffer.byteLength(whole, 'utf8') <= maxBytes) return [whole];
  if (Buffer.byteLength(block, 'utf8') <= maxBytes) return [...splitForWecom(before, maxBytes), block];
  return splitForWecom(reply.text, maxBytes);
}
