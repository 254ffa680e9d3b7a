/**
 * The peer's test controls: every injected failure as a client meets it (statuses, bodies,
 * Retry-After, a cut connection, an event that is not JSON, an HTML page, a missing CORS header),
 * applied to exactly the next `times` chat completions; and the request log, which counts the
 * images each request carried and where from, and is cleared by a reset.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPeer, type Peer } from '../../src/node/openai-peer/server.ts';
import { okJson, pngDataUrl, postChat, readEvents, type Completion } from './peer-helpers.ts';

let peer: Peer;
let control: string;
const APP = 'http://app.example';
const hello = [{ role: 'user', content: 'Hello' }];

beforeAll(async () => {
  peer = await startPeer({ port: 0 });
  control = `${peer.url.replace(/\/v1$/, '')}/_peer`;
});

afterAll(async () => {
  await peer.close();
});

beforeEach(async () => {
  await fetch(`${control}/reset`, { method: 'POST' });
});

const inject = async (body: object): Promise<Response> =>
  fetch(`${control}/inject`, { method: 'POST', body: JSON.stringify(body) });

describe('injected failures', () => {
  it.each([
    ['unauthorized', 401, { error: 'Unauthorized' }],
    [
      'forbidden',
      403,
      { error: { message: 'This key may not use this model.', type: 'Forbidden', param: null, code: 403 } },
    ],
    [
      'unknown-model',
      404,
      {
        error: {
          message: 'The model `visionthink-test` does not exist.',
          type: 'NotFoundError',
          param: 'model',
          code: 404,
        },
      },
    ],
    [
      'too-large',
      413,
      {
        error: { message: 'The request body is too large.', type: 'Request Entity Too Large', param: null, code: 413 },
      },
    ],
  ])('%s answers %i with a body a page can read', async (failure, status, body) => {
    await inject({ failure });
    const response = await postChat(peer.url, { model: 'visionthink-test', messages: hello }, { Origin: APP });
    expect(response.status).toBe(status);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(await response.json()).toEqual(body);
  });

  it('rate-limited and unavailable say when to come back, for the next `times` requests only', async () => {
    await inject({ failure: 'rate-limited', times: 2, retryAfter: 7 });
    await inject({ failure: 'unavailable' });
    const statuses: [number, string | null][] = [];
    for (let i = 0; i < 4; i++) {
      const response = await postChat(peer.url, { messages: hello, max_tokens: 1 });
      statuses.push([response.status, response.headers.get('retry-after')]);
      await response.text();
    }
    expect(statuses).toEqual([
      [429, '7'],
      [429, '7'],
      [503, '1'],
      [200, null],
    ]);
  });

  it('cut destroys the connection after some tokens, streamed or not', async () => {
    await inject({ failure: 'cut', times: 2, afterTokens: 2 });
    const streamed = await postChat(peer.url, { messages: hello, stream: true });
    expect(streamed.status).toBe(200);
    await expect(streamed.text()).rejects.toThrow();
    await expect(postChat(peer.url, { messages: hello })).rejects.toThrow();
  });

  it('malformed sends an event that is not JSON after some tokens, and no [DONE]', async () => {
    await inject({ failure: 'malformed', afterTokens: 2 });
    const events = await readEvents(await postChat(peer.url, { messages: hello, stream: true }));
    // The role chunk, two token chunks, then the broken event.
    expect(events.slice(0, 3).every((event) => typeof event === 'object')).toBe(true);
    expect(events).toHaveLength(4);
    expect(typeof events[3]).toBe('string');
    expect(() => JSON.parse(events[3] as string) as unknown).toThrow();
  });

  it('non-openai answers 200 with an HTML page', async () => {
    await inject({ failure: 'non-openai' });
    const response = await postChat(peer.url, { messages: hello }, { Origin: APP });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toMatch(/^<!doctype html>/);
  });

  it('no-cors answers in full without the header a page needs to read it', async () => {
    await inject({ failure: 'no-cors' });
    const response = await postChat(peer.url, { messages: hello }, { Origin: APP });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect((await okJson<Completion>(response)).choices[0]?.finish_reason).toBe('stop');
    const next = await postChat(peer.url, { messages: hello, max_tokens: 1 }, { Origin: APP });
    expect(next.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('applies to chat completions only, and refuses an unknown failure', async () => {
    await inject({ failure: 'unavailable' });
    expect((await fetch(`${peer.url}/models`)).status).toBe(200);
    expect((await postChat(peer.url, { messages: hello })).status).toBe(503);
    const bad = await inject({ failure: 'meteor' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^`failure` must be one of: unauthorized, /);
  });
});

describe('the request log', () => {
  it('records where each request came from and how many images it carried, until a reset', async () => {
    const url = await pngDataUrl('plain', 'red', 56, 56);
    const image = { type: 'image_url', image_url: { url } };
    const body = { messages: [{ role: 'user', content: [image, { type: 'text', text: 'Colour?' }, image] }] };
    await (await postChat(peer.url, body, { Origin: APP, Authorization: 'Bearer anything' })).text();
    await (await fetch(`${peer.url}/models`)).text();
    const { requests } = await okJson<{ requests: Record<string, unknown>[] }>(await fetch(`${control}/log`));
    expect(requests).toEqual([
      {
        method: 'POST',
        path: '/v1/chat/completions',
        origin: APP,
        imageParts: 2,
        bodyBytes: JSON.stringify(body).length,
        authorization: true,
      },
      { method: 'GET', path: '/v1/models', origin: null, imageParts: 0, bodyBytes: 0, authorization: false },
    ]);
    await fetch(`${control}/reset`, { method: 'POST' });
    expect(await okJson(await fetch(`${control}/log`))).toEqual({ requests: [] });
  });
});
