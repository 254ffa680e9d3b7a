/**
 * `POST /v1/chat/completions` after the HTTP layers: vLLM's order of checks (the body, the model
 * name, rendering, the context length), then the completion on the engine, streamed or whole.
 * Errors before the answer begins are JSON error responses; the stream reports its own.
 */
import type { ServerResponse } from 'node:http';
import { AbortedError, EngineError } from '../../engine/errors.ts';
import type { ChatMessage, VisionModel } from '../../engine/vision-model.ts';
import { parseChatRequest, type ChatCompletionRequest } from './chat-request.ts';
import { ChatStream } from './chat-stream.ts';
import type { CompletionEngine, CompletionResult, EncodedPrompt } from './completion-engine.ts';
import { decodeDataUrl } from './data-url-image.ts';
import type { Injection } from './failure-injection.ts';
import { sendJson } from './http-layer.ts';
import { badRequest, PeerHttpError } from './peer-error.ts';
import { completion, logprobEntry, newIdentity, usage, type CompletionIdentity, type Usage } from './vllm-shapes.ts';

/** What every chat completion of one peer shares. */
export interface ChatSettings {
  model: VisionModel;
  engine: CompletionEngine;
  servedModelName: string;
  maxModelLen: number;
  /** Whether the peer reports log-probabilities at all (`--no-logprobs` turns them off). */
  logprobs: boolean;
  /** Whether usage carries `prompt_tokens_details` (`--no-cached-tokens` turns it off). */
  cachedTokens: boolean;
}

export interface ChatExchange {
  body: unknown;
  response: ServerResponse;
  /** The CORS headers of the answer. */
  headers: Readonly<Record<string, string>>;
  /** Aborts when the client goes away. */
  signal: AbortSignal;
  /** `cut`, `malformed` or `no-cors`, when injected (the others answer before this point). */
  failure: Injection | null;
}

/** Answers one chat completion; throws `PeerHttpError` for an answer that is an error. */
export async function answerChat(settings: ChatSettings, exchange: ChatExchange): Promise<void> {
  const request = parseChatRequest(exchange.body);
  if (request.model !== null && request.model !== settings.servedModelName)
    throw new PeerHttpError(404, `The model \`${request.model}\` does not exist.`, 'NotFoundError', 'model');
  const prompt = await encodePrompt(settings.model, request);
  const answer: Answer = {
    request,
    prompt,
    maxTokens: checkContext(prompt.ids.length, request.maxTokens, settings.maxModelLen),
    identity: newIdentity(settings.servedModelName),
    topLogprobs: settings.logprobs && request.logprobs ? request.topLogprobs : null,
    totalOf: (result) =>
      usage(
        prompt.ids.length,
        result.generated.length,
        settings.cachedTokens ? result.cachedTokens : null,
        prompt.images.reduce((sum, image) => sum + image.end - image.start, 0),
      ),
  };
  await (request.stream ? answerStreamed(settings, exchange, answer) : answerWhole(settings, exchange, answer));
}

/** What the answer to one checked request is built from. */
interface Answer {
  request: ChatCompletionRequest;
  prompt: EncodedPrompt;
  maxTokens: number;
  identity: CompletionIdentity;
  /** Null without log-probabilities; else how many most likely tokens each entry lists. */
  topLogprobs: 0 | 1 | null;
  totalOf(result: CompletionResult): Usage;
}

async function answerStreamed(settings: ChatSettings, exchange: ChatExchange, answer: Answer): Promise<void> {
  const { request, prompt, maxTokens, identity, topLogprobs } = answer;
  const strike = new AbortController();
  const signal = AbortSignal.any([exchange.signal, strike.signal]);
  const stream = new ChatStream(
    settings.model,
    exchange.response,
    {
      identity,
      topLogprobs,
      includeUsage: request.includeUsage,
      continuousUsage: request.continuousUsage,
      promptTokens: prompt.ids.length,
      failure: exchange.failure?.failure === 'no-cors' ? null : exchange.failure,
      strike: () => {
        strike.abort();
      },
    },
    exchange.headers,
  );
  try {
    const result = await settings.engine.complete({
      prompt,
      maxTokens,
      signal,
      onStart: () => {
        stream.start();
      },
      onToken: (token, probability) => {
        stream.token(token, probability);
      },
    });
    stream.finish(result, answer.totalOf(result));
  } catch (error) {
    if (!signal.aborted) stream.fail(describe(error));
  }
}

