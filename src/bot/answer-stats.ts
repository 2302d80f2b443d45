import type { Logger } from 'pino';
import { formatDate } from '../notices/clock.ts';
import type { KeyValueStore } from '../store/ports/store.ts';

/**
 * Answer statistics of the knowledge base: how many questions were answered with each topic, and
 * how many got the "not sure" reply, per day in the company's time zone. COUNTS ONLY — the
 * question, the answer and the asker are never stored (the key holds a date and a topic id, the
 * value a number). Kept in the shared key-value store (`KeyValueStore.increment`), so every
 * instance adds to the same counters; each day's counter expires {@link ANSWER_STATS_TTL_MS}
 * after its first count.
 *
 * Keys: `answers:<YYYY-MM-DD>:<topicId>` and `answers:<YYYY-MM-DD>:~not-sure` (`~` is not a
 * character of topic ids).
 */

/** Lifetime of one day's counter: 32 days (the 30-day window plus a margin). */
export const ANSWER_STATS_TTL_MS = 32 * 86_400_000;

/** Windows the summary covers, in days (today included). */
export const ANSWER_STATS_WINDOWS = [7, 30] as const;

const NOT_SURE = '~not-sure';

/** What the bot decided to reply: a topic's answer, or "not sure" (suggestions at most). */
export type AnswerOutcome = { topic: string } | { notSure: true };

/** One window of {@link AnswerStats.summary}. */
export interface AnswerStatsWindow {
  /** Days in the window, today included. */
  days: number;
  /** First and last day, 'YYYY-MM-DD' in the company's time zone. */
  from: string;
  to: string;
  /** Questions answered with a topic. */
  answered: number;
  /** Questions answered "not sure". */
  notSure: number;
  /** notSure / (answered + notSure), 0..1, rounded to 3 decimals; null when there was no question. */
  notSureRate: number | null;
  /** Answers per topic id (every topic of the knowledge base, 0 included). */
  topics: Record<string, number>;
}

/** Options of {@link AnswerStats}. */
export interface AnswerStatsOptions {
  kv: KeyValueStore;
  /** Ids of the knowledge base's topics (read at every summary). */
  topics: () => readonly string[];
  /** IANA time zone whose calendar days the counters follow (e.g. 'Asia/Shanghai'). */
  timeZone: string;
  log: Logger;
  /** Clock, ms since the Unix epoch (tests inject one). Default Date.now. */
  now?: () => number;
}

/** 'YYYY-MM-DD' `n` calendar days before `day` (pure calendar arithmetic, no time zone involved). */
export function daysBefore(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d - n)).toISOString().slice(0, 10);
}

/** Daily answer counters per topic (see the module comment). */
export class AnswerStats {
  private readonly kv: KeyValueStore;
  private readonly topics: () => readonly string[];
  private readonly timeZone: string;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(options: AnswerStatsOptions) {
    this.kv = options.kv;
    this.topics = options.topics;
    this.timeZone = options.timeZone;
    this.log = options.log;
    this.now = options.now ?? Date.now;
  }

  /** Today's date in the company's time zone, 'YYYY-MM-DD'. */
  today(): string {
    return formatDate(this.now(), this.timeZone);
  }

  /** Counts one reply. Never throws: a store failure is logged (without the topic) and the count is lost. */
  async record(outcome: AnswerOutcome): Promise<void> {
    const key = `answers:${this.today()}:${'topic' in outcome ? outcome.topic : NOT_SURE}`;
    try {
      await this.kv.increment(key, ANSWER_STATS_TTL_MS);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'answer statistics: count not recorded');
    }
  }

  /**
   * Counts over the last 7 and 30 days (today included), per topic and "not sure".
   * @throws whatever the store throws (the console answers 503)
   */
  async summary(): Promise<{ timeZone: string; today: string; windows: AnswerStatsWindow[] }> {
    const today = this.today();
    const longest = Math.max(...ANSWER_STATS_WINDOWS);
    const ids = [...this.topics(), NOT_SURE];
    const days = Array.from({ length: longest }, (_, i) => daysBefore(today, i));
    // One read per day and topic, concurrently (Redis pipelines them; SQLite answers at once).
    const values = await Promise.all(days.map((day) => Promise.all(ids.map(async (id) => Number((await this.kv.get(`answers:${day}:${id}`)) ?? 0) || 0))));
    const windows = ANSWER_STATS_WINDOWS.map((n): AnswerStatsWindow => {
      const topics: Record<string, number> = {};
      let notSure = 0;
      for (let d = 0; d < n; d++) {
        ids.forEach((id, i) => {
          const v = values[d]![i]!;
          if (id === NOT_SURE) notSure += v;
          else topics[id] = (topics[id] ?? 0) + v;
        });
      }
      const answered = Object.values(topics).reduce((a, x) => a + x, 0);
      const total = answered + notSure;
      return { days: n, from: days[n - 1]!, to: today, answered, notSure, notSureRate: total === 0 ? null : Math.round((notSure / total) * 1000) / 1000, topics };
    });
    return { timeZone: this.timeZone, today, windows };
  }
}
