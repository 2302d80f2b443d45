import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { botError, BotError } from '../../errors.ts';
import { genesisHash, rowHash } from '../ports/audit-chain.ts';
import type { AudienceSpec, Bilingual } from '../ports/notices.ts';
import { decodeCursor, encodeCursor, PREFIX_END } from '../ports/notices-args.ts';
import { checkedNoticeStore, type CheckedRecipientQuery, type NoticeBackend, type NormalRecipient } from '../ports/checked.ts';
import * as lua from './notices-lua.ts';
import { AWAITING_CONFIRMATION, recipientState, RECIPIENT_STATE_RANK, REMINDER_QUEUED } from '../ports/notices.ts';
import type {
  RecipientPage,
  RecipientView,
  AckChannel,
  AckOutcome,
  AckTarget,
  AuditChainHead,
  AuditEvent,
  BatchSettlement,
  BroadcastRecord,
  BroadcastState,
  ClaimedBatch,
  ClaimOptions,
  NewBroadcast,
  NoticeLanguage,
  NoticeStore,
  PreparationLease,
  NoticeSummary,
  NoticeVersionRecord,
  ReadHandleRecord,
  RecipientRecord,
  ReminderRound,
  ResendTarget,
  SettleResult,
  UserNoticeRecord,
} from '../ports/notices.ts';
import { DEFAULT_KEY_PREFIX } from './store.ts';
import { POLICY_COMMAND_TIMEOUT_MS } from './policies.ts';
import { connectRedisClient, createStoreConnection, type RedisConnection } from './connect.ts';

/** Tuning of the notice part (tests lower both to cover the index walk). */
export interface RedisNoticePartOptions {
  /**
   * A prefix search sorted by time gathers and sorts up to this many matching recipients in the
   * process, and walks the time index for more; default {@link GATHER_MAX} (tests lower it to
   * cover the walk).
   */
  recipientGatherMax?: number;
  /**
   * Index members one step of a walk reads: one script call of a search (default
   * {@link SEARCH_STEP}), or one ZRANGEBYLEX of the one-script walk (default 1000). Tests lower it
   * to cover several steps.
   */
  recipientWalkChunk?: number;
  /**
   * How a search walks the index: 'steps' (default) — bounded script calls of
   * {@link SEARCH_STEP} members each, only matches sent back, the total cached per index
   * generation; 'one-script' — the whole walk in one script call (the form before; kept to compare
   * the two in bench/recipients.ts).
   */
  recipientSearch?: 'steps' | 'one-script';
  /** Whether 'steps' searches reuse the cached total of the same search (default true; the bench turns it off to time cold searches). */
  recipientCountCache?: boolean;
  /** Most checkpoints a cached search keeps per index; default {@link SEARCH_MARKS} (tests lower it to cover K > 1). */
  recipientSearchMarks?: number;
}

/** Options of {@link openRedisNoticeStore}. */
export interface RedisNoticeStoreOptions extends RedisNoticePartOptions {
  /** Namespace before every key; default 'privacy-bot:' (the main store's). Must not contain '{' or '}'. */
  keyPrefix?: string;
  /** Give up connecting at open after this many ms; default 3000. */
  connectTimeoutMs?: number;
  /** A command that gets no answer fails after this many ms; default 5000. */
  commandTimeoutMs?: number;
}

/**
 * Most recipients a prefix search sorted by time gathers and sorts in the process (see
 * queryRecipients); more are found by walking the time index instead.
 */
const GATHER_MAX = 20_000;

/**
 * Index members one RECIPIENT_SCAN call reads at most (a search walks the index in such steps).
 * Bounded so that one call keeps Redis — shared with the other bot instances — short: one member
 * costs about 0.7 µs of Redis time at load 2 on the 2-core bench machine (a one-script walk of
 * 100,000 members took 75 ms; README, "Console and recipients pages"), and up to about 2.5 µs at
 * load 8, so a call takes about 1.5 ms, at most about 5 ms, while the round trips of a walk of
 * 100,000 members (50 calls) cost a few ms on a local network.
 */
const SEARCH_STEP = 2000;

/**
 * How long a broadcast's search cache lives without a new search (ms), and most fields it holds
 * (a total and a list of checkpoints per search): at most about 50 × 60 KB.
 */
const SEARCH_COUNT_TTL_MS = 600_000;
const SEARCH_COUNT_MAX = 100;

/** Most checkpoints a search keeps per index walked (every K-th match; K doubles past this). */
const SEARCH_MARKS = 1000;

/**
 * A search's cached checkpoints for one index: generation `g`, every `k`-th match (members as walked) in order `o`.
 * See RedisNoticeStore.searchPage.
 */
interface SearchMarks {
  g: string;
  k: number;
  o: 'asc' | 'desc';
  c: string[];
}

/**
 * The checkpoint at or before match number `offset` (0-based, in `order`) and that match's number, or null when the
 * checkpoints do not reach it. Checkpoints recorded in the other order are numbered from the other end.
 */
function checkpointBefore(marks: SearchMarks, order: 'asc' | 'desc', offset: number, total: number): { member: string; at: number } | null {
  let j: number;
  let at: number;
  if (marks.o === order) {
    j = Math.floor(offset / marks.k);
    at = j * marks.k;
  } else {
    // Match a there is total - 1 - a here.
    j = Math.ceil((total - 1 - offset) / marks.k);
    at = total - 1 - j * marks.k;
  }
  return j < marks.c.length && at >= 0 && at <= offset ? { member: marks.c[j]!, at } : null;
}

/** Users per ADD_RECIPIENTS script call (keeps one script run short). */
const ADD_CHUNK = 500;

/** Audit entries hashed per CHAIN_SEAL script call (keeps one script run and its arguments short). */
const SEAL_CHUNK = 500;

/**
 * Compare-and-set conflicts one seal tolerates. Each conflict means another writer sealed first
 * (the chain moved on), so this is reached only if the entries keep changing under us.
 */
const MAX_SEAL_CONFLICTS = 100;

/**
 * Value of `{b:X}:r:ix:v` once a broadcast's recipients index is complete in the current form
 * (src/store/redis/notices-lua.ts: '2' = members carry the search suffix; set by INDEX_BUILD too).
 */
const INDEX_VERSION = '2';

/** Value of `{idx}:audit-chain` once every broadcast's audit list has its chain (written at open). */
const CHAIN_MARKER = 'v1';

/** An audit list entry as stored: the chain fields n, p, h are absent until it is sealed. */
interface AuditJson {
  at: number;
  u?: string;
  f: string;
  t: string;
  r: string;
  n?: number;
  p?: string;
  h?: string;
}

type Scripted = Redis & {
  nCreateBroadcast(...args: (string | number)[]): Promise<number>;
  nAddRecipients(...args: (string | number)[]): Promise<number>;
  nTransition(...args: (string | number)[]): Promise<string>;
  nClaim(...args: (string | number)[]): Promise<string[]>;
  nSettle(...args: (string | number)[]): Promise<(string | number)[]>;
  nSync(...args: (string | number)[]): Promise<number>;
  nResend(...args: (string | number)[]): Promise<(string | number)[]>;
  nReserve(...args: (string | number)[]): Promise<string[]>;
  nMarkSent(...args: (string | number)[]): Promise<string[]>;
  nRelease(...args: (string | number)[]): Promise<number>;
  nAckUser(...args: (string | number)[]): Promise<string[]>;
  nReadUser(...args: (string | number)[]): Promise<string>;
  nNoticeVersion(...args: (string | number)[]): Promise<number>;
  nRenew(...args: (string | number)[]): Promise<string[]>;
  nGiveBack(...args: (string | number)[]): Promise<string[]>;
  nChainPeek(...args: (string | number)[]): Promise<string[]>;
  nChainSeal(...args: (string | number)[]): Promise<number>;
  nIndexBuild(...args: (string | number)[]): Promise<string>;
  nRecipientPage(...args: (string | number)[]): Promise<(string | number)[]>;
  nRecipientScan(...args: (string | number)[]): Promise<(string | number | null)[]>;
  nSearchCountPut(...args: (string | number)[]): Promise<number>;
  nPreparation(...args: (string | number)[]): Promise<number>;
};

