/**
 * The reference answers are what the pictures show: the tests read the pixels back with the font
 * (every font pixel a solid `scale`×`scale` square of ink, every other pixel not ink) and check
 * that the text sits where the question points (line N of the page, the bar of the named colour).
 */
import { describe, expect, it } from 'vitest';
import { BAR_COLOURS } from './colours.ts';
import { FONT_CHARACTERS, GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyphBit, textWidth } from './font.ts';
import { renderSyntheticItem, type RenderedSyntheticItem, type TextMark } from './index.ts';
import type { Rgb } from './raster.ts';
import { LINE_PITCH } from './text-page.ts';

type Item = RenderedSyntheticItem;

const pixel = (item: Item, x: number, y: number): Rgb => {
  const i = (y * item.width + x) * 3;
  return [item.rgb[i] ?? -1, item.rgb[i + 1] ?? -1, item.rgb[i + 2] ?? -1];
};
const same = (a: Rgb, b: Rgb): boolean => a[0] === b[0] && a[1] === b[1] && a[2] === b[2];

/** Whether the whole `scale`×`scale` square of font pixel (col, row) is ink; null when it is mixed. */
function fontPixel(item: Item, left: number, top: number, col: number, row: number, scale: number, ink: Rgb) {
  let inked = 0;
  for (let dy = 0; dy < scale; dy++) {
    for (let dx = 0; dx < scale; dx++) {
      if (same(pixel(item, left + col * scale + dx, top + row * scale + dy), ink)) inked++;
    }
  }
  return inked === 0 ? false : inked === scale * scale ? true : null;
}

/** The character whose glyph the cell at (left, top) shows exactly, or `?`. */
function readCell(item: Item, left: number, top: number, scale: number, ink: Rgb): string {
  return (
    FONT_CHARACTERS.find((char) => {
      for (let row = 0; row < GLYPH_HEIGHT; row++) {
        for (let col = 0; col < GLYPH_ADVANCE; col++) {
          if (fontPixel(item, left, top, col, row, scale, ink) !== glyphBit(char, col, row)) return false;
        }
      }
      return true;
    }) ?? '?'
  );
}

/** `length` cells read from (x, y). */
const readText = (item: Item, x: number, y: number, scale: number, ink: Rgb, length: number): string =>
  Array.from({ length }, (_, i) => readCell(item, x + i * GLYPH_ADVANCE * scale, y, scale, ink)).join('');

function markOf(item: Item, role: string): TextMark {
  const mark = item.marks.find((m) => m.role === role);
  if (!mark) throw new Error(`Item "${item.question}" has no ${role} mark.`);
  return mark;
}

/** The first `count` items of `kind` over a few seeds. */
function itemsOf(kind: string, count: number): Item[] {
  const found: Item[] = [];
  for (let seed = 1; found.length < count; seed++) {
    for (let index = 0; index < 12 && found.length < count; index++) {
      const item = renderSyntheticItem(seed, index);
      if (item.kind === kind) found.push(item);
    }
  }
  return found;
}

describe('the synthetic font', () => {
  it('has 37 distinct 5×7 glyphs (A–Z, 0–9, space) with blank spacing columns', () => {
    expect([...FONT_CHARACTERS].sort().join('')).toBe(' 0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ');
    const shapes = FONT_CHARACTERS.map((char) =>
      Array.from({ length: GLYPH_HEIGHT * GLYPH_ADVANCE }, (_, i) =>
        glyphBit(char, i % GLYPH_ADVANCE, Math.floor(i / GLYPH_ADVANCE)) ? '#' : '.',
      ).join(''),
    );
    expect(new Set(shapes).size).toBe(FONT_CHARACTERS.length);
    for (const char of FONT_CHARACTERS) {
      for (let row = 0; row < GLYPH_HEIGHT; row++) expect(glyphBit(char, GLYPH_WIDTH, row)).toBe(false);
    }
    // Spot checks against the usual 5×7 shapes: the crossbar of A, the stem of T, the slash of 0.
    expect([0, 1, 2, 3, 4].map((col) => glyphBit('A', col, 3))).toEqual([true, true, true, true, true]);
    expect([0, 1, 2, 3, 4, 5, 6].every((row) => glyphBit('T', 2, row))).toBe(true);
    expect(glyphBit('0', 2, 3) && !glyphBit('O', 2, 3)).toBe(true);
    expect(() => glyphBit('a', 0, 0)).toThrow(/no glyph/);
  });
});

