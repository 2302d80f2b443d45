/**
 * Errors with stable codes. Every error the product raises on purpose is a {@link BotError};
 * `code` is stable (tests, logs and HTTP answers use it), `message` is for humans.
 *
 * Every code of the core is listed in {@link ERRORS} with its HTTP status and meaning (the model is
 * Slack bolt-js's src/errors.ts: one place names every code); the platform adapters' codes are
 * listed in adapters/errors.ts, so that adding a platform does not touch src/. Throw sites take
 * the status from the catalogue ({@link requestError} / {@link botError} here, adapterRequestError /
 * adapterError in adapters/errors.ts, or `ERRORS.<CODE>.status` in a subclass); a throw site names a
 * status itself only where the catalogue's meaning says another one is used. test/src/errors.test.ts
 * checks that every code thrown anywhere is catalogued and that no throw site repeats the
 * catalogue's own status.
 */

/** One catalogued error code. */
export interface ErrorSpec {
  /** HTTP status answered when this error ends a request (4xx: the caller's fault). */
  readonly status: number;
  /** What went wrong and what to do, for the README and operators. */
  readonly meaning: string;
}

/** A catalogue: code -> spec. Codes are UPPER_SNAKE_CASE, prefixed by their area. */
export type ErrorCatalogue = Readonly<Record<string, ErrorSpec>>;

