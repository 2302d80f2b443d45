import { randomFillSync, randomInt, timingSafeEqual } from 'node:crypto';
import { decrypt, encrypt, getSignature } from '@wecom/crypto';
import { RequestError } from '../../src/errors.ts';
import { WECOM_TIMESTAMP_WINDOW_MS } from './limits.ts';
import { adapterRequestError } from '../errors.ts';

/**
 * WeCom callback crypto (the "WXBizMsgCrypt" scheme, developer.work.weixin.qq.com/document/path/91144;
 * docs/PROTOCOLS.md §0, §5.1) on top of @wecom/crypto, adding the three checks that library
 * leaves out: constant-time signature comparison, strict ciphertext shape, and receiveid == CorpID
 * (a wrong EncodingAESKey decrypts to garbage without throwing, so the id check is what catches it).
 *
 * Error codes (RequestError, answered as HTTP status with a short reason):
 * - WECOM_BAD_REQUEST (400): a required query parameter is missing or empty;
 * - WECOM_BAD_SIGNATURE (401): msg_signature does not match;
 * - WECOM_DECRYPT_FAILED (400): the ciphertext is not strict base64, not a whole number of AES blocks,
 *   or too short to hold the plaintext layout;
 * - WECOM_RECEIVEID_MISMATCH (401): the decrypted receiveid is not our CorpID: the sender used
 *   another EncodingAESKey or another corp's — either way the message is not from our corp, so it
 *   is an authentication failure (401), like a bad signature.
 *
 * - WECOM_STALE_TIMESTAMP (401): the signed timestamp is not unix seconds within
 *   {@link WECOM_TIMESTAMP_WINDOW_MS} of our clock ({@link assertFreshTimestamp}, called by the
 *   routes with their injected clock, so the 2014 official vectors still verify in tests).
 */

/** The secrets one callback URL is configured with. */
export interface WecomCallbackKeys {
  /** Callback Token (signature key). */
  token: string;
  /** Callback EncodingAESKey, 43 characters. */
  encodingAESKey: string;
  /** CorpID: the receiveid every callback must carry. */
  corpId: string;
}

/** The signed parts of a callback: query parameters plus the ciphertext (Encrypt element or echostr). */
export interface SignedCiphertext {
  msgSignature: string;
  timestamp: string;
  nonce: string;
  /** base64 ciphertext exactly as signed. */
  encrypt: string;
}

const STRICT_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** AES block size; senders pad to 32 bytes, so a valid ciphertext holds at least two blocks. */
const AES_BLOCK_BYTES = 16;

/** sha1 hex of the sorted [token, timestamp, nonce, encrypt] (lower-case, 40 characters). */
export function signWecom(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return getSignature(token, timestamp, nonce, encrypt);
}

