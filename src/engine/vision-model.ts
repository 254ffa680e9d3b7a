/**
 * A loaded Qwen-VL-family model and the two operations the VisionThink loop needs from it:
 * tokenising a turn (with or without an image) and generating one round on a KV cache.
 * With kv-continuation.ts, chunked-prefill.ts, shared-cache.ts and model-loading.ts, the only
 * code that talks to transformers.js.
 */
import {
  AutoModelForImageTextToText,
  AutoProcessor,
  InterruptableStoppingCriteria,
  RawImage,
  Tensor,
  cat,
  env,
  type PreTrainedModel,
  type Processor,
} from '@huggingface/transformers';
import { AbortedError, DOWNLOAD_CANCELLED, ModelLoadError, toEngineError } from './errors.ts';
import type { PixelImage } from './image.ts';
import { installKvContinuation } from './kv-continuation.ts';
import { geometryFromPreprocessorConfig, type ImageGeometry } from './visual-tokens.ts';
import { FileSizes, type ProgressEvent } from './file-sizes.ts';
import { prefillInChunks, sequenceInputs } from './chunked-prefill.ts';
import { abortFetchesOn, applyProcessorDefaults, describeLoadError } from './model-loading.ts';
import { planPrefillChunks } from './prefill-chunks.ts';
import { forceTokens, tokenProbability } from './logits.ts';
import { yieldToEventLoop } from './yield.ts';
import { bytesPerCachedToken, SharedCache, type CacheEntries } from './shared-cache.ts';
import type { CacheDevice } from './context-budget.ts';

installKvContinuation(env.version);

export type { Tensor };

/** Progress of one file while a model loads (bytes). */
export interface LoadProgress {
  file: string;
  loaded: number;
  total: number;
}

export interface LoadOptions {
  /** ONNX Runtime device: 'cpu' in Node, 'webgpu' or 'wasm' in the browser. */
  device?: 'cpu' | 'webgpu' | 'wasm';
  /** Precision per session or for all, as transformers.js names them (fp32, fp16, q8, q4, q4f16). */
  dtype?: string | Record<string, string>;
  /** Never reach the network (a local folder or a cached model). */
  localFilesOnly?: boolean;
  /** Hub revision (branch, tag or commit); 'main' when absent. */
  revision?: string;
  /** External data chunks per ONNX file name (see model-registry.ts). */
  externalData?: Readonly<Record<string, number>>;
  onProgress?: (progress: LoadProgress) => void;
  /**
   * The sizes in bytes of the model's files, as far as they are known before each file arrives
   * (called again whenever more become known; see `FileSizes`).
   */
  onSizes?: (sizes: Readonly<Record<string, number>>) => void;
  /** A Jinja chat template to use instead of the model's own (see model-registry.ts). */
  chatTemplate?: string;
  /**
   * Cancels the load: downloads in flight are aborted, and a model whose sessions were created
   * meanwhile is freed. The load then rejects with an `AbortedError`.
   */
  signal?: AbortSignal;
}

/** A tokenised turn: its ids and, when it shows an image, the processor's image inputs. */
export interface EncodedTurn {
  ids: bigint[];
  image: { pixelValues: Tensor; grid: [bigint, bigint, bigint] } | null;
}

export interface GenerateRequest {
  /** The whole conversation so far, ending with the new turn. */
  ids: bigint[];
  /** Pixels of the images in the new turn only (null when it has none). */
  pixelValues: Tensor | null;
  /** Grids of every image in the conversation, in order. */
  grids: [bigint, bigint, bigint][];
  /** Cache of the tokens already processed; updated in place. Empty for a first round. */
  cache: SharedCache;
  maxNewTokens: number;
  signal: AbortSignal | undefined;
  /** Called as the round moves on: the vision encoder starts, the decoder prefill starts. */
  onPhase(phase: 'encode' | 'prefill'): void;
  /**
   * Called on every generated token with all tokens generated so far and, for each, the
   * probability the model gave it (the softmax of its logits at that step, before any logits
   * processor).
   */
  onToken(generated: bigint[], probabilities: number[]): void;
  /**
   * Tokens to emit instead of the model's choice, one per decoding step (see `scriptTokens`).
   * Every step still runs the decoder, so the cost is the model's; only the choice is forced.
   */
  forced?: readonly bigint[];
}

export interface GenerateResult {
  /** The conversation including the generated tokens. */
  sequence: bigint[];
  generated: bigint[];
  /** The probability the model gave each generated token (see `GenerateRequest.onToken`). */
  probabilities: number[];
  ms: { encode: number; prefill: number; decode: number };
}

