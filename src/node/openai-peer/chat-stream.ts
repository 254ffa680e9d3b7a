/**
 * A streamed chat completion as vLLM sends it: `text/event-stream`, a `data:` event per chunk — the
 * role chunk when the first token is ready, then one chunk per generated token (its text, possibly
 * empty while a character is incomplete, and its log-probability), the last one carrying the finish
 * reason, the usage chunk when asked for, and `data: [DONE]`. An error after the stream has begun
 * is an event with vLLM's error body, then `[DONE]`. The `cut` and `malformed` injections strike
 * here, after their number of token chunks.
 */
import type { ServerResponse } from 'node:http';
import { TextDeltaStream } from '../../engine/text-stream.ts';
import type { VisionModel } from '../../engine/vision-model.ts';
import type { CompletionResult } from './completion-engine.ts';
import type { Injection } from './failure-injection.ts';
import { errorBody } from './peer-error.ts';
import {
  contentChunk,
  logprobEntry,
  roleChunk,
  usageChunk,
  type CompletionIdentity,
  type Usage,
} from './vllm-shapes.ts';

export interface StreamSettings {
  identity: CompletionIdentity;
  /** Null without log-probabilities; else how many most likely tokens each entry lists. */
  topLogprobs: 0 | 1 | null;
  includeUsage: boolean;
  continuousUsage: boolean;
  promptTokens: number;
  /** `cut` or `malformed`, if injected. */
  failure: Injection | null;
  /** Stops the generation when a failure strikes. */
  strike: () => void;
}

/** The token counts alone, as vLLM's continuous usage reports them. */
const counts = (prompt: number, completion: number) => ({
  prompt_tokens: prompt,
  total_tokens: prompt + completion,
  completion_tokens: completion,
});

export class ChatStream {
  readonly #deltas: TextDeltaStream;
  readonly #generated: bigint[] = [];
  /** The latest token: sent once the next one arrives or the generation ends (with the finish reason). */
  #pending: { text: string; probability: number } | null = null;
  #streamed = '';
  #tokenChunks = 0;
  /** A failure struck: nothing more is written. */
  #struck = false;

  constructor(
    private readonly model: VisionModel,
    private readonly response: ServerResponse,
    private readonly settings: StreamSettings,
    headers: Readonly<Record<string, string>>,
  ) {
    this.#deltas = new TextDeltaStream((ids) => model.decode(ids, true));
    response.writeHead(200, { ...headers, 'Content-Type': 'text/event-stream; charset=utf-8' });
    // The headers go out at once, as vLLM's do, not with the first chunk after the prefill.
    response.flushHeaders();
  }

  /** The first token is ready: the role chunk. */
  start(): void {
    const { identity, continuousUsage, promptTokens } = this.settings;
    this.#write(roleChunk(identity, continuousUsage ? (counts(promptTokens, 0) as Usage) : null));
  }

  token(token: bigint, probability: number): void {
    this.#flushPending(null);
    this.#generated.push(token);
    const text = this.#deltas.push(this.#generated);
    this.#streamed += text;
    this.#pending = { text, probability };
  }

  /** The generation ended: the last token's chunk with the finish reason, the usage, `[DONE]`. */
  finish(result: CompletionResult, total: Usage): void {
    // The whole reply can decode to more than the deltas did (a character completed by the last token).
    const whole = this.model.decode(result.generated, true);
    if (this.#pending && whole.length > this.#streamed.length && whole.startsWith(this.#streamed))
      this.#pending.text += whole.slice(this.#streamed.length);
    this.#flushPending(result.finishReason);
    if (this.settings.includeUsage) this.#write(usageChunk(this.settings.identity, total));
    this.#done();
  }

  /** The generation failed after the stream began. */
  fail(message: string): void {
    this.#write(errorBody(500, message, 'InternalServerError'));
    this.#done();
  }

  #flushPending(finishReason: 'stop' | 'length' | null): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = null;
    const { failure, identity, continuousUsage, promptTokens } = this.settings;
    // A reply shorter than `afterTokens` still fails, before its last chunk.
    if (failure && (this.#tokenChunks >= failure.afterTokens || finishReason !== null)) {
      this.#strike(failure);
      return;
    }
    const token = this.model.decode([this.#generated[this.#tokenChunks] ?? 0n], false);
    const { topLogprobs } = this.settings;
    const logprobs = topLogprobs === null ? null : [logprobEntry(token, pending.probability, topLogprobs)];
    this.#tokenChunks += 1;
    const usageSoFar = continuousUsage ? (counts(promptTokens, this.#tokenChunks) as Usage) : null;
    this.#write(contentChunk(identity, pending.text, logprobs, finishReason, usageSoFar));
  }

  #strike(failure: Injection): void {
    if (this.#struck) return;
    this.#struck = true;
    if (failure.failure === 'cut') this.response.destroy();
    else {
      this.response.write('data: {"object": "chat.completion.chunk", "choices": [{"delta": {"content": "\n\n');
      this.response.end();
    }
    this.settings.strike();
  }

  #write(event: object): void {
    if (this.#struck || this.response.destroyed) return;
    this.response.write(`data: ${JSON.stringify(event)}\n\n`);
  }

  #done(): void {
    if (this.#struck || this.response.destroyed) return;
    this.response.end('data: [DONE]\n\n');
  }
}
