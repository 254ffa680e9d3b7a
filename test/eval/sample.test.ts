/** Seeded sampling: reproducible, uniform without replacement, sorted. */
import { describe, expect, it } from 'vitest';
import { sampleIndices, seededRandom } from '../../src/eval/sample.ts';

describe('sampleIndices', () => {
  it('gives the same indices for the same seed, every time', () => {
    expect(sampleIndices(2500, 100, 42)).toEqual(sampleIndices(2500, 100, 42));
  });

  it('pins the sample of a seed, so a report’s seed reproduces it on any machine', () => {
    expect(sampleIndices(2500, 8, 1)).toMatchInlineSnapshot(`
      [
        193,
        341,
        577,
        978,
        1087,
        1407,
        1992,
        2257,
      ]
    `);
  });

  it('gives a different sample for a different seed', () => {
    const samples = [1, 2, 3, 4].map((seed) => sampleIndices(2500, 20, seed).join(','));
    expect(new Set(samples).size).toBe(4);
  });

  it('draws distinct indices in range, in ascending order', () => {
    for (const [size, limit, seed] of [
      [10, 9, 3],
      [5349, 100, 7],
      [40_000, 500, 11],
      [101, 100, 0],
    ] as const) {
      const sample = sampleIndices(size, limit, seed);
      expect(sample).toHaveLength(limit);
      expect(new Set(sample).size).toBe(limit);
      expect(sample.every((index) => Number.isInteger(index) && index >= 0 && index < size)).toBe(true);
      expect(sample).toEqual([...sample].sort((a, b) => a - b));
    }
  });

  it('takes every index when the limit reaches the size', () => {
    expect(sampleIndices(5, 5, 9)).toEqual([0, 1, 2, 3, 4]);
    expect(sampleIndices(5, 100, 9)).toEqual([0, 1, 2, 3, 4]);
    expect(sampleIndices(0, 10, 9)).toEqual([]);
    expect(sampleIndices(10, 0, 9)).toEqual([]);
  });

  it('picks each index about equally often', () => {
    // 2000 samples of 3 from 10: each index is expected 600 times; 480–720 is over 5 standard
    // deviations wide, so only a biased sampler fails.
    const counts = new Array<number>(10).fill(0);
    for (let seed = 0; seed < 2000; seed++) {
      for (const index of sampleIndices(10, 3, seed)) counts[index] = (counts[index] ?? 0) + 1;
    }
    for (const count of counts) {
      expect(count).toBeGreaterThan(480);
      expect(count).toBeLessThan(720);
    }
  });

  it('says what is wrong with a size, a limit or a seed that is not a whole number', () => {
    expect(() => sampleIndices(-1, 5, 1)).toThrow("A split's size must be a whole number of rows, not -1.");
    expect(() => sampleIndices(10, 2.5, 1)).toThrow('The number of items to sample must be a whole number, not 2.5.');
    expect(() => sampleIndices(10, 5, Number.NaN)).toThrow('A seed must be a whole number, not NaN.');
  });
});

describe('seededRandom', () => {
  it('repeats its sequence for a seed, called directly or as nextInt', () => {
    const a = seededRandom(5);
    const b = seededRandom(5);
    const fromA = Array.from({ length: 20 }, () => a(1, 6));
    const fromB = Array.from({ length: 20 }, () => b.nextInt(1, 6));
    expect(fromA).toEqual(fromB);
    expect(fromA.every((value) => value >= 1 && value <= 6)).toBe(true);
    expect(new Set(fromA).size).toBeGreaterThan(1);
  });

  it('gives another sequence for another seed', () => {
    const one = seededRandom(1);
    const two = seededRandom(2);
    const draws = (random: (min: number, max: number) => number) =>
      Array.from({ length: 10 }, () => random(0, 1_000_000));
    expect(draws(one)).not.toEqual(draws(two));
  });

  it('refuses an empty range', () => {
    expect(() => seededRandom(1).nextInt(3, 2)).toThrow('nextInt needs two integers with min ≤ max, not 3 and 2.');
  });
});
