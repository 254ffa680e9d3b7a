/**
 * The client against the recorded replies of vLLM, llama.cpp's server and Ollama (fixtures/, each
 * file citing the source it follows), served over real HTTP from this process.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AbortedError, ServerError } from '../../src/engine/errors.ts';
import { pngDataUrl } from '../../src/engine/server/image-data-url.ts';
import { listModels, streamChat } from '../../src/engine/server/openai-client.ts';
import type { ChatRequest, ChatStreamEvent, ServerEndpoint, TokenLogprob } from '../../src/engine/server/types.ts';
import { serveFixture, type FixtureServer, type ServeOptions } from './fixture-server.ts';

const IMAGE = pngDataUrl({ width: 2, height: 1, channels: 3, data: Uint8Array.of(255, 0, 0, 0, 0, 255) });
const REQUEST: ChatRequest = {
  messages: [
    { role: 'system', content: 'You are a helpful assistant.' },
    {
      role: 'user',
      content: [
        { type: 'image_url', image_url: { url: IMAGE } },
        { type: 'text', text: 'What does the sign say?' },
      ],
    },
  ],
  maxTokens: 256,
  logprobs: true,
};

/** The answer every stream fixture carries, token by token, with its log-probabilities. */
const ANSWER: [string, number][] = [
  ['The', -0.0312],
  [' sign', -0.0041],
  [' reads', -0.2107],
  [' OPEN', -0.0008],
  ['.', -0.0153],
];

function answerEvents(withTokens: boolean): ChatStreamEvent[] {
  return ANSWER.map(([text, logprob]) => ({
    type: 'text',
    text,
    tokens: withTokens ? [{ text, logprob } satisfies TokenLogprob] : null,
  }));
}

const servers: FixtureServer[] = [];
async function serve(fixture: string, options: ServeOptions = {}): Promise<FixtureServer> {
  const server = await serveFixture(fixture, options);
  servers.push(server);
  return server;
}

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function collect(endpoint: ServerEndpoint, request: ChatRequest = REQUEST): Promise<ChatStreamEvent[]> {
  const events: ChatStreamEvent[] = [];
  for await (const event of streamChat(endpoint, request)) events.push(event);
  return events;
}

/** The events before the failure, and the failure. */
async function collectUntilError(
  endpoint: ServerEndpoint,
  request: ChatRequest = REQUEST,
): Promise<{ events: ChatStreamEvent[]; error: ServerError }> {
  const events: ChatStreamEvent[] = [];
  try {
    for await (const event of streamChat(endpoint, request)) events.push(event);
  } catch (error) {
    if (error instanceof ServerError) return { events, error };
    throw error;
  }
  throw new Error(`the stream ended without an error after ${events.length} events`);
}

async function listError(baseUrl: string, apiKey?: string): Promise<ServerError> {
  try {
    await listModels(apiKey === undefined ? { baseUrl } : { baseUrl, apiKey });
  } catch (error) {
    if (error instanceof ServerError) return error;
    throw error;
  }
  throw new Error('listModels succeeded');
}

