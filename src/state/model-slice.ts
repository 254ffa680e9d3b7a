/** The model: which one, loading progress per file, the device it runs on, its image geometry. */
import type { ImageGeometry } from '../engine/visual-tokens.ts';
import type { Rung } from '../engine/device-ladder.ts';
import type { BackendInfo, DeviceInfo, WorkerMessage } from '../protocol/messages.ts';
import type { AppState, Slice, SliceContext, StateChange } from './app-state.ts';
import type { AppDependencies } from './dependencies.ts';
import { newError, type AppError } from './errors.ts';
import { probeDownloadBytes } from './download-size.ts';
import { isBundled, SERVER_MODEL_ID, TEST_MODEL_ID, toModelChoice, type AppModelChoice } from './model-choices.ts';
import { budgetLimits, clampBudget } from './settings-slice.ts';
import { isStored } from './storage-slice.ts';

/**
 * `checking`: looking in the browser's cache for the selected model; `confirm`: it must be
 * downloaded and waits for the person to agree (its size is shown first); `cancelled`: the person
 * cancelled the load, and no model is loaded until they load one.
 */
export type ModelStatus = 'idle' | 'checking' | 'confirm' | 'loading' | 'ready' | 'error' | 'cancelled';

/** Bytes of one model file downloaded so far (`total` 0 while unknown). */
export interface FileProgress {
  file: string;
  loaded: number;
  total: number;
}

export interface ModelState {
  choices: readonly AppModelChoice[];
  /** A registry model's id, or `SERVER_MODEL_ID` for a model server (which loads on Connect only). */
  selectedId: string;
  status: ModelStatus;
  /** The load request the store waits for. */
  requestId: number | null;
  /** In the order the files started. */
  files: readonly FileProgress[];
  device: DeviceInfo | null;
  /** The loaded model's image settings (for the budget preview). */
  geometry: ImageGeometry | null;
  /** Which backend answers the loaded model (this browser or a server); null before the first load. */
  backend: BackendInfo | null;
  startedAt: number | null;
  /** How long the last successful load took. */
  loadMs: number | null;
  error: AppError | null;
  /** The probe request whose `device` reply tells where models will run. */
  probeRequestId: number | null;
  /** Sizes of the model's files known before they arrive, by file name (see `load-sizes`). */
  sizes: Readonly<Record<string, number>>;
  /** When the latest progress arrived (for the time left). */
  progressAt: number | null;
  /**
   * The latest step down the device ladder: why, for which model, whether a question was asked
   * again, and whether the lower rung needs a download the person has not agreed to yet.
   */
  fallback: { reason: string; duringRun: boolean; needsDownload: boolean; modelId: string } | null;
  /**
   * A question to ask again once the model has loaded (its run stopped for a fallback download),
   * with the image it was about.
   */
  resumeQuestion: { question: string; imageId: number } | null;
  /**
   * A model chosen while another downloads from the hub: switching would cancel that download, so
   * the choice waits for the person's word (a keyboard passing over the list must not cancel it).
   */
  pendingSwitch: string | null;
  /** Download sizes asked of the hub where the registry has none, by `id@rung`. */
  probedBytes: Readonly<Record<string, number | 'checking' | 'unknown'>>;
}

/** The key of `probedBytes` for model `id` on `rung`. */
export const probeKey = (id: string, rung: Rung): string => `${id}@${rung}`;

export interface ModelSlice {
  model: ModelState;
  /** Loads the selected model (again, after a failure); downloads it when it is not cached. */
  loadModel: () => void;
  /**
   * Chooses another model and gets it ready: a model shipped with the app or already in the
   * browser's cache loads at once, one that must be downloaded waits for `loadModel` (status
   * `confirm`). While another model downloads from the hub, the choice waits in `pendingSwitch`
   * for `confirmSwitch`. Ignores unknown ids.
   */
  selectModel: (id: string) => void;
  /**
   * After a cancelled load whose device stepped down meanwhile to files not agreed to: back to the
   * confirmation, with their size (instead of downloading them straight away).
   */
  askToDownload: () => void;
  /** Switches to the test model that ships with the app (works without the hub). */
  useOfflineModel: () => void;
  /** Switches to the model chosen while another downloaded (`pendingSwitch`), cancelling that download. */
  confirmSwitch: () => void;
  /** Forgets the model chosen while another downloaded; the download goes on. */
  keepDownloading: () => void;
  /** Cancels the load in progress (a stalled or unwanted download). */
  cancelLoad: () => void;
  /**
   * While a download waits for the person (`confirm`): loads at once when the browser already
   * has every file (after a fallback to a rung whose files were stored before).
   */
  loadIfStored: () => void;
  /**
   * Learns from the hub what the selected model downloads on this device when the registry does
   * not say (once per model and rung).
   */
  probeDownloadSize: () => Promise<void>;
  dismissFallback: () => void;
}

