/**
 * The transport of the server backend: one streamed chat completion, and the list of models, over
 * the OpenAI API that vLLM, llama.cpp's `llama-server` and Ollama serve. Global `fetch` only, so the
 * same code runs in the worker and in Node; what each failure means for a person is decided in
 * server-errors.ts.
 */
import { AbortedError, ServerError } from '../errors.ts';
import { readChunk } from './chat-chunk.ts';
import { classifyServerFailure, displayAddress, type FailureContext, type ServerFailure } from './server-errors.ts';
import { readSse } from './sse.ts';
import type { ChatRequest, ChatStreamEvent, ServerEndpoint, ServerUsage } from './types.ts';

/** How the client reaches the network; tests pass a `fetch` of their own. */
export interface ClientOptions {
  fetch?: typeof fetch;
}

/**
 * The request body of a streamed chat completion. Greedy decoding (`temperature: 0`) so the server
 * answers as the local engine does. With `logprobs`, `top_logprobs: 1`: the smallest value all three
 * servers accept that still returns each token's own log-probability (llama.cpp's server returns
 * none at 0 and defaults to 20 when it is left out). `extra` may change the sampling fields, but
 * not the model, the messages or the streaming this client relies on.
 */
export function chatRequestBody(endpoint: ServerEndpoint, request: ChatRequest): Record<string, unknown> {
  return {
    temperature: 0,
    max_tokens: request.maxTokens,
    ...(request.logprobs ? { logprobs: true, top_logprobs: 1 } : {}),
    ...request.extra,
    model: endpoint.model,
    messages: request.messages,
    stream: true,
    stream_options: { include_usage: true },
  };
}

/**
 * Streams one chat completion: `text` events as the answer arrives (with each token's
 * log-probability when asked for and sent), then `usage` when the server reports it, then
 * `finish`. Throws `AbortedError` once `request.signal` aborts (the connection is closed) and a
 * `ServerError` (or `context-full`) for everything else that can go wrong.
 */
export async function* streamChat(
  endpoint: ServerEndpoint,
  request: ChatRequest,
  options: ClientOptions = {},
): AsyncGenerator<ChatStreamEvent> {
  const context = failureContext(endpoint.baseUrl, endpoint.model, endpoint.apiKey);
  const url = apiUrl(endpoint.baseUrl, 'chat/completions', context);
  const signal = request.signal ?? null;
  const response = await send(
    options.fetch ?? fetch,
    url,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...authorization(endpoint.apiKey) },
      body: JSON.stringify(chatRequestBody(endpoint, request)),
      signal,
    },
    context,
  );
  if (!response.ok) throw await httpFailure(response, context, signal);
  const contentType = response.headers.get('Content-Type');
  if (response.body === null || (contentType !== null && !/^text\/event-stream\b/i.test(contentType.trim()))) {
    await response.body?.cancel().catch(() => undefined);
    throw classifyServerFailure({ kind: 'not-api', contentType, expected: 'stream' }, context);
  }

  let events = 0;
  let done = false;
  let finishReason: string | null | undefined;
  let usage: ServerUsage | null = null;
  try {
    for await (const message of readSse(response.body)) {
      throwIfAborted(signal);
      events++;
      if (message.kind === 'error-field') throw inStreamError(message.value, context);
      if (message.data.trim() === '[DONE]') {
        done = true;
        break;
      }
      const chunk = readChunk(message.data);
      if (chunk.kind === 'malformed') {
        throw classifyServerFailure({ kind: 'malformed-event', detail: chunk.detail }, context);
      }
      if (chunk.kind === 'error') throw classifyServerFailure({ kind: 'in-stream', error: chunk.error }, context);
      if (chunk.text !== '' || chunk.tokens !== null) yield { type: 'text', text: chunk.text, tokens: chunk.tokens };
      // Keep the last report: vLLM's continuous usage stats repeat it on every chunk.
      if (chunk.usage !== null) usage = chunk.usage;
      if (chunk.finishReason !== null) finishReason = chunk.finishReason;
    }
  } catch (error) {
    throwIfAborted(signal);
    if (error instanceof ServerError) throw error;
    throw classifyServerFailure({ kind: 'stream-cut', cause: error }, context);
  }
  throwIfAborted(signal);
  if (!done && finishReason === undefined) {
    // A body that was never an event stream (no content type, no events) is another kind of server.
    throw classifyServerFailure(
      events === 0 && contentType === null
        ? { kind: 'not-api', contentType, expected: 'stream' }
        : { kind: 'stream-cut', cause: null },
      context,
    );
  }
  if (usage !== null) yield { type: 'usage', usage };
  yield { type: 'finish', reason: finishReason ?? null };
}

/**
 * The ids of the models the server serves (`GET /models`), to offer as choices. Throws
 * `AbortedError` when `signal` aborts, a `ServerError` otherwise.
 */
