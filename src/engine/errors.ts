/**
 * Typed errors of the engine. Each carries a stable `code` (for the UI, the CLI and the worker
 * protocol) and a `message` written for a person, not a stack trace.
 */

/** Every error code the engine can produce. */
export type EngineErrorCode =
  | 'invalid-image'
  | 'image-too-small'
  | 'image-too-large'
  | 'aspect-ratio'
  | 'empty-question'
  | 'invalid-option'
  | 'model-missing'
  | 'model-unreachable'
  | 'model-invalid'
  | 'aborted'
  | 'needs-download'
  | 'context-full'
  | 'conversation-lost'
  /** An evaluation's dataset could not be read (the hub unreachable, an unknown split, a bad page). */
  | 'dataset-unavailable'
  /** Another model was loaded during an evaluation: its results would mix two models. */
  | 'model-changed'
  | ServerErrorCode
  | 'internal';

/**
 * Why a model server could not answer (decided in server/server-errors.ts). A full context on the
 * server is `context-full`, as it is locally.
 */
export type ServerErrorCode =
  /** Nothing answered at the address (down, wrong address, no network), or it is not an address. */
  | 'server-unreachable'
  /** The server answered but its CORS headers do not allow this page's origin. */
  | 'server-cors'
  /** 401 or 403: the API key is missing, wrong or not allowed. */
  | 'server-auth'
  /** The server does not serve the model asked for (a 404 or 400 whose message says so). */
  | 'server-model'
  /** 413: the request (the image) is larger than the server accepts. */
  | 'server-too-large'
  /** 429 or 503: the server is busy or rate-limited; `retryAfterSeconds` when it said. */
  | 'server-busy'
  /** The reply stream ended before the answer did, or sent events that are not chat-completion chunks. */
  | 'server-stream'
  /**
   * The reply is not the OpenAI API's: another kind of server at the address, or a 404 for the
   * API's own path (the base URL usually lacks `/v1`).
   */
  | 'server-protocol'
  /** Any other error status the server returned, or an error event inside its stream. */
  | 'server-error';

/** Base class: an error the engine reports to a person. */
export class EngineError extends Error {
  override readonly name: string = 'EngineError';
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The serialisable form used across the worker boundary and by `--json`. */
  toJSON(): ErrorJson {
    return { code: this.code, message: this.message };
  }
}

/** An error as it crosses the worker boundary and appears in `--json`. */
export interface ErrorJson {
  code: EngineErrorCode;
  message: string;
  /** How long the server asked to wait before trying again (`server-busy` with `Retry-After`). */
  retryAfterSeconds?: number;
}

/**
 * A model server could not answer. The message says what happened and what to do, and never
 * contains the API key.
 */
export class ServerError extends EngineError {
  override readonly name = 'ServerError';
  declare readonly code: ServerErrorCode | 'context-full';
  constructor(
    code: ServerErrorCode | 'context-full',
    message: string,
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }

  override toJSON(): ErrorJson {
    return {
      code: this.code,
      message: this.message,
      ...(this.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: this.retryAfterSeconds }),
    };
  }
}

/** The input is not a readable image (wrong format, corrupt or truncated data). */
export class InvalidImageError extends EngineError {
  override readonly name = 'InvalidImageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid-image', message, options);
  }
}

/** The image's dimensions cannot be used (zero size, too large, extreme aspect ratio). */
export class ImageDimensionsError extends EngineError {
  override readonly name = 'ImageDimensionsError';
  declare readonly code: 'image-too-small' | 'image-too-large' | 'aspect-ratio';
}

/** The question or an option is unusable. */
export class InvalidRequestError extends EngineError {
  override readonly name = 'InvalidRequestError';
  declare readonly code: 'empty-question' | 'invalid-option';
}

/**
 * The model folder or repository is missing files, cannot be reached (no connection to the hub)
 * or holds files that cannot be loaded.
 */
export class ModelLoadError extends EngineError {
  override readonly name = 'ModelLoadError';
  declare readonly code: 'model-missing' | 'model-unreachable' | 'model-invalid';
}

/**
 * The device failed and the rung below needs files that are not here yet: they download only
 * once the person agrees (the size is shown first, as for the first download).
 */
export class NeedsDownloadError extends EngineError {
  override readonly name = 'NeedsDownloadError';
  constructor(message: string) {
    super('needs-download', message);
  }
}

/**
 * The conversation cannot go on: the next turn would not fit the model's context or the memory
 * this device allows a conversation (`context-full`), or its cached state is gone, e.g. after the
 * model was reloaded (`conversation-lost`). A new conversation on the same image works.
 */
export class ConversationError extends EngineError {
  override readonly name = 'ConversationError';
  declare readonly code: 'context-full' | 'conversation-lost';
}

/** What a cancelled model load says (see `AbortedError`). */
export const DOWNLOAD_CANCELLED = 'The model download was cancelled.';

/** The run (or a model load) was cancelled through its AbortSignal. */
export class AbortedError extends EngineError {
  override readonly name = 'AbortedError';
  constructor(message = 'The run was stopped.') {
    super('aborted', message);
  }
}

/** Wraps anything unexpected so callers always receive an `EngineError`. */
export function toEngineError(error: unknown): EngineError {
  if (error instanceof EngineError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new EngineError('internal', `Something went wrong while running the model: ${detail}`, {
    cause: error,
  });
}
