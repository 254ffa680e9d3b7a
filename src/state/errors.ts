/**
 * Errors the app shows: the engine's codes plus those of steps the page does itself (reading
 * an address, downloading an image). Each carries a sequence number so the banner shows the
 * most recent one.
 */
import type { EngineErrorCode } from '../engine/errors.ts';

export type AppErrorCode =
  | EngineErrorCode
  /** The image address is not an http(s) URL. */
  | 'invalid-url'
  /** The image could not be downloaded. */
  | 'fetch-failed'
  /** The file or download is not an image. */
  | 'not-an-image'
  /** A question was asked before the model or the image was ready. */
  | 'not-ready';

export interface AppError {
  code: AppErrorCode;
  /** Written for a person. */
  message: string;
  /** Order of appearance across the whole app (higher is newer). */
  seq: number;
  /** How long a busy server asked to wait before trying again. */
  retryAfterSeconds?: number;
}

/** A failure of a page-side step, with the code and message the UI shows. */
export class AppFailure extends Error {
  override readonly name = 'AppFailure';
  constructor(
    readonly code: AppErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A new error numbered after every error so far; spread `errorSeq` into the state change. */
export function newError(
  state: { errorSeq: number },
  code: AppErrorCode,
  message: string,
  extra: { retryAfterSeconds?: number } = {},
): { error: AppError; errorSeq: number } {
  const seq = state.errorSeq + 1;
  const wait = extra.retryAfterSeconds;
  return {
    error: { code, message, seq, ...(wait !== undefined && wait > 0 ? { retryAfterSeconds: wait } : {}) },
    errorSeq: seq,
  };
}

/** For a `switch` that must handle every variant. */
export function assertNever(value: never): never {
  throw new Error(`Unhandled variant: ${JSON.stringify(value)}`);
}
