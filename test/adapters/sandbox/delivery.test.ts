/**
 * Sandbox delivery: the channel puts the notice card into each employee's inbox in the shared
 * store (a second instance on the same store sees it), once per delivery key; an id that is no
 * sandbox employee fails; reads are reported once the employee opened the card.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import { createLogger } from '../../../src/log.ts';
import type { NoticeDelivery } from '../../../src/platform/notices.ts';
import { SandboxInbox } from '../../../adapters/sandbox/inbox.ts';
import { createSandboxNoticeChannel, SANDBOX_BATCH_SIZE, SANDBOX_UNKNOWN_USER } from '../../../adapters/sandbox/notices.ts';
import { embeddedStorePath } from '../../../src/store/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'sandbox-delivery-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const DELIVERY: NoticeDelivery = {
  broadcastId: 'b-1',
  noticeId: 'n-1',
  version: 2,
  title: { zh: '会话存档告知', en: 'Archiving notice' },
  body: { zh: '正文', en: 'Body' },
  ackKey: 'ack:n-1:2',
  deliveryKey: 'b-1-n-1-2',
};

describe('sandbox delivery', () => {
  it('delivers into inboxes every instance sees, once per delivery key; reads after opening', async () => {
    const file = embeddedStorePath(join(dir, 'a'));
    const kvA = openSqliteStore(file);
    const kvB = openSqliteStore(file); // a second instance on the same store
    let now = 1_000;
    try {
      const log = createLogger('silent');
      const a = createSandboxNoticeChannel({ inbox: new SandboxInbox(kvA), kv: kvA, log, now: () => now });
      const b = createSandboxNoticeChannel({ inbox: new SandboxInbox(kvB), kv: kvB, log, now: () => now });
      const res = await a.sendBatch(['wuhao', 'zhoutao', 'ghost'], DELIVERY);
      assert.deepEqual(res.sent, ['wuhao', 'zhoutao']);
      assert.deepEqual(res.failed, [{ userId: 'ghost', reason: SANDBOX_UNKNOWN_USER }]);
      assert.deepEqual(res.retryLater, []);
      assert.ok(res.readHandle);

      const inboxB = new SandboxInbox(kvB);
      const cards = await inboxB.list('wuhao');
      assert.equal(cards.length, 1);
      assert.deepEqual(
        { title: cards[0]!.title, body: cards[0]!.body, ackKey: cards[0]!.ackKey, broadcastId: cards[0]!.broadcastId, deliveredAt: cards[0]!.deliveredAt },
        { title: DELIVERY.title, body: DELIVERY.body, ackKey: 'ack:n-1:2', broadcastId: 'b-1', deliveredAt: 1_000 },
      );
      assert.deepEqual(await inboxB.list('wangfang'), []);

      // The same delivery again (a batch retried after a lease takeover): still one card.
      await b.sendBatch(['wuhao'], DELIVERY);
      assert.equal((await inboxB.list('wuhao')).length, 1);
      // A reminder has its own delivery key: a second card, marked as a reminder.
      await b.sendBatch(['wuhao'], { ...DELIVERY, deliveryKey: `${DELIVERY.deliveryKey}-r1`, reminder: 1 });
      const two = await inboxB.list('wuhao');
      assert.deepEqual(two.map((c) => c.reminder ?? 0), [1, 0], 'newest first');

      assert.deepEqual(await a.readStatus!(res.readHandle!), []);
      now = 5_000;
      assert.equal(await inboxB.open('zhoutao', 'n-1', 2, now), 5_000);
      assert.equal(await inboxB.open('zhoutao', 'n-1', 2, 9_000), 5_000, 'the first opening counts');
      assert.deepEqual(await a.readStatus!(res.readHandle!), [{ userId: 'zhoutao', readAt: 5_000 }]);
      assert.deepEqual(await a.readStatus!('sbx-unknown'), []);
    } finally {
      await kvA.close();
      await kvB.close();
    }
  });

  it('refuses a batch larger than its batch size', async () => {
    const kv = openSqliteStore(embeddedStorePath(join(dir, 'b')));
    try {
      const c = createSandboxNoticeChannel({ inbox: new SandboxInbox(kv), kv, log: createLogger('silent'), now: () => 1 });
      const ids = Array.from({ length: SANDBOX_BATCH_SIZE + 1 }, (_, i) => `u${i}`);
      await assert.rejects(c.sendBatch(ids, DELIVERY), RangeError);
    } finally {
      await kv.close();
    }
  });
});
