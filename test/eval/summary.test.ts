/**
 * The summary's arithmetic on hand-made results: percentiles, a policy's figures, the confidence
 * sweep's thresholds and figures, the suggested threshold, and whether a report is complete.
 */
import { describe, expect, it } from 'vitest';
import type { PolicyId } from '../../src/engine/policies.ts';
import { buildReport, confidenceSweep, quantile, summarise, suggestThreshold } from '../../src/eval/summary.ts';
import { attemptAtThreshold } from '../../src/eval/sweep.ts';
import type { Attempt, ItemResult, SweepPoint } from '../../src/eval/types.ts';

const attempt = (score: number, visualTokens: number, escalated: boolean, ms = 100): Attempt => ({
  prediction: score === 1 ? 'right' : 'wrong',
  score,
  escalated,
  visualTokens,
  prefilledTokens: visualTokens + 10,
  generatedTokens: 5,
  ms,
});

/** A `confidence` result: low pass (25 tokens) with `confidence`, escalated pass (125 tokens). */
function swept(id: string, confidence: number | null, lowScore: number, fullScore: number, asked = false): ItemResult {
  return {
    itemId: id,
    policy: 'confidence',
    question: 'q',
    answers: ['right'],
    fullResolutionTokens: 100,
    attempt: attempt(fullScore, 125, true),
    output: '',
    sweep: {
      lowPass: { ...attempt(lowScore, 25, false), confidence, asked },
      escalatedPass: attempt(fullScore, 125, true),
    },
  };
}

const plain = (policy: PolicyId, id: string, a: Attempt): ItemResult => ({
  itemId: id,
  policy,
  question: 'q',
  answers: ['right'],
  fullResolutionTokens: 100,
  attempt: a,
  output: '',
});

describe('quantile', () => {
  it('interpolates between order statistics', () => {
    expect(quantile([], 0.5)).toBe(0);
    expect(quantile([3, 1, 2], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9)).toBeCloseTo(91, 12);
  });
});

describe('a policy summary', () => {
  it('adds tokens and times, and rates escalations and errors', () => {
    const results = [
      plain('visionthink', '0', attempt(1, 125, true, 300)),
      plain('visionthink', '1', attempt(0, 25, false, 100)),
      {
        ...plain('visionthink', '2', { ...attempt(0, 25, false, 200), error: 'The image is too long and thin.' }),
        error: 'The image is too long and thin.',
      },
    ];
    expect(summarise('visionthink', 'exact', results)).toEqual({
      policy: 'visionthink',
      accuracy: 1 / 3,
      escalationRate: 1 / 3,
      visualTokensUsed: 175,
      visualTokensFullOnly: 300,
      visualTokenRatio: 175 / 300,
      prefilledTokens: 205,
      generatedTokens: 15,
      wallMs: 600,
      latencyMs: { p50: 200, p90: 280 },
      items: 3,
      errors: 1,
    });
  });
});

