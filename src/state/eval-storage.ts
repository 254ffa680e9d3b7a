/**
 * The evaluation's storage in the browser: one IndexedDB record (idb-keyval) holding the latest
 * run, so its results survive a reload and the run can be resumed.
 */
import { clear, createStore, get, set, type UseStore } from 'idb-keyval';
import type { EvalStore } from './dependencies.ts';

const DATABASE = 'visionthink-web';
const TABLE = 'evaluations';
const KEY = 'latest';

export function browserEvalStore(): EvalStore {
  // Opened on first use: a page that never evaluates never creates the database.
  let store: UseStore | null = null;
  const open = (): UseStore => (store ??= createStore(DATABASE, TABLE));
  // `async`, so that a browser without IndexedDB (a synchronous ReferenceError) rejects too.
  return {
    load: async () => get<unknown>(KEY, open()),
    save: async (value) => set(KEY, value, open()),
    clear: async () => clear(open()),
  };
}
