import { createHash } from 'node:crypto';
import { RequestError } from '../../src/errors.ts';
import type { ClaimGuard } from '../claims.ts';
import { SIGN_WINDOW_MS } from './limits.ts';

/**
 * Replay defence of HTTP-mode robot callbacks. DingTalk's `sign` header covers the `timestamp`
 * header only, never the body (https://open.dingtalk.com/document/orgapp/receive-message), so a
 * captured header pair would carry any forged body — another msgId, another senderStaffId, a
 * sessionWebhook of the attacker's own chat — for as long as the timestamp is within ±1 h.
 *
 * Defence: the first body accepted with a (timestamp, sign) pair binds the pair to its msgId, in
 * the shared store, until the timestamp leaves the window. The same pair with another msgId is
 * refused (401 DINGTALK_SIGN_REUSED), and so is a reused pair whose msgId cannot be looked up
 * (store down); the same pair with the same msgId passes (and msgId dedup then answers it at most once).
 *
 * Decision on DingTalk's own retries (their policy is undocumented, protocols.md §3.1): a retry
 * resends the same body, so whether it reuses the header pair or is signed afresh, it passes this
 * check and is dropped by msgId dedup. Risks: (1) two different messages signed in the same
 * millisecond by DingTalk would share a pair and the second would be refused — DingTalk stamps each
 * request with its own send time, so this needs two pushes to this robot in one ms; (2) an attacker
 * who sees a pair *before* DingTalk's own request arrives (a tap in front of our TLS end) can still
 * win the race once; the genuine message is then refused. Only a body signature could close that.
 */

/** Store key of one accepted header pair ('dtsign:<timestamp>:<sha256(sign), 32 hex>'). */
export function signPairKey(timestamp: string, sign: string): string {
  return `dtsign:${timestamp}:${createHash('sha256').update(sign, 'utf8').digest('hex').slice(0, 32)}`;
}

/**
 * How long a pair must be remembered, in ms: until its timestamp is more than {@link SIGN_WINDOW_MS}
 * behind `nowMs`, plus a minute of clock margin; at least 1 s.
 * @param timestampMs the pair's timestamp, ms since the epoch
 */
export function signPairTtlMs(timestampMs: number, nowMs: number): number {
  return Math.max(1000, timestampMs + SIGN_WINDOW_MS - nowMs + 60_000);
}

/**
 * Binds a verified header pair to the body's msgId (call after the sign was verified and the body
 * parsed).
 * @param claims the adapter's claim guard (shared store; this process's memory while it is down)
 * @param pair the `timestamp` and `sign` headers exactly as received
 * @param msgId the body's msgId
 * @throws RequestError DINGTALK_SIGN_REUSED (401) when the pair was accepted before with another msgId
 */
export async function bindSignPair(claims: ClaimGuard, pair: { timestamp: string; sign: string }, msgId: string, nowMs: number): Promise<void> {
  const key = signPairKey(pair.timestamp, pair.sign);
  if (await claims.claim(key, signPairTtlMs(Number(pair.timestamp), nowMs), msgId)) return;
  const bound = await claims.value(key);
  // null (the store cannot be asked right now): refused too. The pair was accepted before, so its
  // first message is being handled already; only a second copy of it — a duplicate anyway — is lost.
  if (bound !== msgId) {
    throw new RequestError('DINGTALK_SIGN_REUSED', 'timestamp/sign pair already used for another message', 401);
  }
}
