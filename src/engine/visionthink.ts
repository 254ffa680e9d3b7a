/**
 * The VisionThink loop: round 1 on the low-resolution image; if the model asks for the full
 * image, round 2 appends the tool response with the original image and continues on round 1's
 * KV cache. At most two rounds. Emits a typed event stream; never throws, never leaves a cache.
 */
import { AbortedError, EngineError, InvalidRequestError, toEngineError } from './errors.ts';
import { EventChannel } from './event-channel.ts';
import type { EngineEvent, Resolution, RoundUsage, RunResult, SpentVisualTokens, VisualTokenTotals } from './events.ts';
import type { ImageSource } from './image.ts';
import { checkImageDimensions } from './image.ts';
import { DEFAULT_POLICY, policyFor } from './policies.ts';
import { TextDeltaStream } from './text-stream.ts';
import { parseToolCall, renderErrorTurn } from './protocol.ts';
import { promptProtocol } from './prompt-protocols.ts';
import { answerConfidence, checkThreshold, type TokenProbability } from './confidence.ts';
import { decideRound, type RoundDecision } from './decide-round.ts';
import type { Tensor, VisionModel } from './vision-model.ts';
import { DEFAULT_MAX_VISUAL_TOKENS, planResolutions, type ResolutionPlan } from './visual-tokens.ts';
import { yieldToEventLoop } from './yield.ts';

/** At most this many rounds (images) per question, as in VisionThink. */
export const MAX_ROUNDS = 2;
export const DEFAULT_MAX_NEW_TOKENS = 1024;
/** Longest question accepted, in characters. */
export const MAX_QUESTION_LENGTH = 4000;

export interface RunRequest {
  image: ImageSource;
  question: string;
  /** A `PolicyId`; other strings are rejected with a readable error. */
  policy?: string;
  /** Visual-token budget that caps the full-resolution image (and so the baseline). */
  maxVisualTokens?: number;
  /** Per round. */
  maxNewTokens?: number;
  /**
   * The `confidence` policy's threshold, 0 to 1: an answer at low resolution whose confidence is
   * below it is asked again with the full image (default: `DEFAULT_CONFIDENCE_THRESHOLD`).
   */
  threshold?: number;
  /** Continue round 2 on round 1's KV cache (default). False re-prefills the whole conversation. */
  reuseCache?: boolean;
  /**
   * For benchmarks: what each round says, in order, instead of what the model would choose
   * (the decoder still runs once per token, so costs are real); rounds past the end are free.
   */
  script?: readonly string[];
  signal?: AbortSignal;
}

/**
 * Runs one question. Iterate the result; the last event is `done` or `error`. Breaking out of
 * the iteration stops the run and frees its cache.
 */
export async function* runVisionThink(
  model: VisionModel,
  request: RunRequest,
): AsyncGenerator<EngineEvent, void, undefined> {
  const controller = new AbortController();
  const forwardAbort = (): void => {
    controller.abort();
  };
  if (request.signal?.aborted) controller.abort();
  request.signal?.addEventListener('abort', forwardAbort);
  const channel = new EventChannel<EngineEvent>();
  const spent: SpentVisualTokens = { low: 0, full: 0 };
  const work = execute(model, request, controller.signal, spent, (event) => {
    channel.push(event);
  })
    .then((result) => {
      channel.push({ type: 'done', result });
    })
    .catch((error: unknown) => {
      const failure = controller.signal.aborted ? new AbortedError() : toEngineError(error);
      channel.push({ type: 'error', error: failure.toJSON(), spent: { ...spent } });
    })
    .finally(() => {
      channel.close();
    });
  try {
    yield* channel;
  } finally {
    controller.abort();
    request.signal?.removeEventListener('abort', forwardAbort);
    await work;
  }
}

/** Collects a run into its result, throwing the run's error as an `EngineError`. */
export async function askVisionThink(model: VisionModel, request: RunRequest): Promise<RunResult> {
  for await (const event of runVisionThink(model, request)) {
    if (event.type === 'done') return event.result;
    if (event.type === 'error') throw new EngineError(event.error.code, event.error.message);
  }
  throw new Error('The run ended without a result.');
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new AbortedError();
}

