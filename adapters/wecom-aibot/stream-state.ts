import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { KeyValueStore } from '../../src/store/ports/store.ts';

/**
 * The AI bot's transient reply state (HTTP mode): what a stream shows while WeCom fetches it with
 * stream refresh callbacks (developer.work.weixin.qq.com/document/path/101031). It is the only
 * answer text the bot ever writes to the store — possibly with the asker's own status line in a
 * 1:1 chat — so it is kept unreadable and short-lived:
 * - encrypted with AES-256-GCM (12-byte random IV, 16-byte tag, the store key as additional data,
 *   so a value moved to another key does not open); the key is derived with HKDF-SHA256 from the
 *   AI bot's callback secrets (WECOM_AIBOT_ENCODING_AES_KEY and WECOM_AIBOT_TOKEN), which every
 *   instance has in its configuration and which are never written to the store;
 * - kept only as long as WeCom may ask for it (the caller's TTL: the stream's lifetime, or the
 *   callback's retry window for an answer given at once), and deleted as soon as the finished
 *   stream was fetched.
 * A value that does not open (other secrets after a key change, a damaged value) counts as absent.
 */

/** What a stream shows now; refresh callbacks are answered with it. */
export interface StreamState {
  finish: boolean;
  /** Full content so far (not a delta). */
  content: string;
}

/** Store key of a stream's state: 'aibot:stream:<id>'. */
export function streamStateKey(streamId: string): string {
  return `aibot:stream:${streamId}`;
}

/** Version prefix of stored values (a later format can be told apart). */
const FORMAT = 'g1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * The 32-byte AES-256-GCM key of stream states, derived from the AI bot's callback secrets with
 * HKDF-SHA256 (RFC 5869; salt and info are fixed labels of this product). Instances with the same
 * configuration derive the same key; nothing of it is stored.
 * @param secrets.encodingAESKey the 43-character EncodingAESKey; secrets.token the callback Token
 */
export function deriveStreamStateKey(secrets: { token: string; encodingAESKey: string }): Buffer {
  const ikm = Buffer.concat([Buffer.from(`${secrets.encodingAESKey}=`, 'base64'), Buffer.from(secrets.token, 'utf8')]);
  return Buffer.from(hkdfSync('sha256', ikm, 'privacy-bot', 'wecom-aibot stream state v1', 32));
}

/** Encrypted, short-lived stream states in the shared store. */
export interface StreamStates {
  /** Saves a state for `ttlMs` ms (> 0). @throws whatever the store throws */
  save(streamId: string, state: StreamState, ttlMs: number): Promise<void>;
  /** The state, or null when unknown, expired or not readable with our key. @throws whatever the store throws */
  load(streamId: string): Promise<StreamState | null>;
  /** Deletes a state (no error when absent). @throws whatever the store throws */
  delete(streamId: string): Promise<void>;
}

/**
 * @param kv the shared store
 * @param key 32 bytes, e.g. {@link deriveStreamStateKey}
 * @throws RangeError when the key is not 32 bytes
 */
export function createStreamStates(kv: KeyValueStore, key: Buffer): StreamStates {
  if (key.length !== 32) throw new RangeError('stream state key must be 32 bytes');
  function seal(storeKey: string, state: StreamState): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(storeKey, 'utf8'));
    const body = Buffer.concat([cipher.update(JSON.stringify({ f: state.finish, c: state.content }), 'utf8'), cipher.final()]);
    return FORMAT + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }
  function open(storeKey: string, value: string): StreamState | null {
    if (!value.startsWith(FORMAT)) return null;
    const raw = Buffer.from(value.slice(FORMAT.length), 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(storeKey, 'utf8'));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      const v = JSON.parse(plain) as { f?: unknown; c?: unknown };
      return typeof v.f === 'boolean' && typeof v.c === 'string' ? { finish: v.f, content: v.c } : null;
    } catch {
      return null;
    }
  }
  return {
    async save(streamId, state, ttlMs) {
      const k = streamStateKey(streamId);
      await kv.set(k, seal(k, state), ttlMs);
    },
    async load(streamId) {
      const k = streamStateKey(streamId);
      const raw = await kv.get(k);
      return raw === null ? null : open(k, raw);
    },
    async delete(streamId) {
      await kv.delete(streamStateKey(streamId));
    },
  };
}
