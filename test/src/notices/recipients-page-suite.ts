/**
 * The queryRecipients suite shared by the store test files (recipients-page.test.ts: SQLite and
 * Redis; recipients-page-cluster.test.ts: a Redis Cluster): a broadcast with recipients in every
 * state built through the store's own operations, and every query checked against a model
 * computed from listRecipients.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  recipientState,
  RECIPIENT_STATE_RANK,
  type NoticeStore,
  type RecipientPage,
  type RecipientQuery,
  type RecipientRecord,
  type RecipientSort,
  type RecipientState,
} from '../../../src/store/ports/notices.ts';
import { CONTENT } from './helpers.ts';

const USERS = [
  'al', 'alice', 'alina', 'bo', 'bob', 'bobby', '张三', '张三丰', '李四',
  ...Array.from({ length: 40 }, (_, i) => `u${String(i).padStart(3, '0')}`),
];

const DEPARTMENTS = ['研发部', 'Sales Asia', '财务部', null] as const;
const NAMES = ['Bob Wang', '王小明', 'ALINA Li', null, '张伟'] as const;
/** Name and department of the i-th user (the directory's; some unknown). */
const LABELS = (i: number) => ({ name: NAMES[i % NAMES.length]!, department: DEPARTMENTS[i % DEPARTMENTS.length]! });

/** Builds broadcast 'b1' on platform 'wecom' with recipients in every state; returns nothing. */
export async function seed(store: NoticeStore): Promise<void> {
  await store.createNotice('n1', CONTENT, 1);
  await store.createBroadcast({ id: 'b1', noticeId: 'n1', version: 1, platform: 'wecom', audience: { all: true }, readSupported: true, createdBy: 't' }, 1);
  await store.addRecipients('b1', USERS.map((userId, i) => ({ userId, ...LABELS(i) })), 2);
  await store.startSending('b1', 3);
  const batch = (await store.claimBatch('b1', { owner: 'w', max: 1000, leaseMs: 60_000, deferMs: 100 }, 10))!;
  assert.equal(batch.users.length, USERS.length);
  const sent: string[] = [];
  const failed: { userId: string; reason: string }[] = [];
  const retry: { userId: string; notBefore: number; countsAsAttempt: boolean }[] = [];
  USERS.forEach((u, i) => {
    if (i % 7 === 0) failed.push({ userId: u, reason: 'invaliduser' });
    else if (i % 5 === 0) retry.push({ userId: u, notBefore: 10_000_000, countsAsAttempt: true }); // stays pending
    else sent.push(u);
  });
  await store.settleBatch(batch, { sent, failed, retry }, 100);
  // Reads at a few distinct times (ties included), acknowledgements on top of some.
  const reads = sent.filter((_, i) => i % 3 !== 2).map((userId, i) => ({ userId, readAt: 1000 + (i % 4) }));
  await store.markRead('b1', reads, 1500);
  for (const [i, u] of sent.entries()) {
    if (i % 4 === 0) await store.acknowledge('wecom', u, { noticeId: 'n1', version: 1 }, 'card', 2000 + (i % 2));
  }
}

const bytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

function viewAt(r: RecipientRecord): number {
  const s = recipientState(r);
  return s === 'pending' || s === 'failed' ? 0 : (r.acknowledgedAt ?? r.readAt ?? r.sentAt ?? 0);
}

/** What a query must return, from the whole list. */
/**
 * Every user id of `base` on broadcast `broadcastId`, page after page through `next` (at most
 * `maxPages` pages): each page's total must be `wantTotal` (unless null), and `onPage` sees each page.
 */
async function byCursor(store: NoticeStore, broadcastId: string, base: RecipientQuery, label: string, wantTotal: number | null, maxPages: number, onPage?: (page: RecipientPage) => void): Promise<string[]> {
  const got: string[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < maxPages; guard++) {
    const page: RecipientPage = (await store.queryRecipients(broadcastId, { ...base, after }))!;
    if (wantTotal !== null) assert.equal(page.total, wantTotal, `${label} total`);
    got.push(...page.recipients.map((r) => r.userId));
    onPage?.(page);
    if (!page.next) break;
    after = page.next;
  }
  return got;
}

