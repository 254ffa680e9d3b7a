/// <reference types="vite/client" />
/**
 * What the store needs from the browser, injected so that the store runs (and is tested) in
 * Node, where `URL.createObjectURL` and `location` do not exist.
 */
import { browserPreferences, browserStorage } from './browser-storage.ts';
import { browserEvalStore } from './eval-storage.ts';
import { modelChoices, type AppModelChoice } from './model-choices.ts';

/** Object URLs for previews and round thumbnails; every URL created is revoked when replaced. */
export interface ObjectUrls {
  create(blob: Blob): string;
  revoke(url: string): void;
}

/** The browser's storage, as the storage panel uses it; every method may reject or answer null when unsupported. */
export interface StorageAccess {
  /** The model files the browser has cached (URL and size in bytes); null without Cache Storage. */
  cachedFiles(): Promise<{ url: string; bytes: number }[] | null>;
  deleteFiles(urls: readonly string[]): Promise<void>;
  estimate(): Promise<{ usage: number; quota: number } | null>;
  persisted(): Promise<boolean | null>;
  persist(): Promise<boolean | null>;
}

/**
 * Small values this device keeps between visits (the browser's localStorage). Where storage is
 * blocked (a private window, a policy), reads answer null and writes do nothing: the app works,
 * it just forgets.
 */
export interface Preferences {
  get(key: string): string | null;
  set(key: string, value: string): void;
  remove(key: string): void;
}

/**
 * Where the evaluation view keeps its latest run between visits (IndexedDB). Every method may
 * reject (a full quota, a private window, no IndexedDB at all); what `load` answers is checked
 * before use, as an older version of the app may have written it.
 */
export interface EvalStore {
  /** The saved run, or undefined when there is none. */
  load(): Promise<unknown>;
  save(value: unknown): Promise<void>;
  clear(): Promise<void>;
}

/**
 * The `view` key of the page's query string (`?view=evaluate`): which view the address opens.
 * Not the hash, which belongs to share links (see share-link.ts).
 */
export interface ViewAddress {
  read(): string | null;
  /** Rewrites the address in place (no reload, no history entry); null removes the key. */
  write(view: string | null): void;
}

export type FetchFn = (url: string, init?: RequestInit) => Promise<Response>;

export interface AppDependencies {
  urls: ObjectUrls;
  fetch: FetchFn;
  /** Milliseconds from a monotonic clock (for load time and time to answer). */
  now: () => number;
  /** Absolute URL of the app's base folder, ending in '/' (samples and local models live under it). */
  baseUrl: string;
  models: readonly AppModelChoice[];
  /** The page's URL hash (with its '#'), read for a share link on startup. */
  hash: () => string;
  storage: StorageAccess;
  /** What the app remembers on this device (the model server's address, and its key when asked to). */
  preferences: Preferences;
  /** Calls `listener` with the new hash whenever the hash changes (a share link pasted into the address bar). */
  onHashChange: (listener: (hash: string) => void) => void;
  /** Milliseconds since the epoch (the dates of an evaluation report). */
  wallClock: () => number;
  evalStore: EvalStore;
  view: ViewAddress;
}

/** The real browser: object URLs, `fetch`, `performance.now()`, the page's base URL. */
export function browserDependencies(): AppDependencies {
  const baseUrl = new URL(import.meta.env.BASE_URL, location.href).href;
  return {
    urls: {
      create: (blob) => URL.createObjectURL(blob),
      revoke: (url) => {
        URL.revokeObjectURL(url);
      },
    },
    fetch: (url, init) => fetch(url, init),
    now: () => performance.now(),
    baseUrl,
    models: modelChoices(),
    storage: browserStorage(),
    preferences: browserPreferences(),
    hash: () => location.hash,
    onHashChange: (listener) => {
      window.addEventListener('hashchange', () => {
        listener(location.hash);
      });
    },
    wallClock: () => Date.now(),
    evalStore: browserEvalStore(),
    view: {
      read: () => new URLSearchParams(location.search).get('view'),
      write: (view) => {
        const url = new URL(location.href);
        if (view === null) url.searchParams.delete('view');
        else url.searchParams.set('view', view);
        history.replaceState(history.state, '', url);
      },
    },
  };
}
