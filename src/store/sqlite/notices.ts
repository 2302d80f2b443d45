import { migrateSqlite, openSqliteDatabase, sqliteUnavailable, type SqliteFile, type SqliteMigration, type SqliteSchema } from './open.ts';
import Database from 'better-sqlite3';
import { botError, BotError } from '../../errors.ts';
import type { AudienceSpec } from '../ports/notices.ts';
import { decodeCursor, encodeCursor, PREFIX_END } from '../ports/notices-args.ts';
import { checkedNoticeStore, type CheckedRecipientQuery, type NoticeBackend, type NormalRecipient } from '../ports/checked.ts';
import {
  AWAITING_CONFIRMATION,
  recipientState,
  RECIPIENT_STATE_RANK,
  type RecipientPage,
  type RecipientView,
  type AckChannel,
  type Bilingual,
  type AckOutcome,
  type AckTarget,
  type AuditChainHead,
  type AuditEvent,
  type BatchSettlement,
  type BroadcastRecord,
  type ClaimedBatch,
  type ClaimOptions,
  type NewBroadcast,
  type NoticeLanguage,
  type NoticeStore,
  type PreparationLease,
  type NoticeSummary,
  type NoticeVersionRecord,
  type ReadHandleRecord,
  type RecipientRecord,
  type ReminderRound,
  type ResendTarget,
  type SettleResult,
  type UserNoticeRecord,
} from '../ports/notices.ts';
import { randomBytes } from 'node:crypto';
import { genesisHash, rowHash } from '../ports/audit-chain.ts';

/**
 * Schema of the notice tables, applied in order at open (table `notice_schema_version`).
 * Append only — never edit a released entry (exported for the migration tests). Lives in the same file as the main store
 * (`DATA_DIR/privacy-bot.db`) with its own version counter, so the two evolve independently.
 */
export const NOTICE_MIGRATIONS: readonly SqliteMigration[] = [
  `CREATE TABLE notice (
     id             TEXT PRIMARY KEY,
     latest_version INTEGER NOT NULL,
     created_at     INTEGER NOT NULL,
     updated_at     INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE notice_version (
     notice_id  TEXT NOT NULL,
     version    INTEGER NOT NULL,
     title_zh   TEXT NOT NULL,
     title_en   TEXT NOT NULL,
     body_zh    TEXT NOT NULL,
     body_en    TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (notice_id, version)
   ) WITHOUT ROWID;
   CREATE TABLE broadcast (
     id             TEXT PRIMARY KEY,
     notice_id      TEXT NOT NULL,
     version        INTEGER NOT NULL,
     platform       TEXT NOT NULL,
     audience       TEXT NOT NULL,               -- JSON
     read_supported INTEGER NOT NULL,
     state          TEXT NOT NULL CHECK (state IN ('resolving', 'sending', 'done', 'cancelled')),
     created_by     TEXT NOT NULL,
     created_at     INTEGER NOT NULL,
     updated_at     INTEGER NOT NULL,
     error          TEXT,
     round          INTEGER NOT NULL DEFAULT 0,  -- latest reminder round
     duplicates     INTEGER NOT NULL DEFAULT 0
   ) WITHOUT ROWID;
   CREATE INDEX broadcast_state ON broadcast (state);
   CREATE INDEX broadcast_created ON broadcast (created_at);
   CREATE INDEX broadcast_version ON broadcast (platform, notice_id, version);
   CREATE TABLE recipient (
     broadcast_id   TEXT NOT NULL,
     user_id        TEXT NOT NULL,
     state          TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
     reason         TEXT,
     sent_at        INTEGER,
     read_at        INTEGER,
     ack_at         INTEGER,
     ack_channel    TEXT,
     attempts       INTEGER NOT NULL DEFAULT 0,
     due_at         INTEGER,          -- first-delivery queue: claimable from; also the lease end while leased
     remind_round   INTEGER NOT NULL DEFAULT 0,
     remind_state   TEXT CHECK (remind_state IN ('pending', 'sent', 'failed', 'skipped')),
     remind_due_at  INTEGER,          -- reminder queue, same meaning as due_at
     reminded_round INTEGER NOT NULL DEFAULT 0,
     reminded_at    INTEGER,
     lease_id       TEXT,
     lease_owner    TEXT,
     delivered_by   TEXT,
     PRIMARY KEY (broadcast_id, user_id)
   ) WITHOUT ROWID;
   CREATE INDEX recipient_due ON recipient (broadcast_id, due_at) WHERE due_at IS NOT NULL;
   CREATE INDEX recipient_remind_due ON recipient (broadcast_id, remind_due_at) WHERE remind_due_at IS NOT NULL;
   CREATE TABLE user_notice (
     platform       TEXT NOT NULL,
     user_id        TEXT NOT NULL,
     notice_id      TEXT NOT NULL,
     version        INTEGER NOT NULL,
     broadcast_id   TEXT NOT NULL,
     state          TEXT NOT NULL CHECK (state IN ('reserved', 'sent')),
     reserved_until INTEGER,
     sent_by        TEXT,             -- ' '-separated leases that sent it (a second one = a duplicate)
     sent_at        INTEGER,
     read_at        INTEGER,
     ack_at         INTEGER,
     ack_channel    TEXT,
     PRIMARY KEY (platform, user_id, notice_id, version)
   ) WITHOUT ROWID;
   CREATE TABLE audit (
     seq          INTEGER PRIMARY KEY AUTOINCREMENT,
     broadcast_id TEXT NOT NULL,
     at           INTEGER NOT NULL,
     user_id      TEXT,
     from_state   TEXT NOT NULL,
     to_state     TEXT NOT NULL,
     reason       TEXT NOT NULL
   );
   CREATE INDEX audit_broadcast ON audit (broadcast_id, seq);
   CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
   CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
   CREATE TABLE read_handle (
     broadcast_id TEXT NOT NULL,
     handle       TEXT NOT NULL,
     user_ids     TEXT NOT NULL,  -- JSON array
     sent_at      INTEGER NOT NULL,
     finished     INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (broadcast_id, handle)
   ) WITHOUT ROWID;`,
  chainAuditRows,
  // Schema 3: recipients pages (queryRecipients) — the most advanced state as a rank and the time
  // it was reached, as virtual generated columns, with indexes for filtering and sorting on them.
  `ALTER TABLE recipient ADD COLUMN view_rank INTEGER GENERATED ALWAYS AS (
     CASE WHEN state = 'sent' AND ack_at IS NOT NULL THEN 4 WHEN state = 'sent' AND read_at IS NOT NULL THEN 3
          WHEN state = 'sent' THEN 2 WHEN state = 'failed' THEN 1 ELSE 0 END) VIRTUAL;
   ALTER TABLE recipient ADD COLUMN view_at INTEGER GENERATED ALWAYS AS (
     CASE WHEN state = 'sent' THEN coalesce(ack_at, read_at, sent_at, 0) ELSE 0 END) VIRTUAL;
   CREATE INDEX recipient_view_rank ON recipient (broadcast_id, view_rank, user_id);
   CREATE INDEX recipient_view_at ON recipient (broadcast_id, view_at, user_id);
   CREATE INDEX recipient_view_rank_at ON recipient (broadcast_id, view_rank, view_at, user_id);`,
  // Schema 4: reads and acknowledgements over time (timeline) — partial indexes on the two times.
  `CREATE INDEX recipient_read_at ON recipient (broadcast_id, read_at) WHERE read_at IS NOT NULL;
   CREATE INDEX recipient_ack_at ON recipient (broadcast_id, ack_at) WHERE ack_at IS NOT NULL;`,
  // Schema 5: optional Taiwan Traditional texts (NULL = not written: an OpenCC conversion is shown).
  // English was always NOT NULL; '' now means "not written".
  `ALTER TABLE notice_version ADD COLUMN title_zh_tw TEXT;
   ALTER TABLE notice_version ADD COLUMN body_zh_tw TEXT;`,
  // Schema 6: scheduled sends (a broadcast's not_before, ms) and the recipient's display name and
  // department as the directory gave them when the audience was resolved.
  `ALTER TABLE broadcast ADD COLUMN not_before INTEGER;
   ALTER TABLE recipient ADD COLUMN name TEXT;
   ALTER TABLE recipient ADD COLUMN department TEXT;`,
  // Schema 7: preparation leases (the instance resolving a prepared broadcast's audience, and until
  // when; NULL = none) and the language each recipient was sent the notice in.
  `ALTER TABLE broadcast ADD COLUMN prep_owner TEXT;
   ALTER TABLE broadcast ADD COLUMN prep_until INTEGER;
   CREATE INDEX broadcast_prep_until ON broadcast (prep_until) WHERE prep_until IS NOT NULL;
   ALTER TABLE recipient ADD COLUMN language TEXT;`,
  // Schema 8: every reminder round (the broadcast row keeps only the latest one's number): when it
  // was queued, for how many, and who asked (NULL = not recorded). Rounds queued before are read
  // from their audit rows ('reminder round N queued for K unacknowledged recipient(s)'; SQLite's
  // CAST takes the leading integer of the text).
  `CREATE TABLE reminder_round (
     broadcast_id TEXT NOT NULL,
     round        INTEGER NOT NULL,
     at           INTEGER NOT NULL,
     queued       INTEGER NOT NULL,
     requested_by TEXT,
     PRIMARY KEY (broadcast_id, round)
   ) WITHOUT ROWID;
   INSERT OR IGNORE INTO reminder_round (broadcast_id, round, at, queued, requested_by)
     SELECT broadcast_id, CAST(substr(reason, 16) AS INTEGER), at, CAST(substr(reason, instr(reason, ' queued for ') + 12) AS INTEGER), NULL
     FROM audit WHERE user_id IS NULL AND reason LIKE 'reminder round % queued for % unacknowledged recipient(s)';`,
  // Schema 9: the language of the latest reminder sent to each recipient (NULL = none sent, or sent before it was
  // recorded); the first delivery's stays in `language`.
  `ALTER TABLE recipient ADD COLUMN reminded_language TEXT;`,
];

