/**
 * The HTTP layers vLLM's FastAPI app puts around its routes, in the same order: the API-key check
 * outermost (so its 401 carries no CORS headers: a browser cannot read it and sees a failed
 * request), then Starlette's `CORSMiddleware` with vLLM's defaults (every method and header
 * allowed, origins from `--allowed-origins`), then the routes. Also the peer's body-size limit.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PeerHttpError } from './peer-error.ts';

/** Starlette's expansion of `allow_methods=["*"]`. */
const ALL_METHODS = 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT';

/** Starlette's CORS behaviour for one list of allowed origins (`*` allows every origin). */
export class CorsPolicy {
  readonly #allowAll: boolean;
  readonly #origins: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.#allowAll = origins.includes('*');
    this.#origins = new Set(origins);
  }

  /** Whether `origin` may read the peer's answers. */
  allows(origin: string): boolean {
    return this.#allowAll || this.#origins.has(origin);
  }

  /** A preflight request (`OPTIONS` with `Origin` and `Access-Control-Request-Method`). */
  static isPreflight(request: IncomingMessage): boolean {
    return (
      request.method === 'OPTIONS' &&
      request.headers.origin !== undefined &&
      request.headers['access-control-request-method'] !== undefined
    );
  }

  /** Answers a preflight: 200 "OK", or 400 "Disallowed CORS origin" for an origin not allowed. */
  answerPreflight(request: IncomingMessage, response: ServerResponse): void {
    const origin = request.headers.origin ?? '';
    const headers: Record<string, string> = this.#allowAll
      ? { 'Access-Control-Allow-Origin': '*' }
      : { Vary: 'Origin', ...(this.allows(origin) ? { 'Access-Control-Allow-Origin': origin } : {}) };
    headers['Access-Control-Allow-Methods'] = ALL_METHODS;
    headers['Access-Control-Max-Age'] = '600';
    const requested = request.headers['access-control-request-headers'];
    // With every header allowed, Starlette mirrors the ones asked for.
    if (requested !== undefined) headers['Access-Control-Allow-Headers'] = requested;
    const body = this.allows(origin) ? 'OK' : 'Disallowed CORS origin';
    response.writeHead(this.allows(origin) ? 200 : 400, {
      ...headers,
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    response.end(body);
  }

  /** The headers of an ordinary answer to a request from `origin` (none without an Origin header). */
  headersFor(origin: string | undefined, cookie: boolean): Record<string, string> {
    if (origin === undefined) return {};
    // A request with cookies gets its origin named rather than `*`, as Starlette does.
    if (this.#allowAll && !cookie) return { 'Access-Control-Allow-Origin': '*' };
    if (this.allows(origin)) return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
    return {};
  }
}

/** vLLM's `AuthenticationMiddleware`: a Bearer token compared by its SHA-256 in constant time. */
export function authorised(request: IncomingMessage, apiKey: string): boolean {
  const header = request.headers.authorization;
  if (!header) return false;
  const space = header.indexOf(' ');
  const scheme = space < 0 ? header : header.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') return false;
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(space < 0 ? '' : header.slice(space + 1)), digest(apiKey));
}

/**
 * The whole body, up to `limit` bytes. A larger one is read to its end without being kept (so
 * the client, still sending, reads the answer rather than a reset connection) and refused with 413.
 */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  if (size > limit) {
    throw new PeerHttpError(
      413,
      `The request body is ${size} bytes, more than this server accepts (${limit} bytes; --max-body-bytes).`,
      'Request Entity Too Large',
    );
  }
  return Buffer.concat(chunks, size);
}

/** Sends `body` as JSON with `status` and `headers`. */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}
