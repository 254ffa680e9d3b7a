/**
 * A conversation about one image: the VisionThink loop run once per question, on whichever
 * backend answers (see backend.ts). The first question sees the low-resolution image (round 1);
 * if the model asks for the full image, round 2 appends the tool response with the original
 * image and continues. A follow-up question appends only its own turn: the image stays in context
 * at the resolution the conversation has reached, and the full image is shown at most once per
 * conversation.
 *
 * A question that ends without an answer (Stop, an error) leaves the conversation as it was after
 * its last completed question: the backend keeps what a question built only when it completes.
 */
import type { Backend, BackendQuestion, BackendThread, TurnInput } from './backend.ts';
import { AbortedError, ConversationError, EngineError, InvalidRequestError, toEngineError } from './errors.ts';
import { EventChannel } from './event-channel.ts';
import type {
  ConversationTotals,
  EngineEvent,
  Resolution,
  RoundUsage,
  RunResult,
  SpentVisualTokens,
  VisualTokenTotals,
} from './events.ts';
import type { ImageSource } from './image.ts';
import { checkImageDimensions } from './image.ts';
import { DEFAULT_POLICY, policyFor, type Policy } from './policies.ts';
import { parseToolCall } from './protocol.ts';
import { protocolAnswer } from './prompt-protocols.ts';
import { answerConfidence } from './confidence.ts';
import { decideRound, type RoundDecision } from './decide-round.ts';
import { LocalBackend } from './local-backend.ts';
import { VisionModel } from './vision-model.ts';
import { DEFAULT_MAX_VISUAL_TOKENS, planResolutions, type ResolutionPlan } from './visual-tokens.ts';
import { checkpoint, MAX_ROUNDS, throwIfAborted, validate, type TurnRequest } from './turn-request.ts';

export { DEFAULT_MAX_NEW_TOKENS, MAX_QUESTION_LENGTH, MAX_ROUNDS, type TurnRequest } from './turn-request.ts';

/** What stays the same for every question of a conversation. */
export interface ConversationOptions {
  image: ImageSource;
  /** A `PolicyId`; other strings are rejected with a readable error. */
  policy?: string;
  /** Visual-token budget that caps the full-resolution image (and so the baseline). */
  maxVisualTokens?: number;
  /**
   * Continue each round on the cache of the conversation so far (default). False re-prefills the
   * whole conversation every round, re-encoding every image: the reference the cache is tested
   * against (local backend).
   */
  reuseCache?: boolean;
  /** Start the first question from the model's cached prompt prefix (default true; local backend). */
  prefixCache?: boolean;
  /**
   * The most tokens the conversation may hold (default: the model's context, or less where this
   * device's cache memory budget is smaller; see context-budget.ts).
   */
  contextLimit?: number;
}

/** The conversation after its last completed question; a question that fails leaves it untouched. */
interface Committed {
  turns: number;
  /** The resolution the model has seen: 'full' once the full image is in context. */
  reached: Resolution;
  /** Visual tokens encoded so far. */
  used: number;
}

interface Setup {
  policy: Policy;
  plan: ResolutionPlan;
  firstPass: Resolution;
  thread: BackendThread;
}

export class Conversation {
  #committed: Committed = { turns: 0, reached: 'low', used: 0 };
  #setup: Setup | null = null;
  #busy = false;
  #disposed = false;
  private readonly backend: Backend;

  /** A conversation on `backend`; a loaded model runs on the local backend. */
  constructor(
    backend: Backend | VisionModel,
    private readonly options: ConversationOptions,
  ) {
    this.backend = backend instanceof VisionModel ? new LocalBackend(backend) : backend;
  }

  /** Questions answered so far. */
  get turns(): number {
    return this.#committed.turns;
  }

