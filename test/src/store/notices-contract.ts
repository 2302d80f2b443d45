import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BroadcastRecord, ClaimedBatch, NoticeStore } from '../../../src/store/ports/notices.ts';
import { AWAITING_CONFIRMATION, recipientState } from '../../../src/store/ports/notices.ts';
import { genesisHash } from '../../../src/store/ports/audit-chain.ts';
import { assertLinearChain } from '../../helpers/audit-chain.ts';

/**
 * The behaviour contract of the NoticeStore port (src/store/ports/notices.ts), run against every
 * implementation. `makeStore` gives a fresh, empty, independent store per call; the contract
 * closes what it made. Time is explicit (`now` arguments), so leases and retries are exact.
 */
export function runNoticeStoreContract(name: string, makeStore: () => Promise<NoticeStore> | NoticeStore): void {
  const T0 = 1_780_000_000_000;
  const content = (n: number) => ({ title: { zh: `通知 ${n}`, en: `Notice ${n}` }, body: { zh: `正文 ${n}`, en: `Body ${n}` } });
  const claimOpts = (owner: string, max = 1000, leaseMs = 1000) => ({ owner, max, leaseMs, deferMs: 500 });

  async function withStore(fn: (s: NoticeStore) => Promise<void>): Promise<void> {
    const s = await makeStore();
    try {
      await fn(s);
    } finally {
      await s.close();
    }
  }

  /** The counts of a broadcast equal what its recipient records say, and targeted = pending + sent + failed. */
  async function assertConsistent(s: NoticeStore, id: string): Promise<BroadcastRecord> {
    const b = (await s.getBroadcast(id))!;
    const rs = await s.listRecipients(id);
    const c = b.counts;
    assert.equal(c.targeted, c.pending + c.sent + c.failed, 'targeted = pending + sent + failed');
    assert.deepEqual(c, {
      targeted: rs.length,
      pending: rs.filter((r) => r.state === 'pending').length,
      sent: rs.filter((r) => r.state === 'sent').length,
      failed: rs.filter((r) => r.state === 'failed').length,
      read: rs.filter((r) => r.state === 'sent' && r.readAt !== null).length,
      acknowledged: rs.filter((r) => r.state === 'sent' && r.acknowledgedAt !== null).length,
    });
    const r = b.reminder;
    assert.equal(r.targeted, r.pending + r.sent + r.failed, 'reminder targeted = pending + sent + failed');
    assert.equal((await s.listFailures(id)).length, c.failed);
    return b;
  }

  /** A notice with a sending broadcast to `users`. */
  async function sending(s: NoticeStore, id: string, users: string[], opts: { noticeId?: string; platform?: string; version?: number } = {}): Promise<void> {
    const noticeId = opts.noticeId ?? 'n1';
    if (!(await s.getNoticeVersion(noticeId))) await s.createNotice(noticeId, content(1), T0);
    await s.createBroadcast(
      { id, noticeId, version: opts.version ?? 1, platform: opts.platform ?? 'wecom', audience: { userIds: users }, readSupported: true, createdBy: 'test' },
      T0,
    );
    await s.addRecipients(id, users, T0);
    await s.startSending(id, T0);
  }

  const ids = (b: ClaimedBatch | null) => (b ? b.users.map((u) => u.userId).sort() : []);

  describe(`NoticeStore contract: ${name}`, () => {
    describe('notices', () => {
      it('creates version 1, an edit adds version 2, old versions stay readable', () =>
        withStore(async (s) => {
          const v1 = await s.createNotice('n1', content(1), T0);
          assert.deepEqual(v1, { noticeId: 'n1', version: 1, ...content(1), createdAt: T0 });
          const v2 = await s.addNoticeVersion('n1', content(2), T0 + 10);
          assert.equal(v2?.version, 2);
          assert.deepEqual(await s.getNoticeVersion('n1'), { noticeId: 'n1', version: 2, ...content(2), createdAt: T0 + 10 });
          assert.deepEqual(await s.getNoticeVersion('n1', 1), v1);
          assert.equal(await s.getNoticeVersion('n1', 3), null);
          assert.deepEqual((await s.listNoticeVersions('n1')).map((v) => v.version), [1, 2]);
          assert.equal(await s.addNoticeVersion('nope', content(1), T0), null);
          assert.equal(await s.getNoticeVersion('nope'), null);
          assert.deepEqual(await s.listNoticeVersions('nope'), []);
        }));

      it('lists notices newest first with the latest title; refuses a duplicate id', () =>
        withStore(async (s) => {
          await s.createNotice('a', content(1), T0);
          await s.createNotice('b', content(2), T0 + 5);
          await s.addNoticeVersion('a', content(3), T0 + 9);
          const list = await s.listNotices();
          assert.deepEqual(list.map((n) => [n.id, n.latestVersion, n.title.en]), [['b', 1, 'Notice 2'], ['a', 2, 'Notice 3']]);
          await assert.rejects(s.createNotice('a', content(1), T0), { code: 'STORE_BAD_ARGUMENT' });
        }));

      it('keeps unicode, quotes and line breaks exactly', () =>
        withStore(async (s) => {
          const c = { title: { zh: '《会话存档》"通知"', en: 'Say "hi", ok' }, body: { zh: '第一行\n第二行 🙂', en: 'a,b\r\nc' } };
          await s.createNotice('u', c, T0);
          const v = await s.getNoticeVersion('u');
          assert.deepEqual({ title: v!.title, body: v!.body }, c);
        }));

      it('keeps an optional zh-TW text and an unwritten English (\'\') per version; old-shape versions have no zh-TW', () =>
        withStore(async (s) => {
          const withTw = { title: { zh: '隐私告知', en: '', 'zh-TW': '隱私告知' }, body: { zh: '公司存档聊天', en: '', 'zh-TW': '公司存檔聊天' } };
          await s.createNotice('tw', content(1), T0);
          const v2 = await s.addNoticeVersion('tw', withTw, T0 + 1);
          assert.deepEqual({ title: v2!.title, body: v2!.body }, withTw);
          const [v1, again] = await s.listNoticeVersions('tw');
          assert.deepEqual({ title: v1!.title, body: v1!.body }, content(1), 'no zh-TW key when none was written');
          assert.equal(Object.hasOwn(v1!.title, 'zh-TW'), false);
          assert.deepEqual({ title: again!.title, body: again!.body }, withTw);
          assert.deepEqual((await s.listNotices())[0]!.title, withTw.title, 'the list shows the latest title with its zh-TW');
          await assert.rejects(s.addNoticeVersion('tw', { title: { zh: 'a', en: '', 'zh-TW': 7 as unknown as string }, body: { zh: 'b', en: '' } }, T0 + 2), { code: 'STORE_BAD_ARGUMENT' });
        }));

      it('rejects bad ids', () =>
        withStore(async (s) => {
          await assert.rejects(s.createNotice('a:b', content(1), T0), { code: 'STORE_BAD_ARGUMENT' });
          await assert.rejects(s.createNotice('{x}', content(1), T0), { code: 'STORE_BAD_ARGUMENT' });
          await assert.rejects(s.getBroadcast(''), { code: 'STORE_BAD_ARGUMENT' });
        }));
    });

    describe('broadcast life cycle', () => {
      it('resolving -> sending -> done, with counts consistent at every step and an audit trail', () =>
        withStore(async (s) => {
          await s.createNotice('n1', content(1), T0);
          const created = await s.createBroadcast(
            { id: 'b1', noticeId: 'n1', version: 1, platform: 'wecom', audience: { all: true }, readSupported: false, createdBy: 'api' },
            T0,
          );
          assert.equal(created.state, 'resolving');
          assert.deepEqual(created.audience, { all: true });
          assert.equal(created.readSupported, false);
          assert.deepEqual(created.counts, { targeted: 0, pending: 0, sent: 0, failed: 0, read: 0, acknowledged: 0 });
          assert.deepEqual(await s.activeBroadcastIds(), []);
          assert.equal(await s.claimBatch('b1', claimOpts('w'), T0), null, 'nothing is claimed while resolving');
          assert.equal(await s.addRecipients('b1', ['u1', 'u2', 'u3'], T0), 3);
          assert.equal(await s.addRecipients('b1', ['u3', 'u4'], T0), 1, 'ids already there are ignored');
          await assertConsistent(s, 'b1');
          const started = await s.startSending('b1', T0 + 1);
          assert.equal(started?.state, 'sending');
          assert.deepEqual(await s.activeBroadcastIds(), ['b1']);
          await assert.rejects(s.addRecipients('b1', ['u9'], T0), { code: 'STORE_BAD_ARGUMENT' });

          const batch = await s.claimBatch('b1', claimOpts('w', 3), T0 + 2);
          assert.equal(batch?.kind, 'deliver');
          assert.deepEqual(ids(batch), ['u1', 'u2', 'u3']);
          assert.equal(batch!.leaseUntil, T0 + 2 + 1000);
          await assertConsistent(s, 'b1');
          const r = await s.settleBatch(batch!, { sent: ['u1', 'u2'], failed: [{ userId: 'u3', reason: 'invaliduser' }], retry: [] }, T0 + 3);
          assert.deepEqual({ ...r, stale: r.stale }, { applied: 3, stale: [], duplicates: [], state: 'sending' });
          let b = await assertConsistent(s, 'b1');
          assert.deepEqual(b.counts, { targeted: 4, pending: 1, sent: 2, failed: 1, read: 0, acknowledged: 0 });
          assert.deepEqual(await s.listFailures('b1'), [{ userId: 'u3', reason: 'invaliduser' }]);

          const rest = await s.claimBatch('b1', claimOpts('w', 3), T0 + 4);
          assert.deepEqual(ids(rest), ['u4']);
          const r2 = await s.settleBatch(rest!, { sent: ['u4'], failed: [], retry: [] }, T0 + 5);
          assert.equal(r2.state, 'done');
          b = await assertConsistent(s, 'b1');
          assert.equal(b.state, 'done');
          assert.deepEqual(await s.activeBroadcastIds(), []);
          assert.equal(await s.claimBatch('b1', claimOpts('w'), T0 + 6), null);

          const recipients = await s.listRecipients('b1');
          assert.deepEqual(recipients.map((x) => [x.userId, x.state, x.sentAt, x.reason]), [
            ['u1', 'sent', T0 + 3, null], ['u2', 'sent', T0 + 3, null], ['u3', 'failed', null, 'invaliduser'], ['u4', 'sent', T0 + 5, null],
          ]);
          const audit = await s.listAudit('b1');
          const broadcastEvents = audit.filter((e) => e.userId === null).map((e) => `${e.from}->${e.to}`);
          assert.deepEqual(broadcastEvents, ['none->resolving', 'resolving->sending', 'sending->done']);
          assert.deepEqual(audit.filter((e) => e.userId === 'u3').map((e) => [e.from, e.to, e.reason]), [
            ['none', 'pending', 'in the audience'], ['pending', 'failed', 'invaliduser'],
          ]);
          assert.ok(audit.every((e, i) => i === 0 || e.at >= audit[i - 1]!.at), 'audit in time order');
          assert.ok(audit.every((e) => e.broadcastId === 'b1'));
        }));

      it('an empty audience is done as soon as it starts', () =>
        withStore(async (s) => {
          await sending(s, 'b0', []);
          const b = await s.getBroadcast('b0');
          assert.equal(b?.state, 'done');
          assert.equal(b?.counts.targeted, 0);
        }));

      it('failResolution cancels with the reason; unknown ids give null', () =>
        withStore(async (s) => {
          await s.createNotice('n1', content(1), T0);
          await s.createBroadcast({ id: 'bf', noticeId: 'n1', version: 1, platform: 'dingtalk', audience: { departmentIds: ['7'] }, readSupported: true, createdBy: 'cli' }, T0);
          const b = await s.failResolution('bf', 'department 7 not visible', T0 + 1);
          assert.equal(b?.state, 'cancelled');
          assert.equal(b?.error, 'department 7 not visible');
          assert.equal(await s.failResolution('nope', 'x', T0), null);
          assert.equal(await s.startSending('nope', T0), null);
          assert.equal(await s.getBroadcast('nope'), null);
          assert.deepEqual(await s.listRecipients('nope'), []);
          assert.equal(await s.resend('nope', 'failed', T0), null);
          assert.equal(await s.cancel('nope', T0), null);
        }));

      it('lists broadcasts newest first', () =>
        withStore(async (s) => {
          await s.createNotice('n1', content(1), T0);
          for (const [i, id] of ['x1', 'x2', 'x3'].entries()) {
            await s.createBroadcast({ id, noticeId: 'n1', version: 1, platform: 'wecom', audience: { all: true }, readSupported: false, createdBy: 'api' }, T0 + i);
          }
          assert.deepEqual((await s.listBroadcasts()).map((b) => b.id), ['x3', 'x2', 'x1']);
          assert.deepEqual((await s.listBroadcasts(2)).map((b) => b.id), ['x3', 'x2']);
        }));
    });

    describe('audience of a broadcast, schedule, recipient names (issue 13)', () => {
      it('keeps a composite audience with exclusions and the schedule; a broadcast without one has notBefore null', () =>
        withStore(async (s) => {
          await s.createNotice('n1', content(1), T0);
          const audience = { departmentIds: ['hr'], userIds: ['zhoutao'], exclude: { departmentIds: ['sales'], userIds: ['lijing'] } };
          const b = await s.createBroadcast({ id: 'b1', noticeId: 'n1', version: 1, platform: 'sandbox', audience, readSupported: true, createdBy: 'test', notBefore: T0 + 3_600_000 }, T0);
          assert.deepEqual(b.audience, audience);
          assert.equal(b.notBefore, T0 + 3_600_000);
          assert.equal((await s.getBroadcast('b1'))!.notBefore, T0 + 3_600_000);
          const plain = await s.createBroadcast({ id: 'b2', noticeId: 'n1', version: 1, platform: 'sandbox', audience: { all: true }, readSupported: true, createdBy: 'test' }, T0);
          assert.equal(plain.notBefore, null);
          await assert.rejects(
            s.createBroadcast({ id: 'b3', noticeId: 'n1', version: 1, platform: 'sandbox', audience: { all: true, userIds: ['x'] } as never, readSupported: true, createdBy: 'test' }, T0),
            { code: 'STORE_BAD_ARGUMENT' },
          );
        }));

      it('recipients keep display name and department through sending, reading and acknowledging; bare ids have none', () =>
        withStore(async (s) => {
          await s.createNotice('n1', content(1), T0);
          await s.createBroadcast({ id: 'b1', noticeId: 'n1', version: 1, platform: 'sandbox', audience: { userIds: ['a', 'b', 'c'] }, readSupported: true, createdBy: 'test' }, T0);
          const long = '长'.repeat(300);
          assert.equal(await s.addRecipients('b1', [{ userId: 'a', name: '王芳', department: '人力资源部' }, 'b', { userId: 'c', name: long, department: null }], T0), 3);
          await s.startSending('b1', T0);
          const batch = (await s.claimBatch('b1', claimOpts('w1'), T0))!;
          await s.settleBatch(batch, { sent: ['a', 'b', 'c'], failed: [], retry: [] }, T0 + 1);
          await s.markRead('b1', [{ userId: 'a', readAt: T0 + 2 }], T0 + 2);
          await s.acknowledge('sandbox', 'a', 'latest', 'card', T0 + 3);
          const rs = await s.listRecipients('b1');
          assert.deepEqual(rs.map((r) => [r.userId, r.name, r.department]), [['a', '王芳', '人力资源部'], ['b', null, null], ['c', '长'.repeat(200), null]]);
          assert.equal(rs[0]!.acknowledgedAt, T0 + 3);
          const page = (await s.queryRecipients('b1', { sort: 'user', order: 'asc', limit: 10 }))!;
          assert.equal(page.recipients[0]!.name, '王芳');
          await assertConsistent(s, 'b1');
        }));
    });

    describe('claims, retries and leases', () => {
      it('a retried recipient is claimable again only from notBefore; attempts count when asked', () =>
        withStore(async (s) => {
          await sending(s, 'b1', ['u1', 'u2']);
          const b1 = await s.claimBatch('b1', claimOpts('w'), T0);
          await s.settleBatch(b1!, { sent: [], failed: [], retry: [{ userId: 'u1', notBefore: T0 + 100, countsAsAttempt: true }, { userId: 'u2', notBefore: T0 + 300, countsAsAttempt: false }] }, T0 + 1);
          await assertConsistent(s, 'b1');
          assert.equal(await s.claimBatch('b1', claimOpts('w'), T0 + 99), null);
          const b2 = await s.claimBatch('b1', claimOpts('w'), T0 + 100);
          assert.deepEqual(b2?.users, [{ userId: 'u1', attempts: 1 }]);
          const b3 = await s.claimBatch('b1', claimOpts('w'), T0 + 300);
          assert.deepEqual(b3?.users, [{ userId: 'u2', attempts: 0 }]);
        }));

      it('an expired lease is taken over; the lost lease’s result is not applied, and nothing is applied twice', () =>
        withStore(async (s) => {
          await sending(s, 'b1', ['u1', 'u2', 'u3']);
          const a = await s.claimBatch('b1', claimOpts('worker-a', 2, 1000), T0);
          assert.deepEqual(ids(a), ['u1', 'u2']);
          // While A's lease lives, B only gets the rest.
          const b = await s.claimBatch('b1', claimOpts('worker-b', 10, 1000), T0 + 500);
          assert.deepEqual(ids(b), ['u3']);
          assert.equal(b?.takenOver, 0);
          assert.equal(await s.claimBatch('b1', claimOpts('worker-b', 10, 1000), T0 + 999), null);
          // A "crashes" (never settles). After its lease, B takes the batch over.
          const taken = await s.claimBatch('b1', claimOpts('worker-b', 10, 1000), T0 + 1000);
          assert.deepEqual(ids(taken), ['u1', 'u2']);
          assert.equal(taken?.takenOver, 2);
          const takeovers = (await s.listAudit('b1')).filter((e) => /taken over by worker-b/.test(e.reason));
          assert.equal(takeovers.length, 2);
          assert.match(takeovers[0]!.reason, /worker-a/);
          // A comes back late: its results are stale.
          const late = await s.settleBatch(a!, { sent: ['u1'], failed: [{ userId: 'u2', reason: 'x' }], retry: [] }, T0 + 1001);
          assert.equal(late.applied, 0);
          assert.deepEqual(late.stale.sort(), ['u1', 'u2']);
          let bc = await assertConsistent(s, 'b1');
          assert.equal(bc.counts.failed, 0, 'the stale failure was not recorded');
          // u1 was in fact sent by A, and B has sent it again: B records a duplicate.
          const r = await s.settleBatch(taken!, { sent: ['u1', 'u2'], failed: [], retry: [] }, T0 + 1002);
          assert.equal(r.applied, 2);
          assert.deepEqual(r.duplicates, ['u1']);
          assert.equal((await s.getBroadcast('b1'))?.duplicates, 1);
          assert.match((await s.listAudit('b1')).find((e) => e.userId === 'u1' && e.to === 'sent')!.reason, /earlier lease/);
          const again = await s.settleBatch(taken!, { sent: ['u1', 'u2'], failed: [], retry: [] }, T0 + 1003);
          assert.equal(again.applied, 0, 'settling twice applies once');
          assert.deepEqual(again.stale.sort(), ['u1', 'u2']);
          await s.settleBatch(b!, { sent: ['u3'], failed: [], retry: [] }, T0 + 1004);
          bc = await assertConsistent(s, 'b1');
          assert.deepEqual([bc.state, bc.counts.sent, bc.counts.pending], ['done', 3, 0]);
        }));

      it('a renewed lease is not taken over; renewing a lost lease holds nobody', () =>
        withStore(async (s) => {
          await sending(s, 'b1', ['u1', 'u2']);
          const a = await s.claimBatch('b1', claimOpts('worker-a', 10, 1000), T0);
          assert.equal(await s.renewLease(a!, ['u1', 'u2'], T0 + 1900, T0 + 900), 2);
          assert.equal(await s.claimBatch('b1', claimOpts('worker-b', 10, 1000), T0 + 1500), null, 'still leased');
          // Another broadcast of the same version cannot take the employees' reservations either.
          await sending(s, 'b2', ['u1']);
          const other = await s.claimBatch('b2', claimOpts('worker-b', 10, 1000), T0 + 1500);
          assert.equal(other, null);
          assert.equal((await s.listRecipients('b2'))[0]!.state, 'pending', 'deferred, not sent');
          const taken = await s.claimBatch('b1', claimOpts('worker-b', 10, 1000), T0 + 1900);
          assert.deepEqual(ids(taken), ['u1', 'u2']);
          assert.equal(await s.renewLease(a!, ['u1', 'u2'], T0 + 5000, T0 + 1901), 0, 'A lost it');
          await s.settleBatch(taken!, { sent: ['u1'], failed: [], retry: [] }, T0 + 1902);
          assert.equal(await s.renewLease(taken!, ['u1', 'u2'], T0 + 5000, T0 + 1903), 1, 'a settled user is no longer held');
        }));

      it('a released lease is claimable at once by another worker, without an attempt or a takeover', () =>
        withStore(async (s) => {
          await sending(s, 'b1', ['u1', 'u2', 'u3']);
          const a = await s.claimBatch('b1', claimOpts('worker-a', 2, 60_000), T0);
          assert.deepEqual(ids(a), ['u1', 'u2']);
          assert.equal(await s.releaseLease(a!, ['u1', 'u2'], T0 + 10), 2);
          assert.equal(await s.releaseLease(a!, ['u1', 'u2'], T0 + 11), 0, 'releasing twice releases once');
          // Long before the 60 s lease would have ended, another worker gets them.
          const b = await s.claimBatch('b1', claimOpts('worker-b', 10, 60_000), T0 + 20);
          assert.deepEqual(ids(b), ['u1', 'u2', 'u3']);
          assert.equal(b!.takenOver, 0, 'a released lease is not a takeover');
          assert.deepEqual(b!.users.map((u) => u.attempts), [0, 0, 0], 'no attempt counted');
          const audit = await s.listAudit('b1');
          assert.deepEqual(
            audit.filter((e) => /released early by worker-a/.test(e.reason)).map((e) => [e.userId, e.from, e.to]).sort(),
            [['u1', 'pending', 'pending'], ['u2', 'pending', 'pending']],
          );
          assert.ok(!audit.some((e) => /taken over/.test(e.reason)));
          // The releasing worker's late results no longer count.
          const late = await s.settleBatch(a!, { sent: ['u1'], failed: [{ userId: 'u2', reason: 'x' }], retry: [] }, T0 + 30);
          assert.equal(late.applied, 0);
          assert.equal(await s.renewLease(a!, ['u1', 'u2'], T0 + 90_000, T0 + 31), 0);
          // ...but its send of u1 is known per employee, so B records u1 as a duplicate, not a second first delivery.
          const r = await s.settleBatch(b!, { sent: ['u1', 'u2', 'u3'], failed: [], retry: [] }, T0 + 40);
          assert.equal(r.applied, 3);
          assert.deepEqual(r.duplicates, ['u1']);
          const bc = await assertConsistent(s, 'b1');
          assert.deepEqual([bc.state, bc.counts.sent, bc.counts.failed], ['done', 3, 0]);
        }));

      it('releasing a lease it no longer holds, or of settled users, changes nothing', () =>
        withStore(async (s) => {
          await sending(s, 'b1', ['u1', 'u2']);
          const a = await s.claimBatch('b1', claimOpts('worker-a', 10, 1000), T0);
          await s.settleBatch(a!, { sent: ['u1'], failed: [], retry: [] }, T0 + 1);
          const taken = await s.claimBatch('b1', claimOpts('worker-b', 10, 1000), T0 + 1000);
          assert.deepEqual(ids(taken), ['u2']);
          assert.equal(await s.releaseLease(a!, ['u1', 'u2'], T0 + 1001), 0, 'u1 settled, u2 leased by B now');
          assert.equal(await s.claimBatch('b1', claimOpts('worker-c', 10, 1000), T0 + 1002), null, "B's lease stands");
          assert.equal(await s.releaseLease({ ...a!, broadcastId: 'nope' }, ['u2'], T0 + 1003), 0, 'unknown broadcast');
          assert.equal(await s.releaseLease(taken!, [], T0 + 1004), 0);
          await assert.rejects(s.releaseLease(taken!, [''], T0 + 1005), { code: 'STORE_BAD_ARGUMENT' });
        }));

      it('a released reminder lease is claimable at once; a cancelled broadcast keeps nothing queued', () =>
        withStore(async (s) => {
          await sending(s, 'b1', ['u1', 'u2']);
          const a = await s.claimBatch('b1', claimOpts('w'), T0);
          await s.settleBatch(a!, { sent: ['u1', 'u2'], failed: [], retry: [] }, T0 + 1);
          await s.resend('b1', 'unacknowledged', T0 + 2);
          const r = await s.claimBatch('b1', claimOpts('worker-a', 10, 60_000), T0 + 3);
          assert.equal(r?.kind, 'remind');
          assert.equal(await s.releaseLease(r!, ids(r), T0 + 4), 2);
          assert.ok((await s.listAudit('b1')).some((e) => e.userId === 'u1' && /reminder lease released early by worker-a/.test(e.reason)));
          const again = await s.claimBatch('b1', claimOpts('worker-b', 10, 60_000), T0 + 5);
          assert.deepEqual([again?.kind, again?.round, ids(again)], ['remind', 1, ['u1', 'u2']]);
          // Cancelled while leased: released users are not queued again.
          await sending(s, 'b2', ['v1'], { noticeId: 'n2' });
          const c = await s.claimBatch('b2', claimOpts('worker-a', 10, 60_000), T0 + 6);
          await s.cancel('b2', T0 + 7);
          assert.equal(await s.releaseLease(c!, ['v1'], T0 + 8), 1);
          assert.equal(await s.claimBatch('b2', claimOpts('worker-b'), T0 + 9), null);
          const bc = await assertConsistent(s, 'b2');
          assert.deepEqual([bc.state, bc.counts.pending], ['cancelled', 1]);
        }));

      it('a takeover after the send was recorded per employee does not send again', () =>
        withStore(async (s) => {
          await sending(s, 'b1', ['u1', 'u2']);
          const a = await s.claimBatch('b1', claimOpts('worker-a', 10, 1000), T0);
          // A sends, its lease runs out before it settles, and then it settles (late) — nobody
          // else had claimed in between, so the result still counts.
          const r = await s.settleBatch(a!, { sent: ['u1', 'u2'], failed: [], retry: [] }, T0 + 1500);
          assert.equal(r.applied, 2);
          assert.equal(await s.claimBatch('b1', claimOpts('worker-b'), T0 + 2000), null);
          const bc = await assertConsistent(s, 'b1');
          assert.equal(bc.counts.sent, 2);
        }));

      it('gives every recipient to exactly one of several concurrent claimers', () =>
        withStore(async (s) => {
          const users = Array.from({ length: 120 }, (_, i) => `u${String(i).padStart(3, '0')}`);
          await sending(s, 'b1', users);
          const seen: string[] = [];
          await Promise.all(
            Array.from({ length: 6 }, async (_, w) => {
              for (;;) {
                const batch = await s.claimBatch('b1', claimOpts(`w${w}`, 7), T0);
                if (!batch) return;
                seen.push(...batch.users.map((u) => u.userId));
                await s.settleBatch(batch, { sent: batch.users.map((u) => u.userId), failed: [], retry: [] }, T0 + 1);
              }
            }),
          );
          assert.equal(seen.length, users.length, 'nobody claimed twice');
          assert.deepEqual([...new Set(seen)].sort(), users);
          const bc = await assertConsistent(s, 'b1');
          assert.equal(bc.state, 'done');
        }));
    });

    describe('one notice version reaches an employee once', () => {
      it('a second broadcast of the same version skips employees who already got it', () =>
        withStore(async (s) => {
          await sending(s, 'bx', ['u1', 'u2']);
          const x = await s.claimBatch('bx', claimOpts('w'), T0);
          await s.settleBatch(x!, { sent: ['u1', 'u2'], failed: [], retry: [] }, T0 + 10);
          await sending(s, 'by', ['u1', 'u3']);
          const y = await s.claimBatch('by', claimOpts('w'), T0 + 20);
          assert.deepEqual(ids(y), ['u3']);
          assert.equal(y?.alreadyDelivered, 1);
          const rs = await s.listRecipients('by');
          const u1 = rs.find((r) => r.userId === 'u1')!;
          assert.deepEqual([u1.state, u1.sentAt, u1.deliveredBy], ['sent', T0 + 10, 'bx']);
          assert.match((await s.listAudit('by')).find((e) => e.userId === 'u1' && e.to === 'sent')!.reason, /already delivered by broadcast bx/);
          await assertConsistent(s, 'by');
          // A new version is a new notice for everyone.
          await s.addNoticeVersion('n1', content(2), T0 + 30);
          await sending(s, 'bz', ['u1'], { version: 2 });
          assert.deepEqual(ids(await s.claimBatch('bz', claimOpts('w'), T0 + 40)), ['u1']);
          // Same user id on another platform is another employee.
          await sending(s, 'bd', ['u1'], { platform: 'dingtalk' });
          assert.deepEqual(ids(await s.claimBatch('bd', claimOpts('w'), T0 + 40)), ['u1']);
        }));

      it('defers an employee another broadcast is sending the version to, then records it as delivered', () =>
        withStore(async (s) => {
          await sending(s, 'bx', ['u1']);
          const x = await s.claimBatch('bx', claimOpts('w', 10, 1000), T0);
          await sending(s, 'by', ['u1', 'u2']);
          const y = await s.claimBatch('by', claimOpts('w', 10, 1000), T0 + 10);
          assert.deepEqual(ids(y), ['u2']);
          assert.equal(y?.deferred, 1);
          await s.settleBatch(y!, { sent: ['u2'], failed: [], retry: [] }, T0 + 11);
          assert.equal((await assertConsistent(s, 'by')).counts.pending, 1);
          assert.equal(await s.claimBatch('by', claimOpts('w'), T0 + 100), null, 'deferred by deferMs (500)');
          await s.settleBatch(x!, { sent: ['u1'], failed: [], retry: [] }, T0 + 200);
          assert.equal(await s.claimBatch('by', claimOpts('w'), T0 + 510), null, 'u1 is recorded as delivered, not sent');
          const bc = await assertConsistent(s, 'by');
          assert.deepEqual([bc.state, bc.counts.sent], ['done', 2]);
          assert.equal((await s.listRecipients('by')).find((r) => r.userId === 'u1')?.deliveredBy, 'bx');
        }));

      it('a stale reservation (its lease expired) does not block another broadcast', () =>
        withStore(async (s) => {
          await sending(s, 'bx', ['u1']);
          await s.claimBatch('bx', claimOpts('w', 10, 1000), T0); // never settled
          await sending(s, 'by', ['u1']);
          assert.deepEqual(ids(await s.claimBatch('by', claimOpts('w'), T0 + 1001)), ['u1']);
        }));

      it('a failed send frees the employee for another broadcast', () =>
        withStore(async (s) => {
          await sending(s, 'bx', ['u1']);
          const x = await s.claimBatch('bx', claimOpts('w'), T0);
          await s.settleBatch(x!, { sent: [], failed: [{ userId: 'u1', reason: 'unlicenseduser' }], retry: [] }, T0 + 1);
          await sending(s, 'by', ['u1']);
          assert.deepEqual(ids(await s.claimBatch('by', claimOpts('w'), T0 + 2)), ['u1']);
        }));

      it('counts a send to someone who had the version already as a duplicate', () =>
        withStore(async (s) => {
          await sending(s, 'bx', ['u1']);
          await sending(s, 'by', ['u1']);
          const x = await s.claimBatch('bx', claimOpts('w', 10, 1000), T0);
          // y's claim comes after x's reservation expired: y sends too.
          const y = await s.claimBatch('by', claimOpts('w', 10, 1000), T0 + 1001);
          assert.deepEqual(ids(y), ['u1']);
          await s.settleBatch(x!, { sent: ['u1'], failed: [], retry: [] }, T0 + 1002);
          const r = await s.settleBatch(y!, { sent: ['u1'], failed: [], retry: [] }, T0 + 1003);
          assert.deepEqual(r.duplicates, ['u1']);
          assert.equal((await s.getBroadcast('by'))?.duplicates, 1);
          assert.equal((await s.getBroadcast('bx'))?.duplicates, 0);
        }));
    });

    describe('resend, cancel', () => {
      it('resend failed puts failed recipients back to pending and reopens a done broadcast', () =>
        withStore(async (s) => {
          await sending(s, 'b1', ['u1', 'u2']);
          const a = await s.claimBatch('b1', claimOpts('w'), T0);
          await s.settleBatch(a!, { sent: ['u1'], failed: [{ userId: 'u2', reason: 'invaliduser' }], retry: [] }, T0 + 1);
          assert.equal((await s.getBroadcast('b1'))?.state, 'done');
          assert.deepEqual(await s.resend('b1', 'failed', T0 + 2), { queued: 1, round: 0 });
          let bc = await assertConsistent(s, 'b1');
          assert.deepEqual([bc.state, bc.counts.pending, bc.counts.failed], ['sending', 1, 0]);
          assert.deepEqual(await s.activeBroadcastIds(), ['b1']);
          const again = await s.claimBatch('b1', claimOpts('w'), T0 + 3);
          assert.deepEqual(again?.users, [{ userId: 'u2', attempts: 0 }]);
          await s.settleBatch(again!, { sent: ['u2'], failed: [], retry: [] }, T0 + 4);
          bc = await assertConsistent(s, 'b1');
          assert.deepEqual([bc.state, bc.counts.sent], ['done', 2]);
          assert.deepEqual(await s.resend('b1', 'failed', T0 + 5), { queued: 0, round: 0 });
          assert.equal((await s.getBroadcast('b1'))?.state, 'done');
        }));

      it('resend unacknowledged queues one reminder round; each recipient gets a round once; acknowledged ones are skipped', () =>
        withStore(async (s) => {
          await sending(s, 'b1', ['u1', 'u2', 'u3', 'u4']);
          const a = await s.claimBatch('b1', claimOpts('w'), T0);
          await s.settleBatch(a!, { sent: ['u1', 'u2', 'u3'], failed: [{ userId: 'u4', reason: 'invaliduser' }], retry: [] }, T0 + 1);
          await s.acknowledge('wecom', 'u1', 'latest', 'text', T0 + 2);
          assert.deepEqual(await s.listReminderRounds('b1'), [], 'no round yet');
          assert.deepEqual(await s.resend('b1', 'unacknowledged', T0 + 3, 'console:hr.zhang'), { queued: 2, round: 1 });
          assert.deepEqual(await s.listReminderRounds('b1'), [{ round: 1, at: T0 + 3, queued: 2, by: 'console:hr.zhang' }]);
          let bc = await assertConsistent(s, 'b1');
          assert.equal(bc.state, 'sending');
          assert.deepEqual(bc.reminder, { round: 1, targeted: 2, pending: 2, sent: 0, failed: 0 });
          assert.deepEqual(bc.counts, { targeted: 4, pending: 0, sent: 3, failed: 1, read: 0, acknowledged: 1 }, 'reminders do not change delivery counts');
          // u3 acknowledges before the reminder goes out: skipped.
          await s.acknowledge('wecom', 'u3', 'latest', 'card', T0 + 4);
          const r = await s.claimBatch('b1', claimOpts('w'), T0 + 5);
          assert.equal(r?.kind, 'remind');
          assert.equal(r?.round, 1);
          assert.deepEqual(ids(r), ['u2']);
          bc = await assertConsistent(s, 'b1');
          assert.deepEqual(bc.reminder, { round: 1, targeted: 1, pending: 1, sent: 0, failed: 0 });
          await s.settleBatch(r!, { sent: ['u2'], failed: [], retry: [] }, T0 + 6);
          bc = await assertConsistent(s, 'b1');
          assert.deepEqual(bc.reminder, { round: 1, targeted: 1, pending: 0, sent: 1, failed: 0 });
          assert.equal(bc.state, 'done');
          assert.equal(await s.claimBatch('b1', claimOpts('w'), T0 + 7), null, 'round 1 is given once');
          const u2 = (await s.listRecipients('b1')).find((x) => x.userId === 'u2')!;
          assert.deepEqual([u2.state, u2.remindedRound, u2.remindedAt], ['sent', 1, T0 + 6]);
          assert.ok((await s.listAudit('b1')).some((e) => e.userId === 'u2' && /reminder round 1 sent/.test(e.reason)));
          // A second round reminds u2 again (and nobody who acknowledged).
          assert.deepEqual(await s.resend('b1', 'unacknowledged', T0 + 8), { queued: 1, round: 2 });
          const r2 = await s.claimBatch('b1', claimOpts('w'), T0 + 9);
          assert.deepEqual([r2?.kind, r2?.round, ids(r2)], ['remind', 2, ['u2']]);
          await s.settleBatch(r2!, { sent: [], failed: [{ userId: 'u2', reason: 'invaliduser' }], retry: [] }, T0 + 10);
          bc = await assertConsistent(s, 'b1');
          assert.deepEqual(bc.reminder, { round: 2, targeted: 1, pending: 0, sent: 0, failed: 1 });
          assert.equal(bc.counts.failed, 1, 'a failed reminder leaves the delivery state alone');
          // Every round is kept (the broadcast's tally is the latest one's); who asked is optional.
          assert.deepEqual(await s.listReminderRounds('b1'), [
            { round: 1, at: T0 + 3, queued: 2, by: 'console:hr.zhang' },
            { round: 2, at: T0 + 8, queued: 1, by: null },
          ]);
          // A round that queues nobody (everyone acknowledged) and a resend of failed ones record no round.
          await s.acknowledge('wecom', 'u2', 'latest', 'text', T0 + 11);
          assert.deepEqual(await s.resend('b1', 'unacknowledged', T0 + 12, 'api'), { queued: 0, round: 2 });
          await s.resend('b1', 'failed', T0 + 13, 'api');
          assert.equal((await s.listReminderRounds('b1')).length, 2);
          assert.deepEqual(await s.listReminderRounds('b-none'), [], 'an unknown broadcast has none');
          await assert.rejects(s.resend('b1', 'unacknowledged', T0 + 14, ''), { code: 'STORE_BAD_ARGUMENT' });
        }));

      it('cancel stops claims, keeps counts consistent, lets in-flight batches settle, and refuses resend', () =>
        withStore(async (s) => {
          await sending(s, 'b1', ['u1', 'u2', 'u3']);
          const a = await s.claimBatch('b1', claimOpts('w', 1), T0);
          const c = await s.cancel('b1', T0 + 1);
          assert.equal(c?.state, 'cancelled');
          assert.deepEqual(await s.activeBroadcastIds(), []);
          assert.equal(await s.claimBatch('b1', claimOpts('w'), T0 + 5000), null);
          const r = await s.settleBatch(a!, { sent: ids(a), failed: [], retry: [] }, T0 + 2);
          assert.equal(r.applied, 1);
          assert.equal(r.state, 'cancelled');
          const bc = await assertConsistent(s, 'b1');
          assert.deepEqual([bc.counts.sent, bc.counts.pending], [1, 2]);
          assert.equal((await s.cancel('b1', T0 + 3))?.state, 'cancelled', 'cancelling twice changes nothing');
          await assert.rejects(s.resend('b1', 'failed', T0 + 4), { code: 'STORE_BAD_ARGUMENT' });
          assert.equal((await s.listAudit('b1')).filter((e) => e.to === 'cancelled').length, 1);
        }));

      it('cancelling a done broadcast changes nothing', () =>
        withStore(async (s) => {
          await sending(s, 'b1', []);
          assert.equal((await s.cancel('b1', T0 + 1))?.state, 'done');
        }));
    });

    describe('read and acknowledgement', () => {
      async function delivered(s: NoticeStore): Promise<void> {
        await sending(s, 'b1', ['u1', 'u2', 'u3']);
        const a = await s.claimBatch('b1', claimOpts('w'), T0);
        await s.settleBatch(a!, { sent: ['u1', 'u2'], failed: [{ userId: 'u3', reason: 'invaliduser' }], retry: [], readHandle: 'pqk-1' }, T0 + 10);
      }

      it('records reads once, counts them among sent, and keeps read handles until finished', () =>
        withStore(async (s) => {
          await delivered(s);
          const handles = await s.listReadHandles('b1');
          assert.deepEqual(handles.map((h) => [h.handle, h.userIds.sort(), h.sentAt]), [['pqk-1', ['u1', 'u2'], T0 + 10]]);
          assert.equal(await s.markRead('b1', [{ userId: 'u1', readAt: T0 + 20 }, { userId: 'u3', readAt: T0 + 20 }], T0 + 30), 1);
          assert.equal(await s.markRead('b1', [{ userId: 'u1', readAt: T0 + 25 }], T0 + 31), 0, 'first read wins');
          const bc = await assertConsistent(s, 'b1');
          assert.equal(bc.counts.read, 1);
          const u1 = (await s.listRecipients('b1')).find((r) => r.userId === 'u1')!;
          assert.equal(u1.readAt, T0 + 20);
          assert.equal(recipientState(u1), 'read');
          assert.equal((await s.userNotices('wecom', 'u1'))[0]?.readAt, T0 + 20);
          assert.ok((await s.listAudit('b1')).some((e) => e.userId === 'u1' && e.from === 'sent' && e.to === 'read'));
          await s.finishReadHandle('b1', 'pqk-1');
          assert.deepEqual(await s.listReadHandles('b1'), []);
        }));

      it('acknowledges the latest unacknowledged version, once, with time and channel', () =>
        withStore(async (s) => {
          await delivered(s);
          const first = await s.acknowledge('wecom', 'u1', 'latest', 'text', T0 + 40);
          assert.equal(first.kind, 'acknowledged');
          assert.deepEqual(first.kind === 'acknowledged' && first.record, {
            platform: 'wecom', userId: 'u1', noticeId: 'n1', version: 1, broadcastId: 'b1', sentAt: T0 + 10, readAt: null, acknowledgedAt: T0 + 40, ackChannel: 'text',
          });
          const second = await s.acknowledge('wecom', 'u1', { noticeId: 'n1', version: 1 }, 'card', T0 + 50);
          assert.equal(second.kind, 'already');
          assert.equal(second.kind === 'already' && second.record.acknowledgedAt, T0 + 40);
          assert.equal(second.kind === 'already' && second.record.ackChannel, 'text');
          const bc = await assertConsistent(s, 'b1');
          assert.equal(bc.counts.acknowledged, 1);
          const u1 = (await s.listRecipients('b1')).find((r) => r.userId === 'u1')!;
          assert.deepEqual([recipientState(u1), u1.acknowledgedAt, u1.ackChannel], ['acknowledged', T0 + 40, 'text']);
          assert.equal((await s.listAudit('b1')).filter((e) => e.userId === 'u1' && e.to === 'acknowledged').length, 1);
        }));

      // The chat's "确认" acknowledges 'latest'; the card button acknowledges { noticeId, version }.
      it('a notice still in flight to the employee (reserved by a claimed batch, not yet sent) is refused by text and by card, and not counted', () =>
        withStore(async (s) => {
          await sending(s, 'b1', ['u1', 'u2']);
          const a = await s.claimBatch('b1', claimOpts('w'), T0);
          assert.deepEqual(ids(a), ['u1', 'u2'], 'both reserved and in flight');
          assert.deepEqual(await s.acknowledge('wecom', 'u1', 'latest', 'text', T0 + 1), { kind: 'not-found' }, 'text');
          assert.deepEqual(await s.acknowledge('wecom', 'u2', { noticeId: 'n1', version: 1 }, 'card', T0 + 2), { kind: 'not-found' }, 'card');
          let bc = await assertConsistent(s, 'b1');
          assert.equal(bc.counts.acknowledged, 0);
          assert.deepEqual(await s.userNotices('wecom', 'u1'), []);
          assert.deepEqual(await s.userNotices('wecom', 'u2'), []);
          assert.equal((await s.listAudit('b1')).filter((e) => e.to === 'acknowledged').length, 0);
          // Once delivered, the same acknowledgements are taken (at their own time, not earlier).
          await s.settleBatch(a!, { sent: ['u1', 'u2'], failed: [], retry: [] }, T0 + 10);
          const text = await s.acknowledge('wecom', 'u1', 'latest', 'text', T0 + 11);
          assert.equal(text.kind === 'acknowledged' && text.record.acknowledgedAt, T0 + 11);
          const card = await s.acknowledge('wecom', 'u2', { noticeId: 'n1', version: 1 }, 'card', T0 + 12);
          assert.equal(card.kind === 'acknowledged' && card.record.acknowledgedAt, T0 + 12);
          bc = await assertConsistent(s, 'b1');
          assert.equal(bc.counts.acknowledged, 2);
        }));

      it('with an older version delivered and a newer one in flight, text acknowledges the delivered one and the card for the newer is refused', () =>
        withStore(async (s) => {
          await delivered(s);
          await s.addNoticeVersion('n1', content(2), T0 + 20);
          await sending(s, 'b2', ['u1'], { version: 2 });
          const inFlight = await s.claimBatch('b2', claimOpts('w'), T0 + 30);
          assert.deepEqual(ids(inFlight), ['u1']);
          assert.deepEqual(await s.acknowledge('wecom', 'u1', { noticeId: 'n1', version: 2 }, 'card', T0 + 31), { kind: 'not-found' });
          const text = await s.acknowledge('wecom', 'u1', 'latest', 'text', T0 + 32);
          assert.equal(text.kind === 'acknowledged' && text.record.version, 1);
          assert.equal((await assertConsistent(s, 'b2')).counts.acknowledged, 0);
          assert.equal((await assertConsistent(s, 'b1')).counts.acknowledged, 1);
        }));

      it('has nothing to acknowledge for a failed recipient, an unknown employee or an unknown version', () =>
        withStore(async (s) => {
          await delivered(s);
          assert.deepEqual(await s.acknowledge('wecom', 'u3', 'latest', 'text', T0), { kind: 'not-found' });
          assert.deepEqual(await s.acknowledge('wecom', 'nobody', 'latest', 'text', T0), { kind: 'not-found' });
          assert.deepEqual(await s.acknowledge('wecom', 'u1', { noticeId: 'n1', version: 2 }, 'card', T0), { kind: 'not-found' });
          assert.deepEqual(await s.acknowledge('dingtalk', 'u1', 'latest', 'text', T0), { kind: 'not-found' });
          assert.deepEqual(await s.userNotices('wecom', 'u3'), []);
        }));

      it('picks the newest unacknowledged version, then says already for the newest acknowledged', () =>
        withStore(async (s) => {
          await delivered(s);
          await s.createNotice('n2', content(2), T0);
          await sending(s, 'b2', ['u1'], { noticeId: 'n2' });
          const b = await s.claimBatch('b2', claimOpts('w'), T0 + 100);
          await s.settleBatch(b!, { sent: ['u1'], failed: [], retry: [] }, T0 + 110);
          assert.deepEqual((await s.userNotices('wecom', 'u1')).map((r) => r.noticeId), ['n2', 'n1']);
          const a1 = await s.acknowledge('wecom', 'u1', 'latest', 'text', T0 + 120);
          assert.equal(a1.kind === 'acknowledged' && a1.record.noticeId, 'n2');
          const a2 = await s.acknowledge('wecom', 'u1', 'latest', 'text', T0 + 130);
          assert.equal(a2.kind === 'acknowledged' && a2.record.noticeId, 'n1');
          const a3 = await s.acknowledge('wecom', 'u1', 'latest', 'text', T0 + 140);
          assert.equal(a3.kind, 'already');
          assert.equal(a3.kind === 'already' && a3.record.noticeId, 'n2');
        }));

      it('an acknowledgement counts in every broadcast of that version that holds the employee', () =>
        withStore(async (s) => {
          await delivered(s);
          await sending(s, 'b2', ['u1', 'u2']);
          assert.equal(await s.claimBatch('b2', claimOpts('w'), T0 + 50), null, 'both already had it');
          await s.acknowledge('wecom', 'u2', 'latest', 'card', T0 + 60);
          for (const id of ['b1', 'b2']) {
            const bc = await assertConsistent(s, id);
            assert.equal(bc.counts.acknowledged, 1, id);
          }
          // An employee who had acknowledged before the second broadcast is counted as such there.
          await s.acknowledge('wecom', 'u1', 'latest', 'text', T0 + 70);
          await sending(s, 'b3', ['u1']);
          assert.equal(await s.claimBatch('b3', claimOpts('w'), T0 + 80), null);
          const b3 = await assertConsistent(s, 'b3');
          assert.deepEqual([b3.state, b3.counts.sent, b3.counts.acknowledged], ['done', 1, 1]);
        }));
    });

    describe('audit hash chain (docs/EVIDENCE.md)', () => {
      it('every event of a broadcast’s life is one link of one linear chain, also for events written from another broadcast', () =>
        withStore(async (s) => {
          await sending(s, 'b1', ['u1', 'u2', 'u3', 'u4']);
          const a = await s.claimBatch('b1', claimOpts('worker-a', 2), T0 + 1);
          const taken = await s.claimBatch('b1', claimOpts('worker-b', 2), T0 + 2);
          await s.settleBatch(a!, { sent: [a!.users[0]!.userId], failed: [{ userId: a!.users[1]!.userId, reason: '=HYPERLINK("x") 失败' }], retry: [] }, T0 + 3);
          await s.releaseLease(taken!, taken!.users.map((u) => u.userId), T0 + 4);
          const again = await s.claimBatch('b1', claimOpts('worker-c'), T0 + 5_000);
          await s.settleBatch(again!, { sent: again!.users.map((u) => u.userId), failed: [], retry: [] }, T0 + 5_001);
          await s.resend('b1', 'failed', T0 + 5_002);
          const retry = await s.claimBatch('b1', claimOpts('worker-c'), T0 + 5_003);
          await s.settleBatch(retry!, { sent: retry!.users.map((u) => u.userId), failed: [], retry: [] }, T0 + 5_004);
          await s.markRead('b1', [{ userId: 'u1', readAt: T0 + 5_005 }], T0 + 5_006);
          // A second broadcast of the same version: an acknowledgement there is written into b1's chain too.
          await sending(s, 'b2', ['u2', 'u9']);
          const b2 = await s.claimBatch('b2', claimOpts('worker-c'), T0 + 5_007);
          await s.settleBatch(b2!, { sent: ['u9'], failed: [], retry: [] }, T0 + 5_008);
          await s.acknowledge('wecom', 'u2', 'latest', 'card', T0 + 5_009);
          await s.resend('b1', 'unacknowledged', T0 + 5_010);
          const remind = await s.claimBatch('b1', claimOpts('worker-c'), T0 + 5_011);
          await s.settleBatch(remind!, { sent: remind!.users.map((u) => u.userId), failed: [], retry: [] }, T0 + 5_012);
          await sending(s, 'b3', ['u1']);
          await s.cancel('b3', T0 + 5_013);

          for (const id of ['b1', 'b2', 'b3']) {
            const events = await s.listAudit(id);
            assertLinearChain(events, { broadcastId: id, noticeId: 'n1', version: 1 });
            assert.deepEqual(await s.auditHead(id), { rows: events.length, hash: events.at(-1)!.hash }, `${id}: head`);
          }
          const b1 = await s.listAudit('b1');
          assert.ok(b1.length >= 20, `b1 has its whole history (${b1.length} entries)`);
          assert.ok(b1.some((e) => e.userId === 'u2' && e.to === 'acknowledged'), 'the acknowledgement made through b2 is in b1’s chain');
          assert.ok(b1.some((e) => /taken over|released early/.test(e.reason)));
          assert.equal((await s.listAudit('b1')).length, b1.length, 'listing changes nothing');
          assert.deepEqual(await s.listAudit('nope'), []);
          assert.equal(await s.auditHead('nope'), null);
        }));

      it('the first link hangs on the genesis hash of broadcast, notice and version; a later write extends the head', () =>
        withStore(async (s) => {
          await s.createNotice('n7', content(1), T0);
          await s.addNoticeVersion('n7', content(2), T0);
          await s.createBroadcast({ id: 'bg', noticeId: 'n7', version: 2, platform: 'dingtalk', audience: { all: true }, readSupported: true, createdBy: 'test' }, T0);
          const [first] = await s.listAudit('bg');
          assert.equal(first!.prevHash, genesisHash({ broadcastId: 'bg', noticeId: 'n7', version: 2 }));
          const head = await s.auditHead('bg');
          assert.deepEqual(head, { rows: 1, hash: first!.hash });
          await s.addRecipients('bg', ['x'], T0 + 1);
          const events = await s.listAudit('bg');
          assert.deepEqual([events.length, events[1]!.prevHash], [2, head!.hash]);
        }));
    });

    describe('preparation leases and recipient languages', () => {
      const prepared = async (s: NoticeStore, id: string, owner: string | null, leaseUntil = T0 + 1000) => {
        if (!(await s.getNoticeVersion('n1'))) await s.createNotice('n1', content(1), T0);
        await s.createBroadcast(
          { id, noticeId: 'n1', version: 1, platform: 'sandbox', audience: { userIds: ['u1'] }, readSupported: true, createdBy: 'test', ...(owner ? { preparation: { owner, leaseUntil } } : {}) },
          T0,
        );
      };

      it('a lease is renewed only by its owner; once it ends unrenewed it is listed and can be interrupted, once', () =>
        withStore(async (s) => {
          await prepared(s, 'b1', 'inst-a');
          await prepared(s, 'b2', null); // resolved in the foreground: no lease, never listed
          assert.deepEqual(await s.expiredPreparations(T0 + 999, 10), []);
          assert.equal(await s.renewPreparation('b1', 'inst-b', T0 + 5000, T0 + 500), false, "another instance cannot renew it");
          assert.equal(await s.renewPreparation('b2', 'inst-a', T0 + 5000, T0 + 500), false, 'no lease to renew');
          assert.equal(await s.renewPreparation('b1', 'inst-a', T0 + 2000, T0 + 500), true);
          assert.deepEqual(await s.expiredPreparations(T0 + 1500, 10), [], 'renewed past its first end');
          assert.equal(await s.interruptPreparation('b1', 'x', T0 + 1500), null, 'a running lease is not interrupted');
          assert.equal((await s.getBroadcast('b1'))!.state, 'resolving');
          assert.deepEqual(await s.expiredPreparations(T0 + 2000, 10), [{ broadcastId: 'b1', owner: 'inst-a', leaseUntil: T0 + 2000 }]);
          const b = await s.interruptPreparation('b1', 'interrupted: lease of inst-a ended', T0 + 2001);
          assert.deepEqual([b?.state, b?.error], ['cancelled', 'interrupted: lease of inst-a ended']);
          assert.equal(await s.interruptPreparation('b1', 'again', T0 + 2002), null, 'once');
          assert.deepEqual(await s.expiredPreparations(T0 + 10_000, 10), []);
          assert.equal(await s.renewPreparation('b1', 'inst-a', T0 + 9000, T0 + 3000), false, 'a late heartbeat of the dead instance changes nothing');
          assert.equal((await s.getBroadcast('b1'))!.state, 'cancelled');
          const audit = await s.listAudit('b1');
          assert.deepEqual([audit.at(-1)!.from, audit.at(-1)!.to, audit.at(-1)!.reason], ['resolving', 'cancelled', 'audience resolution failed: interrupted: lease of inst-a ended']);
          assert.equal((await s.getBroadcast('b2'))!.state, 'resolving');
        }));

      it('an ended lease (ready), a confirmed or a cancelled broadcast is never interrupted; a late renewal does not revive a lease', () =>
        withStore(async (s) => {
          await prepared(s, 'r1', 'inst-a');
          await s.addRecipients('r1', ['u1'], T0);
          await s.endPreparation('r1', 'inst-b', T0); // not its lease: no-op
          assert.equal((await s.expiredPreparations(T0 + 1000, 10)).length, 1);
          await s.endPreparation('r1', 'inst-a', T0 + 10);
          assert.equal(await s.renewPreparation('r1', 'inst-a', T0 + 5000, T0 + 20), false, 'a heartbeat in flight after the end');
          await prepared(s, 'c1', 'inst-a');
          await s.startSending('c1', T0 + 10);
          await prepared(s, 'x1', 'inst-a');
          await s.cancel('x1', T0 + 10);
          assert.deepEqual(await s.expiredPreparations(T0 + 100_000, 10), []);
          for (const id of ['r1', 'c1', 'x1']) assert.equal(await s.interruptPreparation(id, 'x', T0 + 100_000), null, id);
          assert.equal((await s.getBroadcast('r1'))!.state, 'resolving', 'ready and waiting for the confirm');
        }));

      it('a ready preparation awaits the confirm until confirmBy; unconfirmed by then it is listed (owner AWAITING_CONFIRMATION) and expires, once; a confirm or cancel ends the wait', () =>
        withStore(async (s) => {
          const due = T0 + 86_400_000;
          await prepared(s, 'w1', 'inst-a');
          await s.addRecipients('w1', ['u1'], T0);
          assert.equal((await s.getBroadcast('w1'))!.confirmBy, null, 'being prepared: not awaiting the confirm yet');
          await s.endPreparation('w1', 'inst-b', T0 + 10, due); // not its lease: no-op
          assert.equal((await s.getBroadcast('w1'))!.confirmBy, null);
          await s.endPreparation('w1', 'inst-a', T0 + 10, due);
          assert.equal((await s.getBroadcast('w1'))!.confirmBy, due);
          assert.equal(await s.renewPreparation('w1', 'inst-a', T0 + 5000, T0 + 20), false, 'a heartbeat in flight after the end');
          await assert.rejects(s.renewPreparation('w1', AWAITING_CONFIRMATION, due + 1, T0 + 20), (e: { code?: string }) => e.code === 'STORE_BAD_ARGUMENT');
          assert.deepEqual(await s.expiredPreparations(due - 1, 10), []);
          assert.equal(await s.interruptPreparation('w1', 'x', due - 1), null, 'not yet due');
          assert.deepEqual(await s.expiredPreparations(due, 10), [{ broadcastId: 'w1', owner: AWAITING_CONFIRMATION, leaseUntil: due }]);
          const b = await s.interruptPreparation('w1', 'not confirmed, expired', due + 1);
          assert.deepEqual([b?.state, b?.error, b?.confirmBy], ['cancelled', 'not confirmed, expired', null]);
          assert.equal(await s.interruptPreparation('w1', 'again', due + 2), null, 'once');
          assert.deepEqual(await s.expiredPreparations(due + 10_000, 10), []);
          const last = (await s.listAudit('w1')).at(-1)!;
          assert.deepEqual([last.from, last.to, last.reason], ['resolving', 'cancelled', 'audience resolution failed: not confirmed, expired']);

          // Confirmed in time, or cancelled: nothing to expire.
          await prepared(s, 'w2', 'inst-a');
          await s.addRecipients('w2', ['u1'], T0);
          await s.endPreparation('w2', 'inst-a', T0 + 10, due);
          const started = await s.startSending('w2', T0 + 20);
          assert.deepEqual([started?.state, started?.confirmBy], ['sending', null]);
          await prepared(s, 'w3', 'inst-a');
          await s.endPreparation('w3', 'inst-a', T0 + 10, due);
          assert.equal((await s.cancel('w3', T0 + 20))?.confirmBy, null);
          assert.deepEqual(await s.expiredPreparations(due + 10_000, 10), []);
          for (const id of ['w2', 'w3']) assert.equal(await s.interruptPreparation(id, 'x', due + 10_000), null, id);
          // A wait is never handed to a broadcast no longer resolving.
          await s.endPreparation('w3', 'inst-a', T0 + 30, due);
          assert.equal((await s.getBroadcast('w3'))!.confirmBy, null);
        }));

      it('lists the earliest expired first, at most `limit`', () =>
        withStore(async (s) => {
          await prepared(s, 'p3', 'i', T0 + 300);
          await prepared(s, 'p1', 'i', T0 + 100);
          await prepared(s, 'p2', 'i', T0 + 200);
          assert.deepEqual((await s.expiredPreparations(T0 + 1000, 2)).map((l) => l.broadcastId), ['p1', 'p2']);
          await assert.rejects(s.expiredPreparations(T0, 0), (e: { code?: string }) => e.code === 'STORE_BAD_ARGUMENT');
          await assert.rejects(
            s.createBroadcast({ id: 'bad', noticeId: 'n1', version: 1, platform: 'x', audience: { all: true }, readSupported: true, createdBy: 't', preparation: { owner: '', leaseUntil: T0 } }, T0),
            (e: { code?: string }) => e.code === 'STORE_BAD_ARGUMENT',
          );
        }));

      it('records the language each recipient was sent, and names it in the audit entry', () =>
        withStore(async (s) => {
          await sending(s, 'l1', ['u1', 'u2', 'u3']);
          const batch = (await s.claimBatch('l1', claimOpts('w'), T0 + 1))!;
          await s.settleBatch(batch, { sent: ['u1'], failed: [], retry: [], language: 'en' }, T0 + 2);
          await s.settleBatch(batch, { sent: ['u2'], failed: [{ userId: 'u3', reason: 'invaliduser' }], retry: [], language: 'zh-TW' }, T0 + 3);
          const rs = new Map((await s.listRecipients('l1')).map((r) => [r.userId, r.language]));
          assert.deepEqual([...rs], [['u1', 'en'], ['u2', 'zh-TW'], ['u3', null]]);
          const page = await s.queryRecipients('l1', { sort: 'user', order: 'asc', limit: 10 });
          assert.deepEqual(page!.recipients.map((r) => r.language), ['en', 'zh-TW', null]);
          const reasons = (await s.listAudit('l1')).filter((e) => e.to === 'sent').map((e) => [e.userId, e.reason]);
          assert.deepEqual(reasons, [['u1', 'accepted by the platform (language en)'], ['u2', 'accepted by the platform (language zh-TW)']]);
          await assertConsistent(s, 'l1');
          await assert.rejects(
            s.settleBatch(batch, { sent: [], failed: [], retry: [], language: 'fr' as never }, T0 + 4),
            (e: { code?: string }) => e.code === 'STORE_BAD_ARGUMENT',
          );
        }));

      it('records the language of the latest reminder apart from the first delivery, and names it in the reminder audit entry', () =>
        withStore(async (s) => {
          await sending(s, 'l2', ['u1', 'u2']);
          const batch = (await s.claimBatch('l2', claimOpts('w'), T0 + 1))!;
          await s.settleBatch(batch, { sent: ['u1', 'u2'], failed: [], retry: [], language: 'bilingual' }, T0 + 2);
          await s.resend('l2', 'unacknowledged', T0 + 3);
          const remind = (await s.claimBatch('l2', claimOpts('w'), T0 + 4))!;
          assert.equal(remind.kind, 'remind');
          await s.settleBatch(remind, { sent: ['u1', 'u2'], failed: [], retry: [], language: 'zh-TW' }, T0 + 5);
          const rs = (await s.listRecipients('l2')).map((r) => [r.userId, r.language, r.remindedLanguage]);
          assert.deepEqual(rs, [['u1', 'bilingual', 'zh-TW'], ['u2', 'bilingual', 'zh-TW']]);
          const page = await s.queryRecipients('l2', { sort: 'user', order: 'asc', limit: 10 });
          assert.deepEqual(page!.recipients.map((r) => r.remindedLanguage), ['zh-TW', 'zh-TW']);
          const reasons = (await s.listAudit('l2')).filter((e) => e.userId === 'u1').map((e) => e.reason);
          assert.deepEqual(reasons, ['in the audience', 'accepted by the platform (language bilingual)', 'reminder round 1 sent (language zh-TW)']);
          await assertConsistent(s, 'l2');
        }));
    });
  });
}
