import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { openRedisStore, maskRedisUrl } from '../../../src/store/redis/store.ts';
import { openStores } from '../../../src/store/index.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import { redisTestEnv } from './redis-test-env.ts';
import { runStoreContract } from './contract.ts';

/**
 * Runs the store contract against the real Redis at REDIS_TEST_URL (default
 * redis://127.0.0.1:6379). Unreachable Redis: fails when CI or REQUIRE_REDIS is set, otherwise
 * the suites are skipped with a message saying how to start Redis. Every store made here
 * writes under a unique prefix `privacy-bot-test:<pid>-<random>:…`, deleted at the end.
 */
const { url: REDIS_URL, unreachable, mustHaveRedis, skip, prefixFor } = await redisTestEnv('store', openRedisStore);

if (!unreachable || !mustHaveRedis) {
  describe('redis', { skip }, () => {
    runStoreContract('redis', () => openRedisStore(REDIS_URL, { keyPrefix: prefixFor('c') }));

    describe('Redis store specifics', () => {
      it('writes only under its key prefix, statuses under the {status} hash tag', async () => {
        const prefix = prefixFor('layout');
        const s = await openRedisStore(REDIS_URL, { keyPrefix: prefix });
        const c = new Redis(REDIS_URL);
        try {
          await s.set('a', '1');
          await s.claim('b', 60_000);
          await s.increment('c', 60_000);
          await s.putStatuses([
            { platform: 'wecom', userId: 'u1', archived: true, since: null, scope: null, source: 'import', updatedAt: 'x' },
          ]);
          const keys = (await c.keys(`${prefix}*`)).sort();
          assert.deepEqual(keys, [`${prefix}kv:a`, `${prefix}kv:b`, `${prefix}kv:c`, `${prefix}{status}:wecom:u1`]);
          assert.ok((await c.pttl(`${prefix}kv:c`)) > 0, 'counter has a TTL');
          assert.equal(await c.pttl(`${prefix}kv:a`), -1, 'plain set has none');
        } finally {
          c.disconnect();
          await s.close();
        }
      });

      it('two stores with different prefixes do not see each other', async () => {
        const a = await openRedisStore(REDIS_URL, { keyPrefix: prefixFor('iso') });
        const b = await openRedisStore(REDIS_URL, { keyPrefix: prefixFor('iso') });
        try {
          assert.equal(await a.claim('k', 60_000), true);
          assert.equal(await b.claim('k', 60_000), true);
        } finally {
          await a.close();
          await b.close();
        }
      });

      it('two stores with the same prefix (two instances) give exactly one claim', async () => {
        const prefix = prefixFor('shared');
        const a = await openRedisStore(REDIS_URL, { keyPrefix: prefix });
        const b = await openRedisStore(REDIS_URL, { keyPrefix: prefix });
        try {
          const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).claim('same', 60_000)));
          assert.equal(results.filter(Boolean).length, 1);
        } finally {
          await a.close();
          await b.close();
        }
      });

      it('rejects a key prefix with braces', async () => {
        await assert.rejects(openRedisStore(REDIS_URL, { keyPrefix: 'a{b}:' }), { code: 'STORE_BAD_ARGUMENT' });
      });

      it('openStores with a Redis URL opens every port on Redis', async () => {
        const s = await openStores({ redisUrl: REDIS_URL, dataDir: '/nonexistent-should-not-be-used' }, { redisKeyPrefix: prefixFor('o') });
        try {
          assert.deepEqual([s.kv.kind, s.notices.kind, s.policies.kind], ['redis', 'redis', 'redis']);
          await s.kv.ping();
        } finally {
          await s.close();
        }
      });
    });
  });
}

