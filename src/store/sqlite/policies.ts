import { migrateSqlite, openSqliteDatabase, sqliteUnavailable, type SqliteFile, type SqliteSchema } from './open.ts';
import Database from 'better-sqlite3';
import { botError, BotError } from '../../errors.ts';
import type { Audience } from '../ports/notices.ts';
import { policyExists, type PolicyFilter, type PolicyRecord, type PolicyStore } from '../ports/policies.ts';
import { checkedPolicyStore } from '../ports/checked.ts';

/**
 * Schema of the policy tables, applied in order at open (table `policy_schema_version`). Append
 * only — never edit a released entry. Same file as the main store, own version counter.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE policy (
     id           TEXT PRIMARY KEY,
     platform     TEXT NOT NULL,
     audience     TEXT NOT NULL,            -- JSON
     since        TEXT NOT NULL,
     scope        TEXT NOT NULL,
     retention    TEXT NOT NULL,
     purpose      TEXT NOT NULL,
     legal_basis  TEXT NOT NULL,
     viewers      TEXT NOT NULL,            -- JSON array
     state        TEXT NOT NULL CHECK (state IN ('active', 'withdrawn')),
     created_by   TEXT NOT NULL,
     created_at   INTEGER NOT NULL,
     updated_at   INTEGER NOT NULL,
     withdrawn_at INTEGER
   ) WITHOUT ROWID;
   CREATE INDEX policy_platform ON policy (platform, state);
   CREATE TABLE policy_revision (revision INTEGER NOT NULL);
   INSERT INTO policy_revision (revision) VALUES (0);
   CREATE TABLE policy_department (
     platform      TEXT NOT NULL,
     department_id TEXT NOT NULL,
     expires_at    INTEGER NOT NULL,
     PRIMARY KEY (platform, department_id)
   ) WITHOUT ROWID;
   CREATE TABLE policy_department_member (
     platform      TEXT NOT NULL,
     department_id TEXT NOT NULL,
     user_id       TEXT NOT NULL,
     PRIMARY KEY (platform, department_id, user_id)
   ) WITHOUT ROWID;`,
];

interface PolicyRow {
  id: string;
  platform: string;
  audience: string;
  since: string;
  scope: string;
  retention: string;
  purpose: string;
  legal_basis: string;
  viewers: string;
  state: 'active' | 'withdrawn';
  created_by: string;
  created_at: number;
  updated_at: number;
  withdrawn_at: number | null;
}

function record(r: PolicyRow): PolicyRecord {
  return {
    id: r.id,
    platform: r.platform,
    audience: JSON.parse(r.audience) as Audience,
    since: r.since,
    scope: r.scope,
    retention: r.retention,
    purpose: r.purpose,
    legalBasis: r.legal_basis,
    viewers: JSON.parse(r.viewers) as string[],
    state: r.state,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    withdrawnAt: r.withdrawn_at,
  };
}

function unavailable(path: string, err: unknown): BotError {
  return sqliteUnavailable('policy store', path, err);
}

/** The policy part's schema (table `policy_schema_version`). */
export const POLICY_SCHEMA: SqliteSchema = { what: 'policy store', versionTable: 'policy_schema_version', migrations: MIGRATIONS };

/**
 * The policy part of the embedded store on `file` (the connection shared with the other parts,
 * ./open.ts): brings the policy tables up to date (table `policy_schema_version`) and returns the
 * policy port without argument checks (src/store/ports/checked.ts runs them; times arrive as whole
 * ms); its `close()` closes `file` (every part on it). Writes are IMMEDIATE transactions, so
 * several processes on one file agree. Department members are rows (platform, department, user),
 * so a membership question is one primary-key lookup whatever the department's size.
 * @throws BotError 'STORE_UNAVAILABLE' naming the file when it has a newer policy schema than this
 *   program knows or the migration fails.
 */
export function sqlitePolicyPart(file: SqliteFile): PolicyStore {
  migrateSqlite(file, POLICY_SCHEMA);
  return new SqlitePolicyStore(file);
}

/**
 * Opens (creating if needed) an embedded store file and its policy part alone, with the argument
 * checks in front; the bot opens every part over one connection with `openStores`
 * (src/store/index.ts). For tests and tools.
 * @throws BotError 'STORE_UNAVAILABLE' naming the file when it cannot be opened or has a newer
 *   policy schema than this program knows.
 */
export function openSqlitePolicyStore(file: string): PolicyStore {
  return checkedPolicyStore(new SqlitePolicyStore(openSqliteDatabase(file, POLICY_SCHEMA)));
}

