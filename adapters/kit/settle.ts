/** Outcome of waiting a bounded time for a promise. */
export type Settled<T> = { state: 'done'; value: T } | { state: 'failed'; error: unknown } | { state: 'late' };

/**
 * The promise's outcome if it settles within `ms` milliseconds, else 'late' (the promise keeps
 * running; the caller still owns it). `ms` ≤ 0 still lets an already-settled promise report.
 */
export async function settleWithin<T>(p: Promise<T>, ms: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => resolve({ state: 'late' }), Math.max(0, ms));
  });
  try {
    return await Promise.race([
      p.then(
        (value): Settled<T> => ({ state: 'done', value }),
        (error: unknown): Settled<T> => ({ state: 'failed', error }),
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The promise's outcome if it settles before `deadline` resolves, else 'late' (the promise keeps
 * running; the caller still owns it). The deadline as an event: tests pass one they fire themselves.
 */
export async function settleBefore<T>(p: Promise<T>, deadline: Promise<void>): Promise<Settled<T>> {
  return Promise.race([
    p.then(
      (value): Settled<T> => ({ state: 'done', value }),
      (error: unknown): Settled<T> => ({ state: 'failed', error }),
    ),
    deadline.then((): Settled<T> => ({ state: 'late' })),
  ]);
}
