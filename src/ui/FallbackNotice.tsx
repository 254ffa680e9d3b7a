/** After the GPU failed: where the model runs now, and that the question was asked again. */
import { RUNG_NAMES } from '../engine/device-ladder.ts';
import { useAppStore } from '../state/index.ts';

export function FallbackNotice() {
  const fallback = useAppStore((s) => s.model.fallback);
  const device = useAppStore((s) => s.model.device);
  const dismiss = useAppStore((s) => s.dismissFallback);
  // A fallback that waits for a download is asked about by the download card.
  if (!fallback || !device || fallback.needsDownload) return null;
  return (
    <div className="notice fallback-notice" role="status" data-testid="device.fallback" data-rung={device.rung}>
      <p>
        The GPU could not run the model ({fallback.reason}). It now runs on {RUNG_NAMES[device.rung]}
        {fallback.duringRun ? ', where your question was asked again' : ''}.
      </p>
      <button type="button" onClick={dismiss}>
        Dismiss
      </button>
    </div>
  );
}