/**
 * Schema 2: the audit hash chain (docs/EVIDENCE.md). Adds chain_seq, prev_hash and hash to every
 * audit row, computes them for the rows already there (per broadcast in append order, times
 * rounded to integer ms), and from then on refuses an insert that does not extend its
 * broadcast's chain: prev_hash must be the hash of the row at chain_seq − 1 (so no gap), and the
 * unique index allows one row per position (so no fork).
 * The UPDATE trigger is dropped for the computation and created again.
 */
function chainAuditRows(db: Database.Database): void {
  db.exec(`ALTER TABLE audit ADD COLUMN chain_seq INTEGER;
           ALTER TABLE audit ADD COLUMN prev_hash TEXT;
           ALTER TABLE audit ADD COLUMN hash TEXT;
           DROP TRIGGER audit_append_only_update;`);
  const header = db.prepare('SELECT notice_id, version FROM broadcast WHERE id = ?');
  const rows = db.prepare('SELECT seq, at, user_id, from_state, to_state, reason FROM audit WHERE broadcast_id = ? ORDER BY seq');
  const set = db.prepare('UPDATE audit SET at = ?, chain_seq = ?, prev_hash = ?, hash = ? WHERE seq = ?');
  for (const broadcastId of db.prepare('SELECT DISTINCT broadcast_id FROM audit').pluck().all() as string[]) {
    const b = header.get(broadcastId) as { notice_id: string; version: number } | undefined;
    // A row without its broadcast cannot happen through the store; chain it under an empty header all the same.
    let prevHash = genesisHash({ broadcastId, noticeId: b?.notice_id ?? '', version: b?.version ?? 0 });
    let seq = 0;
    for (const r of rows.all(broadcastId) as { seq: number; at: number; user_id: string | null; from_state: string; to_state: string; reason: string }[]) {
      seq++;
      const at = Math.round(r.at);
      const hash = rowHash({ seq, prevHash, broadcastId, at, userId: r.user_id, from: r.from_state, to: r.to_state, reason: r.reason });
      set.run(at, seq, prevHash, hash, r.seq);
      prevHash = hash;
    }
  }
  db.exec(`CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
           CREATE UNIQUE INDEX audit_chain ON audit (broadcast_id, chain_seq);
           CREATE TRIGGER audit_chained BEFORE INSERT ON audit
           WHEN NEW.hash IS NULL OR NEW.prev_hash IS NULL OR NEW.chain_seq IS NULL OR NEW.chain_seq < 1
             OR (NEW.chain_seq > 1 AND NEW.prev_hash IS NOT (SELECT hash FROM audit WHERE broadcast_id = NEW.broadcast_id AND chain_seq = NEW.chain_seq - 1))
           BEGIN SELECT RAISE(ABORT, 'an audit row must extend its broadcast''s hash chain'); END;`);
}

/** How long a statement waits for another connection's write lock, in ms. */

interface BroadcastRow {
  id: string;
  notice_id: string;
  version: number;
  platform: string;
  audience: string;
  read_supported: number;
  state: BroadcastRecord['state'];
  created_by: string;
  created_at: number;
  updated_at: number;
  error: string | null;
  round: number;
  not_before: number | null;
  duplicates: number;
  prep_owner?: string | null;
  prep_until?: number | null;
}

interface RecipientRow {
  broadcast_id: string;
  user_id: string;
  name?: string | null;
  department?: string | null;
  language?: NoticeLanguage | null;
  reminded_language?: NoticeLanguage | null;
  state: 'pending' | 'sent' | 'failed';
  reason: string | null;
  sent_at: number | null;
  read_at: number | null;
  ack_at: number | null;
  ack_channel: AckChannel | null;
  attempts: number;
  due_at: number | null;
  remind_round: number;
  remind_state: 'pending' | 'sent' | 'failed' | 'skipped' | null;
  remind_due_at: number | null;
  reminded_round: number;
  reminded_at: number | null;
  lease_id: string | null;
  lease_owner: string | null;
  delivered_by: string | null;
}

interface UserNoticeRow {
  platform: string;
  user_id: string;
  notice_id: string;
  version: number;
  broadcast_id: string;
  state: 'reserved' | 'sent';
  reserved_until: number | null;
  sent_by: string | null;
  sent_at: number | null;
  read_at: number | null;
  ack_at: number | null;
  ack_channel: AckChannel | null;
}

interface VersionRow {
  notice_id: string;
  version: number;
  title_zh: string;
  title_en: string;
  body_zh: string;
  body_en: string;
  title_zh_tw: string | null;
  body_zh_tw: string | null;
  created_at: number;
}

/** `{zh, en, zh-TW?}` from columns; a NULL zh-TW is left out. */
function texts(zh: string, en: string, zhTW: string | null | undefined): Bilingual {
  return zhTW ? { zh, en, 'zh-TW': zhTW } : { zh, en };
}

function unavailable(path: string, err: unknown): BotError {
  return sqliteUnavailable('notice store', path, err);
}

function versionRecord(r: VersionRow): NoticeVersionRecord {
  return {
    noticeId: r.notice_id,
    version: r.version,
    title: texts(r.title_zh, r.title_en, r.title_zh_tw),
    body: texts(r.body_zh, r.body_en, r.body_zh_tw),
    createdAt: r.created_at,
  };
}

/** A copy of a text with only the known languages (zh-TW left out when not written). */
function copyTexts(b: Bilingual): Bilingual {
  return texts(b.zh, b.en, b['zh-TW']);
}

/** Named parameters of insertVersion. */
function versionParams(noticeId: string, version: number, c: { title: Bilingual; body: Bilingual }, now: number) {
  return {
    noticeId, version, titleZh: c.title.zh, titleEn: c.title.en, bodyZh: c.body.zh, bodyEn: c.body.en,
    titleZhTw: c.title['zh-TW'] || null, bodyZhTw: c.body['zh-TW'] || null, createdAt: now,
  };
}

function recipientRecord(r: RecipientRow): RecipientRecord {
  return {
    userId: r.user_id,
    state: r.state,
    reason: r.reason,
    sentAt: r.sent_at,
    readAt: r.read_at,
    acknowledgedAt: r.ack_at,
    ackChannel: r.ack_channel,
    attempts: r.attempts,
    remindedRound: r.reminded_round,
    remindedAt: r.reminded_at,
    deliveredBy: r.delivered_by,
    name: r.name ?? null,
    department: r.department ?? null,
    language: r.language ?? null,
    remindedLanguage: r.reminded_language ?? null,
  };
}

