/**
 * The device and precision ladder: where a model runs, from best to most compatible.
 *
 *   webgpu-f16  a WebGPU adapter with `shader-f16`: half-precision activations (q4f16 / fp16)
 *   webgpu      a WebGPU adapter without it: 4-bit weights with fp32 activations (q4)
 *   wasm        no usable adapter: ONNX Runtime's WebAssembly backend on the CPU
 *
 * The probe picks the highest rung the browser offers; when the GPU fails at load time or in the
 * middle of a run (device lost, out of memory, a kernel it cannot run), the app steps down one
 * rung and tries again. Pure logic over an injected `navigator.gpu`, so every rung is testable
 * with a faked adapter.
 */

/** One rung of the ladder, best first. */
export type Rung = 'webgpu-f16' | 'webgpu' | 'wasm';

/** The rungs from best to most compatible. */
export const LADDER: readonly Rung[] = ['webgpu-f16', 'webgpu', 'wasm'];

/** The ONNX Runtime backend a rung runs on. */
export function backendOf(rung: Rung): 'webgpu' | 'wasm' {
  return rung === 'wasm' ? 'wasm' : 'webgpu';
}

/** The rung below `rung`, or null at the bottom. */
export function lowerRung(rung: Rung): Rung | null {
  return LADDER[LADDER.indexOf(rung) + 1] ?? null;
}

/** What the probe needs of a `GPUAdapter`. */
export interface AdapterLike {
  readonly features: { has(feature: string): boolean };
  readonly info?: { description?: string; vendor?: string; architecture?: string };
}

/** What the probe needs of `navigator.gpu`. */
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<AdapterLike | null>;
}

/** The probe's answer: the best rung and what people are told about it. */
export interface DeviceProbe {
  rung: Rung;
  /** The adapter's description, or "WASM" for the CPU backend. */
  description: string;
  /** Why the best rung is not used, when it is not. */
  fallbackReason?: string;
}

function describeAdapter(adapter: AdapterLike): string {
  const { description, vendor, architecture } = adapter.info ?? {};
  return description || [vendor, architecture].filter(Boolean).join(' ') || 'GPU';
}

/**
 * Picks the highest rung the browser offers. `gpu` is `navigator.gpu` (undefined when the browser
 * has no WebGPU); an adapter that cannot be requested counts as none.
 */
export async function probeDevice(gpu: GpuLike | undefined): Promise<DeviceProbe> {
  if (!gpu) return { rung: 'wasm', description: 'WASM', fallbackReason: 'This browser does not support WebGPU.' };
  let adapter: AdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch {
    adapter = null;
  }
  if (!adapter) {
    return {
      rung: 'wasm',
      description: 'WASM',
      fallbackReason: 'No WebGPU adapter is available: the GPU may be disabled or blocked.',
    };
  }
  const description = describeAdapter(adapter);
  if (adapter.features.has('shader-f16')) return { rung: 'webgpu-f16', description };
  return {
    rung: 'webgpu',
    description,
    fallbackReason: 'This GPU cannot compute in half precision (no shader-f16): models run with 32-bit activations.',
  };
}

/**
 * Messages of failures that mean the device, not the model or the input, gave out: a lost
 * WebGPU device, memory that cannot be allocated, a kernel the adapter cannot run. Retrying one
 * rung lower can succeed where retrying the same rung would fail again.
 */
const DEVICE_FAILURE =
  /device (?:was |is )?lost|GPUDevice|out of memory|\bOOM\b|failed to allocate|allocation failed|Array buffer allocation failed|exceeds? the max(?:imum)? (?:buffer|storage)|requires f16|shader-f16|maxStorageBufferBindingSize|maxBufferSize/i;

/** Whether `error` (or its cause) is a device failure worth a step down the ladder. */
export function isDeviceFailure(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    if (current instanceof RangeError && /allocat|memory/i.test(current.message)) return true;
    const message =
      typeof current === 'string'
        ? current
        : typeof current === 'object' && 'message' in current && typeof current.message === 'string'
          ? current.message
          : '';
    if (DEVICE_FAILURE.test(message)) return true;
    current = current instanceof Error ? current.cause : undefined;
  }
  return false;
}

/** For people: the name of a rung. */
export const RUNG_NAMES: Readonly<Record<Rung, string>> = {
  'webgpu-f16': 'WebGPU, half precision',
  webgpu: 'WebGPU, 32-bit activations',
  wasm: 'CPU (WASM)',
};
