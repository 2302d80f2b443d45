/**
 * Shutdown whatever the log reader does: `privacy-bot serve` as a child process with its stdout on
 * a pipe, at LOG_LEVEL=debug.
 * - the reader of stdout goes away (the pipe is closed), then SIGTERM: the process exits 0;
 * - the reader stops reading (the pipe fills up and nobody drains it), then SIGTERM: exits 0.
 * Before the fix the bot retried the write to the closed or full pipe forever on exit (pino's
 * sonic-boom flushSync), so SIGTERM never ended it. The 30 s bounds below are failure guards only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from '../helpers/app.ts';

const BIN = join(REPO_ROOT, 'bin', 'privacy-bot.mjs');
const GUARD_MS = 30_000;

interface Serve {
  child: ChildProcess;
  port: number;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts serve (TRY_PAGE on, LOG_LEVEL=debug) and resolves once it logged 'privacy-bot listening'. */
async function startServe(dataDir: string): Promise<Serve> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'debug', PORT: '0', TRY_PAGE: 'on', DATA_DIR: dataDir, KNOWLEDGE_DIR: join(REPO_ROOT, 'knowledge') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString('utf8');
      const line = out.split('\n').find((l) => l.includes('"privacy-bot listening"'));
      if (!line) return;
      child.stdout!.off('data', onData);
      resolve(Number((JSON.parse(line) as { port: number }).port));
    };
    child.stdout!.on('data', onData);
    void exited.then((e) => reject(new Error(`serve exited before listening (${JSON.stringify(e)}): ${stderr}`)));
  });
  return { child, port, stderr: () => stderr, exited };
}

/** Waits for the exit, or fails after GUARD_MS (then kills the child). */
async function exitOf(s: Serve): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const guard = sleep(GUARD_MS, null, { ref: false });
  const r = await Promise.race([s.exited, guard]);
  if (r === null) {
    s.child.kill('SIGKILL');
    assert.fail(`serve still running ${GUARD_MS} ms after SIGTERM; stderr: ${s.stderr()}`);
  }
  return r;
}

describe('SIGTERM ends serve whatever its stdout reader does', () => {
  it('the reader went away (closed pipe): exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'privacy-bot-logs-'));
    const s = await startServe(dir);
    try {
      s.child.stdout!.destroy(); // the reading end is closed: the next write gets EPIPE
      s.child.kill('SIGTERM');
      const exit = await exitOf(s);
      assert.deepEqual(exit, { code: 0, signal: null }, `stderr: ${s.stderr()}`);
      // The shutdown lines met the closed pipe (so this test did exercise EPIPE) and were dropped.
      assert.match(s.stderr(), /log destination failed \(EPIPE\)/);
    } finally {
      s.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the reader stopped reading (full pipe nobody drains): exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'privacy-bot-logs-'));
    const s = await startServe(dir);
    try {
      s.child.stdout!.pause(); // the test's end stops reading once its own buffer is full
      // Each refused /try/ask is one log line; send them until the bot says its stdout is full.
      let sent = 0;
      while (!/log destination is full/.test(s.stderr())) {
        assert.ok(sent < 50_000, `stdout never filled up after ${sent} requests; stderr: ${s.stderr()}`);
        const batch = Array.from({ length: 10 }, () => fetch(`http://127.0.0.1:${s.port}/try/ask`, { method: 'POST', body: 'not json' }).then((r) => r.arrayBuffer()));
        await Promise.all(batch);
        sent += batch.length;
      }
      s.child.kill('SIGTERM');
      const exit = await exitOf(s);
      assert.deepEqual(exit, { code: 0, signal: null }, `stderr: ${s.stderr()}`);
    } finally {
      s.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