/** Every error code of the core (src/), with its HTTP status and meaning. */
export const ERRORS = {
  // Configuration and start-up
  CONFIG_INVALID: { status: 500, meaning: 'A variable or file of the configuration is invalid; the message names it. Start-up stops (exit code 2).' },
  KB_INVALID: { status: 500, meaning: 'A knowledge-base file is invalid; the message names file and field. Start-up stops, nothing is half-loaded.' },
  PORT_IN_USE: { status: 500, meaning: 'PORT or ADMIN_PORT is already in use on that address; the message names the variable. Start-up stops.' },
  PORT_NOT_ALLOWED: { status: 500, meaning: 'PORT or ADMIN_PORT is under 1024 and this user may not bind it; the message names the variable. Start-up stops.' },
  HOST_UNAVAILABLE: { status: 500, meaning: 'The listen address is not an address of this machine. Start-up stops.' },
  KB_CLASSIFIER_INVALID: { status: 500, meaning: 'The topic classifier model (knowledge/model/topic-classifier.json) is unreadable or malformed; the message names the file and field.' },
  KB_LEXICON_INVALID: { status: 500, meaning: 'The matching lexicon (knowledge/lexicon) is invalid; the message names file and line.' },
  // Command line
  CLI_USAGE: { status: 400, meaning: 'A command was called wrongly (unknown subcommand, missing or bad argument, unreadable file); the usage is printed. Exit code 2.' },
  CLI_FAILED: { status: 400, meaning: 'A command ran and found problems (bad CSV lines, knowledge lint problems); nothing was changed. Exit code 1.' },
  EVAL_BAD_FILE: { status: 400, meaning: 'An evaluation file (.jsonl) has a bad line; the message names the line.' },
  // Store
  STORE_UNAVAILABLE: { status: 503, meaning: 'The store (Redis or the embedded SQLite file) cannot be reached or written; the message names it, never a password. Some start-up paths report 500.' },
  STORE_BAD_ARGUMENT: { status: 500, meaning: 'A caller passed the store an argument neither backend can hold (a bug, not user input); 400 for a recipients-page cursor that is not one of this store.' },
  // HTTP surface of the core
  ADMIN_UNAUTHORIZED: { status: 401, meaning: 'The admin API needs "Authorization: Bearer <ADMIN_TOKEN>".' },
  ADMIN_NETWORK_FORBIDDEN: { status: 403, meaning: 'An admin request came from outside ADMIN_ALLOW_FROM (default: loopback only).' },
  NOT_FOUND: { status: 404, meaning: 'No such route on this listener (e.g. anything but /admin and /console on ADMIN_PORT).' },
  ADMIN_NOT_HERE: { status: 404, meaning: 'With ADMIN_PORT set, the public port does not serve /admin or /console (answered "not found").' },
  ADMIN_OFF: { status: 404, meaning: 'ADMIN_TOKEN is unset: the admin surface does not exist (answered "not found").' },
  ADMIN_NOT_FOUND: { status: 404, meaning: 'An admin path in a non-canonical spelling (case, slashes, dot segments, encodings) (answered "not found").' },
  ADMIN_BAD_JSON: { status: 400, meaning: 'An admin request body is not JSON.' },
  ADMIN_BAD_BODY: { status: 400, meaning: 'An admin request body is not an object of the expected shape.' },
  ADMIN_BODY_TOO_LARGE: { status: 413, meaning: 'An admin request body is over its byte limit.' },
  TRY_BAD_REQUEST: { status: 400, meaning: 'A /try question is empty, too long or holds control characters.' },
  TRY_BAD_JSON: { status: 400, meaning: 'A /try request body is not JSON.' },
  TRY_NOT_JSON_TYPE: { status: 415, meaning: 'A /try request whose Content-Type is not application/json (a form or text post another site could send unasked).' },
  TRY_BAD_BODY: { status: 400, meaning: 'A /try request body is unreadable or not UTF-8 (413 when over its byte limit).' },
  TRY_RATE_LIMITED: { status: 429, meaning: 'Too many /try questions from one client address in a minute; Retry-After says when to ask again.' },
  // Admin console (/console)
  CONSOLE_OFF: { status: 404, meaning: 'CONSOLE=off: the admin console does not exist (answered "not found").' },
  CONSOLE_NO_OPTIONS: { status: 405, meaning: 'OPTIONS is not served under /console (no cross-origin use).' },
  CONSOLE_UNAUTHENTICATED: { status: 401, meaning: 'A console request without a live session (never signed in, expired, or the account was removed).' },
  CONSOLE_BAD_CREDENTIALS: { status: 401, meaning: 'A console sign-in with a wrong name or password.' },
  CONSOLE_THROTTLED: { status: 429, meaning: 'Too many failed console sign-ins for this account or address; try again in 15 minutes.' },
  CONSOLE_PASSWORD_CHANGE: { status: 403, meaning: 'The account signed in with a one-time password and must change it first.' },
  CONSOLE_CSRF: { status: 403, meaning: "A changing console request without the session's CSRF token header." },
  CONSOLE_FORBIDDEN: { status: 403, meaning: "The account's role may not do this (e.g. an auditor sending a notice)." },
  CONSOLE_BAD_PASSWORD: { status: 403, meaning: 'A password change with a wrong current password.' },
  CONSOLE_BAD_REQUEST: { status: 400, meaning: 'A console request lacks a field or has a bad one; the message names it.' },
  CONSOLE_BAD_ACCOUNT: { status: 400, meaning: 'A console account name, role or new password is not acceptable; the message says why.' },
  CONSOLE_ACCOUNT_NOT_FOUND: { status: 404, meaning: 'No console account with that name.' },
  CONSOLE_ACCOUNT_EXISTS: { status: 409, meaning: 'A console account with that name exists already.' },
  CONSOLE_LAST_OWNER: { status: 409, meaning: 'The last owner cannot be removed or lose the owner role; make another account owner first.' },
  CONSOLE_LINK_TAKEN: { status: 409, meaning: 'That platform identity is linked to another console account; unlink it there first.' },
  CONSOLE_LINK_NOT_FOUND: { status: 404, meaning: 'The console account has no such platform link.' },
  CONSOLE_LOGIN_UNAVAILABLE: { status: 404, meaning: 'Sign-in with that platform is not offered (platform not configured, or CONSOLE_PUBLIC_URL unset).' },
  // Notices
  NOTICE_BAD_REQUEST: { status: 400, meaning: 'A notice or broadcast request has a bad field; the message names it.' },
  NOTICE_NOT_FOUND: { status: 404, meaning: 'No notice (or notice version) with that id.' },
  BROADCAST_NOT_FOUND: { status: 404, meaning: 'No broadcast with that id.' },
  BROADCAST_NOT_RESENDABLE: { status: 409, meaning: 'The broadcast cannot be sent again in its state (still running, or cancelled).' },
  BROADCAST_NOT_STARTED: { status: 409, meaning: 'A reminder or a retry of a scheduled broadcast that has not started sending (its notBefore is still ahead): nobody was sent anything yet, so there is nobody to remind or retry. Wait until its time, or cancel it.' },
  NOTICE_PLATFORM_UNAVAILABLE: { status: 400, meaning: 'The platform of a broadcast is not configured, or cannot deliver notices.' },
  NOTICE_BAD_AUDIENCE: { status: 400, meaning: 'The audience is malformed for the platform (unknown department, bad user id).' },
  NOTICE_AUDIENCE_EMPTY: { status: 422, meaning: 'The audience has no user the app can see; the broadcast was cancelled.' },
  NOTICE_AUDIENCE_FAILED: { status: 500, meaning: "The platform's directory failed while the audience was resolved; the broadcast can be started again." },
  NOTICE_DIRECTORY_UNSUPPORTED: { status: 400, meaning: "The platform's adapter cannot browse its directory (department tree, people search) here; give department or user ids instead." },
  BROADCAST_NOT_DISCARDABLE: { status: 409, meaning: 'An unconfirmed preparation was to be discarded, but the broadcast was already confirmed (sending or done): it is no preparation any more; cancel it instead if that is meant.' },
  BROADCAST_NOT_PREPARED: { status: 409, meaning: 'A broadcast was confirmed before its audience was resolved (still preparing, failed, or not a prepared broadcast).' },
  NOTICE_CHANNEL_INVALID: { status: 500, meaning: 'A notice channel broke its contract (a bug in an adapter).' },
  NOTICE_TEST_NO_ACCOUNT: { status: 409, meaning: "A test send to myself, but the console account has no linked account on that platform: link one on the accounts page (`admin link`)." },
  NOTICE_TEST_REFUSED: { status: 422, meaning: 'The platform refused the test send (the reason is given, e.g. invaliduser); nothing was recorded in any broadcast.' },
  NOTICE_TEST_FAILED: { status: 502, meaning: 'The platform could not be reached for a test send; try again.' },
  PLATFORM_THROTTLED: { status: 503, meaning: 'The platform asked us to slow down; the batch is retried later.' },
  // Policies and statuses
  POLICY_BAD_REQUEST: { status: 400, meaning: 'A policy has a bad field; the message names it (500 when a caller inside the bot passed it).' },
  POLICY_NOT_FOUND: { status: 404, meaning: 'No policy with that id.' },
  POLICY_EXISTS: { status: 409, meaning: 'A policy with that id exists already.' },
  POLICY_DIRECTORY_UNAVAILABLE: { status: 503, meaning: "A department policy needs the platform's directory, which did not answer." },
  ARCHIVE_SYNC_FAILED: { status: 502, meaning: "A platform's archive source failed during a sync; the previous statuses are kept." },
} as const satisfies ErrorCatalogue;