interface RecipientJson {
  s: 'pending' | 'sent' | 'failed';
  /** Display name and department from the directory (absent when unknown). */
  n?: string;
  d?: string;
  re?: string;
  st?: number;
  ra?: number;
  aa?: number;
  ac?: AckChannel;
  at?: number;
  l?: string;
  lo?: string;
  db?: string;
  rr?: number;
  rs?: string;
  rdr?: number;
  rda?: number;
  /** Language of the first delivery (NoticeLanguage). */
  lg?: NoticeLanguage;
  /** Language of the latest reminder sent (NoticeLanguage). */
  rdl?: NoticeLanguage;
}

interface UserJson {
  b: string;
  s: 'r' | 's';
  u?: number;
  t?: number;
  ra?: number;
  aa?: number;
  ac?: AckChannel;
  ls?: string[];
  also?: string[] | Record<string, never>;
}

/**
 * The notice part of the Redis store on `conn` (ioredis 5, the connection shared with the other
 * parts; any `REDIS_URL` form of ./connect.ts: one server, Sentinel or Cluster): defines its
 * scripts on the client (before it connects) and returns the notice port without argument checks
 * (src/store/ports/checked.ts runs them). Once the client is connected, the opener calls
 * `chainExistingAudit()`. Its `close()` closes `conn` (every part on it).
 *
 * Key layout under the connection's prefix (the same namespace as the main store; distinct key names):
 * - `{n:<noticeId>}:meta` (hash latest, createdAt, updatedAt) and `{n:<noticeId>}:v` (hash
 *   version -> JSON {title, body, createdAt});
 * - `{b:<broadcastId>}:meta` (hash: fields and counters), `:r` (hash userId -> recipient JSON),
 *   `:q` / `:rq` (sorted sets: first-delivery and reminder queues, score = claimable from),
 *   `:audit` (list, append only), `:fail` (hash userId -> reason), `:rh` (read handles),
 *   `:rounds` (hash round -> JSON {at, q, by?}: every reminder round) — one
 *   hash tag, so each broadcast script is atomic on a Redis Cluster too;
 * - `{u:<platform>:<userId>}:n` — one employee's delivered notice versions (hash
 *   '<noticeId>:<version>' -> JSON), platform and user id URI-encoded;
 * - `{idx}:notices`, `{idx}:broadcasts` (sorted by creation) and `{idx}:active` (set of sending broadcasts);
 *   `{idx}:audit-chain` = 'v1' once the audit lists of data written before the hash chain got theirs.
 *
 * The audit hash chain (docs/EVIDENCE.md): the scripts append audit entries to `{b:X}:audit` in
 * the same script as the state change they record, which fixes their order; then the store call
 * seals them — computes each entry's chain fields (seq, previous hash, hash; SHA-256 in Node,
 * src/store/ports/audit-chain.ts, since Redis scripts have no SHA-256) and writes them with a
 * compare-and-set script (CHAIN_SEAL) that re-reads the head (`chainN`, `chainHead` in `:meta`)
 * and applies only when it has not moved (entries after the head change only by being sealed). The head is thus read and written in
 * one script; a writer that loses the race reads again, so several instances build one linear
 * chain. Entries are sealed before the call that appended them returns; an instance that dies in
 * between leaves them for the next seal (the next write to that broadcast, or its next export).
 *
 * Multi-key steps (claim = lease in the broadcast, then reserve per employee; settle = record the
 * send per employee, then in the broadcast) are ordered so that a crash between two steps leaves
 * a state the next claim repairs: a lease expires and is claimed again; an employee record that
 * says "sent by this broadcast" turns the re-claimed recipient into sent without sending.
 *
 */
export function redisNoticePart(conn: RedisConnection, options: RedisNoticePartOptions = {}): NoticeBackend & { chainExistingAudit(): Promise<void> } {
  const c = conn.client as Scripted;
  const define = (name: string, keys: number, script: string) => c.defineCommand(name, { numberOfKeys: keys, lua: script });
  define('nCreateBroadcast', 2, lua.CREATE_BROADCAST);
  define('nAddRecipients', 4, lua.ADD_RECIPIENTS);
  define('nTransition', 4, lua.TRANSITION);
  define('nClaim', 5, lua.CLAIM);
  define('nSettle', 7, lua.SETTLE);
  define('nSync', 3, lua.SYNC_RECIPIENT);
  define('nResend', 7, lua.RESEND);
  define('nReserve', 1, lua.RESERVE);
  define('nMarkSent', 1, lua.MARK_SENT);
  define('nRelease', 1, lua.RELEASE);
  define('nAckUser', 1, lua.ACK_USER);
  define('nReadUser', 1, lua.READ_USER);
  define('nNoticeVersion', 2, lua.NOTICE_VERSION);
  define('nRenew', 4, lua.RENEW);
  define('nGiveBack', 5, lua.GIVE_BACK);
  define('nChainPeek', 2, lua.CHAIN_PEEK);
  define('nChainSeal', 2, lua.CHAIN_SEAL);
  define('nIndexBuild', 1, lua.INDEX_BUILD);
  define('nRecipientPage', 1, lua.RECIPIENT_PAGE);
  define('nRecipientScan', 3, lua.RECIPIENT_SCAN);
  define('nSearchCountPut', 1, lua.SEARCH_COUNT_PUT);
  define('nPreparation', 4, lua.PREPARATION);
  const steps = (options.recipientSearch ?? 'steps') === 'steps';
  return new RedisNoticeStore(conn, options.recipientGatherMax ?? GATHER_MAX, options.recipientWalkChunk ?? (steps ? SEARCH_STEP : 1000), steps, options.recipientCountCache ?? true, options.recipientSearchMarks ?? SEARCH_MARKS);
}

/**
 * Opens a Redis connection holding the notice part alone (its own client), with the argument
 * checks in front, and chains audit entries written before the hash chain existed. The bot opens
 * every part over one connection with `openStores` (src/store/index.ts); this is for tests and tools.
 * @throws BotError 'STORE_UNAVAILABLE' (URL with password masked) when Redis cannot be reached at
 *   open; 'STORE_BAD_ARGUMENT' for a key prefix with braces.
 */
export async function openRedisNoticeStore(url: string, options: RedisNoticeStoreOptions = {}): Promise<NoticeStore> {
  const conn = createStoreConnection(url, options.keyPrefix ?? DEFAULT_KEY_PREFIX, {
    connectTimeoutMs: options.connectTimeoutMs ?? 3000,
    commandTimeoutMs: options.commandTimeoutMs ?? POLICY_COMMAND_TIMEOUT_MS,
  });
  const notices = redisNoticePart(conn, options);
  await connectRedisClient(conn.client, 'Redis notice store', conn.shown);
  try {
    await notices.chainExistingAudit();
  } catch (err) {
    await conn.close();
    throw err;
  }
  return checkedNoticeStore(notices);
}

const num = (v: string | undefined): number => (v === undefined ? 0 : Number(v));

function recipientFromJson(userId: string, j: RecipientJson): RecipientRecord {
  return {
    userId,
    state: j.s,
    reason: j.re ?? null,
    sentAt: j.st ?? null,
    readAt: j.ra ?? null,
    acknowledgedAt: j.aa ?? null,
    ackChannel: j.ac ?? null,
    attempts: j.at ?? 0,
    remindedRound: j.rdr ?? 0,
    remindedAt: j.rda ?? null,
    deliveredBy: j.db ?? null,
    name: j.n ?? null,
    department: j.d ?? null,
    language: j.lg ?? null,
    remindedLanguage: j.rdl ?? null,
  };
}

/** A recipient as a page shows it (with its most advanced state and when it was reached). */
function recipientView(rec: RecipientRecord): RecipientView {
  const view = recipientState(rec);
  return { ...rec, view, viewAt: view === 'pending' || view === 'failed' ? null : (rec.acknowledgedAt ?? rec.readAt ?? rec.sentAt) };
}

/** UTF-8 byte order of two strings (the order of Redis lex ranges). */
function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * The ZRANGEBYLEX bounds of one index segment [min, max] after the cursor member `cursor` (a key without search suffix) in
 * `order`: ['', ''] when the cursor is past the whole segment.
 */
