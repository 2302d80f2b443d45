/**
 * An instance that starts preparing a broadcast and never finishes: its channel's directory never
 * answers. preparation-lease.test.ts SIGKILLs it mid-preparation. Run as
 * `node --import tsx test/src/notices/prepare-child.ts` with:
 * - PREP_BACKEND 'sqlite' (PREP_DB_FILE: the shared database file) or 'redis' (PREP_REDIS_URL, PREP_REDIS_PREFIX);
 * - PREP_CLOCK: the instance's time (ms; fixed — the lease it takes and renews ends at PREP_CLOCK + PREP_LEASE_MS);
 * - PREP_LEASE_MS, PREP_NOTICE_ID, PREP_OWNER.
 * Prints JSON lines on stdout: {"id": broadcastId} once prepared (answered 202), {"resolving": true} once
 * the directory was asked.
 */
import { writeSync } from 'node:fs';
import { createLogger } from '../../../src/log.ts';
import { NoticeService } from '../../../src/notices/service.ts';
import type { Clock } from '../../../src/notices/clock.ts';
import type { NoticeChannel } from '../../../src/platform/notices.ts';
import { openSqliteNoticeStore } from '../../../src/store/sqlite/notices.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import { openRedisNoticeStore } from '../../../src/store/redis/notices.ts';
import { openRedisStore } from '../../../src/store/redis/store.ts';

const env = process.env;
const say = (o: unknown) => writeSync(1, `${JSON.stringify(o)}\n`);
const t = Number(env.PREP_CLOCK);
const clock: Clock = { now: () => t, sleep: async () => undefined };
const redis = env.PREP_BACKEND === 'redis';
const store = redis ? await openRedisNoticeStore(env.PREP_REDIS_URL!, { keyPrefix: env.PREP_REDIS_PREFIX! }) : openSqliteNoticeStore(env.PREP_DB_FILE!);
const kv = redis ? await openRedisStore(env.PREP_REDIS_URL!, { keyPrefix: env.PREP_REDIS_PREFIX! }) : openSqliteStore(env.PREP_DB_FILE!);
const service = new NoticeService({ store, kv, log: createLogger('silent'), clock, instanceId: env.PREP_OWNER!, preparationLeaseMs: Number(env.PREP_LEASE_MS) });
const hanging: NoticeChannel = {
  platform: 'hang',
  maxBatchSize: 10,
  readSupported: false,
  resolveAudience() {
    say({ resolving: true });
    return new Promise<string[]>(() => {});
  },
  sendBatch() {
    throw new Error('never sends');
  },
};
service.registerChannel(hanging);
const id = await service.prepareBroadcast({ noticeId: env.PREP_NOTICE_ID!, platform: 'hang', audience: { userIds: ['u1', 'u2'] }, createdBy: 'test' });
say({ id });
// Stay alive (the heartbeat timer is unref'd) until killed.
setInterval(() => undefined, 1 << 30);