interface InferenceSessionLike {
  run(...args: unknown[]): Promise<unknown>;
}

interface Qwen2VLModel extends PreTrainedModel {
  encode_image(inputs: { pixel_values: Tensor; image_grid_thw: Tensor }): Promise<Tensor>;
  forward(inputs: object): Promise<{ logits?: Tensor }>;
  sessions: Record<string, InferenceSessionLike>;
}

/** Prefills longer than this many tokens run in chunks, so Stop is checked between them. */
export const PREFILL_CHUNK_TOKENS = 256;

/** Context of a model whose configuration does not say (Qwen2-VL's). */
const DEFAULT_CONTEXT_TOKENS = 32768;

/**
 * The cache of a prompt prefix (system prompt, tools, instructions), computed once per loaded
 * model and shared by every conversation that starts with it: its tensors are only ever read.
 */
export interface PromptPrefix {
  ids: readonly bigint[];
  entries: CacheEntries;
  /** Bytes its attention cache takes per token (see shared-cache.ts). */
  bytesPerToken: number | null;
}

export class VisionModel {
  /**
   * How long a stretch of tokens one prefill step takes (see prefill-chunks.ts); a longer prefill
   * runs in chunks. Infinity runs every prefill whole.
   */
  prefillChunkTokens = PREFILL_CHUNK_TOKENS;
  /** The model's image token, which marks where images lie in a sequence; null when it has none. */
  private readonly imageToken: bigint | null;
  /**
   * What the wrappers around the library's model share with the round that runs: hooks around
   * the vision encoder, its time, and the logits of the latest decoder step (read when that
   * step's token is chosen). One object, written through and never replaced, so the wrappers and
   * `generate` always see the same state.
   */
  private readonly step: {
    encodeHook: { before(): Promise<void>; after(): Promise<void> } | null;
    encodeMs: number;
    logits: Tensor | null;
  } = { encodeHook: null, encodeMs: 0, logits: null };
  /** Prompt prefixes computed so far, by their text; disposed with the model. */
  private readonly prefixes = new Map<string, PromptPrefix>();
  /** The most tokens the model's position embeddings cover. */
  readonly contextTokens: number;

  private constructor(
    /** What was loaded: a folder or a hub repository id. */
    readonly source: string,
    private readonly model: Qwen2VLModel,
    private readonly processor: Processor,
    readonly geometry: ImageGeometry,
    private readonly chatTemplate: string | null,
    /** Where it runs, for the memory a conversation may take (see context-budget.ts). */
    readonly device: CacheDevice,
  ) {
    const config = model.config as {
      max_position_embeddings?: unknown;
      text_config?: { max_position_embeddings?: unknown };
    };
    const context = config.max_position_embeddings ?? config.text_config?.max_position_embeddings;
    this.contextTokens = typeof context === 'number' && context > 0 ? context : DEFAULT_CONTEXT_TOKENS;
    const imageToken = (model.config as { image_token_id?: unknown }).image_token_id;
    this.imageToken = typeof imageToken === 'number' ? BigInt(imageToken) : null;
    // Time the vision encoder separately from the decoder prefill it runs inside.
    const encode = model.encode_image.bind(model);
    model.encode_image = async (inputs) => {
      await this.step.encodeHook?.before();
      const start = performance.now();
      const features = await encode(inputs);
      this.step.encodeMs += performance.now() - start;
      await this.step.encodeHook?.after();
      return features;
    };
    // The logits are computed at every step anyway; keeping the latest lets the probability of
    // the chosen token be read without running anything twice.
    const forward = model.forward.bind(model);
    model.forward = async (inputs) => {
      const outputs = await forward(inputs);
      this.step.logits = outputs.logits ?? null;
      return outputs;
    };
    // Every session run (vision encoder, embedding, each decoding step) first lets the event loop
    // deliver what is waiting, such as a Stop (see yield.ts): without this, a WASM generation
    // never gives a worker's message handler a turn until it is over.
    for (const session of Object.values(model.sessions)) {
      const run = session.run.bind(session);
      session.run = async (...args) => {
        await yieldToEventLoop();
        return run(...args);
      };
    }
  }

