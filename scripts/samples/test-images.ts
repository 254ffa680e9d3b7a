/**
 * Sample images for the generated test model, drawn pixel by pixel (deterministic):
 * - plain: one palette colour with a gentle gradient and a large soft shape, no fine detail;
 * - detailed: the same colour covered with lines of tiny glyphs (1-pixel strokes, like small
 *   print), whose edges stay sharp after halving, so the model asks for the full image.
 * In both, the palette colour stays the nearest to the mean colour, so it is the right answer.
 * Also the same pixels as a BMP file, for the tests of formats beyond PNG.
 */
import { PALETTE } from '../model/test-model.ts';

export type SampleKind = 'plain' | 'detailed';

export interface RgbImage {
  width: number;
  height: number;
  channels: 3;
  data: Uint8Array;
}

/** A tiny deterministic PRNG (mulberry32): the same seed always gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function paletteColour(name: string): readonly [number, number, number] {
  const colour = PALETTE.find((c) => c.name === name);
  if (!colour) throw new Error(`Unknown colour ${name}; the palette is ${PALETTE.map((c) => c.name).join(', ')}`);
  return colour.rgb;
}

const clamp = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));

export function renderSample(kind: SampleKind, colourName: string, width: number, height: number): RgbImage {
  const [r, g, b] = paletteColour(colourName).map((v) => v * 255) as [number, number, number];
  const data = new Uint8Array(width * height * 3);
  const cx = width * 0.62;
  const cy = height * 0.45;
  const radius = Math.min(width, height) * 0.3;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // A gentle vertical gradient and a large, slightly lighter disc with a soft edge.
      const shade = 1 - 0.06 * (y / height);
      const d = Math.hypot(x - cx, y - cy);
      const disc = Math.max(0, Math.min(1, (radius - d) / (radius * 0.25)));
      const lift = 18 * disc;
      const i = (y * width + x) * 3;
      data[i] = clamp(r * shade + lift);
      data[i + 1] = clamp(g * shade + lift);
      data[i + 2] = clamp(b * shade + lift);
    }
  }
  if (kind === 'detailed') drawSmallPrint(data, width, height, colourName === 'black' ? 255 : 0);
  return { width, height, channels: 3, data };
}

/** Lines of 3×5 glyphs with 1-pixel strokes, 1 pixel apart, on an 8-pixel line pitch. */
function drawSmallPrint(data: Uint8Array, width: number, height: number, ink: number): void {
  const next = seededRandom(width * 7919 + height);
  const glyphs = Array.from({ length: 24 }, () => Array.from({ length: 15 }, () => next() < 0.45));
  const margin = Math.max(2, Math.floor(Math.min(width, height) * 0.04));
  for (let top = margin; top + 5 < height - margin; top += 8) {
    let x = margin;
    while (x + 3 < width - margin) {
      // Words of 2-7 glyphs separated by a space.
      const length = 2 + Math.floor(next() * 6);
      for (let k = 0; k < length && x + 3 < width - margin; k++, x += 4) {
        const glyph = glyphs[Math.floor(next() * glyphs.length)] ?? [];
        for (let gy = 0; gy < 5; gy++) {
          for (let gx = 0; gx < 3; gx++) {
            if (!glyph[gy * 3 + gx]) continue;
            const i = ((top + gy) * width + x + gx) * 3;
            data[i] = data[i + 1] = data[i + 2] = ink;
          }
        }
      }
      x += 4;
    }
  }
}

/** Every colour in both kinds, at a few sizes (landscape, portrait, square). */
export const SAMPLE_SIZES: readonly [number, number][] = [
  [448, 336],
  [896, 672],
  [672, 896],
  [1344, 1008],
];

/**
 * A sample image as a 24-bit BMP with the same pixels as `samplePng`: BITMAPINFOHEADER, rows
 * bottom-up in BGR order, each padded to a multiple of 4 bytes.
 */
export function sampleBmp(kind: SampleKind, colour: string, width: number, height: number): Buffer {
  const { data } = renderSample(kind, colour, width, height);
  const stride = Math.ceil((width * 3) / 4) * 4;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const row = (height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      pixels.set([data[i + 2] ?? 0, data[i + 1] ?? 0, data[i] ?? 0], row + x * 3);
    }
  }
  return Buffer.concat([bmpHeader(width, height, pixels.length), pixels]);
}

/**
 * The 54-byte header of a 24-bit BMP (BITMAPINFOHEADER) of `width` × `height` whose pixel rows
 * take `pixelBytes` (0 for a header that claims a size with nothing after it).
 */
export function bmpHeader(width: number, height: number, pixelBytes = 0): Buffer {
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(54 + pixelBytes, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(width, 18);
  header.writeInt32LE(height, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  return header;
}
