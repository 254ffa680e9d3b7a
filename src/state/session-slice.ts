/** Totals over every question answered since the page opened. */
import type { RunResult, SpentVisualTokens } from '../engine/events.ts';
import type { Slice } from './app-state.ts';

export interface SessionState {
  /** Questions that ran to an answer (stopped and failed runs are not counted). */
  questions: number;
  /** Of those, how many the model escalated to the full image. */
  escalations: number;
  /** Visual tokens the answered questions used. */
  usedTokens: number;
  /** Visual tokens they would have used at full resolution. */
  baselineTokens: number;
  /**
   * Measured prefill time and the tokens it prefilled, for the cost of one prefilled token on this
   * device: rounds a model server answered are not counted (their time is the network's and the
   * server's, and its prefix cache decides what it prefills).
   */
  prefillMs: number;
  prefilledTokens: number;
  /**
   * Questions stopped before an answer, and the visual tokens they spent. Kept apart from the
   * comparison above: a stopped question has no answer whose cost could be compared.
   */
  stopped: number;
  stoppedTokens: number;
}

export interface SessionSlice {
  session: SessionState;
}

export const EMPTY_SESSION: SessionState = {
  questions: 0,
  escalations: 0,
  usedTokens: 0,
  baselineTokens: 0,
  prefillMs: 0,
  prefilledTokens: 0,
  stopped: 0,
  stoppedTokens: 0,
};

/** The session after one more answered question. */
export function addAnswered(session: SessionState, result: RunResult): SessionState {
  const measured = result.rounds.filter((round) => round.server === undefined);
  return {
    ...session,
    questions: session.questions + 1,
    escalations: session.escalations + (result.escalated ? 1 : 0),
    usedTokens: session.usedTokens + result.visualTokens.used,
    baselineTokens: session.baselineTokens + result.visualTokens.fullResolution,
    prefillMs: session.prefillMs + measured.reduce((sum, round) => sum + round.ms.prefill, 0),
    prefilledTokens: session.prefilledTokens + measured.reduce((sum, round) => sum + round.prefilledTokens, 0),
  };
}

/** The session after one more question stopped before its answer, having spent `spent`. */
export function addStopped(session: SessionState, spent: SpentVisualTokens | null): SessionState {
  return {
    ...session,
    stopped: session.stopped + 1,
    stoppedTokens: session.stoppedTokens + (spent ? spent.low + spent.full : 0),
  };
}

export const createSessionSlice = (): Slice<SessionSlice> => () => ({ session: EMPTY_SESSION });