class SqlitePolicyStore implements PolicyStore {
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
      insert: p(
        `INSERT INTO policy (id, platform, audience, since, scope, retention, purpose, legal_basis, viewers, state, created_by, created_at, updated_at, withdrawn_at)
         VALUES (@id, @platform, @audience, @since, @scope, @retention, @purpose, @legalBasis, @viewers, 'active', @createdBy, @createdAt, @updatedAt, NULL)`,
      ),
      exists: p('SELECT 1 FROM policy WHERE id = ?').pluck(),
      get: p('SELECT * FROM policy WHERE id = ?'),
      list: p(
        `SELECT * FROM policy WHERE (@platform IS NULL OR platform = @platform) AND (@state IS NULL OR state = @state)
         ORDER BY created_at DESC, id DESC`,
      ),
      withdraw: p("UPDATE policy SET state = 'withdrawn', updated_at = @now, withdrawn_at = @now WHERE id = @id AND state = 'active'"),
      bump: p('UPDATE policy_revision SET revision = revision + 1'),
      revision: p('SELECT revision FROM policy_revision').pluck(),
      deleteMembers: p('DELETE FROM policy_department_member WHERE platform = ? AND department_id = ?'),
      insertMember: p('INSERT OR IGNORE INTO policy_department_member (platform, department_id, user_id) VALUES (?, ?, ?)'),
      upsertDepartment: p(
        `INSERT INTO policy_department (platform, department_id, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (platform, department_id) DO UPDATE SET expires_at = excluded.expires_at`,
      ),
      departmentExpiry: p('SELECT expires_at FROM policy_department WHERE platform = ? AND department_id = ?').pluck(),
      isMember: p('SELECT 1 FROM policy_department_member WHERE platform = ? AND department_id = ? AND user_id = ?').pluck(),
    };
  }

  private use<T>(fn: () => T): Promise<T> {
    if (this.file.closed) return Promise.reject(botError('STORE_UNAVAILABLE', `SQLite policy store ${this.path} is closed`));
    try {
      return Promise.resolve(fn());
    } catch (err) {
      if (err instanceof BotError) return Promise.reject(err);
      return Promise.reject(unavailable(this.path, err));
    }
  }

  createPolicy(policy: PolicyRecord): Promise<void> {
    return this.use(() => {
      this.db
        .transaction(() => {
          if (this.s.exists.get(policy.id)) throw policyExists(policy.id);
          this.s.insert.run({
            ...policy,
            audience: JSON.stringify(policy.audience),
            viewers: JSON.stringify(policy.viewers),
            createdAt: Math.round(policy.createdAt),
            updatedAt: Math.round(policy.updatedAt),
          });
          this.s.bump.run();
        })
        .immediate();
    });
  }

  getPolicy(id: string): Promise<PolicyRecord | null> {
    return this.use(() => {
      const row = this.s.get.get(id) as PolicyRow | undefined;
      return row ? record(row) : null;
    });
  }

  listPolicies(filter: PolicyFilter = {}): Promise<PolicyRecord[]> {
    return this.use(() => {
      const rows = this.s.list.all({ platform: filter.platform ?? null, state: filter.state ?? null }) as PolicyRow[];
      return rows.map(record);
    });
  }

  withdrawPolicy(id: string, now: number): Promise<PolicyRecord | null> {
    return this.use(() => {
      return this.db
        .transaction(() => {
          if (this.s.withdraw.run({ id, now }).changes > 0) this.s.bump.run();
          const row = this.s.get.get(id) as PolicyRow | undefined;
          return row ? record(row) : null;
        })
        .immediate();
    });
  }

  revision(): Promise<number> {
    return this.use(() => Number(this.s.revision.get()));
  }

  cacheDepartment(platform: string, departmentId: string, userIds: string[], now: number, ttlMs: number): Promise<void> {
    return this.use(() => {
      const expires = now + ttlMs;
      this.db
        .transaction(() => {
          this.s.deleteMembers.run(platform, departmentId);
          for (const u of userIds) this.s.insertMember.run(platform, departmentId, u);
          this.s.upsertDepartment.run(platform, departmentId, expires);
        })
        .immediate();
    });
  }

  isDepartmentMember(platform: string, departmentId: string, userId: string, now: number): Promise<boolean | null> {
    return this.use(() => {
      return this.db.transaction(() => {
        const expires = this.s.departmentExpiry.get(platform, departmentId) as number | undefined;
        if (expires === undefined || expires <= now) return null;
        return this.s.isMember.get(platform, departmentId, userId) !== undefined;
      })();
    });
  }

  ping(): Promise<void> {
    return this.use(() => {
      this.db.prepare('SELECT 1').get();
    });
  }

  /** Closes the file (every part on it). */
  close(): Promise<void> {
    this.file.close();
    return Promise.resolve();
  }
}