async function answerWhole(settings: ChatSettings, exchange: ChatExchange, answer: Answer): Promise<void> {
  const { response, failure } = exchange;
  const cut = failure?.failure === 'cut' ? failure.afterTokens : null;
  const strike = new AbortController();
  const signal = AbortSignal.any([exchange.signal, strike.signal]);
  let tokens = 0;
  let result: CompletionResult;
  try {
    result = await settings.engine.complete({
      prompt: answer.prompt,
      maxTokens: answer.maxTokens,
      signal,
      onToken: () => {
        tokens += 1;
        if (cut !== null && tokens >= cut) {
          response.destroy();
          strike.abort();
        }
      },
    });
  } catch (error) {
    if (signal.aborted) return;
    throw new PeerHttpError(500, describe(error), 'InternalServerError');
  }
  if (cut !== null) {
    response.destroy();
    return;
  }
  const body = wholeAnswer(settings.model, answer.identity, result, answer.topLogprobs, answer.totalOf(result));
  if (failure?.failure === 'malformed') {
    // A body cut short: what a client gets when a proxy truncates the answer.
    response.writeHead(200, { ...exchange.headers, 'Content-Type': 'application/json' });
    response.end(JSON.stringify(body).slice(0, 80));
    return;
  }
  sendJson(response, 200, body, exchange.headers);
}

function wholeAnswer(
  model: VisionModel,
  identity: CompletionIdentity,
  result: CompletionResult,
  topLogprobs: 0 | 1 | null,
  total: Usage,
) {
  const entries =
    topLogprobs === null
      ? null
      : result.generated.map((token, i) =>
          logprobEntry(model.decode([token], false), result.probabilities[i] ?? 0, topLogprobs),
        );
  return completion(identity, model.decode(result.generated, true), entries, result.finishReason, total);
}

/** The messages rendered and tokenised with their images; a problem with them is a 400. */
export async function encodePrompt(model: VisionModel, request: ChatCompletionRequest): Promise<EncodedPrompt> {
  const images = await Promise.all(request.imageUrls.map((url, i) => decodeDataUrl(url, i)));
  const messages: ChatMessage[] = request.messages.map(({ role, parts }) => ({
    role,
    content: parts.map((part) => (part.type === 'image' ? { type: 'image' } : part)),
  }));
  try {
    const encoded = await model.encodeChat(
      messages,
      images.map((image) => image.pixels),
      { addGenerationPrompt: request.addGenerationPrompt, templateKwargs: request.templateKwargs },
    );
    return {
      text: encoded.text,
      ids: encoded.ids,
      images: encoded.images.map((image, i) => ({ ...image, hash: images[i]?.hash ?? '' })),
    };
  } catch (error) {
    // vLLM answers a template or processor failure on the request's messages with a 400.
    throw badRequest(describe(error));
  }
}

/** The token limit of the reply, after vLLM's checks of the prompt against the context. */
function checkContext(promptTokens: number, maxTokens: number | null, maxModelLen: number): number {
  if (promptTokens >= maxModelLen) {
    throw badRequest(
      `This model's maximum context length is ${maxModelLen} tokens. However, your request has ${promptTokens} input tokens. Please reduce the length of the input messages.`,
      'input_tokens',
    );
  }
  if (maxTokens !== null && promptTokens + maxTokens > maxModelLen) {
    throw badRequest(
      `'max_tokens' or 'max_completion_tokens' is too large: ${maxTokens}. This model's maximum context length is ${maxModelLen} tokens and your request has ${promptTokens} input tokens (${maxTokens} > ${maxModelLen} - ${promptTokens}).`,
      'max_tokens',
    );
  }
  return maxTokens ?? maxModelLen - promptTokens;
}

function describe(error: unknown): string {
  if (error instanceof AbortedError) return 'The request was cancelled.';
  if (error instanceof EngineError || error instanceof Error) return error.message;
  return String(error);
}
