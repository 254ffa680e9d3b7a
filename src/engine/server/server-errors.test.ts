import { describe, expect, it } from 'vitest';
import { ServerError } from '../errors.ts';
import {
  classifyServerFailure,
  displayAddress,
  parseErrorBody,
  parseRetryAfter,
  type FailureContext,
  type ServerFailure,
} from './server-errors.ts';

const KEY = 'sk-secret-key-1234';
const NODE: FailureContext = {
  baseUrl: 'http://gpu-box:8000/v1/',
  model: 'Senqiao/VisionThink-Efficient',
  apiKey: undefined,
  pageOrigin: null,
};
const BROWSER: FailureContext = { ...NODE, pageOrigin: 'https://visionthink.example' };

function http(status: number, body: string, retryAfter: string | null = null): ServerFailure {
  return { kind: 'http', status, statusText: '', retryAfter, body };
}

function classify(failure: ServerFailure, context: FailureContext = NODE): ServerError {
  return classifyServerFailure(failure, context);
}

describe('classifyServerFailure: network', () => {
  const refused = new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
  });

  it('in Node, names the address and the reason in words', () => {
    const error = classify({ kind: 'network', cause: refused, answersWithoutCors: null });
    expect(error.code).toBe('server-unreachable');
    expect(error.message).toBe(
      'Nothing answered at http://gpu-box:8000/v1 (the connection was refused: nothing is listening on that port, ECONNREFUSED). Check the address and that the server is running.',
    );
  });

  it('finds the reason inside an AggregateError (localhost resolving to ::1 and 127.0.0.1)', () => {
    const both = new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' })], 'connect');
    const error = classify({
      kind: 'network',
      cause: new TypeError('fetch failed', { cause: both }),
      answersWithoutCors: null,
    });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('in a browser, an answer to the no-cors probe means CORS blocked the page, with each server’s fix', () => {
    const error = classify(
      { kind: 'network', cause: new TypeError('Failed to fetch'), answersWithoutCors: true },
      BROWSER,
    );
    expect(error.code).toBe('server-cors');
    expect(error.message).toContain(
      'http://gpu-box:8000/v1 is running, but the browser withheld its reply from this page (https://visionthink.example)',
    );
    expect(error.message).toContain(`--allowed-origins '["https://visionthink.example"]'`);
    expect(error.message).toContain('OLLAMA_ORIGINS=https://visionthink.example');
    expect(error.message).toContain("llama.cpp's server allows every origin");
    // vLLM's key check answers before its CORS layer: a refused key looks the same from the page.
    expect(error.message).toContain('or the server needs an API key');
    const withKey = classify(
      { kind: 'network', cause: new TypeError('Failed to fetch'), answersWithoutCors: true },
      { ...BROWSER, apiKey: 'sk-secret-123' },
    );
    expect(withKey.message).toContain('or the API key was not accepted');
    expect(withKey.message).not.toContain('sk-secret-123');
  });

  it('in a browser, no answer to the probe either means nothing is there', () => {
    const error = classify(
      { kind: 'network', cause: new TypeError('Failed to fetch'), answersWithoutCors: false },
      BROWSER,
    );
    expect(error.code).toBe('server-unreachable');
    expect(error.message).toContain('Nothing answered at http://gpu-box:8000/v1. Check the address');
    // An https page asking a plain-http host other than localhost is blocked as mixed content.
    expect(error.message).toContain('served over HTTPS');
    const local = classify(
      { kind: 'network', cause: new TypeError('Failed to fetch'), answersWithoutCors: false },
      { ...BROWSER, baseUrl: 'http://localhost:11434/v1' },
    );
    expect(local.message).not.toContain('HTTPS');
  });
});

