/** Where answers come from (the device, or the model server), and why not on the GPU when it falls back. */
import { selectDeviceLabel, selectModelSource, useAppStore } from '../state/index.ts';

export function DeviceBadge() {
  const label = useAppStore(selectDeviceLabel);
  const device = useAppStore((s) => s.model.device);
  const server = useAppStore((s) => selectModelSource(s).kind === 'server');
  const kind = server ? 'server' : device?.kind;

  return (
    <div className="device">
      {/* The badge stays empty until the worker says which device runs the model. */}
      <span
        className={`badge ${kind ?? 'unknown'}`}
        data-testid="device"
        data-kind={kind}
        data-rung={server ? undefined : device?.rung}
      >
        {label}
      </span>
      {label === null && <span className="muted">Checking the device…</span>}
      {!server && device?.fallbackReason && (
        <p className="notice" role="status" data-testid="device.notice">
          {device.kind === 'wasm'
            ? `Running on the CPU (WASM): much slower than a GPU, so images get a smaller budget. ${device.fallbackReason}`
            : device.fallbackReason}
        </p>
      )}
    </div>
  );
}
