import { BotError, ERRORS, RequestError, type ErrorCatalogue } from '../src/errors.ts';

/**
 * Every error code the platform adapters raise, with its HTTP status and meaning — the adapters'
 * half of the catalogue (the core's half is src/errors.ts ERRORS; both are checked by
 * test/src/errors.test.ts). A new platform adds its own block here.
 */
export const ADAPTER_ERRORS = {
  // adapters/kit: callback bodies and outbound HTTP
  BODY_TOO_LARGE: { status: 413, meaning: 'A callback body is over MAX_CALLBACK_BODY_BYTES (1 MiB); the connection is closed.' },
  BODY_INVALID_UTF8: { status: 400, meaning: 'A callback body is not valid UTF-8.' },
  BODY_UNREADABLE: { status: 400, meaning: 'A callback body could not be read (the client went away).' },
  HTTP_TIMEOUT: { status: 502, meaning: 'An outbound platform call got no answer in time.' },
  HTTP_NETWORK: { status: 502, meaning: 'An outbound platform call failed on the network (refused, reset, DNS); `reason` holds the socket code.' },
  HTTP_BAD_URL: { status: 502, meaning: 'An outbound URL (e.g. a DingTalk sessionWebhook) is not an http(s) URL.' },
  // Answered by adapters/kit/callback.ts answerNotRecorded: not acknowledged, the platform delivers the message again.
  // adapters/kit/org-directory.ts: the console's directory browser
  ORG_DIRECTORY_FAILED: { status: 502, meaning: "A platform's directory (department tree, people) could not be read for an unexpected reason; the message says which. Platform API errors keep their own codes." },
  WECOM_NOT_RECORDED: { status: 503, meaning: 'A state-changing WeCom message could not be recorded within the deadline; WeCom retries.' },
  AIBOT_NOT_RECORDED: { status: 503, meaning: 'A state-changing AI bot message could not be recorded within the deadline; WeCom retries.' },
  DINGTALK_NOT_RECORDED: { status: 503, meaning: 'A state-changing DingTalk message could not be recorded within the deadline; DingTalk delivers it again.' },
  WECOM_HANDLER_FAILED: { status: 500, meaning: 'The core failed on a WeCom message before the answer was sent (logged); WeCom retries.' },
  // The sandbox organisation's page API (adapters/sandbox)
  SANDBOX_BAD_BODY: { status: 400, meaning: 'A sandbox page request body is unreadable, not UTF-8 or not JSON (413 when over the /try byte limit).' },
  SANDBOX_NOT_JSON_TYPE: { status: 415, meaning: 'A sandbox page request whose Content-Type is not application/json (a form or text post another site could send unasked).' },
  SANDBOX_BAD_REQUEST: { status: 400, meaning: 'A sandbox page request has a bad field (question, ackKey, pick); the message names it.' },
  SANDBOX_UNKNOWN_EMPLOYEE: { status: 404, meaning: 'No sandbox employee with that user id.' },
  SANDBOX_NO_SUCH_CARD: { status: 404, meaning: "The sandbox employee's inbox holds no card of that notice version." },
  // WeCom self-built app (adapters/wecom)
  WECOM_BAD_REQUEST: { status: 400, meaning: 'A WeCom callback lacks a query parameter or the encrypted field.' },
  WECOM_BAD_SIGNATURE: { status: 401, meaning: 'A WeCom callback signature (msg_signature) does not match: wrong WECOM_TOKEN, or not from WeCom.' },
  WECOM_STALE_TIMESTAMP: { status: 401, meaning: 'A WeCom callback timestamp is outside the accepted window (a replay).' },
  WECOM_DECRYPT_FAILED: { status: 400, meaning: 'A WeCom callback does not decrypt with WECOM_ENCODING_AES_KEY.' },
  WECOM_RECEIVEID_MISMATCH: { status: 400, meaning: 'A decrypted WeCom callback names another corp than WECOM_CORP_ID.' },
  WECOM_XML_INVALID: { status: 400, meaning: 'A WeCom callback body is not the expected XML.' },
  WECOM_XML_REJECTED: { status: 400, meaning: 'A WeCom callback XML holds a DOCTYPE or entity (refused before parsing).' },
  WECOM_TOKEN_FAILED: { status: 502, meaning: 'gettoken refused the credentials (wrong WECOM_CORP_ID or secret); shown by /readyz.' },
  WECOM_IP_NOT_ALLOWED: { status: 502, meaning: "The server's IP is not in the app's trusted IP list (errcode 60020); shown by /readyz." },
  WECOM_API_ERROR: { status: 502, meaning: 'A WeCom API answered an errcode (after retries); `errcode` holds it.' },
  WECOM_API_UNREACHABLE: { status: 502, meaning: 'No usable answer from the WeCom API (network, timeout, HTTP status, not JSON).' },
  WECOM_RECIPIENT_INVALID: { status: 502, meaning: 'message/send listed the user as invalid or unlicensed.' },
  WECOM_DIRECTORY_BAD_ANSWER: { status: 502, meaning: "WeCom's directory answered something other than the documented shape." },
  WECOM_MSGAUDIT_BAD_ANSWER: { status: 502, meaning: "WeCom's archive API answered something other than the documented shape." },
  WECOM_BAD_ARGUMENT: { status: 500, meaning: 'A caller inside the bot passed the WeCom client a bad argument (a bug).' },
  // WeCom AI bot (adapters/wecom-aibot)
  AIBOT_BAD_REQUEST: { status: 400, meaning: 'An AI bot callback lacks a query parameter or the encrypted field.' },
  AIBOT_BAD_MESSAGE: { status: 400, meaning: 'A decrypted AI bot message is not the documented JSON.' },
  AIBOT_RECEIVEID_MISMATCH: { status: 400, meaning: 'A decrypted AI bot callback carries a receiveid (the AI bot has none).' },
  AIBOT_STORE_UNAVAILABLE: { status: 503, meaning: 'The stream state could not be read or written; WeCom retries.' },
  AIBOT_WS_AUTH_FAILED: { status: 500, meaning: 'The long connection refused WECOM_AIBOT_BOT_ID / WECOM_AIBOT_SECRET.' },
  // DingTalk (adapters/dingtalk)
  DINGTALK_BAD_REQUEST: { status: 400, meaning: 'A DingTalk callback (or Stream frame) lacks headers or is not the documented JSON.' },
  DINGTALK_BAD_SIGNATURE: { status: 401, meaning: 'A DingTalk callback sign header does not match DINGTALK_APP_SECRET.' },
  DINGTALK_STALE_TIMESTAMP: { status: 401, meaning: 'A DingTalk callback timestamp is outside the accepted window (a replay).' },
  DINGTALK_WRONG_ROBOT: { status: 403, meaning: 'A DingTalk callback is addressed to another robot than DINGTALK_ROBOT_CODE.' },
  DINGTALK_API_ERROR: { status: 502, meaning: 'A DingTalk API call failed; `apiCode` holds what DingTalk said.' },
  DINGTALK_NO_RECIPIENT: { status: 502, meaning: 'DingTalk accepted a 1:1 send but delivered it to nobody.' },
  DINGTALK_RECIPIENT_REFUSED: { status: 502, meaning: 'DingTalk refused the recipient of a 1:1 send (left, not visible to the app).' },
  DINGTALK_MSG_TOO_LARGE: { status: 500, meaning: 'A message was built over DingTalk\'s size limit (a bug: replies are split first).' },
  DINGTALK_BAD_AUDIENCE: { status: 400, meaning: 'A DingTalk audience is malformed (department or user ids).' },
  DINGTALK_UNKNOWN_DEPARTMENT: { status: 400, meaning: 'A DingTalk department of an audience does not exist or is not visible to the app.' },
  // Feishu / Lark self-built app (adapters/feishu)
  FEISHU_BAD_REQUEST: { status: 400, meaning: 'A Feishu callback body (or a decrypted one) is not JSON or lacks a documented field; the message names it.' },
  FEISHU_BAD_ENCRYPT: { status: 400, meaning: 'A Feishu callback `encrypt` field does not decrypt with FEISHU_ENCRYPT_KEY.' },
  FEISHU_ENCRYPT_KEY_MISSING: { status: 400, meaning: 'A Feishu callback is encrypted but FEISHU_ENCRYPT_KEY is not set.' },
  FEISHU_BAD_SIGNATURE: { status: 401, meaning: 'X-Lark-Signature is missing or does not match the body (wrong FEISHU_ENCRYPT_KEY, or not from Feishu).' },
  FEISHU_BAD_TOKEN: { status: 401, meaning: 'A Feishu callback (or url_verification) token is not FEISHU_VERIFICATION_TOKEN.' },
  FEISHU_WRONG_APP: { status: 403, meaning: 'A Feishu event names another app than FEISHU_APP_ID.' },
  FEISHU_NOT_RECORDED: { status: 503, meaning: 'A state-changing Feishu event could not be recorded within the deadline; Feishu delivers it again.' },
  FEISHU_API_ERROR: { status: 502, meaning: 'A Feishu OpenAPI call answered a non-zero code or HTTP error (after retries); the message holds the code.' },
  FEISHU_TOKEN_REFUSED: { status: 502, meaning: 'tenant_access_token refused the credentials (wrong FEISHU_APP_ID / FEISHU_APP_SECRET); shown by /readyz.' },
  FEISHU_LONG_CONNECTION_FAILED: { status: 502, meaning: 'The Feishu long connection (FEISHU_MODE=ws) failed; shown by /readyz until it is up again.' },
  FEISHU_BAD_AUDIENCE: { status: 400, meaning: 'A Feishu notice audience names no department.' },
  FEISHU_DEPARTMENT_OUT_OF_SCOPE: { status: 400, meaning: "A Feishu notice audience names departments outside the app's contact scope (权限管理 → 通讯录权限范围)." },
} as const satisfies ErrorCatalogue;