describe('the confidence sweep', () => {
  // a: sure and right at low resolution; b: unsure (0.3004), wrong low, right full;
  // c: unsure (0.5), right both ways; d: asked for the full image itself.
  const results = [
    swept('a', 0.99999999, 1, 1),
    swept('b', 0.3004, 0, 1),
    swept('c', 0.5, 1, 1),
    swept('d', null, 0, 1, true),
  ];

  it('steps through the thresholds where the result changes, in steps of 0.001', () => {
    const sweep = confidenceSweep('exact', results, 1);
    expect(sweep?.points.map((p) => p.threshold)).toEqual([0, 0.301, 0.501, 1]);
    expect(sweep?.points.map((p) => [p.accuracy, p.escalationRate, p.visualTokensUsed])).toEqual([
      [0.75, 0.25, 25 + 25 + 25 + 125],
      [1, 0.5, 25 + 125 + 25 + 125],
      [1, 0.75, 25 + 125 + 125 + 125],
      [1, 1, 4 * 125],
    ]);
    expect(sweep?.points[1]?.visualTokenRatio).toBe(300 / 400);
  });

  it('suggests the best accuracy per token within one point of full-only', () => {
    expect(confidenceSweep('exact', results, 1)?.suggested?.threshold).toBe(0.301);
    // Full-only at 0.755: 0.75 is within a point, and cheapest.
    expect(confidenceSweep('exact', results, 0.755)?.suggested?.threshold).toBe(0);
    // Without full-only, the always-look-again point is the reference.
    expect(confidenceSweep('exact', results, null)?.reference).toEqual({ policy: 'confidence-always', accuracy: 1 });
  });

  it('counts a failed question at every threshold, as the policy row does', () => {
    // e: round 2 failed (context full) after a right low answer at 0.4; f: round 1 failed.
    const failedFull = { ...attempt(0, 125, true), error: 'The conversation is too long.' };
    const e = swept('e', 0.4, 1, 0);
    if (e.sweep) e.sweep.escalatedPass = failedFull;
    const f: ItemResult = {
      ...plain('confidence', 'f', { ...attempt(0, 25, false), error: 'The server is busy.' }),
      error: 'The server is busy.',
    };
    const sweep = confidenceSweep('exact', [e, f], null);
    expect(sweep?.points.map((p) => [p.threshold, p.accuracy, p.visualTokensUsed])).toEqual([
      [0, 0.5, 25 + 25],
      [0.401, 0, 125 + 25],
      [1, 0, 125 + 25],
    ]);
    // The row at 0.6 looks again, and is the sweep's point there.
    const row = summarise('confidence', 'exact', [e, f], (result) =>
      result.sweep ? attemptAtThreshold(result.sweep, 0.6) : result.attempt,
    );
    expect([row.accuracy, row.visualTokensUsed, row.errors]).toEqual([0, 150, 2]);
  });

  it('suggests nothing when no threshold comes within a point', () => {
    const points: SweepPoint[] = [
      { threshold: 0, accuracy: 0.5, escalationRate: 0, visualTokensUsed: 1, visualTokenRatio: 0.25 },
    ];
    expect(suggestThreshold(points, 0.8)).toBeNull();
    expect(suggestThreshold(points, 0.51)?.threshold).toBe(0);
  });
});

describe('a report', () => {
  it('orders policies as the paper does and knows when it is complete', () => {
    const input = {
      startedAt: 's',
      finishedAt: 'f',
      model: 'm',
      backend: 'local',
      dataset: { id: 'synthetic', label: 'S', metric: 'exact' as const, size: 2, source: 'here' },
      limit: 2,
      seed: 0,
      policies: ['full-only', 'visionthink'] as PolicyId[],
      threshold: 0.6,
      maxVisualTokens: 1024,
      itemIds: ['0', '1'],
      items: [plain('visionthink', '0', attempt(1, 25, false)), plain('full-only', '0', attempt(1, 100, false))],
      skipped: [],
    };
    const partial = buildReport(input);
    expect(partial.summaries.map((s) => s.policy)).toEqual(['visionthink', 'full-only']);
    expect(partial.complete).toBe(false);
    expect(buildReport({ ...input, skipped: [{ itemId: '1', reason: 'unreadable' }] }).complete).toBe(true);
  });

  it('after a Stop, compares the sweep with full-only on the same items only', () => {
    const report = buildReport({
      startedAt: 's',
      finishedAt: 'f',
      model: 'm',
      backend: 'local',
      dataset: { id: 'synthetic', label: 'S', metric: 'exact', size: 3, source: 'here' },
      limit: 3,
      seed: 0,
      policies: ['confidence', 'full-only'],
      threshold: 0.6,
      maxVisualTokens: 1024,
      itemIds: ['0', '1', '2'],
      // Item 2 has full-only's (wrong) answer but not confidence's: stopped in between.
      items: [
        swept('0', 0.9, 1, 1),
        plain('full-only', '0', attempt(1, 100, false)),
        swept('1', 0.2, 0, 1),
        plain('full-only', '1', attempt(1, 100, false)),
        plain('full-only', '2', attempt(0, 100, false)),
      ],
      skipped: [],
    });
    expect(report.complete).toBe(false);
    expect(report.summaries.find((s) => s.policy === 'full-only')?.accuracy).toBe(2 / 3);
    expect(report.confidenceSweep?.reference).toEqual({ policy: 'full-only', accuracy: 1 });
    expect(report.confidenceSweep?.suggested?.threshold).toBe(0.201);
  });
});
