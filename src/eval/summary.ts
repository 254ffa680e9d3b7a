/**
 * From item results to the paper's table: each policy's accuracy by the dataset's metric,
 * escalation rate, visual tokens against always-full resolution, prefill, time and latency; and
 * the `confidence` policy's threshold sweep with the threshold it suggests. Pure, so the CLI, the
 * worker's page and the tests compute the same figures from the same results.
 */
import type { PolicyId } from '../engine/policies.ts';
import { aggregateScore } from './metrics.ts';
import { attemptAtThreshold, resultKey } from './sweep.ts';
import type {
  Attempt,
  ConfidenceSweep,
  DatasetInfo,
  EvalReport,
  ItemResult,
  PolicySummary,
  SkippedItem,
  SweepPoint,
} from './types.ts';

/** The report's policies in the paper's order. */
export const POLICY_ORDER: readonly PolicyId[] = ['visionthink', 'confidence', 'low-only', 'full-only'];

/** A sweep point is kept within this much accuracy of the reference (one percentage point). */
export const SUGGESTION_TOLERANCE = 0.01;
/** The sweep's thresholds are multiples of 1 / this. */
const THRESHOLD_STEPS = 1000;
/** The most points a sweep keeps; more distinct confidences are thinned evenly. */
const MAX_SWEEP_POINTS = 101;

/** The `p`-quantile (0 to 1) of `values` by linear interpolation between order statistics; 0 when empty. */
export function quantile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const at = p * (sorted.length - 1);
  const below = Math.floor(at);
  const low = sorted[below] ?? 0;
  const high = sorted[Math.min(below + 1, sorted.length - 1)] ?? low;
  return low + (high - low) * (at - below);
}

/** One policy's figures over the attempts of its items. */
export function summarise(
  policy: PolicyId,
  metric: DatasetInfo['metric'],
  results: readonly ItemResult[],
  attemptOf: (result: ItemResult) => Attempt = (result) => result.attempt,
): PolicySummary {
  const attempts = results.map(attemptOf);
  const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);
  const used = sum(attempts.map((attempt) => attempt.visualTokens));
  const fullOnly = sum(results.map((result) => result.fullResolutionTokens));
  return {
    policy,
    accuracy: aggregateScore(
      metric,
      results.map((result, index) => {
        const attempt = attempts[index] ?? result.attempt;
        return { prediction: attempt.prediction, answers: result.answers, score: attempt.score };
      }),
    ),
    escalationRate: results.length === 0 ? 0 : attempts.filter((attempt) => attempt.escalated).length / results.length,
    visualTokensUsed: used,
    visualTokensFullOnly: fullOnly,
    visualTokenRatio: fullOnly === 0 ? 0 : used / fullOnly,
    prefilledTokens: sum(attempts.map((attempt) => attempt.prefilledTokens)),
    generatedTokens: sum(attempts.map((attempt) => attempt.generatedTokens)),
    wallMs: sum(attempts.map((attempt) => attempt.ms)),
    latencyMs: {
      p50: quantile(
        attempts.map((attempt) => attempt.ms),
        0.5,
      ),
      p90: quantile(
        attempts.map((attempt) => attempt.ms),
        0.9,
      ),
    },
    items: results.length,
    errors: attempts.filter((attempt) => attempt.error !== undefined).length,
  };
}

/** A sweep point's figures: linear in the items (no percentiles), since a sweep has up to 101. */
function sweepPoint(metric: DatasetInfo['metric'], results: readonly ItemResult[], threshold: number): SweepPoint {
  let used = 0;
  let fullOnly = 0;
  let escalated = 0;
  const scored = results.map((result) => {
    const attempt = result.sweep ? attemptAtThreshold(result.sweep, threshold) : result.attempt;
    used += attempt.visualTokens;
    fullOnly += result.fullResolutionTokens;
    if (attempt.escalated) escalated++;
    return { prediction: attempt.prediction, answers: result.answers, score: attempt.score };
  });
  return {
    threshold,
    accuracy: aggregateScore(metric, scored),
    escalationRate: results.length === 0 ? 0 : escalated / results.length,
    visualTokensUsed: used,
    visualTokenRatio: fullOnly === 0 ? 0 : used / fullOnly,
  };
}

/**
 * Every threshold (in steps of 0.001) where the `confidence` policy's result changes, from 0 (never
 * look again) to 1 (always), each with its accuracy and cost, computed from the one run that always
 * looked again; and the suggested threshold.
 */