export async function listModels(
  server: { baseUrl: string; apiKey?: string },
  signal?: AbortSignal,
  options: ClientOptions = {},
): Promise<string[]> {
  const context = failureContext(server.baseUrl, null, server.apiKey);
  const url = apiUrl(server.baseUrl, 'models', context);
  const response = await send(
    options.fetch ?? fetch,
    url,
    { method: 'GET', headers: authorization(server.apiKey), signal: signal ?? null },
    context,
  );
  if (!response.ok) throw await httpFailure(response, context, signal ?? null);
  const contentType = response.headers.get('Content-Type');
  const text = await readText(response, signal ?? null);
  const ids = modelIds(text);
  if (ids === null) throw classifyServerFailure({ kind: 'not-api', contentType, expected: 'models' }, context);
  return ids;
}

/** `data[].id` of an OpenAI model list; null for any other reply. */
function modelIds(text: string): string[] | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || !('data' in value)) return null;
  // Ollama with no model pulled yet sends `"data": null` (a nil Go slice).
  if (value.data === null) return [];
  if (!Array.isArray(value.data)) return null;
  const ids: string[] = [];
  for (const model of value.data as unknown[]) {
    if (typeof model !== 'object' || model === null || !('id' in model) || typeof model.id !== 'string') return null;
    ids.push(model.id);
  }
  return ids;
}

// --- Requests ----------------------------------------------------------------------------------

function failureContext(baseUrl: string, model: string | null, apiKey: string | undefined): FailureContext {
  return { baseUrl, model, apiKey: apiKey?.trim() || undefined, pageOrigin: pageOrigin() };
}

function authorization(apiKey: string | undefined): Record<string, string> {
  const key = apiKey?.trim() ?? '';
  return key === '' ? {} : { Authorization: `Bearer ${key}` };
}

/**
 * `baseUrl` + `/path`, whatever slashes the base ends in. Credentials in the URL are dropped:
 * `fetch` refuses a URL that carries them (the key goes in `apiKey`).
 */
function apiUrl(baseUrl: string, path: string, context: FailureContext): string {
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    throw notAnAddress(context);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw notAnAddress(context);
  url.username = '';
  url.password = '';
  url.hash = '';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${path}`;
  return url.href;
}

function notAnAddress(context: FailureContext): ServerError {
  return new ServerError(
    'server-unreachable',
    `"${displayAddress(context.baseUrl)}" is not a web address. Enter the API's base URL, e.g. http://localhost:8000/v1.`,
  );
}

/**
 * `fetch`, with its failures told apart: a stop is an `AbortedError`; in a browser a network error
 * is either CORS (a `no-cors` request to the same address gets an answer, which the browser only
 * hides) or nothing answering at all.
 */
async function send(fetchImpl: typeof fetch, url: string, init: RequestInit, context: FailureContext) {
  const signal = init.signal ?? null;
  throwIfAborted(signal);
  try {
    return await fetchImpl(url, init);
  } catch (cause) {
    throwIfAborted(signal);
    let answersWithoutCors: boolean | null = null;
    if (context.pageOrigin !== null) {
      try {
        await fetchImpl(url, { mode: 'no-cors', signal });
        answersWithoutCors = true;
      } catch {
        throwIfAborted(signal);
        answersWithoutCors = false;
      }
    }
    throw classifyServerFailure({ kind: 'network', cause, answersWithoutCors }, context);
  }
}

async function httpFailure(response: Response, context: FailureContext, signal: AbortSignal | null) {
  let body = '';
  try {
    body = await readText(response, signal);
  } catch (error) {
    // The status is what matters; a body cut short only loses the server's wording.
    if (error instanceof AbortedError) throw error;
  }
  const failure: ServerFailure = {
    kind: 'http',
    status: response.status,
    statusText: response.statusText,
    retryAfter: response.headers.get('Retry-After'),
    body,
  };
  return classifyServerFailure(failure, context);
}

async function readText(response: Response, signal: AbortSignal | null): Promise<string> {
  try {
    return await response.text();
  } catch (error) {
    throwIfAborted(signal);
    throw error;
  }
}

/** A legacy `error: {…}` line (older llama.cpp servers): its value is the error object as JSON. */
function inStreamError(value: string, context: FailureContext): ServerError {
  let error: unknown = value;
  try {
    error = JSON.parse(value);
  } catch {
    // Plain text is quoted as it is.
  }
  return classifyServerFailure({ kind: 'in-stream', error }, context);
}

function throwIfAborted(signal: AbortSignal | null): void {
  if (signal?.aborted === true) throw new AbortedError();
}

/** The page's origin, which CORS checks; null outside a browser (Node has no `location`). */
function pageOrigin(): string | null {
  const location: unknown = (globalThis as { location?: unknown }).location;
  if (typeof location !== 'object' || location === null || !('origin' in location)) return null;
  return typeof location.origin === 'string' ? location.origin : null;
}
