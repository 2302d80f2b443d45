import type { Context } from 'koa';
import type { Logger } from 'pino';
import { BotError } from '../../src/errors.ts';

/**
 * The answers every platform callback gives in the same way (the callback's order is: read the raw
 * body, verify first, parse, claim, answer within the platform's deadline — docs/ARCHITECTURE.md
 * "Adding a platform"; the pieces are adapters/kit/http.ts, claims.ts, admission.ts, settle.ts).
 * Bodies are plain text "<CODE>: <message>", codes from adapters/errors.ts.
 */

/**
 * Answers 503 "<PREFIX>_NOT_RECORDED: …": a message that may change state could not be recorded
 * within the platform's deadline. It is not acknowledged, so the platform delivers it again (the
 * adapter has given its dedup claim back).
 * @param prefix the platform's code prefix, e.g. 'WECOM', 'DINGTALK', 'AIBOT'
 * @param retry how the platform retries, for the message ('retry', 'deliver it again')
 */
export function answerNotRecorded(k: Context, prefix: string, retry = 'retry'): void {
  k.status = 503;
  k.type = 'text/plain';
  k.body = `${prefix}_NOT_RECORDED: the message could not be recorded in time; ${retry}`;
}

/** Code and message of an error for logs (the bot's own messages never contain user text); `code` when it has a string one. */
export function errorSummary(err: unknown): { code?: string; message: string } {
  const e = err as Partial<BotError> | null;
  if (e && typeof e === 'object' && typeof e.code === 'string') return { code: e.code, message: String(e.message) };
  return { message: err instanceof Error ? err.message : String(err) };
}

/**
 * Answers a refused callback: a {@link BotError} with a status other than 500 (a 4xx from
 * verification or parsing, a 503 to be retried) becomes that status with "<CODE>: <message>",
 * logged at `warn` with the code; anything else is a 500 "internal error", logged at `error`
 * without details in the answer.
 * @param summary what to log of an unexpected error (never message text)
 */
export function answerCallbackError(k: Context, err: unknown, log: Logger, platform: string, summary: (err: unknown) => unknown = errorSummary): void {
  const status = err instanceof BotError ? err.status : 500;
  if (err instanceof BotError && status >= 400 && status < 600 && status !== 500) {
    log.warn({ code: err.code, httpStatus: status }, `${platform} callback refused`);
    k.status = status;
    k.type = 'text/plain';
    k.body = `${err.code}: ${err.message}`;
    return;
  }
  log.error({ err: summary(err) }, `${platform} callback failed`);
  k.status = 500;
  k.type = 'text/plain';
  k.body = 'internal error';
}

/**
 * A platform callback route: runs `handle` (raw body, verify first, parse, claim, answer within the
 * deadline) and turns whatever it throws into the answer of {@link answerCallbackError} — a 4xx (or
 * 503) "<CODE>: <message>", or a 500 "internal error" — so no callback has its own error path.
 */
export function callbackRoute(platform: string, log: Logger, handle: (k: Context) => Promise<void>): (k: Context) => Promise<void> {
  return async (k) => {
    try {
      await handle(k);
    } catch (err) {
      answerCallbackError(k, err, log, platform);
    }
  };
}
