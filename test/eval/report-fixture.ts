/**
 * A small evaluation report written by hand for the plot and report-file tests: four policies,
 * a five-point confidence sweep (given out of order, with an escalation dearer than full
 * resolution) and a suggested threshold. Accuracies are thirds, so exact values must survive.
 */
import type { Attempt, EvalReport, ItemResult, PolicySummary, SweepPoint } from '../../src/eval/types.ts';

const FULL = 25_600;

function summary(
  fields: Partial<PolicySummary> & Pick<PolicySummary, 'policy' | 'accuracy' | 'visualTokenRatio'>,
): PolicySummary {
  return {
    escalationRate: 0,
    visualTokensUsed: Math.round(fields.visualTokenRatio * FULL),
    visualTokensFullOnly: FULL,
    prefilledTokens: 40_000,
    generatedTokens: 1_500,
    wallMs: 61_250,
    latencyMs: { p50: 540, p90: 1_320 },
    items: 100,
    errors: 0,
    ...fields,
  };
}

function point(threshold: number, accuracy: number, escalationRate: number, visualTokenRatio: number): SweepPoint {
  return {
    threshold,
    accuracy,
    escalationRate,
    visualTokenRatio,
    visualTokensUsed: Math.round(visualTokenRatio * FULL),
  };
}

export const SWEEP: SweepPoint[] = [
  point(0.7, 0.81, 0.3, 0.55),
  point(0.5, 0.74, 0.12, 0.37),
  point(0.9, 0.8233333333333334, 0.8, 1.05),
  point(0.6, 0.7766666666666666, 0.2, 0.45),
  point(0.8, 0.815, 0.45, 0.7),
];

const SUGGESTED = SWEEP[0] as SweepPoint;

const attempt = (fields: Partial<Attempt>): Attempt => ({
  prediction: '42',
  score: 1,
  escalated: false,
  visualTokens: 64,
  prefilledTokens: 180,
  generatedTokens: 12,
  ms: 512.5,
  ...fields,
});

export const ITEMS: ItemResult[] = [
  {
    itemId: '17',
    policy: 'visionthink',
    question: 'What is the value for "Exports, 2019"?\nAnswer with a number.',
    answers: ['42', '42.0'],
    category: 'full',
    fullResolutionTokens: 256,
    attempt: attempt({ escalated: true, visualTokens: 320, prefilledTokens: 420 }),
    output: '<answer>42</answer>',
  },
  {
    itemId: '17',
    policy: 'confidence',
    question: 'What is the value for "Exports, 2019"?\nAnswer with a number.',
    answers: ['42', '42.0'],
    category: 'full',
    fullResolutionTokens: 256,
    attempt: attempt({ prediction: '41', score: 0 }),
    output: '41',
    sweep: {
      lowPass: { ...attempt({ prediction: '41', score: 0 }), confidence: 0.9125, asked: false },
      escalatedPass: attempt({ escalated: true, visualTokens: 320 }),
    },
  },
  {
    itemId: '18',
    policy: 'confidence',
    question: 'Which year is highest?',
    answers: ['2020'],
    fullResolutionTokens: 256,
    attempt: attempt({ prediction: '2020', escalated: true, visualTokens: 320 }),
    output: '2020',
    sweep: {
      lowPass: { ...attempt({ prediction: '' }), confidence: null, asked: true },
      escalatedPass: attempt({ prediction: '2020', escalated: true, visualTokens: 320 }),
    },
  },
  {
    itemId: '18',
    policy: 'full-only',
    question: 'Which year is highest?',
    answers: ['2020'],
    fullResolutionTokens: 256,
    attempt: attempt({ prediction: '', score: 0, visualTokens: 256 }),
    output: '',
    error: 'The server closed the connection, then timed out',
  },
];

/** The fixture report; `overrides` replace whole fields. */
export function fixtureReport(overrides: Partial<EvalReport> = {}): EvalReport {
  return {
    version: 1,
    startedAt: '2025-07-01T09:30:00.000Z',
    finishedAt: '2025-07-01T10:12:41.000Z',
    model: 'Senqiao/VisionThink-Efficient',
    backend: 'http://localhost:8000/v1',
    dataset: {
      id: 'chartqa',
      label: 'ChartQA',
      metric: 'relaxed-accuracy',
      size: 2500,
      source: 'HuggingFaceM4/ChartQA (test)',
    },
    limit: 100,
    seed: 7,
    policies: ['visionthink', 'confidence', 'low-only', 'full-only'],
    maxVisualTokens: 256,
    complete: true,
    summaries: [
      summary({ policy: 'visionthink', accuracy: 0.8033333333333333, escalationRate: 0.36, visualTokenRatio: 0.61 }),
      summary({ policy: 'confidence', accuracy: 0.81, escalationRate: 0.3, visualTokenRatio: 0.55, threshold: 0.7 }),
      summary({ policy: 'low-only', accuracy: 0.6366666666666667, visualTokenRatio: 0.25, wallMs: 38_900 }),
      summary({ policy: 'full-only', accuracy: 0.8233333333333334, escalationRate: 1, visualTokenRatio: 1, errors: 1 }),
    ],
    confidenceSweep: {
      points: SWEEP,
      suggested: SUGGESTED,
      reference: { policy: 'full-only', accuracy: 0.8233333333333334 },
    },
    items: ITEMS,
    skipped: [{ itemId: '99', reason: 'HTTP 404' }],
    ...overrides,
  };
}
