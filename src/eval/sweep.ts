/**
 * The `confidence` policy's answer at any threshold, from the one run that always looked again
 * (see run-eval.ts), by the engine's own gate. Pure and free of the engine's model code, so the
 * page's store can use it without loading the inference library on the main thread.
 */
import { isUnsureAt } from '../engine/confidence.ts';
import type { PolicyId } from '../engine/policies.ts';
import type { Attempt, ItemResult } from './types.ts';

/** The key of one policy's result on one item (what a resumed run does not ask again). */
export function resultKey(policy: PolicyId, itemId: string): string {
  return `${policy}/${itemId}`;
}

/** Whether the `confidence` policy shows the full image at `threshold`. */
export function escalates(lowPass: { confidence: number | null; asked: boolean }, threshold: number): boolean {
  return lowPass.asked || isUnsureAt(lowPass.confidence, threshold);
}

/** The `confidence` policy's answer at `threshold`. */
export function attemptAtThreshold(sweep: NonNullable<ItemResult['sweep']>, threshold: number): Attempt {
  if (escalates(sweep.lowPass, threshold)) return sweep.escalatedPass;
  const { prediction, score, escalated, visualTokens, prefilledTokens, generatedTokens, ms } = sweep.lowPass;
  return { prediction, score, escalated, visualTokens, prefilledTokens, generatedTokens, ms };
}
