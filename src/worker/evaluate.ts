/**
 * The worker's evaluations: open the dataset's sample, then run the harness (src/eval/) on the
 * loaded model or server, posting each result as it lands. Each item's work goes through the
 * worker's queue, so a question asked meanwhile is answered between two items; replacing the model
 * stops the evaluation, since its results would mix two models.
 */
import { AbortedError, EngineError, ModelLoadError, toEngineError } from '../engine/errors.ts';
import type { VisionModel } from '../engine/vision-model.ts';
import type { ServerBackend } from '../engine/server/server-backend.ts';
import { openDataset } from '../eval/open-dataset.ts';
import { runEvaluation } from '../eval/run-eval.ts';
import type { EngineRequest, ModelChoice, WorkerMessage } from '../protocol/messages.ts';
import type { OpenedImage } from './handler.ts';

type Loaded = VisionModel | ServerBackend;

export interface EvaluatorDeps {
  post(message: WorkerMessage): void;
  /** The worker's queue: one inference at a time. */
  enqueue<T>(work: () => Promise<T>): Promise<T>;
  /** The loaded model or server (read inside the queue). */
  current(): { model: Loaded; choice: ModelChoice } | null;
  openImage(image: Blob): Promise<OpenedImage>;
  /** The dataset viewer's base URL (tests point it at a local server). */
  hubBaseUrl?: string;
}

export interface Evaluator {
  evaluate(request: Extract<EngineRequest, { type: 'evaluate' }>): Promise<void>;
  /** Stops evaluation `requestId`; false when there is none. */
  cancel(requestId: number): boolean;
  /** Stops every evaluation because the model it runs on is being replaced. */
  stopForModelChange(): void;
}

const MODEL_CHANGED =
  'The evaluation stopped because the model was replaced (another one was loaded, or the device failed and it was loaded again). With the model it ran on loaded, press Resume to continue.';

export function createEvaluator(deps: EvaluatorDeps): Evaluator {
  const running = new Map<number, { controller: AbortController; modelChanged: boolean }>();

  async function evaluate(request: Extract<EngineRequest, { type: 'evaluate' }>): Promise<void> {
    const { requestId } = request;
    const state = { controller: new AbortController(), modelChanged: false };
    running.set(requestId, state);
    const { signal } = state.controller;
    try {
      const loaded = await deps.enqueue(() => Promise.resolve(deps.current()));
      if (!loaded) throw new ModelLoadError('model-missing', 'No model is loaded yet: load one, then evaluate.');
      const dataset = await openDataset(request.dataset, {
        limit: request.limit,
        seed: request.seed,
        signal,
        ...(deps.hubBaseUrl === undefined ? {} : { hubBaseUrl: deps.hubBaseUrl }),
      });
      const { choice } = loaded;
      deps.post({
        type: 'eval-started',
        requestId,
        dataset: dataset.info,
        itemIds: [...dataset.items.map((item) => item.id), ...dataset.skipped.map((item) => item.itemId)],
        model: choice.server ? choice.server.model : choice.id,
        backend: choice.server ? choice.server.baseUrl : 'local',
      });
      for (const skipped of dataset.skipped) {
        deps.post({ type: 'eval-event', requestId, event: { type: 'skip', skipped } });
      }
      const events = runEvaluation({
        backend: loaded.model,
        dataset: dataset.info,
        items: dataset.items,
        policies: request.policies,
        threshold: request.threshold,
        maxVisualTokens: request.maxVisualTokens,
        openImage: (bytes) => deps.openImage(new Blob([bytes as Uint8Array<ArrayBuffer>])),
        done: new Set(request.done),
        signal,
        schedule: (work) =>
          deps.enqueue(() => {
            if (deps.current()?.model !== loaded.model) {
              state.modelChanged = true;
              throw new EngineError('model-changed', MODEL_CHANGED);
            }
            return work();
          }),
      });
      for await (const event of events) deps.post({ type: 'eval-event', requestId, event });
      deps.post({ type: 'eval-finished', requestId });
    } catch (error) {
      const failure = state.modelChanged
        ? new EngineError('model-changed', MODEL_CHANGED)
        : signal.aborted
          ? new AbortedError()
          : toEngineError(error);
      deps.post({ type: 'failed', requestId, error: failure.toJSON() });
    } finally {
      running.delete(requestId);
    }
  }

  return {
    evaluate,
    cancel(requestId) {
      const state = running.get(requestId);
      state?.controller.abort();
      return state !== undefined;
    },
    stopForModelChange() {
      for (const state of running.values()) {
        state.modelChanged = true;
        state.controller.abort();
      }
    },
  };
}
