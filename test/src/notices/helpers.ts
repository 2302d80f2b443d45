/**
 * Shared parts of the notice tests: a manual clock, a silent logger, a fresh SQLite notice store
 * in a temp dir, and a service with the loopback fake platform's channel registered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { createLogger } from '../../../src/log.ts';
import type { Clock } from '../../../src/notices/clock.ts';
import { NoticeService } from '../../../src/notices/service.ts';
import { openSqliteNoticeStore } from '../../../src/store/sqlite/notices.ts';
import type { BroadcastRecord, NoticeStore } from '../../../src/store/ports/notices.ts';
import { embeddedStorePath } from '../../../src/store/index.ts';

export const silent = createLogger('silent');

/** A clock that moves only when told; sleep(ms) advances it by ms at once. */
export class ManualClock implements Clock {
  constructor(public t = 1_780_000_000_000) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.t += Math.max(0, ms);
    await new Promise((r) => setImmediate(r));
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** A fresh SQLite notice store in its own temp dir; `cleanup()` closes and removes it. */
export function tempSqliteNoticeStore(): { store: NoticeStore; file: string; cleanup(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'notices-test-'));
  const file = embeddedStorePath(dir);
  const store = openSqliteNoticeStore(file);
  return {
    store,
    file,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function newService(store: NoticeStore, clock?: Clock): NoticeService {
  return new NoticeService({ store, log: silent, ...(clock ? { clock } : {}) });
}

export const CONTENT = {
  title: { zh: '会话存档告知', en: 'Chat archiving notice' },
  body: { zh: '公司将对工作聊天进行会话存档，保存 3 年。', en: 'Work chats are archived and kept for 3 years.' },
};

/** The broadcast's counts add up and agree with its recipient records; returns the broadcast. */
export async function assertCountsAddUp(store: NoticeStore, id: string): Promise<BroadcastRecord> {
  const b = (await store.getBroadcast(id))!;
  const rs = await store.listRecipients(id);
  const c = b.counts;
  assert.equal(c.targeted, c.pending + c.sent + c.failed, `targeted = pending + sent + failed (${JSON.stringify(c)})`);
  assert.equal(c.targeted, rs.length);
  assert.equal(c.pending, rs.filter((r) => r.state === 'pending').length);
  assert.equal(c.sent, rs.filter((r) => r.state === 'sent').length);
  assert.equal(c.failed, rs.filter((r) => r.state === 'failed').length);
  assert.equal(c.read, rs.filter((r) => r.state === 'sent' && r.readAt !== null).length);
  assert.equal(c.acknowledged, rs.filter((r) => r.state === 'sent' && r.acknowledgedAt !== null).length);
  assert.ok(c.read <= c.sent && c.acknowledged <= c.sent);
  return b;
}
