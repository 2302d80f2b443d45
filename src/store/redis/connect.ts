import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { botError, BotError } from '../../errors.ts';

/**
 * One place that turns a `REDIS_URL` into an ioredis 5 client, for both Redis stores
 * (src/store/redis/store.ts, src/store/redis/notices.ts) and the start-up persistence check
 * (src/store/redis/persistence.ts).
 *
 * Accepted URLs (user and password are percent-decoded; the password is never shown in messages):
 *
 *     redis://[[user]:password@]host[:port][/db]                   one Redis (default port 6379)
 *     rediss://…                                                    the same over TLS
 *     redis+sentinel://[[user]:password@]host1[:port1][,host2[:port2]…]/<masterName>[/db][?sentinelPassword=…&sentinelUsername=…]
 *                                                                   Redis Sentinel: the sentinels (default port 26379)
 *                                                                   and the master group name; user/password are the
 *                                                                   Redis master's, sentinelUsername/sentinelPassword
 *                                                                   the sentinels' own (when they require auth)
 *     rediss+sentinel://…                                           the same with TLS to the master and the sentinels
 *     redis+cluster://[[user]:password@]host1[:port1][,host2[:port2]…]
 *                                                                   Redis Cluster: some of its nodes (default port 6379;
 *                                                                   the rest are discovered); no /db (a cluster has db 0 only)
 *     rediss+cluster://…                                            the same over TLS
 *
 * IPv6 hosts are written in brackets: `redis+cluster://[::1]:7000,[::1]:7001`.
 */

/** What a Redis URL names. */
export type RedisTopology = 'standalone' | 'sentinel' | 'cluster';

/** A parsed `REDIS_URL` (see the module comment for the formats). */
export interface RedisTarget {
  topology: RedisTopology;
  /** rediss:… (TLS). */
  tls: boolean;
  /** standalone: the one server; sentinel: the sentinels; cluster: the seed nodes. */
  nodes: { host: string; port: number }[];
  username: string | null;
  password: string | null;
  /** Database number; always 0 for a cluster. */
  db: number;
  /** Sentinel only: the master group name (as in `sentinel monitor <name> …`). */
  masterName: string | null;
  /** Sentinel only: credentials of the sentinels themselves. */
  sentinelUsername: string | null;
  sentinelPassword: string | null;
}

/** Timeouts of a client made by {@link createRedisClient}, in ms. */
export interface RedisClientTimeouts {
  /** Give up a connection attempt after this many ms. */
  connectTimeoutMs: number;
  /** A command that gets no answer fails after this many ms. */
  commandTimeoutMs: number;
  /** Name given to the connection (CLIENT SETNAME, shown by CLIENT LIST); none by default. */
  connectionName?: string;
}

const SCHEME = /^(rediss?)(?:\+(sentinel|cluster))?:\/\//i;

/** Ports as Redis and Sentinel use them by default. */
const DEFAULT_PORT = { standalone: 6379, sentinel: 26379, cluster: 6379 } as const;

/** What is wrong with a URL (internal; becomes a BotError or a config message). */
class UrlProblem extends Error {}

function badUrl(_url: string, why: string): UrlProblem {
  return new UrlProblem(why);
}

function decode(part: string, url: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw badUrl(url, `the ${what} is not valid percent-encoding`);
  }
}

/**
 * What is wrong with `url` as a `REDIS_URL` (one short sentence, never the password), or null
 * when {@link parseRedisUrl} accepts it. Used by the configuration check (src/config.ts).
 */
export function redisUrlProblem(url: string): string | null {
  try {
    parseTarget(url);
    return null;
  } catch (err) {
    if (err instanceof UrlProblem) return err.message;
    throw err;
  }
}

function parseHosts(list: string, defaultPort: number, url: string): { host: string; port: number }[] {
  const nodes: { host: string; port: number }[] = [];
  for (const item of list.split(',')) {
    const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+))(?::(\d{1,5}))?$/.exec(item.trim());
    if (!m) throw badUrl(url, `"${item}" is not host[:port]`);
    const port = m[3] === undefined ? defaultPort : Number(m[3]);
    if (port < 1 || port > 65535) throw badUrl(url, `port ${m[3]} is out of range`);
    nodes.push({ host: (m[1] ?? m[2])!, port });
  }
  return nodes;
}

