import type { Redis } from 'ioredis';
import { botError, BotError } from '../../errors.ts';
import { checkedStore } from '../ports/checked.ts';
import type { ArchivingStatus, Store } from '../ports/store.ts';
import { connectRedisClient, createStoreConnection, maskRedisUrl, type RedisConnection } from './connect.ts';

/** Options of {@link openRedisStore}. */
export interface RedisStoreOptions {
  /** Namespace put before every key; default 'privacy-bot:'. Must not contain '{' or '}'. */
  keyPrefix?: string;
  /** Give up connecting at open after this many ms; default 3000. */
  connectTimeoutMs?: number;
  /** A command that gets no answer fails after this many ms; default 2000. */
  commandTimeoutMs?: number;
}

/** Default namespace of every key this store writes. */
export const DEFAULT_KEY_PREFIX = 'privacy-bot:';

/** Default command timeout of the key-value and status part, in ms (it is on the message path: fail fast). */
export const KV_COMMAND_TIMEOUT_MS = 2000;

/**
 * Fixed-window counter in one atomic step: INCR, and PEXPIRE only when the counter was just
 * created (a live window keeps its expiry). KEYS[1] = counter, ARGV[1] = TTL in ms.
 */
const INCREMENT_LUA = `local v = redis.call('INCR', KEYS[1])
if v == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return v`;

/** Compare-and-delete: DEL only while the key still holds ARGV[1]; 1 when deleted. */
const DELETE_IF_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

type ClientWithIncrement = Redis & {
  privacyBotIncrement(key: string, ttlMs: number): Promise<number>;
  privacyBotDeleteIf(key: string, value: string): Promise<number>;
};

/**
 * The key-value and status part of the Redis store on `conn` (ioredis 5, the connection shared
 * with the other parts; any `REDIS_URL` form of ./connect.ts: one server, Sentinel or Cluster):
 * defines its scripts on the client (call before connecting it) and returns the {@link Store}
 * port without argument checks (src/store/ports/checked.ts runs them; TTLs arrive as whole ms).
 * Its `close()` closes `conn` (every part on it).
 *
 * Key layout under the connection's prefix (default 'privacy-bot:'):
 * - `<prefix>kv:<key>` — plain strings with PX expiry (claim = SET NX PX; increment = Lua INCR +
 *   PEXPIRE on create). Single-key operations, so they spread over a Redis Cluster freely.
 * - `<prefix>{status}:<platform>:<userId>` — one hash per employee (fields platform, userId,
 *   archived '1'/'0', since, scope, source, updatedAt; an absent field is null). The `{status}`
 *   hash tag keeps all statuses in one cluster slot so putStatuses stays one MULTI transaction.
 *   The platform part is URI-encoded so a ':' in it cannot make two keys collide.
 *
 * A down Redis fails calls fast instead of hanging: no offline queue, one retry per request,
 * commands time out after the connection's command timeout; the client keeps reconnecting in the
 * background (backoff up to 2000 ms; after a Sentinel failover it finds the new master). Every
 * method rejects with BotError 'STORE_UNAVAILABLE' (status 503, URL with password masked) when
 * Redis cannot answer or the connection is closed.
 * @param deadlineMs when set, a call of this part that has no answer after this many ms rejects
 *   (ioredis has one command timeout per connection: the shared connection's is the notice
 *   scripts' longer one, and this keeps the key-value calls on the message path failing fast)
 */
export function redisKvPart(conn: RedisConnection, deadlineMs?: number): Store {
  const client = conn.client as ClientWithIncrement;
  client.defineCommand('privacyBotIncrement', { numberOfKeys: 1, lua: INCREMENT_LUA });
  client.defineCommand('privacyBotDeleteIf', { numberOfKeys: 1, lua: DELETE_IF_LUA });
  return new RedisStore(conn, deadlineMs ?? null);
}

/**
 * Opens a Redis connection holding the key-value and status part alone (its own client), with
 * the argument checks in front. The bot opens every part over one connection with `openStores`
 * (src/store/index.ts); this is for tests and tools.
 * @throws BotError 'STORE_UNAVAILABLE' naming the URL (password masked) when the connection,
 *   authentication or database selection fails at open, or the URL is not usable;
 *   'STORE_BAD_ARGUMENT' for a key prefix with braces.
 */
