/**
 * The server backend: the loop's turns as chat-completion messages to an OpenAI-compatible server
 * (vLLM, llama.cpp's `llama-server`, Ollama; see backend.ts). Each round sends the whole
 * conversation so far, the images as lossless PNG data URLs of exactly the pixels the loop
 * counted; the server's prefix cache (vLLM's automatic prefix caching) makes that cost only the new
 * turn. A conversation is its list of messages: a question's are kept only when it completes.
 */
import type { Backend, BackendQuestion, BackendThread, RoundInput, RoundOutput, ThreadOptions } from '../backend.ts';
import type { TokenProbability } from '../confidence.ts';
import { AbortedError, InvalidRequestError, ServerError } from '../errors.ts';
import { PLAIN_TEMPLATE_OPTIONS } from '../plain-protocol.ts';
import type { Policy } from '../policies.ts';
import type { ImageGeometry } from '../visual-tokens.ts';
import { pngDataUrl } from './image-data-url.ts';
import { listModels, streamChat, type ClientOptions } from './openai-client.ts';
import { displayAddress } from './server-errors.ts';
import { renderChatML, turnMessages } from './server-messages.ts';
import type { ChatStreamEvent, ServerChatMessage, ServerEndpoint, ServerUsage } from './types.ts';

/** What the app knows about a server before it asks anything. */
export interface ServerSettings extends ServerEndpoint {
  /** The server processor's pixel limits per image (Qwen2.5-VL's defaults below). */
  minPixels: number;
  maxPixels: number;
}

/** Qwen2.5-VL's processor defaults, which vLLM uses unless started with other `mm_processor_kwargs`. */
export const QWEN2_5_VL_MIN_PIXELS = 3136;
export const QWEN2_5_VL_MAX_PIXELS = 12_845_056;

/** The image geometry of a Qwen2/2.5-VL processor with the given pixel limits (28-px blocks). */
export function serverGeometry(minPixels: number, maxPixels: number): ImageGeometry {
  return { patchSize: 14, mergeSize: 2, temporalPatchSize: 2, minPixels, maxPixels };
}

export class ServerBackend implements Backend {
  readonly geometry: ImageGeometry;

  private constructor(
    readonly settings: ServerSettings,
    readonly confidenceUnavailable: string | null,
    private readonly client: ClientOptions,
  ) {
    this.geometry = serverGeometry(settings.minPixels, settings.maxPixels);
  }

  /**
   * Checks that the server answers and serves `settings.model`, and whether it returns token
   * log-probabilities (a one-token request asks for them), before any image is sent.
   */
  static async connect(
    settings: ServerSettings,
    signal?: AbortSignal,
    client: ClientOptions = {},
  ): Promise<ServerBackend> {
    checkPixelLimits(settings.minPixels, settings.maxPixels);
    const where = displayAddress(settings.baseUrl);
    const models = await withTimeout(settings, signal, (bounded) => listModels(settings, bounded, client));
    if (!models.includes(settings.model)) {
      const offered =
        models.length > 0
          ? `It serves: ${models.slice(0, 5).join(', ')}${models.length > 5 ? ', …' : ''}.`
          : 'It lists no models.';
      throw new ServerError('server-model', `The server at ${where} does not serve "${settings.model}". ${offered}`);
    }
    const logprobs = await withTimeout(settings, signal, (bounded) => returnsLogprobs(settings, bounded, client));
    const unavailable = logprobs
      ? null
      : `The server at ${where} does not return token probabilities (logprobs), which "Escalate when unsure" needs to judge an answer.`;
    return new ServerBackend(settings, unavailable, client);
  }

  /**
   * A conversation on the server. Its context is the server's to enforce (a request past it
   * fails with `context-full`), so a `contextLimit` of the caller's is not applied here, and the
   * cache options are the local backend's: the server's prefix cache does the reuse.
   */
  open(options: ThreadOptions): BackendThread {
    return new ServerThread(this, options.policy);
  }

