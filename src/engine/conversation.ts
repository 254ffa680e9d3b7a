/**
 * A conversation about one image: the VisionThink loop run once per question, on a KV cache that
 * lives from one question to the next. The first question starts from the cached prompt prefix
 * and sees the low-resolution image (round 1); if the model asks for the full image, round 2
 * appends the tool response with the original image and continues on round 1's cache. A
 * follow-up question appends only its own turn: the image stays in context at the resolution the
 * conversation has reached, and the full image is shown at most once per conversation.
 *
 * A question that ends without an answer (Stop, an error) leaves the conversation as it was after
 * its last completed question: each question runs on a cache that starts from the last completed
 * one's tensors (shared, never copied) and is thrown away unless the question completes.
 */
import { AbortedError, ConversationError, EngineError, toEngineError } from './errors.ts';
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
import { streamRound } from './stream-round.ts';
import { parseToolCall, renderErrorTurn } from './protocol.ts';
import { promptProtocol, type PromptProtocol } from './prompt-protocols.ts';
import { answerConfidence } from './confidence.ts';
import { decideRound, type RoundDecision } from './decide-round.ts';
import type { PromptPrefix, Tensor, VisionModel } from './vision-model.ts';
import { DEFAULT_MAX_VISUAL_TOKENS, planResolutions, type ResolutionPlan } from './visual-tokens.ts';
import { bytesPerCachedToken, releaseEntries, type CacheEntries, type SharedCache } from './shared-cache.ts';
import { contextLimit, describeContextFull, type ContextLimit } from './context-budget.ts';
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
   * against.
   */
  reuseCache?: boolean;
  /** Start the first question from the model's cached prompt prefix (default true). */
  prefixCache?: boolean;
  /**
   * The most tokens the conversation may hold (default: the model's context, or less where this
   * device's cache memory budget is smaller; see context-budget.ts).
   */
  contextLimit?: number;
}

/** The state after the last completed question; a question that fails leaves it untouched. */
interface Committed {
  turns: number;
  sequence: bigint[];
  grids: [bigint, bigint, bigint][];
  /** Pixels of every image in context (kept only to re-prefill when the cache is not reused). */
  pixels: Tensor[];
  /** The resolution the model has seen: 'full' once the full image is in context. */
  reached: Resolution;
  /** The cache of `sequence` (empty when the cache is not reused). */
  cache: CacheEntries;
  /** Visual tokens encoded so far. */
  used: number;
}

interface Setup {
  policy: Policy;
  plan: ResolutionPlan;
  protocol: PromptProtocol;
  firstPass: Resolution;
}

export class Conversation {
  #committed: Committed = { turns: 0, sequence: [], grids: [], pixels: [], reached: 'low', cache: {}, used: 0 };
  #setup: Setup | null = null;
  #prefix: PromptPrefix | null = null;
  #busy = false;
  #disposed = false;

  constructor(
    private readonly model: VisionModel,
    private readonly options: ConversationOptions,
  ) {}

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
    if (this.#busy) return; // the running question releases everything when it ends
    this.#release();
    return Promise.resolve();
  }

  #release(): void {
    releaseEntries(this.#committed.cache, this.#prefix?.entries ?? {});
    this.#committed = { ...this.#committed, cache: {}, pixels: [] };
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
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- dispose() may run while the question does
      if (this.#disposed) this.#release();
    }
  }

  /** The policy, the resolutions and the prompt protocol, settled by the first question. */
  #settle(): Setup {
    if (this.#setup) return this.#setup;
    const policy = policyFor(this.options.policy ?? DEFAULT_POLICY);
    const { image } = this.options;
    checkImageDimensions(image.width, image.height);
    const plan = planResolutions(
      image.width,
      image.height,
      this.model.geometry,
      this.options.maxVisualTokens ?? DEFAULT_MAX_VISUAL_TOKENS,
    );
    // When the budget leaves no room between the passes, the low pass already is the full image:
    // escalating would only show the same picture twice.
    const firstPass: Resolution =
      plan.low.width === plan.full.width && plan.low.height === plan.full.height ? 'full' : policy.firstPass;
    this.#setup = { policy, plan, protocol: promptProtocol(policy, this.model), firstPass };
    return this.#setup;
  }

  #limit(cache: CacheEntries): ContextLimit {
    if (this.options.contextLimit !== undefined) return { tokens: this.options.contextLimit, by: 'setting' };
    const bytes = bytesPerCachedToken(cache) ?? this.#prefix?.bytesPerToken ?? null;
    return contextLimit(this.model.contextTokens, this.model.device, bytes);
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
    const { policy, plan, protocol, firstPass } = this.#settle();
    const { model } = this;
    const before = this.#committed;
    const turn = before.turns + 1;
    const reuseCache = this.options.reuseCache ?? true;
    emit({
      type: 'plan',
      turn,
      original: { width: this.options.image.width, height: this.options.image.height },
      low: plan.low,
      full: plan.full,
    });
    await checkpoint(signal);

