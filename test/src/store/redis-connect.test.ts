import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, Redis } from 'ioredis';
import { createRedisClient, isCluster, maskRedisUrl, parseRedisUrl, redisUrlProblem } from '../../../src/store/redis/connect.ts';
import { loadConfig } from '../../../src/app/config.ts';

describe('parseRedisUrl', () => {
  it('one server: host, port, user, password, db', () => {
    assert.deepEqual(parseRedisUrl('redis://u:p%40ss@cache.internal:6380/3'), {
      topology: 'standalone', tls: false, nodes: [{ host: 'cache.internal', port: 6380 }], username: 'u', password: 'p@ss', db: 3,
      masterName: null, sentinelUsername: null, sentinelPassword: null,
    });
    const t = parseRedisUrl('rediss://h');
    assert.deepEqual([t.tls, t.nodes, t.db, t.username, t.password], [true, [{ host: 'h', port: 6379 }], 0, null, null]);
  });

  it('Sentinel: several sentinels (default port 26379), the master name, db and the sentinels’ own credentials', () => {
    assert.deepEqual(parseRedisUrl('redis+sentinel://:pw@10.0.0.1:26380,10.0.0.2,[::1]:5000/mymaster/2?sentinelPassword=spw&sentinelUsername=su'), {
      topology: 'sentinel', tls: false,
      nodes: [{ host: '10.0.0.1', port: 26380 }, { host: '10.0.0.2', port: 26379 }, { host: '::1', port: 5000 }],
      username: null, password: 'pw', db: 2, masterName: 'mymaster', sentinelUsername: 'su', sentinelPassword: 'spw',
    });
    const t = parseRedisUrl('rediss+sentinel://s1/m');
    assert.deepEqual([t.tls, t.masterName, t.db, t.password], [true, 'm', 0, null]);
  });

  it('Cluster: seed nodes (default port 6379), db 0 only', () => {
    const t = parseRedisUrl('redis+cluster://:pw@n1:7000,n2:7001,n3');
    assert.deepEqual([t.topology, t.nodes, t.password, t.db], ['cluster', [{ host: 'n1', port: 7000 }, { host: 'n2', port: 7001 }, { host: 'n3', port: 6379 }], 'pw', 0]);
    assert.equal(parseRedisUrl('rediss+cluster://n1/0').tls, true);
  });

  it('refuses what it cannot use with a reason, never with the password', () => {
    const cases: [string, RegExp][] = [
      ['localhost:6379', /use redis:\/\//],
      ['memcached://:pw@h:1', /use redis:\/\//],
      ['redis://:pw@h1,h2', /names one server/],
      ['redis://:pw@h/x', /not a database number/],
      ['redis+sentinel://:pw@h1,h2', /ends in \/<masterName>/],
      ['redis+sentinel://:pw@h1/m/1/2', /ends in \/<masterName>/],
      ['redis+sentinel://:pw@h1/m?password=x', /unknown parameter "password"/],
      ['redis+cluster://:pw@h1,h2/3', /database 0 only/],
      ['redis+cluster://:pw@h1?x=1', /unknown parameter/],
      ['redis+cluster://:pw@h1:99999', /out of range/],
      ['redis+cluster://:pw@h1:7000,,h2', /not host\[:port\]/],
      ['redis+sentinel://:%zz@h/m', /password is not valid percent-encoding/],
    ];
    for (const [url, why] of cases) {
      assert.match(redisUrlProblem(url) ?? 'accepted', why, url);
      assert.throws(() => parseRedisUrl(url), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'STORE_UNAVAILABLE');
        assert.doesNotMatch(e.message, /:pw@|%zz/, 'password not shown');
        return true;
      });
    }
    assert.equal(redisUrlProblem('redis+cluster://a:1,b:2'), null);
  });
});

describe('maskRedisUrl', () => {
  it('hides passwords of every form, keeps the rest', () => {
    assert.equal(maskRedisUrl('redis://u:p@h:1/0'), 'redis://u:***@h:1/0');
    assert.equal(maskRedisUrl('rediss://h:6380'), 'rediss://h:6380');
    assert.equal(maskRedisUrl('redis+sentinel://:pw@s1:26379,s2/m/2?sentinelPassword=spw&sentinelUsername=su'), 'redis+sentinel://:***@s1:26379,s2/m/2?sentinelPassword=***&sentinelUsername=su');
    assert.equal(maskRedisUrl('redis+cluster://user:p@w@n1:7000,n2:7001'), 'redis+cluster://user:***@n1:7000,n2:7001');
    assert.equal(maskRedisUrl('redis+cluster://n1:7000'), 'redis+cluster://n1:7000');
    assert.equal(maskRedisUrl('not a url :pw@'), '(unparseable Redis URL)');
  });
});

describe('createRedisClient', () => {
  it('makes a Redis for redis:// and Sentinel URLs, a Cluster for cluster URLs, none connected yet', () => {
    const timeouts = { connectTimeoutMs: 500, commandTimeoutMs: 500 };
    const one = createRedisClient('redis://127.0.0.1:1/4', timeouts).client;
    assert.ok(one instanceof Redis);
    assert.equal(isCluster(one), false);
    assert.equal(one.options.db, 4);
    const sentinel = createRedisClient('redis+sentinel://:pw@127.0.0.1:1,127.0.0.1:2/m/5?sentinelPassword=spw', timeouts).client;
    assert.deepEqual(
      [sentinel.options.name, sentinel.options.sentinels, sentinel.options.db, sentinel.options.password, sentinel.options.sentinelPassword],
      ['m', [{ host: '127.0.0.1', port: 1 }, { host: '127.0.0.1', port: 2 }], 5, 'pw', 'spw'],
    );
    const cluster = createRedisClient('redis+cluster://:pw@127.0.0.1:1,127.0.0.1:2', timeouts).client;
    assert.ok((cluster as unknown) instanceof Cluster);
    assert.equal(isCluster(cluster), true);
    for (const c of [one, sentinel, cluster]) {
      assert.equal(c.status, 'wait', 'lazy: nothing connects before connectRedisClient');
      c.disconnect();
    }
  });
});

describe('REDIS_URL in the configuration', () => {
  it('accepts the Sentinel and Cluster forms and refuses a bad one without echoing it', () => {
    assert.equal(loadConfig({ REDIS_URL: 'redis+sentinel://:pw@s1,s2/m' }).redisUrl, 'redis+sentinel://:pw@s1,s2/m');
    assert.equal(loadConfig({ REDIS_URL: 'redis+cluster://n1:7000,n2:7001' }).redisUrl, 'redis+cluster://n1:7000,n2:7001');
    assert.throws(() => loadConfig({ REDIS_URL: 'redis+sentinel://:hunter2@s1,s2' }), (e: Error) => {
      assert.match(e.message, /^REDIS_URL is invalid: a Sentinel URL ends in/);
      assert.doesNotMatch(e.message, /hunter2/);
      return true;
    });
  });
});
