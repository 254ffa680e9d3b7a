/**
 * One policy's answer to one item: a fresh `Conversation` on the run's backend, timed, and turned
 * into an `ItemResult` with the dataset's score. The `confidence` policy is asked at threshold 1,
 * which always shows the full image after the low-resolution answer, so both passes are recorded
 * and any threshold's answer follows without asking again (sweep.ts).
 */
import type { Backend } from '../engine/backend.ts';
import { Conversation } from '../engine/conversation.ts';
import { AbortedError, EngineError, type EngineErrorCode, type ErrorJson } from '../engine/errors.ts';
import type { RoundUsage } from '../engine/events.ts';
import type { ImageSource } from '../engine/image.ts';
import { policyFor, type PolicyId } from '../engine/policies.ts';
import { protocolAnswer } from '../engine/prompt-protocols.ts';
import type { VisionModel } from '../engine/vision-model.ts';
import { scoreAnswer } from './metrics.ts';
import { attemptAtThreshold } from './sweep.ts';
import type { Attempt, DatasetInfo, EvalItem, ItemResult } from './types.ts';

/** What asking needs from the run. */
export interface AskSettings {
  backend: Backend | VisionModel;
  dataset: DatasetInfo;
  /** The `confidence` policy's threshold for its result. */
  threshold: number;
  maxVisualTokens: number;
}

/** The threshold the `confidence` policy is asked at: 1 always looks again. */
const SWEEP_THRESHOLD = 1;

/**
 * Failures that belong to the item (its image, its length): recorded as its answer, scored 0. Any
 * other (a server gone, a device lost, a bug) would fail every item after it the same way, so it
 * ends the run instead, and Resume asks again from there.
 */
const ITEM_ERRORS: ReadonlySet<EngineErrorCode> = new Set<EngineErrorCode>([
  'context-full',
  'invalid-image',
  'image-too-small',
  'image-too-large',
  'aspect-ratio',
  'empty-question',
  'server-too-large',
]);

interface Asked {
  /** The finished rounds, in order (a failed question keeps the rounds before the failure). */
  rounds: RoundUsage[];
  answer: string | null;
  escalated: boolean;
  visualTokens: number;
  /** Visual tokens of the always-full-resolution image (from the plan, before anything runs). */
  fullResolutionTokens: number;
  /** Wall time from asking to the answer (or the failure), and to the start of round 2. */
  ms: number;
  round2At: number | null;
  /** Round 1 asked for the full image itself (a tool call), rather than the gate deciding. */
  firstAsked: boolean;
  error: ErrorJson | null;
}

/** One question in a fresh conversation, timed. */
async function ask(
  item: EvalItem,
  image: ImageSource,
  policy: PolicyId,
  settings: AskSettings,
  signal: AbortSignal,
): Promise<Asked> {
  const conversation = new Conversation(settings.backend, {
    image,
    policy,
    maxVisualTokens: settings.maxVisualTokens,
  });
  const started = performance.now();
  const asked: Asked = {
    rounds: [],
    answer: null,
    escalated: false,
    visualTokens: 0,
    fullResolutionTokens: 0,
    ms: 0,
    round2At: null,
    firstAsked: false,
    error: null,
  };
  try {
    for await (const event of conversation.ask({
      question: item.question,
      threshold: policy === 'confidence' ? SWEEP_THRESHOLD : settings.threshold,
      signal,
    })) {
      if (event.type === 'plan') asked.fullResolutionTokens = event.full.visualTokens;
      if (event.type === 'round' && event.round === 2) asked.round2At = performance.now() - started;
      if (event.type === 'usage') asked.rounds.push(event.usage);
      if (event.type === 'decision' && event.round === 1) asked.firstAsked = event.asked === true;
      if (event.type === 'done') {
        asked.answer = event.result.answer;
        asked.escalated = event.result.escalated;
        asked.visualTokens = event.result.visualTokens.used;
      }
      if (event.type === 'error') {
        if (signal.aborted || event.error.code === 'aborted') throw new AbortedError();
        asked.error = event.error;
        asked.visualTokens = (event.spent?.low ?? 0) + (event.spent?.full ?? 0);
      }
    }
    asked.ms = performance.now() - started;
    return asked;
  } finally {
    await conversation.dispose();
  }
}

const total = (rounds: readonly RoundUsage[], key: 'prefilledTokens' | 'generatedTokens'): number =>
  rounds.reduce((sum, round) => sum + round[key], 0);

/**
 * One policy's result on one item. Throws (ending the run) on a failure that is not the item's
 * own, and `AbortedError` when stopped.
 */
export async function askItem(
  item: EvalItem,
  image: ImageSource,
  policy: PolicyId,
  settings: AskSettings,
  signal: AbortSignal,
): Promise<ItemResult> {
  const asked = await ask(item, image, policy, settings, signal);
  if (asked.error && !ITEM_ERRORS.has(asked.error.code)) throw new EngineError(asked.error.code, asked.error.message);
  const score = (prediction: string): number => scoreAnswer(settings.dataset.metric, prediction, item.answers);
  const final: Attempt = {
    prediction: asked.answer ?? '',
    // A failed question scores 0, whatever the metric would make of an empty answer.
    score: asked.error ? 0 : score(asked.answer ?? ''),
    escalated: asked.escalated,
    visualTokens: asked.visualTokens,
    prefilledTokens: total(asked.rounds, 'prefilledTokens'),
    generatedTokens: total(asked.rounds, 'generatedTokens'),
    ms: asked.ms,
    ...(asked.error ? { error: asked.error.message } : {}),
  };
  const base = {
    itemId: item.id,
    policy,
    question: item.question,
    answers: item.answers,
    ...(item.category === undefined ? {} : { category: item.category }),
    fullResolutionTokens: asked.fullResolutionTokens,
  };
  const result = (attempt: Attempt, output: string): ItemResult => ({
    ...base,
    attempt,
    output,
    ...(attempt.error === undefined ? {} : { error: attempt.error }),
  });
  const lastOutput = asked.rounds.at(-1)?.output ?? '';
  const first = asked.rounds[0];
  // Only a round 1 that answered at low resolution and was followed by round 2 has two passes;
  // otherwise (the low pass already was the full image, or round 1 failed) there is one answer.
  if (policy !== 'confidence' || first === undefined || asked.round2At === null) return result(final, lastOutput);

  const lowPrediction = asked.firstAsked ? '' : protocolAnswer(policyFor(policy), first.output);
  const sweep: NonNullable<ItemResult['sweep']> = {
    lowPass: {
      prediction: lowPrediction,
      score: score(lowPrediction),
      escalated: false,
      visualTokens: first.visualTokens,
      prefilledTokens: first.prefilledTokens,
      generatedTokens: first.generatedTokens,
      ms: asked.round2At,
      confidence: first.confidence?.value ?? null,
      asked: asked.firstAsked,
    },
    escalatedPass: final,
  };
  const attempt = attemptAtThreshold(sweep, settings.threshold);
  return { ...result(attempt, attempt === final ? lastOutput : first.output), sweep };
}
