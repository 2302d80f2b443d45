/**
 * Retry delays for platform API calls: exponential backoff with jitter, so that instances (and
 * the calls of one instance) that failed together do not all come back at the same moment.
 */

/**
 * The delay before retry number `retry` (0 = the first retry), in ms: `baseMs × 2^retry` with
 * "equal jitter" — half of it fixed, the other half random — so it lies in [d/2, d).
 * @param random numbers in [0, 1) (default Math.random; fixed in tests)
 */
export function backoffWithJitterMs(baseMs: number, retry: number, random: () => number = Math.random): number {
  const d = baseMs * 2 ** retry;
  return Math.floor(d / 2 + random() * (d / 2));
}
