/**
 * DingTalk (钉钉) enterprise internal app robot: every platform number the adapter relies on, with
 * the page it comes from (see docs/PROTOCOLS.md §3). Units are in the names: _MS milliseconds,
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
 * earlier than announced (docs/PROTOCOLS.md §3.2 and pitfall #6), so one minute is kept in hand; past it
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
 * How long a callback `msgId` is remembered (ms): 2 hours. docs/PROTOCOLS.md §7.5 asks for ≥ 10 minutes;
 * a signed request stays acceptable while its timestamp is within ±1 h of our clock, so a replay of
 * the same message can arrive up to 2 × {@link SIGN_WINDOW_MS} after the first copy.
 */
export const DEDUP_TTL_MS = 2 * SIGN_WINDOW_MS;

/**
 * Longest `text.content` of a message an employee sends the robot, in UTF-8 bytes; longer text is cut
 * to it (at a character boundary) before anything reads it, and the message is marked `truncated`.
 * DingTalk documents no length for received messages (https://open.dingtalk.com/document/orgapp/receive-message
 * gives none); this is the largest robot text it documents, {@link GROUP_MSG_PARAM_MAX_BYTES} for a whole
 * msgParam (https://open.dingtalk.com/document/orgapp/the-robot-sends-a-group-message). At least 5 000
 * Chinese characters, far more than a question.
 */
export const INBOUND_TEXT_MAX_BYTES = GROUP_MSG_PARAM_MAX_BYTES;

/**
 * Largest text part we send, in UTF-8 bytes; longer replies are split into ordered parts.
 * DingTalk documents no text limit for `sessionWebhook`; the tightest documented limit on our paths
 * is {@link GROUP_MSG_PARAM_MAX_BYTES} for the whole msgParam `{"content":"…"}`. JSON escaping at
 * most doubles a part once control characters other than \n and \t are removed (we remove them), so
 * 6 000 bytes + an "@nick " prefix (≤ {@link SENDER_NICK_PREFIX_MAX_CHARS} characters) + 14 bytes
 * of JSON always fit. One size for every path means a fallback never has to re-split.
 */
export const TEXT_PART_MAX_BYTES = 6_000;

/**
 * Longest `title` of a markdown reply, in characters: DingTalk shows it in the chat list and the push
 * notification, not in the message (docs/PROTOCOLS.md §3.2 `markdown.title`). Cut from the reply's first line.
 */
export const MARKDOWN_TITLE_MAX_CHARS = 64;

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

/**
 * Largest sessionWebhook answer read, in bytes (64 KiB); the real one is a few dozen bytes
 * (`{"errcode":0,"errmsg":"ok"}`, docs/PROTOCOLS.md §3.2). A larger one counts as an answer without
 * errcode (the reply then goes through the OpenAPI). Own choice.
 */
