import { afterEach, describe, expect, it, vi } from 'vitest';
import { AbortedError, ServerError } from '../errors.ts';
import { chatRequestBody, listModels, streamChat } from './openai-client.ts';
import type { ChatRequest, ChatStreamEvent, ServerEndpoint } from './types.ts';

const ENDPOINT: ServerEndpoint = { baseUrl: 'http://gpu-box:8000/v1/', model: 'vt', apiKey: 'sk-test-key' };
const REQUEST: ChatRequest = { messages: [{ role: 'user', content: 'Hi' }], maxTokens: 64, logprobs: false };

const SSE = [
  'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}',
  'data: {"choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":"stop"}]}',
  'data: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}',
  'data: [DONE]',
  '',
].join('\n\n');

interface Call {
  url: string;
  init: RequestInit | undefined;
}

/** A `fetch` that records its calls and answers each with the next reply (a Response or an error). */
function fakeFetch(...replies: (Response | Error)[]): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fetchImpl = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    calls.push({ url: input instanceof Request ? input.url : input.toString(), init });
    const reply = replies.shift();
    if (reply === undefined) throw new Error('no more replies');
    return reply instanceof Error ? Promise.reject(reply) : Promise.resolve(reply);
  };
  return { fetch: fetchImpl, calls };
}

const sse = (text: string) => new Response(text, { headers: { 'Content-Type': 'text/event-stream' } });

