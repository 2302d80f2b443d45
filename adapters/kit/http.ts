import getRawBody from 'raw-body';
import type { Context } from 'koa';
import { RequestError } from '../../src/errors.ts';
import { refuseConnectionReuse } from '../../src/http/connection.ts';
import { adapterRequestError } from '../errors.ts';

export { refuseConnectionReuse };

/** Largest callback body any platform sends us, in bytes; larger bodies get 413. */
export const MAX_CALLBACK_BODY_BYTES = 1024 * 1024;

/**
 * Reads the request body as the exact bytes received (a signature over the raw body — Feishu's
 * X-Lark-Signature — is checked on them before anything else). Handles chunked transfer encoding.
 * @throws RequestError BODY_TOO_LARGE (413, connection not reused) over `limitBytes`;
 *   BODY_UNREADABLE (400) when the stream fails.
 */
export async function readRawBytes(ctx: Context, limitBytes = MAX_CALLBACK_BODY_BYTES): Promise<Buffer> {
  try {
    return await getRawBody(ctx.req, { limit: limitBytes, length: ctx.request.length });
  } catch (err) {
    const e = err as { type?: string; status?: number };
    if (e.type === 'entity.too.large' || e.status === 413) {
      refuseConnectionReuse(ctx);
      throw adapterRequestError('BODY_TOO_LARGE', `body over ${limitBytes} bytes`);
    }
    throw adapterRequestError('BODY_UNREADABLE', 'request body could not be read');
  }
}

/**
 * Reads the request body as exact bytes decoded as UTF-8 (signatures that cover the raw body need
 * the bytes as received). Handles chunked transfer encoding.
 * @throws RequestError BODY_TOO_LARGE (413) over `limitBytes`; BODY_INVALID_UTF8 (400) when the
 *   bytes are not valid UTF-8; BODY_UNREADABLE (400) when the stream fails.
 */
export async function readRawBody(ctx: Context, limitBytes = MAX_CALLBACK_BODY_BYTES): Promise<string> {
  const buf = await readRawBytes(ctx, limitBytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw adapterRequestError('BODY_INVALID_UTF8', 'body is not valid UTF-8');
  }
}
