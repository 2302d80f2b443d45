/**
 * Child process for the concurrent audit-chain tests (notices-redis.test.ts, notices-sqlite.test.ts;
 * forked with `--import tsx`). argv: <JSON {kind: 'redis'|'sqlite', where: url or file,
 * keyPrefix?, broadcastId, users: string[], at: ms}>. Opens its own notice store, sends 'ready',
 * waits for 'go', then for every user records a read and an acknowledgement (each appends one
 * audit entry to the broadcast's chain), 8 users in flight at a time, and sends back
 * `{ done: number }` before exiting.
 */
import { openRedisNoticeStore } from '../../../src/store/redis/notices.ts';
import { openSqliteNoticeStore } from '../../../src/store/sqlite/notices.ts';

const job = JSON.parse(process.argv[2]!) as { kind: 'redis' | 'sqlite'; where: string; keyPrefix?: string; broadcastId: string; users: string[]; at: number };
const store = job.kind === 'redis' ? await openRedisNoticeStore(job.where, { keyPrefix: job.keyPrefix! }) : openSqliteNoticeStore(job.where);
const send = (m: unknown): Promise<void> => new Promise((resolve, reject) => process.send!(m, (err: Error | null) => (err ? reject(err) : resolve())));

process.once('message', async () => {
  let done = 0;
  const queue = [...job.users];
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let u = queue.shift(); u !== undefined; u = queue.shift()) {
      await store.markRead(job.broadcastId, [{ userId: u, readAt: job.at }], job.at);
      await store.acknowledge('wecom', u, 'latest', 'text', job.at + 1);
      done++;
    }
  }));
  await store.close();
  await send({ done });
  process.disconnect();
});
await send('ready');
