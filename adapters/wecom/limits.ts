/**
 * WeCom (企业微信) self-built app limits and timings, each with the platform doc it comes from
 * (facts collected in docs/PROTOCOLS.md §1). Bytes are UTF-8 bytes (a CJK character is 3 bytes),
 * times are in the unit their name says.
 */

/** Default API base (a fake server's URL in tests). developer.work.weixin.qq.com/document/path/91039 */
export const WECOM_DEFAULT_API_BASE = 'https://qyapi.weixin.qq.com';

/** Largest `text.content` of one app message (message/send), in UTF-8 bytes.
 * developer.work.weixin.qq.com/document/path/90236 */
export const WECOM_TEXT_MAX_BYTES = 2048;

/**
 * Longest text of a message a member sends the app (`Content` of MsgType text, and a card click's
 * EventKey), in UTF-8 bytes; longer text is cut to it (at a character boundary) before anything reads
 * it, and the message is marked `truncated`. WeCom documents no length for received messages
 * (developer.work.weixin.qq.com/document/path/96467 消息格式 gives none); 2048 bytes is the text
 * limit it documents for app text messages (message/send `text.content`,
 * developer.work.weixin.qq.com/document/path/90236) — about 680 Chinese characters, far more than a question.
 */
export const WECOM_INBOUND_TEXT_MAX_BYTES = 2048;

/** Largest `Content` of a passive text reply, in UTF-8 bytes (longer is truncated by WeCom).
 * developer.work.weixin.qq.com/document/path/96469 */
export const WECOM_PASSIVE_TEXT_MAX_BYTES = 2048;

/** Most UserIDs in one message/send `touser` (pipe-separated). developer.work.weixin.qq.com/document/path/90236 */
export const WECOM_SEND_MAX_USERS = 1000;

/** WeCom waits this long for the answer to a POST callback, then drops the connection and retries
 * (about three times). developer.work.weixin.qq.com/document/path/96467 (docs/PROTOCOLS.md §1.4) */
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
 * within about 20 s; docs/PROTOCOLS.md §7.5 asks for at least 10 minutes. developer.work.weixin.qq.com/document/path/96467
 */
export const WECOM_DEDUP_TTL_MS = 60 * 60 * 1000;

/**
 * How long a message that changes state (a card click, a "确认", an admin's "yes") may take to be
 * recorded before the callback must be answered, in ms. Past it the callback is answered 503 — not
 * acknowledged — and WeCom retries it (about 5 s later). Own choice: 3 s of WeCom's
 * {@link WECOM_CALLBACK_DEADLINE_MS}, leaving time for the answer itself.
 */
export const WECOM_COMMIT_DEADLINE_MS = 3000;

/**
 * The dedup claim's lifetime while a message is being recorded, in ms (it then gets
 * {@link WECOM_DEDUP_TTL_MS}). Longer than {@link WECOM_COMMIT_DEADLINE_MS} and shorter than
 * WeCom's first retry (after {@link WECOM_CALLBACK_DEADLINE_MS}), so the retry of a message whose
 * instance died before answering is handled, not dropped as a duplicate. Own choice.
 */
export const WECOM_COMMIT_LEASE_MS = 4000;

/**
 * Largest accepted |now − timestamp| of a callback's signed `timestamp` query parameter, in ms
 * (own choice; WeCom documents no window). Equal to {@link WECOM_DEDUP_TTL_MS} on purpose: a replay
 * of a captured callback within the window is a duplicate of a remembered MsgId, and one after it
 * is refused as stale, so no replay is ever answered twice. WeCom's retries (within ~20 s) resend
 * the same timestamp and stay well inside. developer.work.weixin.qq.com/document/path/96467
 */
export const WECOM_TIMESTAMP_WINDOW_MS = 60 * 60 * 1000;

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

/**
 * `duplicate_check_interval` of reply texts sent with message/send, in seconds: a retried send of
 * the same text to the same member within it is not delivered again. Every retry of one send
 * starts within ~17 s of the first attempt (3 × {@link WECOM_API_TIMEOUT_MS} + backoff); the side
 * effect — the very same text to the same member twice within 30 s is shown once — is the "never
 * answer twice" the bot wants anyway. Own choice within WeCom's 0–14400 s.
 * developer.work.weixin.qq.com/document/path/90236
 */
export const WECOM_REPLY_DUPLICATE_CHECK_S = 30;

/** First backoff delay in ms; doubled for each further retry (200, 400, 800), each with jitter
 * (between half and all of it). Own choice. */
export const WECOM_BUSY_BACKOFF_MS = 200;

/** errcodes meaning "this access token is no longer valid": refresh once and retry once.
 * 40014 invalid access_token, 42001 access_token expired. developer.work.weixin.qq.com/document/path/90313 */
export const WECOM_TOKEN_ERRCODES: ReadonlySet<number> = new Set([40014, 42001]);

/** errcode 60020: the server's IP is not in the app's 企业可信IP list. Not a token problem.
 * developer.work.weixin.qq.com/document/path/90313 */
export const WECOM_ERRCODE_IP_NOT_ALLOWED = 60020;

// ---------------------------------------------------------------------------------------------
// Directory, notices (message/send template cards) and pacing.

/** Largest `limit` of one user/list_id page. developer.work.weixin.qq.com/document/path/96067 */
export const WECOM_LIST_ID_MAX_LIMIT = 10_000;