export function confidenceSweep(
  metric: DatasetInfo['metric'],
  results: readonly ItemResult[],
  fullOnlyAccuracy: number | null,
): ConfidenceSweep | null {
  // Every result of the policy: one whose low pass failed, or had no second round, gives the same
  // answer at every threshold (and a failure scores 0 at each), as the policy's own row counts it.
  const swept = results.filter((result) => result.policy === 'confidence');
  if (swept.length === 0) return null;
  // Thresholds a person can set, in steps of 0.001: for each confidence, the lowest step above
  // it (the first at which its item looks again). Confidences closer together than a step, or
  // within a step of 1 (a sure answer's 0.9999999…), cannot be told apart by any such threshold.
  const steps = swept.flatMap((result) => {
    const confidence = result.sweep?.lowPass.confidence;
    return confidence === null || confidence === undefined
      ? []
      : [Math.min(THRESHOLD_STEPS, Math.floor(confidence * THRESHOLD_STEPS) + 1)];
  });
  const distinct = [...new Set(steps)].filter((step) => step > 0 && step < THRESHOLD_STEPS).sort((a, b) => a - b);
  const thinned =
    distinct.length <= MAX_SWEEP_POINTS - 2
      ? distinct
      : Array.from(
          { length: MAX_SWEEP_POINTS - 2 },
          (_, i) => distinct[Math.round((i * (distinct.length - 1)) / (MAX_SWEEP_POINTS - 3))] ?? 0,
        );
  const thresholds = [0, ...new Set(thinned), THRESHOLD_STEPS].map((step) => step / THRESHOLD_STEPS);
  const points = thresholds.map((threshold) => sweepPoint(metric, swept, threshold));
  const always = points.at(-1);
  const reference =
    fullOnlyAccuracy === null
      ? { policy: 'confidence-always' as const, accuracy: always?.accuracy ?? 0 }
      : { policy: 'full-only' as const, accuracy: fullOnlyAccuracy };
  return { points, suggested: suggestThreshold(points, reference.accuracy), reference };
}

/**
 * The point with the best accuracy per visual token among those within one point of
 * `referenceAccuracy`; ties go to the higher accuracy, then the lower threshold.
 */
export function suggestThreshold(points: readonly SweepPoint[], referenceAccuracy: number): SweepPoint | null {
  let best: SweepPoint | null = null;
  // Accuracies are compared in whole hundredths of a percent so float noise cannot decide.
  const rounded = (value: number): number => Math.round(value * 1e4);
  for (const point of points) {
    if (rounded(point.accuracy) < rounded(referenceAccuracy - SUGGESTION_TOLERANCE)) continue;
    if (best === null) {
      best = point;
      continue;
    }
    const value = (p: SweepPoint): number => (p.visualTokenRatio === 0 ? Infinity : p.accuracy / p.visualTokenRatio);
    if (
      value(point) > value(best) + 1e-12 ||
      (Math.abs(value(point) - value(best)) <= 1e-12 && point.accuracy > best.accuracy)
    ) {
      best = point;
    }
  }
  return best;
}

/** What a report is built from: the run's settings, the sample's ids and its results. */
export interface ReportInput extends Pick<
  EvalReport,
  'startedAt' | 'finishedAt' | 'model' | 'backend' | 'dataset' | 'limit' | 'seed'
> {
  policies: readonly PolicyId[];
  threshold: number;
  maxVisualTokens: number;
  /** The sample's item ids, to tell whether every item has every policy's result. */
  itemIds: readonly string[];
  items: readonly ItemResult[];
  skipped: readonly SkippedItem[];
}

/** The whole report: summaries in the paper's order, the sweep, and the item results. */
export function buildReport(input: ReportInput): EvalReport {
  const policies = POLICY_ORDER.filter((policy) => input.policies.includes(policy));
  const { metric } = input.dataset;
  const of = (policy: PolicyId): ItemResult[] => input.items.filter((result) => result.policy === policy);
  const summaries = policies.map((policy) => {
    const summary = summarise(policy, metric, of(policy));
    return policy === 'confidence' ? { ...summary, threshold: input.threshold } : summary;
  });
  // The sweep's reference is full-only on the items the confidence policy answered too, so that a
  // stopped run compares the same items.
  const swept = new Set(of('confidence').map((result) => result.itemId));
  const fullOnlyIds = new Set(of('full-only').map((result) => result.itemId));
  const fullOnly = policies.includes('full-only')
    ? summarise(
        'full-only',
        metric,
        of('full-only').filter((result) => swept.has(result.itemId)),
      )
    : undefined;
  const recorded = new Set(input.items.map((result) => resultKey(result.policy, result.itemId)));
  const skipped = new Set(input.skipped.map((item) => item.itemId));
  const complete = input.itemIds.every(
    (id) => skipped.has(id) || policies.every((policy) => recorded.has(resultKey(policy, id))),
  );
  return {
    version: 1,
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    model: input.model,
    backend: input.backend,
    dataset: input.dataset,
    limit: input.limit,
    seed: input.seed,
    policies,
    maxVisualTokens: input.maxVisualTokens,
    complete,
    summaries,
    confidenceSweep: confidenceSweep(
      metric,
      input.items.filter((result) => result.policy !== 'confidence' || !fullOnly || fullOnlyIds.has(result.itemId)),
      fullOnly ? fullOnly.accuracy : null,
    ),
    items: [...input.items],
    skipped: [...input.skipped],
  };
}