type Message<T extends WorkerMessage['type']> = Extract<WorkerMessage, { type: T }>;

export const createModelSlice =
  ({ client, deps }: SliceContext): Slice<ModelSlice> =>
  (set, get) => {
    /** While `checking` model `id`: loads it when the browser has all its files, else asks first. */
    const loadIfStoredElseConfirm = async (id: string): Promise<void> => {
      await get().refreshStorage();
      const state = get();
      // Another model was chosen meanwhile.
      if (state.model.selectedId !== id || state.model.status !== 'checking') return;
      if (isStored(state, id)) state.loadModel();
      else set({ model: { ...state.model, status: 'confirm' } });
    };

    /**
     * Makes `id` the model: loads it, or looks for it in the cache first; a load in progress is
     * cancelled. The server source loads nothing until the person connects.
     */
    const switchTo = (id: string): void => {
      const { model } = get();
      // A question running on the source being left is stopped: its next round must not send the
      // image to a server the page no longer names, nor answer from one it says is gone.
      if ((id === SERVER_MODEL_ID) !== (model.selectedId === SERVER_MODEL_ID)) get().stop();
      if (id === SERVER_MODEL_ID) {
        if (model.status === 'loading') client.cancelLoad();
        set((state) => ({
          model: {
            ...state.model,
            selectedId: id,
            status: 'idle',
            requestId: null,
            files: [],
            sizes: {},
            geometry: null,
            error: null,
            progressAt: null,
            fallback: null,
            resumeQuestion: null,
            pendingSwitch: null,
          },
        }));
        return;
      }
      const choice = model.choices.find((candidate) => candidate.id === id);
      if (!choice) return;
      if (model.status === 'loading') client.cancelLoad();
      // A fallback waiting for another model's download, and its question, no longer apply.
      const fallback = model.fallback?.modelId === id ? model.fallback : null;
      const resumeQuestion = fallback ? model.resumeQuestion : null;
      const common = { selectedId: id, fallback, resumeQuestion, pendingSwitch: null };
      if (isBundled(choice)) {
        set((state) => ({ model: { ...state.model, ...common } }));
        get().loadModel();
        return;
      }
      set((state) => ({
        model: { ...state.model, ...common, status: 'checking', requestId: null, error: null },
      }));
      void loadIfStoredElseConfirm(id);
    };

    return {
      model: {
        choices: deps.models,
        selectedId: deps.models[0]?.id ?? '',
        status: 'idle',
        requestId: null,
        files: [],
        device: null,
        geometry: null,
        backend: null,
        startedAt: null,
        loadMs: null,
        error: null,
        probeRequestId: null,
        sizes: {},
        progressAt: null,
        fallback: null,
        resumeQuestion: null,
        pendingSwitch: null,
        probedBytes: {},
      },
      loadModel: () => {
        const { model } = get();
        if (model.selectedId === SERVER_MODEL_ID) {
          get().connectServer();
          return;
        }
        const choice = model.choices.find((candidate) => candidate.id === model.selectedId);
        if (!choice) {
          set((state) => {
            const { error, errorSeq } = newError(state, 'model-missing', 'No model is available to load.');
            return { errorSeq, model: { ...state.model, status: 'error', requestId: null, error } };
          });
          return;
        }
        const requestId = client.load(toModelChoice(choice, deps.baseUrl));
        // Agreeing to the download a fallback asked for keeps its notice; any other load drops it.
        const agreed = model.fallback?.needsDownload === true && model.fallback.modelId === choice.id;
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
            sizes: {},
            progressAt: null,
            // A notice about an earlier model's fallback no longer applies.
            fallback: agreed && state.model.fallback ? { ...state.model.fallback, needsDownload: false } : null,
            resumeQuestion: agreed ? state.model.resumeQuestion : null,
          },
        }));
      },
      selectModel: (id) => {
        const { model } = get();
        const choice = model.choices.find((candidate) => candidate.id === id);
        if (!choice && id !== SERVER_MODEL_ID) return;
        const settled = model.status !== 'error' && model.status !== 'idle' && model.status !== 'cancelled';
        if (id === model.selectedId && settled) {
          set((state) => ({ model: { ...state.model, pendingSwitch: null } }));
          return;
        }
        const downloading = model.choices.find((candidate) => candidate.id === model.selectedId);
        const fromStorage = isStored(get(), model.selectedId);
        if (model.status === 'loading' && downloading && !isBundled(downloading) && !fromStorage) {
          set((state) => ({ model: { ...state.model, pendingSwitch: id } }));
          return;
        }
        switchTo(id);
      },
      confirmSwitch: () => {
        const id = get().model.pendingSwitch;
        if (id !== null) switchTo(id);
      },
      keepDownloading: () => {
        set((state) => ({ model: { ...state.model, pendingSwitch: null } }));
      },
      askToDownload: () => {
        if (get().model.status !== 'cancelled') return;
        set((state) => ({ model: { ...state.model, status: 'confirm' } }));
      },
      loadIfStored: () => {
        const { model } = get();
        if (model.status !== 'confirm') return;
        set((state) => ({ model: { ...state.model, status: 'checking' } }));
        void loadIfStoredElseConfirm(model.selectedId);
      },
      useOfflineModel: () => {
        get().selectModel(TEST_MODEL_ID);
      },
      probeDownloadSize: async () => {
        const { model } = get();
        const choice = model.choices.find((candidate) => candidate.id === model.selectedId);
        const rung = model.device?.rung ?? 'wasm';
        if (!choice || isBundled(choice) || choice.rungs[rung].downloadBytes !== null) return;
        const key = probeKey(choice.id, rung);
        // Asked already (or being asked); an unknown size is asked again, the hub may be back.
        const known = model.probedBytes[key];
        if (known !== undefined && known !== 'unknown') return;
        const learn = (value: number | 'checking' | 'unknown'): void => {
          set((state) => ({ model: { ...state.model, probedBytes: { ...state.model.probedBytes, [key]: value } } }));
        };
        learn('checking');
        learn((await probeDownloadBytes(choice, rung, deps.baseUrl, deps.fetch)) ?? 'unknown');
      },
      cancelLoad: () => {
        if (get().model.status !== 'loading') return;
        client.cancelLoad();
        // The worker confirms with an `aborted` failure, which this state already says.
        set((state) => ({
          model: {
            ...state.model,
            status: 'cancelled',
            files: [],
            sizes: {},
            progressAt: null,
            error: null,
            pendingSwitch: null,
          },
        }));
      },
      dismissFallback: () => {
        set((state) => ({ model: { ...state.model, fallback: null } }));
      },
    };
  };

