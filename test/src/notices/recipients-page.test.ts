/**
 * NoticeStore.queryRecipients on both stores (embedded SQLite, real Redis under a private prefix):
 * a broadcast with recipients in every state, built through the store's own operations (claim,
 * settle, markRead, acknowledge), queried with every combination of state, prefix, sort and order,
 * page by page through cursors and through offsets; each answer is checked against a model
 * computed from listRecipients. Also: a Redis broadcast from before the index (or before its search
 * suffix) gets it built; a record rewritten behind the index is indexed again at its next write; bad
 * cursors are refused.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { openRedisNoticeStore } from '../../../src/store/redis/notices.ts';
import { redisTestEnv } from '../store/redis-test-env.ts';
import { tempSqliteNoticeStore } from './helpers.ts';
import { model, runSuite, seed } from './recipients-page-suite.ts';

const env = await redisTestEnv('recipients-page', openRedisNoticeStore);

runSuite('sqlite', async () => {
  const t = tempSqliteNoticeStore();
  return { store: t.store, close: () => t.cleanup() };
});

let n = 0;
runSuite(
  'redis',
  async () => {
    const store = await openRedisNoticeStore(env.url, { keyPrefix: env.prefixFor(`q${++n}`) });
    return { store, close: () => store.close() };
  },
  { skip: env.skip },
);

runSuite(
  'redis, prefix searches by time walking the index in steps of 3 (no gathering), searches caching at most 3 checkpoints (every K-th match, K > 1)',
  async () => {
    const store = await openRedisNoticeStore(env.url, { keyPrefix: env.prefixFor(`w${++n}`), recipientGatherMax: 0, recipientWalkChunk: 3, recipientSearchMarks: 3 });
    return { store, close: () => store.close() };
  },
  { skip: env.skip },
);

runSuite(
  'redis, searches in steps of 2 without the count cache',
  async () => {
    const store = await openRedisNoticeStore(env.url, { keyPrefix: env.prefixFor(`s${++n}`), recipientGatherMax: 0, recipientWalkChunk: 2, recipientCountCache: false });
    return { store, close: () => store.close() };
  },
  { skip: env.skip },
);

runSuite(
  'redis, searches in one script (the form before the steps; bench/recipients.ts compares the two)',
  async () => {
    const store = await openRedisNoticeStore(env.url, { keyPrefix: env.prefixFor(`o${++n}`), recipientSearch: 'one-script', recipientGatherMax: 0, recipientWalkChunk: 3 });
    return { store, close: () => store.close() };
  },
  { skip: env.skip },
);

describe('Redis recipients index of a broadcast from before it', { skip: env.skip }, () => {
  const clients: Redis[] = [];
  after(() => clients.forEach((c) => c.disconnect()));
  it('is built at the first query, from the records as they are', async () => {
    const prefix = env.prefixFor('old');
    const store = await openRedisNoticeStore(env.url, { keyPrefix: prefix });
    const c = new Redis(env.url);
    clients.push(c);
    try {
      await seed(store);
      const all = await store.listRecipients('b1');
      // As an older version left it: no index keys at all.
      const ixKeys = await c.keys(`${prefix}{b:b1}:r:ix*`);
      assert.ok(ixKeys.length > 0);
      await c.del(...ixKeys);
      const page = (await store.queryRecipients('b1', { state: 'read', sort: 'time', order: 'asc', limit: 1000 }))!;
      assert.deepEqual(page.recipients.map((r) => r.userId), model(all, { state: 'read', prefix: '', sort: 'time', order: 'asc' }));
      assert.equal(await c.get(`${prefix}{b:b1}:r:ix:v`), '2');
    } finally {
      await store.close();
    }
  });

  it('of the form before the search suffix (index version 1) is rebuilt at the first query, leaving no old member', async () => {
    const prefix = env.prefixFor('v1');
    const store = await openRedisNoticeStore(env.url, { keyPrefix: prefix });
    const c = new Redis(env.url);
    clients.push(c);
    const r = `${prefix}{b:b1}:r`;
    try {
      await seed(store);
      const all = await store.listRecipients('b1');
      // As the version before the search suffix left it: members '<key>:<userId>' alone, hash values '<state>|<time>'.
      const zsets = (await c.keys(`${r}:ix:[utk]:*`)).filter((k) => !k.endsWith(':ix:ra'));
      for (const z of zsets) {
        const members = await c.zrange(z, 0, -1);
        await c.del(z);
        await c.zadd(z, ...members.flatMap((m) => [0, m.split('\u0000')[0]!]));
      }
      const ix = await c.hgetall(`${r}:ix`);
      for (const [u, v] of Object.entries(ix)) await c.hset(`${r}:ix`, u, v.split('|').slice(0, 2).join('|'));
      await c.set(`${r}:ix:v`, '1');
      const withoutSuffix = await c.zrange(`${r}:ix:u:all`, 0, -1);
      assert.ok(withoutSuffix.every((m) => !m.includes('\u0000')), 'the old form');
      const page = (await store.queryRecipients('b1', { prefix: 'wang', text: 'wang', sort: 'time', order: 'asc', limit: 1000 }))!;
      assert.deepEqual(page.recipients.map((x) => x.userId), model(all, { prefix: 'wang', text: 'wang', sort: 'time', order: 'asc' }));
      assert.ok(page.total > 0);
      assert.equal(await c.get(`${r}:ix:v`), '2');
      for (const z of ['u:all', 't:all', 'k:all']) assert.equal(await c.zcard(`${r}:ix:${z}`), all.length, `${z}: one member per recipient`);
      const named = all.filter((x) => x.name !== null || x.department !== null).length;
      assert.equal((await c.zrange(`${r}:ix:u:all`, 0, -1)).filter((m) => m.includes('\u0000')).length, named, 'a suffix on every named member');
    } finally {
      await store.close();
    }
  });

  it('follows a record rewritten behind it (another tool, a name changed) at the next write of that recipient', async () => {
    const prefix = env.prefixFor('renamed');
    const store = await openRedisNoticeStore(env.url, { keyPrefix: prefix });
    const c = new Redis(env.url);
    clients.push(c);
    const r = `${prefix}{b:b1}:r`;
    try {
      await seed(store);
      const all = await store.listRecipients('b1');
      const sent = all.find((x) => x.state === 'sent' && x.readAt === null && x.name !== null)!;
      const oldName = sent.name!;
      const rec = JSON.parse((await c.hget(r, sent.userId))!) as Record<string, unknown>;
      await c.hset(r, sent.userId, JSON.stringify({ ...rec, n: 'Renamed Person', d: undefined }));
      // A write through the store (a read receipt) indexes the record as it now is.
      await store.markRead('b1', [{ userId: sent.userId, readAt: 3000 }], 3000);
      const renamed = (await store.queryRecipients('b1', { text: 'renamed', sort: 'user', order: 'asc', limit: 10 }))!;
      assert.deepEqual(renamed.recipients.map((x) => [x.userId, x.name, x.department]), [[sent.userId, 'Renamed Person', null]]);
      const old = (await store.queryRecipients('b1', { text: oldName.toLowerCase(), sort: 'time', order: 'asc', limit: 1000 }))!;
      assert.ok(!old.recipients.some((x) => x.userId === sent.userId), 'the old name no longer matches');
      assert.equal(old.total, all.filter((x) => x.name === oldName).length - 1);
      assert.equal(await c.zcard(`${r}:ix:u:all`), all.length);
    } finally {
      await store.close();
    }
  });
});
