import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSharedToken } from '../../adapters/token-cache.ts';
import { createLogger } from '../../src/log.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import type { Store } from '../../src/store/port.ts';

let dir: string;
let store: Store;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'token-cache-'));
  store = openSqliteStore(join(dir, 'kv.db'));
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('several "instances" sharing a store fetch once; the others wait for the cache', async () => {
  let fetches = 0;
  const fetch = async () => {
    fetches++;
    await sleep(100);
    return { token: `T${fetches}`, ttlMs: 60_000 };
  };
  const log = createLogger('silent');
  const instances = Array.from({ length: 3 }, () => createSharedToken({ kv: store, cacheKey: 'token:test:a', fetch, log, platform: 'test', pollMs: 10 }));
  const tokens = await Promise.all(instances.flatMap((i) => [i.get(), i.get(), i.get()]));
  assert.equal(fetches, 1);
  assert.deepEqual(new Set(tokens), new Set(['T1']));
  // The platform rejects T1: every instance invalidates it; still one new fetch.
  await Promise.all(instances.map((i) => i.invalidate('T1')));
  const again = await Promise.all(instances.map((i) => i.get()));
  assert.equal(fetches, 2);
  assert.deepEqual(new Set(again), new Set(['T2']));
  assert.equal(await store.get('token:test:a:lock'), null, 'the lock is released');
});

test('a failed fetch releases the lock, so a waiting instance fetches next', async () => {
  let calls = 0;
  const log = createLogger('silent');
  const failing = createSharedToken({ kv: store, cacheKey: 'token:test:b', fetch: async () => { calls++; await sleep(50); throw new Error('wrong secret'); }, log, platform: 'test', pollMs: 10 });
  const working = createSharedToken({ kv: store, cacheKey: 'token:test:b', fetch: async () => { calls++; return { token: 'OK', ttlMs: 60_000 }; }, log, platform: 'test', pollMs: 10 });
  const [a, b] = await Promise.allSettled([failing.get(), (async () => { await sleep(10); return working.get(); })()]);
  assert.equal(a.status, 'rejected');
  assert.deepEqual(b, { status: 'fulfilled', value: 'OK' });
  assert.equal(calls, 2);
});
