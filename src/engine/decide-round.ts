/**
 * What the loop does after a round, from the round's tool call, the policy and, for the
 * `confidence` policy, the answer's confidence against the threshold. Pure, so every branch is
 * tested on its own.
 */
import { isUnsure, type Confidence } from './confidence.ts';
import type { Decision, Resolution } from './events.ts';
import type { Policy } from './policies.ts';
import type { ToolCall } from './protocol.ts';

export interface RoundDecision {
  decision: Decision;
  /** Why, in a sentence for people (the CLI's JSON and the trace show it). */
  reason: string;
  /** The tool's `error_info` for a refused or invalid call; the reason of an unserved one. */
  detail?: string;
  /** The confidence gate's comparison, when the gate decided. */
  gate?: { confidence: Confidence | null; threshold: number };
  /** The model asked for the full image itself, without the tool being offered. */
  asked?: boolean;
  /**
   * What follows: the end of the run, the prompt protocol's turn with the full image (see
   * prompt-protocols.ts), or the VisionThink protocol's error turn.
   */
  next: 'end' | 'full-image' | 'error-turn';
}

export interface RoundOutcome {
  policy: Pick<Policy, 'prompt' | 'gate' | 'onResizeRequest'>;
  call: ToolCall;
  /** The answer's confidence (null when the round made a tool call or has no answer text). */
  confidence: Confidence | null;
  threshold: number;
  /** The resolution the model has seen so far. */
  current: Resolution;
  /** Whether this was the last round allowed. */
  lastRound: boolean;
}

/**
 * A probability or threshold as people read it: two decimals, rounded down, so a confidence just
 * under the threshold never reads as equal to it ("0.60, below 0.60").
 */
export const formatProbability = (p: number): string => (Math.floor(p * 100 + 1e-9) / 100).toFixed(2);

/** "Unsure at low resolution (confidence 0.41, below 0.60)" and its opposite, for the gate's verdict. */
export function describeGate(confidence: Confidence | null, threshold: number, unsure: boolean): string {
  const value = confidence === null ? 'no answer to judge' : `confidence ${formatProbability(confidence.value)}`;
  if (!unsure && threshold <= 0)
    return `Threshold 0 (${value}) — kept the low-resolution answer; this threshold never looks again`;
  if (!unsure && confidence)
    return `Confident (${formatProbability(confidence.value)}) — answered from the low-resolution image`;
  if (threshold >= 1) return `Threshold 1 (${value}) — looked at the full image; this threshold always does`;
  if (!confidence) return 'Unsure at low resolution (no answer to judge) — looked at the full image';
  return `Unsure at low resolution (${value}, below ${formatProbability(threshold)}) — looked at the full image`;
}

export function decideRound(outcome: RoundOutcome): RoundDecision {
  const { policy, call, confidence, threshold, current, lastRound } = outcome;
  const answeredFrom = current === 'low' ? 'the low-resolution image' : 'the full-resolution image';
  if (call.kind === 'none') {
    if (policy.gate === 'confidence' && current === 'low' && !lastRound) {
      const unsure = isUnsure(confidence, threshold);
      return {
        decision: unsure ? 'escalate' : 'answer',
        reason: describeGate(confidence, threshold, unsure),
        gate: { confidence, threshold },
        next: unsure ? 'full-image' : 'end',
      };
    }
    return { decision: 'answer', reason: `Answered from ${answeredFrom}`, next: 'end' };
  }
  if (lastRound) {
    const detail = 'The model asked for another tool call after its last allowed round.';
    return { decision: 'unserved', reason: detail, detail, next: 'end' };
  }
  if (policy.prompt === 'plain') {
    // The tool was never offered: a call of any shape is the model asking to see more.
    if (current === 'low') {
      return {
        decision: 'escalate',
        reason: 'Asked for the full image itself — looked at the full image',
        asked: true,
        next: 'full-image',
      };
    }
    const detail = 'The model asked for the full image, which it already has.';
    return { decision: 'unserved', reason: detail, detail, next: 'end' };
  }
  if (call.kind === 'invalid') {
    return {
      decision: 'invalid-call',
      reason: `Tool call not understood: ${call.error}`,
      detail: call.error,
      next: 'error-turn',
    };
  }
  const response = policy.onResizeRequest(current);
  if (response.kind === 'serve') {
    return {
      decision: 'escalate',
      reason: 'Asked for the full image — looked at the full image',
      next: 'full-image',
    };
  }
  return {
    decision: 'refused',
    reason: `Asked for the full image; refused: ${response.errorInfo}`,
    detail: response.errorInfo,
    next: 'error-turn',
  };
}
