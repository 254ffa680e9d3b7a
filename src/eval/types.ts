/**
 * The evaluation harness's shared types: a dataset's items, one policy's answer to one item, and
 * the report that summarises a run. The harness is a client of the engine's `Conversation` (the
 * same loop the app and the CLI run), in Node and in the worker alike.
 */
import type { PolicyId } from '../engine/policies.ts';

/** How a dataset scores answers; each is defined as its benchmark defines it (see metrics.ts). */
export type MetricId =
  /** ChartQA: numbers within 5 % of the reference ("%" handled), otherwise exact match. */
  | 'relaxed-accuracy'
  /** DocVQA: average normalised Levenshtein similarity, 0 below 0.5. */
  | 'anls'
  /** TextVQA: min(1, matches / 3) over the ten human answers, averaged over the ten leave-one-out subsets. */
  | 'vqa-accuracy'
  /** OCRBench: a reference answer occurs in the prediction. */
  | 'substring'
  /** POPE: F1 of "yes" over the whole sample (each item scores 1 when its yes/no is right). */
  | 'pope-f1'
  /** The synthetic set: exact match after normalisation, against any of the references. */
  | 'exact';

/** One question about one image, with its reference answers. */
export interface EvalItem {
  /** Stable within the dataset (a hub dataset's row index), so a run can be resumed. */
  id: string;
  question: string;
  /** Reference answers: one or more (TextVQA has ten). */
  answers: string[];
  /** A breakdown label (the synthetic set: `low` or `full`, the resolution its question needs). */
  category?: string;
  /** The encoded image (PNG, JPEG, …), fetched on demand; may be asked for again after a failure. */
  image(signal?: AbortSignal): Promise<Uint8Array>;
}

/** What a report says about the dataset it ran on. */
export interface DatasetInfo {
  /** `synthetic`, `chartqa`, … (a key of the dataset table). */
  id: string;
  label: string;
  metric: MetricId;
  /** Items in the whole split the sample was drawn from. */
  size: number;
  /** Where the data came from, for people (a hub dataset's id, config and split). */
  source: string;
}

/** The measurements of one answered question (one policy, one item). */
export interface Attempt {
  /** The answer as the protocol extracts it (`<answer>` tags). */
  prediction: string;
  /** The metric's score of this one answer, 0 to 1 (POPE: 1 when the yes/no is right). */
  score: number;
  escalated: boolean;
  /** Visual tokens the question encoded. */
  visualTokens: number;
  /** Tokens run through the decoder for the prefills (what a cache did not already hold). */
  prefilledTokens: number;
  generatedTokens: number;
  /** Wall time of the question, from asking to its answer. */
  ms: number;
  /** Why the question gave no answer (the engine's message); it then scores 0. */
  error?: string;
}

/** One policy's result on one item. */
export interface ItemResult {
  itemId: string;
  policy: PolicyId;
  question: string;
  answers: string[];
  category?: string;
  /** Visual tokens of the always-full-resolution baseline for this item. */
  fullResolutionTokens: number;
  /** The answer the policy gives (for `confidence`: at the report's threshold; see `lowPass`). */
  attempt: Attempt;
  /** The model's raw output of the last round (special tokens skipped). */
  output: string;
  /**
   * `confidence` only. The run escalates every item (threshold 1), so that any threshold's answer
   * can be computed afterwards: `lowPass` is the answer round 1 gave at low resolution with its
   * confidence (null when the model asked for the full image itself, or said nothing to judge),
   * and `escalatedPass` the answer after the full image was shown.
   */
  sweep?: {
    lowPass: Attempt & { confidence: number | null; asked: boolean };
    escalatedPass: Attempt;
  };
  /** `attempt.error`: why the policy gave no answer (the engine's message); the item then scores 0. */
  error?: string;
}

/** What a run reports as it goes: each result and each item it could not pose. */
export type EvalEvent = { type: 'item'; result: ItemResult } | { type: 'skip'; skipped: SkippedItem };

/** An item the harness could not pose at all (its image failed to load): left out of every policy. */
export interface SkippedItem {
  itemId: string;
  reason: string;
}

/** One point of the confidence policy's threshold sweep. */
export interface SweepPoint {
  threshold: number;
  accuracy: number;
  escalationRate: number;
  visualTokensUsed: number;
  /** `visualTokensUsed` / the sample's always-full-resolution visual tokens. */
  visualTokenRatio: number;
}

/** One policy's summary over the sample. */
export interface PolicySummary {
  policy: PolicyId;
  /** The dataset's metric over the sample, 0 to 1. */
  accuracy: number;
  /**
   * Share of items whose full image was shown after the low-resolution pass (the paper's "resize
   * ratio"); 0 for `full-only`, which starts at full resolution and never asks.
   */
  escalationRate: number;
  visualTokensUsed: number;
  visualTokensFullOnly: number;
  /** `visualTokensUsed / visualTokensFullOnly`. */
  visualTokenRatio: number;
  prefilledTokens: number;
  generatedTokens: number;
  /** Sum of the questions' wall times. */
  wallMs: number;
  latencyMs: { p50: number; p90: number };
  /** Items answered (errors included, skipped items not). */
  items: number;
  /** Items whose question failed (scored 0). */
  errors: number;
  /** `confidence` only: the threshold this summary is at. */
  threshold?: number;
}

/** The confidence policy's sweep and the threshold it suggests. */
export interface ConfidenceSweep {
  points: SweepPoint[];
  /**
   * The threshold with the best accuracy per visual token among those within one point of the
   * reference accuracy (`full-only` when it ran, else the sweep's always-escalate point); null when
   * none is.
   */
  suggested: SweepPoint | null;
  reference: { policy: 'full-only' | 'confidence-always'; accuracy: number };
}

/** A whole evaluation: what ran, on what, and every item's answer. */
export interface EvalReport {
  version: 1;
  /** ISO time the run started. */
  startedAt: string;
  /** ISO time of the last result. */
  finishedAt: string;
  /** The model as the person named it (a registry id, a folder, or the server's model name). */
  model: string;
  /** `local` or the server's base URL. */
  backend: string;
  dataset: DatasetInfo;
  limit: number;
  seed: number;
  policies: PolicyId[];
  maxVisualTokens: number;
  /** True when every item of the sample has a result for every policy. */
  complete: boolean;
  summaries: PolicySummary[];
  confidenceSweep: ConfidenceSweep | null;
  items: ItemResult[];
  skipped: SkippedItem[];
}
