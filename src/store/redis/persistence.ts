import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { connectRedisClient, createRedisClient, isCluster, maskRedisUrl, nodeLabel } from './connect.ts';

/**
 * The start-up check of whether Redis keeps its data over a restart. Acknowledgements of
 * archiving notices, notice records and imported statuses live only in Redis when `REDIS_URL`
 * is set; a Redis with neither AOF (`appendonly yes`) nor RDB snapshots (`save …`) loses them all
 * when it restarts.
 */

/** What one Redis node (a master) says about its persistence. */
export interface NodePersistence {
  /** host:port of the node (no credentials). */
  node: string;
  /** AOF on (`appendonly yes`); null = could not tell. */
  aof: boolean | null;
  /** RDB snapshots configured (`save` not empty); null = could not tell (CONFIG not available). */
  rdb: boolean | null;
  /** Where the answer came from: CONFIG GET, INFO persistence (CONFIG refused, e.g. managed Redis), or nothing. */
  source: 'config' | 'info' | 'none';
}

/** Overall verdict of {@link checkRedisPersistence}. */
export type PersistenceVerdict = 'persistent' | 'not-persistent' | 'unknown';

/** The message logged when some node keeps nothing over a restart. */
export const NO_PERSISTENCE_WARNING =
  'Redis runs with no persistence (appendonly no, save ""): acknowledgements and notice records would be lost on a Redis restart; turn on AOF (appendonly yes)';

async function inspectNode(client: Redis, node: string): Promise<NodePersistence> {
  try {
    const [, appendonly] = (await client.call('CONFIG', 'GET', 'appendonly')) as string[];
    const [, save] = (await client.call('CONFIG', 'GET', 'save')) as string[];
    if (appendonly !== undefined && save !== undefined) {
      return { node, aof: appendonly.toLowerCase() === 'yes', rdb: save.trim() !== '', source: 'config' };
    }
  } catch {
    // CONFIG is often disabled or renamed on managed Redis: fall back to INFO.
  }
  try {
    const info = await client.info('persistence');
    const aof = /^aof_enabled:(\d)/m.exec(info)?.[1];
    // INFO does not say whether snapshots are configured, only AOF.
    return { node, aof: aof === undefined ? null : aof === '1', rdb: null, source: 'info' };
  } catch {
    return { node, aof: null, rdb: null, source: 'none' };
  }
}

/**
 * Asks every master behind `url` (the one server, the Sentinel master, or each Cluster master)
 * how it persists: `CONFIG GET appendonly` and `CONFIG GET save`, else `INFO persistence`.
 * Opens and closes its own short connection. Never throws for a node that refuses CONFIG or
 * INFO (its answer is null, source 'none').
 * @throws BotError 'STORE_UNAVAILABLE' when Redis cannot be reached at all.
 */
export async function inspectRedisPersistence(
  url: string,
  timeouts: { connectTimeoutMs?: number; commandTimeoutMs?: number } = {},
): Promise<NodePersistence[]> {
  const { client, target } = createRedisClient(url, {
    connectTimeoutMs: timeouts.connectTimeoutMs ?? 3000,
    commandTimeoutMs: timeouts.commandTimeoutMs ?? 2000,
  });
  await connectRedisClient(client, 'Redis', maskRedisUrl(url));
  try {
    if (isCluster(client)) {
      const masters = (client as unknown as { nodes(role: 'master'): Redis[] }).nodes('master');
      return await Promise.all(masters.map((m) => inspectNode(m, nodeLabel({ host: m.options.host ?? '?', port: m.options.port ?? 0 }))));
    }
    const label = target.topology === 'sentinel' ? `master ${target.masterName ?? '?'}` : nodeLabel(target.nodes[0]!);
    return [await inspectNode(client, label)];
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

/** Overall verdict: any node with neither AOF nor snapshots -> not persistent; any unknown -> unknown. */
export function persistenceVerdict(nodes: NodePersistence[]): PersistenceVerdict {
  if (nodes.some((n) => n.aof === false && n.rdb === false)) return 'not-persistent';
  if (nodes.length > 0 && nodes.every((n) => n.aof === true || n.rdb === true)) return 'persistent';
  return 'unknown';
}

/**
 * Runs {@link inspectRedisPersistence} and logs the outcome: a warning
 * ({@link NO_PERSISTENCE_WARNING}, with the nodes concerned) when a master keeps nothing over a
 * restart; an info line when it could not tell (CONFIG disabled, INFO without AOF on); debug when
 * fine. Never throws: an unreachable Redis is logged as a warning and reported 'unknown'.
 */
export async function checkRedisPersistence(url: string, log: Logger): Promise<PersistenceVerdict> {
  let nodes: NodePersistence[];
  try {
    nodes = await inspectRedisPersistence(url);
  } catch (err) {
    log.warn({ code: (err as { code?: string }).code, err: (err as Error).message }, 'could not check Redis persistence');
    return 'unknown';
  }
  const verdict = persistenceVerdict(nodes);
  if (verdict === 'not-persistent') {
    log.warn({ nodes: nodes.filter((n) => n.aof === false && n.rdb === false).map((n) => n.node) }, NO_PERSISTENCE_WARNING);
  } else if (verdict === 'unknown') {
    log.info(
      { nodes: nodes.filter((n) => n.aof !== true && n.rdb !== true).map((n) => ({ node: n.node, source: n.source })) },
      'could not tell whether Redis persists its data (CONFIG GET refused, e.g. managed Redis): make sure AOF or snapshots are on, or acknowledgements would be lost on a Redis restart',
    );
  } else {
    log.debug({ nodes }, 'Redis persistence on');
  }
  return verdict;
}
