/**
 * Throwaway Redis servers for tests: a redis-server, a 3-master Redis Cluster, or a Sentinel
 * with its master (and a replica), each on free loopback ports with its files in its own temp
 * dir, stopped and deleted by `stop()`. The shared 127.0.0.1:6379 server is never touched.
 *
 * Needs the `redis-server` binary (and `redis-cli` for a cluster); {@link redisTooling} says
 * what is installed so test files can skip cleanly when it is not.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

/** What Redis tooling this machine has. */
export const redisTooling = {
  server: spawnSync('redis-server', ['--version']).status === 0,
  cli: spawnSync('redis-cli', ['--version']).status === 0,
  /** `redis-cli --cluster` (Redis >= 5). */
  clusterCli: /create\s+host1:port1/.test(spawnSync('redis-cli', ['--cluster', 'help'], { encoding: 'utf8' }).stdout ?? ''),
};

/** A loopback port with nothing listening on it (bound then released). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** One running throwaway server. */
export interface ThrowawayRedis {
  port: number;
  /** redis://[:password@]127.0.0.1:<port> */
  url: string;
  dir: string;
  child: ChildProcess;
  /** Kills it (SIGKILL) and waits for the exit; the dir stays (see stop). */
  kill(): Promise<void>;
  /** Kills it and deletes its dir. */
  stop(): Promise<void>;
}

async function waitForPing(port: number, password: string | undefined, child: ChildProcess, log: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`redis-server on ${port} exited with ${child.exitCode}; see ${log}`);
    const c = new Redis({ host: '127.0.0.1', port, password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 300 });
    c.on('error', () => {});
    try {
      await c.connect();
      if ((await c.ping()) === 'PONG') return;
    } catch {
      // not up yet
    } finally {
      c.disconnect();
    }
    await sleep(50);
  }
  throw new Error(`redis-server on ${port} did not answer PING; see ${log}`);
}

/**
 * Starts `redis-server` on a free port with its files in a new temp dir. `config` entries are
 * redis.conf directives (name -> value) over the defaults `bind 127.0.0.1`, `save ""`,
 * `appendonly no`; a value of null leaves the directive out. `sentinel: true` starts it as a
 * Sentinel (`--sentinel`, config written to a file, which Sentinel rewrites).
 */
export async function startRedisServer(
  options: { config?: Record<string, string | null>; lines?: string[]; password?: string; sentinel?: boolean; port?: number } = {},
): Promise<ThrowawayRedis> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), `privacy-bot-redis-${port}-`));
  const log = join(dir, 'redis.log');
  const conf: Record<string, string | null> = {
    port: String(port),
    bind: '127.0.0.1',
    dir,
    logfile: log,
    ...(options.sentinel ? {} : { save: '""', appendonly: 'no' }),
    ...(options.password ? { requirepass: options.password } : {}),
    ...options.config,
  };
  const text = [
    ...Object.entries(conf).filter(([, v]) => v !== null).map(([k, v]) => `${k} ${v}`),
    ...(options.lines ?? []),
  ].join('\n');
  const file = join(dir, 'redis.conf');
  writeFileSync(file, `${text}\n`);
  const child = spawn('redis-server', options.sentinel ? [file, '--sentinel'] : [file], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  try {
    await waitForPing(port, options.password, child, log);
  } catch (err) {
    await kill();
    throw err;
  }
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  return {
    port,
    url: `redis://${auth}127.0.0.1:${port}`,
    dir,
    child,
    kill,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A running throwaway Redis Cluster. */
export interface ThrowawayCluster {
  nodes: ThrowawayRedis[];
  /** redis+cluster://127.0.0.1:<p1>,127.0.0.1:<p2> (two seeds; the third is discovered). */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `masters` redis-servers with cluster mode on (cluster bus on its own free port),
 * joins them with `redis-cli --cluster create … --cluster-yes` (no replicas) and waits until
 * every node says cluster_state:ok.
 */
export async function startRedisCluster(masters = 3): Promise<ThrowawayCluster> {
  const nodes: ThrowawayRedis[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    for (let i = 0; i < masters; i++) {
      nodes.push(
        await startRedisServer({
          config: {
            'cluster-enabled': 'yes',
            'cluster-config-file': 'nodes.conf',
            'cluster-node-timeout': '2000',
            'cluster-port': String(await freePort()),
          },
        }),
      );
    }
    const create = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}\n${create.stderr}`);
    for (let i = 0; ; i++) {
      const states = await Promise.all(
        nodes.map(async (n) => {
          const c = new Redis(n.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
          try {
            await c.connect();
            return /cluster_state:ok/.test(await c.cluster('INFO'));
          } finally {
            c.disconnect();
          }
        }),
      );
      if (states.every(Boolean)) break;
      if (i > 200) throw new Error('the cluster did not reach cluster_state:ok');
      await sleep(50);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes, url: `redis+cluster://127.0.0.1:${nodes[0]!.port},127.0.0.1:${nodes[1]!.port}`, stop };
}

/** A running throwaway Sentinel setup. */
export interface ThrowawaySentinel {
  master: ThrowawayRedis;
  replica: ThrowawayRedis;
  sentinel: ThrowawayRedis;
  masterName: string;
  /** Data password (master and replica). */
  password: string;
  /** The sentinel's own password. */
  sentinelPassword: string;
  /** redis+sentinel://:<password>@127.0.0.1:<sentinel port>/<masterName>/<db>?sentinelPassword=… */
  url(db?: number): string;
  stop(): Promise<void>;
}

/**
 * Starts a master, a replica of it and one Sentinel monitoring the master (quorum 1,
 * down-after 1000 ms, so a killed master fails over within a few seconds). Master and replica
 * require `password`; the Sentinel requires `sentinelPassword`. Waits until the Sentinel knows
 * the replica (so a failover can happen).
 */
export async function startRedisSentinel(masterName = 'pbmaster'): Promise<ThrowawaySentinel> {
  const password = 'data-pw';
  const sentinelPassword = 'sentinel-pw';
  const started: ThrowawayRedis[] = [];
  const stop = async () => {
    await Promise.all(started.map((n) => n.stop()));
  };
  try {
    const master = await startRedisServer({ password, config: { masterauth: password } });
    started.push(master);
    const replica = await startRedisServer({ password, config: { masterauth: password, replicaof: `127.0.0.1 ${master.port}` } });
    started.push(replica);
    const sentinel = await startRedisServer({
      sentinel: true,
      password: sentinelPassword,
      lines: [
        `sentinel monitor ${masterName} 127.0.0.1 ${master.port} 1`,
        `sentinel auth-pass ${masterName} ${password}`,
        `sentinel down-after-milliseconds ${masterName} 1000`,
        `sentinel failover-timeout ${masterName} 5000`,
      ],
    });
    started.push(sentinel);
    const c = new Redis(sentinel.port, '127.0.0.1', { password: sentinelPassword, lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await c.connect();
      for (let i = 0; ; i++) {
        const replicas = (await c.call('SENTINEL', 'REPLICAS', masterName)) as unknown[];
        if (replicas.length > 0) break;
        if (i > 300) throw new Error('the sentinel never saw the replica');
        await sleep(50);
      }
    } finally {
      c.disconnect();
    }
    return {
      master,
      replica,
      sentinel,
      masterName,
      password,
      sentinelPassword,
      url: (db = 0) => `redis+sentinel://:${password}@127.0.0.1:${sentinel.port}/${masterName}/${db}?sentinelPassword=${sentinelPassword}`,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
