/**
 * Console first-load benchmark: what an admin's browser fetches to show /console on loopback —
 * the page and every script it names (React, ReactDOM, dayjs, Ant Design, htm, the app) — with the
 * bot's /healthz from the same run as the baseline (the cost of one request through the same server).
 *
 * Run: `npm run bench:console [-- --runs <n>] [--json <file>]` (= `node --import tsx bench/console.ts`).
 *
 * The bot runs in a child process (`node bin/privacy-bot.mjs serve`, embedded store in a temp dir,
 * port 0 chosen by us). Each run is a cold first load as a browser with an empty cache makes it:
 * one keep-alive connection pool, GET /console, then its scripts six at a time (a browser's
 * per-host limit), with `Accept-Encoding: gzip` (as browsers send); time is from the first request
 * to the last byte, ms; bytes are the bytes on the wire (bodies as sent, compressed) and also
 * uncompressed. The baseline is one GET /healthz per run on the same pool. When a browser is
 * available (/usr/bin/chromium or CHROMIUM_PATH) it also measures, per run, a fresh headless page
 * from navigation to the sign-in form being on screen.
 * Printed: median and p95 over the runs (default 20 runs after 3 warm-up runs).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'node:http';
import { gunzipSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' }, json: { type: 'string' } } });
const RUNS = Math.max(1, Number(values.runs));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function get(agent: Agent, port: number, path: string): Promise<{ status: number; wire: number; raw: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { 'accept-encoding': 'gzip' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const wire = Buffer.concat(chunks);
        const raw = res.headers['content-encoding'] === 'gzip' ? gunzipSync(wire) : wire;
        resolve({ status: res.statusCode ?? 0, wire: wire.length, raw: raw.length, body: raw.toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function firstLoad(port: number): Promise<{ ms: number; wire: number; raw: number; files: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 6 });
  const t0 = performance.now();
  const page = await get(agent, port, '/console');
  if (page.status !== 200) throw new Error(`/console answered ${page.status}`);
  const scripts = [...page.body.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
  const answers = await Promise.all(scripts.map((s) => get(agent, port, s)));
  const ms = performance.now() - t0;
  agent.destroy();
  for (const [i, a] of answers.entries()) if (a.status !== 200) throw new Error(`${scripts[i]} answered ${a.status}`);
  return { ms, wire: page.wire + answers.reduce((n, a) => n + a.wire, 0), raw: page.raw + answers.reduce((n, a) => n + a.raw, 0), files: 1 + scripts.length };
}

async function baseline(port: number): Promise<{ ms: number; wire: number }> {
  const agent = new Agent({ keepAlive: true });
  const t0 = performance.now();
  const r = await get(agent, port, '/healthz');
  const ms = performance.now() - t0;
  agent.destroy();
  if (r.status !== 200) throw new Error(`/healthz answered ${r.status}`);
  return { ms, wire: r.wire };
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, p95: s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)]! };
};

const dir = mkdtempSync(join(tmpdir(), 'bench-console-'));
const port = await freePort();
const bot = spawn(process.execPath, [join(ROOT, 'bin/privacy-bot.mjs'), 'serve'], {
  env: { PATH: process.env.PATH, PORT: String(port), DATA_DIR: dir, KNOWLEDGE_DIR: join(ROOT, 'knowledge'), LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
try {
  for (let i = 0; ; i++) {
    try {
      if ((await baseline(port)).ms >= 0) break;
    } catch {
      if (i > 300) throw new Error('the bot did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  for (let i = 0; i < 3; i++) {
    await firstLoad(port);
    await baseline(port);
  }
  const loads: Awaited<ReturnType<typeof firstLoad>>[] = [];
  const bases: Awaited<ReturnType<typeof baseline>>[] = [];
  for (let i = 0; i < RUNS; i++) {
    loads.push(await firstLoad(port));
    bases.push(await baseline(port));
  }
  let browserMs: number[] = [];
  const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (existsSync(chromiumPath)) {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      for (let i = 0; i < RUNS + 2; i++) {
        const ctx = await browser.newContext();
        const page = await ctx.newPage();
        const t0 = performance.now();
        await page.goto(`http://127.0.0.1:${port}/console`);
        await page.waitForSelector('#signin-name');
        const ms = performance.now() - t0;
        await ctx.close();
        if (i >= 2) browserMs.push(ms);
      }
    } finally {
      await browser.close();
    }
  }
  const l = stats(loads.map((x) => x.ms));
  const b = stats(bases.map((x) => x.ms));
  const result = {
    runs: RUNS,
    console: { files: loads[0]!.files, wireBytes: loads[0]!.wire, uncompressedBytes: loads[0]!.raw, msMedian: l.median, msP95: l.p95 },
    baseline: { path: '/healthz', wireBytes: bases[0]!.wire, msMedian: b.median, msP95: b.p95 },
    ...(browserMs.length ? { browser: { signInFormMsMedian: stats(browserMs).median, signInFormMsP95: stats(browserMs).p95 } } : {}),
  };
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  process.stdout.write(
    `console first load on loopback, ${RUNS} runs (median / p95):\n` +
      `  /console + ${loads[0]!.files - 1} scripts  ${kb(loads[0]!.wire)} on the wire (${kb(loads[0]!.raw)} uncompressed)  ${l.median.toFixed(2)} / ${l.p95.toFixed(2)} ms\n` +
      `  baseline /healthz        ${bases[0]!.wire} B                                ${b.median.toFixed(2)} / ${b.p95.toFixed(2)} ms\n` +
      (browserMs.length ? `  headless chromium, navigation to sign-in form on screen: ${stats(browserMs).median.toFixed(1)} / ${stats(browserMs).p95.toFixed(1)} ms\n` : '  (no browser found: browser timing skipped)\n'),
  );
  if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
} finally {
  bot.kill('SIGTERM');
  await new Promise((r) => bot.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
