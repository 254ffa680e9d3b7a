/**
 * The datasets' metrics, each as its benchmark defines it, so that a figure from this harness can be
 * set beside a published one. Pure functions of strings: they run in Node and in the worker alike.
 * Where a benchmark's reference script has an accident that would only punish odd spacing or case,
 * the comment at the function says what is done instead, and why.
 */
import type { MetricId } from './types.ts';
import { normalizeVqaAnswer } from './vqa-normalize.ts';

export { normalizeVqaAnswer };

/** One scored answer, as the aggregate needs it. */
export interface ScoredAnswer {
  prediction: string;
  answers: readonly string[];
  score: number;
}

/** For people: the metric's name as the benchmark calls it. */
export const METRIC_LABELS: Readonly<Record<MetricId, string>> = {
  'relaxed-accuracy': 'relaxed accuracy',
  anls: 'ANLS',
  'vqa-accuracy': 'VQA accuracy',
  substring: 'substring match',
  'pope-f1': 'POPE F1',
  exact: 'exact match',
};

/** The score of one prediction against its references, 0 to 1. */
export function scoreAnswer(metric: MetricId, prediction: string, answers: readonly string[]): number {
  switch (metric) {
    case 'relaxed-accuracy':
      return relaxedAccuracy(prediction, answers);
    case 'anls':
      return anls(prediction, answers);
    case 'vqa-accuracy':
      return vqaAccuracy(prediction, answers);
    case 'substring':
      return substringMatch(prediction, answers);
    case 'pope-f1':
      return answers.some((answer) => popeYesNo(answer) === popeYesNo(prediction)) ? 1 : 0;
    case 'exact':
      return exactMatch(prediction, answers);
    default: {
      const unknown: never = metric;
      throw new Error(`Unknown metric ${JSON.stringify(unknown)}`);
    }
  }
}

/** The dataset's figure over a sample: the mean score, except POPE (F1 of "yes"). 0 for an empty sample. */
export function aggregateScore(metric: MetricId, items: readonly ScoredAnswer[]): number {
  if (items.length === 0) return 0;
  if (metric === 'pope-f1') return popeF1(items);
  return items.reduce((sum, item) => sum + item.score, 0) / items.length;
}

// ChartQA ---------------------------------------------------------------------------------------

/** ChartQA's tolerance: a number within 5 % of the reference is right. */
const RELATIVE_TOLERANCE = 0.05;

/** A plain decimal, optionally with thousands separators ("1,234.5") or an exponent, as Python's float() reads. */
const NUMBER = /^[+-]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

/**
 * The values a text may mean, or null when it is not a number. "45%" may mean 45 or 0.45: lmms-eval
 * (after Pix2Struct) reads it as 0.45 only, which credits "0.45" against "45%" but fails "45%" against
 * "45", the commonest way a model answers a chart in percent whose reference is written bare. Either
 * reading is accepted here, so both pairs match; "0.45" against a bare "45" still does not.
 */
function numericReadings(text: string): number[] | null {
  const trimmed = text.trim();
  const percent = trimmed.endsWith('%');
  const body = percent ? trimmed.slice(0, -1).trimEnd() : trimmed;
  if (!NUMBER.test(body)) return null;
  const value = Number(body.replaceAll(',', ''));
  return percent ? [value, value / 100] : [value];
}

function withinTolerance(prediction: number, reference: number): boolean {
  // A reference of 0 has no relative error; the definition leaves only equality. (lmms-eval falls back
  // to comparing the strings there, so "0.0" fails against "0"; equal numbers are equal here.)
  if (reference === 0) return prediction === 0;
  return Math.abs(prediction - reference) / Math.abs(reference) <= RELATIVE_TOLERANCE;
}

/**
 * ChartQA's relaxed accuracy: 1 when prediction and a reference are numbers within 5 % of the
 * reference ("%" read as above, "1,234" as 1234), else 1 when they are equal, ignoring case and the
 * spaces around them; 0 otherwise. Best over the references.
 */
export function relaxedAccuracy(prediction: string, answers: readonly string[]): number {
  const predicted = numericReadings(prediction);
  const right = answers.some((answer) => {
    const reference = numericReadings(answer);
    if (predicted && reference) return predicted.some((p) => reference.some((r) => withinTolerance(p, r)));
    return prediction.trim().toLowerCase() === answer.trim().toLowerCase();
  });
  return right ? 1 : 0;
}

// DocVQA ----------------------------------------------------------------------------------------

/** ANLS's τ: an answer this far from every reference (normalised distance) is taken as no answer. */
const ANLS_THRESHOLD = 0.5;

/**
 * The edit distance (insertions, deletions, substitutions) between two strings, counted in code
 * points as the benchmarks' Python scripts count them, so an emoji is one character, not two.
 */
