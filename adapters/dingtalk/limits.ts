/**
 * DingTalk (钉钉) enterprise internal app robot: every platform number the adapter relies on, with
 * the page it comes from (see ../shared/protocols.md §3). Units are in the names: _MS milliseconds,
 * _BYTES UTF-8 bytes (measure with Buffer.byteLength, never String.length).
 */

/**
 * Largest accepted |now − timestamp| of the callback `timestamp` header: 1 hour.
 * Source: https://open.dingtalk.com/document/orgapp/receive-message (HTTP mode, header check).
 */
export const SIGN_WINDOW_MS = 3_600_000;

/**
 * At most this many userIds per `POST /v1.0/robot/oToMessages/batchSend` call.
 * Source: https://open.dingtalk.com/document/orgapp/chatbots-send-one-on-one-chat-messages-in-batches
 */
export const BATCH_SEND_MAX_USER_IDS = 20;

/**
 * Largest `msgParam` (the JSON string) of `POST /v1.0/robot/groupMessages/send`, in bytes.
 * Source: https://open.dingtalk.com/document/orgapp/the-robot-sends-a-group-message
 */
export const GROUP_MSG_PARAM_MAX_BYTES = 15_000;

/**
 * A `sessionWebhook` is used only while `sessionWebhookExpiredTime` is more than this many ms in the
 * future. DingTalk's clock and ours may differ by some seconds, and the webhook is sometimes gone
 * earlier than announced (protocols.md §3.2 and pitfall #6), so one minute is kept in hand; past it
 * the reply goes through the OpenAPI instead.
 * Source: https://open.dingtalk.com/document/orgapp/receive-message (sessionWebhookExpiredTime, ms).
 */
export const SESSION_WEBHOOK_SAFETY_MARGIN_MS = 60_000;

/**
 * Hosts a `sessionWebhook` may point at in production (https only). The callback signature covers
 * the timestamp only, not the body, so a captured header pair could carry a forged body for up to
 * an hour; refusing foreign webhook hosts keeps answers from being posted anywhere but DingTalk.
 * When `DingtalkConfig.apiBase` is not api.dingtalk.com (a local fake), its origin is allowed instead.
 * Source: observed webhook form `https://oapi.dingtalk.com/robot/sendBySession?session=…`
 * (https://open.dingtalk.com/document/orgapp/receive-message).
 */
export const SESSION_WEBHOOK_HOSTS: readonly string[] = ['oapi.dingtalk.com', 'api.dingtalk.com'];

/**
 * How long a callback `msgId` is remembered (ms): 2 hours. protocols.md §7.5 asks for ≥ 10 minutes;
 * a signed request stays acceptable while its timestamp is within ±1 h of our clock, so a replay of
 * the same message can arrive up to 2 × {@link SIGN_WINDOW_MS} after the first copy.
 */
export const DEDUP_TTL_MS = 2 * SIGN_WINDOW_MS;

/**
 * Largest text part we send, in UTF-8 bytes; longer replies are split into ordered parts.
 * DingTalk documents no text limit for `sessionWebhook`; the tightest documented limit on our paths
 * is {@link GROUP_MSG_PARAM_MAX_BYTES} for the whole msgParam `{"content":"…"}`. JSON escaping at
 * most doubles a part once control characters other than \n and \t are removed (we remove them), so
 * 6 000 bytes + an "@nick " prefix (≤ {@link SENDER_NICK_PREFIX_MAX_CHARS} characters) + 14 bytes
 * of JSON always fit. One size for every path means a fallback never has to re-split.
 */
export const TEXT_PART_MAX_BYTES = 6_000;

/** Longest senderNick (characters) used in an "@nick " prefix on groupMessages/send; longer ones are cut. */
export const SENDER_NICK_PREFIX_MAX_CHARS = 64;

/**
 * The cached access token is dropped this many ms before DingTalk's `expireIn` ends (5 minutes).
 * For tokens that live less than twice this long, 90 % of the lifetime is used instead.
 * Source: https://open.dingtalk.com/document/orgapp/obtain-the-access_token-of-an-internal-app
 * (`expireIn` in seconds, 7200).
 */
export const ACCESS_TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

/** Timeout of one sessionWebhook POST (ms). */
export const SESSION_WEBHOOK_TIMEOUT_MS = 5_000;

/** OpenAPI (api.dingtalk.com) connect timeout (ms), passed to the SDK's RuntimeOptions. */
export const OPENAPI_CONNECT_TIMEOUT_MS = 5_000;

/** OpenAPI read timeout (ms), passed to the SDK's RuntimeOptions. */
export const OPENAPI_READ_TIMEOUT_MS = 10_000;

/**
 * The sessionWebhook's "session does not exist" (expired) errcode; the reply then goes through the OpenAPI.
 * Source: protocols.md §3.2 (`{"errcode":300001,"errmsg":"session 不存在"}`).
 */
export const SESSION_WEBHOOK_EXPIRED_ERRCODE = 300001;
