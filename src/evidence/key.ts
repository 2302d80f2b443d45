import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { ConfigError } from '../errors.ts';

/**
 * The Ed25519 key that signs evidence exports (docs/EVIDENCE.md, "The key"). Ed25519 as in
 * RFC 8032 (pure, no pre-hash: what `openssl pkeyutl -sign -rawin` makes), keys in the
 * encodings of RFC 8410 (PKCS#8 private keys, SubjectPublicKeyInfo public keys).
 */

/** Environment variable holding the signing key. */
export const SIGNING_KEY_VARIABLE = 'EVIDENCE_SIGNING_KEY';

/** DER of a PKCS#8 Ed25519 private key up to its 32-byte seed (RFC 8410 §7). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
/** DER of an Ed25519 SubjectPublicKeyInfo up to its 32-byte key (RFC 8410 §4). */
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Hex digits of the SHA-256 fingerprint that make the short key id. */
const KEY_ID_HEX_DIGITS = 16;

/** A public key as exports and the CLI name it. */
export interface EvidencePublicKey {
  key: KeyObject;
  /** SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----"), LF line ends. */
  pem: string;
  /** SubjectPublicKeyInfo DER, base64 (one line: the `# public-key:` of an export). */
  spkiBase64: string;
  /** SHA-256 of the SubjectPublicKeyInfo DER, 64 lower-case hex digits (`openssl pkey -pubin -outform DER | openssl dgst -sha256`). */
  fingerprint: string;
  /** The first 16 hex digits of the fingerprint: the `# key-id:` of an export. */
  keyId: string;
}

/** The signing key and its public half. */
export interface EvidenceSigningKey {
  privateKey: KeyObject;
  publicKey: EvidencePublicKey;
}

/** Names and fingerprints the public key `key` (an Ed25519 public or private KeyObject). */
export function describePublicKey(key: KeyObject): EvidencePublicKey {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const der = pub.export({ type: 'spki', format: 'der' });
  const fingerprint = createHash('sha256').update(der).digest('hex');
  return {
    key: pub,
    pem: pub.export({ type: 'spki', format: 'pem' }).toString(),
    spkiBase64: der.toString('base64'),
    fingerprint,
    keyId: fingerprint.slice(0, KEY_ID_HEX_DIGITS),
  };
}

function invalidKey(variable: string, value: string, why: string): ConfigError {
  // Never echo the key: only its length.
  return new ConfigError(
    `${variable} is invalid: ${why}; it must be an Ed25519 private key, either the base64 of its 32-byte seed ` +
      `(openssl genpkey -algorithm ed25519 -outform DER | tail -c 32 | base64) or a PKCS#8 PEM ` +
      `(openssl genpkey -algorithm ed25519), see docs/EVIDENCE.md (got a value of ${value.length} characters)`,
  );
}

/**
 * Reads the signing key from the value of {@link SIGNING_KEY_VARIABLE}: either the standard
 * base64 of the 32-byte Ed25519 seed (one line, the recommended form for an environment
 * variable), or an unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"; line breaks may be
 * written as `\n`).
 * @param variable the name used in the error (default EVIDENCE_SIGNING_KEY)
 * @throws ConfigError (CONFIG_INVALID) naming the variable, never showing the value
 */
export function parseSigningKey(value: string, variable = SIGNING_KEY_VARIABLE): EvidenceSigningKey {
  const text = value.trim();
  let privateKey: KeyObject;
  if (text.includes('-----BEGIN')) {
    if (text.includes('ENCRYPTED')) throw invalidKey(variable, value, 'an encrypted PEM cannot be read without a passphrase');
    try {
      privateKey = createPrivateKey({ key: text.replace(/\\n/g, '\n'), format: 'pem' });
    } catch {
      throw invalidKey(variable, value, 'the PEM is not a readable private key');
    }
    if (privateKey.asymmetricKeyType !== 'ed25519') throw invalidKey(variable, value, `the PEM holds a ${privateKey.asymmetricKeyType ?? 'non-Ed25519'} key`);
  } else {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw invalidKey(variable, value, 'it is neither base64 nor a PEM');
    const seed = Buffer.from(text, 'base64');
    if (seed.length !== 32) throw invalidKey(variable, value, `the base64 decodes to ${seed.length} bytes, not 32`);
    privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  }
  return { privateKey, publicKey: describePublicKey(privateKey) };
}

/**
 * The first "-----BEGIN PUBLIC KEY----- … -----END PUBLIC KEY-----" block of `text`, found with indexOf (the lazy
 * expression /BEGIN[\s\S]*?END/ takes quadratic time on many BEGIN lines without an END).
 */
function pemBlock(text: string): string | undefined {
  const BEGIN = '-----BEGIN PUBLIC KEY-----';
  const END = '-----END PUBLIC KEY-----';
  const start = text.indexOf(BEGIN);
  if (start === -1) return undefined;
  const end = text.indexOf(END, start + BEGIN.length);
  return end === -1 ? undefined : text.slice(start, end + END.length);
}

/**
 * Reads a public key an auditor was given: a SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC
 * KEY-----", e.g. the output of `privacy-bot evidence pubkey`, text around it ignored), or one
 * line of base64 of the SPKI DER (the `# public-key:` of an export) or of the raw 32-byte key.
 * @throws Error saying what was expected
 */
export function parsePublicKey(text: string): EvidencePublicKey {
  const pem = pemBlock(text);
  let key: KeyObject;
  try {
    if (pem) {
      key = createPublicKey({ key: pem, format: 'pem' });
    } else {
      const t = text.trim();
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t)) throw new Error('not base64');
      const der = Buffer.from(t, 'base64');
      key = createPublicKey({ key: der.length === 32 ? Buffer.concat([SPKI_ED25519_PREFIX, der]) : der, format: 'der', type: 'spki' });
    }
  } catch {
    throw new Error('expected an Ed25519 public key: a "-----BEGIN PUBLIC KEY-----" PEM (privacy-bot evidence pubkey), or base64 of its DER or of the raw 32 bytes');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`expected an Ed25519 public key, got ${key.asymmetricKeyType ?? 'another kind'}`);
  return describePublicKey(key);
}

/** Ed25519 signature of `bytes`, base64 (64 bytes decoded). */
export function signBytes(key: EvidenceSigningKey, bytes: Buffer): string {
  return sign(null, bytes, key.privateKey).toString('base64');
}

/** Whether `signatureBase64` is a valid Ed25519 signature of `bytes` under `key`; false for a malformed signature. */
export function verifyBytes(key: EvidencePublicKey, bytes: Buffer, signatureBase64: string): boolean {
  if (!/^[A-Za-z0-9+/]{86}==$/.test(signatureBase64)) return false;
  return verify(null, bytes, key.key, Buffer.from(signatureBase64, 'base64'));
}