export function levenshtein(a: string, b: string): number {
  const [long, short] = a.length >= b.length ? [Array.from(a), Array.from(b)] : [Array.from(b), Array.from(a)];
  // Two rows of the usual table, the shorter string along them.
  let previous = Array.from({ length: short.length + 1 }, (_, j) => j);
  let current = new Array<number>(short.length + 1).fill(0);
  for (let i = 1; i <= long.length; i++) {
    current[0] = i;
    for (let j = 1; j <= short.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (long[i - 1] === short[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    [previous, current] = [current, previous];
  }
  return previous[short.length] ?? 0;
}

const normalizeForAnls = (text: string): string => text.toLowerCase().trim().split(/\s+/).join(' ');

/**
 * DocVQA's ANLS for one question: the best over references of 1 − NL, where NL is the edit distance
 * over the longer length, after lower-casing and collapsing spaces; 0 when NL ≥ 0.5, as the DocVQA
 * definition has it (lmms-eval keeps exactly 0.5 as 0.5; "ab" against "ac" is 0 here).
 */
export function anls(prediction: string, answers: readonly string[]): number {
  const predicted = normalizeForAnls(prediction);
  let best = 0;
  for (const answer of answers) {
    const reference = normalizeForAnls(answer);
    const length = Math.max(Array.from(predicted).length, Array.from(reference).length);
    const distance = length === 0 ? 0 : levenshtein(predicted, reference) / length;
    if (distance < ANLS_THRESHOLD) best = Math.max(best, 1 - distance);
  }
  return best;
}

// TextVQA / VQAv2 -------------------------------------------------------------------------------

/** Annotators who must agree with an answer for full credit. */
const VQA_AGREEMENT = 3;

/**
 * The VQA accuracy of one prediction against the human answers (normalised as `normalizeVqaAnswer`):
 * the mean, over the subsets that leave out one answer each, of min(1, matches in the subset / 3).
 * Of ten answers, 4 or more matching give 1, 3 give 0.9, 2 give 0.6, 1 gives 0.3.
 *
 * With fewer than four answers a subset cannot hold three matches, and one answer leaves an empty
 * subset, so the rule as written would give full credit never, or nothing at all; there the
 * agreement needed is the whole subset (min(3, n − 1)), and a single answer is compared directly.
 * From four answers on this is the official rule unchanged.
 */
export function vqaAccuracy(prediction: string, answers: readonly string[]): number {
  if (answers.length === 0) return 0;
  const predicted = normalizeVqaAnswer(prediction);
  const matching = answers.map((answer) => normalizeVqaAnswer(answer) === predicted);
  if (matching.length === 1) return matching[0] ? 1 : 0;
  const needed = Math.min(VQA_AGREEMENT, matching.length - 1);
  const total = matching.filter(Boolean).length;
  // Sum the capped match counts and divide once, so 2 of 10 is exactly 18 / 30 = 0.6, not 0.6000000000000001.
  const capped = matching.reduce((sum, leftOut) => sum + Math.min(needed, total - (leftOut ? 1 : 0)), 0);
  return capped / (needed * matching.length);
}

// OCRBench --------------------------------------------------------------------------------------

const normalizeForSubstring = (text: string): string => text.toLowerCase().replace(/\r?\n/g, ' ').trim();

/**
 * OCRBench's score: 1 when a reference, lower-cased and trimmed, occurs in the lower-cased prediction
 * (newlines read as spaces on both sides, as OCRBench does). OCRBench also removes all spaces for its
 * handwritten-formula category (HME100k); categories are not seen here, so that is not done. A blank
 * reference matches nothing, where Python's `in` would credit every prediction.
 */
export function substringMatch(prediction: string, answers: readonly string[]): number {
  const predicted = normalizeForSubstring(prediction);
  return answers.some((answer) => {
    const reference = normalizeForSubstring(answer);
    return reference !== '' && predicted.includes(reference);
  })
    ? 1
    : 0;
}

// POPE ------------------------------------------------------------------------------------------

const NEGATIONS: ReadonlySet<string> = new Set(['no', 'not']);

/**
 * The yes/no POPE reads from an answer: its first sentence (up to the first "."), commas removed,
 * is "no" when one of its words is "no" or "not", else "yes" (so an empty answer reads "yes", and so
 * does "There isn't a dog", as in POPE). POPE splits on single spaces and matches "No", "no" and "not"
 * exactly; here words are split on any whitespace, compared lower-cased and without the marks around
 * them, so "NOT", "Not at all" and "No!" read "no" rather than "yes".
 */
export function popeYesNo(answer: string): 'yes' | 'no' {
  const firstSentence = answer.split('.', 1)[0] ?? '';
  const words = firstSentence
    .replaceAll(',', '')
    .toLowerCase()
    .split(/\s+/)
    .map((word) => word.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ''));
  return words.some((word) => NEGATIONS.has(word)) ? 'no' : 'yes';
}

/**
 * POPE's F1 of the "yes" class over a sample, 0 when it is undefined (no "yes" said or expected).
 * Each item's yes/no is taken from its score against its reference (right: the reference's; wrong:
 * the other), not read again from the prediction, so that an item whose question failed (score 0,
 * no prediction) counts as a wrong answer, as it does in the mean of every other metric. Items
 * without a reference are left out.
 */
export function popeF1(items: readonly ScoredAnswer[]): number {
  let truePositives = 0;
  let falsePositives = 0;
  let falseNegatives = 0;
  for (const { answers, score } of items) {
    const reference = answers[0];
    if (reference === undefined) continue;
    const expectedYes = popeYesNo(reference) === 'yes';
    const right = score >= 0.5;
    const saidYes = right === expectedYes;
    if (saidYes && expectedYes) truePositives++;
    else if (saidYes) falsePositives++;
    else if (expectedYes) falseNegatives++;
  }
  // 2PR / (P + R) with the fractions cancelled: exact for hand-computed figures, and 0 rather than NaN.
  const denominator = 2 * truePositives + falsePositives + falseNegatives;
  return denominator === 0 ? 0 : (2 * truePositives) / denominator;
}

// The synthetic set -----------------------------------------------------------------------------

const normalizeForExact = (text: string): string =>
  text.toLowerCase().replace(/\s+/g, ' ').trim().replace(/\.$/, '').trimEnd();

/**
 * The synthetic set's score: 1 when the prediction equals a reference after lower-casing, collapsing
 * spaces, trimming and removing one trailing full stop ("Red." is "red"). Accepting "grey" for "gray"
 * is the dataset's job: it lists both.
 */
export function exactMatch(prediction: string, answers: readonly string[]): number {
  const predicted = normalizeForExact(prediction);
  return answers.some((answer) => normalizeForExact(answer) === predicted) ? 1 : 0;
}
