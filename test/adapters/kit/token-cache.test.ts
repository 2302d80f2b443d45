import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSharedToken } from '../../../adapters/kit/token-cache.ts';
import { createLogger } from '../../../src/log.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import type { Store } from '../../../src/store/ports/store.ts';

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

test('a late refusal of the old token never throws away the new one another instance just stored', async () => {
  let fetches = 0;
  const fetch = async () => {
    fetches++;
    return { token: `N${fetches}`, ttlMs: 60_000 };
  };
  const log = createLogger('silent');
  const key = 'token:test:race';
  // The real store, with one interleaving forced: right after instance A's first look at the cache
  // while it forgets the refused token, instance B stores the token it has just fetched.
  let armed = false;
  const raced: Store = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      const fn = (v as (...a: unknown[]) => Promise<unknown>).bind(target);
      if (prop !== 'get' && prop !== 'deleteIf') return fn;
      return async (...args: unknown[]) => {
        const r = await fn(...args);
        if (armed && args[0] === key) {
          armed = false;
          await store.set(key, 'FROM-B', 60_000);
        }
        return r;
      };
    },
  });
  const a = createSharedToken({ kv: raced, cacheKey: key, fetch, log, platform: 'test', pollMs: 10 });
  assert.equal(await a.get(), 'N1');
  armed = true;
  await a.invalidate('N1');
  assert.equal(await store.get(key), 'FROM-B', "B's token survived A's invalidate");
  assert.equal(await a.get(), 'FROM-B');
  assert.equal(fetches, 1, 'no extra fetch');
});
