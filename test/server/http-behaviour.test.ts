/**
 * The peer's HTTP behaviour as vLLM's: the API key (a 401 without CORS headers), CORS preflight
 * and origins, the error bodies and statuses of bad requests, the body limit, and the options
 * that make it answer as a server without log-probabilities or cache details.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VisionModel } from '../../src/engine/vision-model.ts';
import { loadModelForNode } from '../../src/node/load-model.ts';
import { startPeer, type Peer } from '../../src/node/openai-peer/server.ts';
import { okJson, pngDataUrl, postChat, readEvents, type Chunk, type Completion } from './peer-helpers.ts';

let model: VisionModel;
let open: Peer;
let keyed: Peer;
let strict: Peer;

const APP = 'http://app.example';
const hello = [{ role: 'user', content: 'Hello' }];

beforeAll(async () => {
  model = await loadModelForNode('visionthink-test');
  open = await startPeer({ model, port: 0, servedModelName: 'visionthink-test' });
  keyed = await startPeer({ model, port: 0, servedModelName: 'visionthink-test', apiKey: 'sesame' });
  strict = await startPeer({
    model,
    port: 0,
    servedModelName: 'visionthink-test',
    allowedOrigins: [APP],
    logprobs: false,
    cachedTokens: false,
    maxBodyBytes: 2000,
    maxModelLen: 200,
  });
});

afterAll(async () => {
  await Promise.all([open.close(), keyed.close(), strict.close()]);
  await model.dispose();
});

const base = (peer: Peer): string => peer.url.replace(/\/v1$/, '');

/** The error body of a response that must fail with `status`. */
async function errorOf(response: Response, status: number) {
  expect(response.status).toBe(status);
  return (await response.json()) as { error: { message: string; type: string; param: string | null; code: number } };
}

describe('the API key', () => {
  it('is required on every /v1 route, with vLLM’s 401 and no CORS headers', async () => {
    for (const authorization of [undefined, 'Bearer wrong', 'sesame', 'Basic sesame']) {
      const response = await fetch(`${keyed.url}/models`, {
        headers: { Origin: APP, ...(authorization ? { Authorization: authorization } : {}) },
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: 'Unauthorized' });
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    }
    const chat = await postChat(keyed.url, { messages: hello });
    expect(chat.status).toBe(401);
  });

  it('lets the right key through, and preflight and /health without one', async () => {
    const models = await fetch(`${keyed.url}/models`, { headers: { Authorization: 'bearer sesame', Origin: APP } });
    expect(models.status).toBe(200);
    expect(models.headers.get('access-control-allow-origin')).toBe('*');
    const preflight = await fetch(`${keyed.url}/chat/completions`, {
      method: 'OPTIONS',
      headers: {
        Origin: APP,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization',
      },
    });
    expect(preflight.status).toBe(200);
    expect((await fetch(`${base(keyed)}/health`)).status).toBe(200);
  });

  it('is never written to the request log', async () => {
    const log = await okJson<{ requests: { authorization: boolean }[] }>(await fetch(`${base(keyed)}/_peer/log`));
    expect(log.requests.some((request) => request.authorization)).toBe(true);
    expect(log.requests.some((request) => !request.authorization)).toBe(true);
    expect(JSON.stringify(log)).not.toContain('sesame');
  });
});

