/**
 * Runs an evaluation: every item of a sample, asked under every policy, through the same
 * `Conversation` the app and the CLI use (never a second loop), on whichever backend answers.
 * Platform pieces (opening an image's bytes) are injected, so Node and the worker share it.
 */
import { AbortedError, toEngineError } from '../engine/errors.ts';
import { EventChannel } from '../engine/event-channel.ts';
import type { ImageSource } from '../engine/image.ts';
import type { PolicyId } from '../engine/policies.ts';
import { askItem, type AskSettings } from './ask-item.ts';
import { resultKey } from './sweep.ts';
import type { EvalEvent, EvalItem } from './types.ts';

export type { EvalEvent } from './types.ts';

/** An opened image; `close` frees its decoded pixels once every policy has asked about it. */
export type OpenedImage = ImageSource & { close?: () => void };

export interface EvalRunOptions extends AskSettings {
  items: readonly EvalItem[];
  policies: readonly PolicyId[];
  /** Items asked at once (a server answers them in parallel; a model in this process one at a time). */
  concurrency?: number;
  /** Decodes an item's bytes (sharp in Node, an ImageBitmap in the worker). */
  openImage(bytes: Uint8Array, signal: AbortSignal): Promise<OpenedImage>;
  /** Results recorded by an earlier run of the same sample (resume): these are not asked again. */
  done?: ReadonlySet<string>;
  /**
   * Runs the questions about one item (the worker passes its queue, so a question asked meanwhile
   * is answered between two items; the image is fetched and decoded before, outside it); default:
   * at once.
   */
  schedule?: <T>(work: () => Promise<T>) => Promise<T>;
  signal?: AbortSignal;
}

/**
 * Asks every item under every policy, item by item (so a stopped run has comparable results for
 * all policies); yields each result as it lands. Ends by throwing `AbortedError` when stopped, or
 * the first failure that is not an item's own (see ask-item.ts).
 */
export async function* runEvaluation(options: EvalRunOptions): AsyncGenerator<EvalEvent, void, undefined> {
  const controller = new AbortController();
  const forward = (): void => {
    controller.abort();
  };
  if (options.signal?.aborted) controller.abort();
  options.signal?.addEventListener('abort', forward);
  const channel = new EventChannel<EvalEvent>();
  const push = (event: EvalEvent): void => {
    channel.push(event);
  };
  const pending = options.items.filter((item) =>
    options.policies.some((policy) => !options.done?.has(resultKey(policy, item.id))),
  );
  let next = 0;
  let failure: unknown = undefined;
  const worker = async (): Promise<void> => {
    try {
      while (next < pending.length && !controller.signal.aborted) {
        const item = pending[next++];
        if (item) await evaluateItem(item, options, controller.signal, push);
      }
    } catch (error) {
      // The first failure ends the run; the other workers stop at their next check, and every
      // result that completes before then is still delivered.
      failure ??= error;
      controller.abort();
    }
  };
  const count = Math.max(1, Math.min(options.concurrency ?? 1, pending.length));
  const all = Promise.allSettled(Array.from({ length: count }, worker)).finally(() => {
    channel.close();
  });
  try {
    yield* channel;
    await all;
    if (failure !== undefined && !(failure instanceof AbortedError)) throw toEngineError(failure);
    if (controller.signal.aborted) throw new AbortedError();
  } finally {
    controller.abort();
    options.signal?.removeEventListener('abort', forward);
    await all;
  }
}

/** Every policy still to ask about one item, one after another on one decoded image. */
async function evaluateItem(
  item: EvalItem,
  options: EvalRunOptions,
  signal: AbortSignal,
  push: (event: EvalEvent) => void,
): Promise<void> {
  let image: OpenedImage;
  try {
    image = await options.openImage(await item.image(signal), signal);
  } catch (error) {
    if (signal.aborted) throw new AbortedError();
    const reason = error instanceof Error ? error.message : String(error);
    push({ type: 'skip', skipped: { itemId: item.id, reason } });
    return;
  }
  const askAll = async (): Promise<void> => {
    for (const policy of options.policies) {
      if (signal.aborted) throw new AbortedError();
      if (options.done?.has(resultKey(policy, item.id))) continue;
      // A result that completed as Stop arrived is still a real result: it is kept.
      push({ type: 'item', result: await askItem(item, image, policy, options, signal) });
    }
  };
  try {
    await (options.schedule ? options.schedule(askAll) : askAll());
  } finally {
    image.close?.();
  }
}