  /** Loads a model folder or hub repository; failures become `ModelLoadError`s. */
  static async load(source: string, options: LoadOptions = {}): Promise<VisionModel> {
    const sizes = new FileSizes();
    const progress_callback =
      options.onProgress || options.onSizes
        ? (event: ProgressEvent) => {
            if (event.status === 'progress' && event.file) {
              options.onProgress?.({ file: event.file, loaded: event.loaded ?? 0, total: event.total ?? 0 });
            } else if (event.status === 'progress_total' && event.files && sizes.learn(event.files)) {
              options.onSizes?.(sizes.known());
            }
          }
        : undefined;
    const common = {
      local_files_only: options.localFilesOnly ?? false,
      ...(options.revision ? { revision: options.revision } : {}),
      ...(progress_callback ? { progress_callback } : {}),
    };
    const { signal } = options;
    const cancelled = (): AbortedError => new AbortedError(DOWNLOAD_CANCELLED);
    if (signal?.aborted) throw cancelled();
    const restoreFetch = signal ? abortFetchesOn(signal) : () => undefined;
    try {
      // The small processor files first: a bad configuration fails before any weights download.
      const processor = await AutoProcessor.from_pretrained(source, common);
      if (signal?.aborted) throw cancelled();
      const geometry = geometryFromPreprocessorConfig(processor.image_processor?.config);
      applyProcessorDefaults(processor);
      const model = (await AutoModelForImageTextToText.from_pretrained(source, {
        ...common,
        ...(options.device ? { device: options.device } : {}),
        ...(options.dtype ? { dtype: options.dtype as 'fp32' } : {}),
        ...(options.externalData ? { use_external_data_format: { ...options.externalData } } : {}),
      })) as Qwen2VLModel;
      if (signal?.aborted) {
        await model.dispose();
        throw cancelled();
      }
      return new VisionModel(source, model, processor, geometry, options.chatTemplate ?? null, options.device ?? 'cpu');
    } catch (error) {
      throw signal?.aborted ? cancelled() : describeLoadError(source, error);
    } finally {
      restoreFetch();
    }
  }

  private get tokenizer(): NonNullable<Processor['tokenizer']> {
    const { tokenizer } = this.processor;
    if (!tokenizer) throw new ModelLoadError('model-invalid', `The model "${this.source}" has no tokenizer.`);
    return tokenizer;
  }

  /** Tokenises `text` (an already rendered turn), expanding its image placeholder for `image`. */
  async encodeTurn(text: string, image: PixelImage | null): Promise<EncodedTurn> {
    if (!image) {
      const { input_ids } = this.tokenizer(text) as { input_ids: Tensor };
      return { ids: Array.from(input_ids.data as BigInt64Array), image: null };
    }
    const raw = new RawImage(image.data, image.width, image.height, image.channels);
    const inputs = (await this.processor(text, [raw])) as {
      input_ids: Tensor;
      pixel_values: Tensor;
      image_grid_thw: Tensor;
    };
    const [t = 0n, h = 0n, w = 0n] = Array.from(inputs.image_grid_thw.data as BigInt64Array);
    return {
      ids: Array.from(inputs.input_ids.data as BigInt64Array),
      image: { pixelValues: inputs.pixel_values, grid: [t, h, w] },
    };
  }

  /**
   * Messages as the text of a turn, with the generation prompt. `protocol` (the default) uses
   * the template the VisionThink protocol is defined with where the registry names one (see
   * model-registry.ts); `own` always the model's own template. `options` are passed to the
   * template as variables (e.g. `enable_thinking`).
   */
  renderChat(
    messages: ChatMessage[],
    template: 'protocol' | 'own' = 'protocol',
    options: Readonly<Record<string, unknown>> = {},
  ): string {
    const text: unknown = this.tokenizer.apply_chat_template(messages, {
      ...options,
      tokenize: false,
      add_generation_prompt: true,
      ...(this.chatTemplate === null || template === 'own' ? {} : { chat_template: this.chatTemplate }),
    });
    if (typeof text !== 'string')
      throw new ModelLoadError('model-invalid', `The chat template of "${this.source}" did not produce text.`);
    return text;
  }

  /** `text` as the tokens a model would decode to say it, ending its turn. */
  scriptTokens(text: string): bigint[] {
    const { input_ids } = this.tokenizer(text, { add_special_tokens: false }) as { input_ids: Tensor };
    const end = this.endOfTurnTokens()[0];
    if (end === undefined)
      throw new ModelLoadError('model-invalid', `The model "${this.source}" has no end-of-turn token.`);
    return [...Array.from(input_ids.data as BigInt64Array), end];
  }

  private endOfTurnTokens(): bigint[] {
    const eos = (this.model.generation_config as { eos_token_id?: number | number[] } | null)?.eos_token_id;
    return (Array.isArray(eos) ? eos : eos === undefined ? [] : [eos]).map((id) => BigInt(id));
  }