function validate(request: RunRequest): { question: string; maxNewTokens: number; threshold: number } {
  // Control markers typed into a question (e.g. "<|image_pad|>") would be read as real special
  // tokens; a zero-width space keeps them visible as text without their meaning.
  const question = request.question.trim().replaceAll('<|', '<\u200B|');
  if (question.length === 0) {
    throw new InvalidRequestError('empty-question', 'Please type a question about the image.');
  }
  if (question.length > MAX_QUESTION_LENGTH) {
    throw new InvalidRequestError(
      'invalid-option',
      `The question is too long (${question.length} characters; the limit is ${MAX_QUESTION_LENGTH}).`,
    );
  }
  const maxNewTokens = request.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) {
    throw new InvalidRequestError(
      'invalid-option',
      `The answer length limit must be a positive whole number, not ${maxNewTokens}.`,
    );
  }
  return { question, maxNewTokens, threshold: checkThreshold(request.threshold) };
}

/** Cancellation point: pending messages (a Stop) are delivered first, then the signal is read. */
async function checkpoint(signal: AbortSignal): Promise<void> {
  await yieldToEventLoop();
  throwIfAborted(signal);
}

/**
 * Runs the loop, emitting events; `spent` is kept up to date as images start encoding, so a run
 * that ends without an answer can say what it cost.
 */