/** A console text of an adapter error code, in the console's two languages (zh-CN, en). */
export interface ConsoleErrorText {
  zh: string;
  en: string;
}

/**
 * How the admin console words the adapter codes its endpoints can answer with (an audience the platform
 * refuses, at preview or prepare), beside the codes themselves; the console appends the server's message.
 * Served to the console by GET /console/api/error-texts (src/console/server.ts, wired in src/app) and
 * checked by test/src/console/error-texts.test.ts. A new platform adds its texts here.
 */
export const ADAPTER_CONSOLE_TEXTS: Readonly<Partial<Record<keyof typeof ADAPTER_ERRORS, ConsoleErrorText>>> = {
  DINGTALK_BAD_AUDIENCE: { zh: '发送对象不符合钉钉的要求', en: 'The audience does not suit DingTalk' },
  DINGTALK_UNKNOWN_DEPARTMENT: { zh: '钉钉通讯录中没有这个部门', en: "No such department in DingTalk's directory" },
  FEISHU_BAD_AUDIENCE: { zh: '发送对象不符合飞书的要求', en: 'The audience does not suit Feishu' },
  FEISHU_DEPARTMENT_OUT_OF_SCOPE: { zh: '该部门不在飞书应用的通讯录权限范围内', en: "The department is outside the Feishu app's directory scope" },
};

/** A code an adapter may raise: its own ({@link ADAPTER_ERRORS}) or the core's. */
export type AdapterErrorCode = keyof typeof ADAPTER_ERRORS | keyof typeof ERRORS;

const CATALOGUE: Readonly<Record<AdapterErrorCode, { status: number }>> = { ...ERRORS, ...ADAPTER_ERRORS };

/**
 * A {@link RequestError} (a callback or request refused) whose status is the catalogue's: the throw
 * site names the code and the message, the status comes from {@link ADAPTER_ERRORS} (or the core's).
 */
export function adapterRequestError(code: AdapterErrorCode, message: string): RequestError {
  return new RequestError(code, message, CATALOGUE[code].status);
}

/** A {@link BotError} of an adapter whose status is the catalogue's. */
export function adapterError(code: AdapterErrorCode, message: string, options: { cause?: unknown } = {}): BotError {
  return new BotError(code, message, { status: CATALOGUE[code].status, ...options });
}
