/**
 * Download progress of the model: a bar per file and one in total, in bytes. For a model server,
 * nothing downloads: it says whom it connects to, then that the server answers.
 */
import {
  selectLoadEtaMs,
  selectLoadFiles,
  selectLoadTotals,
  selectModelSource,
  selectSelectedModel,
  useAppStore,
  type ModelSourceView,
} from '../state/index.ts';
import { formatBytes, formatMs } from './format.ts';

function ProgressBar({ label, loaded, total }: { label: string; loaded: number; total: number }) {
  const known = total > 0;
  const text = known ? `${formatBytes(loaded)} of ${formatBytes(total)}` : formatBytes(loaded);
  return (
    <div className="progress-row">
      <div className="progress-label">
        <span className="file-name">{label}</span>
        <span className="muted">{text}</span>
      </div>
      <div
        className="progress-track"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={known ? total : undefined}
        aria-valuenow={known ? loaded : undefined}
        aria-valuetext={text}
      >
        <div
          className={known ? 'progress-fill' : 'progress-fill indeterminate'}
          style={known ? { width: `${Math.min(100, (100 * loaded) / total)}%` } : undefined}
        />
      </div>
    </div>
  );
}

function ServerStatus({ source }: { source: Extract<ModelSourceView, { kind: 'server' }> }) {
  const loadMs = useAppStore((s) => s.model.loadMs);
  const cancel = useAppStore((s) => s.cancelLoad);
  const connecting = source.status === 'connecting';
  const host = source.host ?? 'the server';
  return (
    <section
      className="load-progress"
      aria-labelledby="load-heading"
      data-testid="load-progress"
      data-status={connecting ? 'loading' : 'ready'}
      data-source="server"
    >
      <h2 id="load-heading" className="small-heading" role="status">
        {connecting
          ? `Connecting to ${host}…`
          : `Connected to ${source.model ?? 'the model'} at ${host}${loadMs === null ? '' : ` (in ${formatMs(loadMs)})`}`}
      </h2>
      {connecting && (
        <>
          <div className="progress-track" aria-hidden="true">
            <div className="progress-fill indeterminate" />
          </div>
          <button
            type="button"
            className="load-cancel"
            data-testid="load-progress.cancel"
            aria-label={`Cancel connecting to ${host}`}
            onClick={cancel}
          >
            Cancel
          </button>
        </>
      )}
    </section>
  );
}

export function ModelLoadProgress() {
  const source = useAppStore(selectModelSource);
  return source.kind === 'server' ? (
    source.status === 'connecting' || source.status === 'connected' ? (
      <ServerStatus source={source} />
    ) : null
  ) : (
    <LocalLoadProgress />
  );
}

function LocalLoadProgress() {
  const model = useAppStore((s) => s.model);
  const totals = useAppStore(selectLoadTotals);
  const files = useAppStore(selectLoadFiles);
  const choice = useAppStore(selectSelectedModel);
  const etaMs = useAppStore(selectLoadEtaMs);
  const cancel = useAppStore((s) => s.cancelLoad);
  // A failed load is one message with its actions (the error banner), never a bar left standing.
  if (model.status !== 'loading' && model.status !== 'ready') return null;

  const loading = model.status === 'loading';
  const total = totals.sizesKnown ? totals.total : 0;
  return (
    <section
      className="load-progress"
      aria-labelledby="load-heading"
      data-testid="load-progress"
      data-status={model.status}
    >
      <h2 id="load-heading" className="small-heading">
        {loading
          ? `Loading ${choice?.label ?? 'the model'}…`
          : `Model ready${model.loadMs === null ? '' : ` (loaded in ${formatMs(model.loadMs)})`}`}
      </h2>
      <ProgressBar label="All files" loaded={totals.loaded} total={total} />
      {loading && (
        // A stalled or unwanted download must not hold the app: cancel it, then load or choose again.
        <button
          type="button"
          className="load-cancel"
          data-testid="load-progress.cancel"
          aria-label={`Cancel loading ${choice?.label ?? 'the model'}`}
          onClick={cancel}
        >
          Cancel
        </button>
      )}
      {etaMs !== null && (
        <p className="muted" data-testid="load-progress.eta">
          About {formatMs(Math.max(1000, Math.round(etaMs / 1000) * 1000))} left
        </p>
      )}
      {files.length > 0 && (
        <details className="file-progress" open={loading}>
          <summary>Files ({files.length})</summary>
          {files.map((file) => (
            <ProgressBar key={file.file} label={file.file} loaded={file.loaded} total={file.total} />
          ))}
        </details>
      )}
    </section>
  );
}
