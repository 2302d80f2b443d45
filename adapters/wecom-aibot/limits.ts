/**
 * WeCom AI bot (企业微信 智能机器人) limits and timings, each with the platform doc it comes from
 * (facts collected in docs/PROTOCOLS.md §2.5). Bytes are UTF-8 bytes (a CJK character is 3 bytes);
 * times are in the unit their name says.
 */

/** Callback path of the AI bot in HTTP ("URL") mode; the URL to enter in the bot's API settings is
 * <public base>/wecom/aibot/callback. Own choice. */
export const AIBOT_CALLBACK_PATH = '/wecom/aibot/callback';

/** The receiveid of every AI-bot ciphertext: the empty string (not the CorpID).
 * developer.work.weixin.qq.com/document/path/101033 */
export const AIBOT_RECEIVE_ID = '';

/** Largest `stream.content` of one stream reply, in UTF-8 bytes. developer.work.weixin.qq.com/document/path/101031 */
export const AIBOT_STREAM_MAX_BYTES = 20480;

/**
 * Longest text of a message an employee sends the bot (`text.content`, a voice transcription, the text
 * items of a mixed message joined, a card click's event_key), in UTF-8 bytes; longer text is cut to it (at a
 * character boundary) before anything reads it, and the message is marked `truncated`. The AI bot's
 * message docs give no length (developer.work.weixin.qq.com/document/path/100719); own choice: the text
 * limit WeCom documents for app text messages (developer.work.weixin.qq.com/document/path/90236), as
 * for the self-built app (adapters/wecom/limits.ts WECOM_INBOUND_TEXT_MAX_BYTES) — same WeCom client.
 */
export const AIBOT_INBOUND_TEXT_MAX_BYTES = 2048;

/** WeCom waits this long for the HTTP answer to a callback (and an `enter_chat` welcome must come
 * within it). developer.work.weixin.qq.com/document/path/101031 */
export const AIBOT_CALLBACK_DEADLINE_MS = 5000;

/**
 * Own budget: how long the first answer to a message waits for the core. A result ready within it
 * is answered as a finished stream; otherwise an unfinished stream is answered and the result is
 * delivered to the following stream refresh callbacks. Far below {@link AIBOT_CALLBACK_DEADLINE_MS}.
 */
export const AIBOT_FIRST_ANSWER_BUDGET_MS = 1000;

/** The platform stops refreshing a stream this long after it started. developer.work.weixin.qq.com/document/path/101031 */
export const AIBOT_STREAM_LIFETIME_MS = 6 * 60 * 1000;

/**
 * How long an unfinished stream's state (encrypted, stream-state.ts) is kept in the store, in ms:
 * the platform's stream lifetime and not longer — no refresh comes after it. Once the finished
 * stream was fetched the state is deleted at once.
 */
export const AIBOT_STREAM_STATE_TTL_MS = AIBOT_STREAM_LIFETIME_MS;

/**
 * How long the state of an answer given at once (a finished stream in the callback's own HTTP
 * answer) is kept, in ms, so that WeCom's retry of that callback — sent only when our answer did
 * not reach it — gets the same answer without asking the core again. WeCom retries an unanswered
 * callback about three times within ~20 s (developer.work.weixin.qq.com/document/path/96467,
 * docs/PROTOCOLS.md §1.4; assumed the same for the AI bot). Own choice: 30 s.
 */
export const AIBOT_CALLBACK_RETRY_WINDOW_MS = 30_000;

/**
 * How long a message that changes state (a card click, a "确认", an admin's "yes") may take to be
 * recorded before the HTTP callback must be answered, in ms; past it the callback is answered 503
 * (not acknowledged) and WeCom retries it. Own choice: 3 s of {@link AIBOT_CALLBACK_DEADLINE_MS}.
 */
export const AIBOT_COMMIT_DEADLINE_MS = 3000;

/**
 * The dedup claim's lifetime while a message is being recorded, in ms (then {@link AIBOT_DEDUP_TTL_MS}):
 * longer than {@link AIBOT_COMMIT_DEADLINE_MS}, shorter than WeCom's first retry (after
 * {@link AIBOT_CALLBACK_DEADLINE_MS}), so the retry of a message whose instance died is handled. Own choice.
 */
export const AIBOT_COMMIT_LEASE_MS = 4000;

/** Content of an unfinished stream while the core is still working (shown as a typing hint). Own choice. */
export const AIBOT_PENDING_CONTENT = '…';

/** How long a claimed dedup key (msgid) lives, in ms (docs/PROTOCOLS.md §7.5 asks for ≥ 10 minutes). */
export const AIBOT_DEDUP_TTL_MS = 60 * 60 * 1000;

/** Long-connection endpoint. developer.work.weixin.qq.com/document/path/101463 */
export const AIBOT_DEFAULT_WS_URL = 'wss://openws.work.weixin.qq.com';

/** How long `start()` waits for the long connection's first successful `aibot_subscribe`, in ms;
 * after it the server starts anyway and the SDK keeps reconnecting. Own choice. */
export const AIBOT_WS_START_TIMEOUT_MS = 10_000;

/** Fixed text that finishes a stream whose answer failed (the adapter has no FAQ text of its own). */
export const AIBOT_FAILURE_TEXT = '抱歉，暂时无法回答，请稍后再试。Sorry, I cannot answer right now, please try again later.';
