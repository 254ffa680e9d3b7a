/**
 * Seeded randomness for the evaluation harness: which rows of a split a run asks about, and the
 * synthetic set's choices. Both come from pure-rand's Mersenne Twister, which is integer-only
 * arithmetic, so a seed gives the same numbers in Node, in a browser and in a worker, on every
 * machine, and a report's `seed` reproduces its sample exactly.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { mersenne } from 'pure-rand/generator/mersenne';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/** Integers from a seeded generator; callable directly or as `.nextInt`, whichever reads better. */
export interface SeededRandom {
  (min: number, maxInclusive: number): number;
  /** A uniformly drawn integer in [min, maxInclusive]. */
  nextInt(min: number, maxInclusive: number): number;
}

/**
 * A generator of integers for `seed` (a safe integer; only its low 32 bits count, so seeds that
 * differ by a multiple of 2³² give the same numbers). The same seed gives the same sequence
 * everywhere.
 */
export function seededRandom(seed: number): SeededRandom {
  const rng = generatorFor(seed);
  const nextInt = (min: number, maxInclusive: number): number => {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(maxInclusive) || min > maxInclusive) {
      throw new RangeError(`nextInt needs two integers with min ≤ max, not ${min} and ${maxInclusive}.`);
    }
    return uniformInt(rng, min, maxInclusive);
  };
  return Object.assign(nextInt, { nextInt });
}

/**
 * A uniform sample without replacement of `min(limit, size)` distinct indices in [0, size), in
 * ascending order. The same (size, limit, seed) always gives the same indices, and a sample of a
 * larger limit is not a superset of a smaller one's (each limit is its own uniform draw).
 */
export function sampleIndices(size: number, limit: number, seed: number): number[] {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`A split's size must be a whole number of rows, not ${size}.`);
  }
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new RangeError(`The number of items to sample must be a whole number, not ${limit}.`);
  }
  const count = Math.min(limit, size);
  if (count === size) return Array.from({ length: size }, (_, index) => index);
  const rng = generatorFor(seed);
  // Floyd's algorithm: `count` draws whatever the split's size, with no array of `size` indices, so
  // sampling 100 rows of a 40 000-row split costs 100 draws.
  const chosen = new Set<number>();
  for (let top = size - count; top < size; top++) {
    const candidate = uniformInt(rng, 0, top);
    chosen.add(chosen.has(candidate) ? top : candidate);
  }
  return [...chosen].sort((a, b) => a - b);
}

function generatorFor(seed: number): RandomGenerator {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`A seed must be a whole number, not ${seed}.`);
  // Mersenne Twister rather than the faster xoroshiro128+: its seeding scrambles the seed through
  // 624 words of state, so seeds 1 and 2 start unrelated; xoroshiro's first outputs for nearby
  // seeds differ by about as much as the seeds do, and so would the first sampled row.
  return mersenne(seed | 0);
}