/** A recipient row as a page shows it (with its most advanced state and when it was reached). */
function recipientView(r: RecipientRow): RecipientView {
  const rec = recipientRecord(r);
  const view = recipientState(rec);
  return { ...rec, view, viewAt: view === 'pending' || view === 'failed' ? null : (rec.acknowledgedAt ?? rec.readAt ?? rec.sentAt) };
}

/** The cursor [key?, userId] of a SQLite recipients page. @throws STORE_BAD_ARGUMENT when it is not one (of this sort) */
function decodeSqliteCursor(cursor: string, keyed: boolean): (string | number)[] {
  const c = decodeCursor('s1', cursor);
  const ok = Array.isArray(c) && c.length === (keyed ? 2 : 1) && typeof c[c.length - 1] === 'string' && (!keyed || Number.isSafeInteger(c[0]));
  if (!ok) throw new BotError('STORE_BAD_ARGUMENT', 'cursor: not a cursor of this query', { status: 400 });
  return c as (string | number)[];
}

function userNoticeRecord(r: UserNoticeRow): UserNoticeRecord {
  return {
    platform: r.platform,
    userId: r.user_id,
    noticeId: r.notice_id,
    version: r.version,
    broadcastId: r.broadcast_id,
    sentAt: r.sent_at ?? 0,
    readAt: r.read_at,
    acknowledgedAt: r.ack_at,
    ackChannel: r.ack_channel,
  };
}

function displayState(r: Pick<RecipientRow, 'state' | 'read_at' | 'ack_at'>): string {
  return recipientState({ state: r.state, readAt: r.read_at, acknowledgedAt: r.ack_at });
}

/** The notice part's schema (table `notice_schema_version`). */
export const NOTICE_SCHEMA: SqliteSchema = { what: 'notice store', versionTable: 'notice_schema_version', migrations: NOTICE_MIGRATIONS };

/**
 * The notice part of the embedded store on `file` (the connection shared with the other parts,
 * ./open.ts): brings the notice tables up to date (table `notice_schema_version`) and returns the
 * notice port without argument checks (src/store/ports/checked.ts runs them); its `close()` closes
 * `file` (every part on it). Every operation is one IMMEDIATE transaction, so claims, settlements
 * and counts stay exact with several processes on one file. Counts are computed from the
 * recipient rows, so they cannot drift. The audit table rejects UPDATE and DELETE, and an INSERT
 * that does not extend its broadcast's hash chain (triggers); each audit row's chain fields are
 * computed in the transaction that appends it (docs/EVIDENCE.md). Opening a file of notice
 * schema 1 computes the chain for the rows already there.
 *
 * @throws BotError 'STORE_UNAVAILABLE' naming the file when it has a newer notice schema than this
 *   program knows or the migration fails.
 */
export function sqliteNoticePart(file: SqliteFile): NoticeBackend {
  migrateSqlite(file, NOTICE_SCHEMA);
  return new SqliteNoticeStore(file);
}

/**
 * Opens (creating if needed) an embedded store file and its notice part alone, with the argument
 * checks in front; the bot opens every part over one connection with `openStores`
 * (src/store/index.ts). For tests and tools.
 * @throws BotError 'STORE_UNAVAILABLE' naming the file when it cannot be opened or has a newer
 *   notice schema than this program knows.
 */
export function openSqliteNoticeStore(file: string): NoticeStore {
  return checkedNoticeStore(new SqliteNoticeStore(openSqliteDatabase(file, NOTICE_SCHEMA)));
}

class SqliteNoticeStore implements NoticeBackend {
  readonly kind = 'sqlite' as const;
  private readonly s;
  private readonly db: Database.Database;
  private readonly path: string;