  /** Nothing to free here: the server keeps (and evicts) its own cache. */
  async dispose(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Streams one completion of `messages`. Token log-probabilities are asked for whenever the server
   * returns them, under every policy, so a round's confidence is reported as the local backend
   * reports it.
   */
  stream(
    messages: ServerChatMessage[],
    maxTokens: number,
    policy: Policy,
    signal: AbortSignal,
  ): AsyncGenerator<ChatStreamEvent> {
    return streamChat(
      this.settings,
      {
        messages,
        maxTokens,
        logprobs: this.confidenceUnavailable === null,
        ...(policy.prompt === 'plain' ? { extra: { chat_template_kwargs: PLAIN_TEMPLATE_OPTIONS } } : {}),
        signal,
      },
      this.client,
    );
  }
}

/** Rejects pixel limits the processor could not use, with a message for a person. */
function checkPixelLimits(minPixels: number, maxPixels: number): void {
  const block = 28 * 28;
  if (!Number.isInteger(minPixels) || !Number.isInteger(maxPixels) || minPixels < block || maxPixels < minPixels) {
    throw new InvalidRequestError(
      'invalid-option',
      `The server's pixel limits must be whole numbers with ${block} ≤ min ≤ max (got min ${minPixels}, max ${maxPixels}).`,
    );
  }
}

/** How long checking a server may take before the app says it does not answer. */
export const CONNECT_TIMEOUT_MS = 30_000;

/**
 * Runs `work` with a signal that also aborts after {@link CONNECT_TIMEOUT_MS}: a server that
 * accepts the connection and then says nothing is reported, not waited on for ever.
 */
export async function withTimeout<T>(
  server: { baseUrl: string },
  signal: AbortSignal | undefined,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const timeout = AbortSignal.timeout(CONNECT_TIMEOUT_MS);
  const bounded = signal ? AbortSignal.any([signal, timeout]) : timeout;
  try {
    return await work(bounded);
  } catch (error) {
    if (timeout.aborted && !signal?.aborted) {
      throw new ServerError(
        'server-unreachable',
        `The server at ${displayAddress(server.baseUrl)} accepted the connection but did not answer within ${CONNECT_TIMEOUT_MS / 1000} s. It may be busy loading the model or stuck; try again, or check its log.`,
      );
    }
    throw error;
  }
}

/** Whether a one-token completion asked for log-probabilities comes back with them. */
async function returnsLogprobs(
  settings: ServerEndpoint,
  signal: AbortSignal | undefined,
  client: ClientOptions,
): Promise<boolean> {
  try {
    for await (const event of streamChat(
      settings,
      { messages: [{ role: 'user', content: 'Hi' }], maxTokens: 1, logprobs: true, ...(signal ? { signal } : {}) },
      client,
    )) {
      if (event.type === 'text' && event.tokens && event.tokens.length > 0) return true;
    }
    return false;
  } catch (error) {
    if (!(error instanceof ServerError && error.code === 'server-error')) throw error;
    // Refused: if the same request without the option is answered, the option is what it refused;
    // otherwise the server is failing, and that is what the person needs to hear.
    for await (const event of streamChat(
      settings,
      { messages: [{ role: 'user', content: 'Hi' }], maxTokens: 1, logprobs: false, ...(signal ? { signal } : {}) },
      client,
    )) {
      if (event.type === 'finish') return false;
    }
    return false;
  }
}

class ServerThread implements BackendThread {
  committed: ServerChatMessage[] = [];
  constructor(
    readonly backend: ServerBackend,
    readonly policy: Policy,
  ) {}

  async begin(): Promise<BackendQuestion> {
    return Promise.resolve(new ServerQuestion(this));
  }

  async dispose(): Promise<void> {
    this.committed = [];
    return Promise.resolve();
  }
}

class ServerQuestion implements BackendQuestion {
  #messages: ServerChatMessage[];
  constructor(private readonly thread: ServerThread) {
    this.#messages = [...thread.committed];
  }

  async round(input: RoundInput): Promise<RoundOutput> {
    if (input.script !== undefined) {
      throw new InvalidRequestError('invalid-option', 'Scripted rounds run on the local backend only.');
    }
    const { backend, policy } = this.thread;
    const { signal } = input;
    if (input.image) input.onPhase('encode');
    const url = input.image ? pngDataUrl(input.image) : null;
    const messages = [...this.#messages, ...turnMessages(policy, input.turn, url)];
    input.onPhase('prefill');
    const start = performance.now();
    let firstAt: number | null = null;
    let output = '';
    const tokens: TokenProbability[] = [];
    let usage: ServerUsage | null = null;
    try {
      for await (const event of backend.stream(messages, input.maxNewTokens, policy, signal)) {
        if (event.type === 'text') {
          if (firstAt === null) {
            firstAt = performance.now();
            input.onPhase('decode');
          }
          output += event.text;
          if (event.text) input.onText(event.text);
          if (event.tokens)
            for (const token of event.tokens) tokens.push({ text: token.text, p: Math.exp(token.logprob) });
          else tokens.push({ text: event.text, p: Number.NaN });
        } else if (event.type === 'usage') usage = event.usage;
      }
    } catch (error) {
      if (signal.aborted) throw new AbortedError();
      throw error;
    }
    const end = performance.now();
    this.#messages = [...messages, { role: 'assistant', content: output }];
    const promptTokens = usage?.promptTokens ?? 0;
    return {
      output,
      tokens,
      promptTokens,
      prefilledTokens: promptTokens - (usage?.cachedTokens ?? 0),
      generatedTokens: usage?.completionTokens ?? tokens.length,
      // The server does not say how long encoding and prefill took: both are the wait for the first token.
      ms: { encode: 0, prefill: roundMs((firstAt ?? end) - start), decode: roundMs(end - (firstAt ?? end)) },
      server: usage,
    };
  }

  async commit(): Promise<void> {
    this.thread.committed = this.#messages;
    return Promise.resolve();
  }

  async discard(): Promise<void> {
    return Promise.resolve();
  }

  transcript(): string {
    return renderChatML(this.#messages, false);
  }
}

const roundMs = (ms: number): number => Math.round(ms * 100) / 100;
