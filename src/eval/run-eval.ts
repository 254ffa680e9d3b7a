/**
 * Runs an evaluation: every item of a sample, asked under every policy, through the same
 * `Conversation` the app and the CLI use (never a second loop), on whichever backend answers.
 * Platform pieces (opening an image's bytes) are injected, so Node and the worker share it.
 *
 * The `confidence` policy runs once per item at threshold 1, which always shows the full image
 * after the low-resolution answer: round 1's answer and confidence and round 2's answer are then
 * both known, and any threshold's result follows without asking again (see summary.ts).
 */
import type { Backend } from '../engine/backend.ts';
import { isUnsure } from '../engine/confidence.ts';
import { Conversation } from '../engine/conversation.ts';
import { AbortedError, toEngineError } from '../engine/errors.ts';
import { EventChannel } from '../engine/event-channel.ts';
import type { RunResult } from '../engine/events.ts';
import type { ImageSource } from '../engine/image.ts';
import { policyFor, type PolicyId } from '../engine/policies.ts';
import { protocolAnswer } from '../engine/prompt-protocols.ts';
import type { VisionModel } from '../engine/vision-model.ts';
import { scoreAnswer } from './metrics.ts';
import type { Attempt, DatasetInfo, EvalItem, ItemResult, SkippedItem } from './types.ts';

/** An opened image; `close` frees its decoded pixels once every policy has asked about it. */
export type OpenedImage = ImageSource & { close?: () => void };

export interface EvalRunOptions {
  backend: Backend | VisionModel;
  dataset: DatasetInfo;
  items: readonly EvalItem[];
  policies: readonly PolicyId[];
  /** The `confidence` policy's threshold for its result (its sweep covers every threshold). */
  threshold: number;
  maxVisualTokens: number;
  maxNewTokens?: number;
  /** Items asked at once (a server answers them in parallel; a model in this process one at a time). */
  concurrency?: number;
  /** Decodes an item's bytes (sharp in Node, an ImageBitmap in the worker). */
  openImage(bytes: Uint8Array, signal: AbortSignal): Promise<OpenedImage>;
  /** Results recorded by an earlier run of the same sample (resume): these are not asked again. */
  done?: ReadonlySet<string>;
  /**
   * Runs each item's work (the worker passes its queue, so a question asked meanwhile is
   * answered between two items); default: at once.
   */
  schedule?: <T>(work: () => Promise<T>) => Promise<T>;
  signal?: AbortSignal;
}

/** What a run reports as it goes: each result and each item it could not pose. */
export type EvalEvent = { type: 'item'; result: ItemResult } | { type: 'skip'; skipped: SkippedItem };

/** The key of one policy's result on one item (for `done`). */
export function resultKey(policy: PolicyId, itemId: string): string {
  return `${policy}/${itemId}`;
}

/** The threshold the `confidence` policy runs at: 1 always looks again (see `isUnsure`). */
const SWEEP_THRESHOLD = 1;

/**
 * Asks every item under every policy, item by item (so a stopped run has comparable results for
 * all policies); yields each result as it lands. Ends by throwing `AbortedError` when stopped.
 */
export async function* runEvaluation(options: EvalRunOptions): AsyncGenerator<EvalEvent, void, undefined> {
  const controller = new AbortController();
  const forward = (): void => {
    controller.abort();
  };
  if (options.signal?.aborted) controller.abort();
  options.signal?.addEventListener('abort', forward);
  const channel = new EventChannel<EvalEvent>();
  const push = (event: EvalEvent): void => {
    channel.push(event);
  };
  const pending = options.items.filter((item) =>
    options.policies.some((policy) => !options.done?.has(resultKey(policy, item.id))),
  );
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pending.length && !controller.signal.aborted) {
      const item = pending[next++];
      if (!item) continue;
      const work = (): Promise<void> => evaluateItem(item, options, controller.signal, push);
      await (options.schedule ? options.schedule(work) : work());
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 1, pending.length)) }, worker);
  const outcome: { failure: unknown } = { failure: undefined };
  const all = Promise.all(workers)
    .then(
      () => undefined,
      (error: unknown) => {
        outcome.failure = error;
        controller.abort();
      },
    )
    .finally(() => {
      channel.close();
    });
  try {
    yield* channel;
    await all;
    if (outcome.failure !== undefined) throw toEngineError(outcome.failure);
    if (controller.signal.aborted) throw new AbortedError();
  } finally {
    controller.abort();
    options.signal?.removeEventListener('abort', forward);
    await all;
  }
}

/** Every policy still to ask about one item, one after another on one decoded image. */
async function evaluateItem(
  item: EvalItem,
  options: EvalRunOptions,
  signal: AbortSignal,
  push: (event: EvalEvent) => void,
): Promise<void> {
  let image: OpenedImage;
  try {
    image = await options.openImage(await item.image(signal), signal);
  } catch (error) {
    if (signal.aborted) return;
    const reason = error instanceof Error ? error.message : String(error);
    push({ type: 'skip', skipped: { itemId: item.id, reason } });
    return;
  }
  try {
    for (const policy of options.policies) {
      if (signal.aborted) return;
      if (options.done?.has(resultKey(policy, item.id))) continue;
      // A result that completed as Stop arrived is still a real result: it is kept.
      push({ type: 'item', result: await askOnce(item, image, policy, options, signal) });
    }
  } finally {
    image.close?.();
  }
}

interface Asked {
  result: RunResult | null;
  error: string | null;
  /** Wall time from asking to the answer, and to the start of round 2 when there was one. */
  ms: number;
  round2At: number | null;
  /** Round 1 asked for the full image itself (a tool call), rather than the gate deciding. */
  firstAsked: boolean;
  spentVisualTokens: number;
}

