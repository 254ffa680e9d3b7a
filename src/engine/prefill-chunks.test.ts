import { describe, expect, it } from 'vitest';
import { imageSpans, planPrefillChunks } from './prefill-chunks.ts';

const IMG = 9n;
/** A sequence: `t` text tokens, `i` image tokens, in the order given. */
function sequence(...parts: ({ t: number } | { i: number })[]): bigint[] {
  return parts.flatMap((part) => ('t' in part ? Array<bigint>(part.t).fill(1n) : Array<bigint>(part.i).fill(IMG)));
}

describe('imageSpans', () => {
  it('finds each run of image tokens', () => {
    expect(imageSpans(sequence({ t: 3 }, { i: 4 }, { t: 2 }, { i: 2 }), IMG)).toEqual([
      { start: 3, end: 7 },
      { start: 9, end: 11 },
    ]);
    expect(imageSpans(sequence({ t: 5 }), IMG)).toEqual([]);
  });
});

describe('planPrefillChunks', () => {
  it('runs a prefill that fits in one chunk whole', () => {
    expect(planPrefillChunks(sequence({ t: 100 }), 0, IMG, 0, 100)).toBeNull();
    expect(planPrefillChunks(sequence({ t: 300 }), 250, IMG, 0, 100)).toBeNull();
  });

  it('cuts text into chunks, the last one left to the generation', () => {
    expect(planPrefillChunks(sequence({ t: 250 }), 0, IMG, 0, 100)).toEqual({
      chunks: [
        { end: 100, imagesBefore: 0, encodes: [] },
        { end: 200, imagesBefore: 0, encodes: [] },
      ],
      finalEncodes: [],
    });
  });

  it('never splits an image: the chunk grows to the end of the image it would cut', () => {
    // Text 0-49, image 50-179, text 180-299.
    expect(planPrefillChunks(sequence({ t: 50 }, { i: 130 }, { t: 120 }), 0, IMG, 1, 100)).toEqual({
      chunks: [
        { end: 180, imagesBefore: 1, encodes: [0] },
        { end: 280, imagesBefore: 1, encodes: [] },
      ],
      finalEncodes: [],
    });
  });

  it('continues after the cache: only images not yet cached are encoded, the last one in the final prefill', () => {
    // Cached: text 0-9, image 10-19, text 20-29. New: text 30-159, image 160-169, text 170-189.
    const ids = sequence({ t: 10 }, { i: 10 }, { t: 140 }, { i: 10 }, { t: 20 });
    expect(planPrefillChunks(ids, 30, IMG, 2, 64)).toEqual({
      chunks: [
        { end: 94, imagesBefore: 1, encodes: [] },
        { end: 158, imagesBefore: 1, encodes: [] },
      ],
      finalEncodes: [1],
    });
    // A boundary at 162 would cut the new image: that chunk ends after it instead.
    expect(planPrefillChunks(ids, 30, IMG, 2, 66)).toEqual({
      chunks: [
        { end: 96, imagesBefore: 1, encodes: [] },
        { end: 170, imagesBefore: 2, encodes: [1] },
      ],
      finalEncodes: [],
    });
    expect(planPrefillChunks(ids, 30, IMG, 2, 100)).toEqual({
      chunks: [{ end: 130, imagesBefore: 1, encodes: [] }],
      finalEncodes: [1],
    });
  });

  it('runs whole when the images do not match the grids, or the cache ends inside an image', () => {
    const ids = sequence({ t: 50 }, { i: 100 }, { t: 100 });
    expect(planPrefillChunks(ids, 0, IMG, 2, 64)).toBeNull();
    expect(planPrefillChunks(ids, 60, IMG, 1, 64)).toBeNull();
  });
});
