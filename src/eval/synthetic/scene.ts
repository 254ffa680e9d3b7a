/** What every kind of synthetic scene gives: its question, its answers and how to paint it. */
import type { Random } from './random.ts';
import type { Raster, Rgb } from './raster.ts';

/** The resolution a question needs: `low` is answerable at half width and height, `full` is not. */
export type SyntheticCategory = 'low' | 'full';

/** Text the answer rests on, where it is drawn (for the tests' ground-truth checks and previews). */
export interface TextMark {
  /** What the text is, e.g. `line-number` or `answer`. */
  role: string;
  text: string;
  /** Top-left corner of the first glyph. */
  x: number;
  y: number;
  scale: number;
  colour: Rgb;
}

/** One planned scene: every random choice is made when it is planned, so painting is pure. */
export interface Scene {
  /** The kind of scene (`colour`, `shape`, `number`, `text`, `chart`). */
  kind: string;
  question: string;
  answers: string[];
  background: Rgb;
  marks: TextMark[];
  /** Paints the scene onto a raster already filled with `background`. */
  paint(raster: Raster): void;
}

/** Plans a scene of one kind for an image of `width`×`height`. */
export type SceneBuilder = (random: Random, width: number, height: number) => Scene;