  /**
   * Asks `request.question`. Iterate the result; the last event is `done` or `error`. Breaking
   * out of the iteration stops the question (the conversation stays as it was before it).
   */
  async *ask(request: TurnRequest): AsyncGenerator<EngineEvent, void, undefined> {
    const controller = new AbortController();
    const forwardAbort = (): void => {
      controller.abort();
    };
    if (request.signal?.aborted) controller.abort();
    request.signal?.addEventListener('abort', forwardAbort);
    const channel = new EventChannel<EngineEvent>();
    const spent: SpentVisualTokens = { low: 0, full: 0 };
    const emit = (event: EngineEvent): void => {
      channel.push(event);
    };
    const work = this.#exclusive(() => this.#turn(request, controller.signal, spent, emit))
      .then(({ result, conversation }) => {
        channel.push({ type: 'done', result, conversation });
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

  /** Frees the conversation's cache (the model's prompt prefix stays); later questions are refused. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    await this.#setup?.thread.dispose();
  }

  async #exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.#disposed)
      throw new ConversationError('conversation-lost', 'This conversation has ended: start a new one.');
    if (this.#busy) throw new EngineError('internal', 'A question is still running in this conversation.');
    this.#busy = true;
    try {
      return await work();
    } finally {
      this.#busy = false;
    }
  }

  /** The policy, the resolutions and the prompt protocol, settled by the first question. */
  #settle(): Setup {
    if (this.#setup) return this.#setup;
    const policy = policyFor(this.options.policy ?? DEFAULT_POLICY);
    const { backend } = this;
    if (policy.gate === 'confidence' && backend.confidenceUnavailable !== null) {
      throw new InvalidRequestError('invalid-option', backend.confidenceUnavailable);
    }
    const { image } = this.options;
    checkImageDimensions(image.width, image.height);
    const plan = planResolutions(
      image.width,
      image.height,
      backend.geometry,
      this.options.maxVisualTokens ?? DEFAULT_MAX_VISUAL_TOKENS,
    );
    // When the budget leaves no room between the passes, the low pass already is the full image:
    // escalating would only show the same picture twice.
    const firstPass: Resolution =
      plan.low.width === plan.full.width && plan.low.height === plan.full.height ? 'full' : policy.firstPass;
    const thread = backend.open({
      policy,
      reuseCache: this.options.reuseCache ?? true,
      prefixCache: this.options.prefixCache ?? true,
      ...(this.options.contextLimit === undefined ? {} : { contextLimit: this.options.contextLimit }),
    });
    this.#setup = { policy, plan, firstPass, thread };
    return this.#setup;
  }

  /** Runs one question, emitting events; `spent` is kept up to date as images start encoding. */
  async #turn(
    request: TurnRequest,
    signal: AbortSignal,
    spent: SpentVisualTokens,
    emit: (event: EngineEvent) => void,
  ): Promise<{ result: RunResult; conversation: ConversationTotals }> {
    throwIfAborted(signal);
    const { question, maxNewTokens, threshold } = validate(request);
    const { policy, plan, firstPass, thread } = this.#settle();
    const before = this.#committed;
    const turn = before.turns + 1;
    emit({
      type: 'plan',
      turn,
      original: { width: this.options.image.width, height: this.options.image.height },
      low: plan.low,
      full: plan.full,
    });
    await checkpoint(signal);

    const work: BackendQuestion = await thread.begin(turn, signal);
    const rounds: RoundUsage[] = [];
    let pending: { input: TurnInput; resolution: Resolution | null } = {
      input: { kind: 'question', question, first: turn === 1 },
      resolution: turn === 1 ? firstPass : null,
    };
    let current: Resolution = turn === 1 ? firstPass : before.reached;
    let escalated = false;
    let lastOutput = '';
    const baseline = turn === 1 ? plan.full.visualTokens : 0;
    const usedNow = (): number => rounds.reduce((sum, r) => sum + r.visualTokens, 0);
    const totals = (): VisualTokenTotals => ({
      used: usedNow(),
      fullResolution: baseline,
      saved: baseline - usedNow(),
    });
    let completed = false;

    try {
      for (let round = 1; round <= MAX_ROUNDS; round++) {
        const pass = pending.resolution ? plan[pending.resolution] : null;
        const roundImage = pass && pending.resolution ? { ...pass, resolution: pending.resolution } : null;
        emit({ type: 'round', round, image: roundImage });

        await checkpoint(signal);
        const image = pass ? await this.options.image.resize(pass.width, pass.height, round) : null;
        await checkpoint(signal);
        let encodeStarted = false;
        const scripted = request.script?.[round - 1];
        const reply = await work.round({
          round,
          turn: pending.input,
          image,
          maxNewTokens,
          ...(scripted === undefined ? {} : { script: scripted }),
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
              phase: phase === 'encode' ? (resolution === 'full' ? 'encode-full' : 'encode-low') : phase,
            });
          },
          onText: (delta) => {
            emit({ type: 'text', round, delta });
          },
        });
        lastOutput = reply.output;
        const call = parseToolCall(reply.output);
        const confidence = call.kind === 'none' ? answerConfidence(reply.tokens) : null;
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
          promptTokens: reply.promptTokens,
          prefilledTokens: reply.prefilledTokens,
          generatedTokens: reply.generatedTokens,
          output: reply.output,
          confidence,
          decision: decision.decision,
          reason: decision.reason,
          ms: reply.ms,
          ...(reply.server === undefined ? {} : { server: reply.server }),
        };
        rounds.push(usage);
        emit({ type: 'usage', usage, totals: totals(), tokens: reply.tokens });
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
          pending = { input: { kind: 'error', errorInfo: decision.detail ?? '' }, resolution: null };
          continue;
        }
        escalated = true;
        current = 'full';
        pending = { input: { kind: 'full-image' }, resolution: 'full' };
      }
      completed = true;
    } finally {
      if (completed) await work.commit();
      else await work.discard();
      if (completed) {
        this.#committed = { turns: turn, reached: current, used: before.used + usedNow() };
      }
    }
    const { used } = this.#committed;

    return {
      result: {
        answer: protocolAnswer(policy, lastOutput),
        escalated,
        policy: policy.id,
        ...(policy.gate === 'confidence' ? { threshold } : {}),
        rounds,
        visualTokens: totals(),
        transcript: work.transcript(),
      },
      conversation: {
        turn,
        visualTokens: { used, fullResolution: plan.full.visualTokens, saved: plan.full.visualTokens - used },
      },
    };
  }
}
