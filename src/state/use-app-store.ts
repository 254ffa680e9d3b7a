/** React access to the store: components read it through selectors and call its actions. */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { AppState, AppStore } from './app-state.ts';

export const AppStoreContext = createContext<AppStore | null>(null);

/** The part of the state `selector` picks; re-renders when it changes (by `Object.is`). */
export function useAppStore<T>(selector: (state: AppState) => T): T {
  const store = useContext(AppStoreContext);
  if (!store) throw new Error('useAppStore is used outside <AppStoreContext value={store}>.');
  return useStore(store, selector);
}