  constructor(private readonly file: SqliteFile) {
    const db = file.db;
    this.db = db;
    this.path = file.path;
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insertNotice: p('INSERT INTO notice (id, latest_version, created_at, updated_at) VALUES (?, 1, ?, ?)'),
      getNotice: p('SELECT * FROM notice WHERE id = ?'),
      bumpNotice: p('UPDATE notice SET latest_version = latest_version + 1, updated_at = ? WHERE id = ? RETURNING latest_version').pluck(),
      insertVersion: p(
        `INSERT INTO notice_version (notice_id, version, title_zh, title_en, body_zh, body_en, title_zh_tw, body_zh_tw, created_at)
         VALUES (@noticeId, @version, @titleZh, @titleEn, @bodyZh, @bodyEn, @titleZhTw, @bodyZhTw, @createdAt)`,
      ),
      getVersion: p('SELECT * FROM notice_version WHERE notice_id = ? AND version = ?'),
      listVersions: p('SELECT * FROM notice_version WHERE notice_id = ? ORDER BY version'),
      listNotices: p(
        `SELECT n.id, n.latest_version, n.created_at, n.updated_at, v.title_zh, v.title_en, v.title_zh_tw
         FROM notice n JOIN notice_version v ON v.notice_id = n.id AND v.version = n.latest_version
         ORDER BY n.created_at DESC, n.id DESC`,
      ),
      insertBroadcast: p(
        `INSERT INTO broadcast (id, notice_id, version, platform, audience, read_supported, state, created_by, created_at, updated_at, not_before, prep_owner, prep_until)
         VALUES (@id, @noticeId, @version, @platform, @audience, @readSupported, 'resolving', @createdBy, @now, @now, @notBefore, @prepOwner, @prepUntil)`,
      ),
      renewPrep: p("UPDATE broadcast SET prep_until = @until WHERE id = @id AND state = 'resolving' AND prep_owner = @owner"),
      endPrep: p('UPDATE broadcast SET prep_owner = NULL, prep_until = NULL WHERE id = ? AND prep_owner = ?'),
      awaitConfirm: p("UPDATE broadcast SET prep_owner = @next, prep_until = @until WHERE id = @id AND prep_owner = @owner AND state = 'resolving'"),
      clearPrep: p('UPDATE broadcast SET prep_owner = NULL, prep_until = NULL WHERE id = ? AND prep_owner IS NOT NULL'),
      expiredPrep: p(
        `SELECT id, prep_owner, prep_until FROM broadcast WHERE prep_until IS NOT NULL AND prep_until <= ? AND state = 'resolving'
         ORDER BY prep_until, id LIMIT ?`,
      ),
      getBroadcast: p('SELECT * FROM broadcast WHERE id = ?'),
      listBroadcasts: p('SELECT * FROM broadcast ORDER BY created_at DESC, id DESC LIMIT ?'),
      active: p("SELECT id FROM broadcast WHERE state = 'sending' ORDER BY created_at").pluck(),
      setState: p('UPDATE broadcast SET state = ?, updated_at = ? WHERE id = ?'),
      setError: p("UPDATE broadcast SET state = 'cancelled', error = ?, updated_at = ? WHERE id = ?"),
      addDuplicates: p('UPDATE broadcast SET duplicates = duplicates + ? WHERE id = ?'),
      setRound: p('UPDATE broadcast SET round = ?, updated_at = ? WHERE id = ?'),
      addRound: p('INSERT INTO reminder_round (broadcast_id, round, at, queued, requested_by) VALUES (?, ?, ?, ?, ?)'),
      rounds: p('SELECT round, at, queued, requested_by FROM reminder_round WHERE broadcast_id = ? ORDER BY round'),
      counts: p(
        `SELECT count(*) AS targeted,
                coalesce(sum(state = 'pending'), 0) AS pending,
                coalesce(sum(state = 'sent'), 0) AS sent,
                coalesce(sum(state = 'failed'), 0) AS failed,
                coalesce(sum(state = 'sent' AND read_at IS NOT NULL), 0) AS read,
                coalesce(sum(state = 'sent' AND ack_at IS NOT NULL), 0) AS acknowledged,
                coalesce(sum(remind_round = @round AND remind_state IS NOT NULL), 0) AS r_targeted,
                coalesce(sum(remind_round = @round AND remind_state = 'pending'), 0) AS r_pending,
                coalesce(sum(remind_round = @round AND remind_state = 'sent'), 0) AS r_sent,
                coalesce(sum(remind_round = @round AND remind_state = 'failed'), 0) AS r_failed,
                coalesce(sum(remind_round = @round AND remind_state = 'skipped'), 0) AS r_skipped
         FROM recipient WHERE broadcast_id = @id`,
      ),
      leftToSend: p(
        `SELECT count(*) FROM recipient WHERE broadcast_id = ? AND (state = 'pending' OR remind_state = 'pending')`,
      ).pluck(),
      insertRecipient: p(
        `INSERT INTO recipient (broadcast_id, user_id, state, due_at, name, department) VALUES (?, ?, 'pending', ?, ?, ?)
         ON CONFLICT (broadcast_id, user_id) DO NOTHING`,
      ),
      getRecipient: p('SELECT * FROM recipient WHERE broadcast_id = ? AND user_id = ?'),
      setLanguage: p('UPDATE recipient SET language = ? WHERE broadcast_id = ? AND user_id = ?'),
      setRemindedLanguage: p('UPDATE recipient SET reminded_language = ? WHERE broadcast_id = ? AND user_id = ?'),
      listRecipients: p('SELECT * FROM recipient WHERE broadcast_id = ? ORDER BY user_id'),
      broadcastExists: p('SELECT 1 FROM broadcast WHERE id = ?'),
      dueDeliver: p('SELECT * FROM recipient WHERE broadcast_id = ? AND due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, user_id LIMIT ?'),
      dueRemind: p(
        'SELECT * FROM recipient WHERE broadcast_id = ? AND remind_due_at IS NOT NULL AND remind_due_at <= ? ORDER BY remind_due_at, user_id LIMIT ?',
      ),
      lease: p('UPDATE recipient SET lease_id = ?, lease_owner = ?, due_at = ? WHERE broadcast_id = ? AND user_id = ?'),
      leaseRemind: p('UPDATE recipient SET lease_id = ?, lease_owner = ?, remind_due_at = ? WHERE broadcast_id = ? AND user_id = ?'),
      renew: p("UPDATE recipient SET due_at = ? WHERE broadcast_id = ? AND user_id = ? AND lease_id = ? AND state = 'pending'"),
      renewRemind: p("UPDATE recipient SET remind_due_at = ? WHERE broadcast_id = ? AND user_id = ? AND lease_id = ? AND remind_state = 'pending'"),
      giveBack: p(
        "UPDATE recipient SET lease_id = NULL, lease_owner = NULL, due_at = ? WHERE broadcast_id = ? AND user_id = ? AND lease_id = ? AND state = 'pending'",
      ),
      giveBackRemind: p(
        "UPDATE recipient SET lease_id = NULL, lease_owner = NULL, remind_due_at = ? WHERE broadcast_id = ? AND user_id = ? AND lease_id = ? AND remind_state = 'pending'",
      ),
      renewReservation: p(
        `UPDATE user_notice SET reserved_until = max(coalesce(reserved_until, 0), ?)
         WHERE platform = ? AND user_id = ? AND notice_id = ? AND version = ? AND state = 'reserved' AND broadcast_id = ?`,
      ),
      defer: p('UPDATE recipient SET lease_id = NULL, lease_owner = NULL, due_at = ? WHERE broadcast_id = ? AND user_id = ?'),
      markSent: p(
        `UPDATE recipient SET state = 'sent', reason = NULL, sent_at = @sentAt, read_at = coalesce(read_at, @readAt),
           ack_at = coalesce(ack_at, @ackAt), ack_channel = coalesce(ack_channel, @ackChannel), delivered_by = @deliveredBy,
           due_at = NULL, lease_id = NULL, lease_owner = NULL
         WHERE broadcast_id = @broadcastId AND user_id = @userId`,
      ),
      markFailed: p(
        `UPDATE recipient SET state = 'failed', reason = ?, due_at = NULL, lease_id = NULL, lease_owner = NULL
         WHERE broadcast_id = ? AND user_id = ?`,
      ),
      retry: p(
        `UPDATE recipient SET due_at = ?, attempts = attempts + ?, lease_id = NULL, lease_owner = NULL
         WHERE broadcast_id = ? AND user_id = ?`,
      ),
      remindSent: p(
        `UPDATE recipient SET remind_state = 'sent', reminded_round = remind_round, reminded_at = ?, remind_due_at = NULL,
           lease_id = NULL, lease_owner = NULL WHERE broadcast_id = ? AND user_id = ?`,
      ),
      remindFailed: p(
        `UPDATE recipient SET remind_state = 'failed', remind_due_at = NULL, lease_id = NULL, lease_owner = NULL
         WHERE broadcast_id = ? AND user_id = ?`,
      ),
      remindSkip: p(
        `UPDATE recipient SET remind_state = 'skipped', remind_due_at = NULL, lease_id = NULL, lease_owner = NULL
         WHERE broadcast_id = ? AND user_id = ?`,
      ),
      remindRetry: p(
        `UPDATE recipient SET remind_due_at = ?, attempts = attempts + ?, lease_id = NULL, lease_owner = NULL
         WHERE broadcast_id = ? AND user_id = ?`,
      ),
      failures: p("SELECT user_id, reason FROM recipient WHERE broadcast_id = ? AND state = 'failed' ORDER BY user_id LIMIT ?"),
      resendFailed: p(
        `UPDATE recipient SET state = 'pending', reason = NULL, attempts = 0, due_at = ?, lease_id = NULL, lease_owner = NULL
         WHERE broadcast_id = ? AND state = 'failed' RETURNING user_id`,
      ).pluck(),
      queueRemind: p(
        `UPDATE recipient SET remind_round = ?, remind_state = 'pending', remind_due_at = ?, attempts = 0, lease_id = NULL, lease_owner = NULL
         WHERE broadcast_id = ? AND state = 'sent' AND ack_at IS NULL RETURNING user_id`,
      ).pluck(),
      unqueueAll: p('UPDATE recipient SET due_at = NULL, remind_due_at = NULL WHERE broadcast_id = ? AND lease_id IS NULL'),
      getUserNotice: p('SELECT * FROM user_notice WHERE platform = ? AND user_id = ? AND notice_id = ? AND version = ?'),
      reserve: p(
        `INSERT INTO user_notice (platform, user_id, notice_id, version, broadcast_id, state, reserved_until)
         VALUES (?, ?, ?, ?, ?, 'reserved', ?)
         ON CONFLICT (platform, user_id, notice_id, version) DO UPDATE SET broadcast_id = excluded.broadcast_id,
           reserved_until = excluded.reserved_until WHERE user_notice.state = 'reserved'`,
      ),
      recordSent: p(
        `INSERT INTO user_notice (platform, user_id, notice_id, version, broadcast_id, state, sent_at, sent_by)
         VALUES (?, ?, ?, ?, ?, 'sent', ?, ?)
         ON CONFLICT (platform, user_id, notice_id, version) DO UPDATE SET broadcast_id = excluded.broadcast_id,
           state = 'sent', sent_at = excluded.sent_at, sent_by = excluded.sent_by, reserved_until = NULL
         WHERE user_notice.state = 'reserved'`,
      ),
      addSender: p(
        `UPDATE user_notice SET sent_by = coalesce(sent_by, '') || ' ' || ? WHERE platform = ? AND user_id = ? AND notice_id = ? AND version = ?`,
      ),
      release: p(
        `DELETE FROM user_notice WHERE platform = ? AND user_id = ? AND notice_id = ? AND version = ?
           AND state = 'reserved' AND broadcast_id = ?`,
      ),
      userNotices: p("SELECT * FROM user_notice WHERE platform = ? AND user_id = ? AND state = 'sent' ORDER BY sent_at DESC, notice_id, version DESC"),
      ackUserNotice: p('UPDATE user_notice SET ack_at = ?, ack_channel = ? WHERE platform = ? AND user_id = ? AND notice_id = ? AND version = ? AND ack_at IS NULL'),
      readUserNotice: p('UPDATE user_notice SET read_at = ? WHERE platform = ? AND user_id = ? AND notice_id = ? AND version = ? AND read_at IS NULL'),
      versionRecipients: p(
        `SELECT r.* FROM recipient r JOIN broadcast b ON b.id = r.broadcast_id
         WHERE b.platform = ? AND b.notice_id = ? AND b.version = ? AND r.user_id = ? AND r.state = 'sent'`,
      ),
      ackRecipient: p('UPDATE recipient SET ack_at = ?, ack_channel = ? WHERE broadcast_id = ? AND user_id = ? AND ack_at IS NULL'),
      readRecipient: p('UPDATE recipient SET read_at = ? WHERE broadcast_id = ? AND user_id = ? AND read_at IS NULL'),
      audit: p(
        `INSERT INTO audit (broadcast_id, at, user_id, from_state, to_state, reason, chain_seq, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      chainHead: p('SELECT chain_seq, hash FROM audit WHERE broadcast_id = ? ORDER BY chain_seq DESC LIMIT 1'),
      listAudit: p('SELECT * FROM audit WHERE broadcast_id = ? ORDER BY chain_seq'),
      insertHandle: p(
        `INSERT INTO read_handle (broadcast_id, handle, user_ids, sent_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (broadcast_id, handle) DO NOTHING`,
      ),
      listHandles: p('SELECT * FROM read_handle WHERE broadcast_id = ? AND finished = 0 ORDER BY sent_at, handle'),
      finishHandle: p('UPDATE read_handle SET finished = 1 WHERE broadcast_id = ? AND handle = ?'),
      ping: p('SELECT 1').pluck(),
    };
  }

  /** Runs `fn` in an IMMEDIATE transaction unless closed; database failures become STORE_UNAVAILABLE. */
  private async tx<T>(fn: () => T): Promise<T> {
    if (this.file.closed) throw botError('STORE_UNAVAILABLE', `SQLite notice store ${this.path} is closed`);
    try {
      return this.db.transaction(() => {
        // Chain heads are read afresh in every transaction: another process may have appended.
        this.heads.clear();
        return fn();
      }).immediate();
    } catch (err) {
      if (err instanceof BotError) throw err;
      throw unavailable(this.path, err);
    }
  }

  /** Chain heads read or written in the current transaction, by broadcast id. */
  private readonly heads = new Map<string, { seq: number; hash: string }>();

  /**
   * Appends one audit row as the next link of its broadcast's chain: the head is read (once per
   * transaction) and the new row written inside the same IMMEDIATE transaction, so two writers
   * (other processes on the file) cannot both extend the same head.
   */
  private audit(broadcastId: string, at: number, userId: string | null, from: string, to: string, reason: string): void {
    let head = this.heads.get(broadcastId);
    if (!head) {
      const last = this.s.chainHead.get(broadcastId) as { chain_seq: number; hash: string } | undefined;
      if (last) {
        head = { seq: last.chain_seq, hash: last.hash };
      } else {
        const b = this.broadcastRow(broadcastId)!;
        head = { seq: 0, hash: genesisHash({ broadcastId, noticeId: b.notice_id, version: b.version }) };
      }
      this.heads.set(broadcastId, head);
    }
    const row = { seq: head.seq + 1, prevHash: head.hash, broadcastId, at: Math.round(at), userId, from, to, reason };
    const hash = rowHash(row);
    this.s.audit.run(broadcastId, row.at, userId, from, to, reason, row.seq, row.prevHash, hash);
    head.seq = row.seq;
    head.hash = hash;
  }

  private broadcastRow(id: string): BroadcastRow | undefined {
    return this.s.getBroadcast.get(id) as BroadcastRow | undefined;
  }

  private record(row: BroadcastRow): BroadcastRecord {
    const c = this.s.counts.get({ id: row.id, round: row.round }) as Record<string, number>;
    return {
      id: row.id,
      noticeId: row.notice_id,
      version: row.version,
      platform: row.platform,
      audience: JSON.parse(row.audience) as AudienceSpec,
      notBefore: row.not_before ?? null,
      readSupported: row.read_supported === 1,
      state: row.state,
      createdBy: row.created_by,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      error: row.error,
      confirmBy: row.state === 'resolving' && row.prep_owner === AWAITING_CONFIRMATION && typeof row.prep_until === 'number' ? row.prep_until : null,
      counts: {
        targeted: c.targeted!,
        pending: c.pending!,
        sent: c.sent!,
        failed: c.failed!,
        read: c.read!,
        acknowledged: c.acknowledged!,
      },
      reminder: {
        round: row.round,
        targeted: c.r_targeted! - c.r_skipped!,
        pending: c.r_pending!,
        sent: c.r_sent!,
        failed: c.r_failed!,
      },
      duplicates: row.duplicates,
    };
  }

  /** sending -> done when nothing is left to send or remind. */
  private finishIfDrained(row: BroadcastRow, now: number): BroadcastRecord['state'] {
    const current = this.broadcastRow(row.id)!;
    if (current.state !== 'sending') return current.state;
    if ((this.s.leftToSend.get(row.id) as number) > 0) return 'sending';
    this.s.setState.run('done', now, row.id);
    this.audit(row.id, now, null, 'sending', 'done', 'nothing left to send');
    return 'done';
  }

  async createNotice(id: string, content: { title: Bilingual; body: Bilingual }, now: number): Promise<NoticeVersionRecord> {
    return this.tx(() => {
      if (this.s.getNotice.get(id)) throw new BotError('STORE_BAD_ARGUMENT', 'createNotice: the notice id exists');
      this.s.insertNotice.run(id, now, now);
      const v = { noticeId: id, version: 1, title: copyTexts(content.title), body: copyTexts(content.body), createdAt: now };
      this.s.insertVersion.run(versionParams(id, 1, content, now));
      return v;
    });
  }

  async addNoticeVersion(id: string, content: { title: Bilingual; body: Bilingual }, now: number): Promise<NoticeVersionRecord | null> {
    return this.tx(() => {
      const version = this.s.bumpNotice.get(now, id) as number | undefined;
      if (version === undefined) return null;
      this.s.insertVersion.run(versionParams(id, version, content, now));
      return { noticeId: id, version, title: copyTexts(content.title), body: copyTexts(content.body), createdAt: now };
    });
  }

  async getNoticeVersion(id: string, version?: number): Promise<NoticeVersionRecord | null> {
    return this.tx(() => {
      const n = this.s.getNotice.get(id) as { latest_version: number } | undefined;
      if (!n) return null;
      const row = this.s.getVersion.get(id, version ?? n.latest_version) as VersionRow | undefined;
      return row ? versionRecord(row) : null;
    });
  }

  async listNoticeVersions(id: string): Promise<NoticeVersionRecord[]> {
    return this.tx(() => (this.s.listVersions.all(id) as VersionRow[]).map(versionRecord));
  }

  async listNotices(): Promise<NoticeSummary[]> {
    return this.tx(() =>
      (this.s.listNotices.all() as { id: string; latest_version: number; created_at: number; updated_at: number; title_zh: string; title_en: string; title_zh_tw: string | null }[]).map((r) => ({
        id: r.id,
        latestVersion: r.latest_version,
        title: texts(r.title_zh, r.title_en, r.title_zh_tw),
        createdAt: r.created_at,
        updatedAt: r.updated_at,
      })),
    );
  }

  async createBroadcast(b: NewBroadcast, now: number): Promise<BroadcastRecord> {
    return this.tx(() => {
      if (this.broadcastRow(b.id)) throw new BotError('STORE_BAD_ARGUMENT', 'createBroadcast: the broadcast id exists');
      this.s.insertBroadcast.run({
        id: b.id, noticeId: b.noticeId, version: b.version, platform: b.platform, audience: JSON.stringify(b.audience),
        readSupported: b.readSupported ? 1 : 0, createdBy: b.createdBy, now, notBefore: b.notBefore ?? null,
        prepOwner: b.preparation?.owner ?? null, prepUntil: b.preparation ? Math.round(b.preparation.leaseUntil) : null,
      });
      this.audit(b.id, now, null, 'none', 'resolving', `notice ${b.noticeId} v${b.version} on ${b.platform}, by ${b.createdBy}`);
      return this.record(this.broadcastRow(b.id)!);
    });
  }

  async addRecipients(broadcastId: string, list: NormalRecipient[], now: number): Promise<number> {
    return this.tx(() => {
      const row = this.broadcastRow(broadcastId);
      if (!row || row.state !== 'resolving') throw new BotError('STORE_BAD_ARGUMENT', 'addRecipients: the broadcast is not resolving');
      let added = 0;
      for (const { userId: u, name, department } of list) {
        if (this.s.insertRecipient.run(broadcastId, u, now, name, department).changes === 1) {
          added++;
          this.audit(broadcastId, now, u, 'none', 'pending', 'in the audience');
        }
      }
      return added;
    });
  }

  async startSending(broadcastId: string, now: number): Promise<BroadcastRecord | null> {
    return this.tx(() => {
      const row = this.broadcastRow(broadcastId);
      if (!row) return null;
      if (row.state === 'resolving') {
        this.s.clearPrep.run(broadcastId);
        this.s.setState.run('sending', now, broadcastId);
        this.audit(broadcastId, now, null, 'resolving', 'sending', 'audience resolved');
        this.finishIfDrained(row, now);
      }
      return this.record(this.broadcastRow(broadcastId)!);
    });
  }

  async failResolution(broadcastId: string, error: string, now: number): Promise<BroadcastRecord | null> {
    return this.tx(() => {
      const row = this.broadcastRow(broadcastId);
      if (!row) return null;
      if (row.state === 'resolving') {
        this.s.clearPrep.run(broadcastId);
        this.s.setError.run(error, now, broadcastId);
        this.s.unqueueAll.run(broadcastId);
        this.audit(broadcastId, now, null, 'resolving', 'cancelled', `audience resolution failed: ${error}`);
      }
      return this.record(this.broadcastRow(broadcastId)!);
    });
  }

  async renewPreparation(broadcastId: string, owner: string, leaseUntil: number, now: number): Promise<boolean> {
    return this.tx(() => this.s.renewPrep.run({ id: broadcastId, owner, until: Math.round(leaseUntil) }).changes === 1);
  }

  async endPreparation(broadcastId: string, owner: string, now: number, confirmBy?: number): Promise<void> {
    await this.tx(() => {
      if (confirmBy === undefined) this.s.endPrep.run(broadcastId, owner);
      else this.s.awaitConfirm.run({ id: broadcastId, owner, next: AWAITING_CONFIRMATION, until: Math.round(confirmBy) });
    });
  }

  async expiredPreparations(now: number, limit: number): Promise<PreparationLease[]> {
    return this.tx(() =>
      (this.s.expiredPrep.all(Math.floor(now), limit) as { id: string; prep_owner: string | null; prep_until: number }[]).map((r) => ({
        broadcastId: r.id,
        owner: r.prep_owner ?? '',
        leaseUntil: r.prep_until,
      })),
    );
  }

  async interruptPreparation(broadcastId: string, error: string, now: number): Promise<BroadcastRecord | null> {
    return this.tx(() => {
      const row = this.broadcastRow(broadcastId);
      if (!row || row.state !== 'resolving' || row.prep_until === null || row.prep_until === undefined || row.prep_until > now) return null;
      this.s.clearPrep.run(broadcastId);
      this.s.setError.run(error, now, broadcastId);
      this.s.unqueueAll.run(broadcastId);
      this.audit(broadcastId, now, null, 'resolving', 'cancelled', `audience resolution failed: ${error}`);
      return this.record(this.broadcastRow(broadcastId)!);
    });
  }

  async getBroadcast(id: string): Promise<BroadcastRecord | null> {
    return this.tx(() => {
      const row = this.broadcastRow(id);
      return row ? this.record(row) : null;
    });
  }

  async listBroadcasts(limit = 100): Promise<BroadcastRecord[]> {
    return this.tx(() => (this.s.listBroadcasts.all(Math.max(1, Math.floor(limit))) as BroadcastRow[]).map((r) => this.record(r)));
  }

  async activeBroadcastIds(): Promise<string[]> {
    return this.tx(() => this.s.active.all() as string[]);
  }

  async claimBatch(broadcastId: string, o: ClaimOptions, now: number): Promise<ClaimedBatch | null> {
    return this.tx(() => {
      const b = this.broadcastRow(broadcastId);
      if (!b || b.state !== 'sending') return null;
      const leaseId = randomBytes(8).toString('hex');
      const leaseUntil = now + Math.ceil(o.leaseMs);
      const batch: ClaimedBatch = {
        broadcastId, leaseId, owner: o.owner, kind: 'deliver', round: 0, leaseUntil, users: [], takenOver: 0, alreadyDelivered: 0, deferred: 0,
      };
      // First deliveries. Rows handled without sending are no longer due, so the loop ends.
      for (;;) {
        const rows = this.s.dueDeliver.all(broadcastId, now, o.max - batch.users.length) as RecipientRow[];
        if (rows.length === 0) break;
        for (const r of rows) {
          const takeover = r.lease_id !== null;
          if (takeover) {
            this.audit(broadcastId, now, r.user_id, 'pending', 'pending', `lease of ${r.lease_owner ?? '?'} expired; taken over by ${o.owner}`);
          }
          const un = this.s.getUserNotice.get(b.platform, r.user_id, b.notice_id, b.version) as UserNoticeRow | undefined;
          if (!un || (un.state === 'reserved' && (un.broadcast_id === broadcastId || (un.reserved_until ?? 0) <= now))) {
            this.s.reserve.run(b.platform, r.user_id, b.notice_id, b.version, broadcastId, leaseUntil);
            this.s.lease.run(leaseId, o.owner, leaseUntil, broadcastId, r.user_id);
            batch.users.push({ userId: r.user_id, attempts: r.attempts });
            if (takeover) batch.takenOver++;
          } else if (un.state === 'sent') {
            const self = un.broadcast_id === broadcastId;
            this.s.markSent.run({
              broadcastId, userId: r.user_id, sentAt: un.sent_at, readAt: un.read_at, ackAt: un.ack_at, ackChannel: un.ack_channel,
              deliveredBy: self ? null : un.broadcast_id,
            });
            const after = displayState({ state: 'sent', read_at: un.read_at, ack_at: un.ack_at });
            this.audit(broadcastId, now, r.user_id, 'pending', after, self
              ? 'sent before the worker could record it (recorded on takeover)'
              : `already delivered by broadcast ${un.broadcast_id}; not sent again`);
            batch.alreadyDelivered++;
          } else {
            this.s.defer.run(now + Math.ceil(o.deferMs), broadcastId, r.user_id);
            batch.deferred++;
          }
        }
        if (batch.users.length >= o.max) break;
      }
      if (batch.users.length === 0) {
        // Reminder round, if any.
        for (;;) {
          const rows = this.s.dueRemind.all(broadcastId, now, o.max - batch.users.length) as RecipientRow[];
          if (rows.length === 0) break;
          for (const r of rows) {
            if (r.ack_at !== null || r.state !== 'sent') {
              this.s.remindSkip.run(broadcastId, r.user_id);
              continue;
            }
            if (r.lease_id !== null) {
              batch.takenOver++;
              this.audit(broadcastId, now, r.user_id, displayState(r), displayState(r), `reminder lease of ${r.lease_owner ?? '?'} expired; taken over by ${o.owner}`);
            }
            this.s.leaseRemind.run(leaseId, o.owner, leaseUntil, broadcastId, r.user_id);
            batch.users.push({ userId: r.user_id, attempts: r.attempts });
          }
          if (batch.users.length >= o.max) break;
        }
        if (batch.users.length > 0) {
          batch.kind = 'remind';
          batch.round = b.round;
        }
      }
      if (batch.users.length === 0) {
        this.finishIfDrained(b, now);
        return null;
      }
      return batch;
    });
  }

  async settleBatch(batch: Pick<ClaimedBatch, 'broadcastId' | 'leaseId' | 'kind' | 'round'>, settlement: BatchSettlement, now: number): Promise<SettleResult> {
    const { broadcastId, leaseId } = batch;
    return this.tx(() => {
      const b = this.broadcastRow(broadcastId);
      if (!b) throw new BotError('STORE_BAD_ARGUMENT', 'settleBatch: unknown broadcast');
      const result: SettleResult = { applied: 0, stale: [], duplicates: [], state: b.state };
      const leased = (userId: string): RecipientRow | null => {
        const r = this.s.getRecipient.get(broadcastId, userId) as RecipientRow | undefined;
        if (!r || r.lease_id !== leaseId) return null;
        if (batch.kind === 'deliver' ? r.state !== 'pending' : r.remind_state !== 'pending') return null;
        return r;
      };
      const appliedSent: string[] = [];
      for (const u of settlement.sent) {
        if (batch.kind === 'deliver') {
          // Record the fact "sent" per employee even for a lost lease: we did send.
          const un = this.s.getUserNotice.get(b.platform, u, b.notice_id, b.version) as UserNoticeRow | undefined;
          let dup: string | null = null;
          if (!un || un.state === 'reserved') {
            this.s.recordSent.run(b.platform, u, b.notice_id, b.version, broadcastId, now, leaseId);
          } else if (!(un.sent_by ?? '').split(' ').includes(leaseId)) {
            // Another lease had sent it already: count the duplicate once per lease.
            dup = un.broadcast_id !== broadcastId ? `from broadcast ${un.broadcast_id}` : 'sent by an earlier lease of this broadcast';
            this.s.addSender.run(leaseId, b.platform, u, b.notice_id, b.version);
          }
          if (dup) {
            result.duplicates.push(u);
            this.s.addDuplicates.run(1, broadcastId);
          }
          const r = leased(u);
          if (!r) {
            result.stale.push(u);
            continue;
          }
          this.s.markSent.run({ broadcastId, userId: u, sentAt: now, readAt: null, ackAt: null, ackChannel: null, deliveredBy: null });
          if (settlement.language) this.s.setLanguage.run(settlement.language, broadcastId, u);
          const lang = settlement.language ? ` (language ${settlement.language})` : '';
          this.audit(broadcastId, now, u, 'pending', 'sent', dup ? `sent${lang}, but the employee had already received this version (${dup})` : `accepted by the platform${lang}`);
          appliedSent.push(u);
        } else {
          const r = leased(u);
          if (!r) {
            result.stale.push(u);
            continue;
          }
          this.s.remindSent.run(now, broadcastId, u);
          if (settlement.language) this.s.setRemindedLanguage.run(settlement.language, broadcastId, u);
          const lang = settlement.language ? ` (language ${settlement.language})` : '';
          this.audit(broadcastId, now, u, displayState(r), displayState(r), `reminder round ${r.remind_round} sent${lang}`);
          appliedSent.push(u);
        }
        result.applied++;
      }
      for (const f of settlement.failed) {
        const r = leased(f.userId);
        if (!r) {
          result.stale.push(f.userId);
          continue;
        }
        const reason = f.reason;
        if (batch.kind === 'deliver') {
          this.s.markFailed.run(reason, broadcastId, f.userId);
          this.s.release.run(b.platform, f.userId, b.notice_id, b.version, broadcastId);
          this.audit(broadcastId, now, f.userId, 'pending', 'failed', reason);
        } else {
          this.s.remindFailed.run(broadcastId, f.userId);
          this.audit(broadcastId, now, f.userId, displayState(r), displayState(r), `reminder round ${r.remind_round} failed: ${reason}`);
        }
        result.applied++;
      }
      for (const t of settlement.retry) {
        const r = leased(t.userId);
        if (!r) {
          result.stale.push(t.userId);
          continue;
        }
        const stmt = batch.kind === 'deliver' ? this.s.retry : this.s.remindRetry;
        stmt.run(Math.round(t.notBefore), t.countsAsAttempt ? 1 : 0, broadcastId, t.userId);
        result.applied++;
      }
      if (settlement.readHandle && appliedSent.length > 0 && batch.kind === 'deliver') {
        this.s.insertHandle.run(broadcastId, settlement.readHandle, JSON.stringify(appliedSent), now);
      }
      result.state = this.finishIfDrained(b, now);
      return result;
    });
  }

  async renewLease(batch: Pick<ClaimedBatch, 'broadcastId' | 'leaseId' | 'kind'>, userIds: string[], leaseUntil: number, now: number): Promise<number> {
    return this.tx(() => {
      const b = this.broadcastRow(batch.broadcastId);
      if (!b) return 0;
      let held = 0;
      for (const u of userIds) {
        const stmt = batch.kind === 'deliver' ? this.s.renew : this.s.renewRemind;
        if (stmt.run(Math.round(leaseUntil), batch.broadcastId, u, batch.leaseId).changes === 1) {
          held++;
          if (batch.kind === 'deliver') this.s.renewReservation.run(Math.round(leaseUntil), b.platform, u, b.notice_id, b.version, batch.broadcastId);
        }
      }
      return held;
    });
  }

  async releaseLease(batch: Pick<ClaimedBatch, 'broadcastId' | 'leaseId' | 'kind' | 'owner'>, userIds: string[], now: number): Promise<number> {
    return this.tx(() => {
      const b = this.broadcastRow(batch.broadcastId);
      if (!b) return 0;
      // Due again at once while sending; a cancelled broadcast keeps nothing queued.
      const due = b.state === 'sending' ? now : null;
      const stmt = batch.kind === 'deliver' ? this.s.giveBack : this.s.giveBackRemind;
      const what = batch.kind === 'deliver' ? 'lease' : 'reminder lease';
      let released = 0;
      for (const u of userIds) {
        const r = this.s.getRecipient.get(batch.broadcastId, u) as RecipientRow | undefined;
        if (!r || stmt.run(due, batch.broadcastId, u, batch.leaseId).changes !== 1) continue;
        released++;
        this.audit(batch.broadcastId, now, u, displayState(r), displayState(r), `${what} released early by ${batch.owner}; claimable again`);
      }
      return released;
    });
  }

  async listRecipients(broadcastId: string): Promise<RecipientRecord[]> {
    return this.tx(() => (this.s.listRecipients.all(broadcastId) as RecipientRow[]).map(recipientRecord));
  }

  async queryRecipients(broadcastId: string, q: CheckedRecipientQuery): Promise<RecipientPage | null> {
    if (this.file.closed) throw botError('STORE_UNAVAILABLE', `SQLite notice store ${this.path} is closed`);
    const where: string[] = ['broadcast_id = @b'];
    const params: Record<string, unknown> = { b: broadcastId, limit: q.limit + 1, offset: q.offset };
    if (q.state !== undefined) {
      where.push('view_rank = @rank');
      params.rank = RECIPIENT_STATE_RANK[q.state];
    }
    if (q.text !== '') {
      // A search: the user id prefix, or the name or department containing the text (lower() folds A–Z only).
      const byId = q.prefix !== '' ? '(user_id >= @lo AND user_id < @hi) OR ' : '';
      where.push(`(${byId}instr(lower(coalesce(name, '')), @text) > 0 OR instr(lower(coalesce(department, '')), @text) > 0)`);
      if (byId) {
        params.lo = q.prefix;
        params.hi = q.prefix + PREFIX_END;
      }
      params.text = q.text;
    } else if (q.prefix !== '') {
      where.push('user_id >= @lo AND user_id < @hi');
      params.lo = q.prefix;
      params.hi = q.prefix + PREFIX_END;
    }
    const key = q.sort === 'user' ? null : q.sort === 'state' ? 'view_rank' : 'view_at';
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    const cmp = q.order === 'asc' ? '>' : '<';
    // With a state, count through (broadcast_id, view_rank, user_id): SQLite's planner would walk the
    // primary key and compute the virtual column for every row of the broadcast.
    const countSql = `SELECT count(*) FROM recipient${q.state !== undefined ? ' INDEXED BY recipient_view_rank' : ''} WHERE ${where.join(' AND ')}`;
    if (q.after) {
      const c = decodeSqliteCursor(q.after, key !== null);
      if (key === null) where.push(`user_id ${cmp} @cu`);
      else {
        where.push(`(${key}, user_id) ${cmp} (@ck, @cu)`);
        params.ck = c[0];
      }
      params.cu = c[c.length - 1];
    }
    const order = key === null ? `user_id ${dir}` : `${key} ${dir}, user_id ${dir}`;
    const pageSql = `SELECT * FROM recipient WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT @limit OFFSET @offset`;
    try {
      return this.db.transaction(() => {
        if (!this.s.broadcastExists.get(broadcastId)) return null;
        const rows = this.db.prepare(pageSql).all(params) as (RecipientRow & { view_rank: number; view_at: number })[];
        const total = this.db.prepare(countSql).pluck().get(params) as number;
        const more = rows.length > q.limit;
        const page = rows.slice(0, q.limit);
        const last = page[page.length - 1];
        const next = more && last ? encodeCursor('s1', key === null ? [last.user_id] : [key === 'view_rank' ? last.view_rank : last.view_at, last.user_id]) : null;
        return { recipients: page.map(recipientView), total, next };
      }).deferred();
    } catch (err) {
      if (err instanceof BotError) throw err;
      throw unavailable(this.path, err);
    }
  }

  async timeline(broadcastId: string, edges: readonly number[]): Promise<{ read: number[]; acknowledged: number[] } | null> {
    return this.tx(() => {
      if (!this.db.prepare('SELECT 1 FROM broadcast WHERE id = ?').get(broadcastId)) return null;
      // One COUNT per interval on each partial index: together they walk each index once over the span.
      const count = (column: 'read_at' | 'ack_at') => {
        const q = this.db.prepare(`SELECT count(*) FROM recipient INDEXED BY recipient_${column} WHERE broadcast_id = ? AND ${column} IS NOT NULL AND ${column} >= ? AND ${column} < ?`).pluck();
        return edges.slice(1).map((end, i) => q.get(broadcastId, edges[i], end) as number);
      };
      return { read: count('read_at'), acknowledged: count('ack_at') };
    });
  }

  async listFailures(broadcastId: string, limit = 1000): Promise<{ userId: string; reason: string }[]> {
    return this.tx(() =>
      (this.s.failures.all(broadcastId, Math.max(1, Math.floor(limit))) as { user_id: string; reason: string | null }[]).map((r) => ({
        userId: r.user_id,
        reason: r.reason ?? '',
      })),
    );
  }

  async resend(broadcastId: string, only: ResendTarget, now: number, by?: string): Promise<{ queued: number; round: number } | null> {
    return this.tx(() => {
      const b = this.broadcastRow(broadcastId);
      if (!b) return null;
      if (b.state === 'resolving' || b.state === 'cancelled') {
        throw new BotError('STORE_BAD_ARGUMENT', `resend: the broadcast is ${b.state}`);
      }
      let queued: string[];
      let round = 0;
      if (only === 'failed') {
        queued = this.s.resendFailed.all(now, broadcastId) as string[];
        for (const u of queued) this.audit(broadcastId, now, u, 'failed', 'pending', 'resend of failed recipients');
      } else {
        round = b.round + 1;
        queued = this.s.queueRemind.all(round, now, broadcastId) as string[];
        if (queued.length === 0) return { queued: 0, round: b.round };
        this.s.setRound.run(round, now, broadcastId);
        this.s.addRound.run(broadcastId, round, now, queued.length, by ?? null);
        this.audit(broadcastId, now, null, b.state, b.state === 'done' ? 'sending' : b.state, `reminder round ${round} queued for ${queued.length} unacknowledged recipient(s)`);
      }
      if (queued.length > 0 && b.state === 'done') {
        this.s.setState.run('sending', now, broadcastId);
        if (only === 'failed') this.audit(broadcastId, now, null, 'done', 'sending', `resend to ${queued.length} failed recipient(s)`);
      }
      return { queued: queued.length, round };
    });
  }

  async listReminderRounds(broadcastId: string): Promise<ReminderRound[]> {
    return this.tx(() =>
      (this.s.rounds.all(broadcastId) as { round: number; at: number; queued: number; requested_by: string | null }[]).map((r) => ({
        round: r.round,
        at: r.at,
        queued: r.queued,
        by: r.requested_by,
      })),
    );
  }

  async cancel(broadcastId: string, now: number): Promise<BroadcastRecord | null> {
    return this.tx(() => {
      const b = this.broadcastRow(broadcastId);
      if (!b) return null;
      if (b.state === 'resolving' || b.state === 'sending') {
        this.s.clearPrep.run(broadcastId);
        this.s.setState.run('cancelled', now, broadcastId);
        this.s.unqueueAll.run(broadcastId);
        this.audit(broadcastId, now, null, b.state, 'cancelled', 'cancelled by an admin');
      }
      return this.record(this.broadcastRow(broadcastId)!);
    });
  }

  async markRead(broadcastId: string, reads: { userId: string; readAt: number }[], now: number): Promise<number> {
    return this.tx(() => {
      const b = this.broadcastRow(broadcastId);
      if (!b) return 0;
      let fresh = 0;
      for (const { userId, readAt } of reads) {
        const r = this.s.getRecipient.get(broadcastId, userId) as RecipientRow | undefined;
        if (!r || r.state !== 'sent' || r.read_at !== null) continue;
        fresh++;
        this.s.readUserNotice.run(Math.round(readAt), b.platform, userId, b.notice_id, b.version);
        for (const other of this.s.versionRecipients.all(b.platform, b.notice_id, b.version, userId) as RecipientRow[]) {
          if (other.read_at !== null) continue;
          this.s.readRecipient.run(Math.round(readAt), other.broadcast_id, userId);
          this.audit(other.broadcast_id, now, userId, displayState(other), other.ack_at !== null ? 'acknowledged' : 'read', 'read receipt from the platform');
        }
      }
      return fresh;
    });
  }

  async acknowledge(platform: string, userId: string, target: AckTarget, channel: AckChannel, now: number): Promise<AckOutcome> {
    return this.tx((): AckOutcome => {
      let un: UserNoticeRow | undefined;
      if (target === 'latest') {
        const all = this.s.userNotices.all(platform, userId) as UserNoticeRow[];
        un = all.find((r) => r.ack_at === null) ?? all[0];
      } else {
        un = this.s.getUserNotice.get(platform, userId, target.noticeId, target.version) as UserNoticeRow | undefined;
        if (un && un.state !== 'sent') un = undefined;
      }
      if (!un) return { kind: 'not-found' };
      if (un.ack_at !== null) return { kind: 'already', record: userNoticeRecord(un) };
      this.s.ackUserNotice.run(now, channel, platform, userId, un.notice_id, un.version);
      for (const r of this.s.versionRecipients.all(platform, un.notice_id, un.version, userId) as RecipientRow[]) {
        if (r.ack_at !== null) continue;
        this.s.ackRecipient.run(now, channel, r.broadcast_id, userId);
        this.audit(r.broadcast_id, now, userId, displayState(r), 'acknowledged', `acknowledged by ${channel}`);
      }
      return { kind: 'acknowledged', record: userNoticeRecord({ ...un, ack_at: now, ack_channel: channel }) };
    });
  }

  async userNotices(platform: string, userId: string): Promise<UserNoticeRecord[]> {
    return this.tx(() => (this.s.userNotices.all(platform, userId) as UserNoticeRow[]).map(userNoticeRecord));
  }

  async listReadHandles(broadcastId: string): Promise<ReadHandleRecord[]> {
    return this.tx(() =>
      (this.s.listHandles.all(broadcastId) as { handle: string; user_ids: string; sent_at: number }[]).map((r) => ({
        broadcastId,
        handle: r.handle,
        userIds: JSON.parse(r.user_ids) as string[],
        sentAt: r.sent_at,
      })),
    );
  }

  async finishReadHandle(broadcastId: string, handle: string): Promise<void> {
    return this.tx(() => {
      this.s.finishHandle.run(broadcastId, handle);
    });
  }

  async listAudit(broadcastId: string): Promise<AuditEvent[]> {
    type Row = { at: number; user_id: string | null; from_state: string; to_state: string; reason: string; chain_seq: number; prev_hash: string; hash: string };
    return this.tx(() =>
      (this.s.listAudit.all(broadcastId) as Row[]).map((r) => ({
        at: r.at,
        broadcastId,
        userId: r.user_id,
        from: r.from_state,
        to: r.to_state,
        reason: r.reason,
        seq: r.chain_seq,
        prevHash: r.prev_hash,
        hash: r.hash,
      })),
    );
  }

  async auditHead(broadcastId: string): Promise<AuditChainHead | null> {
    return this.tx(() => {
      const last = this.s.chainHead.get(broadcastId) as { chain_seq: number; hash: string } | undefined;
      return last ? { rows: last.chain_seq, hash: last.hash } : null;
    });
  }

  async ping(): Promise<void> {
    return this.tx(() => {
      this.s.ping.get();
    });
  }

  /** Closes the file (every part on it). */
  async close(): Promise<void> {
    this.file.close();
  }
}
