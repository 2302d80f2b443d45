import type { Redis } from 'ioredis';
import { botError, BotError } from '../../errors.ts';
import { checkKey, checkStatus, checkTtlMs } from '../ports/args.ts';
import type { ArchivingStatus, Store } from '../ports/store.ts';
import { connectRedisClient, createStoreClient, maskRedisUrl } from './connect.ts';

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
 * Opens the shared store on Redis through ioredis 5. `url` is any `REDIS_URL` form of
 * src/store/redis/connect.ts: redis:// or rediss:// (one server, optional user, password, /db),
 * redis+sentinel://…/<masterName> (Redis Sentinel) or redis+cluster://… (Redis Cluster).
 * Implements the whole {@link Store} port.
 *
 * Key layout under `keyPrefix` (default 'privacy-bot:'):
 * - `<prefix>kv:<key>` — plain strings with PX expiry (claim = SET NX PX; increment = Lua INCR +
 *   PEXPIRE on create). Single-key operations, so they spread over a Redis Cluster freely.
 * - `<prefix>{status}:<platform>:<userId>` — one hash per employee (fields platform, userId,
 *   archived '1'/'0', since, scope, source, updatedAt; an absent field is null). The `{status}`
 *   hash tag keeps all statuses in one cluster slot so putStatuses stays one MULTI transaction.
 *   The platform part is URI-encoded so a ':' in it cannot make two keys collide.
 *
 * A down Redis fails calls fast instead of hanging: no offline queue, one retry per request,
 * commands time out after `commandTimeoutMs`; the client keeps reconnecting in the background
 * (backoff up to 2000 ms; after a Sentinel failover it finds the new master). Every method
 * rejects with BotError 'STORE_UNAVAILABLE' (status 503, URL with password masked) when Redis
 * cannot answer, and with 'STORE_BAD_ARGUMENT' on bad arguments.
 *
 * @throws BotError 'STORE_UNAVAILABLE' naming the URL (password masked) when the connection,
 *   authentication or database selection fails at open, or the URL is not usable;
 *   'STORE_BAD_ARGUMENT' for a key prefix with braces.
 */
export async function openRedisStore(url: string, options: RedisStoreOptions = {}): Promise<Store> {
  const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const { client, shown } = createStoreClient(url, keyPrefix, {
    connectTimeoutMs: options.connectTimeoutMs ?? 3000,
    commandTimeoutMs: options.commandTimeoutMs ?? 2000,
  });
  (client as ClientWithIncrement).defineCommand('privacyBotIncrement', { numberOfKeys: 1, lua: INCREMENT_LUA });
  (client as ClientWithIncrement).defineCommand('privacyBotDeleteIf', { numberOfKeys: 1, lua: DELETE_IF_LUA });
  await connectRedisClient(client, 'Redis store', shown);
  return new RedisStore(client as ClientWithIncrement, keyPrefix, shown);
}

export { maskRedisUrl };

class RedisStore implements Store {
  readonly kind = 'redis' as const;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly client: ClientWithIncrement,
    private readonly prefix: string,
    private readonly shownUrl: string,
  ) {}

  private kvKey(key: string, method: string): string {
    return `${this.prefix}kv:${checkKey(key, method)}`;
  }

  private statusKey(platform: string, userId: string): string {
    return `${this.prefix}{status}:${encodeURIComponent(platform)}:${userId}`;
  }

  /** Runs `fn` unless closed; turns Redis and connection failures into BotError 'STORE_UNAVAILABLE'. */
  private async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closing) {
      throw botError('STORE_UNAVAILABLE', `Redis store ${this.shownUrl} is closed`);
    }
    try {
      return await fn();
    } catch (err) {
      if (err instanceof BotError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw botError('STORE_UNAVAILABLE', `Redis store ${this.shownUrl}: ${reason}`, { cause: err });
    }
  }

  claim(key: string, ttlMs: number, value = '1'): Promise<boolean> {
    return this.use(async () => {
      const k = this.kvKey(key, 'claim');
      const ttl = checkTtlMs(ttlMs, 'claim');
      return (await this.client.set(k, value, 'PX', ttl, 'NX')) === 'OK';
    });
  }

  get(key: string): Promise<string | null> {
    return this.use(() => this.client.get(this.kvKey(key, 'get')));
  }

  set(key: string, value: string, ttlMs?: number): Promise<void> {
    return this.use(async () => {
      const k = this.kvKey(key, 'set');
      if (ttlMs === undefined) await this.client.set(k, value);
      else await this.client.set(k, value, 'PX', checkTtlMs(ttlMs, 'set'));
    });
  }

  delete(key: string): Promise<void> {
    return this.use(async () => {
      await this.client.del(this.kvKey(key, 'delete'));
    });
  }

  deleteIf(key: string, value: string): Promise<boolean> {
    return this.use(async () => (await this.client.privacyBotDeleteIf(this.kvKey(key, 'deleteIf'), value)) === 1);
  }

  increment(key: string, ttlMs: number): Promise<number> {
    return this.use(async () => {
      const k = this.kvKey(key, 'increment');
      const ttl = checkTtlMs(ttlMs, 'increment');
      return Number(await this.client.privacyBotIncrement(k, ttl));
    });
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
      statuses.forEach(checkStatus);
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

  close(): Promise<void> {
    this.closing ??= this.client.quit().then(
      () => undefined,
      () => this.client.disconnect(),
    );
    return this.closing;
  }
}
