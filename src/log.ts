import { createHash } from 'node:crypto';
import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type Logger, type DestinationStream } from 'pino';

/** The request being handled (set by the HTTP server per inbound request; inherited by its background work). */
export const requestContext = new AsyncLocalStorage<{ reqId: string }>();

/**
 * Structured JSON logs (pino). Privacy rule: never pass question text, answers or statuses to a
 * logger; identify people only by {@link hashUserId}. Fields named text/content/answer/question/
 * reply/status are redacted as a second line of defence.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'privacy-bot' },
      // Every line written while handling one inbound request (and the background work it started) carries its id.
      mixin: () => {
        const c = requestContext.getStore();
        return c ? { reqId: c.reqId } : {};
      },
      redact: {
        paths: ['text', 'content', 'answer', 'question', 'reply', 'status', '*.text', '*.content', '*.answer', '*.question', '*.reply', '*.status'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

const SALT = process.env.LOG_HASH_SALT ?? 'privacy-bot/v1';

/**
 * Pseudonymous id for logs: first 12 hex characters of SHA-256(salt ‖ platform ‖ ':' ‖ userId).
 * Stable across instances (same salt) so an operator can follow one person's requests without
 * learning who it is.
 */
export function hashUserId(platform: string, userId: string): string {
  return createHash('sha256').update(`${SALT}\u0000${platform}:${userId}`).digest('hex').slice(0, 12);
}
