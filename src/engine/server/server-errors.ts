/**
 * What went wrong talking to a model server, as a `ServerError` a person can act on. One pure
 * function decides every case (a network failure, an error status, an error inside the stream),
 * so the client only gathers the facts and the tests can state each rule directly.
 */
import { isRecord } from '../is-record.ts';
import { ServerError, type ServerErrorCode } from '../errors.ts';
import {
  isContextFull,
  parseErrorBody,
  parseErrorValue,
  quote,
  saysModelMissing,
  type ParsedError,
} from './error-body.ts';

export { parseErrorBody } from './error-body.ts';

/** What the client saw fail. */
export type ServerFailure =
  /**
   * `fetch` itself rejected: nothing answered, or the browser hid the answer. `answersWithoutCors`
   * is what a `no-cors` request to the same address found (true: something answered, so CORS
   * blocked the real one); null where no such probe was made (Node, which has no CORS).
   */
  | { kind: 'network'; cause: unknown; answersWithoutCors: boolean | null }
  /** An error status; `body` is the reply's text, `retryAfter` its `Retry-After` header. */
  | { kind: 'http'; status: number; statusText: string; retryAfter: string | null; body: string }
  /** A `data: {"error": …}` event (vLLM, llama.cpp) after the stream had started. */
  | { kind: 'in-stream'; error: unknown }
  /** A success status whose reply is not the API's: an HTML page, JSON without `choices`, … */
  | { kind: 'not-api'; contentType: string | null; expected: 'stream' | 'models' }
  /** The stream ended before the choice finished: the connection closed or broke mid-answer. */
  | { kind: 'stream-cut'; cause: unknown }
  /** An event that is not JSON, or JSON without a chat-completion chunk's shape. */
  | { kind: 'malformed-event'; detail: string };

/** Where the request went and what it carried, to write the message. */
export interface FailureContext {
  /** The base URL as configured (credentials and query are never shown). */
  baseUrl: string;
  /** The model asked for; null for `GET /models`. */
  model: string | null;
  /** The API key, to say whether one was sent and to keep it out of every message. */
  apiKey: string | undefined;
  /** The page's origin in a browser (what CORS checks); null in Node. */
  pageOrigin: string | null;
  /** For `Retry-After` dates; defaults to the clock. */
  now?: number;
}

/** The one place a failure becomes a message. */
export function classifyServerFailure(failure: ServerFailure, context: FailureContext): ServerError {
  const address = displayAddress(context.baseUrl);
  const make = (code: ServerErrorCode | 'context-full', message: string, retryAfterSeconds?: number): ServerError =>
    // Only a thrown error is kept as the cause: a reply's body could repeat the key.
    new ServerError(code, redact(message, context.apiKey), retryAfterSeconds, {
      cause: 'cause' in failure ? failure.cause : undefined,
    });

  switch (failure.kind) {
    case 'network':
      return failure.answersWithoutCors === true
        ? make('server-cors', corsMessage(address, context.pageOrigin ?? 'this page', context.apiKey !== undefined))
        : make('server-unreachable', unreachableMessage(address, failure.cause, context.pageOrigin));
    case 'http':
      return classifyStatus(failure, address, context, make);
    case 'in-stream': {
      const parsed = parseErrorValue(failure.error);
      const status = typeof parsed.code === 'number' && parsed.code >= 400 ? parsed.code : 500;
      return classifyStatus(
        { kind: 'http', status, statusText: '', retryAfter: null, body: '', parsed },
        address,
        context,
        make,
        'while answering',
      );
    }
    case 'not-api':
      return make(
        'server-protocol',
        `The address ${address} answered, but not as an OpenAI-compatible API (it sent ${describeContentType(failure.contentType)} instead of ${failure.expected === 'stream' ? 'a stream of chat-completion events' : 'a list of models'}). Check that the base URL is the API's, usually ending in /v1, e.g. http://localhost:8000/v1.`,
      );
    case 'stream-cut':
      return make(
        'server-stream',
        `The server's reply stopped before the answer was complete: the connection to ${address} closed mid-answer. The server may have restarted or run out of memory; ask again.`,
      );
    case 'malformed-event':
      return make(
        'server-stream',
        `The server at ${address} sent a malformed event in its reply (${failure.detail}), so the answer cannot be read. Check that the address is an OpenAI-compatible API.`,
      );
  }
}

