import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { BotError } from '../../src/errors.ts';
import type { Audience, DirectoryPerson, NoticeBatchResult, NoticeChannel, NoticeDelivery, NoticePreview, OrgDirectory } from '../../src/platform/notices.ts';
import type { KeyValueStore } from '../../src/store/ports/store.ts';
import { INBOX_TTL_MS, type SandboxInbox } from './inbox.ts';
import { SANDBOX_DEPARTMENTS, SANDBOX_EMPLOYEES, SANDBOX_PLATFORM, sandboxEmployee } from './org.ts';

/** Most users one sandbox send takes (as a small platform batch). */
export const SANDBOX_BATCH_SIZE = 10;

/** The failure reason of a user id that is not a sandbox employee. */
export const SANDBOX_UNKNOWN_USER = 'sandbox: no such employee';

/** Options of {@link createSandboxNoticeChannel}. */
export interface SandboxNoticeOptions {
  inbox: SandboxInbox;
  kv: KeyValueStore;
  log: Logger;
  now: () => number;
}

interface BatchJson {
  noticeId: string;
  version: number;
  userIds: string[];
}

/**
 * The acknowledge button in the console's preview of a sandbox card: both languages, since whoever opens /try
 * may read either; the /try overlay itself shows it in the page's language (adapters/sandbox/page.ts
 * SANDBOX_PAGE_TEXTS).
 */
export const SANDBOX_ACK_BUTTON = '确认知悉 / Acknowledge';

/**
 * How a notice looks in the sandbox inbox on /try (adapters/sandbox/page.ts): the title and body in
 * Chinese, then English when it differs, and the acknowledge button (the overlay's chrome, here in both
 * languages: on /try it follows the page's language). The sandbox has no length
 * limits beyond the notice's own (title 200, body 5000 characters): nothing is cut.
 */
export function sandboxNoticePreview(delivery: NoticeDelivery): NoticePreview {
  const both = (t: { zh: string; en: string }, sep: string) => (t.en && t.en !== t.zh ? t.zh + sep + t.en : t.zh);
  const title = (delivery.reminder ? '【提醒 / Reminder】' : '') + both(delivery.title, ' / ') + ` (v${delivery.version})`;
  return {
    platform: SANDBOX_PLATFORM,
    messages: [{ kind: 'sandbox card', title, text: both(delivery.body, '\n\n'), format: 'text', button: SANDBOX_ACK_BUTTON }],
    limits: [],
    cut: false,
  };
}

/**
 * The sandbox's {@link NoticeChannel} (the same port the WeCom and DingTalk channels implement):
 * - `resolveAudience`: everyone, the members of the given department ids ('hr', 'rd', 'sales';
 *   an unknown id throws BotError SANDBOX_UNKNOWN_DEPARTMENT naming the known ones), or the user
 *   ids as given (ids that are no sandbox employee fail at delivery);
 * - `sendBatch`: puts the notice card into each employee's sandbox inbox in the shared store
 *   (./inbox.ts); ids that are no sandbox employee fail with {@link SANDBOX_UNKNOWN_USER};
 *   returns a read handle (the batch, kept in the store);
 * - `readStatus`: the users of the batch who opened the card on /try, with when.
 */