function parseDb(text: string, url: string): number {
  if (!/^\d{1,5}$/.test(text)) throw badUrl(url, `"${text}" is not a database number`);
  return Number(text);
}

/**
 * Parses a `REDIS_URL` in one of the formats of this module's comment.
 * @throws BotError 'STORE_UNAVAILABLE' (status 503) saying what is wrong, with the password masked.
 */
export function parseRedisUrl(url: string): RedisTarget {
  try {
    return parseTarget(url);
  } catch (err) {
    if (err instanceof UrlProblem) {
      throw botError('STORE_UNAVAILABLE', `Redis URL ${maskRedisUrl(url)} is not usable: ${err.message}`);
    }
    throw err;
  }
}

function parseTarget(url: string): RedisTarget {
  const scheme = SCHEME.exec(url);
  if (!scheme) {
    throw badUrl(url, 'use redis://, rediss://, redis+sentinel://, rediss+sentinel://, redis+cluster:// or rediss+cluster://');
  }
  const tls = scheme[1]!.toLowerCase() === 'rediss';
  const topology: RedisTopology = (scheme[2]?.toLowerCase() as 'sentinel' | 'cluster' | undefined) ?? 'standalone';
  const rest = url.slice(scheme[0].length);
  const m = /^(?:([^@/?#]*)@)?([^/?#]+)(\/[^?#]*)?(?:\?([^#]*))?$/.exec(rest);
  if (!m) throw badUrl(url, 'expected [user:password@]host[:port]…');
  const [, auth, hostList, path = '', query = ''] = m;
  let username: string | null = null;
  let password: string | null = null;
  if (auth !== undefined) {
    const colon = auth.indexOf(':');
    const user = colon < 0 ? auth : auth.slice(0, colon);
    username = user === '' ? null : decode(user, url, 'user name');
    password = colon < 0 ? null : decode(auth.slice(colon + 1), url, 'password');
  }
  const nodes = parseHosts(hostList!, DEFAULT_PORT[topology], url);
  const params = new URLSearchParams(query);
  const segments = path.split('/').filter((s) => s !== '');
  const target: RedisTarget = {
    topology, tls, nodes, username, password, db: 0, masterName: null, sentinelUsername: null, sentinelPassword: null,
  };
  if (topology === 'standalone') {
    if (nodes.length !== 1) throw badUrl(url, 'a redis:// URL names one server; use redis+sentinel:// or redis+cluster:// for several');
    if (segments.length > 1) throw badUrl(url, 'the path is /<db>');
    if (segments[0] !== undefined) target.db = parseDb(segments[0], url);
  } else if (topology === 'sentinel') {
    if (segments.length === 0 || segments.length > 2) throw badUrl(url, 'a Sentinel URL ends in /<masterName>[/<db>]');
    target.masterName = decode(segments[0]!, url, 'master name');
    if (segments[1] !== undefined) target.db = parseDb(segments[1], url);
    target.sentinelUsername = params.get('sentinelUsername');
    target.sentinelPassword = params.get('sentinelPassword');
  } else {
    if (segments.length > 1 || (segments[0] !== undefined && segments[0] !== '0')) {
      throw badUrl(url, 'a Redis Cluster has database 0 only; leave the path empty');
    }
  }
  for (const key of params.keys()) {
    if (topology !== 'sentinel' || (key !== 'sentinelPassword' && key !== 'sentinelUsername')) {
      if (topology === 'standalone') continue; // redis:// query options are ioredis' own
      throw badUrl(url, `unknown parameter "${key}"`);
    }
  }
  return target;
}

/**
 * The URL for messages and logs: every password ('password' of the user part and a
 * `sentinelPassword` parameter) replaced by '***'. Not a URL at all -> '(unparseable Redis URL)',
 * so nothing secret leaks from a typo either.
 */
export function maskRedisUrl(url: string): string {
  const scheme = SCHEME.exec(url);
  if (!scheme) {
    try {
      const u = new URL(url);
      if (u.password) u.password = '***';
      return u.toString();
    } catch {
      return '(unparseable Redis URL)';
    }
  }
  const rest = url.slice(scheme[0].length);
  const at = rest.search(/[/?#]/);
  const authority = at < 0 ? rest : rest.slice(0, at);
  let tail = at < 0 ? '' : rest.slice(at);
  const lastAt = authority.lastIndexOf('@');
  let shown = authority;
  if (lastAt >= 0) {
    const auth = authority.slice(0, lastAt);
    const colon = auth.indexOf(':');
    shown = `${colon < 0 ? auth : `${auth.slice(0, colon)}:***`}@${authority.slice(lastAt + 1)}`;
  }
  tail = tail.replace(/([?&]sentinelPassword=)[^&#]*/gi, '$1***');
  return `${scheme[0]}${shown}${tail}`;
}

/** A node's address for logs: host:port (IPv6 in brackets). */
export function nodeLabel(node: { host: string; port: number }): string {
  return node.host.includes(':') ? `[${node.host}]:${node.port}` : `${node.host}:${node.port}`;
}

/**
 * One ioredis client shared by every part of the Redis store (key-value and statuses, notices,
 * policies): each part defines its scripts on `client` and builds its keys under `prefix`. The
 * store needs no pub/sub, so no second (subscriber) connection exists.
 */
export interface RedisConnection {
  /** The client; parts call commands and their scripts on it. */
  readonly client: Redis;
  /** Prefix of every key of the store, e.g. 'privacy-bot:'. */
  readonly prefix: string;
  /** The URL with its password masked (for messages). */
  readonly shown: string;
  /** True once {@link RedisConnection.close} has been called. */
  readonly closed: boolean;
  /** QUIT, or a disconnect when QUIT fails; once — later calls return the same promise. */
  close(): Promise<void>;
}

/**
 * The start of every Redis store's open: checks the key prefix and creates the (not yet
 * connected) client with {@link createRedisClient}. The parts define their scripts on it, then
 * the opener calls {@link connectRedisClient}.
 * @param keyPrefix prefix of every key of the store, e.g. 'privacy-bot:'
 * @throws BotError 'STORE_BAD_ARGUMENT' for a prefix with braces (they are cluster hash tags);
 *   'STORE_UNAVAILABLE' for a URL {@link parseRedisUrl} refuses
 */
export function createStoreConnection(url: string, keyPrefix: string, timeouts: RedisClientTimeouts): RedisConnection {
  const shown = maskRedisUrl(url);
  if (/[{}]/.test(keyPrefix)) {
    throw new BotError('STORE_BAD_ARGUMENT', `Redis key prefix must not contain '{' or '}' (they are cluster hash tags): ${keyPrefix}`);
  }
  const { client } = createRedisClient(url, timeouts);
  let closing: Promise<void> | null = null;
  return {
    client,
    prefix: keyPrefix,
    shown,
    get closed() {
      return closing !== null;
    },
    close() {
      closing ??= client.quit().then(
        () => undefined,
        () => client.disconnect(),
      );
      return closing;
    },
  };
}

/**
 * A new, not yet connected ioredis client for `url` that fails fast instead of queueing when
 * Redis is away: no offline queue, one retry per command, commands time out after
 * `commandTimeoutMs`; it reconnects in the background (backoff up to 2000 ms).
 * - standalone: `new Redis(url)`;
 * - sentinel: `new Redis({sentinels, name})` — ioredis asks the sentinels for the current
 *   master, and again whenever it reconnects (the old master died, or answers READONLY);
 * - cluster: `new Cluster(nodes)` — ioredis learns the slot map and follows MOVED/ASK. Typed
 *   as {@link Redis}: a Cluster has the same command interface (commands, `multi`,
 *   `defineCommand`, `ping`, `quit`); callers must only run multi-key commands and scripts
 *   whose keys share one hash tag.
 * @throws BotError 'STORE_UNAVAILABLE' for a URL {@link parseRedisUrl} refuses.
 */
export function createRedisClient(url: string, timeouts: RedisClientTimeouts): { client: Redis; target: RedisTarget } {
  const target = parseRedisUrl(url);
  const common: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: timeouts.connectTimeoutMs,
    commandTimeout: timeouts.commandTimeoutMs,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    ...(timeouts.connectionName !== undefined ? { connectionName: timeouts.connectionName } : {}),
  };
  const auth: RedisOptions = {
    ...(target.username !== null ? { username: target.username } : {}),
    ...(target.password !== null ? { password: target.password } : {}),
    ...(target.tls ? { tls: {} } : {}),
  };
  if (target.topology === 'standalone') return { client: new Redis(url, common), target };
  if (target.topology === 'sentinel') {
    const client = new Redis({
      ...common,
      ...auth,
      db: target.db,
      sentinels: target.nodes,
      name: target.masterName!,
      ...(target.sentinelUsername !== null ? { sentinelUsername: target.sentinelUsername } : {}),
      ...(target.sentinelPassword !== null ? { sentinelPassword: target.sentinelPassword } : {}),
      ...(target.tls ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
      sentinelCommandTimeout: timeouts.commandTimeoutMs,
      // Try the sentinels again now and then rather than giving up (null would end retries).
      sentinelRetryStrategy: (times) => Math.min(times * 200, 2000),
      // A failed-over master that is still up answers writes with READONLY: reconnect, which
      // asks the sentinels for the new master. (ioredis' failoverDetector is left off: its extra
      // sentinel connections can outlive a client closed right after opening.)
      reconnectOnError: (err) => /READONLY/.test(err.message),
    });
    return { client, target };
  }
  const { lazyConnect, enableOfflineQueue, retryStrategy, ...nodeOptions } = common;
  const cluster = new Cluster(target.nodes, {
    lazyConnect,
    enableOfflineQueue,
    clusterRetryStrategy: retryStrategy as (times: number) => number,
    slotsRefreshTimeout: timeouts.connectTimeoutMs,
    redisOptions: { ...nodeOptions, ...auth },
  });
  return { client: cluster as unknown as Redis, target };
}

/** Whether `client` (from {@link createRedisClient}) is a Redis Cluster client. */
export function isCluster(client: Redis): boolean {
  return (client as unknown as { isCluster?: boolean }).isCluster === true;
}

/**
 * Connects a client from {@link createRedisClient} and checks it answers PING. Fails at the
 * first connection error rather than when ioredis has finished closing the socket (which can
 * take seconds more against a silent server). On failure the client is disconnected.
 * Keeps an 'error' listener on the client for good (without one ioredis prints every
 * connection error; the stores report errors through rejected calls instead); the latest error
 * is available from the returned getter.
 * @param what e.g. 'Redis store', for the message
 * @throws BotError 'STORE_UNAVAILABLE' naming `shownUrl` and the reason.
 */
export async function connectRedisClient(client: Redis, what: string, shownUrl: string): Promise<void> {
  let lastError: Error | null = null;
  client.on('error', (err: Error) => {
    lastError = err;
  });
  let onError: (err: Error) => void = () => {};
  const firstError = new Promise<never>((_, reject) => {
    onError = reject;
    client.once('error', onError);
  });
  const ready = client.connect().then(() => client.ping());
  ready.catch(() => {}); // settled by the race below; no unhandled rejection when firstError wins
  try {
    await Promise.race([ready, firstError]);
    client.off('error', onError);
  } catch (err) {
    client.off('error', onError);
    client.disconnect();
    const reason = (lastError as Error | null)?.message ?? (err instanceof Error ? err.message : String(err));
    throw botError('STORE_UNAVAILABLE', `${what} ${shownUrl} is unreachable: ${reason}`, { cause: err });
  }
}
