/**
 * The error replies of model servers, read in every shape vLLM, llama.cpp's server and Ollama send
 * (see server-errors.ts for what each means for a person).
 */

import { isRecord } from '../is-record.ts';

/** Longest stretch of a server's own message quoted back. */
const MAX_QUOTE = 300;

export interface ParsedError {
  /** The server's own words, trimmed and capped; null when it gave none worth quoting. */
  message: string | null;
  /** The machine-readable type (`exceed_context_size_error`, `NotFoundError`, …). */
  type: string | null;
  code: number | string | null;
}

/**
 * The message in an error reply, in every shape the three servers use: vLLM's
 * `{"error": {"message", "type", "param", "code"}}` (before 0.10: the same fields at the top level
 * with `"object": "error"`), `{"error": "Unauthorized"}` from its API-key check, llama.cpp's
 * `{"error": {"code", "message", "type"}}`, Ollama's `{"error": {"message", "type", …}}` on /v1
 * and `{"error": "…"}` elsewhere, FastAPI's `{"detail": …}`, or plain text.
 */
export function parseErrorBody(body: string): ParsedError {
  const text = body.trim();
  if (text === '') return { message: null, type: null, code: null };
  try {
    return parseErrorValue(JSON.parse(text));
  } catch {
    // An HTML error page from a proxy says nothing a person can use beyond the status.
    return { message: text.startsWith('<') ? null : quote(text), type: null, code: null };
  }
}

export function parseErrorValue(value: unknown): ParsedError {
  if (typeof value === 'string') return parseErrorText(value);
  if (!isRecord(value)) return { message: null, type: null, code: null };
  if ('error' in value && value.error !== undefined && value.error !== null) {
    const inner = parseErrorValue(value.error);
    return { ...inner, code: inner.code ?? codeOf(value.code) };
  }
  const own: ParsedError = {
    message: null,
    type: typeof value.type === 'string' ? value.type : null,
    code: codeOf(value.code),
  };
  if (typeof value.message === 'string') {
    const inner = parseErrorText(value.message);
    // A message that is itself an error reply speaks for the server behind this one.
    return inner.type !== null || inner.code !== null ? inner : { ...own, message: inner.message };
  }
  if (typeof value.detail === 'string') return { ...own, message: quote(value.detail) };
  if (value.detail !== undefined) return { ...own, message: quote(JSON.stringify(value.detail)) };
  return own;
}

/**
 * An error's text. Ollama passes the error reply of the llama.cpp server it runs on as the text of
 * its own (`{"error": "{\"error\": {…}}"}`), so text that is a JSON error reply is read as one.
 */
function parseErrorText(text: string): ParsedError {
  if (text.trim().startsWith('{')) {
    const inner = parseErrorBody(text);
    if (inner.message !== null) return inner;
  }
  return { message: quote(text), type: null, code: null };
}

function codeOf(value: unknown): number | string | null {
  return typeof value === 'number' || typeof value === 'string' ? value : null;
}

export function quote(text: string): string | null {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') return null;
  return flat.length > MAX_QUOTE ? `${flat.slice(0, MAX_QUOTE - 1)}…` : flat;
}

/**
 * vLLM: "This model's maximum context length is N tokens. However, you requested …" (newer versions:
 * "… the model's context length is only N tokens …"); llama.cpp:
 * "request (N tokens) exceeds the available context size (M tokens), try increasing it" with type
 * `exceed_context_size_error`; Ollama: "the prompt is longer than the context length …" and "the
 * input length exceeds the context length".
 */
export function isContextFull(parsed: ParsedError): boolean {
  if (parsed.type === 'exceed_context_size_error' || parsed.code === 'context_length_exceeded') return true;
  const message = parsed.message ?? '';
  return (
    /maximum context length/i.test(message) ||
    /context length is only/i.test(message) ||
    /exceeds? the (available )?context (size|length|window)/i.test(message) ||
    /longer than the context length/i.test(message)
  );
}

/**
 * vLLM: "The model `x` does not exist."; Ollama: 'model "x" not found, try pulling it first';
 * llama.cpp's server in router mode: "model not found".
 */
export function saysModelMissing(message: string | null): boolean {
  return message !== null && /model/i.test(message) && /(does not exist|not found|no such|unknown)/i.test(message);
}
