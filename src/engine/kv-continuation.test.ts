import { Tensor } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { installKvContinuation, trailingGrids } from './kv-continuation.ts';

const grids = (rows: number[][]): Tensor =>
  new Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, 3]);

describe('trailingGrids', () => {
  const low = [1, 12, 16]; // 192 patches
  const full = [1, 24, 32]; // 768 patches

  it('keeps only the grids of the images whose patches are given', () => {
    const kept = trailingGrids(grids([low, full]), 768);
    expect(kept.dims).toEqual([1, 3]);
    expect(kept.tolist()).toEqual([[1n, 24n, 32n]]);
  });

  it('returns every grid when all patches are given (a full re-prefill)', () => {
    const all = grids([low, full]);
    expect(trailingGrids(all, 192 + 768)).toBe(all);
  });

  it('refuses patch counts that do not line up with image boundaries', () => {
    expect(() => trailingGrids(grids([low, full]), 500)).toThrow(/do not match the 500 image patches/);
    expect(() => trailingGrids(grids([low]), 193)).toThrow(/do not match/);
  });
});

describe('installKvContinuation', () => {
  it('refuses a library version it was not verified on', () => {
    expect(() => {
      installKvContinuation('4.4.0');
    }).toThrow(/verified on @huggingface\/transformers 4\.3\.1, not 4\.4\.0/);
  });
});
