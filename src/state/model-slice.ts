/** The model: which one, loading progress per file, the device it runs on, its image geometry. */
import type { ImageGeometry } from '../engine/visual-tokens.ts';
import type { DeviceInfo, WorkerMessage } from '../protocol/messages.ts';
import type { AppState, Slice, SliceContext, StateChange } from './app-state.ts';
import type { AppDependencies } from './dependencies.ts';
import { newError, type AppError } from './errors.ts';
import { toModelChoice, type AppModelChoice } from './model-choices.ts';
import { clampBudget } from './settings-slice.ts';

export type ModelStatus = 'idle' | 'loading' | 'ready' | 'error';

/** Bytes of one model file downloaded so far (`total` 0 while unknown). */
export interface FileProgress {
  file: string;
  loaded: number;
  total: number;
}

export interface ModelState {
  choices: readonly AppModelChoice[];
  selectedId: string;
  status: ModelStatus;
  /** The load request the store waits for. */
  requestId: number | null;
  /** In the order the files started. */
  files: readonly FileProgress[];
  device: DeviceInfo | null;
  /** The loaded model's image settings (for the budget preview). */
  geometry: ImageGeometry | null;
  startedAt: number | null;
  /** How long the last successful load took. */
  loadMs: number | null;
  error: AppError | null;
}

export interface ModelSlice {
  model: ModelState;
  /** Loads the selected model (again, after a failure). */
  loadModel: () => void;
  /** Chooses another model and loads it; ignores unknown ids. */
  selectModel: (id: string) => void;
}

type Message<T extends WorkerMessage['type']> = Extract<WorkerMessage, { type: T }>;

export const createModelSlice =
  ({ client, deps }: SliceContext): Slice<ModelSlice> =>
  (set, get) => ({
    model: {
      choices: deps.models,
      selectedId: deps.models[0]?.id ?? '',
      status: 'idle',
      requestId: null,
      files: [],
      device: null,
      geometry: null,
      startedAt: null,
      loadMs: null,
      error: null,
    },
    loadModel: () => {
      const { model } = get();
      const choice = model.choices.find((candidate) => candidate.id === model.selectedId);
      if (!choice) {
        set((state) => {
          const { error, errorSeq } = newError(state, 'model-missing', 'No model is available to load.');
          return { errorSeq, model: { ...state.model, status: 'error', requestId: null, error } };
        });
        return;
      }
      const requestId = client.load(toModelChoice(choice));
      set((state) => ({
        model: {
          ...state.model,
          status: 'loading',
          requestId,
          files: [],
          geometry: null,
          startedAt: deps.now(),
          loadMs: null,
          error: null,
        },
      }));
    },
    selectModel: (id) => {
      const { model } = get();
      if (!model.choices.some((choice) => choice.id === id)) return;
      if (id === model.selectedId && model.status !== 'error' && model.status !== 'idle') return;
      set((state) => ({ model: { ...state.model, selectedId: id } }));
      get().loadModel();
    },
  });

const isCurrent = (state: AppState, requestId: number): boolean =>
  state.model.requestId === requestId && state.model.status === 'loading';

/** `device`: where the model will run (and why not on WebGPU, when it falls back). */
export function deviceDetected(state: AppState, message: Message<'device'>): StateChange {
  if (!isCurrent(state, message.requestId)) return null;
  return { model: { ...state.model, device: message.device } };
}

/** `load-progress`: bytes of one file so far. */
export function loadProgressed(state: AppState, message: Message<'load-progress'>): StateChange {
  if (!isCurrent(state, message.requestId)) return null;
  const progress: FileProgress = { file: message.file, loaded: message.loaded, total: message.total };
  const files = state.model.files.some((entry) => entry.file === message.file)
    ? state.model.files.map((entry) => (entry.file === message.file ? progress : entry))
    : [...state.model.files, progress];
  return { model: { ...state.model, files } };
}

/** `loaded`: the model is ready; the budget is clamped to what this model allows. */
export function modelLoaded(state: AppState, message: Message<'loaded'>, deps: AppDependencies): StateChange {
  if (!isCurrent(state, message.requestId)) return null;
  const { startedAt } = state.model;
  return {
    model: {
      ...state.model,
      status: 'ready',
      geometry: message.geometry,
      loadMs: startedAt === null ? null : deps.now() - startedAt,
      error: null,
    },
    settings: {
      ...state.settings,
      maxVisualTokens: clampBudget(state.settings.maxVisualTokens, message.geometry),
    },
  };
}

/**
 * `failed` for the load request: the model cannot be used until a retry. Also arrives for a
 * loaded model when the worker stops, which makes the model unusable just the same.
 */
export function modelFailed(state: AppState, message: Message<'failed'>): StateChange {
  if (state.model.requestId !== message.requestId || state.model.status === 'error') return null;
  const { error, errorSeq } = newError(state, message.error.code, message.error.message);
  return { errorSeq, model: { ...state.model, status: 'error', error } };
}
