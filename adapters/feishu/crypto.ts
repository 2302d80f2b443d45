import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { RequestError } from '../../src/errors.ts';
import { adapterRequestError } from '../errors.ts';

/**
 * Feishu event encryption and request signature (事件与回调 → 加密策略).
 * - Encrypted body `{"encrypt":"<base64>"}`: base64 of IV (16 bytes) ‖ AES-256-CBC ciphertext
 *   (PKCS#7), key = SHA-256(Encrypt Key) as 32 raw bytes; the plaintext is the event JSON (UTF-8).
 * - `X-Lark-Signature` = hex(SHA-256(timestamp ‖ nonce ‖ Encrypt Key ‖ raw body bytes)), sent only
 *   when an Encrypt Key is set, never for url_verification.
 * The SDK's own check hashes `JSON.stringify(parsed body)` instead of the received bytes, which
 * fails whenever Feishu's serialisation differs (https://github.com/larksuite/node-sdk/issues/46), so the adapter verifies here.
 * Source: https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/encrypt-key-encryption-configuration-case
 */

/** The 32-byte AES key of an Encrypt Key. */
export function feishuAesKey(encryptKey: string): Buffer {
  return createHash('sha256').update(encryptKey, 'utf8').digest();
}

/**
 * Decrypts the `encrypt` field of an encrypted callback body.
 * @returns the plaintext (UTF-8)
 * @throws RequestError FEISHU_BAD_ENCRYPT (400) for bad base64, a short buffer, a wrong key or bad padding
 */
export function decryptFeishu(encryptKey: string, encrypt: string): string {
  const buf = Buffer.from(encrypt, 'base64');
  if (buf.length < 32 || (buf.length - 16) % 16 !== 0) {
    throw adapterRequestError('FEISHU_BAD_ENCRYPT', 'encrypt is not IV plus whole AES blocks');
  }
  try {
    const decipher = createDecipheriv('aes-256-cbc', feishuAesKey(encryptKey), buf.subarray(0, 16));
    const plain = Buffer.concat([decipher.update(buf.subarray(16)), decipher.final()]);
    return new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch {
    throw adapterRequestError('FEISHU_BAD_ENCRYPT', 'encrypt could not be decrypted with the Encrypt Key');
  }
}

/**
 * Encrypts `plaintext` the way Feishu does (random IV prepended): for fakes and tests.
 * @param iv 16 bytes (default random)
 */
export function encryptFeishu(encryptKey: string, plaintext: string, iv: Buffer = randomBytes(16)): string {
  const cipher = createCipheriv('aes-256-cbc', feishuAesKey(encryptKey), iv);
  return Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

/** hex(SHA-256(timestamp ‖ nonce ‖ encryptKey ‖ body)) over the exact body bytes. */
export function feishuSignature(timestamp: string, nonce: string, encryptKey: string, body: Buffer): string {
  return createHash('sha256').update(timestamp, 'utf8').update(nonce, 'utf8').update(encryptKey, 'utf8').update(body).digest('hex');
}

/**
 * Checks `X-Lark-Signature` over the raw body bytes, in constant time.
 * @throws RequestError FEISHU_BAD_SIGNATURE (401) when a header is missing or the signature differs
 */
export function verifyFeishuSignature(
  headers: { timestamp: string | undefined; nonce: string | undefined; signature: string | undefined },
  encryptKey: string,
  body: Buffer,
): void {
  const { timestamp, nonce, signature } = headers;
  if (!timestamp || !nonce || !signature) {
    throw adapterRequestError('FEISHU_BAD_SIGNATURE', 'X-Lark-Request-Timestamp, X-Lark-Request-Nonce and X-Lark-Signature are required');
  }
  const expected = Buffer.from(feishuSignature(timestamp, nonce, encryptKey, body), 'utf8');
  const got = Buffer.from(signature.trim().toLowerCase(), 'utf8');
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
    throw adapterRequestError('FEISHU_BAD_SIGNATURE', 'X-Lark-Signature does not match the body');
  }
}

/** Constant-time comparison of a received token with the configured one. */
export function tokenMatches(received: unknown, expected: string): boolean {
  if (typeof received !== 'string') return false;
  const a = createHash('sha256').update(received).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
