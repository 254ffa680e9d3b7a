/**
 * What the evaluation view shows, derived from the evaluation's state: the policies a run would
 * ask, why Run or Resume cannot be pressed, the progress with the time left, and the report
 * (built from the results on demand, never stored).
 */
import type { PolicyId } from '../engine/policies.ts';
import { buildReport } from '../eval/summary.ts';
import type { EvalReport } from '../eval/types.ts';
import type { AppState } from './app-state.ts';
import type { EvalRun } from './eval-slice.ts';
import { memoSelector } from './memo.ts';
import { SERVER_MODEL_ID } from './model-choices.ts';
import { askBlocker } from './run-slice.ts';
import { selectConfidenceUnavailable } from './settings-slice.ts';

/** The policies Run asks: the form's, less `confidence` where the server cannot run it. */
export const selectEvalPolicies = memoSelector(
  (s) => [s.evaluation.form.policies, selectConfidenceUnavailable(s)],
  (state): readonly PolicyId[] => {
    const unavailable = selectConfidenceUnavailable(state) !== null;
    return state.evaluation.form.policies.filter((policy) => !(unavailable && policy === 'confidence'));
  },
);

/** What answers now, as the worker names it in `eval-started`; null while nothing is loaded. */
export function selectLoadedModel(state: AppState): { model: string; backend: string } | null {
  const { status, selectedId, backend } = state.model;
  if (status !== 'ready') return null;
  if (backend?.kind === 'server') return { model: backend.model, backend: backend.baseUrl };
  return selectedId === SERVER_MODEL_ID ? null : { model: selectedId, backend: 'local' };
}

/** A model as people know it: the registry's label, or a server's model name and address. */
export function describeModel(state: AppState, model: string, backend: string): string {
  if (backend !== 'local') return `${model} on the server at ${backend}`;
  return state.model.choices.find((choice) => choice.id === model)?.label ?? model;
}

/** Why a model that is not ready cannot evaluate (the Ask view's words); null when it is ready. */
function modelBlocker(state: AppState): string | null {
  return state.model.status === 'ready' ? null : askBlocker(state);
}

/** Why Run cannot be pressed now, for people; null when it can. */
export function selectEvalRunBlocker(state: AppState): string | null {
  const { evaluation } = state;
  if (evaluation.status === 'running') return 'An evaluation is running.';
  if (evaluation.run !== null) return 'Start a new evaluation first: this one’s results are still shown.';
  if (selectEvalPolicies(state).length === 0) return 'Choose at least one policy this model can run.';
  return modelBlocker(state);
}

/**
 * Why Resume cannot be pressed now, for people; null when it can. A run is continued only on the
 * model it ran on: results of two models in one table would compare nothing.
 */
export function selectEvalResumeBlocker(state: AppState): string | null {
  const { run, status } = state.evaluation;
  if (run === null || (status !== 'stopped' && status !== 'failed')) return 'There is no stopped evaluation.';
  const blocker = modelBlocker(state);
  if (run.model === null || run.backend === null) return blocker;
  const loaded = selectLoadedModel(state);
  if (loaded !== null && loaded.model === run.model && loaded.backend === run.backend) return null;
  const wanted = describeModel(state, run.model, run.backend);
  const now = loaded === null ? '' : ` (${describeModel(state, loaded.model, loaded.backend)} is loaded now)`;
  const how = run.backend === 'local' ? 'choose it under Settings on the Ask tab' : 'connect to it under Settings';
  return blocker ?? `This evaluation ran on ${wanted}${now}: ${how} to resume it.`;
}

export interface EvalProgress {
  /** Results so far. */
  done: number;
  /** Results the run will have: items × policies, less the skipped items; null until the dataset is open. */
  total: number | null;
  /** The time left at the mean time per result since Run or Resume; null before the first result. */
  remainingMs: number | null;
}

/** The run's progress; null without a run. */
export const selectEvalProgress = memoSelector(
  (s) => [s.evaluation.run, s.evaluation.pace, s.evaluation.status],
  ({ evaluation: { run, pace, status } }): EvalProgress | null => {
    if (run === null) return null;
    const done = run.results.length;
    const policies = run.params.policies.length;
    const total = run.dataset === null ? null : (run.itemIds.length - run.skipped.length) * policies;
    const remainingMs =
      status !== 'running' || total === null || pace === null || pace.results === 0
        ? null
        : Math.max(0, total - done) * ((pace.lastAt - pace.since) / pace.results);
    return { done, total, remainingMs };
  },
);

/** The report of the run so far (the same figures as the CLI's); null until the dataset is open. */
export const selectEvalReport = memoSelector(
  (s) => [s.evaluation.run],
  ({ evaluation: { run } }): EvalReport | null => (run === null ? null : reportOf(run)),
);

function reportOf(run: EvalRun): EvalReport | null {
  if (run.dataset === null || run.model === null || run.backend === null) return null;
  return buildReport({
    startedAt: run.startedAt,
    finishedAt: run.finishedAt ?? run.startedAt,
    model: run.model,
    backend: run.backend,
    dataset: run.dataset,
    limit: run.params.limit,
    seed: run.params.seed,
    policies: run.params.policies,
    threshold: run.params.threshold,
    maxVisualTokens: run.params.maxVisualTokens,
    itemIds: run.itemIds,
    items: run.results,
    skipped: run.skipped,
  });
}

/** Results a new evaluation would discard (it asks first). */
export function selectEvalHeldResults(state: AppState): number {
  return state.evaluation.run?.results.length ?? 0;
}
