/** Where the model runs, and why not on the GPU when it falls back. */
import { selectDeviceLabel, useAppStore } from '../state/index.ts';

export function DeviceBadge() {
  const label = useAppStore(selectDeviceLabel);
  const device = useAppStore((s) => s.model.device);

  return (
    <div className="device">
      {/* The badge stays empty until the worker says which device runs the model. */}
      <span
        className={`badge ${device?.kind ?? 'unknown'}`}
        data-testid="device"
        data-kind={device?.kind}
        data-rung={device?.rung}
      >
        {label}
      </span>
      {label === null && <span className="muted">Checking the device…</span>}
      {device?.fallbackReason && (
        <p className="notice" role="status" data-testid="device.notice">
          {device.kind === 'wasm'
            ? `Running on the CPU (WASM): much slower than a GPU, so images get a smaller budget. ${device.fallbackReason}`
            : device.fallbackReason}
        </p>
      )}
    </div>
  );
}
