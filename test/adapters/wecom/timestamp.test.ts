/**
 * The WeCom POST callback's timestamp check (adapters/wecom/index.ts, assertFreshTimestamp): a
 * correctly signed and encrypted message whose signed `timestamp` is more than an hour
 * (WECOM_TIMESTAMP_WINDOW_MS) from our clock is refused with 401 WECOM_STALE_TIMESTAMP and never
 * reaches the bot — so a captured callback cannot be replayed once its dedup key has expired.
 * The adapter's clock is injected; the callbacks are signed at fixed times.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WECOM_TIMESTAMP_WINDOW_MS } from '../../../adapters/wecom/limits.ts';
import { buildWecomCallback, wecomTextXml } from '../../fakes/wecom-api.ts';
import { SET_A, startHarness } from './harness.ts';

const NOW = Date.parse('2026-05-01T08:00:00.000Z');
const seconds = (ms: number) => String(Math.floor(ms / 1000));

function signedAt(ms: number, msgId: string) {
  return buildWecomCallback({ ...SET_A, xml: wecomTextXml({ corpId: SET_A.corpId, from: 'zhangsan', content: '我的聊天会被存档吗', msgId }), timestamp: seconds(ms) });
}

test('POST: a signed callback with a stale or future timestamp is refused (401) and never handled; inside the window it is', async () => {
  const h = await startHarness({ now: () => NOW });
  try {
    for (const [label, at, id] of [
      ['an hour and a second old', NOW - WECOM_TIMESTAMP_WINDOW_MS - 1000, '910001'],
      ['a day old', NOW - 24 * 3600_000, '910002'],
      ['an hour and a second ahead', NOW + WECOM_TIMESTAMP_WINDOW_MS + 1000, '910003'],
    ] as const) {
      const cb = signedAt(at, id);
      const res = await h.post(cb.query, cb.body);
      assert.equal(res.status, 401, label);
      assert.match(await res.text(), /^WECOM_STALE_TIMESTAMP/, label);
    }
    const bad = buildWecomCallback({ ...SET_A, xml: wecomTextXml({ corpId: SET_A.corpId, from: 'zhangsan', content: 'x', msgId: '910004' }), timestamp: 'soon' });
    assert.equal((await h.post(bad.query, bad.body)).status, 401, 'not unix seconds');
    await h.idle();
    assert.equal(h.calls.length, 0, 'no refused callback reached the bot');

    for (const [label, at, id] of [
      ['59 minutes old', NOW - WECOM_TIMESTAMP_WINDOW_MS + 60_000, '910005'],
      ['just now', NOW, '910006'],
    ] as const) {
      const cb = signedAt(at, id);
      assert.equal((await h.post(cb.query, cb.body)).status, 200, label);
    }
    await h.idle();
    assert.equal(h.calls.length, 2);
  } finally {
    await h.close();
  }
});