/** A loopback port with nothing listening on it (bound then released). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

// These need no shared Redis: nothing listening, a silent server, and an own redis-server.
describe('Redis store failures', () => {
  it('nothing listening -> STORE_UNAVAILABLE fast, URL shown with the password masked', async () => {
    const port = await freePort();
    const started = Date.now();
    await assert.rejects(openRedisStore(`redis://user:s3cret-pw@127.0.0.1:${port}/2`, { connectTimeoutMs: 500 }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'STORE_UNAVAILABLE');
      assert.match(err.message, new RegExp(`redis://user:\\*\\*\\*@127\\.0\\.0\\.1:${port}/2`));
      assert.doesNotMatch(err.message, /s3cret/);
      return true;
    });
    assert.ok(Date.now() - started < 10_000, 'does not hang (failure guard; about the 500 ms connect timeout when idle)');
  });

  it('a server that accepts but never answers -> STORE_UNAVAILABLE within the timeouts', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const srv = createServer((sock) => {
      sockets.add(sock);
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const { port } = srv.address() as AddressInfo;
    const started = Date.now();
    try {
      await assert.rejects(
        openRedisStore(`redis://127.0.0.1:${port}`, { connectTimeoutMs: 300, commandTimeoutMs: 300 }),
        { code: 'STORE_UNAVAILABLE' },
      );
      assert.ok(Date.now() - started < 10_000, `does not hang (${Date.now() - started} ms; failure guard)`);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => srv.close(r));
    }
  });

  it('rejects URLs it cannot use, without leaking the password', async () => {
    for (const url of ['memcached://:pw@127.0.0.1:11211', 'redis+sentinel://:pw@127.0.0.1:26379', 'redis+cluster://:pw@127.0.0.1:7000/2']) {
      await assert.rejects(openRedisStore(url), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'STORE_UNAVAILABLE');
        assert.match(err.message, /is not usable/);
        assert.doesNotMatch(err.message, /:pw@/);
        return true;
      });
    }
  });

  it('a Sentinel or Cluster URL with nothing listening -> STORE_UNAVAILABLE fast, passwords masked', async () => {
    const port = await freePort();
    for (const url of [`redis+sentinel://:pw@127.0.0.1:${port}/mymaster?sentinelPassword=spw`, `redis+cluster://:pw@127.0.0.1:${port}`]) {
      const started = Date.now();
      await assert.rejects(openRedisStore(url, { connectTimeoutMs: 500 }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'STORE_UNAVAILABLE');
        assert.doesNotMatch(err.message, /:pw@|spw/);
        return true;
      });
      assert.ok(Date.now() - started < 10_000, `${url.split(':')[0]} does not hang (${Date.now() - started} ms; failure guard)`);
    }
  });

  it('maskRedisUrl hides only the password', () => {
    assert.equal(maskRedisUrl('redis://u:p@h:1/0'), 'redis://u:***@h:1/0');
    assert.equal(maskRedisUrl('rediss://h:6380'), 'rediss://h:6380');
    assert.equal(maskRedisUrl('not a url :pw@'), '(unparseable Redis URL)');
  });

  const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
  it('a Redis that goes down fails calls fast, and the store recovers when it is back', { skip: hasRedisServer ? false : 'redis-server binary not installed' }, async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const start = (): ChildProcess =>
      spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const waitUp = async (): Promise<Store> => {
      const guard = Date.now() + 30_000; // failure guard: redis-server starting on a loaded machine
      for (;;) {
        try {
          return await openRedisStore(url, { keyPrefix: 'down-test:', connectTimeoutMs: 300 });
        } catch (err) {
          if (Date.now() > guard) throw err;
          await sleep(100);
        }
      }
    };
    let server = start();
    let store: Store | null = null;
    try {
      store = await waitUp();
      await store.set('k', 'v');
      server.kill('SIGKILL');
      await new Promise((r) => server.once('exit', r));
      const started = Date.now();
      await assert.rejects(store.ping(), { code: 'STORE_UNAVAILABLE' });
      await assert.rejects(store.claim('x', 1000), { code: 'STORE_UNAVAILABLE' });
      await assert.rejects(store.getStatus('wecom', 'u'), { code: 'STORE_UNAVAILABLE' });
      assert.ok(Date.now() - started < 10_000, `calls failed in ${Date.now() - started} ms (failure guard: they must not wait for the reconnect)`);

      server = start();
      let recovered = false;
      const recoverBy = Date.now() + 30_000; // failure guard only
      while (!recovered && Date.now() < recoverBy) {
        await sleep(100);
        recovered = await store.ping().then(() => true, () => false);
      }
      assert.ok(recovered, 'store reconnects by itself');
      assert.equal(await store.claim('x', 1000), true);
    } finally {
      await store?.close();
      server.kill('SIGKILL');
    }
  });
});
