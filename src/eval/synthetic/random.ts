/**
 * The synthetic set's own seeded randomness. It is private to this folder on purpose: an item's
 * pixels must never change because a shared helper changed, or the same seed would stop giving
 * the same images (and the same scores) from one version to the next.
 */

/** A stream of numbers in [0, 1). */
export type Random = () => number;

/** mulberry32: a tiny PRNG on 32-bit integer arithmetic, so every engine gives the same stream. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** murmur3's finaliser: spreads every input bit over the whole word. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A 32-bit hash of integers (each taken as a whole number; seeds beyond 32 bits keep their high
 * bits too), so that item k's stream depends on the seed and k alone and neighbouring seeds or
 * items give unrelated streams.
 */
export function hashInts(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const value of values) {
    const whole = Math.trunc(value);
    h = mix(h ^ (whole >>> 0));
    h = mix(h ^ (Math.floor(whole / 4294967296) >>> 0));
  }
  return h;
}

/** An integer in [low, high], both included. */
export function intBetween(random: Random, low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

/** One element of `items` (which must not be empty). */
export function pick<T>(random: Random, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new RangeError('Cannot pick from an empty list.');
  return item;
}

/** `count` distinct elements of `items`, in random order (partial Fisher–Yates). */
export function pickDistinct<T>(random: Random, items: readonly T[], count: number): T[] {
  const pool = [...items];
  if (count > pool.length) throw new RangeError(`Cannot pick ${count} of ${pool.length} items.`);
  for (let i = 0; i < count; i++) {
    const j = intBetween(random, i, pool.length - 1);
    [pool[i], pool[j]] = [pool[j] as T, pool[i] as T];
  }
  return pool.slice(0, count);
}