export const SESSION_WEBHOOK_MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * Retries of one reply send (oToMessages/batchSend, groupMessages/send) after a transient failure:
 * no readable answer (network, reset, timeout, a gateway's error page) or HTTP 5xx. Own choice.
 * A send that timed out may have been delivered: DingTalk has no duplicate check, so such a retry
 * can show the reply twice; losing the answer is the worse outcome (as for the sessionWebhook).
 */
export const SEND_TRANSIENT_RETRIES = 3;

/**
 * Retries of one reply send after a per-second throttle (429 / QpsLimitForApi / 90018…), each after
 * {@link THROTTLE_RETRY_MS} plus a random part of up to as much again. Own choice: a burst of
 * replies beyond 20 calls/s per app is spread over up to ~10 s instead of being dropped.
 */
export const SEND_THROTTLE_RETRIES = 5;

/** First delay before a transient-failure retry, in ms; doubled each time, with jitter (200, 400, 800 at most). Own choice. */
export const SEND_RETRY_BACKOFF_MS = 200;

/** OpenAPI (api.dingtalk.com) connect timeout (ms), passed to the SDK's RuntimeOptions. */
export const OPENAPI_CONNECT_TIMEOUT_MS = 5_000;

/** OpenAPI read timeout (ms), passed to the SDK's RuntimeOptions. */
export const OPENAPI_READ_TIMEOUT_MS = 10_000;

/**
 * The sessionWebhook's "session does not exist" (expired) errcode; the reply then goes through the OpenAPI.
 * Source: docs/PROTOCOLS.md §3.2 (`{"errcode":300001,"errmsg":"session 不存在"}`).
 */
export const SESSION_WEBHOOK_EXPIRED_ERRCODE = 300001;

/**
 * Per-app, per-API call rate of an enterprise internal app, in calls per second. UNVERIFIED: the
 * call-frequency page gives 20 for internal apps (errcode 90018 when exceeded); the robot APIs may
 * have their own numbers (docs/PROTOCOLS.md §9 item 6).
 * Source: https://help.dingtalk.io/open/development/call-frequency-limit (docs/PROTOCOLS.md §3.4).
 */
export const API_QPS_PER_APP = 20;

/**
 * Share of {@link API_QPS_PER_APP} the adapter actually uses (0.9 → 18 calls/s): timers and the
 * network shift requests by a few ms, and a server that counts a sliding one-second window would
 * see 21 calls in one second if we paced at exactly 20.
 */
export const PACE_HEADROOM = 0.9;

/**
 * How long a whole batch waits after DingTalk throttled it (HTTP 429, `Forbidden.AccessDenied.QpsLimitForApi`,
 * errcode 90002 / 90018 / 90019 / 130101, …), in ms: the limits are per second, so one second.
 * Source: https://help.dingtalk.io/open/development/call-frequency-limit (docs/PROTOCOLS.md §3.4).
 */
export const THROTTLE_RETRY_MS = 1_000;

/**
 * How long to wait after the per-IP ban answer `{"status":1111,"wait":5,"punish":"deny"}` (more than
 * 10 000 requests in 20 s from one IP), in ms: the ban lasts 5 minutes.
 * Source: https://help.dingtalk.io/open/development/call-frequency-limit (docs/PROTOCOLS.md §3.4).
 */
export const IP_BAN_RETRY_MS = 5 * 60_000;

/**
 * Legacy (oapi.dingtalk.com) errcodes and new-API codes that mean "too many calls, try again later".
 * 90002 global API limit, 90018 per-app QPS (internal apps), 90019 per-app per-org QPS (ISV),
 * 130101 and 88 / -1 / 410100 seen as transient in production code (UNVERIFIED meanings).
 * Source: https://help.dingtalk.io/open/development/call-frequency-limit (docs/PROTOCOLS.md §3.4).
 */
export const THROTTLE_ERRCODES: readonly number[] = [90002, 90018, 90019, 130101];

/** New-API (api.dingtalk.com) error codes that mean throttling (exact spelling UNVERIFIED, docs/PROTOCOLS.md §3.4). */
export const THROTTLE_API_CODES: readonly string[] = [
  'Forbidden.AccessDenied.QpsLimitForApi',
  'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi',
  'Throttling',
  'Throttling.Api',
  'Throttling.User',
];

/**
 * Legacy errcodes for a bad or expired access_token on oapi.dingtalk.com: 40014 (不合法的access_token),
 * 42001 (access_token 超时). The token is refreshed once. UNVERIFIED beyond common SDK tables.
 */
export const LEGACY_TOKEN_ERRCODES: readonly number[] = [40014, 42001];

/**
 * The root department's dept_id; "everyone" is every user under it.
 * Source: https://open.dingtalk.com/document/orgapp/obtain-the-department-list-v2 (`dept_id` 1 = root).
 */
export const ROOT_DEPT_ID = 1;

/**
 * Largest page of `POST /topapi/user/listsimple` (`size` ≤ 100; paging by `cursor` / `next_cursor`).
 * Source: https://open.dingtalk.com/document/orgapp/queries-the-simple-information-of-a-department-user
 */
export const USER_LIST_PAGE_SIZE = 100;

/**
 * Largest msgParam of a notice sent with oToMessages/batchSend, in bytes. DingTalk documents
 * 15 000 bytes for groupMessages/send; the same bound is assumed for batchSend (UNVERIFIED).
 */
export const NOTICE_MSG_PARAM_MAX_BYTES = GROUP_MSG_PARAM_MAX_BYTES;

/**
 * Longest `title` of a sampleMarkdown message (shown in the chat list and the push notification),
 * in characters. DingTalk documents no limit; longer titles are cut (own choice).
 */
export const NOTICE_TITLE_MAX_CHARS = 64;

/**
 * Directory walk: how many listsub / listsimple calls one audience resolution keeps in flight
 * (each is still paced to the per-API rate). Own choice.
 */
export const DIRECTORY_CONCURRENCY = 4;

/** Attempts per directory call when DingTalk throttles it (each waits {@link THROTTLE_RETRY_MS} first). Own choice. */
export const DIRECTORY_THROTTLE_ATTEMPTS = 5;

/**
 * Stream mode: delay before the SDK reconnects after a dropped connection or a failed attempt, in ms
 * (dingtalk-stream's own `reconnectInterval`, 1 s).
 * Source: npm dingtalk-stream@2.1.5 dist/client.mjs (docs/PROTOCOLS.md §3.3).
 */
export const STREAM_RECONNECT_INTERVAL_MS = 1_000;

/**
 * Stream mode: DingTalk re-pushes a CALLBACK frame that was not acknowledged after about this many
 * ms (documented in the SDK's JSDoc of `socketCallBackResponse`). {@link DEDUP_TTL_MS} is far longer,
 * so a re-push is always recognised.
 * Source: npm dingtalk-stream@2.1.5 dist/client.mjs (docs/PROTOCOLS.md §3.3, pitfall #7).
 */
export const STREAM_REPUSH_AFTER_MS = 60_000;

/**
 * HTTP mode: how long a message that changes state (a "确认", an admin's "yes") may take to be
 * recorded before the callback must be answered, in ms. Past it the callback is answered 503 and
 * not acknowledged (DingTalk never sends a message again after a 200). DingTalk does not publish
 * its robot HTTP timeout (docs/PROTOCOLS.md §9 items 5 and 7; 1.5 s is the figure usually quoted for
 * its callbacks), so the commonly quoted 1.5 s is used as the bound. Own choice.
 */
export const HTTP_COMMIT_DEADLINE_MS = 1_500;
/**
 * HTTP mode: the dedup claim's lifetime while a message is being recorded, in ms (then it gets
 * {@link DEDUP_TTL_MS}). Longer than {@link HTTP_COMMIT_DEADLINE_MS}, so a second copy arriving while
 * the first is recorded is a duplicate; short, so a copy sent after a crash is handled. Own choice.
 */
export const HTTP_COMMIT_LEASE_MS = 2_500;
/**
 * Stream mode: how long a message that changes state may take to be recorded before it is left
 * unacknowledged (DingTalk then pushes it again after about {@link STREAM_REPUSH_AFTER_MS}), in ms.
 * Own choice, well inside the re-push delay.
 */
export const STREAM_COMMIT_DEADLINE_MS = 10_000;
/**
 * Stream mode: the dedup claim's lifetime while a message is being recorded, in ms. Shorter than
 * {@link STREAM_REPUSH_AFTER_MS}, so the re-push of a frame whose instance died is handled. Own choice.
 */
export const STREAM_COMMIT_LEASE_MS = 30_000;

/**
 * Legacy errcodes with which DingTalk refuses one department (its sub-departments, members or
 * details) while the rest of the address book can be read: 50004 department outside the app's
 * contact range (请确认访问的部门id是否在权限范围内), 60011 no permission. UNVERIFIED: taken from
 * common SDK error tables, not from the listsub / listsimple pages (which list 60003 only). The
 * console's directory browser reports such a department instead of failing the whole tree.
 * Source: https://open.dingtalk.com/document/orgapp/server-api-error-codes-1
 */
export const DIRECTORY_SCOPE_ERRCODES: readonly number[] = [50004, 60011];

