/**
 * Before a model downloads: its size on this device, the space the browser offers, and the
 * choice to download it or to use the test model that ships with the app.
 */
import { RUNG_NAMES } from '../engine/device-ladder.ts';
import { isBundled, selectDownloadBytes, selectSelectedModel, TEST_MODEL_ID, useAppStore } from '../state/index.ts';
import { formatBytes } from './format.ts';

export function ModelDownloadCard() {
  const status = useAppStore((s) => s.model.status);
  const choice = useAppStore(selectSelectedModel);
  const bytes = useAppStore(selectDownloadBytes);
  const device = useAppStore((s) => s.model.device);
  const estimate = useAppStore((s) => s.storage.estimate);
  const loadModel = useAppStore((s) => s.loadModel);
  const useOfflineModel = useAppStore((s) => s.useOfflineModel);
  if (status === 'checking') {
    return (
      <section className="download-card" data-testid="model.checking">
        <p className="muted">Looking for {choice?.label ?? 'the model'} in this browser’s storage…</p>
      </section>
    );
  }
  if (status === 'cancelled' && choice) {
    return (
      <section className="download-card" aria-labelledby="download-heading" data-testid="model.cancelled">
        <h2 id="download-heading" className="small-heading">
          Loading {choice.label} was cancelled
        </h2>
        <p className="muted">Nothing is loaded now: load it again, or choose another model in Settings.</p>
        <div className="inline-row">
          <button type="button" className="primary" data-testid="model.reload" onClick={loadModel}>
            {isBundled(choice) ? 'Load again' : 'Download again'}
          </button>
          {choice.id !== TEST_MODEL_ID && (
            <button type="button" data-testid="model.offline" onClick={useOfflineModel}>
              Use the offline test model instead
            </button>
          )}
        </div>
      </section>
    );
  }
  if (status !== 'confirm' || !choice) return null;

  const free = estimate ? estimate.quota - estimate.usage : null;
  const tight = free !== null && bytes !== null && free < bytes;
  return (
    <section className="download-card" aria-labelledby="download-heading" data-testid="model.confirm">
      <h2 id="download-heading" className="small-heading">
        Download {choice.label}?
      </h2>
      <p>
        {choice.note} It downloads once, about{' '}
        <strong data-testid="model.size">{bytes === null ? 'an unknown size' : formatBytes(bytes)}</strong>
        {device ? ` for ${RUNG_NAMES[device.rung]}` : ''}, from the Hugging Face hub; afterwards this browser keeps it
        and it works offline.
      </p>
      {tight && (
        <p className="notice" role="status" data-testid="model.space">
          This browser offers about {formatBytes(Math.max(0, free))} of storage, less than the model needs: it will run,
          but download again next time. Clearing stored models below frees space.
        </p>
      )}
      <div className="inline-row">
        <button type="button" className="primary" data-testid="model.download" onClick={loadModel}>
          Download and load
        </button>
        {choice.id !== TEST_MODEL_ID && (
          <button type="button" data-testid="model.offline" onClick={useOfflineModel}>
            Use the offline test model instead
          </button>
        )}
      </div>
    </section>
  );
}