type Make = (code: ServerErrorCode | 'context-full', message: string, retryAfterSeconds?: number) => ServerError;

function classifyStatus(
  failure: ServerFailure & { kind: 'http' } & { parsed?: ParsedError },
  address: string,
  context: FailureContext,
  make: Make,
  when = '',
): ServerError {
  const { status } = failure;
  const parsed = failure.parsed ?? parseErrorBody(failure.body);
  const said = parsed.message ?? (failure.statusText.trim() || null);
  const quote = said === null ? '' : `: ${said}`;
  const http = `HTTP ${status}${quote}`;
  const during = when === '' ? '' : ` ${when}`;

  if (status === 401 || status === 403) {
    const what = status === 401 ? 'did not accept' : 'does not allow';
    return make(
      'server-auth',
      context.apiKey
        ? `The server at ${address} ${what} the API key that was sent (${http}). Check the key in the server settings.`
        : `The server at ${address} needs an API key and none was sent (${http}). Enter the key the server was started with in the server settings.`,
    );
  }
  if (isContextFull(parsed)) {
    return make(
      'context-full',
      `The conversation no longer fits the model's context on the server (${http}). Start a new conversation, ask for a shorter answer, or give the server a longer context (vLLM --max-model-len, llama.cpp --ctx-size, Ollama num_ctx).`,
    );
  }
  if (context.model !== null && (status === 404 || status === 400) && saysModelMissing(parsed.message)) {
    return make(
      'server-model',
      `The server at ${address} does not serve the model "${context.model}" (${http}). Pick one of the models the server lists.`,
    );
  }
  if (status === 404) {
    return make(
      'server-protocol',
      `The address ${address} answered, but has no OpenAI-compatible API there (${http}). Check that the base URL is the API's, usually ending in /v1, e.g. http://localhost:8000/v1.`,
    );
  }
  if (status === 413) {
    return make(
      'server-too-large',
      `The server at ${address} refused the request as too large (${http}): the image is bigger than it accepts. Use a smaller image, or raise the server's (or its proxy's) request size limit.`,
    );
  }
  if (status === 429 || status === 503) {
    const seconds = parseRetryAfter(failure.retryAfter, context.now ?? Date.now());
    const wait =
      seconds === undefined
        ? 'Try again in a moment.'
        : `It asked to wait ${formatSeconds(seconds)} before trying again.`;
    return make('server-busy', `The server at ${address} is busy${during} (${http}). ${wait}`, seconds);
  }
  return make('server-error', `The server at ${address} reported an error${during} (${http}).`);
}

// --- Retry-After -------------------------------------------------------------------------------

/**
 * `Retry-After` in whole seconds, rounded up: either delta-seconds or an HTTP date (a date in the
 * past is 0). Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text));
  // An HTTP date names its day and month; without letters `Date.parse` would read "-5" as a year.
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

function formatSeconds(seconds: number): string {
  if (seconds < 120) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

// --- Network failures --------------------------------------------------------------------------

/**
 * The browser hid a reply that did arrive. Either the origin is not allowed, or the server refused
 * the request before its CORS layer could add the headers: vLLM checks the API key first, so a
 * missing or wrong key looks exactly like this from the page, as does a proxy's size limit.
 */
