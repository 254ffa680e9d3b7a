/**
 * The app's store: one zustand store built from slices. It talks to the engine only through an
 * `EngineClient`, and every worker message enters through `applyWorkerMessage`.
 */
import { createStore } from 'zustand/vanilla';
import type { EngineClient } from '../client/engine-client.ts';
import type { AppState, AppStore, SliceContext } from './app-state.ts';
import { browserDependencies, type AppDependencies } from './dependencies.ts';
import { createErrorSlice } from './error-slice.ts';
import { createImageSlice } from './image-slice.ts';
import { createModelSlice } from './model-slice.ts';
import { createRunSlice } from './run-slice.ts';
import { createSamplesSlice } from './samples-slice.ts';
import { createSessionSlice } from './session-slice.ts';
import { createSettingsSlice } from './settings-slice.ts';
import { createShareSlice } from './share-slice.ts';
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
    ...createRunSlice(context)(set, get, api),
    ...createSessionSlice()(set, get, api),
    ...createErrorSlice()(set, get, api),
    ...createShareSlice()(set, get, api),
    applyWorkerMessage: (message) => {
      const change = reduceWorkerMessage(get(), message, deps);
      if (change) set(change);
    },
  }));
  client.subscribe((message) => {
    store.getState().applyWorkerMessage(message);
  });
  store.getState().loadModel();
  void store.getState().loadSamples();
  // A share link is read on startup and when the hash changes, never written back (see share-slice.ts).
  void store.getState().applyShareLink(deps.hash());
  deps.onHashChange((hash) => {
    void store.getState().applyShareLink(hash);
  });
  return store;
}
