import type { Bilingual } from '../../src/platform/notices.ts';
import type { KeyValueStore } from '../../src/store/ports/store.ts';

/**
 * The sandbox employees' inboxes, kept in the shared key-value store (so every instance of the
 * bot sees the same inbox): what the WeCom card or DingTalk message would have shown them.
 *
 * Keys (all under the store's own prefix):
 * - `sandbox:inbox:n:<userId>` — a counter: how many cards the employee received (slot numbers);
 * - `sandbox:inbox:<userId>:<slot>` — one card as JSON ({@link InboxCard});
 * - `sandbox:inbox:seen:<userId>:<deliveryKey>` — the card of this delivery is already there
 *   (a batch sent twice after a lease takeover shows one card, as WeCom's duplicate check does);
 * - `sandbox:opened:<userId>:<noticeId>:<version>` — when the employee first opened that version (ms).
 * Everything expires after {@link INBOX_TTL_MS}: it is demo data.
 */

/** How long sandbox inbox entries live, in ms (30 days). */
export const INBOX_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** Most cards an inbox lists (newest first). */
export const INBOX_MAX_CARDS = 50;

/** One notice card in a sandbox employee's inbox. */
export interface InboxCard {
  broadcastId: string;
  noticeId: string;
  version: number;
  title: Bilingual;
  body: Bilingual;
  /** The button's key `ack:<noticeId>:<version>`: pressing it sends an ack-action with this text. */
  ackKey: string;
  deliveryKey: string;
  /** Reminder round, absent for the first delivery. */
  reminder?: number;
  /** When it was delivered, ms since the epoch. */
  deliveredAt: number;
}

/** The inbox operations over a {@link KeyValueStore}. */
export class SandboxInbox {
  constructor(private readonly kv: KeyValueStore) {}

  /**
   * Puts a card into an employee's inbox, once per (employee, deliveryKey).
   * @returns false when that delivery was already in the inbox
   */
  async deliver(userId: string, card: InboxCard): Promise<boolean> {
    if (!(await this.kv.claim(`sandbox:inbox:seen:${userId}:${card.deliveryKey}`, INBOX_TTL_MS, String(card.deliveredAt)))) return false;
    const slot = await this.kv.increment(`sandbox:inbox:n:${userId}`, INBOX_TTL_MS);
    await this.kv.set(`sandbox:inbox:${userId}:${slot}`, JSON.stringify(card), INBOX_TTL_MS);
    return true;
  }

  /** The employee's cards, newest first, at most {@link INBOX_MAX_CARDS}. */
  async list(userId: string): Promise<InboxCard[]> {
    const n = Number((await this.kv.get(`sandbox:inbox:n:${userId}`)) ?? '0');
    const cards: InboxCard[] = [];
    for (let slot = n; slot >= 1 && cards.length < INBOX_MAX_CARDS; slot--) {
      const raw = await this.kv.get(`sandbox:inbox:${userId}:${slot}`);
      // A slot taken by a delivery still being written (or expired) is skipped.
      if (raw) cards.push(JSON.parse(raw) as InboxCard);
    }
    return cards;
  }

  /**
   * Records that the employee opened a notice version (first time wins).
   * @returns the time it was first opened, ms
   */
  async open(userId: string, noticeId: string, version: number, now: number): Promise<number> {
    const key = `sandbox:opened:${userId}:${noticeId}:${version}`;
    if (await this.kv.claim(key, INBOX_TTL_MS, String(now))) return now;
    return Number((await this.kv.get(key)) ?? now);
  }

  /** When the employee first opened a notice version (ms), or null. */
  async openedAt(userId: string, noticeId: string, version: number): Promise<number | null> {
    const v = await this.kv.get(`sandbox:opened:${userId}:${noticeId}:${version}`);
    return v === null ? null : Number(v);
  }
}