/** A code of the core's catalogue. */
export type ErrorCode = keyof typeof ERRORS;
export class BotError extends Error {
  /** Stable machine-readable code, e.g. 'CONFIG_INVALID', 'KB_INVALID', 'WECOM_BAD_SIGNATURE'. */
  readonly code: string;
  /** HTTP status to answer with when this error ends a request (4xx for bad input). */
  readonly status: number;
  /**
   * Which of the code's cases this is, when a code covers several a client may word differently
   * (e.g. CONSOLE_BAD_ACCOUNT: 'password_short', 'password_guessable'), with its parameters; sent
   * beside code and message in an HTTP error answer ({@link ErrorDetail}).
   */
  readonly detail?: ErrorDetail;
  constructor(code: string, message: string, options: { status?: number; cause?: unknown; detail?: ErrorDetail } = {}) {
    super(message, { cause: options.cause });
    this.name = 'BotError';
    this.code = code;
    this.status = options.status ?? 500;
    if (options.detail) this.detail = options.detail;
  }
}

/** A case of an error code and its parameters (numbers and short names, never user content). */
export interface ErrorDetail {
  kind: string;
  params?: Readonly<Record<string, string | number>>;
}

/** Bad configuration: the message names the environment variable or file. Start-up stops. */
export class ConfigError extends BotError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('CONFIG_INVALID', message, options);
    this.name = 'ConfigError';
  }
}

/** A request that fails verification or parsing: answered with `status` (4xx) and `message`. */
export class RequestError extends BotError {
  constructor(code: string, message: string, status = 400) {
    super(code, message, { status });
    this.name = 'RequestError';
  }
}

/**
 * A command was called wrongly: the CLI prints the message and the command's usage and exits with 2.
 * Code CLI_USAGE.
 */
export class UsageError extends BotError {
  readonly exitCode: number = 2;
  constructor(message: string) {
    super('CLI_USAGE', message, { status: ERRORS.CLI_USAGE.status });
    this.name = 'UsageError';
  }
}

/**
 * A command the CLI reports as one line and an exit code: 2 = usage or configuration (code
 * CLI_USAGE), 1 = it ran and found problems (code CLI_FAILED).
 */
export class CliError extends BotError {
  constructor(message: string, readonly exitCode = 2) {
    const code = exitCode === 2 ? 'CLI_USAGE' : 'CLI_FAILED';
    super(code, message, { status: ERRORS[code].status });
    this.name = 'CliError';
  }
}

/**
 * A {@link RequestError} whose status is the catalogue's ({@link ERRORS}): the throw site names the
 * code and the message (and, optionally, which case of the code it is: {@link ErrorDetail}); the
 * status comes from the one place that lists it.
 */
export function requestError(code: ErrorCode, message: string, detail?: ErrorDetail): RequestError {
  const e = new RequestError(code, message, ERRORS[code].status);
  if (detail) (e as { detail?: ErrorDetail }).detail = detail;
  return e;
}

/** A {@link BotError} whose status is the catalogue's ({@link ERRORS}). */
export function botError(code: ErrorCode, message: string, options: { cause?: unknown } = {}): BotError {
  return new BotError(code, message, { status: ERRORS[code].status, ...options });
}
