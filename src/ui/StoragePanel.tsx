/**
 * Models this browser keeps: their sizes, the quota, persistent storage, and clearing a model.
 * Not shown while a model server answers (nothing of it is stored here).
 */
import { useEffect } from 'react';
import { selectModelSource, useAppStore } from '../state/index.ts';
import { formatBytes } from './format.ts';

export function StoragePanel() {
  const storage = useAppStore((s) => s.storage);
  const choices = useAppStore((s) => s.model.choices);
  const refresh = useAppStore((s) => s.refreshStorage);
  const clear = useAppStore((s) => s.clearCachedModel);
  const persist = useAppStore((s) => s.requestPersistentStorage);
  const dismiss = useAppStore((s) => s.dismissStorageNotice);
  const server = useAppStore((s) => selectModelSource(s).kind === 'server');

  useEffect(() => {
    void refresh();
  }, [refresh]);
  if (server) return null;

  const labelOf = (id: string): string => choices.find((choice) => choice.id === id)?.label ?? id;
  return (
    <section className="storage" aria-labelledby="storage-heading" data-testid="storage" data-status={storage.status}>
      <h2 id="storage-heading">Storage</h2>
      {storage.status === 'unavailable' ? (
        <p className="muted">This browser cannot store models: they download each time the page opens.</p>
      ) : storage.models.length === 0 ? (
        <p className="muted" data-testid="storage.empty">
          {storage.status === 'ready' ? 'No models are stored in this browser.' : 'Reading…'}
        </p>
      ) : (
        <ul className="storage-list">
          {storage.models.map((model) => (
            <li key={model.id} data-testid="storage.model" data-model-id={model.id} data-bytes={model.bytes}>
              <span>
                {labelOf(model.id)}
                <span className="muted">
                  {' '}
                  — {formatBytes(model.bytes)}, {model.files} files{model.complete ? '' : ' (incomplete)'}
                </span>
              </span>
              <button
                type="button"
                data-testid="storage.clear"
                disabled={storage.clearing !== null}
                onClick={() => {
                  void clear(model.id);
                }}
              >
                {storage.clearing === model.id ? 'Clearing…' : 'Clear'}
              </button>
            </li>
          ))}
        </ul>
      )}
      {storage.estimate && (
        <p className="muted" data-testid="storage.usage" data-usage={storage.estimate.usage}>
          This site uses {formatBytes(storage.estimate.usage)} of the {formatBytes(storage.estimate.quota)} the browser
          allows it.
        </p>
      )}
      <p className="muted" data-testid="storage.persisted" data-persisted={String(storage.persisted)}>
        {storage.persisted
          ? 'Storage is persistent: the browser will not delete stored models to free space.'
          : 'The browser may delete stored models when space runs low.'}
      </p>
      {!storage.persisted && (
        <button
          type="button"
          data-testid="storage.persist"
          onClick={() => {
            void persist();
          }}
        >
          Keep stored models
        </button>
      )}
      {storage.notice && (
        <p className="notice" role="status" data-testid="storage.notice">
          {storage.notice}{' '}
          <button type="button" className="link" onClick={dismiss}>
            Dismiss
          </button>
        </p>
      )}
    </section>
  );
}