  decode(ids: bigint[], skipSpecialTokens: boolean): string {
    if (ids.length === 0) return '';
    return this.tokenizer.decode(ids, { skip_special_tokens: skipSpecialTokens });
  }

  /** Runs one round: prefill of the tokens the cache does not hold yet, then greedy decoding. */
  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const { ids, cache, signal } = request;
    if (signal?.aborted) throw new AbortedError();
    const stop = new InterruptableStoppingCriteria();
    const onAbort = (): void => {
      stop.interrupt();
    };
    signal?.addEventListener('abort', onAbort);

    const start = performance.now();
    let firstToken = 0;
    const generated: bigint[] = [];
    const probabilities: number[] = [];
    let promptSeen = false;
    const streamer = {
      put: (value: bigint[][]) => {
        // The first call carries the prompt; every later one a new token.
        if (!promptSeen) {
          promptSeen = true;
          return;
        }
        if (firstToken === 0) firstToken = performance.now();
        const token = value[0]?.[0] as bigint;
        generated.push(token);
        probabilities.push(this.step.logits ? tokenProbability(this.step.logits, token) : Number.NaN);
        request.onToken(generated, probabilities);
      },
      end: () => undefined,
    };
    this.step.encodeMs = 0;
    const checkAbort = (): void => {
      if (signal?.aborted) throw new AbortedError();
    };
    this.step.encodeHook = {
      before: async () => {
        await yieldToEventLoop();
        checkAbort();
        request.onPhase('encode');
      },
      // The last point before the prefill where a Stop can still spare the decoder its work.
      after: async () => {
        await yieldToEventLoop();
        checkAbort();
        request.onPhase('prefill');
      },
    };
    const plan =
      this.imageToken === null
        ? null
        : planPrefillChunks(
            ids,
            cache.get_seq_length(),
            this.imageToken,
            request.grids.length,
            this.prefillChunkTokens,
          );
    if (!request.pixelValues || (plan?.chunks[0]?.encodes.length ?? 1) === 0) request.onPhase('prefill');
    try {
      const pixelValues = plan ? await prefillInChunks(this.model, request, plan, checkAbort) : request.pixelValues;
      const output = (await this.model.generate({
        ...sequenceInputs(ids, request.grids),
        ...(pixelValues ? { pixel_values: pixelValues } : {}),
        past_key_values: cache,
        max_new_tokens: request.maxNewTokens,
        do_sample: false,
        stopping_criteria: [stop],
        ...(request.forced ? { logits_processor: [forceTokens(request.forced)] } : {}),
        streamer,
        return_dict_in_generate: true,
      } as never)) as { sequences: Tensor };
      if (signal?.aborted) throw new AbortedError();
      const end = performance.now();
      const encode = this.step.encodeMs;
      const prefillEnd = firstToken || end;
      return {
        sequence: Array.from(output.sequences.data as BigInt64Array),
        generated,
        probabilities,
        ms: {
          encode: roundMs(encode),
          prefill: roundMs(Math.max(0, prefillEnd - start - encode)),
          decode: roundMs(end - prefillEnd),
        },
      };
    } catch (error) {
      throw signal?.aborted ? new AbortedError() : toEngineError(error);
    } finally {
      this.step.encodeHook = null;
      this.step.logits = null;
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The pixels of several images as one vision-encoder input (null for none). */
  concatPixels(images: Tensor[]): Tensor | null {
    if (images.length <= 1) return images[0] ?? null;
    return cat(images, 0);
  }

  /** A cache holding `from` (empty when absent); the tensors it starts from are never disposed by it. */
  newCache(from?: CacheEntries): SharedCache {
    return new SharedCache(from);
  }

  /** The ids of `text` (an already rendered stretch without images). */
  encodeText(text: string): bigint[] {
    const { input_ids } = this.tokenizer(text) as { input_ids: Tensor };
    return Array.from(input_ids.data as BigInt64Array);
  }

  /** The prefix of `text` if it was computed before, without computing it. */
  cachedPrefix(text: string): PromptPrefix | null {
    return this.prefixes.get(text) ?? null;
  }

  /**
   * The cache of the prompt prefix `text`, computed on first use (in chunks, with a check for
   * Stop after each) and kept until the model is disposed.
   */
  async promptPrefix(text: string, signal?: AbortSignal): Promise<PromptPrefix> {
    const known = this.prefixes.get(text);
    if (known) return known;
    const ids = this.encodeText(text);
    const cache = new SharedCache();
    try {
      for (let end = 0; end < ids.length;) {
        end = Math.min(
          ids.length,
          end + (Number.isFinite(this.prefillChunkTokens) ? this.prefillChunkTokens : ids.length),
        );
        // One sampled token that never enters the cache, as in chunked-prefill.ts.
        await this.model.generate({
          ...sequenceInputs(ids.slice(0, end), []),
          past_key_values: cache,
          max_new_tokens: 1,
          do_sample: false,
        } as never);
        await yieldToEventLoop();
        if (signal?.aborted) throw new AbortedError();
      }
    } catch (error) {
      await cache.dispose();
      throw signal?.aborted ? new AbortedError() : toEngineError(error);
    }
    const entries = cache.entries();
    const prefix: PromptPrefix = { ids, entries, bytesPerToken: bytesPerCachedToken(entries) };
    this.prefixes.set(text, prefix);
    return prefix;
  }

  /** Frees the prompt prefixes' caches and the ONNX sessions (GPU memory on WebGPU). */
  async dispose(): Promise<void> {
    for (const prefix of this.prefixes.values()) for (const tensor of Object.values(prefix.entries)) tensor.dispose();
    this.prefixes.clear();
    await this.model.dispose();
  }

  /**
   * A whole conversation as a model server receives it: `messages` rendered by the model's own
   * chat template, then tokenised with `images` in the order of the template's image slots. Each
   * image goes through the image processor on its own, as Hugging Face's processors take several
   * images (transformers.js's would read two images as the frames of one video), and its
   * placeholder is expanded to its visual tokens exactly as `encodeTurn` expands one image's.
   * Each image comes back with its pixels, its grid and where its tokens lie in `ids`.
   */
  async encodeChat(
    messages: ChatMessage[],
    images: readonly PixelImage[],
    options: { addGenerationPrompt: boolean; templateKwargs: Readonly<Record<string, unknown>> },
  ): Promise<{
    text: string;
    ids: bigint[];
    images: { pixelValues: Tensor; grid: [bigint, bigint, bigint]; start: number; end: number }[];
  }> {
    const text: unknown = this.tokenizer.apply_chat_template(messages, {
      ...options.templateKwargs,
      tokenize: false,
      add_generation_prompt: options.addGenerationPrompt,
    });
    if (typeof text !== 'string')
      throw new ModelLoadError('model-invalid', `The chat template of "${this.source}" did not produce text.`);
    const imageToken = (this.processor.constructor as { image_token?: string }).image_token ?? '<|image_pad|>';
    const slots = text.split(imageToken).length - 1;
    const imageProcessor = this.processor.image_processor;
    if (slots !== images.length || (images.length > 0 && (!imageProcessor || this.imageToken === null))) {
      throw new ModelLoadError(
        'model-invalid',
        `The chat template of "${this.source}" placed ${slots} image${slots === 1 ? '' : 's'} for the ${images.length} in the messages.`,
      );
    }
    const merge = Number((imageProcessor?.config as { merge_size?: unknown } | undefined)?.merge_size ?? 2);
    const processed: { pixelValues: Tensor; grid: [bigint, bigint, bigint] }[] = [];
    for (const image of images) {
      const raw = new RawImage(image.data, image.width, image.height, image.channels);
      const inputs = (await imageProcessor?.(raw)) as { pixel_values: Tensor; image_grid_thw: Tensor };
      const [t = 0n, h = 0n, w = 0n] = Array.from(inputs.image_grid_thw.data as BigInt64Array);
      processed.push({ pixelValues: inputs.pixel_values, grid: [t, h, w] });
    }
    let index = 0;
    const expanded = text.replaceAll(imageToken, () => {
      const [t = 0n, h = 0n, w = 0n] = processed[index++]?.grid ?? [];
      return imageToken.repeat(Number(t * h * w) / merge ** 2);
    });
    const ids = this.encodeText(expanded);
    // Each image's run of image tokens, in order (the runs are separated by its vision markers).
    const spans: { start: number; end: number }[] = [];
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] !== this.imageToken) continue;
      const start = i;
      while (ids[i] === this.imageToken) i++;
      spans.push({ start, end: i });
    }
    return {
      text,
      ids,
      images: processed.map((image, i) => ({ ...image, start: spans[i]?.start ?? -1, end: spans[i]?.end ?? -1 })),
    };
  }
}

const roundMs = (ms: number): number => Math.round(ms * 100) / 100;

/** A chat message: text, or content parts (an image part where the template puts one). */
export interface ChatMessage {
  role: string;
  content: string | ({ type: 'image' } | { type: 'text'; text: string })[];
}
