import type { Redis } from 'ioredis';
import { botError, BotError } from '../../errors.ts';
import { newestFirst, policyExists, type PolicyFilter, type PolicyRecord, type PolicyStore } from '../ports/policies.ts';
import { checkedPolicyStore } from '../ports/checked.ts';
import { DEFAULT_KEY_PREFIX } from './store.ts';
import { connectRedisClient, createStoreConnection, type RedisConnection } from './connect.ts';

/** Default command timeout of the policy and notice parts, in ms. */
export const POLICY_COMMAND_TIMEOUT_MS = 5000;

/** Options of {@link openRedisPolicyStore}. */
export interface RedisPolicyStoreOptions {
  /** Namespace before every key; default 'privacy-bot:' (the main store's). Must not contain '{' or '}'. */
  keyPrefix?: string;
  /** Give up connecting at open after this many ms; default 3000. */
  connectTimeoutMs?: number;
  /** A command that gets no answer fails after this many ms; default 5000. */
  commandTimeoutMs?: number;
}

/** Members written per HSET while caching a department. */
const MEMBER_CHUNK = 1000;
/**
 * Extra life of a cached department's key beyond its logical expiry, in ms. Freshness is decided
 * by the stored expiry against the caller's `now`; the key's own PEXPIRE only collects garbage.
 */
const GC_SLACK_MS = 60_000;
/** Hash field of a cached department holding its expiry (user ids are never empty). */
const EXPIRY_FIELD = '';

/** KEYS[1] = records hash, KEYS[2] = revision; ARGV = id, JSON. 1 = created, 0 = id taken. */
const CREATE_LUA = `if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('INCR', KEYS[2])
return 1`;

/**
 * KEYS[1] = records hash, KEYS[2] = revision; ARGV = id, now. Returns the record JSON after the
 * change (unchanged when already withdrawn), or false when there is no such policy.
 */
const WITHDRAW_LUA = `local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return false end
local p = cjson.decode(raw)
if p.state ~= 'active' then return raw end
p.state = 'withdrawn'
p.updatedAt = tonumber(ARGV[2])
p.withdrawnAt = tonumber(ARGV[2])
raw = cjson.encode(p)
redis.call('HSET', KEYS[1], ARGV[1], raw)
redis.call('INCR', KEYS[2])
return raw`;

type Scripted = Redis & {
  pCreate(recordsKey: string, revisionKey: string, id: string, json: string): Promise<number>;
  pWithdraw(recordsKey: string, revisionKey: string, id: string, now: number): Promise<string | null>;
};

/**
 * The policy part of the Redis store on `conn` (ioredis 5, the connection shared with the other
 * parts; any `REDIS_URL` form of ./connect.ts: one server, Sentinel or Cluster): defines its
 * scripts on the client and returns the policy port without argument checks
 * (src/store/ports/checked.ts runs them; times arrive as whole ms). Its `close()` closes `conn`
 * (every part on it).
 *
 * Key layout under the connection's prefix (the main store's namespace, distinct key names):
 * - `{pol}:rec` — hash policy id -> policy JSON (withdrawn policies stay);
 * - `{pol}:rev` — the revision counter, INCR on every create and withdraw (same hash tag, so the
 *   scripts that write a record and bump the revision are atomic on a Redis Cluster too);
 * - `{pd:<platform>:<departmentId>}` — one cached department: a hash whose field '' holds the
 *   expiry (ms) and whose other fields are the member user ids; written whole in one MULTI;
 *   platform and department id URI-encoded.
 *
 * Policies are few (tens), so listing reads the hash and sorts in the process. Empty JSON arrays
 * survive cjson in the withdraw script because every array in a record is non-empty.
 *
 */
export function redisPolicyPart(conn: RedisConnection): PolicyStore {
  const c = conn.client as Scripted;
  c.defineCommand('pCreate', { numberOfKeys: 2, lua: CREATE_LUA });
  c.defineCommand('pWithdraw', { numberOfKeys: 2, lua: WITHDRAW_LUA });
  return new RedisPolicyStore(conn);
}

/**
 * Opens a Redis connection holding the policy part alone (its own client), with the argument
 * checks in front. The bot opens every part over one connection with `openStores`
 * (src/store/index.ts); this is for tests and tools.
 * @throws BotError 'STORE_UNAVAILABLE' (URL with password masked) when Redis cannot be reached at
 *   open; 'STORE_BAD_ARGUMENT' for a key prefix with braces.
 */