const isCurrent = (state: AppState, requestId: number): boolean =>
  state.model.requestId === requestId && state.model.status === 'loading';

/** `device`: where models will run (and why not on the best rung, when they do not). */
export function deviceDetected(state: AppState, message: Message<'device'>): StateChange {
  if (!isCurrent(state, message.requestId) && state.model.probeRequestId !== message.requestId) return null;
  return { model: { ...state.model, device: message.device } };
}

/** `load-sizes`: the sizes of files still to come. */
export function sizesLearned(state: AppState, message: Message<'load-sizes'>): StateChange {
  if (!isCurrent(state, message.requestId)) return null;
  return { model: { ...state.model, sizes: { ...state.model.sizes, ...message.sizes } } };
}

/**
 * `fallback`: the device failed and the worker steps down one rung, loading the model again
 * (its progress and `loaded` follow under the same request id).
 */
export function fellBack(state: AppState, message: Message<'fallback'>, deps: AppDependencies): StateChange {
  if (state.model.requestId !== message.requestId) return null;
  const duringRun = message.runRequestId !== null;
  const cancelled = state.model.status === 'cancelled';
  return {
    model: {
      ...state.model,
      // After a Cancel nothing loads again, but the device the worker moved to is remembered.
      // Files the person has not agreed to download: ask first, as for the first download.
      status: cancelled ? 'cancelled' : message.needsDownload ? 'confirm' : 'loading',
      pendingSwitch: null,
      device: message.device,
      files: [],
      sizes: {},
      startedAt: deps.now(),
      progressAt: null,
      fallback: {
        reason: message.reason,
        duringRun,
        needsDownload: message.needsDownload,
        modelId: state.model.selectedId,
      },
      resumeQuestion:
        // A follow-up is not asked again on its own: its conversation is gone with the device.
        message.needsDownload &&
        duringRun &&
        state.run.requestId === message.runRequestId &&
        state.run.imageId !== null &&
        (state.run.plan?.turn ?? 1) === 1
          ? { question: state.run.question, imageId: state.run.imageId }
          : null,
    },
  };
}

