/**
 * The local backend: the loop's turns as text on a transformers.js model's KV cache (see
 * backend.ts). A conversation's cache lives from one question to the next; each question runs on
 * a cache that starts from the last completed question's tensors (shared, never copied) and is
 * kept only if the question completes, so a stopped question leaves the conversation as it was.
 * The first question starts from the prompt prefix's cache, computed once per model.
 */
import type { Backend, BackendQuestion, BackendThread, RoundInput, RoundOutput, ThreadOptions } from './backend.ts';
import { ConversationError } from './errors.ts';
import { contextLimit, describeContextFull, type ContextLimit } from './context-budget.ts';
import { promptProtocol, type PromptProtocol } from './prompt-protocols.ts';
import { renderErrorTurn } from './protocol.ts';
import { bytesPerCachedToken, releaseEntries, type CacheEntries, type SharedCache } from './shared-cache.ts';
import { streamRound } from './stream-round.ts';
import { checkpoint } from './turn-request.ts';
import type { PromptPrefix, Tensor, VisionModel } from './vision-model.ts';
import type { ImageGeometry } from './visual-tokens.ts';

export class LocalBackend implements Backend {
  readonly confidenceUnavailable = null;
  constructor(readonly model: VisionModel) {}

  get geometry(): ImageGeometry {
    return this.model.geometry;
  }

  open(options: ThreadOptions): BackendThread {
    return new LocalThread(this.model, options, promptProtocol(options.policy, this.model));
  }
}

/** The conversation after its last completed question. */
interface Committed {
  sequence: bigint[];
  grids: [bigint, bigint, bigint][];
  /** Pixels of every image in context (kept only to re-prefill when the cache is not reused). */
  pixels: Tensor[];
  /** The cache of `sequence` (empty when the cache is not reused). */
  cache: CacheEntries;
}

class LocalThread implements BackendThread {
  committed: Committed = { sequence: [], grids: [], pixels: [], cache: {} };
  prefix: PromptPrefix | null = null;
  running = false;
  disposed = false;

  constructor(
    readonly model: VisionModel,
    readonly options: ThreadOptions,
    readonly protocol: PromptProtocol,
  ) {}

  async begin(turn: number, signal: AbortSignal): Promise<BackendQuestion> {
    // The prompt prefix: computed once per model (during the first question that needs it), then
    // shared by every conversation.
    let computed: { tokens: number; ms: number } | null = null;
    if (turn === 1 && this.options.prefixCache) {
      const text = this.protocol.prefix();
      let prefix = text ? this.model.cachedPrefix(text) : null;
      if (text && !prefix) {
        const start = performance.now();
        prefix = await this.model.promptPrefix(text, signal);
        computed = { tokens: prefix.ids.length, ms: performance.now() - start };
      }
      this.prefix = prefix;
    }
    this.running = true;
    return new LocalQuestion(this, turn, computed);
  }

  limit(cache: CacheEntries): ContextLimit {
    if (this.options.contextLimit !== undefined) return { tokens: this.options.contextLimit, by: 'setting' };
    const bytes = bytesPerCachedToken(cache) ?? this.prefix?.bytesPerToken ?? null;
    return contextLimit(this.model.contextTokens, this.model.device, bytes);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.running) return; // the running question releases everything when it ends
    this.release();
    return Promise.resolve();
  }

  release(): void {
    releaseEntries(this.committed.cache, this.prefix?.entries ?? {});
    this.committed = { ...this.committed, cache: {}, pixels: [] };
  }
}

class LocalQuestion implements BackendQuestion {
  readonly #thread: LocalThread;
  readonly #turn: number;
  readonly #before: Committed;
  #cache: SharedCache;
  #sequence: bigint[];
  readonly #grids: [bigint, bigint, bigint][];
  readonly #pixels: Tensor[];
  /** The prompt prefix the first question starts from (null for a follow-up). */
  #prefix: PromptPrefix | null;
  /** The prompt prefix computed for this question: its tokens and time count in round 1. */
  #computed: { tokens: number; ms: number } | null;
  #ended = false;

  constructor(thread: LocalThread, turn: number, computed: { tokens: number; ms: number } | null) {
    this.#thread = thread;
    this.#turn = turn;
    this.#computed = computed;
    this.#prefix = turn === 1 ? thread.prefix : null;
    this.#before = thread.committed;
    this.#sequence = [...this.#before.sequence];
    this.#grids = [...this.#before.grids];
    this.#pixels = [...this.#before.pixels];
    this.#cache = thread.model.newCache(this.#reuse && turn > 1 ? this.#before.cache : this.#prefix?.entries);
  }

