/**
 * The synthetic dataset's contract: the harness's item and info shapes, images that depend on the
 * seed and the index alone (byte for byte), PNGs that decode to the pixels and the size stated,
 * and a sample that is half `low`, half `full`.
 */
import { createHash } from 'node:crypto';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { SYNTHETIC_SIZES, renderSyntheticItem, syntheticInfo, syntheticItems, syntheticPng } from './index.ts';

/**
 * The first index where two byte arrays differ (the shorter one's length when one is a prefix of
 * the other), -1 when they are equal: vitest's deep equality is far too slow for megabytes.
 */
function firstDifference(a: ArrayLike<number> | undefined, b: ArrayLike<number> | undefined): number {
  if (!a || !b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : length;
}

describe('the synthetic dataset', () => {
  it('describes itself to a report', () => {
    expect(syntheticInfo(50)).toEqual({
      id: 'synthetic',
      label: expect.stringMatching(/^Synthetic/) as unknown,
      metric: 'exact',
      size: 50,
      source: 'built in (rendered by the app)',
    });
  });

  it('numbers its items from 0 and poses each with a short-answer question and its answers', () => {
    const items = syntheticItems(12, 5);
    expect(items.map((item) => item.id)).toEqual(Array.from({ length: 12 }, (_, i) => String(i)));
    for (const [index, item] of items.entries()) {
      const rendered = renderSyntheticItem(5, index);
      expect(item.question).toBe(rendered.question);
      expect(item.answers).toEqual(rendered.answers);
      expect(item.category).toBe(rendered.category);
      expect(item.question).toMatch(/\? Answer with (one word|the number only|the word only)\b/);
      expect(item.answers.length).toBeGreaterThan(0);
      for (const answer of item.answers) expect(answer).toMatch(/^[a-z0-9]+$/);
    }
    expect(syntheticItems(0, 5)).toEqual([]);
  });

  it('makes item k depend on the seed and k alone, not on how many items are asked for', () => {
    const few = syntheticItems(3, 11);
    const many = syntheticItems(30, 11);
    expect(few.map(({ question, answers }) => ({ question, answers }))).toEqual(
      many.slice(0, 3).map(({ question, answers }) => ({ question, answers })),
    );
  });

  it('gives byte-identical PNGs for the same seed and different images for another seed', async () => {
    const [first, again] = [syntheticItems(4, 42), syntheticItems(4, 42)];
    const other = syntheticItems(4, 43);
    for (let index = 0; index < 4; index++) {
      const bytes = await first[index]?.image();
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect(firstDifference(await again[index]?.image(), bytes)).toBe(-1);
      expect(firstDifference(syntheticPng(42, index), bytes)).toBe(-1);
      expect(firstDifference(await other[index]?.image(), bytes)).not.toBe(-1);
    }
    // Neighbouring seeds are unrelated streams, not shifted copies of one another.
    const questions = (seed: number) => syntheticItems(20, seed).map((item) => item.question + item.answers.join());
    expect(questions(1)).not.toEqual(questions(2));
    expect(questions(2 ** 32 + 1)).not.toEqual(questions(1));
  });

  it('draws the same pixels as when these tests were written (a seed names the same images in every version)', () => {
    // Pinned on the pixels, not the PNG bytes: the encoder's compression may change, the images may not.
    const pixelHash = (seed: number, index: number) =>
      createHash('sha256').update(renderSyntheticItem(seed, index).rgb).digest('hex').slice(0, 16);
    expect([pixelHash(1, 0), pixelHash(1, 1), pixelHash(1, 2), pixelHash(1, 3), pixelHash(7, 4)]).toEqual([
      '03f76a791a3ef434', // colour
      'a6321a28284b104c', // text
      '1059445245d68437', // shape
      '28e68fea787175ba', // chart
      '0349d90f6d653e3d', // number
    ]);
  });

  it('encodes PNGs that decode to the stated size and exactly the rendered pixels', () => {
    for (const index of [0, 1, 2, 3]) {
      const rendered = renderSyntheticItem(9, index);
      const png = decode(syntheticPng(9, index));
      expect({ width: png.width, height: png.height, channels: png.channels, depth: png.depth }).toEqual({
        width: rendered.width,
        height: rendered.height,
        channels: 3,
        depth: 8,
      });
      expect(firstDifference(png.data, rendered.rgb)).toBe(-1);
      expect(rendered.rgb).toHaveLength(rendered.width * rendered.height * 3);
    }
  });

  it('draws every size from 448×336 to 896×672, each side a multiple of 56', () => {
    const sizes = new Set<string>();
    for (let index = 0; index < 60; index++) {
      const { width, height } = renderSyntheticItem(3, index);
      expect(width % 56).toBe(0);
      expect(height % 56).toBe(0);
      expect(width * height).toBeGreaterThanOrEqual(448 * 336);
      expect(width * height).toBeLessThanOrEqual(896 * 672);
      sizes.add(`${width}x${height}`);
    }
    expect([...sizes].sort()).toEqual(SYNTHETIC_SIZES.map(([w, h]) => `${w}x${h}`).sort());
  });

  it('mixes the categories half and half, and every kind of question appears', () => {
    for (const seed of [1, 2, 3, 1234]) {
      const categories = syntheticItems(20, seed).map((item) => item.category);
      expect(categories.filter((category) => category === 'low')).toHaveLength(10);
      expect(categories.filter((category) => category === 'full')).toHaveLength(10);
      // Not a fixed alternation: the seed decides the order within each pair.
      expect(categories.join()).not.toBe(
        syntheticItems(20, seed + 1)
          .map((item) => item.category)
          .join(),
      );
    }
    const kinds = new Map<string, Set<string>>();
    for (let index = 0; index < 40; index++) {
      const { kind, category } = renderSyntheticItem(8, index);
      kinds.set(category, (kinds.get(category) ?? new Set()).add(kind));
    }
    expect([...(kinds.get('low') ?? [])].sort()).toEqual(['colour', 'number', 'shape']);
    expect([...(kinds.get('full') ?? [])].sort()).toEqual(['chart', 'text']);
  });

  it('rejects an image request that was already stopped', async () => {
    const [item] = syntheticItems(1, 1);
    const controller = new AbortController();
    controller.abort(new Error('stopped'));
    await expect(item?.image(controller.signal)).rejects.toThrow('stopped');
  });
});