export async function openRedisPolicyStore(url: string, options: RedisPolicyStoreOptions = {}): Promise<PolicyStore> {
  const conn = createStoreConnection(url, options.keyPrefix ?? DEFAULT_KEY_PREFIX, {
    connectTimeoutMs: options.connectTimeoutMs ?? 3000,
    commandTimeoutMs: options.commandTimeoutMs ?? POLICY_COMMAND_TIMEOUT_MS,
  });
  const policies = redisPolicyPart(conn);
  await connectRedisClient(conn.client, 'Redis policy store', conn.shown);
  return checkedPolicyStore(policies);
}

/** A record from its JSON; fields are named as in {@link PolicyRecord}. */
function fromJson(raw: string): PolicyRecord {
  const p = JSON.parse(raw) as PolicyRecord & { withdrawnAt?: number | null };
  return { ...p, withdrawnAt: p.withdrawnAt ?? null };
}

class RedisPolicyStore implements PolicyStore {
  readonly kind = 'redis' as const;
  private readonly c: Scripted;
  private readonly prefix: string;
  private readonly shownUrl: string;

  constructor(private readonly conn: RedisConnection) {
    this.c = conn.client as Scripted;
    this.prefix = conn.prefix;
    this.shownUrl = conn.shown;
  }

  private get recordsKey(): string {
    return `${this.prefix}{pol}:rec`;
  }
  private get revisionKey(): string {
    return `${this.prefix}{pol}:rev`;
  }
  private departmentKey(platform: string, departmentId: string): string {
    return `${this.prefix}{pd:${encodeURIComponent(platform)}:${encodeURIComponent(departmentId)}}`;
  }

  private async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.conn.closed) throw botError('STORE_UNAVAILABLE', `Redis policy store ${this.shownUrl} is closed`);
    try {
      return await fn();
    } catch (err) {
      if (err instanceof BotError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw botError('STORE_UNAVAILABLE', `Redis policy store ${this.shownUrl}: ${reason}`, { cause: err });
    }
  }

  createPolicy(policy: PolicyRecord): Promise<void> {
    return this.use(async () => {
      const json = JSON.stringify({ ...policy, createdAt: Math.round(policy.createdAt), updatedAt: Math.round(policy.updatedAt), withdrawnAt: null });
      const created = await this.c.pCreate(this.recordsKey, this.revisionKey, policy.id, json);
      if (Number(created) !== 1) throw policyExists(policy.id);
    });
  }

  getPolicy(id: string): Promise<PolicyRecord | null> {
    return this.use(async () => {
      const raw = await this.c.hget(this.recordsKey, id);
      return raw === null ? null : fromJson(raw);
    });
  }

  listPolicies(filter: PolicyFilter = {}): Promise<PolicyRecord[]> {
    return this.use(async () => {
      const all = Object.values(await this.c.hgetall(this.recordsKey)).map(fromJson);
      return all
        .filter((p) => (filter.platform === undefined || p.platform === filter.platform) && (filter.state === undefined || p.state === filter.state))
        .sort(newestFirst);
    });
  }

  withdrawPolicy(id: string, now: number): Promise<PolicyRecord | null> {
    return this.use(async () => {
      const raw = await this.c.pWithdraw(this.recordsKey, this.revisionKey, id, now);
      return raw === null ? null : fromJson(raw);
    });
  }

  revision(): Promise<number> {
    return this.use(async () => Number((await this.c.get(this.revisionKey)) ?? 0));
  }

  cacheDepartment(platform: string, departmentId: string, userIds: string[], now: number, ttlMs: number): Promise<void> {
    return this.use(async () => {
      const ttl = ttlMs;
      const expires = now + ttl;
      const key = this.departmentKey(platform, departmentId);
      const multi = this.c.multi().del(key).hset(key, EXPIRY_FIELD, String(expires));
      for (let i = 0; i < userIds.length; i += MEMBER_CHUNK) {
        const chunk = userIds.slice(i, i + MEMBER_CHUNK);
        multi.hset(key, Object.fromEntries(chunk.map((u) => [u, '1'])));
      }
      multi.pexpire(key, ttl + GC_SLACK_MS);
      const results = await multi.exec();
      if (results === null) throw new Error('transaction aborted');
      const failed = results.find(([err]) => err);
      if (failed) throw failed[0];
    });
  }

  isDepartmentMember(platform: string, departmentId: string, userId: string, now: number): Promise<boolean | null> {
    return this.use(async () => {
      const at = now;
      const [expires, member] = await this.c.hmget(this.departmentKey(platform, departmentId), EXPIRY_FIELD, userId);
      if (expires === null || expires === undefined || Number(expires) <= at) return null;
      return member !== null && member !== undefined;
    });
  }

  ping(): Promise<void> {
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
