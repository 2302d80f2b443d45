import { randomBytes } from 'node:crypto';

/**
 * Ids of notices and broadcasts: a letter prefix and 10 lower-case base-32 characters
 * (50 random bits), e.g. 'n-k3v9q2x7ma', 'b-7pq2m9xk4c'. Short enough to type in a chat
 * command, safe in URLs, file names and Redis keys (no ':' or braces).
 */
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789'; // 32 symbols, no l/o/0/1 to avoid misreading

function random10(): string {
  const bytes = randomBytes(10);
  let out = '';
  for (const b of bytes) out += ALPHABET[b & 31];
  return out;
}

/** A new notice id, 'n-' + 10 characters. */
export function newNoticeId(): string {
  return `n-${random10()}`;
}

/** A new broadcast id, 'b-' + 10 characters. */
export function newBroadcastId(): string {
  return `b-${random10()}`;
}