export function createSandboxNoticeChannel(options: SandboxNoticeOptions): NoticeChannel {
  const { inbox, kv, log, now } = options;
  return {
    platform: SANDBOX_PLATFORM,
    maxBatchSize: SANDBOX_BATCH_SIZE,
    readSupported: true,
    testAnyRecipient: true,
    preview: sandboxNoticePreview,
    org: sandboxOrgDirectory,

    async resolveAudience(audience: Audience): Promise<string[]> {
      if ('all' in audience) return SANDBOX_EMPLOYEES.map((e) => e.userId);
      if ('userIds' in audience) return [...new Set(audience.userIds)];
      const known = new Set(SANDBOX_DEPARTMENTS.map((d) => d.id));
      const unknown = audience.departmentIds.filter((d) => !known.has(d));
      if (unknown.length > 0) {
        throw new BotError('SANDBOX_UNKNOWN_DEPARTMENT', `no sandbox department ${unknown.join(', ')}; the sandbox has ${[...known].join(', ')}`, { status: 400 });
      }
      const wanted = new Set(audience.departmentIds);
      return SANDBOX_EMPLOYEES.filter((e) => wanted.has(e.departmentId)).map((e) => e.userId);
    },

    async sendBatch(userIds: string[], delivery: NoticeDelivery): Promise<NoticeBatchResult> {
      const ids = [...new Set(userIds)];
      if (ids.length > SANDBOX_BATCH_SIZE) throw new RangeError(`a sandbox batch takes at most ${SANDBOX_BATCH_SIZE} users, got ${ids.length}`);
      const result: NoticeBatchResult = { sent: [], failed: [], retryLater: [] };
      const at = now();
      for (const userId of ids) {
        if (!sandboxEmployee(userId)) {
          result.failed.push({ userId, reason: SANDBOX_UNKNOWN_USER });
          continue;
        }
        await inbox.deliver(userId, {
          broadcastId: delivery.broadcastId,
          noticeId: delivery.noticeId,
          version: delivery.version,
          title: delivery.title,
          body: delivery.body,
          ackKey: delivery.ackKey,
          deliveryKey: delivery.deliveryKey,
          ...(delivery.reminder !== undefined ? { reminder: delivery.reminder } : {}),
          deliveredAt: at,
        });
        result.sent.push(userId);
      }
      if (result.sent.length > 0) {
        const handle = `sbx-${randomBytes(8).toString('hex')}`;
        const batch: BatchJson = { noticeId: delivery.noticeId, version: delivery.version, userIds: result.sent };
        await kv.set(`sandbox:batch:${handle}`, JSON.stringify(batch), INBOX_TTL_MS);
        result.readHandle = handle;
      }
      log.info({ platform: SANDBOX_PLATFORM, broadcast: delivery.broadcastId, sent: result.sent.length, failed: result.failed.length }, 'sandbox notice batch delivered');
      return result;
    },

    async readStatus(readHandle: string) {
      const raw = await kv.get(`sandbox:batch:${readHandle}`);
      if (!raw) return [];
      const batch = JSON.parse(raw) as BatchJson;
      const reads: { userId: string; readAt: number }[] = [];
      for (const userId of batch.userIds) {
        const at = await inbox.openedAt(userId, batch.noticeId, batch.version);
        if (at !== null) reads.push({ userId, readAt: at });
      }
      return reads;
    },
  };
}

function sandboxPerson(e: { userId: string; name: string; departmentId: string }): DirectoryPerson {
  return { userId: e.userId, name: e.name, department: SANDBOX_DEPARTMENTS.find((d) => d.id === e.departmentId)?.name.zh ?? null };
}

/**
 * The sandbox organisation (./org.ts) as an {@link OrgDirectory}: its three top-level departments
 * with their head counts, people found by Chinese name or user id (case-insensitive substring).
 */
export const sandboxOrgDirectory: OrgDirectory = {
  async departments() {
    return SANDBOX_DEPARTMENTS.map((d) => ({ id: d.id, name: d.name.zh, nameEn: d.name.en, parentId: null, headCount: SANDBOX_EMPLOYEES.filter((e) => e.departmentId === d.id).length }));
  },
  async searchPeople(query: string, limit: number) {
    const q = query.trim().toLowerCase();
    if (q === '') return [];
    return SANDBOX_EMPLOYEES.filter((e) => e.name.toLowerCase().includes(q) || e.userId.includes(q)).slice(0, limit).map(sandboxPerson);
  },
  async describe(userIds: string[]) {
    const out = new Map<string, DirectoryPerson>();
    for (const id of userIds) {
      const e = sandboxEmployee(id);
      if (e) out.set(id, sandboxPerson(e));
    }
    return out;
  },
};
