/**
 * WeCom (企业微信) self-built app limits and timings, each with the platform doc it comes from
 * (facts collected in shared/protocols.md §1). Bytes are UTF-8 bytes (a CJK character is 3 bytes),
 * times are in the unit their name says.
 */

/** Default API base (a fake server's URL in tests). developer.work.weixin.qq.com/document/path/91039 */
export const WECOM_DEFAULT_API_BASE = 'https://qyapi.weixin.qq.com';

/** Largest `text.content` of one app message (message/send), in UTF-8 bytes.
 * developer.work.weixin.qq.com/document/path/90236 */
export const WECOM_TEXT_MAX_BYTES = 2048;

/** Largest `Content` of a passive text reply, in UTF-8 bytes (longer is truncated by WeCom).
 * developer.work.weixin.qq.com/document/path/96469 */
export const WECOM_PASSIVE_TEXT_MAX_BYTES = 2048;

/** Most UserIDs in one message/send `touser` (pipe-separated). developer.work.weixin.qq.com/document/path/90236 */
export const WECOM_SEND_MAX_USERS = 1000;

/** WeCom waits this long for the answer to a POST callback, then drops the connection and retries
 * (about three times). developer.work.weixin.qq.com/document/path/96467 (protocols.md §1.4) */
export const WECOM_CALLBACK_DEADLINE_MS = 5000;

/** The GET URL verification must be answered within this time. developer.work.weixin.qq.com/document/path/91144 */
export const WECOM_VERIFY_DEADLINE_MS = 1000;

/**
 * Own budget: how long a POST callback waits for the core's answer before it answers an empty
 * 200 and delivers through message/send instead. Kept well under {@link WECOM_VERIFY_DEADLINE_MS}
 * so the whole HTTP answer (read, verify, decrypt, dedup, wait) stays under 1 s.
 */
export const WECOM_PASSIVE_REPLY_BUDGET_MS = 700;

/**
 * How long a claimed dedup key (MsgId, or FromUserName+CreateTime+Event) lives, in ms. WeCom retries
 * within about 20 s; protocols.md §7.5 asks for at least 10 minutes. developer.work.weixin.qq.com/document/path/96467
 */
export const WECOM_DEDUP_TTL_MS = 60 * 60 * 1000;

/**
 * An access token is cached for `expires_in` minus this margin (s), but never less than 90 % of
 * `expires_in`, so a short test token (expires_in 1) is still cached briefly.
 * developer.work.weixin.qq.com/document/path/91039 (expires_in is 7200 s)
 */
export const WECOM_TOKEN_REFRESH_MARGIN_S = 300;

/** Access tokens can be up to this many bytes long. developer.work.weixin.qq.com/document/path/91039 */
export const WECOM_TOKEN_MAX_BYTES = 512;

/** Timeout of one WeCom API HTTP call, in ms (own choice). */
export const WECOM_API_TIMEOUT_MS = 5000;

/** errcodes after which the same call is retried, with backoff, at most {@link WECOM_BUSY_MAX_RETRIES}
 * times: -1 system busy, 45009 frequency limit, 45033 concurrency limit.
 * developer.work.weixin.qq.com/document/path/90313 */
export const WECOM_RETRYABLE_ERRCODES: ReadonlySet<number> = new Set([-1, 45009, 45033]);

/** Most retries of one call after a retryable errcode (the docs suggest at most 3). */
export const WECOM_BUSY_MAX_RETRIES = 3;

/** First backoff delay in ms; doubled for each further retry (200, 400, 800). Own choice. */
export const WECOM_BUSY_BACKOFF_MS = 200;

/** errcodes meaning "this access token is no longer valid": refresh once and retry once.
 * 40014 invalid access_token, 42001 access_token expired. developer.work.weixin.qq.com/document/path/90313 */
export const WECOM_TOKEN_ERRCODES: ReadonlySet<number> = new Set([40014, 42001]);

/** errcode 60020: the server's IP is not in the app's 企业可信IP list. Not a token problem.
 * developer.work.weixin.qq.com/document/path/90313 */
export const WECOM_ERRCODE_IP_NOT_ALLOWED = 60020;
