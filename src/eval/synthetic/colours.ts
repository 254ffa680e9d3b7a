/** The named colours the synthetic scenes paint with, and how far apart two of them look. */
import type { Random } from './random.ts';
import { pick } from './random.ts';
import type { Rgb } from './raster.ts';

export interface NamedColour {
  name: string;
  rgb: Rgb;
  /** What counts as naming it right (both spellings of gray). */
  answers: string[];
}

const named = (name: string, rgb: Rgb, answers: string[] = [name]): NamedColour => ({ name, rgb, answers });

/**
 * The nine basic colours at their pure values: the colours a person names without hesitating,
 * and the palette the generated test model answers from, so a background of one of them is a
 * question with one right word.
 */
export const BASIC_COLOURS: readonly NamedColour[] = [
  named('black', [0, 0, 0]),
  named('white', [255, 255, 255]),
  named('gray', [128, 128, 128], ['gray', 'grey']),
  named('red', [255, 0, 0]),
  named('green', [0, 255, 0]),
  named('blue', [0, 0, 255]),
  named('yellow', [255, 255, 0]),
  named('cyan', [0, 255, 255]),
  named('magenta', [255, 0, 255]),
];

/** Bar colours of a chart: six hues nobody confuses, dark enough to stand out on white. */
export const BAR_COLOURS: readonly NamedColour[] = [
  named('red', [214, 39, 40]),
  named('green', [44, 160, 44]),
  named('blue', [31, 90, 200]),
  named('orange', [255, 127, 14]),
  named('purple', [148, 70, 189]),
  named('brown', [140, 86, 55]),
];

/** Perceived brightness, 0..255 (Rec. 601 weights). */
function luma([r, g, b]: Rgb): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

/** A colour of `from` that reads clearly against `background` (brightness at least 100 apart). */
export function contrasting(
  random: Random,
  background: Rgb,
  from: readonly NamedColour[] = BASIC_COLOURS,
): NamedColour {
  const candidates = from.filter((colour) => Math.abs(luma(colour.rgb) - luma(background)) >= 100);
  return pick(random, candidates);
}
