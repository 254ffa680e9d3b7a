/**
 * The evaluation view: the form (dataset, sample size, seed, policies), the run it started with
 * every result so far, Stop, Resume and a new evaluation. The run's messages are reduced in
 * eval-events.ts, what the view shows is derived in eval-selectors.ts, and the run is kept
 * between visits by eval-persistence.ts.
 */
import type { EvaluateParams } from '../client/engine-client.ts';
import type { PolicyId } from '../engine/policies.ts';
import { datasetIds } from '../eval/datasets.ts';
import { resultKey } from '../eval/sweep.ts';
import { POLICY_ORDER } from '../eval/summary.ts';
import type { DatasetInfo, ItemResult, SkippedItem } from '../eval/types.ts';
import type { Slice, SliceContext } from './app-state.ts';
import { selectEvalResumeBlocker, selectEvalRunBlocker, selectEvalPolicies } from './eval-selectors.ts';
import { selectThreshold } from './settings-slice.ts';

/** `stopped`: by Stop, a reload or another model (`message` says which, when not Stop). */
export type EvalStatus = 'idle' | 'running' | 'stopped' | 'finished' | 'failed';

export const DEFAULT_EVAL_SIZE = 100;
export const EVAL_SIZE_LIMITS = { min: 1, max: 5000 } as const;
export const DEFAULT_EVAL_DATASET = 'synthetic';

export interface EvalForm {
  /** A key of the dataset table (src/eval/datasets.ts). */
  dataset: string;
  /** Items in the sample, a whole number within {@link EVAL_SIZE_LIMITS}. */
  size: number;
  seed: number;
  /** The policies to run, in the report's order. */
  policies: readonly PolicyId[];
}

/** What a run asks the worker, less the results it holds already (`done`). */
export type EvalParams = Omit<EvaluateParams, 'done'>;

/** One evaluation: what it asked, what answers it, and every result so far. */
export interface EvalRun {
  params: EvalParams;
  /** Known once the worker has opened the dataset (`eval-started`). */
  dataset: DatasetInfo | null;
  /** The sample's items, in order; empty until the dataset is open. */
  itemIds: readonly string[];
  /** The model as the worker names it, and `local` or the server's base URL. */
  model: string | null;
  backend: string | null;
  /** ISO time Run was pressed. */
  startedAt: string;
  /** ISO time of the latest result. */
  finishedAt: string | null;
  /** One per policy and item, in the order they landed. */
  results: readonly ItemResult[];
  skipped: readonly SkippedItem[];
}

export interface EvalState {
  form: EvalForm;
  status: EvalStatus;
  /** Why the run stopped or failed, for people; null when Stop stopped it or nothing went wrong. */
  message: string | null;
  /** The evaluate request the store waits for. */
  requestId: number | null;
  /** Stop was pressed; the run ends at the worker's next check. */
  stopping: boolean;
  run: EvalRun | null;
  /**
   * Results since the latest Run or Resume (from the moment the dataset was open) and when the
   * latest landed, on the monotonic clock: the time left is estimated from them.
   */
  pace: { since: number; results: number; lastAt: number } | null;
  /** Saving or reading the run in the browser's storage failed: what that means, for people. */
  storageProblem: string | null;
}

/**
 * The form describes the run shown: its setters change nothing while a run is held (New evaluation
 * frees it).
 */
export interface EvalSlice {
  evaluation: EvalState;
  /** Ignores ids that are not in the dataset table. */
  setEvalDataset: (dataset: string) => void;
  /** Rounds and clamps to {@link EVAL_SIZE_LIMITS}; ignores values that are not numbers. */
  setEvalSize: (size: number) => void;
  /** A whole number from 0; ignores anything else. */
  setEvalSeed: (seed: number) => void;
  /** Adds or removes a policy; the last one cannot be removed. */
  setEvalPolicy: (policy: PolicyId, on: boolean) => void;
  /** Starts a run with the form and the settings' threshold and budget (see {@link selectEvalRunBlocker}). */
  startEvaluation: () => void;
  /** Asks the worker to stop; the run ends as `stopped` when it confirms. Its results are kept. */
  stopEvaluation: () => void;
  /** Continues a stopped or failed run, asking only what it has no result for (see {@link selectEvalResumeBlocker}). */
  resumeEvaluation: () => void;
  /** Forgets the run and its results (stopping it first); the form stays. */
  discardEvaluation: () => void;
}

