/**
 * A question as the loop takes it: its options, the checks it must pass before anything runs, and
 * the loop's fixed limits.
 */
import { checkThreshold } from './confidence.ts';
import { AbortedError, InvalidRequestError } from './errors.ts';
import { yieldToEventLoop } from './yield.ts';

/** At most this many rounds (images or error turns) per question, as in VisionThink. */
export const MAX_ROUNDS = 2;
export const DEFAULT_MAX_NEW_TOKENS = 1024;
/** Longest question accepted, in characters. */
export const MAX_QUESTION_LENGTH = 4000;

/** One question of a conversation. */
export interface TurnRequest {
  question: string;
  /** Per round. */
  maxNewTokens?: number;
  /**
   * The `confidence` policy's threshold, 0 to 1: an answer at low resolution whose confidence is
   * below it is asked again with the full image (default: `DEFAULT_CONFIDENCE_THRESHOLD`).
   */
  threshold?: number;
  /**
   * For benchmarks and tests: what each round says, in order, instead of what the model would
   * choose (the decoder still runs once per token, so costs are real); rounds past the end are free.
   */
  script?: readonly string[];
  signal?: AbortSignal;
}

/** Throws the `AbortedError` of a stopped question. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new AbortedError();
}

/** Cancellation point: pending messages (a Stop) are delivered first, then the signal is read. */
export async function checkpoint(signal: AbortSignal): Promise<void> {
  await yieldToEventLoop();
  throwIfAborted(signal);
}

/** The question trimmed and made safe, and its options checked, with readable errors. */
export function validate(request: TurnRequest): { question: string; maxNewTokens: number; threshold: number } {
  // Control markers typed into a question (e.g. "<|image_pad|>") would be read as real special
  // tokens; a zero-width space keeps them visible as text without their meaning.
  const question = request.question.trim().replaceAll('<|', '<\u200B|');
  if (question.length === 0) {
    throw new InvalidRequestError('empty-question', 'Please type a question about the image.');
  }
  if (question.length > MAX_QUESTION_LENGTH) {
    throw new InvalidRequestError(
      'invalid-option',
      `The question is too long (${question.length} characters; the limit is ${MAX_QUESTION_LENGTH}).`,
    );
  }
  const maxNewTokens = request.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) {
    throw new InvalidRequestError(
      'invalid-option',
      `The answer length limit must be a positive whole number, not ${maxNewTokens}.`,
    );
  }
  return { question, maxNewTokens, threshold: checkThreshold(request.threshold) };
}
