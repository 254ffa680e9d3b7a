/** Maps every worker message to one state change (see `AppState.applyWorkerMessage`). */
import type { WorkerMessage } from '../protocol/messages.ts';
import type { AppState, StateChange } from './app-state.ts';
import type { AppDependencies } from './dependencies.ts';
import { assertNever } from './errors.ts';
import { imageFailed, imageOpened } from './image-slice.ts';
import { deviceDetected, fellBack, loadProgressed, sizesLearned, modelFailed, modelLoaded } from './model-slice.ts';
import { roundImageReceived, runEventReceived, runFailed, runRestarted } from './run-events.ts';

/** The change `message` makes to `state`; null for a message of a request the store no longer waits for. */
export function reduceWorkerMessage(state: AppState, message: WorkerMessage, deps: AppDependencies): StateChange {
  switch (message.type) {
    case 'device':
      return deviceDetected(state, message);
    case 'load-progress':
      return loadProgressed(state, message, deps);
    case 'load-sizes':
      return sizesLearned(state, message);
    case 'fallback': {
      const model = fellBack(state, message, deps);
      const run = message.runRequestId === null ? null : runRestarted(state, message.runRequestId, deps);
      return model || run ? { ...model, ...run } : null;
    }
    case 'loaded':
      return modelLoaded(state, message, deps);
    case 'image-opened':
      return imageOpened(state, message, deps);
    case 'run-event':
      return runEventReceived(state, message, deps);
    case 'round-image':
      return roundImageReceived(state, message, deps);
    case 'failed':
      // Request ids are unique across kinds, so at most one of these matches.
      return modelFailed(state, message) ?? imageFailed(state, message) ?? runFailed(state, message);
    default:
      return assertNever(message);
  }
}