export function initialEvalState(): EvalState {
  return {
    form: { dataset: DEFAULT_EVAL_DATASET, size: DEFAULT_EVAL_SIZE, seed: 0, policies: POLICY_ORDER },
    status: 'idle',
    message: null,
    requestId: null,
    stopping: false,
    run: null,
    pace: null,
    storageProblem: null,
  };
}

/** The keys of the results `run` holds (the `done` of a resumed request). */
export function heldResultKeys(run: EvalRun): string[] {
  return run.results.map((result) => resultKey(result.policy, result.itemId));
}

export const createEvalSlice =
  ({ client, deps }: SliceContext): Slice<EvalSlice> =>
  (set, get) => {
    const setForm = (change: Partial<EvalForm>): void => {
      if (get().evaluation.run !== null) return;
      set((state) => ({ evaluation: { ...state.evaluation, form: { ...state.evaluation.form, ...change } } }));
    };
    return {
      evaluation: initialEvalState(),
      setEvalDataset: (dataset) => {
        if (datasetIds().includes(dataset)) setForm({ dataset });
      },
      setEvalSize: (size) => {
        if (!Number.isFinite(size)) return;
        setForm({ size: Math.min(EVAL_SIZE_LIMITS.max, Math.max(EVAL_SIZE_LIMITS.min, Math.round(size))) });
      },
      setEvalSeed: (seed) => {
        if (Number.isSafeInteger(seed) && seed >= 0) setForm({ seed });
      },
      setEvalPolicy: (policy, on) => {
        const { policies } = get().evaluation.form;
        const next = POLICY_ORDER.filter((id) => (id === policy ? on : policies.includes(id)));
        if (next.length > 0) setForm({ policies: next });
      },
      startEvaluation: () => {
        const state = get();
        if (selectEvalRunBlocker(state) !== null) return;
        const { form } = state.evaluation;
        const params: EvalParams = {
          dataset: form.dataset,
          limit: form.size,
          seed: form.seed,
          policies: [...selectEvalPolicies(state)],
          threshold: selectThreshold(state),
          maxVisualTokens: state.settings.maxVisualTokens,
        };
        const requestId = client.evaluate({ ...params, done: [] });
        const run: EvalRun = {
          params,
          dataset: null,
          itemIds: [],
          model: null,
          backend: null,
          startedAt: new Date(deps.wallClock()).toISOString(),
          finishedAt: null,
          results: [],
          skipped: [],
        };
        set({
          evaluation: {
            ...state.evaluation,
            status: 'running',
            message: null,
            requestId,
            stopping: false,
            run,
            pace: null,
          },
        });
      },
      stopEvaluation: () => {
        const { evaluation } = get();
        if (evaluation.status !== 'running' || evaluation.stopping) return;
        client.cancelEvaluation();
        set({ evaluation: { ...evaluation, stopping: true } });
      },
      resumeEvaluation: () => {
        const state = get();
        const { run } = state.evaluation;
        if (run === null || selectEvalResumeBlocker(state) !== null) return;
        // The run's own threshold and budget: settings changed since would mix two runs in one table.
        const requestId = client.evaluate({ ...run.params, done: heldResultKeys(run) });
        set({
          evaluation: { ...state.evaluation, status: 'running', message: null, requestId, stopping: false, pace: null },
        });
      },
      discardEvaluation: () => {
        const { evaluation } = get();
        if (evaluation.status === 'running') client.cancelEvaluation();
        // The form and a storage problem stay: they are the person's, not the run's.
        set({
          evaluation: { ...initialEvalState(), form: evaluation.form, storageProblem: evaluation.storageProblem },
        });
      },
    };
  };
