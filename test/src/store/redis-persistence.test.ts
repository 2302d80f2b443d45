/**
 * The start-up persistence warning against throwaway redis-servers (own ports, own temp dirs;
 * the shared 6379 server is not touched): no AOF and no snapshots -> the warning; AOF or
 * snapshots -> none; CONFIG disabled (managed Redis) -> INFO is used, or "could not tell".
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/log.ts';
import { checkRedisPersistence, inspectRedisPersistence, NO_PERSISTENCE_WARNING } from '../../../src/store/redis/persistence.ts';
import { freePort, redisTooling, startRedisServer, type ThrowawayRedis } from './redis-servers.ts';

const skip = redisTooling.server ? false : 'redis-server binary not installed';
const servers: ThrowawayRedis[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

async function server(config: Record<string, string | null>, lines: string[] = []): Promise<ThrowawayRedis> {
  const s = await startRedisServer({ config, lines });
  servers.push(s);
  return s;
}

/** Runs the check with a logger whose lines are captured. */
async function check(url: string): Promise<{ verdict: string; lines: { level: number; msg: string; nodes?: unknown }[] }> {
  const lines: { level: number; msg: string; nodes?: unknown }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l) as { level: number; msg: string });
      cb();
    },
  });
  const verdict = await checkRedisPersistence(url, createLogger('debug', sink));
  return { verdict, lines };
}

const WARN = 40;
type Line = { level: number; msg: string; nodes?: unknown };
const warnings = (lines: Line[]) => lines.filter((l) => l.level >= WARN);

describe('Redis persistence warning at start', { skip }, () => {
  it('appendonly no and save "" -> a warning that acknowledgements would be lost, naming the node', async () => {
    const s = await server({ appendonly: 'no', save: '""' });
    const { verdict, lines } = await check(s.url);
    assert.equal(verdict, 'not-persistent');
    const w = warnings(lines);
    assert.equal(w.length, 1);
    assert.equal(w[0]!.msg, NO_PERSISTENCE_WARNING);
    assert.match(w[0]!.msg, /acknowledgements and notice records would be lost on a Redis restart/);
    assert.deepEqual(w[0]!.nodes, [`127.0.0.1:${s.port}`]);
  });

  it('appendonly yes -> no warning', async () => {
    const s = await server({ appendonly: 'yes', save: '""' });
    const { verdict, lines } = await check(s.url);
    assert.equal(verdict, 'persistent');
    assert.deepEqual(warnings(lines), []);
  });

  it('snapshots only (save 60 1) -> no warning', async () => {
    const s = await server({ appendonly: 'no', save: '60 1' });
    const { verdict, lines } = await check(s.url);
    assert.equal(verdict, 'persistent');
    assert.deepEqual(warnings(lines), []);
  });

  it('CONFIG disabled (managed Redis) with AOF on -> INFO persistence says so, no warning', async () => {
    const s = await server({ appendonly: 'yes', save: '""' }, ['rename-command CONFIG ""']);
    const nodes = await inspectRedisPersistence(s.url);
    assert.deepEqual(nodes, [{ node: `127.0.0.1:${s.port}`, aof: true, rdb: null, source: 'info' }]);
    const { verdict, lines } = await check(s.url);
    assert.equal(verdict, 'persistent');
    assert.deepEqual(warnings(lines), []);
  });

  it('CONFIG disabled and AOF off -> cannot tell: an info line, no warning, no crash', async () => {
    const s = await server({ appendonly: 'no', save: '""' }, ['rename-command CONFIG ""']);
    const { verdict, lines } = await check(s.url);
    assert.equal(verdict, 'unknown');
    assert.deepEqual(warnings(lines), []);
    assert.ok(lines.some((l) => /could not tell whether Redis persists/.test(l.msg)));
  });

  it('Redis unreachable -> a warning that it could not check, never a throw', async () => {
    const port = await freePort();
    const { verdict, lines } = await check(`redis://:secret@127.0.0.1:${port}`);
    assert.equal(verdict, 'unknown');
    const w = warnings(lines);
    assert.equal(w.length, 1);
    assert.match(w[0]!.msg, /could not check Redis persistence/);
    assert.doesNotMatch(JSON.stringify(lines), /secret/);
  });
});
