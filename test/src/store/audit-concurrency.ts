import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { NoticeStore } from '../../../src/store/ports/notices.ts';
import { assertLinearChain } from '../../helpers/audit-chain.ts';

/** Where the children open the store: the same Redis prefix or the same SQLite file as the parent. */
export type StoreLocation = { kind: 'redis'; where: string; keyPrefix: string } | { kind: 'sqlite'; where: string };

/**
 * The concurrent-append check shared by the Redis and SQLite store tests: a broadcast 'bc' sent
 * to 2 × `perProcess` employees, then two processes (./audit-appender.ts, each with its own store
 * connection) record a read and an acknowledgement for their half at the same time — every one
 * an audit entry on the same chain. Afterwards the chain must be one linear chain holding every
 * entry exactly once.
 */
export async function twoProcessesAppend(store: NoticeStore, location: StoreLocation, perProcess: number): Promise<void> {
  const T = 1_780_000_000_000;
  const users = Array.from({ length: 2 * perProcess }, (_, i) => `u${i}`);
  await store.createNotice('n1', { title: { zh: 't', en: 't' }, body: { zh: 'b', en: 'b' } }, T);
  await store.createBroadcast({ id: 'bc', noticeId: 'n1', version: 1, platform: 'wecom', audience: { all: true }, readSupported: true, createdBy: 'test' }, T);
  await store.addRecipients('bc', users, T);
  await store.startSending('bc', T);
  for (;;) {
    const batch = await store.claimBatch('bc', { owner: 'w', max: 1000, leaseMs: 60_000, deferMs: 100 }, T + 1);
    if (!batch) break;
    await store.settleBatch(batch, { sent: batch.users.map((u) => u.userId), failed: [], retry: [] }, T + 2);
  }
  const before = (await store.listAudit('bc')).length;

  const script = fileURLToPath(new URL('./audit-appender.ts', import.meta.url));
  const halves = [users.slice(0, perProcess), users.slice(perProcess)];
  const children = halves.map((half) =>
    fork(script, [JSON.stringify({ ...location, broadcastId: 'bc', users: half, at: T + 10 })], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  try {
    await Promise.all(children.map((c) => once(c, 'message'))); // both 'ready'
    const results = children.map((c) => once(c, 'message') as Promise<[{ done: number }]>);
    for (const c of children) c.send('go');
    const done = (await Promise.all(results)).map(([m]) => m.done);
    assert.deepEqual(done, [perProcess, perProcess]);
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill();
  }

  const events = await store.listAudit('bc');
  assertLinearChain(events, { broadcastId: 'bc', noticeId: 'n1', version: 1 });
  const added = events.slice(before);
  assert.equal(added.length, 4 * perProcess, 'a read and an acknowledgement per employee, each once');
  for (const u of users) {
    assert.deepEqual(added.filter((e) => e.userId === u).map((e) => e.to), ['read', 'acknowledged'], u);
  }
  assert.deepEqual(await store.auditHead('bc'), { rows: events.length, hash: events.at(-1)!.hash });
}
