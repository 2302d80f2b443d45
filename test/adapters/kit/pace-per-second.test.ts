import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createPaceGate } from '../../../adapters/kit/pace.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import { maxInWindow, minGap, virtualTime } from '../../helpers/virtual-clock.ts';

/** A clock that only moves when somebody sleeps. */
function virtualClock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
  };
}

describe('createPaceGate { perSecond } (local)', () => {
  it('spaces calls evenly at the rate: 20/s means one every 50 ms, never 21 in a second', async () => {
    const clock = virtualClock();
    const gate = createPaceGate({ limit: { perSecond: 20 }, clock });
    const starts: number[] = [];
    for (let i = 0; i < 100; i++) {
      await gate.take();
      starts.push(clock.now());
    }
    assert.equal(starts[99]! - starts[0]!, 99 * 50);
    assert.equal(maxInWindow(starts, 1000), 20);
  });

  it('concurrent callers get distinct turns in the order they asked', async () => {
    const t = 0;
    const order: number[] = [];
    const gate = createPaceGate({ limit: { perSecond: 10 }, clock: { now: () => t, sleep: async () => undefined } });
    await Promise.all(
      Array.from({ length: 5 }, async (_, i) => {
        await gate.take();
        order.push(i);
      }),
    );
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
  });

  it('after a stall (turns due at once) the released calls are still one interval apart', async () => {
    // Discrete-event clock: the event loop is blocked until t = 1000, so every timer due before
    // then fires at 1000 together.
    let t = 0;
    const timers: { at: number; resolve: () => void }[] = [];
    const gate = createPaceGate({
      limit: { perSecond: 10 },
      clock: { now: () => t, sleep: (ms) => new Promise<void>((resolve) => timers.push({ at: Math.max(t + ms, 1000), resolve })) },
    });
    const starts: number[] = [];
    const done = Promise.all(
      Array.from({ length: 4 }, async () => {
        await gate.take();
        starts.push(t);
      }),
    );
    let finished = false;
    void done.then(() => (finished = true));
    while (!finished) {
      await new Promise((r) => setImmediate(r));
      timers.sort((a, b) => a.at - b.at);
      const next = timers.shift();
      if (!next) continue;
      t = Math.max(t, next.at);
      next.resolve();
    }
    assert.equal(starts.length, 4);
    for (let i = 1; i < starts.length; i++) assert.ok(starts[i]! - starts[i - 1]! >= 100, `starts ${starts.join(', ')}`);
  });

  it('pause(ms) holds every call until the pause is over', async () => {
    const clock = virtualClock();
    const gate = createPaceGate({ limit: { perSecond: 20 }, clock });
    await gate.take();
    const t0 = clock.now();
    gate.pause(1000);
    await gate.take();
    assert.ok(clock.now() >= t0 + 1000, `waited ${clock.now() - t0} ms`);
  });

  it('departed(at): the next call starts one interval after the last one left, not after its release', async () => {
    const clock = virtualClock();
    const gate = createPaceGate({ limit: { perSecond: 10 }, clock });
    await gate.take();
    const released = clock.now();
    gate.departed(released + 250); // held 250 ms by another gate
    await gate.take();
    assert.equal(clock.now() - released, 350);
  });

  it('rejects a rate that is not positive', () => {
    assert.throws(() => createPaceGate({ limit: { perSecond: 0 } }), RangeError);
    assert.throws(() => createPaceGate({ limit: { perSecond: Number.NaN } }), RangeError);
  });
});

describe('createPaceGate { perSecond } (shared through the store)', () => {
  let dir: string;
  let store: Store;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dingtalk-pace-'));
    store = openSqliteStore(join(dir, 'kv.db'));
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('two gates (two instances) on one store keep the rate together: 60 calls at 40/s take 1.5 s, not 0.75 s', async () => {
    // On a discrete-event clock (store calls happen while it stands still): the times read are the
    // slots the gates released the calls at, so a stall of the machine can neither bunch nor spread them.
    const key = `pace:test:${randomUUID()}`;
    const clock = virtualTime();
    const a = createPaceGate({ limit: { perSecond: 40 }, kv: store, key, clock });
    const b = createPaceGate({ limit: { perSecond: 40 }, kv: store, key, clock });
    const starts: number[] = [];
    const t0 = clock.now();
    await clock.all(2, async (i) => {
      const g = i === 0 ? a : b;
      for (let n = 0; n < 30; n++) {
        await g.take();
        starts.push(clock.now());
      }
    });
    starts.sort((x, y) => x - y);
    // Each call has a slot of its own, 25 ms apart: never two at once, never 41 in a second.
    assert.ok(minGap(starts) >= 25, `starts ${starts.map((s) => s - t0).join(', ')}`);
    assert.equal(maxInWindow(starts, 1000), 40);
    assert.ok(starts[59]! - t0 >= 59 * 25, `the last call started ${starts[59]! - t0} ms after the first ask`);
  });

  it('a store failure falls back to local pacing instead of failing the call', async () => {
    const broken = { ...store, claim: async () => { throw new Error('store down'); } } as unknown as Store;
    const clock = virtualClock();
    const gate = createPaceGate({ limit: { perSecond: 20 }, kv: broken, key: 'k', clock });
    await gate.take();
    await gate.take();
    assert.equal(clock.now() - 1_000_000, 50);
  });

  it('a shared gate needs a key', () => {
    assert.throws(() => createPaceGate({ limit: { perSecond: 1 }, kv: store }), RangeError);
  });
});
