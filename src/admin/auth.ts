import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { RequestError, requestError } from '../errors.ts';

/** Realm named in the WWW-Authenticate header of a 401. */
export const ADMIN_REALM = 'privacy-bot admin';

/**
 * True when `given` equals `expected`, in time that does not depend on where they differ or on
 * their lengths (both are hashed with SHA-256 first, then compared with timingSafeEqual).
 */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/**
 * Koa middleware: requires `Authorization: Bearer <token>` equal to `token`.
 * @throws RequestError ADMIN_UNAUTHORIZED (401, with WWW-Authenticate: Bearer) when the header
 *   is missing, not a Bearer token, or a different token. The message never says which.
 */
export function requireBearer(token: string) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const header = ctx.get('authorization');
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (!m || !tokensEqual(m[1]!, token)) {
      ctx.set('WWW-Authenticate', `Bearer realm="${ADMIN_REALM}"`);
      throw requestError('ADMIN_UNAUTHORIZED', 'a valid "Authorization: Bearer <ADMIN_TOKEN>" header is required');
    }
    await next();
  };
}
