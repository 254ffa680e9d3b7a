/**
 * The typed event stream of one VisionThink run. Consumers (CLI, worker, tests) switch on `type`.
 */
import type { Confidence, TokenProbability } from './confidence.ts';
import type { ErrorJson } from './errors.ts';
import type { PolicyId } from './policies.ts';
import type { ServerUsage } from './server/types.ts';

/** The conversation's visual tokens after a question, and which question that was (1-based). */
export interface ConversationTotals {
  turn: number;
  visualTokens: VisualTokenTotals;
}

/** Which image a round encodes. */
export type Resolution = 'low' | 'full';

export interface Size {
  width: number;
  height: number;
}

/** What happened at the end of a round. */
export type Decision =
  /** The model answered (no tool call). */
  | 'answer'
  /** The model asked for the full image and the app will serve it. */
  | 'escalate'
  /** The model asked for the full image; the policy refuses and the model is told so. */
  | 'refused'
  /** The tool call could not be understood; the model gets the protocol's error turn. */
  | 'invalid-call'
  /** A tool call in the last allowed round: not served, the run ends. */
  | 'unserved';

/** Measurements of one round (one `generate` call). */
export interface RoundUsage {
  round: number;
  /** The image this round added, or null when the round appended text only (an error turn). */
  image: (Size & { resolution: Resolution }) | null;
  /** Visual tokens of the image this round added. */
  visualTokens: number;
  /** Tokens in context when the round started decoding (everything so far). */
  promptTokens: number;
  /** Tokens actually run through the decoder for the prefill (new tokens only when the cache is reused). */
  prefilledTokens: number;
  generatedTokens: number;
  /** The round's output, special tokens skipped. */
  output: string;
  /** The confidence of the round's answer (see confidence.ts); null when it made a tool call or said nothing. */
  confidence: Confidence | null;
  /** What the loop made of the round. */
  decision: Decision;
  /** Why, for people: the confidence against the threshold, the policy's refusal, the parse error. */
  reason: string;
  ms: { encode: number; prefill: number; decode: number };
  /**
   * The round's usage as a model server reported it: present for every round a server answered
   * (null when it reported none; then the prompt and prefill counts are 0, not measured).
   */
  server?: ServerUsage | null;
}

/** Visual tokens of the question so far against the always-full-resolution baseline. */
export interface VisualTokenTotals {
  used: number;
  fullResolution: number;
  /** `fullResolution - used`: negative when an escalation cost more than going straight to full. */
  saved: number;
}

export interface RunResult {
  answer: string;
  escalated: boolean;
  policy: PolicyId;
  /** The confidence threshold the run used (the `confidence` policy only). */
  threshold?: number;
  rounds: RoundUsage[];
  visualTokens: VisualTokenTotals;
  /** The whole conversation, special tokens kept. */
  transcript: string;
}

/**
 * Visual tokens a run spent before it ended without an answer (stopped or failed): the images
 * whose encoding had started, by resolution. Not a saving: the question was never answered.
 */
export interface SpentVisualTokens {
  low: number;
  full: number;
}

/** Every event a run can emit, in order: plan, then per round round → phase… → text… → usage → decision, then done or error. */
export type EngineEvent =
  /**
   * The resolutions of the conversation's image, sent before anything of question `turn` (1 for
   * the first question of a conversation) runs.
   */
  | {
      type: 'plan';
      turn: number;
      original: Size;
      low: Size & { visualTokens: number };
      full: Size & { visualTokens: number };
    }
  /** A round starts; `image` is what it will encode (null for a text-only round). */
  | { type: 'round'; round: number; image: (Size & { resolution: Resolution; visualTokens: number }) | null }
  /** The run moved to another phase of the current round. */
  | { type: 'phase'; round: number; phase: 'encode-low' | 'encode-full' | 'prefill' | 'decode' }
  /** Newly decoded text of the current round (special tokens skipped). */
  | { type: 'text'; round: number; delta: string }
  /**
   * Measurements of the finished round and the question's visual-token totals so far; `tokens`
   * are the round's generated tokens as streamed, each with the probability the model gave it.
   */
  | { type: 'usage'; usage: RoundUsage; totals: VisualTokenTotals; tokens: TokenProbability[] }
  /**
   * What the round's output means for the loop. `detail` says why for people; `gate` is the
   * confidence gate's comparison when it decided; `asked` is true when the model asked for the
   * full image itself.
   */
  | {
      type: 'decision';
      round: number;
      decision: Decision;
      detail?: string;
      gate?: { confidence: Confidence | null; threshold: number };
      asked?: boolean;
    }
  /**
   * The question was answered. `result.visualTokens` are the question's own (a follow-up's
   * baseline is 0: an always-full-resolution conversation has the full image in context already);
   * `conversation` has the conversation's totals after it.
   */
  | { type: 'done'; result: RunResult; conversation: ConversationTotals }
  /**
   * The run failed or was stopped; no further events follow. `spent` says what it had cost by
   * then (absent when it ended before the engine ran).
   */
  | { type: 'error'; error: ErrorJson; spent?: SpentVisualTokens };