describe('CORS', () => {
  it('answers a preflight from an allowed origin, mirroring the headers asked for', async () => {
    const response = await fetch(`${strict.url}/chat/completions`, {
      method: 'OPTIONS',
      headers: {
        Origin: APP,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('OK');
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
    expect(response.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('vary')).toBe('Origin');
  });

  it('refuses another origin: a 400 preflight, and answers it cannot read', async () => {
    const preflight = await fetch(`${strict.url}/chat/completions`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://elsewhere.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.status).toBe(400);
    expect(await preflight.text()).toBe('Disallowed CORS origin');
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const models = await fetch(`${strict.url}/models`, { headers: { Origin: 'http://elsewhere.example' } });
    expect(models.status).toBe(200);
    expect(models.headers.get('access-control-allow-origin')).toBeNull();
    const allowed = await fetch(`${strict.url}/models`, { headers: { Origin: APP } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP);
  });

  it('allows every origin by default, errors included', async () => {
    const response = await postChat(open.url, { messages: hello, temperature: 0.7 }, { Origin: APP });
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('bad requests', () => {
  it('refuses sampling: the peer decodes greedily only', async () => {
    const { error } = await errorOf(await postChat(open.url, { messages: hello, temperature: 0.7 }), 400);
    expect(error).toEqual({
      message: 'The VisionThink peer decodes greedily only: send temperature 0 or leave it out (got 0.7).',
      type: 'BadRequestError',
      param: 'temperature',
      code: 400,
    });
  });

  it('names an unknown model as vLLM does', async () => {
    const { error } = await errorOf(await postChat(open.url, { model: 'gpt-4o', messages: hello }), 404);
    expect(error).toEqual({
      message: 'The model `gpt-4o` does not exist.',
      type: 'NotFoundError',
      param: 'model',
      code: 404,
    });
  });

  it('refuses a prompt and max_tokens beyond the context with vLLM’s wording', async () => {
    const { error } = await errorOf(await postChat(strict.url, { messages: hello, max_tokens: 190 }), 400);
    expect(error.message).toMatch(
      /^'max_tokens' or 'max_completion_tokens' is too large: 190\. This model's maximum context length is 200 tokens and your request has \d+ input tokens/,
    );
    const long = [{ role: 'user', content: 'word '.repeat(60) }];
    const tooLong = await errorOf(await postChat(strict.url, { messages: long }), 400);
    expect(tooLong.error.message).toMatch(
      /^This model's maximum context length is 200 tokens\. However, your request has \d+ input tokens\./,
    );
  });

  it('takes images as data URLs only, and never downloads one', async () => {
    const messages = [
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] },
    ];
    const { error } = await errorOf(await postChat(open.url, { messages }), 400);
    expect(error.message).toMatch(/data URLs only .*never downloads/);
    const broken = [
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
    ];
    expect((await errorOf(await postChat(open.url, { messages: broken }), 400)).error.message).toMatch(
      /^Image 1 cannot be read/,
    );
  });

  it('refuses top_logprobs, which it cannot report, and features it does not implement', async () => {
    const top = await errorOf(await postChat(open.url, { messages: hello, logprobs: true, top_logprobs: 3 }), 400);
    expect(top.error).toMatchObject({
      message:
        'The VisionThink peer reports only the log-probability of each chosen token, the most likely one: send top_logprobs 0 or 1 (got 3).',
      param: 'top_logprobs',
    });
    const stop = await errorOf(await postChat(open.url, { messages: hello, stop: ['</answer>'] }), 400);
    expect(stop.error.message).toBe('The VisionThink peer does not support `stop` (got ["</answer>"]).');
    const badJson = await fetch(`${open.url}/chat/completions`, { method: 'POST', body: '{"messages": [' });
    expect((await errorOf(badJson, 400)).error.type).toBe('Bad Request');
  });

  it('answers unknown routes and methods as FastAPI does', async () => {
    expect(await (await fetch(`${open.url}/completions`)).json()).toEqual({ detail: 'Not Found' });
    const wrongMethod = await fetch(`${open.url}/chat/completions`);
    expect(wrongMethod.status).toBe(405);
  });

  it('refuses a body over its limit with 413, having read it all', async () => {
    const url = await pngDataUrl('detailed', 'red', 448, 336);
    const messages = [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }] }];
    const { error } = await errorOf(await postChat(strict.url, { messages }, { Origin: APP }), 413);
    expect(error.type).toBe('Request Entity Too Large');
    expect(error.message).toMatch(/more than this server accepts \(2000 bytes; --max-body-bytes\)/);
  });
});

describe('a server that reports less', () => {
  it('answers logprobs null and no prompt token details', async () => {
    const completion = await okJson<Completion>(await postChat(strict.url, { messages: hello, logprobs: true }));
    expect(completion.choices[0]?.logprobs).toBeNull();
    expect(completion.usage.prompt_tokens_details).toBeNull();
    const events = await readEvents(
      await postChat(strict.url, { messages: hello, logprobs: true, stream: true, stream_options: {} }),
    );
    const chunks = events.slice(0, -1) as Chunk[];
    expect(chunks.every((chunk) => chunk.choices.every((choice) => choice.logprobs === null))).toBe(true);
    const usage = chunks.at(-1)?.usage;
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(usage).not.toHaveProperty('prompt_tokens_details');
  });
});
