import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { computeDingtalkSign, verifyDingtalkSign } from '../../../adapters/dingtalk/sign.ts';
import { SIGN_WINDOW_MS } from '../../../adapters/dingtalk/limits.ts';
import { signDingtalkRequest } from '../../fakes/dingtalk-api.ts';
import { BotError } from '../../../src/errors.ts';

// protocols.md §6.2 vector S5 (self-computed, cross-checked with openssl).
const S5 = { timestamp: '1700000000000', secret: 'testSecret', sign: 'aKMGqBJTwzTcpTYlH/izwiJxVRT7SpVOpdjT21d61gs=' };

function code(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof BotError);
    assert.equal(err.status, 401);
    return err.code;
  }
  return 'OK';
}

describe('DingTalk callback sign', () => {
  it('vector S5: computes the documented sign', () => {
    assert.equal(computeDingtalkSign(S5.timestamp, S5.secret), S5.sign);
  });

  it('vector S5: the fake signs the same way', () => {
    assert.deepEqual(signDingtalkRequest(S5.secret, 1700000000000), { timestamp: S5.timestamp, sign: S5.sign });
  });

  it('vector S5 verifies at its own time and at the edges of the 1-hour window', () => {
    const t = Number(S5.timestamp);
    for (const now of [t, t + SIGN_WINDOW_MS, t - SIGN_WINDOW_MS]) {
      assert.equal(code(() => verifyDingtalkSign(S5.timestamp, S5.sign, S5.secret, now)), 'OK');
    }
  });

  it('outside the window it is DINGTALK_STALE_TIMESTAMP', () => {
    const t = Number(S5.timestamp);
    assert.equal(code(() => verifyDingtalkSign(S5.timestamp, S5.sign, S5.secret, t + SIGN_WINDOW_MS + 1)), 'DINGTALK_STALE_TIMESTAMP');
    assert.equal(code(() => verifyDingtalkSign(S5.timestamp, S5.sign, S5.secret, t - SIGN_WINDOW_MS - 1)), 'DINGTALK_STALE_TIMESTAMP');
  });

  it('a wrong secret, a changed sign, or a URL-encoded sign is DINGTALK_BAD_SIGNATURE', () => {
    const t = Number(S5.timestamp);
    assert.equal(code(() => verifyDingtalkSign(S5.timestamp, S5.sign, 'otherSecret', t)), 'DINGTALK_BAD_SIGNATURE');
    const flipped = (S5.sign[0] === 'a' ? 'b' : 'a') + S5.sign.slice(1);
    assert.equal(code(() => verifyDingtalkSign(S5.timestamp, flipped, S5.secret, t)), 'DINGTALK_BAD_SIGNATURE');
    assert.equal(code(() => verifyDingtalkSign(S5.timestamp, encodeURIComponent(S5.sign), S5.secret, t)), 'DINGTALK_BAD_SIGNATURE');
    assert.equal(code(() => verifyDingtalkSign(S5.timestamp, S5.sign.slice(0, -1), S5.secret, t)), 'DINGTALK_BAD_SIGNATURE');
  });

  it('the sign of one timestamp does not verify another', () => {
    assert.equal(code(() => verifyDingtalkSign('1700000000001', S5.sign, S5.secret, 1700000000001)), 'DINGTALK_BAD_SIGNATURE');
  });

  it('missing headers and non-digit timestamps are DINGTALK_BAD_SIGNATURE', () => {
    const t = Number(S5.timestamp);
    for (const [ts, sign] of [
      [undefined, S5.sign],
      [S5.timestamp, undefined],
      ['', S5.sign],
      ['1700000000000.0', S5.sign],
      ['-1700000000000', S5.sign],
      [' 1700000000000', S5.sign],
      ['1e12', S5.sign],
    ] as [string | undefined, string | undefined][]) {
      assert.equal(code(() => verifyDingtalkSign(ts, sign, S5.secret, t)), 'DINGTALK_BAD_SIGNATURE', String(ts));
    }
  });
});
