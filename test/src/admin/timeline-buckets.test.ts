/**
 * Buckets of the broadcast timeline (src/admin/evidence.ts): hours and days start at the company's
 * wall-clock hour / midnight, days follow the calendar across a summer-time change (23- and 25-hour
 * days), and the number of edges is capped.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_BUCKETS, bucketEdges, bucketStart } from '../../../src/admin/evidence.ts';
import { zonedIso } from '../../../src/evidence/time.ts';
import { MAX_TIMELINE_EDGES } from '../../../src/store/ports/notices.ts';

const at = (iso: string) => Date.parse(iso);

describe('timeline buckets', () => {
  it('hour and day starts in the time zone', () => {
    const t = at('2026-12-05T16:30:12.345Z'); // 2026-12-06 00:30:12.345 in Shanghai
    assert.equal(zonedIso(bucketStart(t, 'hour', 'Asia/Shanghai'), 'Asia/Shanghai'), '2026-12-06T00:00:00.000+08:00');
    assert.equal(zonedIso(bucketStart(t, 'day', 'Asia/Shanghai'), 'Asia/Shanghai'), '2026-12-06T00:00:00.000+08:00');
    assert.equal(zonedIso(bucketStart(t, 'day', 'America/New_York'), 'America/New_York'), '2026-12-05T00:00:00.000-05:00');
    assert.equal(zonedIso(bucketStart(t, 'hour', 'Asia/Kolkata'), 'Asia/Kolkata'), '2026-12-05T22:00:00.000+05:30', 'half-hour offset: the local hour');
  });

  it('days across summer time changes are 23 and 25 hours long', () => {
    const spring = bucketEdges(at('2026-03-07T12:00:00Z'), at('2026-03-09T12:00:00Z'), 'day', 'America/New_York');
    assert.deepEqual(spring.map((e) => zonedIso(e, 'America/New_York')), [
      '2026-03-07T00:00:00.000-05:00', '2026-03-08T00:00:00.000-05:00', '2026-03-09T00:00:00.000-04:00', '2026-03-10T00:00:00.000-04:00',
    ]);
    assert.equal(spring[2]! - spring[1]!, 23 * 3_600_000);
    const autumn = bucketEdges(at('2026-11-01T12:00:00Z'), at('2026-11-01T20:00:00Z'), 'day', 'America/New_York');
    assert.equal(autumn[1]! - autumn[0]!, 25 * 3_600_000);
  });

  it('hours from the first to the one after now; over the cap, the first bucket reaches back to the start', () => {
    const e = bucketEdges(at('2026-12-05T01:10:00Z'), at('2026-12-05T03:59:59Z'), 'hour', 'Asia/Shanghai');
    assert.deepEqual(e.map((x) => new Date(x).toISOString()), ['2026-12-05T01:00:00.000Z', '2026-12-05T02:00:00.000Z', '2026-12-05T03:00:00.000Z', '2026-12-05T04:00:00.000Z']);
    const long = bucketEdges(at('2020-01-01T00:10:00Z'), at('2026-12-05T00:30:00Z'), 'hour', 'UTC');
    assert.equal(long.length, MAX_BUCKETS.hour + 1);
    assert.equal(long[0], at('2020-01-01T00:00:00Z'), 'the first bucket starts at the first hour');
    assert.equal(long[1], at('2026-12-05T01:00:00Z') - (MAX_BUCKETS.hour - 1) * 3_600_000);
    assert.equal(long.at(-1), at('2026-12-05T01:00:00Z'));
    const days = bucketEdges(at('2020-01-01T00:00:00Z'), at('2026-12-05T00:00:00Z'), 'day', 'Asia/Shanghai');
    assert.equal(days.length, MAX_BUCKETS.day + 1);
    assert.equal(zonedIso(days.at(-1)!, 'Asia/Shanghai'), '2026-12-06T00:00:00.000+08:00');
    assert.ok(MAX_BUCKETS.hour < MAX_TIMELINE_EDGES && MAX_BUCKETS.day < MAX_TIMELINE_EDGES);
    // Exactly at the cap: nothing folded.
    const exact = bucketEdges(at('2026-12-01T00:00:00Z'), at('2026-12-01T02:30:00Z'), 'hour', 'UTC', 3);
    assert.deepEqual(exact, [0, 1, 2, 3].map((h) => at('2026-12-01T00:00:00Z') + h * 3_600_000));
    const folded = bucketEdges(at('2026-12-01T00:00:00Z'), at('2026-12-01T03:30:00Z'), 'hour', 'UTC', 3);
    assert.deepEqual(folded, [0, 2, 3, 4].map((h) => at('2026-12-01T00:00:00Z') + h * 3_600_000));
  });
});