describe('the ground truth of the synthetic items', () => {
  it('draws the big number, and nothing else, in glyphs at least 40 px high', () => {
    for (const item of itemsOf('number', 6)) {
      const mark = markOf(item, 'answer');
      expect(mark.text).toBe(item.answers[0]);
      expect(mark.scale * GLYPH_HEIGHT).toBeGreaterThanOrEqual(40);
      expect(readText(item, mark.x, mark.y, mark.scale, mark.colour, mark.text.length)).toBe(mark.text);
      const background = pixel(item, 0, 0);
      const right = mark.x + textWidth(mark.text, mark.scale);
      const bottom = mark.y + GLYPH_HEIGHT * mark.scale;
      for (let y = 0; y < item.height; y++) {
        for (let x = 0; x < item.width; x++) {
          const inBox = x >= mark.x && x < right && y >= mark.y && y < bottom;
          if (!inBox && !same(pixel(item, x, y), background)) throw new Error(`Stray pixel at ${x},${y}`);
        }
      }
    }
  });

  it('prints the asked word on the asked line of the page: first or last after the line number', () => {
    for (const item of itemsOf('text', 6)) {
      const [, which, line] = /the (first|last) word on line (\d+)\?/.exec(item.question) ?? [];
      const label = markOf(item, 'line-number');
      const answer = markOf(item, 'answer');
      const ink = answer.colour;
      expect(answer.scale).toBe(1);
      expect(label.text).toBe(line);
      expect(answer.text.toLowerCase()).toBe(item.answers[0]);

      // Line N is the N-th band of rows with ink in it, counted from the top.
      const bands: number[] = [];
      for (let y = 0, inBand = false; y < item.height; y++) {
        let inked = false;
        for (let x = 0; x < item.width && !inked; x++) inked = same(pixel(item, x, y), ink);
        if (inked && !inBand) bands.push(y);
        inBand = inked;
      }
      expect(bands.every((top, i) => i === 0 || top - (bands[i - 1] ?? 0) === LINE_PITCH)).toBe(true);
      expect(answer.y).toBe(bands[Number(line) - 1]);
      expect(label.y).toBe(answer.y);

      expect(readText(item, label.x, label.y, 1, ink, label.text.length)).toBe(label.text);
      expect(readText(item, answer.x - GLYPH_ADVANCE, answer.y, 1, ink, answer.text.length + 2)).toBe(
        ` ${answer.text} `,
      );
      // Nothing but blanks between the number and the word (first), or after the word (last).
      const between =
        which === 'first'
          ? readText(item, label.x + label.text.length * GLYPH_ADVANCE, answer.y, 1, ink, 1)
          : readText(item, answer.x + answer.text.length * GLYPH_ADVANCE, answer.y, 1, ink, 1);
      expect(between).toBe(' ');
      if (which === 'first') expect(label.x + (label.text.length + 1) * GLYPH_ADVANCE).toBe(answer.x);
      else {
        const after = answer.x + answer.text.length * GLYPH_ADVANCE;
        for (let x = after; x < item.width; x++) {
          for (let y = answer.y; y < answer.y + GLYPH_HEIGHT; y++) expect(same(pixel(item, x, y), ink)).toBe(false);
        }
      }
    }
  });

  it('labels the bar of the asked colour with the answer, and only one bar has that colour', () => {
    for (const item of itemsOf('chart', 6)) {
      const [, name] = /the value of the (\w+) bar\b/.exec(item.question) ?? [];
      const colour = BAR_COLOURS.find((c) => c.name === name)?.rgb;
      if (!colour) throw new Error(`No bar colour named ${name}`);
      const label = markOf(item, 'answer');
      expect(label.text).toBe(item.answers[0]);
      expect(readText(item, label.x, label.y, 1, label.colour, label.text.length + 2)).toBe(`${label.text}  `);
      expect(readCell(item, label.x - GLYPH_ADVANCE, label.y, 1, label.colour)).toBe(' ');

      // Straight down from the label's centre, the first bar colour met is the named one.
      const centre = label.x + Math.floor(textWidth(label.text, 1) / 2);
      const barColours = BAR_COLOURS.map((c) => c.rgb);
      let met: Rgb | undefined;
      for (let y = label.y + GLYPH_HEIGHT; y < item.height && !met; y++) {
        const here = pixel(item, centre, y);
        if (barColours.some((c) => same(c, here))) met = here;
      }
      expect(met).toEqual(colour);

      // Every pixel of that colour lies in one run of columns around the label: one bar.
      const columns = new Set<number>();
      for (let y = 0; y < item.height; y++) {
        for (let x = 0; x < item.width; x++) if (same(pixel(item, x, y), colour)) columns.add(x);
      }
      const xs = [...columns].sort((a, b) => a - b);
      const [first = 0, last = 0] = [xs[0], xs.at(-1)];
      expect(xs).toHaveLength(last - first + 1);
      expect(first).toBeLessThanOrEqual(centre);
      expect(last).toBeGreaterThanOrEqual(centre);
    }
  });
});