  get #reuse(): boolean {
    return this.#thread.options.reuseCache;
  }

  #text(input: RoundInput): string {
    const { protocol } = this.#thread;
    const { turn } = input;
    switch (turn.kind) {
      case 'question':
        return turn.first
          ? protocol.firstTurn(turn.question)
          : protocol.followUpTurn(turn.question, this.#sequence.at(-1));
      case 'full-image':
        return protocol.fullImageTurn(this.#sequence.at(-1));
      case 'error':
        return renderErrorTurn(turn.errorInfo);
    }
  }

  async round(input: RoundInput): Promise<RoundOutput> {
    const { model } = this.#thread;
    const { signal, round } = input;
    const encoded = await model.encodeTurn(this.#text(input), input.image);
    await checkpoint(signal);
    if (encoded.image) {
      this.#grids.push(encoded.image.grid);
      if (!this.#reuse) this.#pixels.push(encoded.image.pixelValues);
    }
    this.#sequence = [...this.#sequence, ...encoded.ids];
    const prefix = this.#prefix;
    // A prefix the first turn does not start with (a template that varies) is not used.
    if (round === 1 && prefix && !startsWith(this.#sequence, prefix.ids)) {
      this.#computed = null;
      this.#prefix = null;
      this.#thread.prefix = null;
      await this.#cache.dispose();
      this.#cache = model.newCache();
    }
    if (!this.#reuse && round > 1) {
      await this.#cache.dispose();
      this.#cache = model.newCache(this.#prefix?.entries);
    }

    const forced = input.script === undefined ? undefined : model.scriptTokens(input.script);
    const room = forced ? forced.length : input.maxNewTokens;
    const limit = this.#thread.limit(this.#cache.entries());
    if (this.#sequence.length + room > limit.tokens) {
      throw new ConversationError(
        'context-full',
        describeContextFull(limit, this.#sequence.length + room, this.#turn === 1, model.device),
      );
    }

    const cached = this.#cache.get_seq_length();
    const { result, output, tokens } = await streamRound(model, {
      ids: this.#sequence,
      // Without the cache the whole conversation is re-prefilled, so every image is re-encoded.
      pixelValues: this.#reuse ? (encoded.image?.pixelValues ?? null) : model.concatPixels(this.#pixels),
      grids: this.#grids,
      cache: this.#cache,
      maxNewTokens: room,
      ...(forced ? { forced } : {}),
      signal,
      onPhase: input.onPhase,
      onText: input.onText,
    });
    this.#sequence = result.sequence;
    // A prefix computed for this question was prefilled in its first round too.
    const fromPrefix = round === 1 ? this.#computed : null;
    const promptTokens = result.sequence.length - result.generated.length;
    return {
      output,
      tokens,
      promptTokens,
      prefilledTokens: promptTokens - cached + (fromPrefix?.tokens ?? 0),
      generatedTokens: result.generated.length,
      ms:
        fromPrefix && fromPrefix.ms > 0
          ? { ...result.ms, prefill: roundMs(result.ms.prefill + fromPrefix.ms) }
          : result.ms,
    };
  }

  async commit(): Promise<void> {
    await this.#end(true);
  }

  async discard(): Promise<void> {
    await this.#end(false);
  }

  /** A completed question becomes the conversation's state; any other leaves it as it was. */
  async #end(completed: boolean): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    const thread = this.#thread;
    thread.running = false;
    const keep = completed && this.#reuse && !thread.disposed;
    const entries = keep ? this.#cache.entries() : {};
    // The model's prompt prefix is shared by every conversation: never released here.
    const shared = thread.prefix?.entries ?? {};
    if (keep) releaseEntries(this.#before.cache, entries, shared);
    else {
      await this.#cache.dispose();
      // Disposed while it ran: the question before it is not needed any more either.
      if (completed) releaseEntries(this.#before.cache, shared);
    }
    if (completed) {
      thread.committed = { sequence: this.#sequence, grids: this.#grids, pixels: this.#pixels, cache: entries };
    }
    if (thread.disposed) thread.release();
  }

  transcript(): string {
    return this.#thread.model.decode(this.#sequence, false);
  }
}

const roundMs = (ms: number): number => Math.round(ms * 100) / 100;

function startsWith(ids: readonly bigint[], prefix: readonly bigint[]): boolean {
  return prefix.length <= ids.length && prefix.every((id, i) => ids[i] === id);
}