async function execute(
  model: VisionModel,
  request: RunRequest,
  signal: AbortSignal,
  spent: SpentVisualTokens,
  emit: (event: EngineEvent) => void,
): Promise<RunResult> {
  throwIfAborted(signal);
  const { question, maxNewTokens, threshold } = validate(request);
  const policy = policyFor(request.policy ?? DEFAULT_POLICY);
  const { image } = request;
  checkImageDimensions(image.width, image.height);
  const plan: ResolutionPlan = planResolutions(
    image.width,
    image.height,
    model.geometry,
    request.maxVisualTokens ?? DEFAULT_MAX_VISUAL_TOKENS,
  );
  emit({ type: 'plan', original: { width: image.width, height: image.height }, low: plan.low, full: plan.full });

  // When the budget leaves no room between the passes, the low pass already is the full image:
  // escalating would only show the same picture twice.
  const firstPass: Resolution =
    plan.low.width === plan.full.width && plan.low.height === plan.full.height ? 'full' : policy.firstPass;
  const reuseCache = request.reuseCache ?? true;
  let cache = model.newCache();
  const rounds: RoundUsage[] = [];
  const grids: [bigint, bigint, bigint][] = [];
  const imagePixels: Tensor[] = [];
  let sequence: bigint[] = [];
  const protocol = promptProtocol(policy, model);
  let pending: { text: string; resolution: Resolution | null } = {
    text: protocol.firstTurn(question),
    resolution: firstPass,
  };
  let current: Resolution = firstPass;
  let escalated = false;
  let lastOutput = '';
  const totals = (): VisualTokenTotals => {
    const used = rounds.reduce((sum, r) => sum + r.visualTokens, 0);
    return { used, fullResolution: plan.full.visualTokens, saved: plan.full.visualTokens - used };
  };

  try {
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      const pass = pending.resolution ? plan[pending.resolution] : null;
      const roundImage = pass && pending.resolution ? { ...pass, resolution: pending.resolution } : null;
      emit({ type: 'round', round, image: roundImage });

      await checkpoint(signal);
      const pixels = pass ? await image.resize(pass.width, pass.height, round) : null;
      await checkpoint(signal);
      const turn = await model.encodeTurn(pending.text, pixels);
      await checkpoint(signal);
      if (turn.image) {
        grids.push(turn.image.grid);
        imagePixels.push(turn.image.pixelValues);
      }
      sequence = [...sequence, ...turn.ids];

      if (!reuseCache) {
        await cache.dispose();
        cache = model.newCache();
      }
      const cached = cache.get_seq_length();
      const scripted = request.script?.[round - 1];
      const forced = scripted === undefined ? undefined : model.scriptTokens(scripted);
      const deltas = new TextDeltaStream((ids) => model.decode(ids, true));
      let encodeStarted = false;
      let streamed = '';
      // The text each generated token added to the stream ('' while a character is incomplete).
      const pieces: string[] = [];
      const result = await model.generate({
        ids: sequence,
        // Without the cache the whole conversation is re-prefilled, so every image is re-encoded.
        pixelValues: reuseCache ? (turn.image?.pixelValues ?? null) : model.concatPixels(imagePixels),
        grids,
        cache,
        maxNewTokens: forced ? forced.length : maxNewTokens,
        ...(forced ? { forced } : {}),
        signal,
        onPhase: (phase) => {
          const resolution = pending.resolution ?? current;
          // Counted once per round, though a re-prefill may encode its images in two chunks.
          if (phase === 'encode' && roundImage && !encodeStarted)
            spent[roundImage.resolution] += roundImage.visualTokens;
          if (phase === 'encode') encodeStarted = true;
          emit({
            type: 'phase',
            round,
            phase: phase === 'prefill' ? 'prefill' : resolution === 'full' ? 'encode-full' : 'encode-low',
          });
        },
        onToken: (generated) => {
          if (generated.length === 1) emit({ type: 'phase', round, phase: 'decode' });
          const delta = deltas.push(generated);
          pieces.push(delta);
          if (delta) {
            streamed += delta;
            emit({ type: 'text', round, delta });
          }
        },
      });
      sequence = result.sequence;
      const output = model.decode(result.generated, true);
      if (output.length > streamed.length && output.startsWith(streamed)) {
        const rest = output.slice(streamed.length);
        emit({ type: 'text', round, delta: rest });
        if (pieces.length > 0) pieces[pieces.length - 1] = `${pieces.at(-1) ?? ''}${rest}`;
      }
      lastOutput = output;
      const tokens: TokenProbability[] = pieces.map((text, i) => ({ text, p: result.probabilities[i] ?? Number.NaN }));
      const call = parseToolCall(output);
      const confidence = call.kind === 'none' ? answerConfidence(tokens) : null;
      const decision: RoundDecision = decideRound({
        policy,
        call,
        confidence,
        threshold,
        current,
        lastRound: round === MAX_ROUNDS,
      });
      const usage: RoundUsage = {
        round,
        image: roundImage
          ? { width: roundImage.width, height: roundImage.height, resolution: roundImage.resolution }
          : null,
        visualTokens: roundImage?.visualTokens ?? 0,
        promptTokens: sequence.length - result.generated.length,
        prefilledTokens: sequence.length - result.generated.length - cached,
        generatedTokens: result.generated.length,
        output,
        confidence,
        decision: decision.decision,
        reason: decision.reason,
        ms: result.ms,
      };
      rounds.push(usage);
      emit({ type: 'usage', usage, totals: totals(), tokens });
      emit({
        type: 'decision',
        round,
        decision: decision.decision,
        ...(decision.detail === undefined ? {} : { detail: decision.detail }),
        ...(decision.gate ? { gate: decision.gate } : {}),
        ...(decision.asked ? { asked: true } : {}),
      });

      const next = decision.next;
      if (next === 'end') break;
      if (next === 'error-turn') {
        pending = { text: renderErrorTurn(decision.detail ?? ''), resolution: null };
        continue;
      }
      escalated = true;
      current = 'full';
      pending = { text: protocol.fullImageTurn(result.generated.at(-1)), resolution: 'full' };
    }
  } finally {
    await cache.dispose();
  }

  return {
    answer: protocol.answer(lastOutput),
    escalated,
    policy: policy.id,
    ...(policy.gate === 'confidence' ? { threshold } : {}),
    rounds,
    visualTokens: totals(),
    transcript: model.decode(sequence, false),
  };
}
