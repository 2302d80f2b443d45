import { RequestError } from '../../src/errors.ts';
import { openCallback, openEchostr, sealReply, type WecomCallbackKeys } from '../wecom/crypto.ts';
import { AIBOT_RECEIVE_ID } from './limits.ts';

/**
 * AI-bot callback crypto: the WeCom "WXBizMsgCrypt" scheme (docs/PROTOCOLS.md §0) with receiveid = ""
 * (developer.work.weixin.qq.com/document/path/101033; docs/PROTOCOLS.md §2.5(a), §8 #5), on top of the
 * self-built app's helpers in adapters/wecom/crypto.ts (constant-time signature compare, strict
 * base64, receiveid check).
 *
 * Error codes (RequestError): WECOM_BAD_REQUEST (400) missing query parameter; WECOM_BAD_SIGNATURE
 * (401); WECOM_DECRYPT_FAILED (400) not base64 / not whole AES blocks / too short;
 * AIBOT_RECEIVEID_MISMATCH (401) the plaintext's receiveid is not "" (another EncodingAESKey, or a
 * self-built app's callback — receiveid = CorpID — sent to the AI bot's URL).
 */

/** The AI bot's callback secrets (from its API settings: Token, EncodingAESKey). */
export interface AibotCallbackSecrets {
  token: string;
  /** 43 characters. */
  encodingAESKey: string;
}

/** The four query/body values of one signed AI-bot ciphertext. */
export interface AibotSigned {
  msgSignature: string;
  timestamp: string;
  nonce: string;
  /** base64 ciphertext exactly as signed (the JSON body's `encrypt`). */
  encrypt: string;
}

/** The passive reply body (official JSON template: `msgsignature` without underscore, timestamp a string). */
export interface AibotSealedReply {
  encrypt: string;
  msgsignature: string;
  timestamp: string;
  nonce: string;
}

function keysOf(secrets: AibotCallbackSecrets): WecomCallbackKeys {
  return { token: secrets.token, encodingAESKey: secrets.encodingAESKey, corpId: AIBOT_RECEIVE_ID };
}

function renameMismatch(err: unknown): never {
  if (err instanceof RequestError && err.code === 'WECOM_RECEIVEID_MISMATCH') {
    throw new RequestError(
      'AIBOT_RECEIVEID_MISMATCH',
      'decrypted receiveid is not "" (wrong EncodingAESKey, or not an AI-bot callback)',
      401,
    );
  }
  throw err;
}

/**
 * Verifies the signature over `encrypt` (first, constant-time), decrypts, checks receiveid "".
 * @returns the plaintext (JSON text for POST callbacks)
 * @throws RequestError as listed in the module doc
 */
export function openAibotCiphertext(secrets: AibotCallbackSecrets, signed: AibotSigned): string {
  try {
    return openCallback(keysOf(secrets), signed);
  } catch (err) {
    return renameMismatch(err);
  }
}

/**
 * The GET URL verification: verify msg_signature over echostr, decrypt with receiveid "", and return
 * the bare plaintext to answer with (within 1 s).
 * @param query URL-decoded msg_signature, timestamp, nonce, echostr
 * @throws RequestError as listed in the module doc
 */
export function openAibotEchostr(
  secrets: AibotCallbackSecrets,
  query: { msgSignature?: string; timestamp?: string; nonce?: string; echostr?: string },
): string {
  try {
    return openEchostr(keysOf(secrets), query);
  } catch (err) {
    return renameMismatch(err);
  }
}

/**
 * Encrypts a reply's plaintext JSON with receiveid "" and signs it, in the AI bot's passive reply shape.
 * @param plaintextJson e.g. '{"msgtype":"stream","stream":{…}}'
 * @param options.timestamp unix seconds; options.nonce (default 10 random digits); options.random 16 bytes (tests)
 */
export function sealAibotReply(
  secrets: AibotCallbackSecrets,
  plaintextJson: string,
  options: { timestamp: string | number; nonce?: string; random?: Buffer },
): AibotSealedReply {
  const sealed = sealReply(keysOf(secrets), plaintextJson, options);
  return { encrypt: sealed.encrypt, msgsignature: sealed.msgSignature, timestamp: sealed.timeStamp, nonce: sealed.nonce };
}
