import { createHash } from 'node:crypto';
import type { ClaimGuard } from '../kit/claims.ts';
import { SIGN_WINDOW_MS } from './limits.ts';

/**
 * Replay defence of HTTP-mode robot callbacks. DingTalk's `sign` header covers the `timestamp`
 * header only, never the body (https://open.dingtalk.com/document/orgapp/receive-message), so a
 * captured header pair would carry any forged body — another msgId, another senderStaffId, a
 * sessionWebhook of the attacker's own chat — for as long as the timestamp is within ±1 h: the
 * victim's status posted into the attacker's chat, a notice "acknowledged" in the victim's name.
 *
 * Defence: the first body accepted with a (timestamp, sign) pair binds the pair to its msgId, in
 * the shared store, until the timestamp leaves the window. A later body with the same pair and the
 * same msgId is a retry ('same-message'; msgId dedup answers it at most once). A body with the
 * same pair and another msgId is 'reused': it cannot be told apart from a replay, so it is not
 * trusted as anyone — the adapter handles it as anonymous (FAQ answer only: no personal status, no
 * acknowledgement, no admin command).
 *
 * Why not refuse it: DingTalk signs each push with its send time in ms, so two genuine messages to
 * one robot in the same millisecond share a pair — at a busy 17 messages/s that happens every few
 * seconds. Refusing would drop those messages (DingTalk's retry policy is undocumented); answering
 * them as anonymous loses only the personal line of one answer, and the employee's next question
 * gets it. Risk left: an attacker in the path (seeing the request before it reaches us) can win the
 * race once and be trusted; such an attacker can rewrite the unsigned body anyway.
 */

/** What a header pair is to this body. */
export type SignPairUse = 'first' | 'same-message' | 'reused';

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
 * parsed), or tells how it was bound before.
 * @param claims the adapter's claim guard (shared store; this process's memory while it is down)
 * @param pair the `timestamp` and `sign` headers exactly as received
 * @param msgId the body's msgId
 * @returns 'first' (bound now), 'same-message' (bound to this msgId before: a retry) or 'reused'
 *   (bound to another msgId, or the binding cannot be read while the store is down)
 */
export async function bindSignPair(claims: ClaimGuard, pair: { timestamp: string; sign: string }, msgId: string, nowMs: number): Promise<SignPairUse> {
  const key = signPairKey(pair.timestamp, pair.sign);
  if (await claims.claim(key, signPairTtlMs(Number(pair.timestamp), nowMs), msgId)) return 'first';
  return (await claims.value(key)) === msgId ? 'same-message' : 'reused';
}
