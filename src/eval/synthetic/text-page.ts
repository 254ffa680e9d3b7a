/**
 * "What is the first word on line 12?" A page of numbered lines of small print (the font at
 * scale 1: 7 px high glyphs with 1 px strokes). Halving leaves each glyph a 3 × 4 px smudge, so the
 * words cannot be read from the low-resolution image, while the dense lines over the whole page
 * keep its detail score well above the test model's threshold.
 */
import { GLYPH_ADVANCE, GLYPH_HEIGHT, drawText } from './font.ts';
import { intBetween, pick, type Random } from './random.ts';
import type { Rgb } from './raster.ts';
import type { SceneBuilder, TextMark } from './scene.ts';
import { WORDS } from './words.ts';

/** From the top of one line to the next: the glyphs' 7 px and a 3 px gap. */
export const LINE_PITCH = 10;

const PAPERS: readonly Rgb[] = [
  [255, 255, 255],
  [250, 246, 232],
  [238, 238, 238],
];
const INKS: readonly Rgb[] = [
  [0, 0, 0],
  [24, 32, 96],
  [64, 40, 24],
];

/** Words for one line of `columns` characters after its label, at least one. */
function lineWords(random: Random, columns: number): string[] {
  const words: string[] = [];
  let used = 0;
  for (;;) {
    const word = pick(random, WORDS);
    const needed = (words.length === 0 ? 0 : 1) + word.length;
    if (used + needed > columns) {
      if (words.length > 0) return words;
      continue;
    }
    words.push(word);
    used += needed;
  }
}

export const textPageScene: SceneBuilder = (random, width, height) => {
  const paper = pick(random, PAPERS);
  const ink = pick(random, INKS);
  const margin = intBetween(random, 10, 16);
  const lineCount = Math.floor((height - 2 * margin - GLYPH_HEIGHT) / LINE_PITCH) + 1;
  const labelWidth = String(lineCount).length;
  // Characters that fit on a line: the last glyph needs no blank column after it.
  const columns = Math.floor((width - 2 * margin + 1) / GLYPH_ADVANCE);
  const lines = Array.from({ length: lineCount }, (_, i) => ({
    label: String(i + 1).padStart(labelWidth, ' '),
    words: lineWords(random, columns - labelWidth - 1),
  }));
  const asked = intBetween(random, 1, lineCount);
  const which = pick(random, ['first', 'last'] as const);
  const line = lines[asked - 1];
  if (!line) throw new RangeError(`Line ${asked} of ${lineCount} does not exist.`);
  const wordIndex = which === 'first' ? 0 : line.words.length - 1;
  const answer = line.words[wordIndex] ?? '';
  const top = margin + (asked - 1) * LINE_PITCH;
  const wordColumn = labelWidth + 1 + line.words.slice(0, wordIndex).reduce((sum, word) => sum + word.length + 1, 0);
  const labelText = String(asked);
  const marks: TextMark[] = [
    {
      role: 'line-number',
      text: labelText,
      x: margin + (labelWidth - labelText.length) * GLYPH_ADVANCE,
      y: top,
      scale: 1,
      colour: ink,
    },
    { role: 'answer', text: answer, x: margin + wordColumn * GLYPH_ADVANCE, y: top, scale: 1, colour: ink },
  ];
  return {
    kind: 'text',
    question: `The lines of this page are numbered. What is the ${which} word on line ${asked}? Answer with the word only.`,
    answers: [answer.toLowerCase()],
    background: paper,
    marks,
    paint(raster) {
      for (const [i, { label, words }] of lines.entries()) {
        drawText(raster, `${label} ${words.join(' ')}`, margin, margin + i * LINE_PITCH, 1, ink);
      }
    },
  };
};