function corsMessage(address: string, origin: string, keySent: boolean): string {
  const key = keySent
    ? 'the API key was not accepted (vLLM refuses a wrong key before adding CORS headers: check the key)'
    : 'the server needs an API key (vLLM refuses a request without one before adding CORS headers: enter the key)';
  return (
    `The server at ${address} is running, but the browser withheld its reply from this page (${origin}). ` +
    `Either the server does not allow this origin — start vLLM with --allowed-origins '["${origin}"]' (its default allows every origin), ` +
    `or Ollama with OLLAMA_ORIGINS=${origin} (it allows only localhost by default); llama.cpp's server allows every origin — ` +
    `or ${key}. A proxy in front of the server must pass the CORS headers on, Authorization included, on its errors too.`
  );
}

function unreachableMessage(address: string, cause: unknown, pageOrigin: string | null): string {
  const reason = describeCause(cause);
  const detail = reason === null ? '' : ` (${reason})`;
  const mixed =
    pageOrigin?.startsWith('https:') === true && /^http:/i.test(address) && !isLoopback(address)
      ? ' This page is served over HTTPS, and browsers block its requests to plain http:// addresses other than localhost: serve the API over HTTPS.'
      : '';
  return `Nothing answered at ${address}${detail}. Check the address and that the server is running.${mixed}`;
}

/** Node's (undici's) reasons, found anywhere in the cause chain, in words. */
const CAUSES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'the connection was refused: nothing is listening on that port',
  ENOTFOUND: 'the host name could not be found',
  EAI_AGAIN: 'the host name could not be looked up',
  ETIMEDOUT: 'the connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host cannot be reached from here',
  ENETUNREACH: 'the network cannot be reached from here',
  ECONNRESET: 'the connection was closed before a reply',
  UND_ERR_SOCKET: 'the connection was closed before a reply',
  EPROTO: 'the address does not speak HTTPS; try http://',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the address does not speak HTTPS; try http://',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its HTTPS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'its HTTPS certificate is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its HTTPS certificate cannot be verified',
  CERT_HAS_EXPIRED: 'its HTTPS certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its HTTPS certificate is for another host name',
};

function describeCause(cause: unknown): string | null {
  const seen = new Set<unknown>();
  const queue: unknown[] = [cause];
  while (queue.length > 0) {
    const next = queue.shift();
    if (!isRecord(next) || seen.has(next)) continue;
    seen.add(next);
    if (typeof next.code === 'string') {
      const words = CAUSES[next.code];
      if (words !== undefined) return `${words}, ${next.code}`;
    }
    queue.push(next.cause);
    if (Array.isArray(next.errors)) queue.push(...(next.errors as unknown[]));
  }
  if (cause instanceof Error && cause.message !== 'fetch failed' && cause.message !== 'Failed to fetch') {
    const text = quote(cause.message);
    return text === null ? null : text;
  }
  return null;
}

function isLoopback(address: string): boolean {
  try {
    const host = new URL(address).hostname;
    return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || host.startsWith('127.');
  } catch {
    return false;
  }
}

// --- Addresses and secrets ---------------------------------------------------------------------

/**
 * The base URL as it appears in messages: scheme, host, port and path, without credentials, query
 * or fragment (any of which can hold a secret) and without a trailing slash.
 */
export function displayAddress(baseUrl: string): string {
  try {
    const url = new URL(baseUrl.trim());
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return (
      baseUrl
        .trim()
        .replace(/\/\/[^/@]*@/, '//')
        .replace(/[?#].*$/, '')
        .replace(/\/+$/, '') || '(no address)'
    );
  }
}

/** Keys shorter than this are not searched for: too short to be a secret, too likely to be a word. */
const MIN_REDACTED_KEY = 4;

function redact(message: string, apiKey: string | undefined): string {
  const key = apiKey?.trim() ?? '';
  return key.length < MIN_REDACTED_KEY ? message : message.split(key).join('[API key]');
}

function describeContentType(contentType: string | null): string {
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === '') return 'a reply without a content type';
  if (type === 'text/html') return 'an HTML page';
  if (type.endsWith('json')) return 'JSON of another shape';
  return type;
}
