/**
 * What the generated test model measures on the synthetic images (scripts/model/README.md): the
 * detail score at half size splits the categories with a wide margin either side of its 0.03
 * threshold, so it asks for the full image on exactly the `full` items; and on a colour question
 * the mean colour's nearest palette colour is the background, the answer it gives.
 */
import { describe, expect, it } from 'vitest';
import { renderSyntheticItem, syntheticItems, type RenderedSyntheticItem } from './index.ts';

/** The test model's threshold: a detail score above it makes it ask for the full image. */
const DETAIL_THRESHOLD = 0.03;
const PATCH = 14;

/** The palette the test model answers from (RGB in 0..1). */
const PALETTE: readonly [string, readonly [number, number, number]][] = [
  ['black', [0, 0, 0]],
  ['white', [1, 1, 1]],
  ['gray', [0.5, 0.5, 0.5]],
  ['red', [1, 0, 0]],
  ['green', [0, 1, 0]],
  ['blue', [0, 0, 1]],
  ['yellow', [1, 1, 0]],
  ['cyan', [0, 1, 1]],
  ['magenta', [1, 0, 1]],
];

interface Image {
  width: number;
  height: number;
  /** RGB in 0..1, row by row. */
  pixels: Float64Array;
}

/** Half width and height by averaging each 2×2 block: an estimate of the engine's low-resolution pass. */
function halve({ width, height, rgb }: RenderedSyntheticItem): Image {
  const w = width / 2;
  const h = height / 2;
  const pixels = new Float64Array(w * h * 3);
  const at = (x: number, y: number, c: number): number => rgb[(y * width + x) * 3 + c] ?? 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        const sum =
          at(2 * x, 2 * y, c) + at(2 * x + 1, 2 * y, c) + at(2 * x, 2 * y + 1, c) + at(2 * x + 1, 2 * y + 1, c);
        pixels[(y * w + x) * 3 + c] = sum / 4 / 255;
      }
    }
  }
  return { width: w, height: h, pixels };
}

/**
 * The test model's detail score: per 14×14 patch, the mean absolute difference of horizontally
 * and vertically adjacent pixels over the three channels (pairs inside the patch only), averaged
 * over the patches.
 */
function detailScore({ width, height, pixels }: Image): number {
  const at = (x: number, y: number, c: number): number => pixels[(y * width + x) * 3 + c] ?? 0;
  let total = 0;
  let patches = 0;
  for (let top = 0; top + PATCH <= height; top += PATCH) {
    for (let left = 0; left + PATCH <= width; left += PATCH) {
      let sum = 0;
      for (let y = top; y < top + PATCH; y++) {
        for (let x = left; x < left + PATCH; x++) {
          for (let c = 0; c < 3; c++) {
            if (x + 1 < left + PATCH) sum += Math.abs(at(x + 1, y, c) - at(x, y, c));
            if (y + 1 < top + PATCH) sum += Math.abs(at(x, y + 1, c) - at(x, y, c));
          }
        }
      }
      total += sum / (2 * 3 * PATCH * (PATCH - 1));
      patches++;
    }
  }
  return total / patches;
}

/** The mean colour (0..1) and the palette colours by distance from it, nearest first. */
function nearestPalette({ rgb }: RenderedSyntheticItem): { name: string; distance: number }[] {
  const mean = [0, 0, 0];
  for (let i = 0; i < rgb.length; i++) mean[i % 3] = (mean[i % 3] ?? 0) + (rgb[i] ?? 0);
  const m = mean.map((sum) => sum / (rgb.length / 3) / 255);
  return PALETTE.map(([name, c]) => ({ name, distance: Math.hypot(...c.map((v, i) => v - (m[i] ?? 0))) })).sort(
    (a, b) => a.distance - b.distance,
  );
}

const SEEDS = [1, 2, 3];
const PER_SEED = 40;

describe('the synthetic images as the test model sees them', () => {
  it('puts every low item far below the detail threshold and every full item far above it', () => {
    const scores: Record<'low' | 'full', number[]> = { low: [], full: [] };
    for (const seed of SEEDS) {
      for (let index = 0; index < PER_SEED; index++) {
        const item = renderSyntheticItem(seed, index);
        scores[item.category].push(detailScore(halve(item)));
      }
    }
    const range = (values: number[]) => [Math.min(...values), Math.max(...values)];
    const [, lowMax] = range(scores.low);
    const [fullMin] = range(scores.full);
    expect(scores.low).toHaveLength((SEEDS.length * PER_SEED) / 2);
    // Measured: low 0.0003–0.0058, full 0.075–0.192 (seeds 1–3, 120 items).
    expect(lowMax).toBeLessThan(DETAIL_THRESHOLD / 3);
    expect(fullMin).toBeGreaterThan(DETAIL_THRESHOLD * 2);
  });

  it('gives the background colour as the nearest palette colour to the mean on every colour question', () => {
    let colourItems = 0;
    let smallestLead = Infinity;
    for (const seed of SEEDS) {
      // Planning is cheap: render only the colour questions.
      for (const item of syntheticItems(PER_SEED * 2, seed)) {
        if (!item.question.startsWith('What colour is the background')) continue;
        const rendered = renderSyntheticItem(seed, Number(item.id));
        expect(rendered.kind).toBe('colour');
        colourItems++;
        const [nearest, second] = nearestPalette(rendered);
        expect(rendered.answers).toContain(nearest?.name);
        smallestLead = Math.min(smallestLead, (second?.distance ?? 0) - (nearest?.distance ?? 0));
      }
    }
    expect(colourItems).toBeGreaterThan(20);
    // Measured: 0.74 over 31 colour questions (seeds 1–3); a background alone would lead by 0.87.
    expect(smallestLead).toBeGreaterThan(0.2);
  });

  it('measures what it should: a flat image scores 0, a 1-pixel checkerboard 1', () => {
    const flat: Image = { width: 28, height: 28, pixels: new Float64Array(28 * 28 * 3).fill(0.5) };
    const checker: Image = {
      width: 28,
      height: 28,
      pixels: Float64Array.from({ length: 28 * 28 * 3 }, (_, i) => {
        const pixel = Math.floor(i / 3);
        return ((pixel % 28) + Math.floor(pixel / 28)) % 2;
      }),
    };
    expect(detailScore(flat)).toBe(0);
    expect(detailScore(checker)).toBe(1);
  });
});
