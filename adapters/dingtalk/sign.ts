import { createHmac, timingSafeEqual } from 'node:crypto';
import { RequestError } from '../../src/errors.ts';
import { SIGN_WINDOW_MS } from './limits.ts';
import { adapterRequestError } from '../errors.ts';

/**
 * The callback `sign` header DingTalk computes for an HTTP-mode robot message:
 * Base64( HmacSHA256( key = AppSecret, data = timestamp + "\n" + AppSecret ) ).
 * @param timestamp the `timestamp` header exactly as sent (ms since the epoch, decimal digits)
 * @param appSecret the app's AppSecret
 * @returns plain base64 (44 characters)
 * Source: https://open.dingtalk.com/document/orgapp/receive-message (docs/PROTOCOLS.md §3.1, vector S5).
 */
export function computeDingtalkSign(timestamp: string, appSecret: string): string {
  return createHmac('sha256', appSecret).update(`${timestamp}\n${appSecret}`, 'utf8').digest('base64');
}

/**
 * Verifies the `timestamp` and `sign` headers of an HTTP-mode robot callback. Call it before the
 * body is read: the signature covers the timestamp only, never the body.
 * @param timestamp the `timestamp` header (ms since the epoch as decimal digits), or undefined/'' when absent
 * @param sign the `sign` header (plain base64), or undefined/'' when absent
 * @param appSecret the app's AppSecret
 * @param nowMs our clock, ms since the epoch
 * @throws RequestError DINGTALK_BAD_SIGNATURE (401) when a header is missing, the timestamp is not
 *   digits, or the sign does not match (constant-time comparison); DINGTALK_STALE_TIMESTAMP (401)
 *   when |nowMs − timestamp| > 1 h ({@link SIGN_WINDOW_MS}).
 * Source: https://open.dingtalk.com/document/orgapp/receive-message
 */
export function verifyDingtalkSign(
  timestamp: string | undefined,
  sign: string | undefined,
  appSecret: string,
  nowMs: number,
): void {
  if (!timestamp || !sign) {
    throw adapterRequestError('DINGTALK_BAD_SIGNATURE', 'timestamp and sign headers are required');
  }
  if (!/^\d{1,16}$/.test(timestamp)) {
    throw adapterRequestError('DINGTALK_BAD_SIGNATURE', 'timestamp header must be ms since the epoch (digits)');
  }
  if (Math.abs(nowMs - Number(timestamp)) > SIGN_WINDOW_MS) {
    throw adapterRequestError('DINGTALK_STALE_TIMESTAMP', 'timestamp header is more than 1 hour away from server time');
  }
  const expected = Buffer.from(computeDingtalkSign(timestamp, appSecret), 'utf8');
  const given = Buffer.from(sign, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw adapterRequestError('DINGTALK_BAD_SIGNATURE', 'sign header does not match');
  }
}