/** `load-progress`: bytes of one file so far. */
export function loadProgressed(state: AppState, message: Message<'load-progress'>, deps: AppDependencies): StateChange {
  if (!isCurrent(state, message.requestId)) return null;
  const progress: FileProgress = { file: message.file, loaded: message.loaded, total: message.total };
  const files = state.model.files.some((entry) => entry.file === message.file)
    ? state.model.files.map((entry) => (entry.file === message.file ? progress : entry))
    : [...state.model.files, progress];
  return { model: { ...state.model, files, progressAt: deps.now() } };
}

/**
 * `loaded`: the model is ready; the budget is clamped to what this model allows. Also after a
 * cancel that came too late: the model is there, so it is used.
 */
export function modelLoaded(state: AppState, message: Message<'loaded'>, deps: AppDependencies): StateChange {
  const tooLate = state.model.requestId === message.requestId && state.model.status === 'cancelled';
  if (!isCurrent(state, message.requestId) && !tooLate) return null;
  const { startedAt } = state.model;
  const backend = message.backend ?? { kind: 'local' };
  // The model's default budget for this device, unless the person chose one; a server's is its
  // own cap (its max pixels in visual tokens), as it would resize the image itself.
  const choice = state.model.choices.find((candidate) => candidate.id === message.modelId);
  const modelDefault =
    backend.kind === 'server'
      ? budgetLimits(message.geometry).max
      : choice?.defaultBudget[message.device.kind === 'wasm' ? 'cpu' : 'gpu'];
  return {
    model: {
      ...state.model,
      status: 'ready',
      device: message.device,
      geometry: message.geometry,
      backend,
      loadMs: startedAt === null ? null : deps.now() - startedAt,
      error: null,
      // Nothing downloads any more: a choice that waited for the download is free to be made again.
      pendingSwitch: null,
    },
    settings: {
      ...state.settings,
      maxVisualTokens: clampBudget(
        state.settings.budgetChosen || modelDefault === undefined ? state.settings.maxVisualTokens : modelDefault,
        message.geometry,
      ),
    },
  };
}

/**
 * `failed` for the load request: the model cannot be used until a retry. Also arrives for a
 * loaded model when the worker stops, which makes the model unusable just the same.
 */
export function modelFailed(state: AppState, message: Message<'failed'>): StateChange {
  if (state.model.requestId !== message.requestId || state.model.status === 'error') return null;
  // The load stopped to ask for a fallback download: the confirmation says so.
  if (message.error.code === 'needs-download') return null;
  // The worker confirming a cancel is not an error.
  if (state.model.status === 'cancelled' || message.error.code === 'aborted') {
    return { model: { ...state.model, status: 'cancelled', error: null, pendingSwitch: null } };
  }
  const { error, errorSeq } = newError(state, message.error.code, message.error.message, message.error);
  return { errorSeq, model: { ...state.model, status: 'error', error, pendingSwitch: null } };
}
