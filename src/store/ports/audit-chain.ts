import { createHash } from 'node:crypto';

/**
 * The hash chain of a broadcast's audit log, as specified in docs/EVIDENCE.md ("The chain").
 * Both stores compute it when they append an audit row (SQLite in src/store/sqlite/notices.ts,
 * Redis in Lua: src/store/audit-chain-lua.ts) and `privacy-bot evidence verify` recomputes it from
 * an export; the three must agree byte for byte, which test/src/evidence/chain.test.ts checks
 * against a fixture computed with `openssl dgst -sha256`.
 *
 * Canonical serialisation: every field is a netstring (cr.yp.to/proto/netstrings.txt),
 * `<byte length in decimal>:<bytes>,`, of its UTF-8 bytes; integers are written in decimal
 * without sign, leading zeros or fraction; hashes are 64 lower-case hex digits.
 *
 *     row preimage  = ns("privacy-bot/audit-row/v1") ns(prevHash) ns(seq) ns(broadcastId) ns(atMs)
 *                     ns(userId or "") ns(from) ns(to) ns(reason)
 *     genesis       = SHA-256(ns("privacy-bot/audit-genesis/v1") ns(broadcastId) ns(noticeId) ns(version))
 *     row hash      = SHA-256(row preimage), in lower-case hex
 *
 * Row 1 (seq 1) has prevHash = genesis; row n has prevHash = hash of row n − 1.
 */

/** Label that starts every row preimage. */
export const ROW_LABEL = 'privacy-bot/audit-row/v1';
/** Label that starts the genesis preimage. */
export const GENESIS_LABEL = 'privacy-bot/audit-genesis/v1';

/** What the chain covers of one audit row. `userId` null = an event of the broadcast itself. */
export interface ChainRow {
  /** Position in the broadcast's chain, 1, 2, 3… */
  seq: number;
  /** Hash of the row before (row 1: the genesis hash), 64 lower-case hex digits. */
  prevHash: string;
  broadcastId: string;
  /** Time of the event, integer ms since the Unix epoch. */
  at: number;
  userId: string | null;
  from: string;
  to: string;
  reason: string;
}

/** What the genesis hash covers: the broadcast and the notice version it sends. */
export interface ChainHeader {
  broadcastId: string;
  noticeId: string;
  version: number;
}

/**
 * A netstring of `value`'s UTF-8 bytes, as text (its UTF-8 encoding is the netstring's bytes:
 * the length counts bytes, not characters).
 */
export function netstring(value: string): string {
  return `${Buffer.byteLength(value, 'utf8')}:${value},`;
}

/** A non-negative safe integer in decimal. @throws RangeError for anything else */
export function decimal(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a non-negative integer: ${n}`);
  return String(n);
}

function sha256hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function genesisText(h: ChainHeader): string {
  return netstring(GENESIS_LABEL) + netstring(h.broadcastId) + netstring(h.noticeId) + netstring(decimal(h.version));
}

function rowText(r: ChainRow): string {
  return (
    netstring(ROW_LABEL) + netstring(r.prevHash) + netstring(decimal(r.seq)) + netstring(r.broadcastId) + netstring(decimal(r.at)) +
    netstring(r.userId ?? '') + netstring(r.from) + netstring(r.to) + netstring(r.reason)
  );
}

/** The genesis preimage (bytes) of a broadcast's chain. */
export function genesisPreimage(h: ChainHeader): Buffer {
  return Buffer.from(genesisText(h), 'utf8');
}

/** The prevHash of row 1: SHA-256 of {@link genesisPreimage}, lower-case hex. */
export function genesisHash(h: ChainHeader): string {
  return sha256hex(genesisText(h));
}

/** The canonical bytes of one row (what its hash covers). @throws RangeError for a non-integer seq or time */
export function rowPreimage(r: ChainRow): Buffer {
  return Buffer.from(rowText(r), 'utf8');
}

/** SHA-256 of {@link rowPreimage}, 64 lower-case hex digits. @throws RangeError for a non-integer seq or time */
export function rowHash(r: ChainRow): string {
  return sha256hex(rowText(r));
}

/** Is `s` a hash as the chain writes it (64 lower-case hex digits)? */
export function isHash(s: string): boolean {
  return /^[0-9a-f]{64}$/.test(s);
}
