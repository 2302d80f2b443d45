/**
 * NoticeStore.timeline on both stores (SQLite in a temp dir, the real Redis under a unique prefix):
 * reads (first read, acknowledged or not) and acknowledgements counted per interval from the stored
 * times; an unknown broadcast is null; bad edges are refused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NoticeStore } from '../../../src/store/ports/notices.ts';
import { openRedisNoticeStore } from '../../../src/store/redis/notices.ts';
import { tempSqliteNoticeStore } from '../notices/helpers.ts';
import { redisTestEnv } from './redis-test-env.ts';

const H = 3_600_000;
const T0 = Date.parse('2026-12-05T00:00:00.000Z');
const CONTENT = { title: { zh: '告知', en: 'Notice' }, body: { zh: '正文', en: 'Body' } };

const redis = await redisTestEnv('timeline', openRedisNoticeStore);

async function sentTo(s: NoticeStore, users: string[]): Promise<void> {
  await s.createNotice('n1', CONTENT, T0);
  await s.createBroadcast({ id: 'b1', noticeId: 'n1', version: 1, platform: 'dingtalk', audience: { userIds: users }, readSupported: true, createdBy: 't' }, T0);
  await s.addRecipients('b1', users, T0);
  await s.startSending('b1', T0);
  const batch = await s.claimBatch('b1', { owner: 'w', max: 100, leaseMs: H, deferMs: 1000 }, T0 + 1);
  await s.settleBatch(batch!, { sent: users, failed: [], retry: [] }, T0 + 2);
}

function contract(kind: string, open: () => Promise<{ store: NoticeStore; cleanup(): Promise<void> }>): void {
  describe(`timeline (${kind})`, () => {
    it('counts first reads and acknowledgements per interval', async () => {
      const { store: s, cleanup } = await open();
      try {
        await sentTo(s, ['u1', 'u2', 'u3', 'u4', 'u5']);
        // u1 reads in hour 0 and acknowledges in hour 2; u2 reads in hour 1; u3 acknowledges (card, no read) in hour 2;
        // u4 reads exactly at the start of hour 3 (belongs to hour 3, not 2); u5 does nothing.
        await s.markRead('b1', [{ userId: 'u1', readAt: T0 + 10 * 60_000 }, { userId: 'u2', readAt: T0 + H + 5 }], T0 + H + 10);
        await s.markRead('b1', [{ userId: 'u1', readAt: T0 + 2 * H }], T0 + 2 * H); // first read wins
        assert.equal((await s.acknowledge('dingtalk', 'u1', { noticeId: 'n1', version: 1 }, 'card', T0 + 2 * H + 1)).kind, 'acknowledged');
        assert.equal((await s.acknowledge('dingtalk', 'u3', { noticeId: 'n1', version: 1 }, 'text', T0 + 3 * H - 1)).kind, 'acknowledged');
        await s.markRead('b1', [{ userId: 'u4', readAt: T0 + 3 * H }], T0 + 3 * H);
        const edges = [T0, T0 + H, T0 + 2 * H, T0 + 3 * H, T0 + 4 * H];
        assert.deepEqual(await s.timeline('b1', edges), { read: [1, 1, 0, 1], acknowledged: [0, 0, 2, 0] });
        // A window that starts later leaves the earlier times out.
        assert.deepEqual(await s.timeline('b1', [T0 + 2 * H, T0 + 4 * H]), { read: [1], acknowledged: [2] });
        assert.equal(await s.timeline('nope', edges), null);
        for (const bad of [[T0], [T0 + 1, T0], [T0, T0], [T0, 1.5], [-1, 5]]) {
          await assert.rejects(s.timeline('b1', bad), { code: 'STORE_BAD_ARGUMENT' }, JSON.stringify(bad));
        }
      } finally {
        await cleanup();
      }
    });
  });
}

contract('sqlite', async () => tempSqliteNoticeStore());
if (!redis.unreachable || !redis.mustHaveRedis) {
  describe('redis', { skip: redis.skip }, () => {
    contract('redis', async () => {
      const store = await openRedisNoticeStore(redis.url, { keyPrefix: redis.prefixFor('t') });
      return { store, cleanup: () => store.close() };
    });
  });
}
