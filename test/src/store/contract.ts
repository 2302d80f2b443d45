import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ArchivingStatus, Store } from '../../../src/store/ports/store.ts';

/**
 * The one behaviour contract of the Store port (src/store/ports/store.ts), run against every
 * implementation. `makeStore` must give a fresh, empty, independent store on every call (own
 * temp file / own key prefix); the contract closes each store it made. Times: short TTLs are
 * 50–300 ms with generous margins, long ones 60 s.
 */
export function runStoreContract(name: string, makeStore: () => Promise<Store> | Store): void {
  const LONG = 60_000;

  /** Runs `fn` with a fresh store and always closes it. */
  async function withStore(fn: (s: Store) => Promise<void>): Promise<void> {
    const s = await makeStore();
    try {
      await fn(s);
    } finally {
      await s.close();
    }
  }

  const status = (over: Partial<ArchivingStatus> = {}): ArchivingStatus => ({
    platform: 'wecom',
    userId: 'zhangsan',
    archived: true,
    since: '2026-03-01',
    scope: '1:1 and group chats, internal and external',
    source: 'import',
    updatedAt: '2026-05-02T08:00:00.000Z',
    ...over,
  });

  describe(`Store contract: ${name}`, () => {
    describe('claim', () => {
      it('is true once, then false while the key lives', () =>
        withStore(async (s) => {
          assert.equal(await s.claim('dedup:wecom:m1', LONG), true);
          assert.equal(await s.claim('dedup:wecom:m1', LONG), false);
          assert.equal(await s.claim('dedup:wecom:m1', LONG, 'other'), false);
          assert.equal(await s.claim('dedup:wecom:m2', LONG), true, 'another key is independent');
        }));

      it('stores the given value and does not overwrite it when the claim loses', () =>
        withStore(async (s) => {
          assert.equal(await s.claim('k', LONG, 'first'), true);
          assert.equal(await s.claim('k', LONG, 'second'), false);
          assert.equal(await s.get('k'), 'first');
        }));

      it('stores some value when none is given', () =>
        withStore(async (s) => {
          assert.equal(await s.claim('k', LONG), true);
          assert.notEqual(await s.get('k'), null);
        }));

      it('gives exactly one true among 20 concurrent claims', () =>
        withStore(async (s) => {
          const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.claim('race', LONG, `c${i}`)));
          assert.equal(results.filter(Boolean).length, 1);
          const winner = results.indexOf(true);
          assert.equal(await s.get('race'), `c${winner}`);
        }));

      it('can be claimed again after its TTL expired', () =>
        withStore(async (s) => {
          assert.equal(await s.claim('short', 50, 'a'), true);
          assert.equal(await s.claim('short', 50, 'b'), false);
          await sleep(120);
          assert.equal(await s.get('short'), null, 'expired key reads as absent');
          assert.equal(await s.claim('short', LONG, 'c'), true);
          assert.equal(await s.get('short'), 'c');
        }));

      it('can claim a key that was set without TTL only after it is deleted', () =>
        withStore(async (s) => {
          await s.set('k', 'v');
          assert.equal(await s.claim('k', LONG), false);
          await s.delete('k');
          assert.equal(await s.claim('k', LONG), true);
        }));

      it('rejects a TTL that is not a positive number of ms', () =>
        withStore(async (s) => {
          for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
            await assert.rejects(s.claim('k', bad), { code: 'STORE_BAD_ARGUMENT' }, `ttl ${bad}`);
          }
          assert.equal(await s.get('k'), null, 'nothing written by a rejected claim');
        }));
    });

    describe('get / set / delete', () => {
      it('gets null for a key never set', () =>
        withStore(async (s) => {
          assert.equal(await s.get('nope'), null);
        }));

      it('sets, overwrites and deletes', () =>
        withStore(async (s) => {
          await s.set('token:wecom:corp:1000002', 'abc');
          assert.equal(await s.get('token:wecom:corp:1000002'), 'abc');
          await s.set('token:wecom:corp:1000002', 'def', LONG);
          assert.equal(await s.get('token:wecom:corp:1000002'), 'def');
          await s.delete('token:wecom:corp:1000002');
          assert.equal(await s.get('token:wecom:corp:1000002'), null);
        }));

      it('deletes an absent key without error', () =>
        withStore(async (s) => {
          await s.delete('never-there');
          assert.equal(await s.get('never-there'), null);
        }));

      it('deleteIf removes the key only while it holds the given value', () =>
        withStore(async (s) => {
          await s.set('token:dingtalk:app', 'old', LONG);
          assert.equal(await s.deleteIf('token:dingtalk:app', 'other'), false);
          assert.equal(await s.get('token:dingtalk:app'), 'old', 'a different value is left alone');
          assert.equal(await s.deleteIf('token:dingtalk:app', 'old'), true);
          assert.equal(await s.get('token:dingtalk:app'), null);
          assert.equal(await s.deleteIf('token:dingtalk:app', 'old'), false, 'absent: nothing to delete');
        }));

      it('deleteIf never deletes the newer value of a compare-and-delete race', () =>
        withStore(async (s) => {
          // Instance A was refused token "t1" and forgets it while instance B stores "t2": whatever
          // the interleaving, "t2" must survive A's compare-and-delete of "t1".
          await s.set('token:race', 't1', LONG);
          await Promise.all([s.set('token:race', 't2', LONG), s.deleteIf('token:race', 't1')]);
          await s.deleteIf('token:race', 't1');
          assert.equal(await s.get('token:race'), 't2');
        }));

      it('deleteIf does not treat an expired value as present', () =>
        withStore(async (s) => {
          await s.set('lock', 'me', 50);
          await sleep(120);
          assert.equal(await s.deleteIf('lock', 'me'), false);
        }));

      it('keeps an empty string value (not the same as absent)', () =>
        withStore(async (s) => {
          await s.set('empty', '');
          assert.equal(await s.get('empty'), '');
        }));

      it('expires a value set with a TTL', () =>
        withStore(async (s) => {
          await s.set('t', 'v', 50);
          assert.equal(await s.get('t'), 'v');
          await sleep(120);
          assert.equal(await s.get('t'), null);
        }));

      it('a later set without TTL makes the value live until deleted', () =>
        withStore(async (s) => {
          await s.set('t', 'v1', 50);
          await s.set('t', 'v2');
          await sleep(120);
          assert.equal(await s.get('t'), 'v2');
        }));

      it('keeps unicode keys and values exactly', () =>
        withStore(async (s) => {
          const key = 'suggest:钉钉:张三·李四';
          const value = '会話存檔 ✓ emoji 🙂 and "quotes", commas\nnew line \u0000 nul';
          await s.set(key, value, LONG);
          assert.equal(await s.get(key), value);
          assert.equal(await s.get('suggest:钉钉:张三'), null, 'no prefix matching');
        }));

      it('rejects an empty key', () =>
        withStore(async (s) => {
          await assert.rejects(s.set('', 'v'), { code: 'STORE_BAD_ARGUMENT' });
          await assert.rejects(s.get(''), { code: 'STORE_BAD_ARGUMENT' });
        }));
    });

    describe('increment', () => {
      it('counts 1, 2, 3 within a window', () =>
        withStore(async (s) => {
          assert.equal(await s.increment('rate:u1', LONG), 1);
          assert.equal(await s.increment('rate:u1', LONG), 2);
          assert.equal(await s.increment('rate:u1', LONG), 3);
          assert.equal(await s.increment('rate:u2', LONG), 1, 'counters are independent');
        }));

      it('uses a fixed window: later increments do not extend it, and it restarts at 1', () =>
        withStore(async (s) => {
          assert.equal(await s.increment('rate:w', 300), 1);
          await sleep(150);
          assert.equal(await s.increment('rate:w', 300), 2);
          await sleep(220); // 370 ms after creation: the window (300 ms) is over, a sliding one would not be
          assert.equal(await s.increment('rate:w', 300), 1);
        }));

      it('counts 20 concurrent increments without losing one', () =>
        withStore(async (s) => {
          const values = await Promise.all(Array.from({ length: 20 }, () => s.increment('rate:par', LONG)));
          assert.deepEqual(
            [...values].sort((a, b) => a - b),
            Array.from({ length: 20 }, (_, i) => i + 1),
          );
        }));

      it('rejects a bad TTL', () =>
        withStore(async (s) => {
          await assert.rejects(s.increment('rate:x', 0), { code: 'STORE_BAD_ARGUMENT' });
        }));
    });

    describe('archiving statuses', () => {
      it('gives null when there is no record', () =>
        withStore(async (s) => {
          assert.equal(await s.getStatus('wecom', 'nobody'), null);
        }));

      it('round-trips every field, including nulls and unicode', () =>
        withStore(async (s) => {
          const a = status();
          const b = status({
            platform: 'dingtalk',
            userId: '0123-李雷',
            archived: false,
            since: null,
            scope: null,
            source: 'company policy',
          });
          const c = status({ userId: 'wangwu', scope: '单聊、群聊（內部與外部），"quoted", 🙂' });
          assert.equal(await s.putStatuses([a, b, c]), 3);
          assert.deepEqual(await s.getStatus('wecom', 'zhangsan'), a);
          assert.deepEqual(await s.getStatus('dingtalk', '0123-李雷'), b);
          assert.deepEqual(await s.getStatus('wecom', 'wangwu'), c);
        }));

      it('keys by platform and user id: same user id on two platforms are two records', () =>
        withStore(async (s) => {
          await s.putStatuses([status({ platform: 'wecom', archived: true }), status({ platform: 'dingtalk', archived: false })]);
          assert.equal((await s.getStatus('wecom', 'zhangsan'))?.archived, true);
          assert.equal((await s.getStatus('dingtalk', 'zhangsan'))?.archived, false);
          assert.equal(await s.getStatus('feishu', 'zhangsan'), null);
        }));

      it('does not mix records whose platform:userId joins look alike', () =>
        withStore(async (s) => {
          await s.putStatuses([status({ platform: 'x', userId: 'a:b', scope: 'one' }), status({ platform: 'x:a', userId: 'b', scope: 'two' })]);
          assert.equal((await s.getStatus('x', 'a:b'))?.scope, 'one');
          assert.equal((await s.getStatus('x:a', 'b'))?.scope, 'two');
        }));

      it('replaces a record completely (fields that become null do not survive)', () =>
        withStore(async (s) => {
          await s.putStatuses([status()]);
          const replaced = status({ archived: false, since: null, scope: null, source: 'wecom-msgaudit', updatedAt: '2026-06-01T00:00:00.000Z' });
          assert.equal(await s.putStatuses([replaced]), 1);
          assert.deepEqual(await s.getStatus('wecom', 'zhangsan'), replaced);
        }));

      it('returns 0 for an empty batch', () =>
        withStore(async (s) => {
          assert.equal(await s.putStatuses([]), 0);
        }));

      it('writes a large batch and counts it', () =>
        withStore(async (s) => {
          const many = Array.from({ length: 500 }, (_, i) => status({ userId: `u${i}` }));
          assert.equal(await s.putStatuses(many), 500);
          assert.deepEqual(await s.getStatus('wecom', 'u499'), many[499]);
        }));

      it('writes nothing of a batch that contains a bad record', () =>
        withStore(async (s) => {
          await s.putStatuses([status({ userId: 'kept', scope: 'old' })]);
          const bad = { ...status({ userId: 'bad' }), archived: 'yes' } as unknown as ArchivingStatus;
          await assert.rejects(
            s.putStatuses([status({ userId: 'kept', scope: 'new' }), status({ userId: 'fresh' }), bad]),
            { code: 'STORE_BAD_ARGUMENT' },
          );
          assert.equal((await s.getStatus('wecom', 'kept'))?.scope, 'old');
          assert.equal(await s.getStatus('wecom', 'fresh'), null);
          assert.equal(await s.getStatus('wecom', 'bad'), null);
        }));

      it('statuses and key-value entries do not collide', () =>
        withStore(async (s) => {
          await s.putStatuses([status()]);
          await s.set('status:wecom:zhangsan', 'kv');
          await s.set('{status}:wecom:zhangsan', 'kv');
          assert.deepEqual(await s.getStatus('wecom', 'zhangsan'), status());
          assert.equal(await s.get('status:wecom:zhangsan'), 'kv');
        }));
    });

    describe('lifecycle', () => {
      it(`reports its kind`, () =>
        withStore(async (s) => {
          assert.ok(s.kind === 'redis' || s.kind === 'sqlite');
        }));

      it('ping resolves on a working store', () =>
        withStore(async (s) => {
          await s.ping();
        }));

      it('close is idempotent, also when called concurrently, and later calls reject', async () => {
        const s = await makeStore();
        await s.set('k', 'v');
        await Promise.all([s.close(), s.close()]);
        await s.close();
        await assert.rejects(s.ping(), { code: 'STORE_UNAVAILABLE' });
        await assert.rejects(s.get('k'), { code: 'STORE_UNAVAILABLE' });
        await assert.rejects(s.claim('k2', LONG), { code: 'STORE_UNAVAILABLE' });
        await assert.rejects(s.putStatuses([status()]), { code: 'STORE_UNAVAILABLE' });
      });
    });
  });
}
