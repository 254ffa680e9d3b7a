/**
 * Keeps the latest evaluation in the browser's storage (`AppDependencies.evalStore`), so a reload
 * keeps its results and it can be resumed: restored when the page opens, saved as results land
 * (at most {@link SAVE_DELAY_MS} late, at once on Stop and when the run ends), cleared by a new
 * evaluation. A storage that fails (full, a private window) is reported in the view; the run goes on.
 */
import type { AppState, AppStore } from './app-state.ts';
import type { AppDependencies } from './dependencies.ts';
import type { EvalRun, EvalStatus } from './eval-slice.ts';

/** How long results may wait to be saved: a few land together in one write. */
export const SAVE_DELAY_MS = 500;

/** What is stored: the run and how it ended. */
export interface SavedEvaluation {
  version: 1;
  status: Exclude<EvalStatus, 'idle'>;
  message: string | null;
  run: EvalRun;
}

export const INTERRUPTED = 'Interrupted by a reload — Resume to continue.';

const SAVED_STATUSES: readonly string[] = ['running', 'stopped', 'finished', 'failed'];

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** Whether `value` is a run this version of the app saved (anything else is ignored). */
export function isSavedEvaluation(value: unknown): value is SavedEvaluation {
  if (!isRecord(value) || value.version !== 1 || !SAVED_STATUSES.includes(String(value.status))) return false;
  const { run } = value;
  if (!isRecord(run) || !isRecord(run.params) || typeof run.startedAt !== 'string') return false;
  const { params } = run;
  return (
    typeof params.dataset === 'string' &&
    Array.isArray(params.policies) &&
    Array.isArray(run.itemIds) &&
    Array.isArray(run.results) &&
    Array.isArray(run.skipped)
  );
}

/** Why storage failed, for people, with what it means for the results. */
function problem(action: 'save' | 'read', error: unknown): string {
  const full = error instanceof DOMException && error.name === 'QuotaExceededError';
  const why = full
    ? 'the browser’s storage for this site is full'
    : 'this browser does not let the page store data here (a private window, or storage turned off)';
  return action === 'save'
    ? `The results could not be saved in this browser: ${why}. They stay on this page until it is closed or reloaded; download them to keep them.`
    : `Earlier results could not be read from this browser’s storage: ${why}.`;
}

function setProblem(store: AppStore, storageProblem: string | null): void {
  if (store.getState().evaluation.storageProblem === storageProblem) return;
  store.setState((state) => ({ evaluation: { ...state.evaluation, storageProblem } }));
}

function savedOf(state: AppState): SavedEvaluation | null {
  const { run, status, message } = state.evaluation;
  if (run === null || status === 'idle') return null;
  return { version: 1, status, message, run };
}

/**
 * Saves the evaluation whenever it changes, and clears the storage when it is discarded. Writes go
 * one after another, so an older one can never land after a newer one.
 */
export function persistEvaluation(store: AppStore, deps: AppDependencies): void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let chain: Promise<void> = Promise.resolve();
  const write = (action: () => Promise<void>): void => {
    chain = chain.then(action).then(
      () => {
        setProblem(store, null);
      },
      (error: unknown) => {
        setProblem(store, problem('save', error));
      },
    );
  };
  const cancelTimer = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  const saveNow = (): void => {
    cancelTimer();
    write(async () => {
      // The state when the write starts: results that landed meanwhile are in it.
      const saved = savedOf(store.getState());
      if (saved !== null) await deps.evalStore.save(saved);
    });
  };
  store.subscribe((state, previous) => {
    const now = state.evaluation;
    const before = previous.evaluation;
    if (now.run === before.run && now.status === before.status && now.stopping === before.stopping) return;
    if (now.run === null) {
      cancelTimer();
      if (before.run !== null) write(() => deps.evalStore.clear());
      return;
    }
    // Stop pressed, or the run ended: at once, so that closing the page right after keeps everything.
    if (now.status !== before.status || now.stopping !== before.stopping || now.status !== 'running') {
      saveNow();
      return;
    }
    timer ??= setTimeout(saveNow, SAVE_DELAY_MS);
  });
}

/**
 * Restores the run saved on an earlier visit, unless one was started meanwhile. A run saved while
 * it ran was interrupted by the reload: it is `stopped`, to be resumed.
 */
export async function restoreEvaluation(store: AppStore, deps: AppDependencies): Promise<void> {
  let saved: unknown;
  try {
    saved = await deps.evalStore.load();
  } catch (error) {
    setProblem(store, problem('read', error));
    return;
  }
  if (!isSavedEvaluation(saved) || store.getState().evaluation.run !== null) return;
  const { run } = saved;
  const interrupted = saved.status === 'running';
  store.setState((state) => ({
    evaluation: {
      ...state.evaluation,
      form: {
        dataset: run.params.dataset,
        size: run.params.limit,
        seed: run.params.seed,
        policies: run.params.policies,
      },
      status: interrupted ? 'stopped' : saved.status,
      message: interrupted ? INTERRUPTED : saved.message,
      requestId: null,
      stopping: false,
      run,
      pace: null,
    },
  }));
}