    // The prompt prefix: computed once per model (during the first question that needs it), then
    // shared by every conversation.
    let prefix: PromptPrefix | null = null;
    let prefixPrefilled = 0;
    let prefixMs = 0;
    if (turn === 1 && this.options.prefixCache !== false) {
      const text = protocol.prefix();
      if (text) {
        prefix = model.cachedPrefix(text);
        if (!prefix) {
          const start = performance.now();
          prefix = await model.promptPrefix(text, signal);
          prefixMs = performance.now() - start;
          prefixPrefilled = prefix.ids.length;
        }
      }
      this.#prefix = prefix;
    }

    const fresh = (): SharedCache => model.newCache(prefix?.entries);
    let cache: SharedCache = reuseCache && turn > 1 ? model.newCache(before.cache) : fresh();
    const rounds: RoundUsage[] = [];
    const grids = [...before.grids];
    const pixels = [...before.pixels];
    let sequence = [...before.sequence];
    let pending: { text: string; resolution: Resolution | null } =
      turn === 1
        ? { text: protocol.firstTurn(question), resolution: firstPass }
        : { text: protocol.followUpTurn(question, before.sequence.at(-1)), resolution: null };
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
        const encoded = await model.encodeTurn(pending.text, image);
        await checkpoint(signal);
        if (encoded.image) {
          grids.push(encoded.image.grid);
          if (!reuseCache) pixels.push(encoded.image.pixelValues);
        }
        sequence = [...sequence, ...encoded.ids];
        // A prefix the first turn does not start with (a template that varies) is not used.
        if (round === 1 && turn === 1 && prefix && !startsWith(sequence, prefix.ids)) {
          prefix = null;
          prefixPrefilled = 0;
          prefixMs = 0;
          this.#prefix = null;
          await cache.dispose();
          cache = fresh();
        }
        if (!reuseCache && round > 1) {
          await cache.dispose();
          cache = fresh();
        }

        const scripted = request.script?.[round - 1];
        const forced = scripted === undefined ? undefined : model.scriptTokens(scripted);
        const room = forced ? forced.length : maxNewTokens;
        const limit = this.#limit(cache.entries());
        if (sequence.length + room > limit.tokens) {
          throw new ConversationError(
            'context-full',
            describeContextFull(limit, sequence.length + room, turn === 1, model.device),
          );
        }

        const cached = cache.get_seq_length();
        let encodeStarted = false;
        const { result, output, tokens } = await streamRound(
          model,
          {
            ids: sequence,
            // Without the cache the whole conversation is re-prefilled, so every image is re-encoded.
            pixelValues: reuseCache ? (encoded.image?.pixelValues ?? null) : model.concatPixels(pixels),
            grids,
            cache,
            maxNewTokens: room,
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
          },
          round,
          emit,
        );
        sequence = result.sequence;
        lastOutput = output;
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
        const fromPrefix = round === 1 ? prefixPrefilled : 0;
        const usage: RoundUsage = {
          round,
          image: roundImage
            ? { width: roundImage.width, height: roundImage.height, resolution: roundImage.resolution }
            : null,
          visualTokens: roundImage?.visualTokens ?? 0,
          promptTokens: sequence.length - result.generated.length,
          // A prefix computed for this round was prefilled in it too.
          prefilledTokens: sequence.length - result.generated.length - cached + fromPrefix,
          generatedTokens: result.generated.length,
          output,
          confidence,
          decision: decision.decision,
          reason: decision.reason,
          ms:
            round === 1 && prefixMs > 0 ? { ...result.ms, prefill: roundMs(result.ms.prefill + prefixMs) } : result.ms,
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
      completed = true;
    } finally {
      // A completed question becomes the conversation's state; any other leaves it as it was.
      const keep = completed && reuseCache && !this.#disposed;
      const entries = keep ? cache.entries() : {};
      const shared = this.#prefix?.entries ?? {};
      if (keep) releaseEntries(before.cache, entries, shared);
      else {
        await cache.dispose();
        // Disposed while it ran: the question before it is not needed any more either.
        if (completed) releaseEntries(before.cache, shared);
      }
      if (completed) {
        const used = before.used + usedNow();
        this.#committed = { turns: turn, sequence, grids, pixels, reached: current, cache: entries, used };
      }
    }
    const { used } = this.#committed;

    return {
      result: {
        answer: protocol.answer(lastOutput),
        escalated,
        policy: policy.id,
        ...(policy.gate === 'confidence' ? { threshold } : {}),
        rounds,
        visualTokens: totals(),
        transcript: model.decode(sequence, false),
      },
      conversation: {
        turn,
        visualTokens: { used, fullResolution: plan.full.visualTokens, saved: plan.full.visualTokens - used },
      },
    };
  }
}

const roundMs = (ms: number): number => Math.round(ms * 100) / 100;

function startsWith(ids: readonly bigint[], prefix: readonly bigint[]): boolean {
  return prefix.length <= ids.length && prefix.every((id, i) => ids[i] === id);
}
