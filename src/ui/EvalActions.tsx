/**
 * Run, Stop, Resume and New evaluation, with why a button cannot be pressed. A new evaluation
 * discards the results shown: it asks first.
 */
import { useEffect, useId, useRef, useState } from 'react';
import { selectEvalHeldResults, selectEvalResumeBlocker, selectEvalRunBlocker, useAppStore } from '../state/index.ts';

function DiscardConfirm({ results, onDone }: { results: number; onDone: () => void }) {
  const discard = useAppStore((s) => s.discardEvaluation);
  const running = useAppStore((s) => s.evaluation.status === 'running');
  return (
    <div className="notice eval-confirm" role="group" aria-label="Discard the results?">
      <p>
        {running ? 'This stops the evaluation and discards' : 'This discards'} its {results}{' '}
        {results === 1 ? 'answer' : 'answers'}. Download them first to keep them.
      </p>
      <div className="inline-row">
        <button
          type="button"
          data-testid="eval.new.confirm"
          onClick={() => {
            discard();
            onDone();
          }}
        >
          Discard and start over
        </button>
        <button type="button" data-testid="eval.new.cancel" onClick={onDone} autoFocus>
          Keep them
        </button>
      </div>
    </div>
  );
}

export function EvalActions() {
  const status = useAppStore((s) => s.evaluation.status);
  const stopping = useAppStore((s) => s.evaluation.stopping);
  const held = useAppStore((s) => s.evaluation.run !== null);
  const results = useAppStore(selectEvalHeldResults);
  const runBlocker = useAppStore(selectEvalRunBlocker);
  const resumeBlocker = useAppStore(selectEvalResumeBlocker);
  const start = useAppStore((s) => s.startEvaluation);
  const stop = useAppStore((s) => s.stopEvaluation);
  const resume = useAppStore((s) => s.resumeEvaluation);
  const discard = useAppStore((s) => s.discardEvaluation);
  const [confirming, setConfirming] = useState(false);
  const hintId = useId();
  const resumable = status === 'stopped' || status === 'failed';
  const hint = !held ? runBlocker : resumable ? resumeBlocker : null;
  // The button pressed (Run, Stop) goes away as the run starts or stops: focus moves to the one
  // that takes its place, so a keyboard user is not left at the top of the page.
  const actions = useRef<HTMLDivElement>(null);
  const shown = useRef(`${status}/${String(held)}`);
  useEffect(() => {
    const now = `${status}/${String(held)}`;
    if (shown.current === now) return;
    shown.current = now;
    if (document.activeElement !== document.body) return;
    actions.current?.querySelector<HTMLButtonElement>('button:not([disabled])')?.focus();
  }, [status, held]);

  return (
    <div className="eval-actions">
      <div className="inline-row" ref={actions}>
        {!held && (
          <button
            type="button"
            className="primary"
            data-testid="eval.run"
            disabled={runBlocker !== null}
            aria-describedby={runBlocker === null ? undefined : hintId}
            onClick={start}
          >
            Run
          </button>
        )}
        {status === 'running' && (
          <button type="button" data-testid="eval.stop" disabled={stopping} onClick={stop}>
            {stopping ? 'Stopping…' : 'Stop'}
          </button>
        )}
        {resumable && (
          <button
            type="button"
            className="primary"
            data-testid="eval.resume"
            disabled={resumeBlocker !== null}
            aria-describedby={resumeBlocker === null ? undefined : hintId}
            onClick={resume}
          >
            Resume
          </button>
        )}
        {held && (
          <button
            type="button"
            data-testid="eval.new"
            aria-expanded={confirming}
            onClick={() => {
              if (results > 0) setConfirming(true);
              else discard();
            }}
          >
            New evaluation
          </button>
        )}
      </div>
      {hint !== null && (
        <p id={hintId} className="muted" data-testid="eval.hint">
          {hint}
        </p>
      )}
      {confirming && held && (
        <DiscardConfirm
          results={results}
          onDone={() => {
            setConfirming(false);
          }}
        />
      )}
    </div>
  );
}