function pageBounds(min: string, max: string, cursor: string | null, order: 'asc' | 'desc'): [string, string] {
  if (cursor === null) return [min, max];
  const value = (b: string) => b.slice(1);
  // Index members may carry a search suffix after NUL (notices-lua.ts), sorting right after the
  // member's key; ascending, the page starts after every member of the cursor's key: after
  // '<key>\x01' (no key holds a control character, so nothing else lies between).
  const after = order === 'asc' ? `${cursor}\u0001` : cursor;
  if (order === 'asc') {
    if (max !== '+' && byteCompare(after, value(max)) >= 0) return ['', ''];
    if (min === '-' || byteCompare(after, value(min)) >= 0) return [`(${after}`, max];
    return [min, max];
  }
  if (min !== '-' && byteCompare(after, value(min)) <= 0) return ['', ''];
  if (max === '+' || byteCompare(after, value(max)) <= 0) return [min, `(${after}`];
  return [min, max];
}

function alsoOf(j: UserJson): string[] {
  return Array.isArray(j.also) ? j.also : [];
}

class RedisNoticeStore implements NoticeBackend {
  readonly kind = 'redis' as const;
  private readonly c: Scripted;
  private readonly prefix: string;
  private readonly shownUrl: string;

  constructor(
    private readonly conn: RedisConnection,
    private readonly gatherMax: number = GATHER_MAX,
    private readonly walkChunk: number = SEARCH_STEP,
    private readonly steps: boolean = true,
    private readonly countCache: boolean = true,
    private readonly maxMarks: number = SEARCH_MARKS,
  ) {
    this.c = conn.client as Scripted;
    this.prefix = conn.prefix;
    this.shownUrl = conn.shown;
  }

  // ---- keys ----
  private nk(id: string, part: 'meta' | 'v'): string {
    return `${this.prefix}{n:${id}}:${part}`;
  }
  private bk(id: string, part: 'meta' | 'r' | 'q' | 'rq' | 'audit' | 'fail' | 'rh' | 'rounds'): string {
    return `${this.prefix}{b:${id}}:${part}`;
  }
  private uk(platform: string, userId: string): string {
    return `${this.prefix}{u:${encodeURIComponent(platform)}:${encodeURIComponent(userId)}}:n`;
  }
  private ik(part: 'notices' | 'broadcasts' | 'active' | 'audit-chain' | 'preparing'): string {
    return `${this.prefix}{idx}:${part}`;
  }
  private bkeys(id: string, ...parts: ('meta' | 'r' | 'q' | 'rq' | 'audit' | 'fail' | 'rh' | 'rounds')[]): string[] {
    return parts.map((p) => this.bk(id, p));
  }