/**
 * errcodes with which user/list_id refuses an app token: the doc allows it only with the 通讯录同步
 * secret (/document/path/96067). 48002 API forbidden, 60011 no privilege (UNVERIFIED which one
 * WeCom answers; both lead to the department walk). developer.work.weixin.qq.com/document/path/90313
 */
export const WECOM_LIST_ID_DENIED_ERRCODES: ReadonlySet<number> = new Set([48002, 60011]);

/** Base API frequency: calls per minute per corp per API. developer.work.weixin.qq.com/document/path/90454 */
export const WECOM_API_CALLS_PER_MINUTE = 10_000;

/** Messages one member may receive from one app per minute / per hour; beyond that WeCom drops them
 * silently. developer.work.weixin.qq.com/document/path/90236 */
export const WECOM_MEMBER_MESSAGES_PER_MINUTE = 30;
export const WECOM_MEMBER_MESSAGES_PER_HOUR = 1000;

/** `duplicate_check_interval` maximum, in seconds (4 h; default 1800). developer.work.weixin.qq.com/document/path/90236 */
export const WECOM_DUPLICATE_CHECK_MAX_S = 14_400;

/** template_card `task_id`: at most 128 bytes of digits, letters and `_-@`, unique per app.
 * developer.work.weixin.qq.com/document/path/90236 (模板卡片消息) */
export const WECOM_TASK_ID_MAX_BYTES = 128;
export const WECOM_TASK_ID_RE = /^[0-9A-Za-z_\-@]{1,128}$/;

/** A card button's `key` (comes back as EventKey of template_card_event): at most 1024 bytes. /document/path/90236 */
export const WECOM_CARD_BUTTON_KEY_MAX_BYTES = 1024;

/** Suggested (not enforced) lengths of template_card texts, in characters: main_title.title 36,
 * main_title.desc 44, sub_title_text 160, button text 10. /document/path/90236 */
export const WECOM_CARD_TITLE_MAX_CHARS = 36;
export const WECOM_CARD_TITLE_DESC_MAX_CHARS = 44;
export const WECOM_CARD_SUBTITLE_MAX_CHARS = 160;
/** Suggested longest button text of a template_card, in characters (the client may shorten a longer one). /document/path/90236 */
export const WECOM_CARD_BUTTON_TEXT_MAX_CHARS = 10;

/** errcode 81013: every recipient (user/party/tag) is invalid. developer.work.weixin.qq.com/document/path/90313 */
export const WECOM_ERRCODE_ALL_INVALID = 81013;

/**
 * How long a notice batch waits after WeCom throttled it, in ms (own choice): 45009 (frequency
 * limit; the per-minute window must pass) 15 s, 45033 (concurrency) and -1 (busy) 2 s.
 */
export const WECOM_THROTTLE_RETRY_MS: Readonly<Record<number, number>> = { 45009: 15_000, 45033: 2_000, [-1]: 2_000 };

// ---------------------------------------------------------------------------------------------
// Session-content archive (msgaudit) and external contacts.

/** Archive editions as get_permit_user_list `type`: 1 办公版, 2 服务版, 3 企业版. developer.work.weixin.qq.com/document/path/91614 */
export const WECOM_MSGAUDIT_EDITIONS = [1, 2, 3] as const;

/** get_permit_user_list: at most 1000 calls per minute. /document/path/91614 */
export const WECOM_PERMIT_LIST_CALLS_PER_MINUTE = 1000;

/** check_single_agree: at most 100 (member, external contact) pairs per call and 2500 calls per minute.
 * developer.work.weixin.qq.com/document/path/91782 */
export const WECOM_CHECK_AGREE_MAX_ITEMS = 100;
export const WECOM_CHECK_AGREE_CALLS_PER_MINUTE = 2500;

/** externalcontact/list errcode when the member has no customers (84061 不存在外部联系人的关系; UNVERIFIED,
 * seen in SDK error tables): treated as an empty list. developer.work.weixin.qq.com/document/path/92113 */
export const WECOM_ERRCODE_NO_EXTERNAL_CONTACT = 84061;

// ---------------------------------------------------------------------------------------------
// The console's directory browser (adapters/wecom/directory.ts createWecomOrgDirectory).

/**
 * errcodes with which WeCom refuses one department's members while the rest of the directory can
 * be read: 60011 no privilege for the department (outside the app's visible range), 60123 invalid
 * department id (e.g. deleted during the walk). The department is then reported, not the whole tree.
 * developer.work.weixin.qq.com/document/path/90313
 */
export const WECOM_DEPARTMENT_DENIED_ERRCODES: ReadonlySet<number> = new Set([60011, 60123]);

/**
 * errcodes with which `department/list` (names) may be refused while `department/simplelist` (ids
 * only) still answers: 48002 API forbidden (the doc says IPs added to the 通讯录同步 tool after
 * 2022-08-15 may no longer call department/list), 60011 no privilege. UNVERIFIED which one WeCom
 * answers to an app secret; both fall back to ids as names. developer.work.weixin.qq.com/document/path/90208
 */
export const WECOM_DEPARTMENT_LIST_DENIED_ERRCODES: ReadonlySet<number> = new Set([48002, 60011]);

/**
 * How many `user/simplelist` calls the directory walk keeps in flight (each still goes through the
 * per-API pace gate below {@link WECOM_API_CALLS_PER_MINUTE}). Own choice.
 */
export const WECOM_ORG_WALK_CONCURRENCY = 4;
