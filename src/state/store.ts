/**
 * The app's store: one zustand store built from slices. It talks to the engine only through an
 * `EngineClient`, and every worker message enters through `applyWorkerMessage`.
 */
import { createStore } from 'zustand/vanilla';
import type { EngineClient } from '../client/engine-client.ts';
import type { AppState, AppStore, SliceContext } from './app-state.ts';
import { browserDependencies, type AppDependencies } from './dependencies.ts';
import { createConversationSlice } from './conversation-slice.ts';
import { createErrorSlice } from './error-slice.ts';
import { persistEvaluation, restoreEvaluation } from './eval-persistence.ts';
import { createEvalSlice } from './eval-slice.ts';
import { createImageSlice } from './image-slice.ts';
import { createModelSlice } from './model-slice.ts';
import { createRunSlice } from './run-slice.ts';
import { createSamplesSlice } from './samples-slice.ts';
import { SERVER_MODEL_ID } from './model-choices.ts';
import { createServerSlice } from './server-slice.ts';
import { createSessionSlice } from './session-slice.ts';
import { createSettingsSlice } from './settings-slice.ts';
import { createShareSlice } from './share-slice.ts';
import { createStorageSlice } from './storage-slice.ts';
import { createViewSlice } from './view-slice.ts';
import { reduceWorkerMessage } from './worker-messages.ts';

/**
 * Creates the store, subscribes it to `client`, starts loading the first model, fetches the
 * sample index and applies the share link in the page's hash, if any. Create it once per page (not inside a component).
 */
export function createAppStore(client: EngineClient, deps: AppDependencies = browserDependencies()): AppStore {
  const context: SliceContext = { client, deps };
  const store = createStore<AppState>()((set, get, api) => ({
    ...createModelSlice(context)(set, get, api),
    ...createImageSlice(context)(set, get, api),
    ...createSamplesSlice(context)(set, get, api),
    ...createSettingsSlice()(set, get, api),
    ...createServerSlice(context)(set, get, api),
    ...createRunSlice(context)(set, get, api),
    ...createConversationSlice(context)(set, get, api),
    ...createSessionSlice()(set, get, api),
    ...createErrorSlice()(set, get, api),
    ...createShareSlice()(set, get, api),
    ...createStorageSlice(context)(set, get, api),
    ...createViewSlice(context)(set, get, api),
    ...createEvalSlice(context)(set, get, api),
    applyWorkerMessage: (message) => {
      const change = reduceWorkerMessage(get(), message, deps);
      if (change) set(change);
    },
  }));
  client.subscribe((message) => {
    store.getState().applyWorkerMessage(message);
    const state = store.getState();
    if (message.type === 'loaded' && state.model.requestId === message.requestId) {
      // The next visit starts with the server again, or with a model in this browser.
      state.rememberSource();
      // The browser may have refused to store the model (quota): say so, and the storage panel updates.
      void state.checkModelStored(message.modelId);
      // A question stopped for a fallback download is asked again, as a fallback without one
      // would, if its image is still the one shown; what the person has typed since stays.
      const { resumeQuestion } = state.model;
      if (resumeQuestion !== null && state.model.status === 'ready') {
        store.setState((current) => ({ model: { ...current.model, resumeQuestion: null } }));
        if (state.image.current?.imageId === resumeQuestion.imageId) {
          state.ask(resumeQuestion.question, { resumed: true });
        }
      }
    }
    // A new image ends the conversation about the last one: its cache is freed now, not at the next question.
    if (message.type === 'image-opened' && state.image.current?.imageId === message.imageId) client.endConversation();
    // A fallback to files stored earlier needs no agreement: they load at once.
    if (message.type === 'fallback' && message.needsDownload) state.loadIfStored();
    // A busy server said how long to wait: Retry counts down.
    state.watchRetryAfter();
  });
  // The server answered last time: the page starts with it (a link may choose otherwise below).
  const { saved } = store.getState().server;
  if (saved !== null) store.setState((state) => ({ model: { ...state.model, selectedId: SERVER_MODEL_ID } }));
  void store.getState().loadSamples();
  // A share link is read on startup and when the hash changes, never written back (see share-slice.ts).
  void store.getState().applyShareLink(deps.hash());
  // Without a model in the link: the default one (loaded at once when it ships with the app or is
  // cached), or the server of last time, connected at once unless it needs a key not remembered.
  // A server named by a link waits for the person to connect.
  const start = store.getState();
  if (start.model.status === 'idle') {
    const reconnect =
      start.model.selectedId === SERVER_MODEL_ID &&
      !start.server.fromLink &&
      saved !== null &&
      (!saved.usedKey || start.server.apiKey !== '');
    if (reconnect) start.connectServer();
    else start.selectModel(start.model.selectedId);
  }
  // Where models will run, known before any download (the size depends on it).
  store.setState((state) => ({ model: { ...state.model, probeRequestId: client.probe() } }));
  deps.onHashChange((hash) => {
    void store.getState().applyShareLink(hash);
  });
  // The evaluation of the last visit, with its results; kept as results land.
  persistEvaluation(store, deps);
  void restoreEvaluation(store, deps);
  return store;
}
