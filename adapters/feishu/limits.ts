/**
 * Feishu / Lark (飞书) self-built app bot: every platform number the adapter relies on, with the
 * page it comes from (docs/FEISHU.md). Units are in the names: _MS milliseconds, _BYTES UTF-8 bytes
 * (Buffer.byteLength), _PER_S calls per second.
 */

/** Feishu's OpenAPI origin (China). Source: https://open.feishu.cn/document/server-docs/api-call-guide/calling-process/overview */
export const FEISHU_API_BASE_DEFAULT = 'https://open.feishu.cn';

/** Lark's OpenAPI origin (international); same paths as Feishu. Source: https://open.larksuite.com/document/server-docs/api-call-guide/calling-process/overview */
export const LARK_API_BASE = 'https://open.larksuite.com';

/**
 * Feishu must get the HTTP 200 of an event within 3 s, otherwise it delivers the event again.
 * Source: https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/request-url-configuration-case
 */
export const EVENT_ANSWER_DEADLINE_MS = 3_000;

/**
 * A state change (an acknowledgement) must be recorded this long after the request arrived, so the
 * 200 still reaches Feishu within {@link EVENT_ANSWER_DEADLINE_MS} (1 s kept for the network and
 * the answer). Own choice.
 */
export const COMMIT_DEADLINE_MS = 2_000;

/**
 * Dedup lease of a message being committed: longer than {@link COMMIT_DEADLINE_MS}, shorter than
 * Feishu's first redelivery (~5–15 s after a missed deadline). Own choice.
 * Source: https://open.feishu.cn/document/server-docs/event-subscription-guide/overview (retries)
 */
export const COMMIT_LEASE_MS = 5_000;

/**
 * How long a `message_id` (and a card click) is remembered: Feishu redelivers an event up to ~7 h
 * after the first try (retries after ~15 s, 5 min, 1 h, 6 h), sometimes with a new `event_id`;
 * 12 h, as the SDK's own channel keeps message ids.
 * Source: https://open.feishu.cn/document/server-docs/im-v1/message/events/receive (idempotency on message_id)
 */
export const DEDUP_TTL_MS = 12 * 3_600_000;

/**
 * Largest callback body read, in bytes (events are a few KB; Feishu documents none). Own choice,
 * the same as the other adapters.
 */
export const MAX_CALLBACK_BODY_BYTES = 1024 * 1024;

/**
 * Calls per second per app of the message APIs (also 1,000 per minute).
 * Source: https://open.feishu.cn/document/server-docs/im-v1/message/create (频率限制)
 */
export const SEND_QPS_PER_APP = 50;

/**
 * Calls per minute per app of the message APIs.
 * Source: https://open.feishu.cn/document/server-docs/im-v1/message/create (频率限制)
 */
export const SEND_PER_MINUTE_PER_APP = 1_000;

/**
 * Messages per second to one user or one group chat (shared by every bot in a group).
 * Source: https://open.feishu.cn/document/server-docs/im-v1/message/create (频率限制)
 */
export const SEND_QPS_PER_CHAT = 5;

/** Share of a documented rate the adapter uses (several instances and clock skew). Own choice. */
export const PACE_HEADROOM = 0.9;

/**
 * Request body of a text message: at most 150 KB; a card at most 30 KB.
 * Source: https://open.feishu.cn/document/server-docs/im-v1/message/create
 */
export const TEXT_BODY_MAX_BYTES = 150 * 1024;
/** Interactive card content limit in bytes. Source: https://open.feishu.cn/document/server-docs/im-v1/message/create */
export const CARD_CONTENT_MAX_BYTES = 30 * 1024;

/**
 * One text part of a reply, in UTF-8 bytes: `content` is JSON inside JSON, so a character may be
 * escaped twice (a quote becomes 4 bytes); 30,000 keeps every part far below
 * {@link TEXT_BODY_MAX_BYTES} and long answers readable on a phone. Own choice.
 */
export const TEXT_PART_MAX_BYTES = 30_000;

/**
 * `uuid` idempotency key of a send or reply: at most 50 characters; Feishu sends a repeat within 1 h once.
 * Source: https://open.feishu.cn/document/server-docs/im-v1/message/reply
 */
export const UUID_MAX_CHARS = 50;

