import type { Context } from 'koa';

/**
 * Marks the answer `Connection: close`. Needed when a body is refused before it was read to the
 * end (413): the unread rest would otherwise stay in the kept-alive socket, and the client's next
 * request on it would hang until the keep-alive timeout and then fail with ECONNRESET.
 */
export function refuseConnectionReuse(ctx: Context): void {
  ctx.set('Connection', 'close');
}
