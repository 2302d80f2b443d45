/**
 * NoticeStore.queryRecipients on both stores (embedded SQLite, real Redis under a private prefix):
 * a broadcast with recipients in every state, built through the store's own operations (claim,
 * settle, markRead, acknowledge), queried with every combination of state, prefix, sort and order,
 * page by page through cursors and through offsets; each answer is checked against a model
 * computed from listRecipients. Also: a Redis broadcast from before the index gets it built; bad
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
  'redis, prefix searches by time walking the index in steps of 3 (no gathering)',
  async () => {
    const store = await openRedisNoticeStore(env.url, { keyPrefix: env.prefixFor(`w${++n}`), recipientGatherMax: 0, recipientWalkChunk: 3 });
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
      assert.equal(await c.get(`${prefix}{b:b1}:r:ix:v`), '1');
    } finally {
      await store.close();
    }
  });
});
