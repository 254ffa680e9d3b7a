import { describe, expect, it } from 'vitest';
import { decideRound, describeGate, type RoundOutcome } from './decide-round.ts';
import { POLICIES } from './policies.ts';

const at = (value: number) => ({ value, min: value, geometricMean: value, first: value, tokens: 1 });
const none = { kind: 'none' } as const;
const resize = { kind: 'resize', raw: '<tool_call>…</tool_call>' } as const;
const invalid = {
  kind: 'invalid',
  raw: '<tool_call>x</tool_call>',
  error: 'Expecting value: line 1 column 1 (char 0)',
} as const;

const outcome = (change: Partial<RoundOutcome>): RoundOutcome => ({
  policy: POLICIES.confidence,
  call: none,
  confidence: at(0.9),
  threshold: 0.6,
  current: 'low',
  lastRound: false,
  ...change,
});

describe('the confidence gate', () => {
  it('an unsure answer at low resolution looks at the full image, and says why with its numbers', () => {
    const decision = decideRound(outcome({ confidence: at(0.41) }));
    expect(decision).toEqual({
      decision: 'escalate',
      reason: 'Unsure at low resolution (confidence 0.41, below 0.60) — looked at the full image',
      gate: { confidence: at(0.41), threshold: 0.6 },
      next: 'full-image',
    });
  });

  it('a confident answer is final', () => {
    const decision = decideRound(outcome({ confidence: at(0.93) }));
    expect(decision.decision).toBe('answer');
    expect(decision.next).toBe('end');
    expect(decision.reason).toBe('Confident (0.93) — answered from the low-resolution image');
  });

  it('threshold 0 never escalates, 1 always does', () => {
    const never = decideRound(outcome({ confidence: at(0.01), threshold: 0 }));
    expect(never.next).toBe('end');
    expect(never.reason).toBe(
      'Threshold 0 (confidence 0.01) — kept the low-resolution answer; this threshold never looks again',
    );
    const always = decideRound(outcome({ confidence: at(1), threshold: 1 }));
    expect(always.next).toBe('full-image');
    expect(always.reason).toBe('Threshold 1 (confidence 1.00) — looked at the full image; this threshold always does');
  });

  it('the answer after the full image is final, whatever its confidence', () => {
    const decision = decideRound(outcome({ confidence: at(0.2), current: 'full' }));
    expect(decision).toEqual({ decision: 'answer', reason: 'Answered from the full-resolution image', next: 'end' });
    expect(decideRound(outcome({ confidence: at(0.2), lastRound: true })).next).toBe('end');
  });

  it('a model that asks for the full image itself gets it, whatever the shape of its call', () => {
    for (const call of [resize, invalid]) {
      expect(decideRound(outcome({ call, confidence: null }))).toEqual({
        decision: 'escalate',
        reason: 'Asked for the full image itself — looked at the full image',
        asked: true,
        next: 'full-image',
      });
    }
    expect(decideRound(outcome({ call: resize, confidence: null, current: 'full' })).decision).toBe('unserved');
    expect(decideRound(outcome({ call: resize, confidence: null, lastRound: true })).decision).toBe('unserved');
  });
});

describe('the VisionThink protocol policies are unchanged', () => {
  it('serves a resize request with the tool response, refuses with the error turn', () => {
    expect(decideRound(outcome({ policy: POLICIES.visionthink, call: resize })).next).toBe('full-image');
    const refused = decideRound(outcome({ policy: POLICIES['low-only'], call: resize }));
    expect(refused).toMatchObject({ decision: 'refused', next: 'error-turn' });
    expect(refused.detail).toMatch(/not available/);
    expect(decideRound(outcome({ policy: POLICIES.visionthink, call: invalid }))).toMatchObject({
      decision: 'invalid-call',
      detail: invalid.error,
      next: 'error-turn',
    });
  });

  it('an answer is final and the gate never runs', () => {
    const decision = decideRound(outcome({ policy: POLICIES.visionthink, confidence: at(0.1) }));
    expect(decision).toEqual({ decision: 'answer', reason: 'Answered from the low-resolution image', next: 'end' });
  });
});

describe('describeGate', () => {
  it('rounds down, so a confidence just under the threshold never reads as equal to it', () => {
    const just = { value: 0.5999, min: 0.5999, geometricMean: 0.5999, first: 0.5999, tokens: 1 };
    expect(describeGate(just, 0.6, true)).toBe(
      'Unsure at low resolution (confidence 0.59, below 0.60) — looked at the full image',
    );
    expect(describeGate(at(0.29), 0.6, true)).toContain('confidence 0.29,');
  });

  it('says when there was no answer to judge', () => {
    expect(describeGate(null, 0.6, true)).toBe(
      'Unsure at low resolution (no answer to judge) — looked at the full image',
    );
    expect(describeGate(null, 0, false)).toBe(
      'Threshold 0 (no answer to judge) — kept the low-resolution answer; this threshold never looks again',
    );
  });
});
