/**
 * The lines `npm start` prints for a newcomer (src/app/cli/main.ts): the /try address, and the console's address on the
 * port that serves it — PORT, or ADMIN_PORT when that is set (the public port answers 404 for /console then; a
 * fourth newcomer trial was sent there). `privacy-bot serve` runs as a child on free ports (0) with a fresh data folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { REPO_ROOT } from '../../../helpers/app.ts';

const BIN = join(REPO_ROOT, 'bin', 'privacy-bot.mjs');

/** Starts serve, collects stdout until the console line is printed, and returns the text and the admin port logged. */
async function banner(env: Record<string, string>): Promise<{ text: string; port: number; adminPort: number | null }> {
  const dir = mkdtempSync(join(tmpdir(), 'banner-'));
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', PORT: '0', DATA_DIR: dir, KNOWLEDGE_DIR: join(REPO_ROOT, 'knowledge'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        text += d.toString('utf8');
        if (/Console: .*\n\n/.test(text)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`serve exited ${code} before printing the console line: ${stderr}`)));
    });
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  const logs = text.split('\n').flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
  const port = Number(logs.find((l) => l.msg === 'privacy-bot listening')?.port);
  const admin = logs.find((l) => l.adminPort !== undefined)?.adminPort;
  return { text, port, adminPort: admin === undefined ? null : Number(admin) };
}

test('npm start prints /try and the console on PORT when ADMIN_PORT is not set', async () => {
  const { text, port } = await banner({});
  assert.ok(port > 0);
  assert.match(text, new RegExp(`Try it in your browser: http://127\\.0\\.0\\.1:${port}/try`));
  assert.match(text, new RegExp(`Console: http://127\\.0\\.0\\.1:${port}/console — sign in as`));
});

test('with ADMIN_PORT set, the console line names ADMIN_PORT (PORT answers 404 for /console)', async () => {
  const { text, port, adminPort } = await banner({ ADMIN_PORT: '0' });
  assert.ok(adminPort !== null && adminPort > 0 && adminPort !== port, `admin port logged: ${adminPort}`);
  assert.match(text, new RegExp(`Try it in your browser: http://127\\.0\\.0\\.1:${port}/try`));
  assert.match(text, new RegExp(`Console: http://127\\.0\\.0\\.1:${adminPort}/console — sign in as`));
});
