/**
 * The stdout log destination (src/log.ts createLogDestination) with a scripted writer: it never
 * blocks or loops on a full (EAGAIN) or closed (EPIPE) descriptor, keeps lines whole, buffers a
 * bounded amount and counts what it drops.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLogDestination } from '../../src/log.ts';

const errno = (code: string) => Object.assign(new Error(code), { code });

/** A writer that accepts up to `room` bytes, then answers EAGAIN (or `fail`). */
function scripted() {
  const w = { room: Number.POSITIVE_INFINITY, fail: null as string | null, calls: 0, out: '' };
  const writeSync = (_fd: number, buf: Buffer): number => {
    w.calls++;
    if (w.fail) throw errno(w.fail);
    if (w.room <= 0) throw errno('EAGAIN');
    const n = Math.min(buf.length, w.room);
    w.room -= n;
    w.out += buf.subarray(0, n).toString('utf8');
    return n;
  };
  return { w, writeSync };
}

describe('log destination', () => {
  it('writes lines at once while the descriptor accepts them', () => {
    const { w, writeSync } = scripted();
    const d = createLogDestination({ fd: 99, writeSync, onTrouble: () => {} });
    d.write('a\n');
    d.write('b\n');
    assert.equal(w.out, 'a\nb\n');
    assert.deepEqual({ ...d.stats }, { dropped: 0, pendingBytes: 0, broken: false });
  });

  it('a full descriptor (EAGAIN): keeps whole lines up to the bound, drops and counts the rest, never loops', () => {
    const { w, writeSync } = scripted();
    const trouble: string[] = [];
    const d = createLogDestination({ fd: 99, writeSync, maxPendingBytes: 10, retryMs: 60_000, onTrouble: (k) => trouble.push(k) });
    w.room = 3;
    d.write('12345\n'); // 3 bytes go out, 3 are kept
    assert.equal(w.out, '123');
    d.write('abcd\n'); // kept (3 + 5 <= 10)
    d.write('xyz\n'); // would exceed 10: dropped
    assert.deepEqual({ ...d.stats }, { dropped: 1, pendingBytes: 8, broken: false });
    const calls = w.calls;
    d.flushSync(); // still full: one attempt, returns
    assert.equal(w.calls, calls + 1, 'flushSync makes one attempt while the descriptor is full');
    w.room = Number.POSITIVE_INFINITY;
    d.flushSync();
    assert.equal(w.out, '12345\nabcd\n', 'the partly written line was finished before the next one');
    assert.deepEqual({ ...d.stats }, { dropped: 1, pendingBytes: 0, broken: false });
    assert.deepEqual(trouble, ['full', 'dropping']);
  });

  it('a closed descriptor (EPIPE): drops everything from then on, flush returns at once', () => {
    const { w, writeSync } = scripted();
    const trouble: string[] = [];
    const d = createLogDestination({ fd: 99, writeSync, onTrouble: (k) => trouble.push(k) });
    w.fail = 'EPIPE';
    d.write('a\n');
    d.write('b\n');
    let flushed = false;
    d.flush(() => (flushed = true));
    assert.ok(flushed);
    assert.equal(w.calls, 1, 'no write is tried after EPIPE');
    assert.deepEqual({ ...d.stats }, { dropped: 2, pendingBytes: 0, broken: true });
    assert.deepEqual(trouble, ['broken']);
  });

  it('retries a full descriptor from its timer', async () => {
    const { w, writeSync } = scripted();
    const d = createLogDestination({ fd: 99, writeSync, retryMs: 1, onTrouble: () => {} });
    w.room = 0;
    d.write('later\n');
    assert.equal(w.out, '');
    w.room = Number.POSITIVE_INFINITY;
    const guard = Date.now() + 30_000; // failure guard only
    while (d.stats.pendingBytes > 0) {
      assert.ok(Date.now() < guard, 'the retry timer never wrote the pending line');
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(w.out, 'later\n');
  });
});