describe('vLLM', () => {
  const MODEL = 'Senqiao/VisionThink-Efficient';

  it('streams the answer with each token’s log-probability, then usage, then the finish', async () => {
    const server = await serve('vllm/stream-logprobs');
    const events = await collect({ baseUrl: server.baseUrl, model: MODEL, apiKey: 'vllm-key-0001' });
    expect(events).toEqual([
      ...answerEvents(true),
      // The end-of-turn token has a log-probability but no text.
      { type: 'text', text: '', tokens: [{ text: '<|im_end|>', logprob: -0.0002 }] },
      { type: 'usage', usage: { promptTokens: 812, completionTokens: 6, cachedTokens: null } },
      { type: 'finish', reason: 'stop' },
    ]);

    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.headers.authorization).toBe('Bearer vllm-key-0001');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      model: MODEL,
      messages: REQUEST.messages,
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0,
      max_tokens: 256,
      logprobs: true,
      top_logprobs: 1,
    });
  });

  it('reports the prefix-cache hit with --enable-prompt-tokens-details', async () => {
    const server = await serve('vllm/stream-cached-tokens');
    const events = await collect({ baseUrl: server.baseUrl, model: MODEL }, { ...REQUEST, logprobs: false });
    expect(events).toEqual([
      ...answerEvents(false),
      { type: 'usage', usage: { promptTokens: 1236, completionTokens: 6, cachedTokens: 1184 } },
      { type: 'finish', reason: 'stop' },
    ]);
    const body = JSON.parse(server.requests[0]?.body ?? '') as Record<string, unknown>;
    expect(body).not.toHaveProperty('logprobs');
    expect(body).not.toHaveProperty('top_logprobs');
    expect(server.requests[0]?.headers).not.toHaveProperty('authorization');
  });

  it('names an unknown model, in the current and the older error shape', async () => {
    for (const fixture of ['vllm/error-model-not-found', 'vllm/error-model-not-found-legacy']) {
      const server = await serve(fixture);
      const { events, error } = await collectUntilError({ baseUrl: server.baseUrl, model: 'visionthink' });
      expect(events).toEqual([]);
      expect(error.code).toBe('server-model');
      expect(error.message).toBe(
        `The server at ${server.baseUrl} does not serve the model "visionthink" (HTTP 404: The model \`visionthink\` does not exist.). Pick one of the models the server lists.`,
      );
    }
  });

  it('asks for the key its --api-key wants', async () => {
    const server = await serve('vllm/error-unauthorized');
    const { error } = await collectUntilError({ baseUrl: server.baseUrl, model: MODEL });
    expect(error.code).toBe('server-auth');
    expect(error.message).toBe(
      `The server at ${server.baseUrl} needs an API key and none was sent (HTTP 401: Unauthorized). Enter the key the server was started with in the server settings.`,
    );
  });

  it('says the context is full', async () => {
    const server = await serve('vllm/error-context-length');
    const { error } = await collectUntilError({ baseUrl: server.baseUrl, model: MODEL });
    expect(error.code).toBe('context-full');
    expect(error.message).toMatch(
      /^The conversation no longer fits the model's context on the server \(HTTP 400: This model's maximum context length is 32768 tokens\./,
    );
  });

  it('turns an error event mid-answer into an error, after the text before it', async () => {
    const server = await serve('vllm/stream-error-mid-answer');
    const { events, error } = await collectUntilError({ baseUrl: server.baseUrl, model: MODEL });
    expect(events).toEqual([{ type: 'text', text: 'The', tokens: null }]);
    expect(error.code).toBe('server-error');
    expect(error.message).toBe(
      `The server at ${server.baseUrl} reported an error while answering (HTTP 500: EngineCore encountered an issue. See stack trace (above) for the root cause.).`,
    );
  });

  it('lists its model', async () => {
    const server = await serve('vllm/models');
    expect(await listModels({ baseUrl: `${server.baseUrl}/`, apiKey: 'vllm-key-0001' })).toEqual([MODEL]);
    expect(server.requests[0]).toMatchObject({ method: 'GET', path: '/v1/models' });
    expect(server.requests[0]?.headers.authorization).toBe('Bearer vllm-key-0001');
  });
});

