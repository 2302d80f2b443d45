/**
 * Answer statistics (src/bot/answer-stats.ts) on the real SQLite store with an injected clock: daily
 * counters in the company's time zone (a count just before and just after local midnight land on two
 * days), the 7- and 30-day windows, the "not sure" rate, expiry; and the router's seam: a FAQ answer
 * counts its topic, "not sure" counts as such, help and console tries count nothing, and no key or
 * value holds the question's text.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AnswerStats, ANSWER_STATS_TTL_MS, daysBefore } from '../../../src/bot/answer-stats.ts';
import { createRouter } from '../../../src/bot/router.ts';
import { loadKnowledge } from '../../../src/knowledge/load.ts';
import { createMatcher } from '../../../src/matching/matcher.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import { createLogger } from '../../../src/log.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import type { InboundMessage } from '../../../src/platform/message.ts';
import { REPO_ROOT } from '../../helpers/app.ts';
import { embeddedStorePath } from '../../../src/store/index.ts';

const log = createLogger('silent');
const DAY = 86_400_000;
// 2026-12-05 23:59:00 in Shanghai (UTC+8) = 15:59 UTC.
const BEFORE_MIDNIGHT = Date.parse('2026-12-05T15:59:00.000Z');

describe('answer statistics', () => {
  let dir: string;
  let store: Store;
  let now = BEFORE_MIDNIGHT;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'answer-stats-'));
    store = openSqliteStore(embeddedStorePath(dir));
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('calendar arithmetic on dates', () => {
    assert.equal(daysBefore('2026-03-01', 1), '2026-02-28');
    assert.equal(daysBefore('2026-01-01', 29), '2025-12-03');
  });

  it('counts per day in the company time zone; 7 and 30 day windows; the not-sure rate', async () => {
    const stats = new AnswerStats({ kv: store, topics: () => ['retention', 'legality'], timeZone: 'Asia/Shanghai', log, now: () => now });
    const empty = await stats.summary();
    assert.deepEqual(empty.windows.map((w) => [w.days, w.answered, w.notSure, w.notSureRate]), [[7, 0, 0, null], [30, 0, 0, null]]);

    // 20 days ago: 4 retention answers (inside 30 days, outside 7).
    now = BEFORE_MIDNIGHT - 20 * DAY;
    for (let i = 0; i < 4; i++) await stats.record({ topic: 'retention' });
    // 40 days ago: outside both windows.
    now = BEFORE_MIDNIGHT - 40 * DAY;
    await stats.record({ topic: 'legality' });
    // One minute before local midnight and one minute after: two different days.
    now = BEFORE_MIDNIGHT;
    await stats.record({ topic: 'legality' });
    await stats.record({ notSure: true });
    assert.equal(stats.today(), '2026-12-05');
    now = BEFORE_MIDNIGHT + 2 * 60_000;
    assert.equal(stats.today(), '2026-12-06', 'the day turned at midnight in Shanghai, not in UTC');
    await stats.record({ topic: 'legality' });
    await stats.record({ notSure: true });
    await stats.record({ notSure: true });

    const s = await stats.summary();
    assert.equal(s.today, '2026-12-06');
    const [w7, w30] = s.windows;
    assert.deepEqual({ from: w7!.from, to: w7!.to, answered: w7!.answered, notSure: w7!.notSure, rate: w7!.notSureRate, topics: w7!.topics },
      { from: '2026-11-30', to: '2026-12-06', answered: 2, notSure: 3, rate: 0.6, topics: { retention: 0, legality: 2 } });
    assert.deepEqual({ from: w30!.from, answered: w30!.answered, notSure: w30!.notSure, rate: w30!.notSureRate, topics: w30!.topics },
      { from: '2026-11-07', answered: 6, notSure: 3, rate: 0.333, topics: { retention: 4, legality: 2 } });
    // Each day's counter is a separate key: yesterday's is there, with the day in its name.
    assert.equal(await store.get('answers:2026-12-05:legality'), '1');
    assert.equal(await store.get('answers:2026-12-06:~not-sure'), '2');

    // 7 days later the two days at midnight have left the 7-day window but not the 30-day one.
    now = BEFORE_MIDNIGHT + 8 * DAY;
    const later = await stats.summary();
    assert.equal(later.windows[0]!.answered + later.windows[0]!.notSure, 0);
    assert.equal(later.windows[1]!.answered, 6);
  });

  it('a counter expires after ANSWER_STATS_TTL_MS (the store drops it)', async () => {
    assert.ok(ANSWER_STATS_TTL_MS > 30 * DAY && ANSWER_STATS_TTL_MS <= 40 * DAY);
    const db = new Database(embeddedStorePath(dir), { readonly: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
      const kv = tables.find((t) => /kv/.test(t));
      assert.ok(kv, `a kv table among ${tables.join(', ')}`);
      const cols = (db.prepare(`PRAGMA table_info(${kv})`).all() as { name: string }[]).map((c) => c.name);
      const expiry = cols.find((c) => /expire/.test(c));
      assert.ok(expiry, `an expiry column among ${cols.join(', ')}`);
      const rows = db.prepare(`SELECT * FROM ${kv} WHERE key LIKE '%answers:%'`).all() as Record<string, unknown>[];
      assert.ok(rows.length >= 5);
      for (const r of rows) assert.ok(typeof r[expiry!] === 'number' && (r[expiry!] as number) > 0, 'every counter has an expiry');
    } finally {
      db.close();
    }
  });

  it('the router counts what it decided, never the text', async () => {
    const kb = await loadKnowledge(join(REPO_ROOT, 'knowledge'));
    const seen: unknown[] = [];
    const stats = new AnswerStats({ kv: store, topics: () => kb.entries.map((e) => e.id), timeZone: 'Asia/Shanghai', log, now: () => BEFORE_MIDNIGHT + 100 * DAY });
    const handle = createRouter({ kb, matcher: await createMatcher(kb), store, log, onAnswer: async (o) => { seen.push(o); await stats.record(o); } });
    let n = 0;
    const msg = (text: string, over: Partial<InboundMessage> = {}): InboundMessage => ({
      platform: 'try', tenant: 'local', userId: `u${++n}`, chat: { kind: 'single' }, kind: 'text', text, mentionedBot: false, messageId: `m${n}`, receivedAt: 0, anonymous: true, ...over,
    });
    const faq = await handle(msg('公司能看到我的聊天记录吗？'));
    assert.ok(faq.topic, 'a FAQ answer');
    const unsure = await handle(msg('zzqx frobnicate quux'));
    assert.equal(unsure.intent, 'fallback');
    await handle(msg('帮助'));
    await handle(msg('公司能看到我的聊天记录吗？', { uncounted: true }));
    assert.deepEqual(seen, [{ topic: faq.topic }, { notSure: true }]);
    const s = await stats.summary();
    assert.equal(s.windows[0]!.topics[faq.topic!], 1);
    assert.equal(s.windows[0]!.notSure, 1);
    // Nothing of the questions is in the store.
    const db = new Database(embeddedStorePath(dir), { readonly: true });
    try {
      const dump = JSON.stringify(db.prepare("SELECT * FROM sqlite_master WHERE type = 'table'").all().map((t) => db.prepare(`SELECT * FROM "${(t as { name: string }).name}"`).all()));
      for (const text of ['聊天记录', 'frobnicate']) assert.ok(!dump.includes(text), `${text} is not stored`);
    } finally {
      db.close();
    }
  });
});
