/** Maps every worker message to one state change (see `AppState.applyWorkerMessage`). */
import type { WorkerMessage } from '../protocol/messages.ts';
import type { AppState, StateChange } from './app-state.ts';
import type { AppDependencies } from './dependencies.ts';
import { assertNever } from './errors.ts';
import { imageFailed, imageOpened } from './image-slice.ts';
import { deviceDetected, fellBack, loadProgressed, sizesLearned, modelFailed, modelLoaded } from './model-slice.ts';
import { roundImageReceived, runEventReceived, runFailed, runRestarted } from './run-events.ts';
import { endedConversation } from './conversation-slice.ts';
import { evalEventReceived, evalFailed, evalFinished, evalStarted } from './eval-events.ts';

/**
 * `change`, and the end of the conversation: the worker frees it whenever it loads a model (its
 * cache lived on the model before), whichever load the message belongs to.
 */
function endingConversation(state: AppState, change: StateChange, deps: AppDependencies): StateChange {
  return state.conversation.open || state.conversation.earlier.length > 0
    ? { ...change, ...endedConversation(state, deps) }
    : change;
}

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
      return model || run ? endingConversation(state, { ...model, ...run }, deps) : null;
    }
    case 'loaded':
      return endingConversation(state, modelLoaded(state, message, deps), deps);
    case 'image-opened': {
      // A new image shown ends the conversation about the last one.
      const change = imageOpened(state, message, deps);
      return change && endingConversation(state, change, deps);
    }
    case 'run-event':
      return runEventReceived(state, message, deps);
    case 'round-image':
      return roundImageReceived(state, message, deps);
    case 'eval-started':
      return evalStarted(state, message, deps);
    case 'eval-event':
      return evalEventReceived(state, message, deps);
    case 'eval-finished':
      return evalFinished(state, message);
    case 'server-models':
      // Answered through the promise of `EngineClient.listServerModels`, never through the store.
      return null;
    case 'failed':
      // Request ids are unique across kinds, so at most one of these matches.
      return (
        modelFailed(state, message) ??
        imageFailed(state, message) ??
        runFailed(state, message) ??
        evalFailed(state, message)
      );
    default:
      return assertNever(message);
  }
}