export async function openRedisStore(url: string, options: RedisStoreOptions = {}): Promise<Store> {
  const conn = createStoreConnection(url, options.keyPrefix ?? DEFAULT_KEY_PREFIX, {
    connectTimeoutMs: options.connectTimeoutMs ?? 3000,
    commandTimeoutMs: options.commandTimeoutMs ?? KV_COMMAND_TIMEOUT_MS,
  });
  const kv = redisKvPart(conn);
  await connectRedisClient(conn.client, 'Redis store', conn.shown);
  return checkedStore(kv);
}

export { maskRedisUrl };

class RedisStore implements Store {
  readonly kind = 'redis' as const;
  private readonly client: ClientWithIncrement;
  private readonly prefix: string;
  private readonly shownUrl: string;

  constructor(
    private readonly conn: RedisConnection,
    private readonly deadlineMs: number | null,
  ) {
    this.client = conn.client as ClientWithIncrement;
    this.prefix = conn.prefix;
    this.shownUrl = conn.shown;
  }

  private kvKey(key: string): string {
    return `${this.prefix}kv:${key}`;
  }

  private statusKey(platform: string, userId: string): string {
    return `${this.prefix}{status}:${encodeURIComponent(platform)}:${userId}`;
  }

  /**
   * Runs `fn` unless closed, within the part's deadline when it has one; turns Redis and
   * connection failures into BotError 'STORE_UNAVAILABLE'.
   */
  private async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.conn.closed) {
      throw botError('STORE_UNAVAILABLE', `Redis store ${this.shownUrl} is closed`);
    }
    try {
      return await (this.deadlineMs === null ? fn() : withinDeadline(fn(), this.deadlineMs));
    } catch (err) {
      if (err instanceof BotError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw botError('STORE_UNAVAILABLE', `Redis store ${this.shownUrl}: ${reason}`, { cause: err });
    }
  }

  claim(key: string, ttlMs: number, value = '1'): Promise<boolean> {
    return this.use(async () => (await this.client.set(this.kvKey(key), value, 'PX', ttlMs, 'NX')) === 'OK');
  }

  get(key: string): Promise<string | null> {
    return this.use(() => this.client.get(this.kvKey(key)));
  }

  set(key: string, value: string, ttlMs?: number): Promise<void> {
    return this.use(async () => {
      const k = this.kvKey(key);
      if (ttlMs === undefined) await this.client.set(k, value);
      else await this.client.set(k, value, 'PX', ttlMs);
    });
  }

  delete(key: string): Promise<void> {
    return this.use(async () => {
      await this.client.del(this.kvKey(key));
    });
  }

  deleteIf(key: string, value: string): Promise<boolean> {
    return this.use(async () => (await this.client.privacyBotDeleteIf(this.kvKey(key), value)) === 1);
  }

  increment(key: string, ttlMs: number): Promise<number> {
    return this.use(async () => Number(await this.client.privacyBotIncrement(this.kvKey(key), ttlMs)));
  }

  getStatus(platform: string, userId: string): Promise<ArchivingStatus | null> {
    return this.use(async () => {
      const h = await this.client.hgetall(this.statusKey(platform, userId));
      if (h.archived === undefined) return null;
      return {
        platform,
        userId,
        archived: h.archived === '1',
        since: h.since ?? null,
        scope: h.scope ?? null,
        source: h.source ?? '',
        updatedAt: h.updatedAt ?? '',
      };
    });
  }

  putStatuses(statuses: ArchivingStatus[]): Promise<number> {
    return this.use(async () => {
      if (statuses.length === 0) return 0;
      const multi = this.client.multi();
      for (const s of statuses) {
        const key = this.statusKey(s.platform, s.userId);
        const fields: Record<string, string> = {
          platform: s.platform,
          userId: s.userId,
          archived: s.archived ? '1' : '0',
          source: s.source,
          updatedAt: s.updatedAt,
        };
        if (s.since !== null) fields.since = s.since;
        if (s.scope !== null) fields.scope = s.scope;
        multi.del(key).hset(key, fields);
      }
      const results = await multi.exec();
      if (results === null) throw new Error('transaction aborted');
      const failed = results.find(([err]) => err);
      if (failed) throw failed[0];
      return statuses.length;
    });
  }

  ping(): Promise<void> {
    return this.use(async () => {
      const answer = await this.client.ping();
      if (answer !== 'PONG') throw new Error(`unexpected PING answer ${answer}`);
    });
  }

  /** Closes the connection (every part on it). */
  close(): Promise<void> {
    return this.conn.close();
  }
}

/** `p`, or a rejection 'Command timed out' (as ioredis words its own) when it has not settled after `ms`. */
function withinDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Command timed out')), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
