// Diagnostic preload for the bot under bench/load.ts --probe (plain JS: it is loaded with
// `node --import ./bench/probe.mjs` before the bot's own tsx hook exists).
//
// Once a second it appends one JSON line to $BENCH_PROBE_FILE:
//   {t: ms since the epoch, eldP99Ms, eldMaxMs: event-loop delay (perf_hooks, 10 ms resolution),
//    gcCount, gcTotalMs, gcMaxMs: GC pauses in that second (PerformanceObserver 'gc'),
//    stallMs, stallCpuMs: the latest a 10 ms timer fired in that second and how much CPU time the
//      process used meanwhile (≈ stallMs: it was busy itself; ≈ 0: it was not running or waited
//      in a system call), heapUsedBytes (V8), rssBytes}
// It does nothing without BENCH_PROBE_FILE. It adds a 10 ms timer to the process, so figures of a
// probed run are not the plain bot's; use it to explain outliers, not for the headline numbers.
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

const file = process.env.BENCH_PROBE_FILE;
if (file) {
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  let gcCount = 0;
  let gcTotalMs = 0;
  let gcMaxMs = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcCount++;
      gcTotalMs += e.duration;
      if (e.duration > gcMaxMs) gcMaxMs = e.duration;
    }
  }).observe({ entryTypes: ['gc'] });

  let last = performance.now();
  let lastCpu = process.cpuUsage();
  let stall = { ms: 0, cpuMs: 0 };
  setInterval(() => {
    const now = performance.now();
    const cpu = process.cpuUsage();
    const late = now - last - 10;
    if (late > stall.ms) stall = { ms: late, cpuMs: (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000 };
    last = now;
    lastCpu = cpu;
  }, 10).unref();

  setInterval(() => {
    const line = {
      t: Date.now(),
      eldP99Ms: eld.percentile(99) / 1e6,
      eldMaxMs: eld.max / 1e6,
      gcCount,
      gcTotalMs,
      gcMaxMs,
      stallMs: stall.ms,
      stallCpuMs: stall.cpuMs,
      heapUsedBytes: getHeapStatistics().used_heap_size,
      rssBytes: process.memoryUsage.rss(),
    };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
    eld.reset();
    gcCount = 0;
    gcTotalMs = 0;
    gcMaxMs = 0;
    stall = { ms: 0, cpuMs: 0 };
  }, 1000).unref();
}