  private async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.conn.closed) throw botError('STORE_UNAVAILABLE', `Redis notice store ${this.shownUrl} is closed`);
    try {
      return await fn();
    } catch (err) {
      if (err instanceof BotError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw botError('STORE_UNAVAILABLE', `Redis notice store ${this.shownUrl}: ${reason}`, { cause: err });
    }
  }

  /**
   * Gives the unsealed audit entries of a broadcast their chain fields, oldest first (see the
   * class comment): CHAIN_PEEK reads the head and what follows, Node hashes, CHAIN_SEAL writes
   * when the head is unchanged, else the round starts again.
   */
  private async seal(id: string): Promise<void> {
    const keys = this.bkeys(id, 'meta', 'audit');
    let conflicts = 0;
    for (;;) {
      const out = (await this.c.nChainPeek(...keys, SEAL_CHUNK)).map(String);
      if (out.length <= 5) return;
      const [sealed, head, broadcastId, noticeId, version] = out as [string, string, string, string, string];
      const n = Number(sealed);
      let prevHash = head !== '' ? head : genesisHash({ broadcastId, noticeId, version: Number(version) });
      const args: string[] = [];
      out.slice(5).forEach((raw, i) => {
        const e = JSON.parse(raw) as AuditJson;
        const seq = n + i + 1;
        const at = Math.round(e.at);
        const hash = rowHash({ seq, prevHash, broadcastId, at, userId: e.u ?? null, from: e.f, to: e.t, reason: e.r });
        const entry: AuditJson = { at, ...(e.u !== undefined ? { u: e.u } : {}), f: e.f, t: e.t, r: e.r, n: seq, p: prevHash, h: hash };
        args.push(JSON.stringify(entry), hash);
        prevHash = hash;
      });
      if (Number(await this.c.nChainSeal(...keys, sealed, head, ...args)) < 0) {
        if (++conflicts > MAX_SEAL_CONFLICTS) throw new Error(`audit chain of broadcast ${id}: ${conflicts} compare-and-set conflicts in a row`);
        continue;
      }
      if (out.length - 5 < SEAL_CHUNK) return;
    }
  }

  /** Seals every broadcast in `ids` (the broadcasts a call appended audit entries to). */
  private async sealAll(ids: Iterable<string>): Promise<void> {
    for (const id of new Set(ids)) await this.seal(id);
  }

  /**
   * At open: computes the chain of audit entries written before it existed (every broadcast),
   * once per Redis — `{idx}:audit-chain` records that it was done. Safe with several instances
   * opening at once (sealing is a compare-and-set).
   * @throws BotError 'STORE_UNAVAILABLE' when Redis fails meanwhile
   */
  async chainExistingAudit(): Promise<void> {
    return this.use(async () => {
      if ((await this.c.get(this.ik('audit-chain'))) === CHAIN_MARKER) return;
      await this.sealAll(await this.c.zrange(this.ik('broadcasts'), 0, -1));
      await this.c.set(this.ik('audit-chain'), CHAIN_MARKER);
    });
  }

  private async broadcastMeta(id: string): Promise<Record<string, string> | null> {
    const h = await this.c.hgetall(this.bk(id, 'meta'));
    return h.state === undefined ? null : h;
  }

  private record(h: Record<string, string>): BroadcastRecord {
    return {
      id: h.id!,
      noticeId: h.noticeId!,
      version: num(h.version),
      platform: h.platform!,
      audience: JSON.parse(h.audience!) as AudienceSpec,
      notBefore: h.notBefore === undefined || h.notBefore === '' ? null : num(h.notBefore),
      readSupported: h.readSupported === '1',
      state: h.state as BroadcastState,
      createdBy: h.createdBy!,
      createdAt: num(h.createdAt),
      updatedAt: num(h.updatedAt),
      error: h.error ?? null,
      confirmBy: h.state === 'resolving' && h.prepOwner === AWAITING_CONFIRMATION && h.prepUntil ? num(h.prepUntil) : null,
      counts: {
        targeted: num(h.targeted),
        pending: num(h.pending),
        sent: num(h.sent),
        failed: num(h.failed),
        read: num(h.read),
        acknowledged: num(h.acknowledged),
      },
      reminder: {
        round: num(h.round),
        targeted: num(h.r_targeted),
        pending: num(h.r_pending),
        sent: num(h.r_sent),
        failed: num(h.r_failed),
      },
      duplicates: num(h.duplicates),
    };
  }

  /** Keeps `{idx}:active` in line with a state seen; re-adds when a concurrent resend reopened it. */
  private async syncActive(id: string, state: string): Promise<void> {
    if (state === 'sending') {
      await this.c.sadd(this.ik('active'), id);
    } else if (state === 'done' || state === 'cancelled' || state === '') {
      await this.c.srem(this.ik('active'), id);
      const again = await this.c.hget(this.bk(id, 'meta'), 'state');
      if (again === 'sending') await this.c.sadd(this.ik('active'), id);
    }
  }

  // ---- notices ----
  async createNotice(id: string, content: { title: Bilingual; body: Bilingual }, now: number): Promise<NoticeVersionRecord> {
    return this.use(async () => {
      const json = JSON.stringify({ title: copyTexts(content.title), body: copyTexts(content.body), createdAt: now });
      const v = Number(await this.c.nNoticeVersion(this.nk(id, 'meta'), this.nk(id, 'v'), 'create', now, json));
      if (v === 0) throw new BotError('STORE_BAD_ARGUMENT', 'createNotice: the notice id exists');
      await this.c.zadd(this.ik('notices'), now, id);
      return { noticeId: id, version: 1, title: copyTexts(content.title), body: copyTexts(content.body), createdAt: now };
    });
  }

  async addNoticeVersion(id: string, content: { title: Bilingual; body: Bilingual }, now: number): Promise<NoticeVersionRecord | null> {
    return this.use(async () => {
      const json = JSON.stringify({ title: copyTexts(content.title), body: copyTexts(content.body), createdAt: now });
      const v = Number(await this.c.nNoticeVersion(this.nk(id, 'meta'), this.nk(id, 'v'), 'add', now, json));
      if (v < 0) return null;
      return { noticeId: id, version: v, title: copyTexts(content.title), body: copyTexts(content.body), createdAt: now };
    });
  }

  private parseVersion(id: string, version: number, raw: string): NoticeVersionRecord {
    const j = JSON.parse(raw) as { title: Bilingual; body: Bilingual; createdAt: number };
    return { noticeId: id, version, title: copyTexts(j.title), body: copyTexts(j.body), createdAt: j.createdAt };
  }

  async getNoticeVersion(id: string, version?: number): Promise<NoticeVersionRecord | null> {
    return this.use(async () => {
      const v = version ?? num((await this.c.hget(this.nk(id, 'meta'), 'latest')) ?? undefined);
      if (!v) return null;
      const raw = await this.c.hget(this.nk(id, 'v'), String(v));
      return raw ? this.parseVersion(id, v, raw) : null;
    });
  }

  async listNoticeVersions(id: string): Promise<NoticeVersionRecord[]> {
    return this.use(async () => {
      const all = await this.c.hgetall(this.nk(id, 'v'));
      return Object.entries(all)
        .map(([v, raw]) => this.parseVersion(id, Number(v), raw))
        .sort((a, b) => a.version - b.version);
    });
  }

  async listNotices(): Promise<NoticeSummary[]> {
    return this.use(async () => {
      const ids = await this.c.zrevrange(this.ik('notices'), 0, -1);
      const out: NoticeSummary[] = [];
      for (const id of ids) {
        const meta = await this.c.hgetall(this.nk(id, 'meta'));
        if (meta.latest === undefined) continue;
        const raw = await this.c.hget(this.nk(id, 'v'), meta.latest);
        if (!raw) continue;
        const v = this.parseVersion(id, Number(meta.latest), raw);
        out.push({ id, latestVersion: v.version, title: v.title, createdAt: num(meta.createdAt), updatedAt: num(meta.updatedAt) });
      }
      return out;
    });
  }

  // ---- broadcasts ----
  async createBroadcast(b: NewBroadcast, now: number): Promise<BroadcastRecord> {
    return this.use(async () => {
      // The preparation index first: a crash before the broadcast exists leaves an entry that
      // expiredPreparations drops; never a leased broadcast that no index finds.
      if (b.preparation) await this.c.zadd(this.ik('preparing'), Math.round(b.preparation.leaseUntil), b.id);
      const ok = await this.c.nCreateBroadcast(
        ...this.bkeys(b.id, 'meta', 'audit'),
        b.id, b.noticeId, b.version, b.platform, JSON.stringify(b.audience), b.readSupported ? '1' : '0', b.createdBy, now,
        `notice ${b.noticeId} v${b.version} on ${b.platform}, by ${b.createdBy}`,
        b.notBefore ?? '',
        b.preparation?.owner ?? '',
        b.preparation ? Math.round(b.preparation.leaseUntil) : '',
      );
      if (Number(ok) !== 1) throw new BotError('STORE_BAD_ARGUMENT', 'createBroadcast: the broadcast id exists');
      // No recipient yet: its recipients index is complete from birth (every write keeps it).
      await this.c.set(`${this.bk(b.id, 'r')}:ix:v`, INDEX_VERSION);
      await this.c.zadd(this.ik('broadcasts'), now, b.id);
      await this.seal(b.id);
      return this.record((await this.broadcastMeta(b.id))!);
    });
  }

  async addRecipients(broadcastId: string, list: NormalRecipient[], now: number): Promise<number> {
    const args = list.flatMap((r) => [r.userId, JSON.stringify({ s: 'pending', ...(r.name !== null ? { n: r.name } : {}), ...(r.department !== null ? { d: r.department } : {}) })]);
    return this.use(async () => {
      let added = 0;
      const keys = this.bkeys(broadcastId, 'meta', 'r', 'q', 'audit');
      for (let i = 0; i < args.length || i === 0; i += 2 * ADD_CHUNK) {
        const n = Number(await this.c.nAddRecipients(...keys, now, ...args.slice(i, i + 2 * ADD_CHUNK)));
        if (n < 0) throw new BotError('STORE_BAD_ARGUMENT', 'addRecipients: the broadcast is not resolving');
        added += n;
      }
      await this.seal(broadcastId);
      return added;
    });
  }

  private async transition(id: string, op: 'start' | 'fail' | 'cancel', now: number, error = ''): Promise<BroadcastRecord | null> {
    if (op === 'start') await this.c.sadd(this.ik('active'), id); // before: a crash in between leaves it findable
    const state = await this.c.nTransition(...this.bkeys(id, 'meta', 'q', 'rq', 'audit'), op, now, error);
    await this.syncActive(id, state);
    if (state === '') return null;
    await this.seal(id);
    return this.record((await this.broadcastMeta(id))!);
  }

  async startSending(broadcastId: string, now: number): Promise<BroadcastRecord | null> {
    return this.use(() => this.transition(broadcastId, 'start', now));
  }

  async failResolution(broadcastId: string, error: string, now: number): Promise<BroadcastRecord | null> {
    return this.use(() => this.transition(broadcastId, 'fail', now, error));
  }

  async cancel(broadcastId: string, now: number): Promise<BroadcastRecord | null> {
    return this.use(() => this.transition(broadcastId, 'cancel', now));
  }

  // ---- preparation leases: fields prepOwner / prepUntil of the meta hash (the truth), and
  // `{idx}:preparing` (sorted set, score = lease end) to find expired ones (a hint, checked against the meta) ----

  async renewPreparation(broadcastId: string, owner: string, leaseUntil: number, now: number): Promise<boolean> {
    return this.use(async () => {
      const until = Math.round(leaseUntil);
      const ok = Number(await this.c.nPreparation(...this.bkeys(broadcastId, 'meta', 'q', 'rq', 'audit'), 'renew', now, owner, until)) === 1;
      if (ok) await this.c.zadd(this.ik('preparing'), until, broadcastId);
      return ok;
    });
  }

  async endPreparation(broadcastId: string, owner: string, now: number, confirmBy?: number): Promise<void> {
    return this.use(async () => {
      if (confirmBy === undefined) {
        if (Number(await this.c.nPreparation(...this.bkeys(broadcastId, 'meta', 'q', 'rq', 'audit'), 'end', now, owner)) === 1) {
          await this.c.zrem(this.ik('preparing'), broadcastId);
        }
        return;
      }
      // Awaiting the confirm: the hint moves to the deadline after the meta. A crash in between
      // leaves the hint at the lease's end, earlier: expiredPreparations then moves it itself.
      const until = Math.round(confirmBy);
      if (Number(await this.c.nPreparation(...this.bkeys(broadcastId, 'meta', 'q', 'rq', 'audit'), 'end', now, owner, until, AWAITING_CONFIRMATION)) === 1) {
        await this.c.zadd(this.ik('preparing'), until, broadcastId);
      }
    });
  }

  async expiredPreparations(now: number, limit: number): Promise<PreparationLease[]> {
    return this.use(async () => {
      const out: PreparationLease[] = [];
      const ids = await this.c.zrangebyscore(this.ik('preparing'), '-inf', Math.floor(now), 'LIMIT', 0, limit);
      for (const id of ids) {
        const [state, owner, until] = await this.c.hmget(this.bk(id, 'meta'), 'state', 'prepOwner', 'prepUntil');
        // No lease any more (ended, interrupted, broadcast gone or past resolving): drop the hint.
        if (state !== 'resolving' || !until) {
          await this.c.zrem(this.ik('preparing'), id);
          continue;
        }
        // Renewed after its hint was written: move the hint.
        if (Number(until) > now) {
          await this.c.zadd(this.ik('preparing'), Number(until), id);
          continue;
        }
        out.push({ broadcastId: id, owner: owner ?? '', leaseUntil: Number(until) });
      }
      return out.sort((a, b) => a.leaseUntil - b.leaseUntil || (a.broadcastId < b.broadcastId ? -1 : 1));
    });
  }

  async interruptPreparation(broadcastId: string, error: string, now: number): Promise<BroadcastRecord | null> {
    return this.use(async () => {
      const done = Number(await this.c.nPreparation(...this.bkeys(broadcastId, 'meta', 'q', 'rq', 'audit'), 'interrupt', now, error)) === 1;
      if (!done) return null;
      await this.c.zrem(this.ik('preparing'), broadcastId);
      await this.seal(broadcastId);
      return this.record((await this.broadcastMeta(broadcastId))!);
    });
  }

  async getBroadcast(id: string): Promise<BroadcastRecord | null> {
    return this.use(async () => {
      const h = await this.broadcastMeta(id);
      return h ? this.record(h) : null;
    });
  }

  async listBroadcasts(limit = 100): Promise<BroadcastRecord[]> {
    return this.use(async () => {
      const ids = await this.c.zrevrange(this.ik('broadcasts'), 0, Math.max(1, Math.floor(limit)) - 1);
      const out: BroadcastRecord[] = [];
      for (const id of ids) {
        const h = await this.broadcastMeta(id);
        if (h) out.push(this.record(h));
      }
      return out;
    });
  }

  async activeBroadcastIds(): Promise<string[]> {
    return this.use(async () => (await this.c.smembers(this.ik('active'))).sort());
  }

  // ---- claim and settle ----
  async claimBatch(broadcastId: string, o: ClaimOptions, now: number): Promise<ClaimedBatch | null> {
    const claimed = await this.use(async (): Promise<ClaimedBatch | null> => {
      const meta = await this.c.hmget(this.bk(broadcastId, 'meta'), 'platform', 'noticeId', 'version');
      const [platform, noticeId, version] = meta;
      if (!platform || !noticeId || !version) return null;
      const field = `${noticeId}:${version}`;
      const leaseId = randomBytes(8).toString('hex');
      const leaseMs = Math.ceil(o.leaseMs);
      const batch: ClaimedBatch = {
        broadcastId, leaseId, owner: o.owner, kind: 'deliver', round: 0, leaseUntil: now + leaseMs, users: [], takenOver: 0, alreadyDelivered: 0, deferred: 0,
      };
      // Users handled without sending leave the due range, so this loop ends.
      for (;;) {
        const out = await this.c.nClaim(...this.bkeys(broadcastId, 'meta', 'r', 'q', 'rq', 'audit'), now, o.max, leaseMs, leaseId, o.owner);
        const state = String(out[0]);
        if (state !== 'sending') {
          await this.syncActive(broadcastId, state);
          return null;
        }
        const kind = String(out[1]) as ClaimedBatch['kind'];
        const examined = Number(out[3]);
        const claimed: { userId: string; attempts: number; takeover: boolean }[] = [];
        for (let i = 4; i + 2 < out.length; i += 3) {
          claimed.push({ userId: String(out[i]), attempts: Number(out[i + 1]), takeover: String(out[i + 2]) === '1' });
        }
        if (claimed.length === 0) {
          if (examined === 0) return null;
          continue; // every examined reminder was skipped (acknowledged meanwhile): look further
        }
        if (kind === 'remind') {
          batch.kind = 'remind';
          batch.round = Number(out[2]);
          batch.users = claimed.map(({ userId, attempts }) => ({ userId, attempts }));
          batch.takenOver = claimed.filter((c) => c.takeover).length;
          return batch;
        }
        // Check every claimed recipient against the employee's own record (one script per employee).
        const verdicts = await Promise.all(
          claimed.map((c) => this.c.nReserve(this.uk(platform, c.userId), field, broadcastId, now, now + leaseMs)),
        );
        const known: string[][] = [];
        const retry: [string, number, number][] = [];
        claimed.forEach((c, i) => {
          const v = verdicts[i]!.map(String);
          if (v[0] === 'go') {
            batch.users.push({ userId: c.userId, attempts: c.attempts });
            if (c.takeover) batch.takenOver++;
          } else if (v[0] === 'wait') {
            retry.push([c.userId, now + Math.ceil(o.deferMs), 0]);
            batch.deferred++;
          } else {
            known.push([c.userId, v[1] ?? '', v[2] ?? String(now), v[3] ?? '', v[4] ?? '', v[5] ?? '']);
            batch.alreadyDelivered++;
          }
        });
        if (known.length > 0 || retry.length > 0) {
          const payload = JSON.stringify({ sent: [], dups: {}, known, failed: [], retry, rh: '' });
          const r = await this.c.nSettle(...this.bkeys(broadcastId, 'meta', 'r', 'q', 'rq', 'audit', 'fail', 'rh'), now, leaseId, 'deliver', payload);
          await this.syncActive(broadcastId, String(r[0]));
        }
        if (batch.users.length > 0) return batch;
      }
    });
    // Takeovers, recipients recorded as sent without sending and 'done' were audited above.
    await this.use(() => this.seal(broadcastId));
    return claimed;
  }

  async settleBatch(batch: Pick<ClaimedBatch, 'broadcastId' | 'leaseId' | 'kind' | 'round'>, s: BatchSettlement, now: number): Promise<SettleResult> {
    const id = batch.broadcastId;
    return this.use(async () => {
      const [platform, noticeId, version] = await this.c.hmget(this.bk(id, 'meta'), 'platform', 'noticeId', 'version');
      if (!platform || !noticeId || !version) throw new BotError('STORE_BAD_ARGUMENT', 'settleBatch: unknown broadcast');
      const field = `${noticeId}:${version}`;
      const dups: Record<string, string> = {};
      if (batch.kind === 'deliver' && s.sent.length > 0) {
        // Step 1: the fact "sent" per employee, before the broadcast record (a takeover then skips them).
        const marks = await Promise.all(s.sent.map((u) => this.c.nMarkSent(this.uk(platform, u), field, id, now, batch.leaseId)));
        s.sent.forEach((u, i) => {
          const m = marks[i]!.map(String);
          if (m[0] === 'dup') dups[u] = m[1] ?? 'dup';
        });
      }
      const payload = JSON.stringify({
        sent: s.sent,
        dups,
        known: [],
        failed: s.failed.map((f) => [f.userId, f.reason]),
        retry: s.retry.map((r) => [r.userId, Math.round(r.notBefore), r.countsAsAttempt ? 1 : 0]),
        rh: s.readHandle ?? '',
        lang: s.language ?? '',
      });
      const out = await this.c.nSettle(...this.bkeys(id, 'meta', 'r', 'q', 'rq', 'audit', 'fail', 'rh'), now, batch.leaseId, batch.kind, payload);
      const state = String(out[0]) as BroadcastState;
      const stale = out.slice(2).map(String);
      await this.syncActive(id, state);
      if (batch.kind === 'deliver' && s.failed.length > 0) {
        // Step 2 for failures: free the employee's reservation so another broadcast may try.
        const staleSet = new Set(stale);
        await Promise.all(s.failed.filter((f) => !staleSet.has(f.userId)).map((f) => this.c.nRelease(this.uk(platform, f.userId), field, id)));
      }
      await this.seal(id);
      return { applied: Number(out[1]), stale, duplicates: Object.keys(dups), state };
    });
  }

  async renewLease(batch: Pick<ClaimedBatch, 'broadcastId' | 'leaseId' | 'kind'>, userIds: string[], leaseUntil: number, now: number): Promise<number> {
    const id = batch.broadcastId;
    return this.use(async () => {
      if (userIds.length === 0) return 0;
      const held = (await this.c.nRenew(...this.bkeys(id, 'meta', 'r', 'q', 'rq'), batch.leaseId, batch.kind, Math.round(leaseUntil), ...userIds)).map(String);
      if (batch.kind === 'deliver' && held.length > 0) {
        // Keep the employees' reservations as long as the lease (same broadcast: 'go' just moves the end).
        const [platform, noticeId, version] = await this.c.hmget(this.bk(id, 'meta'), 'platform', 'noticeId', 'version');
        if (platform && noticeId && version) {
          await Promise.all(held.map((u) => this.c.nReserve(this.uk(platform, u), `${noticeId}:${version}`, id, now, Math.round(leaseUntil))));
        }
      }
      return held.length;
    });
  }

  async releaseLease(batch: Pick<ClaimedBatch, 'broadcastId' | 'leaseId' | 'kind' | 'owner'>, userIds: string[], now: number): Promise<number> {
    return this.use(async () => {
      if (userIds.length === 0) return 0;
      const released = await this.c.nGiveBack(...this.bkeys(batch.broadcastId, 'meta', 'r', 'q', 'rq', 'audit'), batch.leaseId, batch.kind, now, batch.owner, ...userIds);
      if (released.length > 0) await this.seal(batch.broadcastId);
      return released.length;
    });
  }

  async listRecipients(broadcastId: string): Promise<RecipientRecord[]> {
    return this.use(async () => {
      const all = await this.c.hgetall(this.bk(broadcastId, 'r'));
      return Object.keys(all)
        .sort()
        .map((u) => recipientFromJson(u, JSON.parse(all[u]!) as RecipientJson));
    });
  }

  /**
   * Builds the recipients index of recipients hash `r` when it is missing or of an older form
   * (`:ix:v` not {@link INDEX_VERSION}: a broadcast from before the index, or before its search
   * suffix), a chunk per script run; several instances building at once write the same members.
   */
  private async ensureIndex(r: string): Promise<void> {
    if ((await this.c.get(`${r}:ix:v`)) === INDEX_VERSION) return;
    let cursor = '0';
    do cursor = String(await this.c.nIndexBuild(r, cursor, 1000));
    while (cursor !== '0');
  }

  async queryRecipients(broadcastId: string, q: CheckedRecipientQuery): Promise<RecipientPage | null> {
    const after = q.after ? decodeCursor('r1', q.after) : null;
    if (after !== null && typeof after !== 'string') throw new BotError('STORE_BAD_ARGUMENT', 'cursor: not a cursor of this query', { status: 400 });
    return this.use(async () => {
      if ((await this.c.exists(this.bk(broadcastId, 'meta'))) === 0) return null;
      const r = this.bk(broadcastId, 'r');
      await this.ensureIndex(r);
      const prefixBounds = (head: string): [string, string] => [`[${head}${q.prefix}`, `[${head}${q.prefix}${PREFIX_END}`];
      let segs: [string, string, string][];
      let keyed = true;
      let filter = '';
      if (q.text !== '') {
        // A search (user id prefix, or name / department containing the text): one walk of the whole
        // index of the sort, matching each member's search suffix (no record read but the page's),
        // counting every match and taking the page after the cursor on the way.
        keyed = !(q.sort === 'user' || (q.sort === 'state' && q.state !== undefined));
        segs = [[keyed ? (q.sort === 'state' ? 'k:all' : `t:${q.state ?? 'all'}`) : `u:${q.state ?? 'all'}`, '-', '+']];
        if (this.steps) return this.searchPage(r, segs[0]![0], keyed, q.sort === 'state' ? 1 : 15, q, after, null);
        const withPage = segs.map(([z, min, max]) => [z, min, max, ...pageBounds(min, max, after, q.order)]);
        const out = await this.c.nRecipientPage(r, JSON.stringify({ segs: withPage, keyed, kl: q.sort === 'state' ? 1 : 15, order: q.order, filter: q.prefix, text: q.text, chunk: this.walkChunk, count: true, offset: q.offset, limit: q.limit + 1 }));
        return this.pageOf(out.slice(1), keyed, q.limit, Number(out[0]));
      }
      if (q.sort === 'user' || (q.sort === 'state' && q.state !== undefined)) {
        keyed = false;
        segs = [[`u:${q.state ?? 'all'}`, ...(q.prefix === '' ? (['-', '+'] as [string, string]) : prefixBounds(''))]];
      } else if (q.sort === 'state') {
        segs = Object.values(RECIPIENT_STATE_RANK)
          .sort((a, b) => a - b)
          .map((rank) => ['k:all', ...prefixBounds(`${rank}:`)] as [string, string, string]);
      } else {
        segs = [[`t:${q.state ?? 'all'}`, '-', '+']];
        filter = q.prefix;
      }
      if (filter !== '') {
        // A prefix sorted by time: few matches are gathered through the user index and sorted
        // here; many are found by walking the time index, which then fills a page quickly.
        const users = `${r}:ix:u:${q.state ?? 'all'}`;
        const [lo, hi] = prefixBounds('');
        const total = await this.c.zlexcount(users, lo, hi);
        if (total <= this.gatherMax) return this.gatheredPage(r, users, lo, hi, total, q, after);
        if (this.steps) return this.searchPage(r, segs[0]![0], keyed, 15, q, after, total);
        const out = await this.c.nRecipientPage(r, JSON.stringify({ segs: [[segs[0]![0], '-', '+', ...pageBounds('-', '+', after, q.order)]], keyed, kl: 15, order: q.order, offset: q.offset, limit: q.limit + 1, filter, chunk: this.walkChunk }));
        return this.pageOf(out.slice(1), keyed, q.limit, total);
      }
      if (q.order === 'desc') segs.reverse();
      const withPage = segs.map(([z, min, max]) => [z, min, max, ...pageBounds(min, max, after, q.order)]);
      const out = await this.c.nRecipientPage(r, JSON.stringify({ segs: withPage, keyed, order: q.order, offset: q.offset, limit: q.limit + 1, filter }));
      return this.pageOf(out.slice(1), keyed, q.limit, Number(out[0]));
    });
  }

  /**
   * A page of a search (q.text, user id prefix q.prefix) or of a prefix filter, by walking index
   * `<r>:ix:<zname>` (members '<key>:<userId>' with a key kl characters long when keyed) in the
   * page's order in bounded RECIPIENT_SCAN calls of `walkChunk` members, each sending back only the
   * number of matches and the page's rows.
   *
   * `knownTotal` null: the total is every match. The search cache (`<r>:ix:n`, see notices-lua.ts)
   * may hold it for the index's current generation, with checkpoints of this index: every K-th
   * match in the order walked, at most `maxMarks` ({@link SEARCH_MARKS}) of them (K = 1: every match). Without
   * both, the same walk counts every match (the ones before the cursor too) and records the
   * checkpoints, cached when the generation did not move during the walk. With a total known the
   * walk stops once the page is full, and the checkpoints shorten it: with every match known a page
   * is read from them with no walk; else a page by number starts at the checkpoint before its
   * first row, so it reads about (limit + K) / (share of members matching) members, whatever the page number.
   * Between two calls other clients may write: a recipient whose member moves meanwhile can be
   * missed or met twice by that one walk, as in any paging that is not one transaction.
   */
  private async searchPage(r: string, zname: string, keyed: boolean, kl: number, q: CheckedRecipientQuery, after: string | null, knownTotal: number | null): Promise<RecipientPage> {
    const cache = this.searchCacheKeys(r, zname, q);
    const asc = q.order === 'asc';
    const ks = keyed ? kl + 2 : 1;
    let { total, gen, marks } = knownTotal === null && this.countCache ? await this.readSearchCache(r, cache) : { total: knownTotal, gen: null, marks: null };
    const counting = total === null;
    if (!counting && marks !== null && marks.k === 1 && marks.c.length === total) return this.pageFromMarks(r, marks, keyed, ks, q, after, total!);
    let matches = 0;
    let sameGen = true;
    let skip = q.offset;
    let want = q.limit + 1;
    let k = 1;
    let marked: string[] = [];
    const rows: (string | number | null)[] = [];
    /** Walks members in [min, max] in bounded steps; `page`: collects the page's rows (after `skip` matches). */
    const walk = async (min: string, max: string, page: boolean): Promise<void> => {
      for (;;) {
        const mark = counting && this.countCache ? k : 0;
        const out = await this.c.nRecipientScan(r, `${r}:ix:${zname}`, `${r}:ix:g`, min, max, q.order, ks, keyed ? '1' : '0', q.prefix, q.text, this.walkChunk, page ? skip : 0, page ? want : 0, counting ? '1' : '0', mark, matches);
        const seen = String(out[0]);
        if (gen === null) gen = seen;
        else if (seen !== gen) sameGen = false;
        matches += Number(out[1]);
        const next = String(out[2] ?? '');
        const got = Number(out[4]);
        if (page) {
          skip = Number(out[3]);
          rows.push(...out.slice(5, 5 + got));
          want -= got / 2;
        }
        if (mark > 0) {
          for (const m of out.slice(5 + got)) marked.push(String(m));
          while (marked.length > this.maxMarks) {
            marked = marked.filter((_, i) => i % 2 === 0);
            k *= 2;
          }
        }
        if (next === '' || (page && want === 0 && !counting)) return;
        if (asc) min = `(${next}`;
        else max = `(${next}`;
      }
    };
    // The other side of a bound: '(x' <-> '[x'.
    const flip = (b: string) => (b.startsWith('(') ? `[${b.slice(1)}` : `(${b.slice(1)}`);
    let [pmin, pmax] = pageBounds('-', '+', after, q.order);
    if (!counting && after === null && marks !== null && total! > 0) {
      // A page by number: start at the checkpoint at or before its first row, in the page's order.
      if (q.offset >= total!) return this.pageOf([], keyed, q.limit, total!);
      const start = checkpointBefore(marks, q.order, q.offset, total!);
      if (start) {
        skip = q.offset - start.at;
        if (asc) pmin = `[${start.member}`;
        else pmax = `[${start.member}`;
      }
    }
    if (counting && after !== null) {
      // The matches before the cursor count too.
      if (pmin === '') await walk('-', '+', false);
      else if (asc && pmin !== '-') await walk('-', flip(pmin), false);
      else if (!asc && pmax !== '+') await walk(flip(pmax), '+', false);
    }
    if (pmin !== '') await walk(pmin, pmax, true);
    if (counting) {
      total = matches;
      if (this.countCache && sameGen && gen !== null) {
        const cp: SearchMarks = { g: gen, k, o: q.order, c: marked };
        await this.c.nSearchCountPut(cache.key, SEARCH_COUNT_TTL_MS, SEARCH_COUNT_MAX, cache.totalField, `${gen}:${total}`, cache.marksField, JSON.stringify(cp));
      }
    }
    return this.pageOf(rows, keyed, q.limit, total!);
  }

  /** Where a search's cached total and checkpoints live: hash `<r>:ix:n`, one field per search and one per search and index. */
  private searchCacheKeys(r: string, zname: string, q: CheckedRecipientQuery): { key: string; totalField: string; marksField: string } {
    return {
      key: `${r}:ix:n`,
      totalField: JSON.stringify([q.state ?? 'all', q.prefix, q.text]),
      marksField: JSON.stringify([q.state ?? 'all', q.prefix, q.text, zname]),
    };
  }

  /**
   * The index generation and, when cached for it, the search's total and this index's checkpoints. A total cached by
   * a search on another index without checkpoints here is not used (the walk counts again to record them).
   */
  private async readSearchCache(r: string, cache: { key: string; totalField: string; marksField: string }): Promise<{ total: number | null; gen: string; marks: SearchMarks | null }> {
    const res = (await this.c.pipeline().get(`${r}:ix:g`).hget(cache.key, cache.totalField).hget(cache.key, cache.marksField).exec()) ?? [];
    for (const [err] of res) if (err) throw err;
    const gen = (res[0]?.[1] as string | null) ?? '0';
    const cached = res[1]?.[1] as string | null;
    const cut = cached ? cached.indexOf(':') : -1;
    if (!cached || cached.slice(0, cut) !== gen) return { total: null, gen, marks: null };
    const m = res[2]?.[1] as string | null;
    const marks = m ? (JSON.parse(m) as SearchMarks) : null;
    return marks && marks.g === gen ? { total: Number(cached.slice(cut + 1)), gen, marks } : { total: null, gen, marks: null };
  }

  /** A page read from checkpoints that hold every match (K = 1) in the order walked: no walk. */
  private async pageFromMarks(r: string, marks: SearchMarks, keyed: boolean, ks: number, q: CheckedRecipientQuery, after: string | null, total: number): Promise<RecipientPage> {
    const base = (m: string) => m.split('\u0000', 1)[0]!;
    const asc = q.order === 'asc';
    const all = marks.o === q.order ? marks.c : [...marks.c].reverse();
    let i0 = q.offset;
    if (after !== null) {
      let lo = 0;
      let hi = all.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const cmp = byteCompare(base(all[mid]!), after);
        if (asc ? cmp > 0 : cmp < 0) hi = mid;
        else lo = mid + 1;
      }
      i0 += lo;
    }
    const page = all.slice(i0, i0 + q.limit + 1).map(base);
    const records = page.length > 0 ? await this.c.hmget(r, ...page.map((m) => (keyed ? m.slice(ks - 1) : m))) : [];
    return this.pageOf(page.flatMap((m, i) => [m, records[i] ?? null]), keyed, q.limit, total);
  }

  /** A page from [member, record JSON, member, record JSON, …] (up to limit + 1 rows: one more = a next page). */
  private pageOf(flat: (string | number | null)[], keyed: boolean, limit: number, total: number): RecipientPage {
    const rows: { member: string; view: RecipientView }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const member = String(flat[i]);
      const userId = keyed ? member.slice(member.indexOf(':') + 1) : member;
      rows.push({ member, view: recipientView(recipientFromJson(userId, JSON.parse(String(flat[i + 1] ?? '{"s":"pending"}')) as RecipientJson)) });
    }
    const page = rows.slice(0, limit);
    return { recipients: page.map((x) => x.view), total, next: rows.length > limit ? encodeCursor('r1', page[page.length - 1]!.member) : null };
  }

  /**
   * A time-sorted page of the (at most {@link GATHER_MAX}) users of `users` in [lo, hi]: their
   * '<time>:<userId>' keys read from the index hash, sorted by bytes, paged here.
   */
  private async gatheredPage(r: string, users: string, lo: string, hi: string, total: number, q: { order: 'asc' | 'desc'; offset: number; limit: number }, after: string | null): Promise<RecipientPage> {
    // Members without their search suffix (after NUL) are the user ids.
    const ids = total > 0 ? (await this.c.zrangebylex(users, lo, hi)).map((m) => m.split('\u0000', 1)[0]!) : [];
    const states = ids.length > 0 ? await this.c.hmget(`${r}:ix`, ...ids) : [];
    let members = ids.map((u, i) => `${(states[i] ?? 'pending|000000000000000').split('|')[1]}:${u}`).sort(byteCompare);
    if (q.order === 'desc') members.reverse();
    if (after !== null) members = members.filter((m) => (q.order === 'asc' ? byteCompare(m, after) > 0 : byteCompare(m, after) < 0));
    const page = members.slice(q.offset, q.offset + q.limit + 1);
    const records = page.length > 0 ? await this.c.hmget(r, ...page.map((m) => m.slice(m.indexOf(':') + 1))) : [];
    return this.pageOf(page.flatMap((m, i) => [m, records[i] ?? null]), true, q.limit, total);
  }

  async timeline(broadcastId: string, edges: readonly number[]): Promise<{ read: number[]; acknowledged: number[] } | null> {
    return this.use(async () => {
      if ((await this.c.exists(this.bk(broadcastId, 'meta'))) === 0) return null;
      const r = this.bk(broadcastId, 'r');
      await this.ensureIndex(r);
      const pad = (t: number) => String(t).padStart(15, '0');
      // Members are '<15-digit time>:<userId>' with score 0: one ZLEXCOUNT per interval, O(log N) each, in one pipeline.
      // `:ix:ra` is written by every recipient write from this version on (ixput): a read recorded earlier on a
      // broadcast whose index was already complete is counted once the record is written again (e.g. acknowledged).
      const pipe = this.c.pipeline();
      for (const z of [`${r}:ix:ra`, `${r}:ix:t:acknowledged`]) {
        for (let i = 0; i + 1 < edges.length; i++) pipe.zlexcount(z, `[${pad(edges[i]!)}`, `(${pad(edges[i + 1]!)}`);
      }
      const out = ((await pipe.exec()) ?? []).map(([err, n]) => {
        if (err) throw err;
        return Number(n);
      });
      const k = edges.length - 1;
      return { read: out.slice(0, k), acknowledged: out.slice(k) };
    });
  }

  async listFailures(broadcastId: string, limit = 1000): Promise<{ userId: string; reason: string }[]> {
    return this.use(async () => {
      const all = await this.c.hgetall(this.bk(broadcastId, 'fail'));
      return Object.keys(all)
        .sort()
        .slice(0, Math.max(1, Math.floor(limit)))
        .map((userId) => ({ userId, reason: all[userId]! }));
    });
  }

  async resend(broadcastId: string, only: ResendTarget, now: number, by?: string): Promise<{ queued: number; round: number } | null> {
    return this.use(async () => {
      await this.c.sadd(this.ik('active'), broadcastId); // before: see transition()
      const out = await this.c.nResend(...this.bkeys(broadcastId, 'meta', 'r', 'q', 'rq', 'audit', 'fail', 'rounds'), now, only, by ?? '');
      const code = Number(out[0]);
      if (code === -1) {
        await this.c.srem(this.ik('active'), broadcastId);
        return null;
      }
      if (code === -2) {
        await this.syncActive(broadcastId, String(out[1]));
        throw new BotError('STORE_BAD_ARGUMENT', `resend: the broadcast is ${String(out[1])}`);
      }
      await this.syncActive(broadcastId, String(out[2]));
      await this.seal(broadcastId);
      return { queued: code, round: Number(out[1]) };
    });
  }

  /**
   * Every reminder round, from `{b:X}:rounds`. A broadcast with fewer rounds there than its latest
   * round number (`round` in `:meta`) had rounds queued before they were recorded (or by an older
   * instance): those are read once from the audit list's "reminder round N queued for K …" entries
   * and added with HSETNX (so a round recorded meanwhile, with its `by`, is kept, and two readers at
   * once agree).
   */
  async listReminderRounds(broadcastId: string): Promise<ReminderRound[]> {
    return this.use(async () => {
      const key = this.bk(broadcastId, 'rounds');
      const [latest, all] = await Promise.all([this.c.hget(this.bk(broadcastId, 'meta'), 'round'), this.c.hgetall(key)]);
      let rounds = all;
      const n = latest === null ? 0 : num(latest);
      if (Object.keys(rounds).length < n) {
        for (const raw of await this.c.lrange(this.bk(broadcastId, 'audit'), 0, -1)) {
          const e = JSON.parse(raw) as AuditJson;
          const m = e.u === undefined ? REMINDER_QUEUED.exec(e.r) : null;
          if (m && rounds[m[1]!] === undefined) await this.c.hsetnx(key, m[1]!, JSON.stringify({ at: Math.round(e.at), q: Number(m[2]) }));
        }
        rounds = await this.c.hgetall(key);
      }
      return Object.entries(rounds)
        .map(([round, raw]) => {
          const j = JSON.parse(raw) as { at: number; q: number; by?: string };
          return { round: Number(round), at: j.at, queued: j.q, by: j.by ?? null };
        })
        .sort((a, b) => a.round - b.round);
    });
  }

  // ---- read and acknowledgement ----
  async markRead(broadcastId: string, reads: { userId: string; readAt: number }[], now: number): Promise<number> {
    return this.use(async () => {
      const [platform, noticeId, version] = await this.c.hmget(this.bk(broadcastId, 'meta'), 'platform', 'noticeId', 'version');
      if (!platform || !noticeId || !version) return 0;
      const field = `${noticeId}:${version}`;
      let fresh = 0;
      const touched = new Set<string>();
      for (const { userId, readAt } of reads) {
        const raw = await this.c.nReadUser(this.uk(platform, userId), field, Math.round(readAt));
        const targets = [broadcastId];
        if (raw) {
          const j = JSON.parse(raw) as UserJson;
          for (const b of [j.b, ...alsoOf(j)]) if (!targets.includes(b)) targets.push(b);
        }
        for (const b of targets) {
          const changed = Number(await this.c.nSync(...this.bkeys(b, 'meta', 'r', 'audit'), now, userId, Math.round(readAt), '', ''));
          if (changed === 1) touched.add(b);
          if (b === broadcastId && changed === 1) fresh++;
        }
      }
      await this.sealAll(touched);
      return fresh;
    });
  }

  async acknowledge(platform: string, userId: string, target: AckTarget, channel: AckChannel, now: number): Promise<AckOutcome> {
    return this.use(async (): Promise<AckOutcome> => {
      const field = target === 'latest' ? '' : `${target.noticeId}:${target.version}`;
      const out = (await this.c.nAckUser(this.uk(platform, userId), now, channel, field)).map(String);
      if (out[0] === 'none') return { kind: 'not-found' };
      const j = JSON.parse(out[2]!) as UserJson;
      // Every broadcast counting this employee for this version; repeated on 'already' so a
      // crash between the two steps of an earlier acknowledgement is repaired.
      const touched: string[] = [];
      for (const b of [j.b, ...alsoOf(j)]) {
        if (Number(await this.c.nSync(...this.bkeys(b, 'meta', 'r', 'audit'), now, userId, '', j.aa ?? now, j.ac ?? channel)) === 1) touched.push(b);
      }
      await this.sealAll(touched);
      const record = this.userRecord(platform, userId, out[1]!, j);
      return { kind: out[0] === 'ok' ? 'acknowledged' : 'already', record };
    });
  }

  private userRecord(platform: string, userId: string, field: string, j: UserJson): UserNoticeRecord {
    const cut = field.lastIndexOf(':');
    return {
      platform,
      userId,
      noticeId: field.slice(0, cut),
      version: Number(field.slice(cut + 1)),
      broadcastId: j.b,
      sentAt: j.t ?? 0,
      readAt: j.ra ?? null,
      acknowledgedAt: j.aa ?? null,
      ackChannel: j.ac ?? null,
    };
  }

  async userNotices(platform: string, userId: string): Promise<UserNoticeRecord[]> {
    return this.use(async () => {
      const all = await this.c.hgetall(this.uk(platform, userId));
      return Object.entries(all)
        .map(([field, raw]) => ({ field, j: JSON.parse(raw) as UserJson }))
        .filter(({ j }) => j.s === 's')
        .map(({ field, j }) => this.userRecord(platform, userId, field, j))
        .sort((a, b) => b.sentAt - a.sentAt || (a.noticeId < b.noticeId ? -1 : a.noticeId > b.noticeId ? 1 : b.version - a.version));
    });
  }

  // ---- read handles, audit ----
  async listReadHandles(broadcastId: string): Promise<ReadHandleRecord[]> {
    return this.use(async () => {
      const all = await this.c.hgetall(this.bk(broadcastId, 'rh'));
      return Object.entries(all)
        .map(([handle, raw]) => ({ handle, j: JSON.parse(raw) as { u: string[] | Record<string, never>; t: number; f: number } }))
        .filter(({ j }) => j.f !== 1)
        .map(({ handle, j }) => ({ broadcastId, handle, userIds: Array.isArray(j.u) ? j.u : [], sentAt: j.t }))
        .sort((a, b) => a.sentAt - b.sentAt || (a.handle < b.handle ? -1 : 1));
    });
  }

  async finishReadHandle(broadcastId: string, handle: string): Promise<void> {
    return this.use(async () => {
      const key = this.bk(broadcastId, 'rh');
      const raw = await this.c.hget(key, handle);
      if (!raw) return;
      const j = JSON.parse(raw) as { f: number };
      j.f = 1;
      await this.c.hset(key, handle, JSON.stringify(j));
    });
  }

  /** Seals first, then returns the sealed entries (entries appended meanwhile wait for the next call). */
  async listAudit(broadcastId: string): Promise<AuditEvent[]> {
    return this.use(async () => {
      await this.seal(broadcastId);
      const raw = await this.c.lrange(this.bk(broadcastId, 'audit'), 0, -1);
      const out: AuditEvent[] = [];
      for (const line of raw) {
        const e = JSON.parse(line) as AuditJson;
        if (e.h === undefined || e.p === undefined || e.n === undefined) break;
        out.push({ at: e.at, broadcastId, userId: e.u ?? null, from: e.f, to: e.t, reason: e.r, seq: e.n, prevHash: e.p, hash: e.h });
      }
      return out;
    });
  }

  async auditHead(broadcastId: string): Promise<AuditChainHead | null> {
    return this.use(async () => {
      await this.seal(broadcastId);
      const [rows, hash] = await this.c.hmget(this.bk(broadcastId, 'meta'), 'chainN', 'chainHead');
      return rows && hash ? { rows: Number(rows), hash } : null;
    });
  }

  async ping(): Promise<void> {
    return this.use(async () => {
      const answer = await this.c.ping();
      if (answer !== 'PONG') throw new Error(`unexpected PING answer ${answer}`);
    });
  }

  /** Closes the connection (every part on it). */
  close(): Promise<void> {
    return this.conn.close();
  }
}

/** `{zh, en, zh-TW?}` with only the known languages (zh-TW left out when not written; old versions have none). */
function copyTexts(b: Bilingual): Bilingual {
  return b['zh-TW'] ? { zh: b.zh, en: b.en, 'zh-TW': b['zh-TW'] } : { zh: b.zh, en: b.en };
}