/** One question in a fresh conversation, timed. */
async function ask(
  item: EvalItem,
  image: ImageSource,
  policy: PolicyId,
  options: EvalRunOptions,
  signal: AbortSignal,
): Promise<Asked> {
  const conversation = new Conversation(options.backend, {
    image,
    policy,
    maxVisualTokens: options.maxVisualTokens,
  });
  const started = performance.now();
  let round2At: number | null = null;
  let firstAsked = false;
  try {
    for await (const event of conversation.ask({
      question: item.question,
      threshold: policy === 'confidence' ? SWEEP_THRESHOLD : options.threshold,
      ...(options.maxNewTokens === undefined ? {} : { maxNewTokens: options.maxNewTokens }),
      signal,
    })) {
      if (event.type === 'round' && event.round === 2) round2At = performance.now() - started;
      if (event.type === 'decision' && event.round === 1) firstAsked = event.asked === true;
      if (event.type === 'done') {
        const ms = performance.now() - started;
        return { result: event.result, error: null, ms, round2At, firstAsked, spentVisualTokens: 0 };
      }
      if (event.type === 'error') {
        if (signal.aborted) throw new AbortedError();
        const spent = (event.spent?.low ?? 0) + (event.spent?.full ?? 0);
        return {
          result: null,
          error: event.error.message,
          ms: performance.now() - started,
          round2At,
          firstAsked,
          spentVisualTokens: spent,
        };
      }
    }
    throw new AbortedError();
  } finally {
    await conversation.dispose();
  }
}

/** One policy's result on one item. */
async function askOnce(
  item: EvalItem,
  image: ImageSource,
  policy: PolicyId,
  options: EvalRunOptions,
  signal: AbortSignal,
): Promise<ItemResult> {
  const asked = await ask(item, image, policy, options, signal);
  const { metric } = options.dataset;
  const base = {
    itemId: item.id,
    policy,
    question: item.question,
    answers: item.answers,
    ...(item.category === undefined ? {} : { category: item.category }),
  };
  const { result } = asked;
  if (!result) {
    return {
      ...base,
      fullResolutionTokens: 0,
      attempt: failedAttempt(asked),
      output: '',
      error: asked.error ?? 'The question failed.',
    };
  }
  const score = (prediction: string): number => scoreAnswer(metric, prediction, item.answers);
  const sum = (rounds: RunResult['rounds'], key: 'prefilledTokens' | 'generatedTokens'): number =>
    rounds.reduce((total, round) => total + round[key], 0);
  const final: Attempt = {
    prediction: result.answer,
    score: score(result.answer),
    escalated: result.escalated,
    visualTokens: result.visualTokens.used,
    prefilledTokens: sum(result.rounds, 'prefilledTokens'),
    generatedTokens: sum(result.rounds, 'generatedTokens'),
    ms: asked.ms,
  };
  const output = result.rounds.at(-1)?.output ?? '';
  const fullResolutionTokens = result.visualTokens.fullResolution;
  if (policy !== 'confidence') return { ...base, fullResolutionTokens, attempt: final, output };

  const first = result.rounds[0];
  const round2 = first !== undefined && result.rounds.length > 1 && asked.round2At !== null;
  // Without a second round (the low pass already was the full image) both passes are one answer.
  const lowPrediction = round2 ? protocolAnswer(policyFor(policy), first.output) : '';
  const low: Attempt = round2
    ? {
        prediction: lowPrediction,
        score: score(lowPrediction),
        escalated: false,
        visualTokens: first.visualTokens,
        prefilledTokens: first.prefilledTokens,
        generatedTokens: first.generatedTokens,
        ms: asked.round2At ?? asked.ms,
      }
    : final;
  const sweep = {
    lowPass: { ...low, confidence: first?.confidence?.value ?? null, asked: round2 && asked.firstAsked },
    escalatedPass: final,
  };
  const looksAgain = escalates(sweep.lowPass, options.threshold);
  return {
    ...base,
    fullResolutionTokens,
    attempt: attemptAtThreshold(sweep, options.threshold),
    output: round2 && !looksAgain ? first.output : output,
    sweep,
  };
}

/** Whether the `confidence` policy shows the full image at `threshold`, by the engine's own rule. */
export function escalates(lowPass: { confidence: number | null; asked: boolean }, threshold: number): boolean {
  if (lowPass.asked) return true;
  const confidence =
    lowPass.confidence === null
      ? null
      : { value: lowPass.confidence, min: lowPass.confidence, geometricMean: 0, first: 0, tokens: 1 };
  return isUnsure(confidence, threshold);
}

/** The `confidence` policy's answer at `threshold`, from the run that always looked again. */
export function attemptAtThreshold(sweep: NonNullable<ItemResult['sweep']>, threshold: number): Attempt {
  return escalates(sweep.lowPass, threshold) ? sweep.escalatedPass : stripSweep(sweep.lowPass);
}

function stripSweep(pass: Attempt): Attempt {
  const { prediction, score, escalated, visualTokens, prefilledTokens, generatedTokens, ms } = pass;
  return { prediction, score, escalated, visualTokens, prefilledTokens, generatedTokens, ms };
}

/** A question that failed scores 0, whatever the metric would make of an empty answer. */
function failedAttempt(asked: Asked): Attempt {
  return {
    prediction: '',
    score: 0,
    escalated: false,
    visualTokens: asked.spentVisualTokens,
    prefilledTokens: 0,
    generatedTokens: 0,
    ms: asked.ms,
  };
}
