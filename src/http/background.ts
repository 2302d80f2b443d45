import type { Logger } from 'pino';

/**
 * Tracks work that runs after an HTTP answer was sent (replies through platform APIs), so that
 * shutdown can wait for it and tests can await {@link BackgroundTasks.idle}. Errors are logged
 * with the task name, never rethrown.
 */
export class BackgroundTasks {
  private readonly running = new Set<Promise<void>>();
  constructor(private readonly log: Logger) {}

  /** Start `work` now; it runs until it settles. */
  run(name: string, work: () => Promise<void>): void {
    const p = (async () => {
      try {
        await work();
      } catch (err) {
        const e = err as { code?: string; message?: string };
        this.log.error({ task: name, code: e.code, err: e.message }, 'background task failed');
      }
    })();
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  /** Number of tasks still running. */
  get size(): number {
    return this.running.size;
  }

  /** Resolves when no task is running (including tasks started while waiting). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
