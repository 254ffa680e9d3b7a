/**
 * The evaluation harness's built-in offline dataset: pictures drawn here, pixel by pixel, with
 * questions whose answers are known exactly. Half of them can be answered from the half-size image
 * VisionThink looks at first (`low`: a background colour, a large shape, a big number), half need
 * the full image (`full`: a word in small print, a chart's small value label).
 *
 * Everything is pure TypeScript on an RGB buffer (no canvas, sharp, DOM or system font) and
 * encoded with fast-png, so a seed gives byte-identical images in Node and in a Web Worker.
 */
import { encode } from 'fast-png';
import type { DatasetInfo, EvalItem } from '../types.ts';
import { barChartScene } from './bar-chart.ts';
import { LOW_SCENES } from './low-scenes.ts';
import { hashInts, mulberry32, pick } from './random.ts';
import { createRaster } from './raster.ts';
import type { Scene, SceneBuilder, SyntheticCategory, TextMark } from './scene.ts';
import { textPageScene } from './text-page.ts';

export type { SyntheticCategory, TextMark };

/**
 * Image sizes, from 448×336 to 896×672. Each side is a multiple of 56, so the half-size image is
 * a whole number of 28-pixel blocks (one visual token each) and is not resized a second time.
 */
export const SYNTHETIC_SIZES: readonly (readonly [number, number])[] = [
  [448, 336],
  [560, 448],
  [672, 504],
  [504, 672],
  [784, 560],
  [896, 672],
];

const FULL_SCENES: readonly SceneBuilder[] = [textPageScene, barChartScene];

/** Salts that keep the category draw and the item streams apart. */
const CATEGORY_SALT = 0x0ca7;
const ITEM_SALT = 0x17e3;

/**
 * Item k's category. Items come in pairs (2j, 2j + 1), one of each category in an order the seed
 * decides, so every sample of even size is exactly half `low`, half `full`, and item k still
 * depends on nothing but the seed and k.
 */
function categoryOf(seed: number, index: number): SyntheticCategory {
  const lowFirst = (hashInts(CATEGORY_SALT, seed, Math.floor(index / 2)) & 1) === 0;
  return (index % 2 === 0) === lowFirst ? 'low' : 'full';
}

interface Planned {
  category: SyntheticCategory;
  width: number;
  height: number;
  scene: Scene;
}

/** Item k's size, category and scene, with every random choice made (cheap: no pixels yet). */
function plan(seed: number, index: number): Planned {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`Item index ${index} is not a whole number ≥ 0.`);
  const random = mulberry32(hashInts(ITEM_SALT, seed, index));
  const category = categoryOf(seed, index);
  const [width, height] = pick(random, SYNTHETIC_SIZES);
  const build = pick(random, category === 'low' ? LOW_SCENES : FULL_SCENES);
  return { category, width, height, scene: build(random, width, height) };
}

/** A synthetic item in full: its pixels, question and answers, and where its key text is drawn. */
export interface RenderedSyntheticItem {
  width: number;
  height: number;
  /** Row by row, three bytes (R, G, B) per pixel. */
  rgb: Uint8Array;
  question: string;
  answers: string[];
  category: SyntheticCategory;
  /** `colour`, `shape`, `number`, `text` or `chart`. */
  kind: string;
  /** The text the answer rests on and where it is drawn (none for colour and shape questions). */
  marks: TextMark[];
}

/** The raw pixels of item `index` for `seed` (for tests and previews). */
export function renderSyntheticItem(seed: number, index: number): RenderedSyntheticItem {
  const { category, width, height, scene } = plan(seed, index);
  const raster = createRaster(width, height, scene.background);
  scene.paint(raster);
  return {
    width,
    height,
    rgb: raster.rgb,
    question: scene.question,
    answers: scene.answers,
    category,
    kind: scene.kind,
    marks: scene.marks,
  };
}

/** Item `index` for `seed` as PNG bytes (RGB, 8 bits per channel). */
export function syntheticPng(seed: number, index: number): Uint8Array {
  const { width, height, rgb } = renderSyntheticItem(seed, index);
  return encode({ width, height, data: rgb, channels: 3, depth: 8 });
}

/**
 * The synthetic set's items 0..limit-1 for `seed`: item k depends only on (seed, k). Questions
 * and answers are planned now; each image is drawn and encoded when asked for, so a long sample
 * holds no pixels.
 */
export function syntheticItems(limit: number, seed: number): EvalItem[] {
  return Array.from({ length: limit }, (_, index) => {
    const { category, scene } = plan(seed, index);
    return {
      id: String(index),
      question: scene.question,
      answers: scene.answers,
      category,
      image: (signal?: AbortSignal) =>
        new Promise<Uint8Array>((resolve) => {
          signal?.throwIfAborted();
          resolve(syntheticPng(seed, index));
        }),
    };
  });
}

/** What a report says about the synthetic set: `limit` items, scored by exact match. */
export function syntheticInfo(limit: number): DatasetInfo {
  return {
    id: 'synthetic',
    label: 'Synthetic (colours, shapes, numbers, small print, charts)',
    metric: 'exact',
    size: limit,
    source: 'built in (rendered by the app)',
  };
}
