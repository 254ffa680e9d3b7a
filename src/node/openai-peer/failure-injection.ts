/**
 * The peer's test controls, which are not part of the OpenAI API: failures injected into the next
 * chat completions (`POST /_peer/inject`), and the log of the requests received (`GET /_peer/log`),
 * which says where images went without recording them (nor any key). `POST /_peer/reset` clears
 * both. They need no key and send no CORS headers: tests drive them from Node.
 */
import type { ServerResponse } from 'node:http';
import { sendJson } from './http-layer.ts';
import { errorBody } from './peer-error.ts';

/** The failures a test can ask for; each is what some real server or proxy does. */
export const FAILURES = [
  /** 401 with vLLM's body for a wrong key (CORS headers kept, so a page can read it). */
  'unauthorized',
  /** 403, as a proxy in front of the server answers. */
  'forbidden',
  /** 404 "The model `x` does not exist." */
  'unknown-model',
  /** 413, as a proxy with a body limit answers. */
  'too-large',
  /** 429 with Retry-After. */
  'rate-limited',
  /** 503 with Retry-After. */
  'unavailable',
  /** Streams `afterTokens` tokens, then destroys the connection. */
  'cut',
  /** Streams `afterTokens` tokens, then an event whose data is not JSON, then ends the stream. */
  'malformed',
  /** 200 with an HTML page: some other kind of server at the address. */
  'non-openai',
  /** Answers normally but without CORS headers, so a page cannot read the answer. */
  'no-cors',
] as const;
export type FailureKind = (typeof FAILURES)[number];

export interface Injection {
  failure: FailureKind;
  /** How many more chat completions it applies to. */
  times: number;
  /** Seconds for Retry-After (429 and 503); null sends none. */
  retryAfter: number | null;
  /** Tokens streamed before `cut` or `malformed` strikes. */
  afterTokens: number;
}

/** One request as `GET /_peer/log` reports it. */
export interface LoggedRequest {
  method: string;
  path: string;
  /** The Origin header (null without one): which page sent it. */
  origin: string | null;
  /** Image parts in a chat request's messages. */
  imageParts: number;
  bodyBytes: number;
  /** Whether an Authorization header came with it (the key itself is never recorded). */
  authorization: boolean;
}

export class PeerControls {
  #injections: Injection[] = [];
  #log: LoggedRequest[] = [];

  /** Queues an injection from the body of `POST /_peer/inject`; the message of a bad one is for a person. */
  inject(body: unknown): Injection {
    if (typeof body !== 'object' || body === null) throw new Error('The body must be a JSON object.');
    const { failure, times = 1, retryAfter = 1, afterTokens = 2 } = body as Record<string, unknown>;
    if (!FAILURES.includes(failure as FailureKind))
      throw new Error(`\`failure\` must be one of: ${FAILURES.join(', ')}.`);
    if (!Number.isInteger(times) || (times as number) < 1) throw new Error('`times` must be a whole number from 1.');
    if (retryAfter !== null && (typeof retryAfter !== 'number' || retryAfter < 0))
      throw new Error('`retryAfter` must be a number of seconds, or null for no Retry-After header.');
    if (!Number.isInteger(afterTokens) || (afterTokens as number) < 0)
      throw new Error('`afterTokens` must be a whole number from 0.');
    const injection: Injection = {
      failure: failure as FailureKind,
      times: times as number,
      retryAfter,
      afterTokens: afterTokens as number,
    };
    this.#injections.push(injection);
    return injection;
  }

  /** The failure for the chat completion arriving now (null when none is due); counts it as applied. */
  takeFailure(): Injection | null {
    const next = this.#injections[0];
    if (!next) return null;
    next.times -= 1;
    if (next.times === 0) this.#injections.shift();
    return { ...next };
  }

  record(entry: LoggedRequest): void {
    this.#log.push(entry);
  }

  get log(): readonly LoggedRequest[] {
    return this.#log;
  }

  /** Clears the injections and the log. */
  reset(): void {
    this.#injections = [];
    this.#log = [];
  }
}

/** The page `non-openai` answers with: what a web server that is not a model server sends. */
const NOT_AN_API_PAGE =
  '<!doctype html>\n<html><head><title>Welcome</title></head><body><h1>It works!</h1><p>This is not an OpenAI-compatible API.</p></body></html>\n';

/** Answers with an injected failure; false for those that change the answer instead of replacing it. */
export function answerInjected(
  injection: Injection,
  response: ServerResponse,
  cors: Record<string, string>,
  json: unknown,
): boolean {
  // A browser page reads Retry-After only when the answer exposes it (it is not a CORS-safelisted
  // header): as a rate-limiting proxy in front of a model server must, for the page to show it.
  const retry: Record<string, string> =
    injection.retryAfter === null
      ? {}
      : {
          'Retry-After': String(injection.retryAfter),
          ...(cors['Access-Control-Allow-Origin'] ? { 'Access-Control-Expose-Headers': 'Retry-After' } : {}),
        };
  const model = typeof json === 'object' && json !== null ? (json as { model?: unknown }).model : undefined;
  const requested = typeof model === 'string' ? model : '';
  switch (injection.failure) {
    case 'unauthorized':
      sendJson(response, 401, { error: 'Unauthorized' }, cors);
      return true;
    case 'forbidden':
      sendJson(response, 403, errorBody(403, 'This key may not use this model.', 'Forbidden'), cors);
      return true;
    case 'unknown-model':
      sendJson(
        response,
        404,
        errorBody(404, `The model \`${requested}\` does not exist.`, 'NotFoundError', 'model'),
        cors,
      );
      return true;
    case 'too-large':
      sendJson(response, 413, errorBody(413, 'The request body is too large.', 'Request Entity Too Large'), cors);
      return true;
    case 'rate-limited':
      sendJson(response, 429, errorBody(429, 'Too many requests: try again later.', 'Too Many Requests'), {
        ...cors,
        ...retry,
      });
      return true;
    case 'unavailable':
      sendJson(response, 503, errorBody(503, 'The server is busy: try again later.', 'Service Unavailable'), {
        ...cors,
        ...retry,
      });
      return true;
    case 'non-openai':
      response.writeHead(200, { ...cors, 'Content-Type': 'text/html; charset=utf-8' });
      response.end(NOT_AN_API_PAGE);
      return true;
    case 'cut':
    case 'malformed':
    case 'no-cors':
      return false;
  }
}
