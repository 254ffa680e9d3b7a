import { describe, expect, it } from 'vitest';
import { EngineError } from './errors.ts';
import {
  answerConfidence,
  answerSpan,
  answerTokenIndices,
  checkThreshold,
  DEFAULT_CONFIDENCE_THRESHOLD,
  isUnsure,
  type TokenProbability,
} from './confidence.ts';

const tokens = (...pairs: [string, number][]): TokenProbability[] => pairs.map(([text, p]) => ({ text, p }));

describe('the answer span', () => {
  it('is inside <answer> tags when there are some, trimmed', () => {
    const output = '<think>Hm.</think><answer> green </answer>';
    const span = answerSpan(output);
    expect(output.slice(span.start, span.end)).toBe('green');
  });

  it('is after the last </think> of a reasoning model, else the whole output', () => {
    const reasoning = '<think>Let me look.</think>\n\nThe sign says STOP.';
    const a = answerSpan(reasoning);
    expect(reasoning.slice(a.start, a.end)).toBe('The sign says STOP.');
    const plain = '  Forty-two.\n';
    const b = answerSpan(plain);
    expect(plain.slice(b.start, b.end)).toBe('Forty-two.');
  });

  it('takes the tokens that overlap it, never the end-of-turn token', () => {
    // The end-of-turn token streams no text; nor does the first half of a two-token character.
    const round = tokens(
      ['<think>', 1],
      ['Hm.', 0.99],
      ['</think>', 1],
      ['<answer>', 0.98],
      ['gr', 0.5],
      ['een', 0.9],
      ['</answer>', 1],
      ['', 1],
    );
    expect(answerTokenIndices(round)).toEqual([4, 5]);
    const split = tokens(['Caf', 0.9], ['', 0.4], ['é', 0.8], ['', 1]);
    expect(answerTokenIndices(split)).toEqual([0, 1, 2]);
    // A character split over two tokens at the very start of the answer counts whole.
    const opening = tokens(['<answer>', 1], ['', 0.2], ['€', 0.9], ['5', 0.95], ['</answer>', 1], ['', 1]);
    expect(answerTokenIndices(opening)).toEqual([1, 2, 3]);
    expect(answerConfidence(opening)?.value).toBe(0.2);
  });
});

describe('the confidence of an answer', () => {
  it('is the minimum token probability, with the geometric mean and the first token beside it', () => {
    const confidence = answerConfidence(tokens(['<answer>', 1], ['4', 0.9], ['2', 0.4], ['</answer>', 1], ['', 1]));
    expect(confidence).not.toBeNull();
    expect(confidence?.value).toBe(0.4);
    expect(confidence?.min).toBe(0.4);
    expect(confidence?.first).toBe(0.9);
    expect(confidence?.tokens).toBe(2);
    // sqrt(0.9 · 0.4) = 0.6
    expect(confidence?.geometricMean).toBeCloseTo(0.6, 12);
  });

  it('a hesitant word in a long confident answer pulls the minimum down, not the mean', () => {
    const confidence = answerConfidence(
      tokens(['The', 0.99], [' price', 0.98], [' is', 0.99], [' $', 0.97], ['1', 0.3], ['2', 0.95], ['', 1]),
    );
    expect(confidence?.value).toBe(0.3);
    expect(confidence?.geometricMean).toBeGreaterThan(0.8);
  });

  it('is null when there is no answer text', () => {
    expect(answerConfidence(tokens(['<think>', 1], ['Hm.', 1], ['</think>', 1], ['', 1]))).toBeNull();
    expect(answerConfidence([])).toBeNull();
    // Without the model's probabilities there is nothing to judge by, rather than a made-up number.
    expect(answerConfidence(tokens(['<answer>', 1], ['4', Number.NaN], ['</answer>', 1]))).toBeNull();
  });
});

describe('the threshold', () => {
  const at = (value: number) => ({ value, min: value, geometricMean: value, first: value, tokens: 1 });

  it('escalates below it, not at it', () => {
    expect(isUnsure(at(0.59), 0.6)).toBe(true);
    expect(isUnsure(at(0.6), 0.6)).toBe(false);
    expect(isUnsure(at(0.93), 0.6)).toBe(false);
  });

  it('0 never escalates; 1 always does, even for a certain answer', () => {
    expect(isUnsure(at(0), 0)).toBe(false);
    expect(isUnsure(null, 0)).toBe(false);
    expect(isUnsure(at(1), 1)).toBe(true);
    expect(isUnsure(at(0.999), 1)).toBe(true);
  });

  it('an answer with no text is unsure for any threshold above 0', () => {
    expect(isUnsure(null, 0.01)).toBe(true);
  });

  it('is checked: a number from 0 to 1, the default when absent', () => {
    expect(checkThreshold(undefined)).toBe(DEFAULT_CONFIDENCE_THRESHOLD);
    expect(checkThreshold(0)).toBe(0);
    expect(checkThreshold(1)).toBe(1);
    for (const bad of [-0.1, 1.5, Number.NaN, Infinity]) {
      expect(() => checkThreshold(bad)).toThrow(EngineError);
    }
    expect(() => checkThreshold(2)).toThrow('The confidence threshold must be a number from 0 to 1, not 2.');
  });
});