describe("llama.cpp's server", () => {
  const MODEL = 'visionthink-efficient-q4_k_m';

  it('streams the answer with log-probabilities (after a role delta with null content), usage with cached tokens', async () => {
    const server = await serve('llama-cpp/stream-logprobs');
    expect(await collect({ baseUrl: server.baseUrl, model: MODEL })).toEqual([
      ...answerEvents(true),
      { type: 'usage', usage: { promptTokens: 1236, completionTokens: 6, cachedTokens: 1184 } },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('reads events split across network reads', async () => {
    const server = await serve('llama-cpp/stream-logprobs', { pieceBytes: 7 });
    const events = await collect({ baseUrl: server.baseUrl, model: MODEL });
    expect(events.filter((event) => event.type === 'text')).toEqual(answerEvents(true));
  });

  it('says a wrong key was not accepted', async () => {
    const server = await serve('llama-cpp/error-unauthorized');
    const { error } = await collectUntilError({ baseUrl: server.baseUrl, model: MODEL, apiKey: 'wrong-key-1234' });
    expect(error.code).toBe('server-auth');
    expect(error.message).toBe(
      `The server at ${server.baseUrl} did not accept the API key that was sent (HTTP 401: Invalid API Key). Check the key in the server settings.`,
    );
  });

  it('says the context is full', async () => {
    const server = await serve('llama-cpp/error-context-size');
    const { error } = await collectUntilError({ baseUrl: server.baseUrl, model: MODEL });
    expect(error.code).toBe('context-full');
    expect(error.message).toContain(
      '(HTTP 400: request (33025 tokens) exceeds the available context size (32768 tokens), try increasing it)',
    );
  });

  it('names a model its router does not know', async () => {
    const server = await serve('llama-cpp/error-model-not-found');
    const { error } = await collectUntilError({ baseUrl: server.baseUrl, model: 'visionthink' });
    expect(error.code).toBe('server-model');
  });

  it('is busy while loading', async () => {
    const server = await serve('llama-cpp/error-loading');
    const { error } = await collectUntilError({ baseUrl: server.baseUrl, model: MODEL });
    expect(error.code).toBe('server-busy');
    expect(error.retryAfterSeconds).toBeUndefined();
    expect(error.message).toBe(
      `The server at ${server.baseUrl} is busy (HTTP 503: Loading model). Try again in a moment.`,
    );
  });

  it('turns an error mid-answer into an error, as a data event and as the older error: line', async () => {
    for (const fixture of ['llama-cpp/stream-error-mid-answer', 'llama-cpp/stream-error-legacy-field']) {
      const server = await serve(fixture);
      const { events, error } = await collectUntilError({ baseUrl: server.baseUrl, model: MODEL });
      expect(events).toEqual([{ type: 'text', text: 'The', tokens: null }]);
      expect(error.code).toBe('server-error');
      expect(error.message).toBe(
        `The server at ${server.baseUrl} reported an error while answering (HTTP 500: Failed to decode the batch: KV cache is full).`,
      );
    }
  });

  it('lists its model from the "data" half of its two lists', async () => {
    const server = await serve('llama-cpp/models');
    expect(await listModels({ baseUrl: server.baseUrl })).toEqual([MODEL]);
  });
});

describe('Ollama', () => {
  const MODEL = 'qwen2.5vl:7b';

  it('streams the answer with log-probabilities, then usage without cached tokens', async () => {
    const server = await serve('ollama/stream-logprobs');
    expect(await collect({ baseUrl: server.baseUrl, model: MODEL })).toEqual([
      ...answerEvents(true),
      { type: 'usage', usage: { promptTokens: 1236, completionTokens: 6, cachedTokens: null } },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('finishes without a usage event when the server sends none', async () => {
    const server = await serve('ollama/stream-no-usage');
    expect(await collect({ baseUrl: server.baseUrl, model: MODEL }, { ...REQUEST, logprobs: false })).toEqual([
      ...answerEvents(false),
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('names a model that is not pulled', async () => {
    const server = await serve('ollama/error-model-not-found');
    const { error } = await collectUntilError({ baseUrl: server.baseUrl, model: 'visionthink' });
    expect(error.code).toBe('server-model');
    expect(error.message).toContain(`(HTTP 404: model 'visionthink' not found)`);
  });

  it('says the context is full', async () => {
    const server = await serve('ollama/error-context-length');
    expect((await collectUntilError({ baseUrl: server.baseUrl, model: MODEL })).error.code).toBe('context-full');
  });

  it('is busy when its queue is full', async () => {
    const server = await serve('ollama/error-busy');
    const { error } = await collectUntilError({ baseUrl: server.baseUrl, model: MODEL });
    expect(error.code).toBe('server-busy');
    expect(error.message).toContain('server busy, please try again. maximum pending requests exceeded');
  });

  it('lists its models, and none when nothing is pulled ("data": null)', async () => {
    const server = await serve('ollama/models');
    expect(await listModels({ baseUrl: server.baseUrl })).toEqual([MODEL, 'llava:latest']);
    const empty = await serve('ollama/models-empty');
    expect(await listModels({ baseUrl: empty.baseUrl })).toEqual([]);
  });
});

describe('failures any server can cause', () => {
  it('a stream cut mid-answer keeps the text so far and then fails', async () => {
    const server = await serve('vllm/stream-logprobs', { cutAfterEvents: 3 });
    const { events, error } = await collectUntilError({ baseUrl: server.baseUrl, model: 'm' });
    expect(events).toEqual(answerEvents(true).slice(0, 2));
    expect(error.code).toBe('server-stream');
    expect(error.message).toBe(
      `The server's reply stopped before the answer was complete: the connection to ${server.baseUrl} closed mid-answer. The server may have restarted or run out of memory; ask again.`,
    );
  });

  it('a stop mid-answer throws AbortedError and closes the connection', async () => {
    const server = await serve('ollama/stream-logprobs', { holdAfterEvents: 2 });
    const controller = new AbortController();
    const events: ChatStreamEvent[] = [];
    const run = (async () => {
      for await (const event of streamChat(
        { baseUrl: server.baseUrl, model: 'm' },
        { ...REQUEST, signal: controller.signal },
      )) {
        events.push(event);
        if (events.length === 2) controller.abort();
      }
    })();
    await expect(run).rejects.toThrow(AbortedError);
    expect(events).toEqual(answerEvents(true).slice(0, 2));
    await server.clientGone;
  });

  it('a stop while the server has not answered yet throws AbortedError', async () => {
    const server = await serve('ollama/stream-logprobs', { holdAfterEvents: 0 });
    const controller = new AbortController();
    const run = collect({ baseUrl: server.baseUrl, model: 'm' }, { ...REQUEST, signal: controller.signal });
    setTimeout(() => {
      controller.abort();
    }, 50);
    await expect(run).rejects.toThrow(AbortedError);
    await server.clientGone;
  });

  it('a malformed event, and JSON events that are not chunks', async () => {
    const malformed = await serve('other/stream-malformed-event');
    const first = await collectUntilError({ baseUrl: malformed.baseUrl, model: 'm' });
    expect(first.events).toEqual([{ type: 'text', text: 'The', tokens: null }]);
    expect(first.error.code).toBe('server-stream');
    expect(first.error.message).toBe(
      `The server at ${malformed.baseUrl} sent a malformed event in its reply (an event is not JSON), so the answer cannot be read. Check that the address is an OpenAI-compatible API.`,
    );
    const other = await serve('other/stream-not-chunks');
    const second = await collectUntilError({ baseUrl: other.baseUrl, model: 'm' });
    expect(second.error.code).toBe('server-stream');
    expect(second.error.message).toContain('(an event has no "choices")');
  });

  it('a web page or other JSON at the address is not the API', async () => {
    const page = await serve('other/html-page');
    const { error } = await collectUntilError({ baseUrl: page.baseUrl, model: 'm' });
    expect(error.code).toBe('server-protocol');
    expect(error.message).toBe(
      `The address ${page.baseUrl} answered, but not as an OpenAI-compatible API (it sent an HTML page instead of a stream of chat-completion events). Check that the base URL is the API's, usually ending in /v1, e.g. http://localhost:8000/v1.`,
    );
    expect((await listError(page.baseUrl)).code).toBe('server-protocol');
    const json = await serve('other/json-without-choices');
    expect((await collectUntilError({ baseUrl: json.baseUrl, model: 'm' })).error.message).toContain(
      'it sent JSON of another shape instead of a stream of chat-completion events',
    );
    expect((await listError(json.baseUrl)).message).toContain('instead of a list of models');
  });

  it('Retry-After in seconds and as a date', async () => {
    const seconds = await serve('other/rate-limited-seconds');
    const limited = (await collectUntilError({ baseUrl: seconds.baseUrl, model: 'm' })).error;
    expect(limited.code).toBe('server-busy');
    expect(limited.retryAfterSeconds).toBe(20);
    expect(limited.message).toBe(
      `The server at ${seconds.baseUrl} is busy (HTTP 429: Rate limit exceeded: 10 requests per minute). It asked to wait 20 seconds before trying again.`,
    );

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-01T10:00:00.500Z'));
    const date = await serve('other/overloaded-date');
    const overloaded = (await collectUntilError({ baseUrl: date.baseUrl, model: 'm' })).error;
    expect(overloaded.code).toBe('server-busy');
    expect(overloaded.retryAfterSeconds).toBe(90);
    expect(overloaded.message).toBe(
      `The server at ${date.baseUrl} is busy (HTTP 503: Service Unavailable). It asked to wait 90 seconds before trying again.`,
    );
    expect((await listError(date.baseUrl)).retryAfterSeconds).toBe(90);
  });

  it('nothing listening is unreachable, with the reason', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const baseUrl = `http://127.0.0.1:${port}/v1`;
    const { error } = await collectUntilError({ baseUrl, model: 'm' });
    expect(error.code).toBe('server-unreachable');
    expect(error.message).toBe(
      `Nothing answered at ${baseUrl} (the connection was refused: nothing is listening on that port, ECONNREFUSED). Check the address and that the server is running.`,
    );
    expect((await listError(baseUrl)).code).toBe('server-unreachable');
  });

  it('never puts the API key in a message, even when the server repeats it', async () => {
    const key = 'sk-live-5f3a9c2e7b1d4086';
    for (const fixture of [
      'vllm/error-unauthorized',
      'llama-cpp/error-unauthorized',
      'llama-cpp/error-context-size',
      'ollama/error-busy',
      'other/html-page',
    ]) {
      const server = await serve(fixture);
      const baseUrl = server.baseUrl.replace('http://', `http://user:${key}@`) + `?key=${key}`;
      const { error } = await collectUntilError({ baseUrl, model: 'm', apiKey: key });
      expect(error.message).not.toContain(key);
      expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${key}`);
    }
    const echo = await serveFixture({
      status: 401,
      statusText: 'Unauthorized',
      headers: [['Content-Type', 'application/json']],
      body: Buffer.from(JSON.stringify({ error: { message: `Invalid API key ${key}` } })),
    });
    servers.push(echo);
    const echoed = (await collectUntilError({ baseUrl: echo.baseUrl, model: 'm', apiKey: key })).error;
    expect(echoed.message).toContain('Invalid API key [API key]');
    expect(echoed.message).not.toContain(key);
  });
});
