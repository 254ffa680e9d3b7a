/**
 * The confidence of an answer, from the probability the model gave each token it chose (the
 * softmax of its own logits at that step; nothing is run twice to get them).
 *
 * The gate uses the minimum over the answer's tokens: the question needs the full image when
 * any part of the answer was a guess (one digit of a price, one word of a sign), and a long
 * answer's confident filler ("The text says") must not outvote that one hesitant token, as it
 * does in a mean. The geometric mean and the first token's probability are reported beside it,
 * so an evaluation can compare the statistics on the same answers.
 */
import { InvalidRequestError } from './errors.ts';

/** The threshold when neither the request nor the model's registry entry names one. */
export const DEFAULT_CONFIDENCE_THRESHOLD = 0.6;

/** A generated token: its text (as streamed; '' for special tokens) and its probability. */
export interface TokenProbability {
  text: string;
  p: number;
}

/** The confidence of one answer, with the statistics beside the one the gate uses. */
export interface Confidence {
  /** What the gate compares with the threshold: the minimum token probability of the answer. */
  value: number;
  /** Minimum token probability over the answer. */
  min: number;
  /** Geometric mean of the answer's token probabilities (exp of the mean log-probability). */
  geometricMean: number;
  /** Probability of the answer's first token. */
  first: number;
  /** How many tokens the answer has. */
  tokens: number;
}

/**
 * Which characters of a round's output are its answer: inside the first `<answer>…</answer>`
 * when there is one (as the protocol extracts it), else after the last `</think>` (a reasoning
 * model's visible answer), else the whole output; whitespace around it excluded.
 */
export function answerSpan(output: string): { start: number; end: number } {
  let start = 0;
  let end = output.length;
  const open = output.indexOf('<answer>');
  if (open >= 0) {
    start = open + '<answer>'.length;
    const close = output.indexOf('</answer>', start);
    if (close >= 0) end = close;
  } else {
    const think = output.lastIndexOf('</think>');
    if (think >= 0) start = think + '</think>'.length;
  }
  while (start < end && /\s/.test(output[start] ?? '')) start++;
  while (end > start && /\s/.test(output[end - 1] ?? '')) end--;
  return { start, end };
}

/**
 * Indices of the tokens that make up the answer: those whose text overlaps the span. A token with
 * no text of its own (the first bytes of a character the next token completes) counts with the
 * token that completes it; one that nothing completes (the end-of-turn token) never counts.
 */
export function answerTokenIndices(tokens: readonly TokenProbability[]): number[] {
  const output = tokens.map((token) => token.text).join('');
  const span = answerSpan(output);
  const indices: number[] = [];
  let offset = 0;
  let waiting: number[] = [];
  tokens.forEach((token, i) => {
    if (token.text.length === 0) {
      waiting.push(i);
      return;
    }
    const start = offset;
    const end = offset + token.text.length;
    offset = end;
    if (start < span.end && end > span.start) indices.push(...waiting, i);
    waiting = [];
  });
  return indices;
}

/** The confidence of the answer among `tokens`; null when the output has no answer text (or it has no probabilities). */
export function answerConfidence(tokens: readonly TokenProbability[]): Confidence | null {
  const probabilities = answerTokenIndices(tokens).map((i) => tokens[i]?.p ?? Number.NaN);
  const first = probabilities[0];
  // No answer text, or no probability to judge it by: nothing to trust.
  if (first === undefined || !probabilities.every(Number.isFinite)) return null;
  const min = Math.min(...probabilities);
  const meanLog =
    probabilities.reduce((sum, p) => sum + Math.log(Math.max(p, Number.MIN_VALUE)), 0) / probabilities.length;
  return { value: min, min, geometricMean: Math.exp(meanLog), first, tokens: probabilities.length };
}

/**
 * Whether an answer with this confidence should be asked again at full resolution: below the
 * threshold. 0 never escalates; 1 always does (a probability of exactly 1 included).
 */
export function isUnsure(confidence: Confidence | null, threshold: number): boolean {
  return isUnsureAt(confidence === null ? null : confidence.value, threshold);
}

/** `isUnsure` on the confidence's value alone (null: the answer had no text to judge). */
export function isUnsureAt(value: number | null, threshold: number): boolean {
  if (threshold >= 1) return true;
  // No answer text at all is no answer to trust.
  if (value === null) return threshold > 0;
  return value < threshold;
}

/** A threshold from a request, checked: a number from 0 to 1. */
export function checkThreshold(threshold: number | undefined): number {
  if (threshold === undefined) return DEFAULT_CONFIDENCE_THRESHOLD;
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1) {
    throw new InvalidRequestError(
      'invalid-option',
      `The confidence threshold must be a number from 0 to 1, not ${String(threshold)}.`,
    );
  }
  return threshold;
}
