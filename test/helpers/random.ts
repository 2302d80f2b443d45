/**
 * A small seeded pseudo-random generator (mulberry32) for repeatable test data and fake-platform decisions (random
 * throttling, random tokens in property tests): the same seed gives the same sequence on every machine.
 * @param seed any 32-bit integer (taken unsigned)
 * @returns a function giving numbers in [0, 1)
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
