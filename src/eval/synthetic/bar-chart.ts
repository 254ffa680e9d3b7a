/**
 * "What is the value of the red bar?" A bar chart whose bars carry their values in small print
 * (the font at scale 1), unreadable once the image is halved. The bars are hatched, as printed
 * charts often are, and the plot has a grid and tick labels: detail over most of the image, so the
 * test model asks for the full image here as it does for a page of text.
 */
import { BAR_COLOURS } from './colours.ts';
import { GLYPH_HEIGHT, drawText, textWidth } from './font.ts';
import { intBetween, pick, pickDistinct } from './random.ts';
import { fillRect, fillWhere, type Rgb } from './raster.ts';
import type { SceneBuilder, TextMark } from './scene.ts';
import { CHART_SUBJECTS } from './words.ts';

const WHITE: Rgb = [255, 255, 255];
const AXIS: Rgb = [40, 40, 40];
const GRID: Rgb = [190, 190, 190];
const LABEL: Rgb = [0, 0, 0];
/**
 * Hatching period along a row, in pixels. Eight (four after halving) keeps the stripes well below
 * the half-size image's finest frequency, where a good resampling filter (Lanczos) would blur
 * them to flat colour, so the detail the test model measures is there whatever filter halves it.
 */
const HATCH = 8;
/** Grid lines (and tick labels) per axis. */
const STEPS = 10;

export const barChartScene: SceneBuilder = (random, width, height) => {
  const bars = pickDistinct(random, BAR_COLOURS, intBetween(random, 4, 6));
  const digits = pick(random, [2, 3]);
  const unit = digits === 2 ? 10 : 100;
  const values = bars.map(() => intBetween(random, unit + 1, 10 * unit - 1));
  const top = Math.ceil(Math.max(...values) / unit) * unit;
  const asked = intBetween(random, 0, bars.length - 1);
  const firstYear = intBetween(random, 1990, 2018);
  const title = `${pick(random, CHART_SUBJECTS)} BY YEAR`;

  const margin = 12;
  const tickWidth = textWidth(String(top), 1);
  const plot = {
    left: margin + tickWidth + 6,
    right: width - margin,
    top: margin + 2 * GLYPH_HEIGHT + 24,
    bottom: height - margin - GLYPH_HEIGHT - 6,
  };
  const plotHeight = plot.bottom - plot.top;
  const slot = (plot.right - plot.left) / bars.length;
  const barWidth = Math.round(slot * 0.6);
  const yOf = (value: number): number => plot.bottom - Math.round((value / top) * plotHeight);
  const layout = bars.map((colour, i) => {
    const value = values[i] ?? 0;
    const x = Math.round(plot.left + slot * i + (slot - barWidth) / 2);
    const centre = x + barWidth / 2;
    const label = String(value);
    const year = String(firstYear + i);
    return {
      colour: colour.rgb,
      x,
      y: yOf(value),
      label: { text: label, x: Math.round(centre - textWidth(label, 1) / 2), y: yOf(value) - GLYPH_HEIGHT - 4 },
      year: { text: year, x: Math.round(centre - textWidth(year, 1) / 2), y: plot.bottom + 5 },
    };
  });
  const askedBar = layout[asked];
  const askedColour = bars[asked];
  if (!askedBar || !askedColour) throw new RangeError(`Bar ${asked} of ${bars.length} does not exist.`);
  const marks: TextMark[] = [{ role: 'answer', ...askedBar.label, scale: 1, colour: LABEL }];

  return {
    kind: 'chart',
    question: `What is the value of the ${askedColour.name} bar in this chart? Answer with the number only.`,
    answers: [askedBar.label.text],
    background: WHITE,
    marks,
    paint(raster) {
      drawText(raster, title, Math.round((width - textWidth(title, 2)) / 2), margin, 2, LABEL);
      for (let step = 1; step <= STEPS; step++) {
        const value = (top / STEPS) * step;
        const y = yOf(value);
        fillRect(raster, plot.left, y, plot.right - plot.left, 1, GRID);
        const text = String(value);
        drawText(raster, text, plot.left - 6 - textWidth(text, 1), y - 3, 1, LABEL);
      }
      drawText(raster, '0', plot.left - 6 - textWidth('0', 1), plot.bottom - 3, 1, LABEL);
      for (const bar of layout) {
        const box = { x0: bar.x, y0: bar.y, x1: bar.x + barWidth, y1: plot.bottom };
        fillWhere(raster, box, WHITE);
        fillWhere(raster, box, bar.colour, (x, y) => (x + y) % HATCH < HATCH / 2);
        // A solid outline, so each bar's edge and colour read at a glance despite the hatching.
        fillRect(raster, bar.x, bar.y, barWidth, 2, bar.colour);
        fillRect(raster, bar.x, bar.y, 2, plot.bottom - bar.y, bar.colour);
        fillRect(raster, bar.x + barWidth - 2, bar.y, 2, plot.bottom - bar.y, bar.colour);
        drawText(raster, bar.label.text, bar.label.x, bar.label.y, 1, LABEL);
        drawText(raster, bar.year.text, bar.year.x, bar.year.y, 1, LABEL);
      }
      fillRect(raster, plot.left, plot.top - 8, 1, plot.bottom - plot.top + 8, AXIS);
      fillRect(raster, plot.left, plot.bottom, plot.right - plot.left, 1, AXIS);
    },
  };
};