/** Constant-time comparison of two signatures (hex case ignored); false when lengths differ. */
export function signaturesEqual(expected: string, received: string): boolean {
  const a = Buffer.from(expected.toLowerCase(), 'utf8');
  const b = Buffer.from(received.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Refuses a callback whose signed `timestamp` (unix seconds, decimal digits) is more than
 * `windowMs` away from `nowMs`: a captured callback cannot be replayed after its dedup key expired.
 * @param timestamp the query parameter as received
 * @param nowMs our clock, ms since the epoch
 * @param windowMs default {@link WECOM_TIMESTAMP_WINDOW_MS}
 * @throws RequestError WECOM_STALE_TIMESTAMP (401)
 */
export function assertFreshTimestamp(timestamp: string, nowMs: number, windowMs: number = WECOM_TIMESTAMP_WINDOW_MS): void {
  const seconds = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : NaN;
  if (!Number.isFinite(seconds) || Math.abs(nowMs - seconds * 1000) > windowMs) {
    throw adapterRequestError('WECOM_STALE_TIMESTAMP', `timestamp is not unix seconds within ${windowMs / 60_000} minutes of server time`);
  }
}

/**
 * Checks `msgSignature` against sha1(sort[token, timestamp, nonce, encrypt]).
 * @throws RequestError WECOM_BAD_SIGNATURE (401)
 */
export function verifySignature(token: string, signed: SignedCiphertext): void {
  const expected = signWecom(token, signed.timestamp, signed.nonce, signed.encrypt);
  if (!signaturesEqual(expected, signed.msgSignature)) {
    throw adapterRequestError('WECOM_BAD_SIGNATURE', 'msg_signature does not match');
  }
}

/**
 * Decrypts a base64 ciphertext and checks its receiveid equals `keys.corpId`.
 * @returns the plaintext message (UTF-8 string: XML for POST callbacks, the echo string for GET)
 * @throws RequestError WECOM_DECRYPT_FAILED (400) for a malformed ciphertext;
 *   WECOM_RECEIVEID_MISMATCH (401) when the receiveid differs (wrong key or another corp).
 */
export function decryptWecom(keys: WecomCallbackKeys, ciphertext: string): string {
  if (ciphertext.length % 4 !== 0 || !STRICT_BASE64.test(ciphertext)) {
    throw adapterRequestError('WECOM_DECRYPT_FAILED', 'ciphertext is not base64');
  }
  const bytes = Buffer.from(ciphertext, 'base64');
  if (bytes.length < 2 * AES_BLOCK_BYTES || bytes.length % AES_BLOCK_BYTES !== 0) {
    throw adapterRequestError('WECOM_DECRYPT_FAILED', 'ciphertext is not a whole number of AES blocks');
  }
  let result: { message: string; id: string };
  try {
    result = decrypt(keys.encodingAESKey, ciphertext);
  } catch {
    // RangeError from a plaintext shorter than its 20-byte header, or an invalid key.
    throw adapterRequestError('WECOM_DECRYPT_FAILED', 'ciphertext could not be decrypted');
  }
  if (result.id !== keys.corpId) {
    throw new RequestError(
      'WECOM_RECEIVEID_MISMATCH',
      'decrypted receiveid is not our CorpID (wrong EncodingAESKey or another corp)',
      401,
    );
  }
  return result.message;
}

/**
 * Verifies then decrypts one signed ciphertext (a POST's Encrypt element).
 * @throws RequestError WECOM_BAD_SIGNATURE, WECOM_DECRYPT_FAILED, WECOM_RECEIVEID_MISMATCH
 */
export function openCallback(keys: WecomCallbackKeys, signed: SignedCiphertext): string {
  verifySignature(keys.token, signed);
  return decryptWecom(keys, signed.encrypt);
}

/**
 * The GET URL verification (docs/PROTOCOLS.md §1.2): verify the signature over `echostr`, decrypt it,
 * check the receiveid, return the plaintext to answer with. Hardening: a query decoder may have
 * turned a raw '+' of the base64 into a space; when the signature fails and `echostr` has spaces,
 * it is tried once more with the spaces turned back into '+'.
 * @param query raw values of msg_signature, timestamp, nonce, echostr (already URL-decoded)
 * @throws RequestError WECOM_BAD_REQUEST (400) when a parameter is missing, else as {@link openCallback}
 */
export function openEchostr(
  keys: WecomCallbackKeys,
  query: { msgSignature?: string; timestamp?: string; nonce?: string; echostr?: string },
): string {
  const { msgSignature, timestamp, nonce, echostr } = requireParams(query, ['msgSignature', 'timestamp', 'nonce', 'echostr']);
  const signed = { msgSignature, timestamp, nonce, encrypt: echostr };
  try {
    verifySignature(keys.token, signed);
  } catch (err) {
    if (!echostr.includes(' ')) throw err;
    const repaired = { ...signed, encrypt: echostr.replaceAll(' ', '+') };
    verifySignature(keys.token, repaired);
    return decryptWecom(keys, repaired.encrypt);
  }
  return decryptWecom(keys, echostr);
}

/** A sealed passive reply: the four values of the outer reply XML (docs/PROTOCOLS.md §1.5). */
export interface SealedReply {
  encrypt: string;
  msgSignature: string;
  /** Unix seconds, as a decimal string. */
  timeStamp: string;
  nonce: string;
}

/** Bytes of CSPRNG output fetched at once for {@link randomBlock} (one syscall per 256 replies). */
const RANDOM_POOL_BYTES = 4096;
let randomPool = Buffer.alloc(0);
let randomPoolAt = 0;

/**
 * 16 fresh CSPRNG bytes (the random prefix of a WeCom ciphertext), served from a pool refilled
 * with `randomFillSync` every {@link RANDOM_POOL_BYTES} bytes: `randomBytes(16)` costs ~7 µs per
 * call here, a pooled block ~0.1 µs. Every byte is handed out once; the caller gets its own copy.
 */
function randomBlock(): Buffer {
  if (randomPoolAt + 16 > randomPool.length) {
    randomPool = randomFillSync(Buffer.allocUnsafe(RANDOM_POOL_BYTES));
    randomPoolAt = 0;
  }
  const block = Buffer.from(randomPool.subarray(randomPoolAt, randomPoolAt + 16));
  randomPoolAt += 16;
  return block;
}

/**
 * Encrypts a plaintext reply XML with receiveid = CorpID and signs it.
 * @param options.timestamp unix seconds (string or number); options.nonce default: 10 random digits;
 *   options.random 16 bytes (default random; fixed only in tests)
 */
export function sealReply(
  keys: WecomCallbackKeys,
  plaintextXml: string,
  options: { timestamp: string | number; nonce?: string; random?: Buffer },
): SealedReply {
  const timeStamp = String(options.timestamp);
  const nonce = options.nonce ?? String(randomInt(1_000_000_000, 10_000_000_000));
  const sealed = encrypt(keys.encodingAESKey, plaintextXml, keys.corpId, options.random ?? randomBlock());
  return { encrypt: sealed, msgSignature: signWecom(keys.token, timeStamp, nonce, sealed), timeStamp, nonce };
}

/**
 * Returns the named parameters as non-empty strings.
 * @throws RequestError WECOM_BAD_REQUEST (400) naming the first missing one
 */
export function requireParams<K extends string>(
  values: Partial<Record<K, string | undefined>>,
  names: readonly K[],
): Record<K, string> {
  const out = {} as Record<K, string>;
  for (const name of names) {
    const v = values[name];
    if (typeof v !== 'string' || v.length === 0) {
      throw adapterRequestError('WECOM_BAD_REQUEST', `missing parameter ${snake(name)}`);
    }
    out[name] = v;
  }
  return out;
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
