/**
 * Runs one chat completion on the engine: the prompt (ids, images) on a KV cache that starts from
 * the longest prefix the prefix cache can serve, greedy decoding to the end of the turn or the
 * token limit, and the finished request's cache kept for the next. A request that does not finish
 * (its client went away, an error) frees its own cache and leaves the kept ones as they were.
 */
import type { Tensor } from '@huggingface/transformers';
import type { SharedCache } from '../../engine/shared-cache.ts';
import type { VisionModel } from '../../engine/vision-model.ts';
import { cutEntries, PrefixCache, type ImageSlot } from './prefix-cache.ts';
import { SerialQueue } from './serial-queue.ts';

/** A rendered, tokenised prompt and its images. */
export interface EncodedPrompt {
  text: string;
  ids: bigint[];
  images: (ImageSlot & { pixelValues: Tensor; grid: [bigint, bigint, bigint] })[];
}

export interface CompletionJob {
  prompt: EncodedPrompt;
  maxTokens: number;
  signal: AbortSignal;
  /** Called once the prefill is done and decoding starts, with the tokens reused from the cache. */
  onStart?(cachedTokens: number): void;
  /** Called with each token as it is chosen and the probability the model gave it. */
  onToken?(token: bigint, probability: number): void;
}

export interface CompletionResult {
  generated: bigint[];
  probabilities: number[];
  finishReason: 'stop' | 'length';
  /** Prompt tokens served from the prefix cache. */
  cachedTokens: number;
}

/**
 * One queue per loaded model, shared by every peer serving it: a model runs one generation at a
 * time (its wrappers keep the latest step's logits and vision-encoder hooks).
 */
const queues = new WeakMap<VisionModel, SerialQueue>();

export class CompletionEngine {
  readonly #queue: SerialQueue;
  readonly #prefixes: PrefixCache | null;
  /** The token that ends a turn (the model's first end-of-sequence token). */
  readonly #endOfTurn: bigint | undefined;

  constructor(
    private readonly model: VisionModel,
    /** How many finished requests' caches to keep (0: no prefix caching). */
    cacheCapacity: number,
  ) {
    this.#prefixes = cacheCapacity > 0 ? new PrefixCache(cacheCapacity) : null;
    const queue = queues.get(model) ?? new SerialQueue();
    queues.set(model, queue);
    this.#queue = queue;
    this.#endOfTurn = model.scriptTokens('').at(-1);
  }

  /** The caches kept for reuse, most recently used first. */
  get cachedSequences(): PrefixCache['sequences'] {
    return this.#prefixes?.sequences ?? [];
  }

  /** Runs `job` once every request before it has finished. */
  complete(job: CompletionJob): Promise<CompletionResult> {
    return this.#queue.run(() => this.#run(job), job.signal);
  }

  /** Frees the kept caches (vLLM's `/reset_prefix_cache`), after the requests in flight. */
  async resetPrefixCache(): Promise<void> {
    await this.#queue.run(() => Promise.resolve(this.#prefixes?.clear()), new AbortController().signal);
  }

  /** Waits for the requests in flight and frees every kept cache. */
  async close(): Promise<void> {
    await this.#queue.idle();
    this.#prefixes?.clear();
  }

  async #run(job: CompletionJob): Promise<CompletionResult> {
    const { prompt } = job;
    const { model } = this;
    const match = this.#prefixes?.match(prompt.ids, prompt.images) ?? null;
    let cache: SharedCache;
    if (!match) cache = model.newCache();
    else if (match.tokens === match.sequence.ids.length) cache = model.newCache(match.sequence.entries);
    else {
      // The cut copies belong to this request's cache alone, which frees them as it replaces them.
      cache = model.newCache();
      cache.update(cutEntries(match.sequence.entries, match.tokens));
    }
    const cachedTokens = match?.tokens ?? 0;
    const uncached = prompt.images.filter((image) => image.start >= cachedTokens).map((image) => image.pixelValues);
    let started = false;
    let kept = false;
    try {
      const result = await model.generate({
        ids: prompt.ids,
        pixelValues: model.concatPixels(uncached),
        grids: prompt.images.map((image) => image.grid),
        cache,
        maxNewTokens: job.maxTokens,
        signal: job.signal,
        onPhase: () => undefined,
        onToken: (generated, probabilities) => {
          if (!started) job.onStart?.(cachedTokens);
          started = true;
          const last = generated.length - 1;
          job.onToken?.(generated[last] ?? 0n, probabilities[last] ?? Number.NaN);
        },
      });
      const last = result.generated.at(-1);
      const stopped = result.generated.length < job.maxTokens || (last !== undefined && last === this.#endOfTurn);
      kept = this.#keep(result.sequence, prompt, cache);
      return {
        generated: result.generated,
        probabilities: result.probabilities,
        finishReason: stopped ? 'stop' : 'length',
        cachedTokens,
      };
    } finally {
      if (!kept) await cache.dispose();
    }
  }

  /**
   * Keeps the cache of a finished request, which holds the prompt and all of its reply but the
   * last token; false when prefix caching is off.
   */
  #keep(sequence: readonly bigint[], prompt: EncodedPrompt, cache: SharedCache): boolean {
    if (!this.#prefixes) return false;
    const images = prompt.images.map(({ start, end, hash }) => ({ start, end, hash }));
    this.#prefixes.add({ ids: sequence.slice(0, cache.get_seq_length()), images, entries: cache.entries() });
    return true;
  }
}
