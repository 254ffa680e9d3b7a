/**
 * How each message of an evaluation changes the state: the sample is open (`eval-started`), a
 * result or a skipped item (`eval-event`), the end (`eval-finished`) or a failure (`failed`). Only
 * messages of the evaluate request the store waits for, while it runs, change anything.
 */
import { resultKey } from '../eval/sweep.ts';
import type { ItemResult, SkippedItem } from '../eval/types.ts';
import type { WorkerMessage } from '../protocol/messages.ts';
import type { AppState, StateChange } from './app-state.ts';
import type { AppDependencies } from './dependencies.ts';
import type { EvalRun, EvalState } from './eval-slice.ts';

type Message<T extends WorkerMessage['type']> = Extract<WorkerMessage, { type: T }>;

/** The evaluation, when `requestId` is the request it waits for and it runs; else null. */
function current(state: AppState, requestId: number): (EvalState & { run: EvalRun }) | null {
  const { evaluation } = state;
  if (evaluation.requestId !== requestId || evaluation.status !== 'running' || evaluation.run === null) return null;
  return { ...evaluation, run: evaluation.run };
}

/** `eval-started`: the sample and what answers it; the time left is measured from here. */
export function evalStarted(state: AppState, message: Message<'eval-started'>, deps: AppDependencies): StateChange {
  const evaluation = current(state, message.requestId);
  if (!evaluation) return null;
  const run: EvalRun = {
    ...evaluation.run,
    dataset: message.dataset,
    itemIds: message.itemIds,
    model: message.model,
    backend: message.backend,
  };
  return { evaluation: { ...evaluation, run, pace: { since: deps.now(), results: 0, lastAt: deps.now() } } };
}

/** `results` with `result` in place of any earlier one for the same policy and item. */
function withResult(results: readonly ItemResult[], result: ItemResult): ItemResult[] {
  const key = resultKey(result.policy, result.itemId);
  return [...results.filter((held) => resultKey(held.policy, held.itemId) !== key), result];
}

function withSkipped(skipped: readonly SkippedItem[], item: SkippedItem): SkippedItem[] {
  return [...skipped.filter((held) => held.itemId !== item.itemId), item];
}

/** `eval-event`: a result (an item skipped before and answered now is no longer skipped), or a skipped item. */
export function evalEventReceived(state: AppState, message: Message<'eval-event'>, deps: AppDependencies): StateChange {
  const evaluation = current(state, message.requestId);
  if (!evaluation) return null;
  const { run } = evaluation;
  const { event } = message;
  if (event.type === 'skip') {
    return { evaluation: { ...evaluation, run: { ...run, skipped: withSkipped(run.skipped, event.skipped) } } };
  }
  const now = deps.now();
  const pace = evaluation.pace ?? { since: now, results: 0, lastAt: now };
  return {
    evaluation: {
      ...evaluation,
      run: {
        ...run,
        results: withResult(run.results, event.result),
        skipped: run.skipped.filter((item) => item.itemId !== event.result.itemId),
        finishedAt: new Date(deps.wallClock()).toISOString(),
      },
      pace: { ...pace, results: pace.results + 1, lastAt: now },
    },
  };
}

/** `eval-finished`: every item has been asked under every policy. */
export function evalFinished(state: AppState, message: Message<'eval-finished'>): StateChange {
  const evaluation = current(state, message.requestId);
  if (!evaluation) return null;
  return { evaluation: { ...evaluation, status: 'finished', stopping: false, message: null } };
}

/**
 * `failed` for the evaluate request. Stopped (`aborted`) or stopped by another model
 * (`model-changed`, with the worker's words): `stopped`, to be resumed. Anything else (the
 * dataset cannot be read, the worker stopped): `failed`, with the message. Results stay.
 */
export function evalFailed(state: AppState, message: Message<'failed'>): StateChange {
  const evaluation = current(state, message.requestId);
  if (!evaluation) return null;
  const { code } = message.error;
  const status = code === 'aborted' || code === 'model-changed' ? 'stopped' : 'failed';
  return {
    evaluation: {
      ...evaluation,
      status,
      stopping: false,
      message: code === 'aborted' ? null : message.error.message,
    },
  };
}