export function model(all: RecipientRecord[], q: { state?: RecipientState; prefix: string; text?: string; sort: RecipientSort; order: 'asc' | 'desc' }): string[] {
  const key = (r: RecipientRecord): number => (q.sort === 'state' ? RECIPIENT_STATE_RANK[recipientState(r)] : q.sort === 'time' ? viewAt(r) : 0);
  const fold = (s: string | null) => (s ?? '').replace(/[A-Z]/g, (c) => c.toLowerCase());
  const text = fold(q.text ?? '');
  const matches = (r: RecipientRecord) =>
    text === '' ? r.userId.startsWith(q.prefix) : (q.prefix !== '' && r.userId.startsWith(q.prefix)) || fold(r.name).includes(text) || fold(r.department).includes(text);
  const rows = all
    .filter((r) => (q.state === undefined || recipientState(r) === q.state) && matches(r))
    .sort((a, b) => key(a) - key(b) || bytes(a.userId, b.userId));
  if (q.order === 'desc') rows.reverse();
  return rows.map((r) => r.userId);
}

export function runSuite(kind: string, open: () => Promise<{ store: NoticeStore; close(): Promise<void> }>, options: { skip?: string | false } = {}) {
  describe(`queryRecipients on ${kind}`, { skip: options.skip ?? false }, () => {
    it('matches the model for every state, prefix, sort and order, paged by cursor and by offset', async () => {
      const { store, close } = await open();
      try {
        await seed(store);
        const all = await store.listRecipients('b1');
        const states = new Set(all.map(recipientState));
        assert.deepEqual([...states].sort(), ['acknowledged', 'failed', 'pending', 'read', 'sent'], 'the seed covers every state');
        for (const state of [undefined, 'pending', 'sent', 'failed', 'read', 'acknowledged'] as const) {
          for (const prefix of ['', 'al', 'bob', '张三', 'u01', 'zz']) {
            for (const sort of ['user', 'state', 'time'] as const) {
              for (const order of ['asc', 'desc'] as const) {
                const want = model(all, { state, prefix, sort, order });
                const label = JSON.stringify({ state, prefix, sort, order });
                const base: RecipientQuery = { ...(state ? { state } : {}), prefix, sort, order, limit: 4 };
                // Cursor pages.
                const got = await byCursor(store, 'b1', base, label, want.length, 100, (page) => {
                  for (const r of page.recipients) {
                    assert.equal(r.view, recipientState(r), `${label} view`);
                    if (state) assert.equal(r.view, state);
                  }
                });
                assert.deepEqual(got, want, `${label} by cursor`);
                // Offset pages (page 2 and a page past the end).
                const p2 = (await store.queryRecipients('b1', { ...base, offset: 4 }))!;
                assert.deepEqual(p2.recipients.map((r) => r.userId), want.slice(4, 8), `${label} offset 4`);
                const past = (await store.queryRecipients('b1', { ...base, offset: want.length + 3 }))!;
                assert.deepEqual(past.recipients, [], `${label} past the end`);
                assert.equal(past.next, null);
              }
            }
          }
        }
      } finally {
        await close();
      }
    });

    it('a search matches the user id prefix, or the name or department containing the text (A–Z folded), paged by cursor and offset', async () => {
      const { store, close } = await open();
      try {
        await seed(store);
        const all = await store.listRecipients('b1');
        assert.equal(all.find((r) => r.userId === 'al')!.name, 'Bob Wang', 'names kept');
        let checked = 0;
        for (const state of [undefined, 'sent', 'acknowledged'] as const) {
          for (const search of ['bob', 'wang', 'ALINA', '研发', '张', 'sales asia', 'u01', 'zz']) {
            for (const sort of ['user', 'state', 'time'] as const) {
              for (const order of ['asc', 'desc'] as const) {
                const want = model(all, { state, prefix: search, text: search, sort, order });
                const label = JSON.stringify({ state, search, sort, order });
                const base: RecipientQuery = { ...(state ? { state } : {}), prefix: search, text: search, sort, order, limit: 4 };
                const got = await byCursor(store, 'b1', base, label, want.length, 100);
                assert.deepEqual(got, want, `${label} by cursor`);
                const p2 = (await store.queryRecipients('b1', { ...base, offset: 4 }))!;
                assert.deepEqual(p2.recipients.map((r) => r.userId), want.slice(4, 8), `${label} offset 4`);
                if (want.length > 0) checked++;
              }
            }
          }
        }
        assert.ok(checked > 60, 'most searches find someone');
        // By name alone (no id starts with it), by department alone, and a name fragment in another case.
        const byName = (await store.queryRecipients('b1', { text: '王小明', sort: 'user', order: 'asc', limit: 1000 }))!;
        assert.deepEqual(byName.recipients.map((r) => r.name), Array(byName.total).fill('王小明'));
        assert.ok(byName.total >= 9);
        const byDept = (await store.queryRecipients('b1', { prefix: 'Sales', text: 'Sales', sort: 'user', order: 'asc', limit: 1000 }))!;
        assert.ok(byDept.total > 0 && byDept.recipients.every((r) => r.department === 'Sales Asia'));
        const upper = (await store.queryRecipients('b1', { text: 'BOB WANG', sort: 'user', order: 'asc', limit: 1000 }))!;
        assert.deepEqual(upper.recipients.map((r) => r.userId), model(all, { prefix: '', text: 'bob wang', sort: 'user', order: 'asc' }));
      } finally {
        await close();
      }
    });

    it('a search takes its text literally (Lua pattern and separator characters), folds A–Z only, and orders ids that prefix others right', async () => {
      const { store, close } = await open();
      try {
        await store.createNotice('n2', CONTENT, 1);
        await store.createBroadcast({ id: 'b2', noticeId: 'n2', version: 1, platform: 'wecom', audience: { all: true }, readSupported: true, createdBy: 't' }, 1);
        // Ids that are prefixes of one another (a member's search suffix must not move it past a longer id).
        const labelled: [string, string | null, string | null][] = [
          ['p1', '100% Zhang', 'R&D [Core]'],
          ['p10', 'x.y-z (lead)', '研发部'],
          ['p1a', 'a|b^c$', null],
          ['p2', null, 'Sales.Asia-Pacific'],
          ['p20', 'ÄBC Ünïcode', 'ä dept'],
          ['p3', 'UPPER Case', 'QA%'],
          ['p30', '张伟', '研发部'],
          ['p4', null, null],
          ['p5', '[x]', '*+?'],
          ['p50', 'plain', '|sep|'],
        ];
        await store.addRecipients('b2', labelled.map(([userId, name, department]) => ({ userId, name, department })), 2);
        await store.startSending('b2', 3);
        const batch = (await store.claimBatch('b2', { owner: 'w', max: 1000, leaseMs: 60_000, deferMs: 100 }, 10))!;
        await store.settleBatch(batch, { sent: ['p1', 'p10', 'p1a', 'p20', 'p3', 'p30', 'p5'], failed: [{ userId: 'p2', reason: 'invaliduser' }], retry: [{ userId: 'p4', notBefore: 10_000_000, countsAsAttempt: true }, { userId: 'p50', notBefore: 10_000_000, countsAsAttempt: true }] }, 100);
        await store.markRead('b2', [{ userId: 'p10', readAt: 500 }, { userId: 'p1', readAt: 500 }, { userId: 'p30', readAt: 400 }], 600);
        await store.acknowledge('wecom', 'p3', { noticeId: 'n2', version: 1 }, 'card', 700);
        const all = await store.listRecipients('b2');
        const expectations: [string, number][] = [
          ['%', 2], ['100%', 1], ['0%', 1], ['[core]', 1], ['[', 2], [']', 2], ['.', 2], ['x.y', 1], ['-', 2], ['(', 1], [')', 1],
          ['|', 2], ['a|b', 1], ['^', 1], ['$', 1], ['*', 1], ['+?', 1], ['&', 1], ['ä', 1], ['Ä', 1], ['äbc', 0], ['ÄBC', 1],
          ['upper', 1], ['UPPER CASE', 1], ['qa%', 1], ['研发', 2], ['伟', 1], ['张伟', 1], ['部', 2], ['p1', 3], ['z', 2], ['zhangr', 0],
        ];
        for (const [search, count] of expectations) {
          for (const state of [undefined, 'sent', 'read', 'failed', 'acknowledged'] as const) {
            for (const sort of ['user', 'state', 'time'] as const) {
              for (const order of ['asc', 'desc'] as const) {
                const want = model(all, { state, prefix: search, text: search, sort, order });
                if (state === undefined && sort === 'user' && order === 'asc') assert.equal(want.length, count, `${search}: the model finds ${count}`);
                const label = JSON.stringify({ state, search, sort, order });
                const base: RecipientQuery = { ...(state ? { state } : {}), prefix: search, text: search, sort, order, limit: 1 };
                const got = await byCursor(store, 'b2', base, label, want.length, 20);
                assert.deepEqual(got, want, `${label} by cursor`);
                const p2 = (await store.queryRecipients('b2', { ...base, offset: 1 }))!;
                assert.deepEqual(p2.recipients.map((r) => r.userId), want.slice(1, 2), `${label} offset 1`);
              }
            }
          }
        }
        // Without a search, ids that prefix others page right by cursor one at a time, both ways.
        for (const sort of ['user', 'state', 'time'] as const) {
          for (const order of ['asc', 'desc'] as const) {
            const got = await byCursor(store, 'b2', { prefix: 'p', sort, order, limit: 1 }, `${sort} ${order}`, null, 20);
            assert.deepEqual(got, model(all, { prefix: 'p', sort, order }), `${sort} ${order} by cursor`);
          }
        }
      } finally {
        await close();
      }
    });

    it('a search follows live changes: recipients added later with names, state changes, a name given again on a re-add ignored', async () => {
      const { store, close } = await open();
      try {
        await store.createNotice('n3', CONTENT, 1);
        await store.createBroadcast({ id: 'b3', noticeId: 'n3', version: 1, platform: 'wecom', audience: { all: true }, readSupported: true, createdBy: 't' }, 1);
        await store.addRecipients('b3', [{ userId: 'a1', name: 'Ann Lee', department: 'Legal' }, 'a2'], 2);
        const q: RecipientQuery = { prefix: 'lee', text: 'lee', sort: 'user', order: 'asc', limit: 10 };
        assert.deepEqual((await store.queryRecipients('b3', q))!.recipients.map((r) => r.userId), ['a1']);
        // Still resolving: more recipients arrive with names; a2 again with a name (ignored: first add wins).
        await store.addRecipients('b3', [{ userId: 'a3', name: 'Bo LEE', department: null }, { userId: 'a2', name: 'Lee Again', department: 'Legal' }], 3);
        const page = (await store.queryRecipients('b3', q))!;
        assert.deepEqual(page.recipients.map((r) => r.userId), ['a1', 'a3']);
        assert.equal(page.total, 2);
        assert.equal((await store.listRecipients('b3')).find((r) => r.userId === 'a2')!.name, null);
        assert.deepEqual((await store.queryRecipients('b3', { ...q, prefix: 'again', text: 'again' }))!.total, 0);
        // State changes move a match between filters and in time order.
        await store.startSending('b3', 4);
        const batch = (await store.claimBatch('b3', { owner: 'w', max: 10, leaseMs: 60_000, deferMs: 100 }, 10))!;
        await store.settleBatch(batch, { sent: ['a1', 'a2', 'a3'], failed: [], retry: [] }, 20);
        const sentQ: RecipientQuery = { ...q, state: 'sent', sort: 'time', order: 'desc' };
        assert.deepEqual((await store.queryRecipients('b3', sentQ))!.recipients.map((r) => r.userId), ['a3', 'a1']);
        await store.acknowledge('wecom', 'a3', { noticeId: 'n3', version: 1 }, 'card', 30);
        assert.deepEqual((await store.queryRecipients('b3', sentQ))!.recipients.map((r) => r.userId), ['a1']);
        const acked = (await store.queryRecipients('b3', { ...sentQ, state: 'acknowledged' }))!;
        assert.deepEqual([acked.total, acked.recipients[0]!.userId, acked.recipients[0]!.viewAt], [1, 'a3', 30]);
        const byTime = (await store.queryRecipients('b3', { ...q, sort: 'time', order: 'desc' }))!;
        assert.deepEqual(byTime.recipients.map((r) => r.userId), ['a3', 'a1']);
      } finally {
        await close();
      }
    });

    it('a search whose matches straddle the steps of a walk: every recipient, half of them, none; cursors and offsets across steps; totals after changes', async () => {
      const { store, close } = await open();
      try {
        await store.createNotice('n4', CONTENT, 1);
        await store.createBroadcast({ id: 'b4', noticeId: 'n4', version: 1, platform: 'wecom', audience: { all: true }, readSupported: true, createdBy: 't' }, 1);
        const ids = Array.from({ length: 30 }, (_, i) => `m${String(i).padStart(2, '0')}`);
        // Every recipient in department Ops; names alternate, so 'kim' matches every other one and
        // runs of matches cross every step border of a walk in steps of 2 or 3.
        await store.addRecipients('b4', ids.map((userId, i) => ({ userId, name: i % 2 === 0 ? 'Kim Park' : 'Lee Chan', department: 'Ops' })), 2);
        const check = async (label: string) => {
          const all = await store.listRecipients('b4');
          for (const state of [undefined, 'pending', 'sent'] as const) {
            for (const search of ['ops', 'kim', 'm1', 'zzz']) {
              for (const sort of ['user', 'state', 'time'] as const) {
                for (const order of ['asc', 'desc'] as const) {
                  const want = model(all, { state, prefix: search, text: search, sort, order });
                  const what = `${label} ${JSON.stringify({ state, search, sort, order })}`;
                  const base: RecipientQuery = { ...(state ? { state } : {}), prefix: search, text: search, sort, order, limit: 4 };
                  const got = await byCursor(store, 'b4', base, what, want.length, 40);
                  assert.deepEqual(got, want, `${what} by cursor`);
                  for (const offset of [0, 7, 13, want.length - 1, want.length, 40]) {
                    const p = (await store.queryRecipients('b4', { ...base, offset: Math.max(0, offset) }))!;
                    assert.deepEqual(p.recipients.map((r) => r.userId), want.slice(Math.max(0, offset), Math.max(0, offset) + 4), `${what} offset ${offset}`);
                    assert.equal(p.total, want.length, `${what} offset ${offset} total`);
                    assert.equal(p.next !== null, Math.max(0, offset) + 4 < want.length, `${what} offset ${offset} next`);
                  }
                  // A cursor of another search continues after its row in this one.
                  const other = (await store.queryRecipients('b4', { ...(state ? { state } : {}), sort, order, limit: 5 }))!;
                  if (other.next) {
                    const cut = model(all, { state, prefix: '', sort, order }).slice(0, 5);
                    const rest = want.filter((u) => !cut.includes(u));
                    const p = (await store.queryRecipients('b4', { ...base, after: other.next, limit: 1000 }))!;
                    assert.deepEqual(p.recipients.map((r) => r.userId), rest, `${what} after another cursor`);
                    assert.equal(p.total, want.length, `${what} after another cursor total`);
                  }
                }
              }
            }
          }
        };
        await check('all pending');
        // The same searches again after changes: more matches added, then states and times moved.
        await store.addRecipients('b4', [{ userId: 'm30', name: 'KIM Lee', department: 'Ops' }, { userId: 'm31', name: null, department: null }], 3);
        assert.equal((await store.queryRecipients('b4', { prefix: 'kim', text: 'kim', sort: 'user', order: 'asc', limit: 1 }))!.total, 16);
        await store.startSending('b4', 4);
        const batch = (await store.claimBatch('b4', { owner: 'w', max: 100, leaseMs: 60_000, deferMs: 100 }, 10))!;
        await store.settleBatch(batch, { sent: ids.filter((_, i) => i % 3 !== 0), failed: [], retry: ['m00', 'm03', 'm06', 'm09', 'm12', 'm15', 'm18', 'm21', 'm24', 'm27', 'm30', 'm31'].map((userId) => ({ userId, notBefore: 10_000_000, countsAsAttempt: false })) }, 20);
        await check('after sending');
      } finally {
        await close();
      }
    });

    it('a cursor combined with an offset skips after the cursor; null for an unknown broadcast; bad cursors refused', async () => {
      const { store, close } = await open();
      try {
        await seed(store);
        const all = await store.listRecipients('b1');
        const want = model(all, { prefix: '', sort: 'time', order: 'desc' });
        const first = (await store.queryRecipients('b1', { sort: 'time', order: 'desc', limit: 3 }))!;
        const skipped = (await store.queryRecipients('b1', { sort: 'time', order: 'desc', limit: 3, after: first.next, offset: 2 }))!;
        assert.deepEqual(skipped.recipients.map((r) => r.userId), want.slice(5, 8));
        assert.equal(await store.queryRecipients('nope', { sort: 'user', order: 'asc', limit: 3 }), null);
        await assert.rejects(store.queryRecipients('b1', { sort: 'user', order: 'asc', limit: 3, after: 'garbage' }), { code: 'STORE_BAD_ARGUMENT' });
        await assert.rejects(store.queryRecipients('b1', { sort: 'user', order: 'asc', limit: 0 }), { code: 'STORE_BAD_ARGUMENT' });
        await assert.rejects(store.queryRecipients('b1', { sort: 'user', order: 'asc', limit: 1001 }), { code: 'STORE_BAD_ARGUMENT' });
      } finally {
        await close();
      }
    });

    it('follows state changes: a recipient acknowledged after the first page moves between filters', async () => {
      const { store, close } = await open();
      try {
        await seed(store);
        const all = await store.listRecipients('b1');
        const read = all.filter((r) => recipientState(r) === 'read');
        const before = (await store.queryRecipients('b1', { state: 'acknowledged', sort: 'user', order: 'asc', limit: 1000 }))!;
        await store.acknowledge('wecom', read[0]!.userId, { noticeId: 'n1', version: 1 }, 'text', 5000);
        const ack = (await store.queryRecipients('b1', { state: 'acknowledged', sort: 'time', order: 'desc', limit: 1 }))!;
        assert.equal(ack.total, before.total + 1);
        assert.equal(ack.recipients[0]!.userId, read[0]!.userId, 'the newest acknowledgement first');
        assert.equal(ack.recipients[0]!.viewAt, 5000);
        const stillRead = (await store.queryRecipients('b1', { state: 'read', sort: 'user', order: 'asc', limit: 1000 }))!;
        assert.ok(!stillRead.recipients.some((r) => r.userId === read[0]!.userId));
        assert.equal(stillRead.total, read.length - 1);
      } finally {
        await close();
      }
    });
  });
}