async function collect(stream: AsyncGenerator<ChatStreamEvent>): Promise<ChatStreamEvent[]> {
  const events: ChatStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

async function failure(promise: Promise<unknown>): Promise<ServerError> {
  const error: unknown = await promise.then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  if (!(error instanceof ServerError)) throw new Error(`expected a ServerError, got ${String(error)}`);
  return error;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('streamChat: the request', () => {
  it('posts the body to <base>/chat/completions with the key as a bearer token', async () => {
    const { fetch, calls } = fakeFetch(sse(SSE));
    const events = await collect(streamChat(ENDPOINT, REQUEST, { fetch }));
    expect(events).toEqual([
      { type: 'text', text: 'Hello', tokens: null },
      { type: 'usage', usage: { promptTokens: 5, completionTokens: 1, cachedTokens: null } },
      { type: 'finish', reason: 'stop' },
    ]);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe('http://gpu-box:8000/v1/chat/completions');
    expect(calls[0]?.init?.method).toBe('POST');
    expect(calls[0]?.init?.headers).toEqual({
      'Content-Type': 'application/json',
      Authorization: 'Bearer sk-test-key',
    });
    expect(JSON.parse(calls[0]?.init?.body as string)).toEqual({
      model: 'vt',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0,
      max_tokens: 64,
    });
  });

  it('sends no Authorization header without a key, and drops credentials written into the URL', async () => {
    const { fetch, calls } = fakeFetch(sse(SSE), sse(SSE));
    await collect(streamChat({ baseUrl: 'http://me:pw@gpu-box:8000/v1', model: 'vt' }, REQUEST, { fetch }));
    await collect(streamChat({ ...ENDPOINT, apiKey: '  ' }, REQUEST, { fetch }));
    expect(calls.map((call) => call.url)).toEqual([
      'http://gpu-box:8000/v1/chat/completions',
      'http://gpu-box:8000/v1/chat/completions',
    ]);
    for (const call of calls) expect(call.init?.headers).toEqual({ 'Content-Type': 'application/json' });
  });

  it('asks for logprobs with one alternative, and lets extra change sampling but not streaming', () => {
    const body = chatRequestBody(ENDPOINT, {
      ...REQUEST,
      logprobs: true,
      extra: { chat_template_kwargs: { enable_thinking: false }, temperature: 0.7, stream: false, model: 'other' },
    });
    expect(body).toEqual({
      model: 'vt',
      messages: REQUEST.messages,
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.7,
      max_tokens: 64,
      logprobs: true,
      top_logprobs: 1,
      chat_template_kwargs: { enable_thinking: false },
    });
  });

  it('refuses an address that is not one, before any request', async () => {
    const { fetch, calls } = fakeFetch();
    for (const baseUrl of ['gpu-box:8000/v1', 'ftp://gpu-box/v1', '']) {
      const error = await failure(collect(streamChat({ baseUrl, model: 'vt' }, REQUEST, { fetch })));
      expect(error.code).toBe('server-unreachable');
      expect(error.message).toContain('is not a web address');
    }
    expect(calls).toHaveLength(0);
  });

  it('does not start when already stopped', async () => {
    const { fetch, calls } = fakeFetch(sse(SSE));
    const controller = new AbortController();
    controller.abort();
    await expect(collect(streamChat(ENDPOINT, { ...REQUEST, signal: controller.signal }, { fetch }))).rejects.toThrow(
      AbortedError,
    );
    expect(calls).toHaveLength(0);
  });
});

describe('streamChat: network failures', () => {
  it('in Node, reports the address as unreachable without a probe', async () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) });
    const { fetch, calls } = fakeFetch(refused);
    const error = await failure(collect(streamChat(ENDPOINT, REQUEST, { fetch })));
    expect(error.code).toBe('server-unreachable');
    expect(error.message).toContain('Nothing answered at http://gpu-box:8000/v1 (the connection was refused');
    expect(calls).toHaveLength(1);
  });

  it('in a browser, tells CORS from nothing there with a no-cors request to the same address', async () => {
    vi.stubGlobal('location', { origin: 'http://localhost:5173' });
    const cors = fakeFetch(new TypeError('Failed to fetch'), new Response(null, { status: 200 }));
    const blocked = await failure(collect(streamChat(ENDPOINT, REQUEST, { fetch: cors.fetch })));
    expect(blocked.code).toBe('server-cors');
    expect(blocked.message).toContain(`--allowed-origins '["http://localhost:5173"]'`);
    expect(cors.calls[1]).toEqual({
      url: 'http://gpu-box:8000/v1/chat/completions',
      init: { mode: 'no-cors', signal: null },
    });

    const down = fakeFetch(new TypeError('Failed to fetch'), new TypeError('Failed to fetch'));
    expect((await failure(collect(streamChat(ENDPOINT, REQUEST, { fetch: down.fetch })))).code).toBe(
      'server-unreachable',
    );
  });

  it('a stop during the request is a stop, not a network error', async () => {
    const controller = new AbortController();
    const fetch = ((_url: string, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => {
          reject(new DOMException('aborted', 'AbortError'));
        });
        controller.abort();
      })) as typeof globalThis.fetch;
    await expect(collect(streamChat(ENDPOINT, { ...REQUEST, signal: controller.signal }, { fetch }))).rejects.toThrow(
      AbortedError,
    );
  });
});

describe('listModels', () => {
  it('returns the ids from GET <base>/models', async () => {
    const { fetch, calls } = fakeFetch(
      Response.json({ object: 'list', data: [{ id: 'a', object: 'model' }, { id: 'b' }] }),
    );
    expect(await listModels({ baseUrl: 'http://gpu-box:8000/v1//', apiKey: 'k-123' }, undefined, { fetch })).toEqual([
      'a',
      'b',
    ]);
    expect(calls[0]?.url).toBe('http://gpu-box:8000/v1/models');
    expect(calls[0]?.init).toMatchObject({ method: 'GET', headers: { Authorization: 'Bearer k-123' } });
  });

  it('calls any other reply not the API', async () => {
    for (const reply of [
      new Response('<html>Welcome</html>', { headers: { 'Content-Type': 'text/html' } }),
      Response.json({ models: [] }),
      Response.json({ data: [{ name: 'a' }] }),
    ]) {
      const { fetch } = fakeFetch(reply);
      const error = await failure(listModels({ baseUrl: 'http://gpu-box:8000' }, undefined, { fetch }));
      expect(error.code).toBe('server-protocol');
      expect(error.message).toContain('instead of a list of models');
    }
  });
});
