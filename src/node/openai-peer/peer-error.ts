/**
 * Errors the peer answers with, in the body shape of the current vLLM OpenAI server:
 * `{"error": {"message", "type", "param", "code"}}` with `code` the HTTP status (vLLM's
 * `ErrorResponse`; versions before 0.11 answered `{"object": "error", "message", …}` at the top level).
 */

/** The JSON body of an error response. */
export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: number };
}

/** vLLM's error body for `status`. */
export function errorBody(status: number, message: string, type: string, param: string | null = null): ErrorBody {
  return { error: { message, type, param, code: status } };
}

/** An HTTP error response the peer sends instead of an answer. */
export class PeerHttpError extends Error {
  override readonly name = 'PeerHttpError';
  constructor(
    readonly status: number,
    message: string,
    /** vLLM's error type: `BadRequestError`, `NotFoundError`, or an HTTP reason phrase. */
    readonly type: string,
    readonly param: string | null = null,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  body(): ErrorBody {
    return errorBody(this.status, this.message, this.type, this.param);
  }
}

/** A 400 as vLLM's serving layer raises it (`VLLMValidationError`, `ValueError`). */
export function badRequest(message: string, param: string | null = null): PeerHttpError {
  return new PeerHttpError(400, message, 'BadRequestError', param);
}

/** A 400 as vLLM's request validation (pydantic) raises it: the type is the reason phrase. */
export function invalidBody(message: string): PeerHttpError {
  return new PeerHttpError(400, message, 'Bad Request');
}
