/**
 * One question about one image: a conversation of one turn (see conversation.ts), whose cache is
 * freed when the question ends. Emits a typed event stream; never throws, never leaves a cache.
 */
import { EngineError } from './errors.ts';
import type { EngineEvent, RunResult } from './events.ts';
import { Conversation, type ConversationOptions, type TurnRequest } from './conversation.ts';
import type { VisionModel } from './vision-model.ts';

export { DEFAULT_MAX_NEW_TOKENS, MAX_QUESTION_LENGTH, MAX_ROUNDS } from './conversation.ts';

/** A single question: the conversation's options and the question's. */
export type RunRequest = ConversationOptions & TurnRequest;

/**
 * Runs one question. Iterate the result; the last event is `done` or `error`. Breaking out of
 * the iteration stops the run and frees its cache.
 */
export async function* runVisionThink(
  model: VisionModel,
  request: RunRequest,
): AsyncGenerator<EngineEvent, void, undefined> {
  const conversation = new Conversation(model, request);
  try {
    yield* conversation.ask(request);
  } finally {
    await conversation.dispose();
  }
}

/** Collects a run into its result, throwing the run's error as an `EngineError`. */
export async function askVisionThink(model: VisionModel, request: RunRequest): Promise<RunResult> {
  for await (const event of runVisionThink(model, request)) {
    if (event.type === 'done') return event.result;
    if (event.type === 'error') throw new EngineError(event.error.code, event.error.message);
  }
  throw new Error('The run ended without a result.');
}
