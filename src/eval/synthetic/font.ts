/**
 * The synthetic set's own 5×7 bitmap font (A–Z, 0–9, space), drawn at an integer scale.
 *
 * Why not a system font: a font rasteriser (canvas, sharp, FreeType) draws text with the fonts,
 * hinting and anti-aliasing of the machine it runs on, so the same seed would give different
 * pixels in Node and in each browser. These glyphs are plain bits drawn as filled squares, so an
 * item's image is byte-identical wherever it is rendered.
 */
import { fillRect, type Raster, type Rgb } from './raster.ts';

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;
/** Columns from one glyph to the next: the glyph and one blank column. */
export const GLYPH_ADVANCE = GLYPH_WIDTH + 1;

/** Row values 0..31 as one character each; bit 4 is the leftmost column. */
const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUV';

/** Each glyph as its seven rows, top first, one base-32 character per row. */
const GLYPH_ROWS: Readonly<Record<string, string>> = {
  ' ': '0000000',
  A: 'EHHVHHH',
  B: 'UHHUHHU',
  C: 'EHGGGHE',
  D: 'SIHHHIS',
  E: 'VGGUGGV',
  F: 'VGGUGGG',
  G: 'EHGNHHF',
  H: 'HHHVHHH',
  I: 'E44444E',
  J: '72222IC',
  K: 'HIKOKIH',
  L: 'GGGGGGV',
  M: 'HRLLHHH',
  N: 'HHPLJHH',
  O: 'EHHHHHE',
  P: 'UHHUGGG',
  Q: 'EHHHLID',
  R: 'UHHUKIH',
  S: 'FGGE11U',
  T: 'V444444',
  U: 'HHHHHHE',
  V: 'HHHHHA4',
  W: 'HHHLLLA',
  X: 'HHA4AHH',
  Y: 'HHA4444',
  Z: 'V1248GV',
  '0': 'EHJLPHE',
  '1': '4C4444E',
  '2': 'EH1248V',
  '3': 'V2421HE',
  '4': '26AIV22',
  '5': 'VGU11HE',
  '6': '68GUHHE',
  '7': 'V124888',
  '8': 'EHHEHHE',
  '9': 'EHHF12C',
};

/** A glyph's rows as numbers; a typo in the table fails on load instead of drawing a wrong glyph. */
function decodeRows(char: string, rows: string): number[] {
  const values = Array.from({ length: rows.length }, (_, i) => DIGITS.indexOf(rows.charAt(i)));
  if (values.length !== GLYPH_HEIGHT || values.some((value) => value < 0)) {
    throw new RangeError(`The glyph of ${JSON.stringify(char)} is malformed: ${JSON.stringify(rows)}.`);
  }
  return values;
}

const GLYPHS: ReadonlyMap<string, readonly number[]> = new Map(
  Object.entries(GLYPH_ROWS).map(([char, rows]) => [char, decodeRows(char, rows)]),
);

/** The characters the font can draw. */
export const FONT_CHARACTERS: readonly string[] = [...GLYPHS.keys()];

function glyphOf(char: string): readonly number[] {
  const rows = GLYPHS.get(char);
  if (rows === undefined) throw new RangeError(`The synthetic font has no glyph for ${JSON.stringify(char)}.`);
  return rows;
}

/** Whether the glyph of `char` has ink at column `col` (0..4), row `row` (0..6). */
export function glyphBit(char: string, col: number, row: number): boolean {
  const value = glyphOf(char)[row] ?? 0;
  return col >= 0 && col < GLYPH_WIDTH && ((value >> (GLYPH_WIDTH - 1 - col)) & 1) === 1;
}

/** Width in pixels of `text` at `scale`, without the blank column after the last glyph. */
export function textWidth(text: string, scale: number): number {
  return text.length === 0 ? 0 : (text.length * GLYPH_ADVANCE - 1) * scale;
}

/** Draws `text` with its top-left corner at (x, y), each font pixel a `scale`×`scale` square. */
export function drawText(raster: Raster, text: string, x: number, y: number, scale: number, colour: Rgb): void {
  // Index by UTF-16 unit, as `textWidth` counts: the font has ASCII characters only.
  for (let index = 0; index < text.length; index++) {
    const left = x + index * GLYPH_ADVANCE * scale;
    for (const [row, bits] of glyphOf(text.charAt(index)).entries()) {
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if ((bits >> (GLYPH_WIDTH - 1 - col)) & 1)
          fillRect(raster, left + col * scale, y + row * scale, scale, scale, colour);
      }
    }
  }
}
