import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createPaceGate } from '../../../adapters/kit/pace.ts';
import { createLogger } from '../../../src/log.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import { openRedisStore } from '../../../src/store/redis/store.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import { virtualTime } from '../../helpers/virtual-clock.ts';

const log = createLogger('silent');
let dir: string;
let store: Store;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'wecom-pacing-'));
  store = openSqliteStore(join(dir, 'kv.db'));
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

type Clock = ReturnType<typeof virtualTime>;

/** Window numbers of `n` acquisitions spread over `gates`, round robin, all started at once. */
async function windowsOf(gates: { take(): Promise<void> }[], n: number, windowMs: number, clock: Clock): Promise<Map<number, number>> {
  const per = new Map<number, number>();
  await clock.all(n, async (i) => {
    await gates[i % gates.length]!.take();
    const w = Math.floor(clock.now() / windowMs);
    per.set(w, (per.get(w) ?? 0) + 1);
  });
  return per;
}

// Windows of 61 s on the virtual clock: the store's counters live 2 windows of real time, so a
// loaded machine never sees one expire during a test (windows of 100 ms real could).
test('a gate lets at most floor(perMinute × window / 61 s) calls through per window, and the rest wait', async () => {
  const windowMs = 61_000;
  const clock = virtualTime();
  const gate = createPaceGate({ limit: { perMinute: 3, windowMs }, kv: store, key: `pace-test:${randomUUID()}`, log, clock }); // 3 per window
  const started = clock.now();
  const per = await windowsOf([gate], 10, windowMs, clock);
  assert.ok([...per.values()].every((c) => c <= 3), JSON.stringify([...per]));
  assert.equal(per.size, 4, '10 calls at 3 per window take 4 windows');
  assert.ok(clock.now() - started >= 3 * windowMs - windowMs);
});

test('two gates on the same key (two instances) share the budget through the store', async () => {
  const windowMs = 61_000;
  const key = `pace-test:${randomUUID()}`;
  const clock = virtualTime();
  const a = createPaceGate({ limit: { perMinute: 2, windowMs }, kv: store, key, log, clock }); // 2 per window
  const b = createPaceGate({ limit: { perMinute: 2, windowMs }, kv: store, key, log, clock });
  const per = await windowsOf([a, b], 8, windowMs, clock);
  assert.ok([...per.values()].every((c) => c <= 2), JSON.stringify([...per]));
});

test('with Redis, gates in two connections share the budget too', async (t) => {
  let r1: Store;
  let r2: Store;
  try {
    const prefix = `pbtest-pacing-${randomUUID()}:`;
    r1 = await openRedisStore('redis://127.0.0.1:6379', { keyPrefix: prefix });
    r2 = await openRedisStore('redis://127.0.0.1:6379', { keyPrefix: prefix });
  } catch {
    t.skip('Redis not reachable at 127.0.0.1:6379');
    return;
  }
  try {
    const windowMs = 61_000;
    const clock = virtualTime();
    const a = createPaceGate({ limit: { perMinute: 2, windowMs }, kv: r1, key: 'pace', log, clock });
    const b = createPaceGate({ limit: { perMinute: 2, windowMs }, kv: r2, key: 'pace', log, clock });
    const per = await windowsOf([a, b], 8, windowMs, clock);
    assert.ok([...per.values()].every((c) => c <= 2), JSON.stringify([...per]));
  } finally {
    await r1.close();
    await r2.close();
  }
});

test('with the store down the gate still paces, per process', async () => {
  const downDir = mkdtempSync(join(tmpdir(), 'wecom-pacing-down-'));
  const down = openSqliteStore(join(downDir, 'kv.db'));
  await down.close();
  try {
    // An injected clock that moves only when the gate sleeps: the window of each call is the one
    // the gate let it through in, whatever the machine's load.
    let t = 1_000_000;
    const gate = createPaceGate({
      limit: { perMinute: 1220, windowMs: 100 },
      kv: down,
      key: 'pace',
      log,
      clock: {
        now: () => t,
        sleep: async (ms) => {
          t += ms;
        },
      },
    });
    const per = new Map<number, number>();
    for (let i = 0; i < 6; i++) {
      await gate.take();
      const w = Math.floor(t / 100);
      per.set(w, (per.get(w) ?? 0) + 1);
    }
    assert.deepEqual([...per.values()], [2, 2, 2], JSON.stringify([...per]));
  } finally {
    rmSync(downDir, { recursive: true, force: true });
  }
});

test('the default budget keeps any sliding minute under 10,000 calls: 163 per second', () => {
  // 61 one-second windows overlap a 60 s span at most; 61 × 163 = 9943 ≤ 10,000 < 61 × 164.
  assert.equal(Math.floor((10_000 * 1000) / 61_000), 163);
  assert.ok(61 * 163 <= 10_000 && 61 * 164 > 10_000);
});

test('pause() holds every call of a per-minute gate until the wait the platform asked for is over', async () => {
  let t = 1_000_000;
  const sleeps: number[] = [];
  const gate = createPaceGate({
    limit: { perMinute: 1220, windowMs: 100 },
    log,
    clock: {
      now: () => t,
      sleep: async (ms) => {
        sleeps.push(ms);
        t += ms;
      },
    },
  });
  await gate.take();
  gate.pause(5_000);
  await gate.take();
  assert.ok(t >= 1_005_000, `the second call started ${t - 1_000_000} ms later`);
  assert.deepEqual(sleeps, [5_000]);
});

test('a limit that is not a positive number, or a shared gate without a key, is refused', () => {
  assert.throws(() => createPaceGate({ limit: { perMinute: 0 } }), RangeError);
  assert.throws(() => createPaceGate({ limit: { perMinute: Number.POSITIVE_INFINITY } }), RangeError);
  assert.throws(() => createPaceGate({ limit: { perMinute: 10 }, kv: store }), RangeError);
});