describe('classifyServerFailure: HTTP statuses', () => {
  it('401 says whether a key was sent, and never which', () => {
    const noKey = classify(http(401, '{"error":"Unauthorized"}'));
    expect(noKey.code).toBe('server-auth');
    expect(noKey.message).toContain('needs an API key and none was sent (HTTP 401: Unauthorized)');
    const wrongKey = classify(
      http(401, '{"error":{"code":401,"message":"Invalid API Key","type":"authentication_error"}}'),
      { ...NODE, apiKey: KEY },
    );
    expect(wrongKey.code).toBe('server-auth');
    expect(wrongKey.message).toContain('did not accept the API key that was sent (HTTP 401: Invalid API Key)');
  });

  it('403 is an auth error too', () => {
    expect(classify(http(403, ''), { ...NODE, apiKey: KEY }).message).toContain('does not allow the API key');
  });

  it('a missing model names it, from each server’s wording', () => {
    const bodies = [
      [404, '{"error":{"message":"The model `x` does not exist.","type":"NotFoundError","param":"model","code":404}}'],
      [
        404,
        '{"object":"error","message":"The model `x` does not exist.","type":"NotFoundError","param":null,"code":404}',
      ],
      [
        404,
        '{"error":{"message":"model \\"x\\" not found, try pulling it first","type":"not_found_error","param":null,"code":null}}',
      ],
      [400, '{"error":{"code":400,"message":"model not found","type":"invalid_request_error"}}'],
    ] as const;
    for (const [status, body] of bodies) {
      const error = classify(http(status, body));
      expect(error.code).toBe('server-model');
      expect(error.message).toMatch(
        /^The server at http:\/\/gpu-box:8000\/v1 does not serve the model "Senqiao\/VisionThink-Efficient" \(HTTP 40[04]: .+\)\. Pick one of the models the server lists\.$/,
      );
    }
  });

  it('a 404 that is not about the model is a wrong base URL', () => {
    const error = classify(http(404, '{"detail":"Not Found"}'));
    expect(error.code).toBe('server-protocol');
    expect(error.message).toContain('ending in /v1');
    // Listing models asks for no model: its 404 is always the address.
    expect(classify(http(404, 'model not found'), { ...NODE, model: null }).code).toBe('server-protocol');
  });

  it('413 is too large', () => {
    expect(classify(http(413, '<html><body>Request Entity Too Large</body></html>')).code).toBe('server-too-large');
  });

  it('429 and 503 are busy, with Retry-After in seconds or as a date', () => {
    const seconds = classify(http(429, '{"error":{"message":"Rate limit reached"}}', '7'));
    expect(seconds.code).toBe('server-busy');
    expect(seconds.retryAfterSeconds).toBe(7);
    expect(seconds.message).toBe(
      'The server at http://gpu-box:8000/v1 is busy (HTTP 429: Rate limit reached). It asked to wait 7 seconds before trying again.',
    );
    expect(seconds.toJSON()).toEqual({ code: 'server-busy', message: seconds.message, retryAfterSeconds: 7 });

    const now = Date.parse('2026-12-01T10:00:00Z');
    const date = classify(http(503, '', 'Tue, 01 Dec 2026 10:02:00 GMT'), { ...NODE, now });
    expect(date.retryAfterSeconds).toBe(120);
    expect(date.message).toContain('It asked to wait 2 minutes before trying again.');

    const loading = classify(http(503, '{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}'));
    expect(loading.retryAfterSeconds).toBeUndefined();
    expect(loading.message).toBe(
      'The server at http://gpu-box:8000/v1 is busy (HTTP 503: Loading model). Try again in a moment.',
    );
  });

  it('a full context is context-full, from each server’s wording', () => {
    const bodies = [
      `{"error":{"message":"This model's maximum context length is 32768 tokens. However, you requested 1024 output tokens and your prompt contains 32000 input tokens, for a total of 33024 tokens. Please reduce the length of the input prompt or the number of requested output tokens.","type":"BadRequestError","param":"input_tokens","code":400}}`,
      `{"error":{"message":"This model's maximum context length is 32768 tokens. However, you requested 1024 output tokens and your prompt contains 32000 input tokens","type":"BadRequestError","param":null,"code":400}}`.replace(
        "This model's maximum context length is 32768 tokens. However,",
        "You passed 33024 input tokens and requested 1024 output tokens. However, the model's context length is only 32768 tokens,",
      ),
      '{"error":{"code":400,"message":"request (5274 tokens) exceeds the available context size (4096 tokens), try increasing it","type":"exceed_context_size_error","n_prompt_tokens":5274,"n_ctx":4096}}',
      '{"error":{"message":"the prompt is longer than the context length currently available to the model; shorten the prompt, adjust the context length in settings, or use a model with a longer context length","type":"invalid_request_error","param":null,"code":null}}',
      '{"error":"{\\"error\\":{\\"code\\":400,\\"message\\":\\"request (9177 tokens) exceeds the available context size (4096 tokens), try increasing it\\",\\"type\\":\\"exceed_context_size_error\\"}}"}',
      '{"error":{"message":"{\\"error\\":{\\"code\\":400,\\"message\\":\\"request (9177 tokens) exceeds the available context size (4096 tokens), try increasing it\\",\\"type\\":\\"exceed_context_size_error\\"}}","type":"invalid_request_error","param":null,"code":null}}',
    ];
    for (const body of bodies) {
      const error = classify(http(400, body));
      expect(error.code).toBe('context-full');
      expect(error.message).toContain('Start a new conversation');
    }
  });

  it('anything else quotes the server, trimmed and capped', () => {
    const error = classify(
      http(500, `{"error":{"message":"  CUDA out of memory.\\n Tried to allocate ${'x'.repeat(400)}"}}`),
    );
    expect(error.code).toBe('server-error');
    expect(error.message).toMatch(
      /^The server at http:\/\/gpu-box:8000\/v1 reported an error \(HTTP 500: CUDA out of memory\. Tried/,
    );
    expect(error.message.length).toBeLessThan(400);
    expect(
      classify({ kind: 'http', status: 502, statusText: 'Bad Gateway', retryAfter: null, body: '<html>…</html>' })
        .message,
    ).toBe('The server at http://gpu-box:8000/v1 reported an error (HTTP 502: Bad Gateway).');
  });
});

describe('classifyServerFailure: the stream', () => {
  it('an error event mid-stream is classified like an error reply', () => {
    const vllm = classify({
      kind: 'in-stream',
      error: { error: { message: 'Engine loop has died', type: 'InternalServerError', param: null, code: 500 } },
    });
    expect(vllm.code).toBe('server-error');
    expect(vllm.message).toBe(
      'The server at http://gpu-box:8000/v1 reported an error while answering (HTTP 500: Engine loop has died).',
    );
    const full = classify({
      kind: 'in-stream',
      error: {
        error: {
          code: 400,
          message: 'the request exceeds the available context size',
          type: 'exceed_context_size_error',
        },
      },
    });
    expect(full.code).toBe('context-full');
  });

  it('a cut stream, a malformed event, a page that is not the API', () => {
    expect(classify({ kind: 'stream-cut', cause: null }).message).toMatch(
      /^The server's reply stopped before the answer was complete/,
    );
    expect(classify({ kind: 'malformed-event', detail: 'an event is not JSON' }).message).toContain('malformed event');
    const page = classify({ kind: 'not-api', contentType: 'text/html; charset=utf-8', expected: 'stream' });
    expect(page.code).toBe('server-protocol');
    expect(page.message).toBe(
      "The address http://gpu-box:8000/v1 answered, but not as an OpenAI-compatible API (it sent an HTML page instead of a stream of chat-completion events). Check that the base URL is the API's, usually ending in /v1, e.g. http://localhost:8000/v1.",
    );
  });
});

describe('the API key never appears in a message', () => {
  const withKey: FailureContext = {
    ...BROWSER,
    baseUrl: `http://user:${KEY}@gpu-box:8000/v1?key=${KEY}#${KEY}`,
    apiKey: KEY,
  };
  const failures: ServerFailure[] = [
    { kind: 'network', cause: new TypeError(`connect to ${KEY}`), answersWithoutCors: null },
    { kind: 'network', cause: new TypeError('Failed to fetch'), answersWithoutCors: true },
    { kind: 'network', cause: new TypeError('Failed to fetch'), answersWithoutCors: false },
    ...[400, 401, 403, 404, 413, 429, 500, 503].map((status) =>
      http(status, `{"error":{"message":"Invalid API key ${KEY} for model ${KEY}"}}`),
    ),
    http(400, `{"error":"maximum context length exceeded for ${KEY}"}`),
    http(418, `plain text with the key ${KEY} in it`),
    { kind: 'in-stream', error: { error: { message: `key ${KEY}`, code: 500 } } },
    { kind: 'not-api', contentType: 'text/html', expected: 'models' },
    { kind: 'stream-cut', cause: new Error(KEY) },
    { kind: 'malformed-event', detail: 'an event is not JSON' },
  ];
  const named = failures.map(
    (failure) => [failure.kind === 'http' ? `http ${failure.status}` : failure.kind, failure] as const,
  );
  it.each(named)('%s', (_name, failure) => {
    for (const context of [withKey, { ...withKey, pageOrigin: null }, { ...withKey, model: null }]) {
      const error = classifyServerFailure(failure, context);
      expect(error.message).not.toContain(KEY);
      expect(JSON.stringify(error.toJSON())).not.toContain(KEY);
      expect(error.message).not.toContain('user:');
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-12-01T10:00:00.000Z');
  it.each([
    ['0', 0],
    ['120', 120],
    [' 5 ', 5],
    ['1.2', 2],
    ['Tue, 01 Dec 2026 10:00:30 GMT', 30],
    ['Tue, 01 Dec 2026 09:00:00 GMT', 0],
  ])('%s → %i s', (value, seconds) => {
    expect(parseRetryAfter(value, now)).toBe(seconds);
  });
  it('rounds a date up to the whole second', () => {
    expect(parseRetryAfter('Tue, 01 Dec 2026 10:00:30 GMT', now + 200)).toBe(30);
  });
  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('parseErrorBody', () => {
  it('reads each server’s error shape', () => {
    expect(parseErrorBody('{"error":"Unauthorized"}').message).toBe('Unauthorized');
    expect(parseErrorBody('{"object":"error","message":"m","type":"BadRequestError","code":400}')).toEqual({
      message: 'm',
      type: 'BadRequestError',
      code: 400,
    });
    expect(parseErrorBody('{"detail":"Not Found"}').message).toBe('Not Found');
    expect(parseErrorBody('404 page not found\n').message).toBe('404 page not found');
    expect(parseErrorBody('<!DOCTYPE html><html></html>').message).toBeNull();
    expect(parseErrorBody('').message).toBeNull();
  });
});

describe('displayAddress', () => {
  it('drops credentials, query, fragment and trailing slashes', () => {
    expect(displayAddress('https://me:pw@host.example:8443/v1/?token=x#y')).toBe('https://host.example:8443/v1');
    expect(displayAddress('http://localhost:11434/v1')).toBe('http://localhost:11434/v1');
    expect(displayAddress('not a url://me:pw@x?token=1')).toBe('not a url://x');
  });
});
