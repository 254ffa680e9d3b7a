/**
 * The browser's storage: as the storage panel needs it (the files transformers.js cached in Cache
 * Storage, `transformers-cache`, the origin's estimate and persistence), and the small values the
 * app remembers between visits (localStorage).
 */
import type { Preferences, StorageAccess } from './dependencies.ts';

/** The cache transformers.js stores model files in (its `env.cacheKey`). */
const MODEL_CACHE = 'transformers-cache';

async function sizeOf(response: Response): Promise<number> {
  const header = Number(response.headers.get('content-length'));
  if (Number.isFinite(header) && header > 0) return header;
  return (await response.blob()).size;
}

export function browserStorage(): StorageAccess {
  return {
    cachedFiles: async () => {
      if (typeof caches === 'undefined') return null;
      const cache = await caches.open(MODEL_CACHE);
      const requests = await cache.keys();
      return Promise.all(
        requests.map(async (request) => {
          const response = await cache.match(request);
          return { url: request.url, bytes: response ? await sizeOf(response) : 0 };
        }),
      );
    },
    deleteFiles: async (urls) => {
      if (typeof caches === 'undefined') return;
      const cache = await caches.open(MODEL_CACHE);
      await Promise.all(urls.map((url) => cache.delete(url)));
    },
    estimate: async () => {
      if (!('storage' in navigator) || typeof navigator.storage.estimate !== 'function') return null;
      const { usage, quota } = await navigator.storage.estimate();
      return usage === undefined || quota === undefined ? null : { usage, quota };
    },
    persisted: async () =>
      'storage' in navigator && typeof navigator.storage.persisted === 'function'
        ? navigator.storage.persisted()
        : null,
    persist: async () =>
      'storage' in navigator && typeof navigator.storage.persist === 'function' ? navigator.storage.persist() : null,
  };
}

/** localStorage, or nothing where the browser blocks it (reading `localStorage` itself may throw). */
export function browserPreferences(): Preferences {
  const local = (): Storage | null => {
    try {
      return window.localStorage;
    } catch {
      return null;
    }
  };
  return {
    get: (key) => {
      try {
        return local()?.getItem(key) ?? null;
      } catch {
        return null;
      }
    },
    set: (key, value) => {
      try {
        local()?.setItem(key, value);
      } catch {
        // Full or blocked: the value is kept for this visit only (the store has it).
      }
    },
    remove: (key) => {
      try {
        local()?.removeItem(key);
      } catch {
        // Blocked: nothing was stored either.
      }
    },
  };
}
