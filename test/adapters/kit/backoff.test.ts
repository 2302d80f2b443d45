import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffWithJitterMs } from '../../../adapters/kit/backoff.ts';

test('backoff doubles per retry and keeps between half and all of it', () => {
  assert.equal(backoffWithJitterMs(200, 0, () => 0), 100);
  assert.equal(backoffWithJitterMs(200, 0, () => 0.999999), 199);
  assert.equal(backoffWithJitterMs(200, 1, () => 0), 200);
  assert.equal(backoffWithJitterMs(200, 2, () => 0.5), 600);
  const seen = new Set(Array.from({ length: 50 }, () => backoffWithJitterMs(1000, 3)));
  for (const d of seen) assert.ok(d >= 4000 && d < 8000);
  assert.ok(seen.size > 1, 'jitter varies the delay');
});