/**
 * Codes of a rejected tenant_access_token (invalid / expired): fetch a new one and retry once.
 * Source: https://open.feishu.cn/document/server-docs/api-call-guide/generic-error-code (UNVERIFIED list)
 */
export const TOKEN_INVALID_CODES: readonly number[] = [99991661, 99991663, 99991668];

/**
 * Code (with HTTP 429) of a throttled call; wait the `x-ogw-ratelimit-reset` header's seconds.
 * Source: https://open.feishu.cn/document/ukTMukTMukTM/uUzN04SN3QjL1cDN (频控策略)
 */
export const RATE_LIMIT_CODE = 99991400;
/** Header with the seconds to wait after a throttled call. Source: as {@link RATE_LIMIT_CODE}. */
export const RATE_LIMIT_RESET_HEADER = 'x-ogw-ratelimit-reset';
/** Other throttle codes seen in the wild (per-chat 230020, congestion 11232; UNVERIFIED). */
export const OTHER_THROTTLE_CODES: readonly number[] = [230020, 11232];
/** Wait when a throttled answer carries no reset header, ms. Own choice. */
export const RATE_LIMIT_DEFAULT_WAIT_MS = 1_000;
/** Longest honoured wait of one throttled call before it is given up (the caller retries later), ms. Own choice. */
export const RATE_LIMIT_MAX_WAIT_MS = 60_000;
/** Throttled answers waited out per call before giving up. Own choice. */
export const RATE_LIMIT_ATTEMPTS = 3;

/**
 * tenant_access_token lifetime is `expire` seconds (≤ 7200); the cache drops it this long earlier.
 * Source: https://open.feishu.cn/document/server-docs/authentication-management/access-token/tenant_access_token_internal
 */
export const TOKEN_EXPIRY_MARGIN_MS = 5 * 60_000;

/** Timeout of one OpenAPI call, ms. Own choice. */
export const API_TIMEOUT_MS = 10_000;

/**
 * `find_by_department` page size: at most 50.
 * Source: https://open.feishu.cn/document/server-docs/contact-v3/user/find_by_department
 */
export const USERS_PAGE_SIZE = 50;
/** `departments/:id/children` page size: at most 50. Source: https://open.feishu.cn/document/server-docs/contact-v3/department/children */
export const DEPARTMENTS_PAGE_SIZE = 50;
/** Department id of the whole organisation (needs the whole-org contact scope). Source: as {@link USERS_PAGE_SIZE}. */
export const ROOT_DEPARTMENT_ID = '0';
/**
 * Codes of a department outside the app's contact scope (通讯录权限范围).
 * Source: https://open.feishu.cn/document/server-docs/contact-v3/user/find_by_department (错误码)
 */
export const OUT_OF_SCOPE_CODES: readonly number[] = [40004, 41050];

/** Users per notice batch: one 1:1 card per employee, so a batch is only a unit of work. Own choice. */
export const NOTICE_BATCH_SIZE = 20;

/** How long notice message ids (for read receipts) and read times are kept, ms: 30 days. Own choice. */
export const NOTICE_TRACK_TTL_MS = 30 * 24 * 3_600_000;

/** How long the bot's own open_id (from bot/v3/info) is cached, ms. Own choice. */
export const BOT_INFO_TTL_MS = 24 * 3_600_000;

/** Longest wait for the bot's own open_id while a group message is being answered, ms (then a mention typed 'bot' counts). Own choice. */
export const BOT_INFO_WAIT_MS = 1_000;

/** Longest wait for a notice card's stored JSON while a card click is being answered, ms. Own choice. */
export const CARD_LOOKUP_WAIT_MS = 500;

/** Most per-chat pacing gates kept in one process's memory (the least recently used is dropped). Own choice. */
export const MAX_CHAT_GATES = 2_000;

/**
 * `contact/v3/scopes` page size (the doc's default is 50; its maximum is 100, UNVERIFIED). Used when
 * the app cannot read the root department: the console's tree starts at the scope's departments.
 * Source: https://open.feishu.cn/document/server-docs/contact-v3/scope/list
 */
export const SCOPES_PAGE_SIZE = 50;

/**
 * How many departments' member lists the console's directory walk reads at a time (each call still
 * takes the contact pace gate of ./api.ts). Own choice.
 */
export const ORG_WALK_CONCURRENCY = 4;
