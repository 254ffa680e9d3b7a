/** Where the evaluation is: a line for people, the progress bar with the time left, storage trouble. */
import { useId } from 'react';
import { describeModel, selectEvalProgress, useAppStore, type AppState } from '../state/index.ts';
import { formatProgress } from './eval-format.ts';

const counts = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

/** The status line: what is happening, or how the run ended and what to do next. */
function statusText(state: AppState): string | null {
  const { status, stopping, message, run } = state.evaluation;
  if (run === null) return null;
  const model = run.model !== null && run.backend !== null ? describeModel(state, run.model, run.backend) : null;
  switch (status) {
    case 'idle':
      return null;
    case 'running':
      if (stopping) return 'Stopping after the current answer…';
      return model === null ? 'Opening the dataset…' : `Running on ${model}…`;
    case 'stopped':
      return message ?? 'Stopped — Resume to continue.';
    case 'finished': {
      const n = run.results.length;
      return `Finished: ${counts.format(n)} ${n === 1 ? 'answer' : 'answers'}${model === null ? '' : ` from ${model}`}.`;
    }
    case 'failed':
      return `The evaluation failed: ${message ?? 'no reason was given.'}`;
  }
}

export function EvalProgress() {
  const status = useAppStore((s) => s.evaluation.status);
  const text = useAppStore(statusText);
  const progress = useAppStore(selectEvalProgress);
  const storageProblem = useAppStore((s) => s.evaluation.storageProblem);
  const labelId = useId();
  return (
    <>
      {/* Always in the page, so that what it announces is read out when it changes. */}
      <p className="eval-status" role="status" data-testid="eval.status" data-status={status}>
        {text}
      </p>
      {progress && (
        <div className="eval-progress">
          <progress
            data-testid="eval.progress"
            data-done={progress.done}
            data-total={progress.total ?? undefined}
            aria-labelledby={labelId}
            {...(progress.total === null ? {} : { max: Math.max(1, progress.total), value: progress.done })}
          />
          <span id={labelId} className="eval-progress-text">
            {formatProgress(progress)}
          </span>
        </div>
      )}
      {storageProblem !== null && (
        <p className="notice" role="status" data-testid="eval.storage">
          {storageProblem}
        </p>
      )}
    </>
  );
}
