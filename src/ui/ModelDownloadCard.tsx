/**
 * Before a model downloads: its size on this device, the space the browser offers, and the
 * choice to download it or to use the test model that ships with the app. The same question comes
 * when the GPU cannot run the model and the rung below needs files of its own, and after a
 * cancelled load.
 */
import { useEffect } from 'react';
import { RUNG_NAMES } from '../engine/device-ladder.ts';
import {
  isBundled,
  isStored,
  selectDownloadBytes,
  selectDownloadSizeStatus,
  selectResumesQuestion,
  selectSelectedModel,
  TEST_MODEL_ID,
  useAppStore,
} from '../state/index.ts';
import { formatBytes } from './format.ts';

/** The way out when the model cannot or should not download: the test model that ships with the app. */
function OfflineModelButton({ modelId }: { modelId: string }) {
  const useOfflineModel = useAppStore((s) => s.useOfflineModel);
  if (modelId === TEST_MODEL_ID) return null;
  return (
    <button type="button" data-testid="model.offline" onClick={useOfflineModel}>
      Use the offline test model instead
    </button>
  );
}

function CancelledCard() {
  const choice = useAppStore(selectSelectedModel);
  const stored = useAppStore((s) => isStored(s, s.model.selectedId));
  const loadModel = useAppStore((s) => s.loadModel);
  const askToDownload = useAppStore((s) => s.askToDownload);
  // The device stepped down meanwhile to files not agreed to: ask again, with their size.
  const mustAsk = useAppStore((s) => s.model.fallback?.needsDownload === true);
  if (!choice) return null;
  return (
    <section className="download-card" aria-labelledby="download-heading" data-testid="model.cancelled">
      <h2 id="download-heading" className="small-heading">
        Loading {choice.label} was cancelled
      </h2>
      <p className="muted">Load it again to ask about images with it, or choose another model in Settings.</p>
      <div className="inline-row">
        <button
          type="button"
          className="primary"
          data-testid="model.reload"
          onClick={mustAsk ? askToDownload : loadModel}
        >
          {isBundled(choice) || stored ? 'Load again' : 'Download again'}
        </button>
        <OfflineModelButton modelId={choice.id} />
      </div>
    </section>
  );
}

function ConfirmCard() {
  const choice = useAppStore(selectSelectedModel);
  const bytes = useAppStore(selectDownloadBytes);
  const sizeStatus = useAppStore(selectDownloadSizeStatus);
  const device = useAppStore((s) => s.model.device);
  const fallback = useAppStore((s) => (s.model.fallback?.needsDownload ? s.model.fallback : null));
  const estimate = useAppStore((s) => s.storage.estimate);
  const loadModel = useAppStore((s) => s.loadModel);
  const probeSize = useAppStore((s) => s.probeDownloadSize);
  const resumes = useAppStore(selectResumesQuestion);
  const rung = device?.rung;
  useEffect(() => {
    void probeSize();
  }, [probeSize, choice?.id, rung]);
  if (!choice) return null;

  const size =
    bytes !== null
      ? formatBytes(bytes)
      : sizeStatus === 'checking'
        ? 'a size being asked of the hub…'
        : 'a size the hub did not report';
  const free = estimate ? estimate.quota - estimate.usage : null;
  const tight = free !== null && bytes !== null && free < bytes;
  return (
    <section
      className="download-card"
      aria-labelledby="download-heading"
      data-testid="model.confirm"
      data-fallback={fallback ? 'true' : undefined}
    >
      <h2 id="download-heading" className="small-heading">
        {fallback
          ? `Go on with ${choice.label} on ${RUNG_NAMES[rung ?? 'wasm']}? It needs another download`
          : `Download ${choice.label}?`}
      </h2>
      {fallback ? (
        <p>
          The GPU could not run the model ({fallback.reason}). To go on one step down, {choice.label} needs other files:
          about <strong data-testid="model.size">{size}</strong>, from the Hugging Face hub.
          {resumes ? ' Your question is asked again once it has loaded.' : ''}
        </p>
      ) : (
        <p>
          {choice.note} It downloads once, about <strong data-testid="model.size">{size}</strong>
          {rung ? ` for ${RUNG_NAMES[rung]}` : ''}, from the Hugging Face hub; afterwards this browser keeps it and it
          works offline.
        </p>
      )}
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
        <OfflineModelButton modelId={choice.id} />
      </div>
    </section>
  );
}

export function ModelDownloadCard() {
  const status = useAppStore((s) => s.model.status);
  const label = useAppStore((s) => selectSelectedModel(s)?.label);
  switch (status) {
    case 'checking':
      return (
        <section className="download-card" data-testid="model.checking">
          <p className="muted">Looking for {label ?? 'the model'} in this browser’s storage…</p>
        </section>
      );
    case 'confirm':
      return <ConfirmCard />;
    case 'cancelled':
      return <CancelledCard />;
    default:
      return null;
  }
}
