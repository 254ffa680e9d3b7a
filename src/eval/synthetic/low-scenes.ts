/**
 * Scenes whose question can be answered at half width and height: a background colour, one large
 * shape, a big number. They are large flat areas with few edges, so their detail score stays far
 * below the test model's threshold and the picture loses nothing a person needs when halved.
 */
import { BASIC_COLOURS, contrasting } from './colours.ts';
import { GLYPH_ADVANCE, GLYPH_HEIGHT, drawText, textWidth } from './font.ts';
import { intBetween, pick, type Random } from './random.ts';
import { fillCircle, fillRect, fillTriangle, type Raster, type Rgb } from './raster.ts';
import type { SceneBuilder } from './scene.ts';

export const SHAPES = ['circle', 'square', 'triangle'] as const;
export type ShapeName = (typeof SHAPES)[number];

/**
 * Paints a shape of `size` (the circle's diameter, the square's side, the triangle's base) centred
 * at (cx, cy). The triangle points up and is as high as it is wide, so it fills the same box.
 */
function paintShape(raster: Raster, shape: ShapeName, cx: number, cy: number, size: number, colour: Rgb): void {
  const half = size / 2;
  switch (shape) {
    case 'circle':
      fillCircle(raster, cx, cy, half, colour);
      return;
    case 'square':
      fillRect(raster, Math.round(cx - half), Math.round(cy - half), Math.round(size), Math.round(size), colour);
      return;
    case 'triangle':
      fillTriangle(
        raster,
        [
          [cx, cy - half],
          [cx + half, cy + half],
          [cx - half, cy + half],
        ],
        colour,
      );
      return;
  }
}

/** A centre at which a box of `size` fits inside the image with `margin` to spare. */
function placeBox(random: Random, width: number, height: number, size: number, margin: number): [number, number] {
  const cx = intBetween(random, Math.ceil(margin + size / 2), Math.floor(width - margin - size / 2));
  const cy = intBetween(random, Math.ceil(margin + size / 2), Math.floor(height - margin - size / 2));
  return [cx, cy];
}

/**
 * "What colour is the background?" One of the nine basic colours, with one or two small shapes of
 * other colours on it. Each shape covers at most 4 % of the image, so the background dominates:
 * the mean colour stays nearer the background's colour than any other basic colour.
 */
export const colourScene: SceneBuilder = (random, width, height) => {
  const background = pick(random, BASIC_COLOURS);
  const others = BASIC_COLOURS.filter((colour) => colour !== background);
  const short = Math.min(width, height);
  const shapes = Array.from({ length: intBetween(random, 1, 2) }, () => {
    const size = Math.round(short * (0.12 + 0.08 * random()));
    return {
      shape: pick(random, SHAPES),
      colour: pick(random, others).rgb,
      size,
      centre: placeBox(random, width, height, size, short * 0.05),
    };
  });
  return {
    kind: 'colour',
    question: 'What colour is the background of this picture? Answer with one word.',
    answers: background.answers,
    background: background.rgb,
    marks: [],
    paint(raster) {
      for (const { shape, colour, size, centre } of shapes) paintShape(raster, shape, ...centre, size, colour);
    },
  };
};

/** "What shape is this?" One large circle, square or triangle, most of the image's shorter side. */
export const shapeScene: SceneBuilder = (random, width, height) => {
  const background = pick(random, BASIC_COLOURS);
  const colour = contrasting(random, background.rgb).rgb;
  const shape = pick(random, SHAPES);
  const size = Math.round(Math.min(width, height) * (0.45 + 0.25 * random()));
  const centre = placeBox(random, width, height, size, Math.min(width, height) * 0.08);
  return {
    kind: 'shape',
    question: 'What shape is drawn in this picture? Answer with one word: circle, square or triangle.',
    answers: [shape],
    background: background.rgb,
    marks: [],
    paint(raster) {
      paintShape(raster, shape, ...centre, size, colour);
    },
  };
};

/** The smallest scale of the big number: 6 × 7 = 42 px high glyphs, 21 px after halving. */
const MIN_NUMBER_SCALE = 6;
/** The largest: 12 × 7 = 84 px; bigger glyphs would only add edges. */
const MAX_NUMBER_SCALE = 12;

/** "What number is written here?" A 2- or 3-digit number in glyphs at least 42 px high. */
export const numberScene: SceneBuilder = (random, width, height) => {
  const background = pick(random, BASIC_COLOURS);
  const ink = contrasting(random, background.rgb).rgb;
  const text = String(intBetween(random, 10, 999));
  const fits = Math.min(
    Math.floor((width * 0.8) / (3 * GLYPH_ADVANCE - 1)),
    Math.floor((height * 0.6) / GLYPH_HEIGHT),
    MAX_NUMBER_SCALE,
  );
  const scale = intBetween(random, MIN_NUMBER_SCALE, Math.max(MIN_NUMBER_SCALE, fits));
  const textW = textWidth(text, scale);
  const textH = GLYPH_HEIGHT * scale;
  const margin = Math.round(Math.min(width, height) * 0.08);
  const x = intBetween(random, margin, width - margin - textW);
  const y = intBetween(random, margin, height - margin - textH);
  return {
    kind: 'number',
    question: 'What number is written in this picture? Answer with the number only.',
    answers: [text],
    background: background.rgb,
    marks: [{ role: 'answer', text, x, y, scale, colour: ink }],
    paint(raster) {
      drawText(raster, text, x, y, scale, ink);
    },
  };
};

/** The low-resolution scenes, each equally likely. */
export const LOW_SCENES: readonly SceneBuilder[] = [colourScene, shapeScene, numberScene];
