/**
 * The storage panel: which models this browser keeps, how much space they take, the origin's
 * quota, persistent storage, and clearing a model. Model files are cached by transformers.js
 * (Cache Storage); they are matched to the registry by where they were downloaded from.
 */
import type { AppState, Slice, SliceContext } from './app-state.ts';
import { PRECISION_SUFFIX } from '../engine/model-registry.ts';
import { filesPrefix, type AppModelChoice } from './model-choices.ts';

/** A model with files in the browser's cache. */
export interface CachedModel {
  id: string;
  bytes: number;
  files: number;
  /** Every file the selected rung needs is there (so loading needs no download). */
  complete: boolean;
}

export interface StorageState {
  /** `unavailable`: this browser offers no Cache Storage (models download every time). */
  status: 'unknown' | 'reading' | 'ready' | 'unavailable';
  models: readonly CachedModel[];
  /** The origin's usage and quota, in bytes. */
  estimate: { usage: number; quota: number } | null;
  /** Whether the browser promised not to evict this origin's data; null when unknown. */
  persisted: boolean | null;
  /** The model being cleared. */
  clearing: string | null;
  /** One sentence for the person (storage full, persistence declined, clearing failed), or null. */
  notice: string | null;
}

export interface StorageSlice {
  storage: StorageState;
  /** Reads the cache, the estimate and the persistence flag again. */
  refreshStorage: () => Promise<void>;
  /** Deletes the cached files of model `id` (a loaded model keeps working until the page closes). */
  clearCachedModel: (id: string) => Promise<void>;
  /** Asks the browser to keep this origin's data when space runs low. */
  requestPersistentStorage: () => Promise<void>;
  /**
   * After a load: tells the person when the browser did not keep the model (storage full or
   * blocked), so they know it will download again.
   */
  checkModelStored: (id: string) => Promise<void>;
  dismissStorageNotice: () => void;
}

/** Whether the browser's cache holds every file model `id` needs on this device (loading it downloads nothing). */
export function isStored(state: Pick<AppState, 'storage'>, id: string): boolean {
  return state.storage.models.some((cached) => cached.id === id && cached.complete);
}

/** The files of the cache grouped by registry model. */
export function groupCachedFiles(
  files: readonly { url: string; bytes: number }[],
  choices: readonly AppModelChoice[],
  baseUrl: string,
  expectedFiles: (choice: AppModelChoice) => readonly string[],
): CachedModel[] {
  const models: CachedModel[] = [];
  for (const choice of choices) {
    const prefix = filesPrefix(choice, baseUrl);
    const mine = files.filter((file) => file.url.startsWith(prefix));
    if (mine.length === 0) continue;
    const stored = new Set(mine.map((file) => file.url));
    models.push({
      id: choice.id,
      bytes: mine.reduce((sum, file) => sum + file.bytes, 0),
      files: mine.length,
      complete: expectedFiles(choice).every((name) => stored.has(`${prefix}${name}`)),
    });
  }
  return models;
}

const JSON_FILES = [
  'config.json',
  'generation_config.json',
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
];

/**
 * The files a rung of a model downloads, relative to its folder: the JSON files, each session's
 * ONNX file in that rung's precision, and its external data chunks as transformers.js names
 * them (`x.onnx_data`, `x.onnx_data_1`, …). Another rung's precision does not count.
 */
export function expectedFiles(choice: AppModelChoice, rung: keyof AppModelChoice['rungs']): string[] {
  const files = [...JSON_FILES];
  for (const [session, precision] of Object.entries(choice.rungs[rung].dtype)) {
    const onnx = `${session}${PRECISION_SUFFIX[precision]}.onnx`;
    files.push(`onnx/${onnx}`);
    const chunks = choice.externalData?.[onnx] ?? 0;
    for (let i = 0; i < chunks; i++) files.push(`onnx/${onnx}_data${i === 0 ? '' : `_${String(i)}`}`);
  }
  return files;
}

export const createStorageSlice =
  ({ deps }: SliceContext): Slice<StorageSlice> =>
  (set, get) => {
    const { storage } = deps;
    const notice = (text: string | null): void => {
      set((state) => ({ storage: { ...state.storage, notice: text } }));
    };
    const rungOf = (state: AppState) => state.model.device?.rung ?? 'wasm';

    return {
      storage: { status: 'unknown', models: [], estimate: null, persisted: null, clearing: null, notice: null },
      refreshStorage: async () => {
        set((state) => ({ storage: { ...state.storage, status: 'reading' } }));
        const [files, estimate, persisted] = await Promise.all([
          storage.cachedFiles().catch(() => null),
          storage.estimate().catch(() => null),
          storage.persisted().catch(() => null),
        ]);
        const state = get();
        const models =
          files === null
            ? []
            : groupCachedFiles(files, state.model.choices, deps.baseUrl, (choice) =>
                expectedFiles(choice, rungOf(state)),
              );
        set({
          storage: {
            ...state.storage,
            status: files === null ? 'unavailable' : 'ready',
            models,
            estimate,
            persisted,
          },
        });
      },
      clearCachedModel: async (id) => {
        const choice = get().model.choices.find((candidate) => candidate.id === id);
        if (!choice) return;
        set((state) => ({ storage: { ...state.storage, clearing: id, notice: null } }));
        try {
          const files = (await storage.cachedFiles()) ?? [];
          const prefix = filesPrefix(choice, deps.baseUrl);
          await storage.deleteFiles(files.filter((file) => file.url.startsWith(prefix)).map((file) => file.url));
        } catch (error) {
          notice(`The stored files of ${choice.label} could not be deleted: ${String(error)}`);
        } finally {
          set((state) => ({ storage: { ...state.storage, clearing: null } }));
          await get().refreshStorage();
        }
      },
      requestPersistentStorage: async () => {
        const granted = await storage.persist().catch(() => null);
        set((state) => ({ storage: { ...state.storage, persisted: granted } }));
        if (granted === false) {
          notice(
            'The browser did not grant persistent storage: it may delete stored models when space runs low. Installing or bookmarking the page can help.',
          );
        } else if (granted === null) {
          notice('This browser cannot keep storage persistent.');
        }
      },
      checkModelStored: async (id) => {
        await get().refreshStorage();
        const state = get();
        const choice = state.model.choices.find((candidate) => candidate.id === id);
        if (!choice || state.storage.status !== 'ready') return;
        const cached = state.storage.models.find((model) => model.id === id);
        if (cached?.complete) return;
        notice(
          `${choice.label} is loaded, but this browser did not store all of its files (storage may be full or blocked), so it will download again next time. Clearing other models below frees space.`,
        );
      },
      dismissStorageNotice: () => {
        notice(null);
      },
    };
  };
