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
  | 'internal';

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
  toJSON(): { code: EngineErrorCode; message: string } {
    return { code: this.code, message: this.message };
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
