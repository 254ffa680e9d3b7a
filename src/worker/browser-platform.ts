/**
 * The browser side of the worker: picks the device (WebGPU when an adapter is granted, WASM
 * otherwise), serves ONNX Runtime's WASM files from the app itself, and loads models from the
 * app's own `models/` folder or the Hugging Face hub.
 */
import { env } from '@huggingface/transformers';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import ortMjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import { backendOf, probeDevice, type Rung } from '../engine/device-ladder.ts';
import { ModelLoadError } from '../engine/errors.ts';
import { fallbackDownloads, findModel, loadPlan } from '../engine/model-registry.ts';
import { VisionModel } from '../engine/vision-model.ts';
import type { DeviceInfo, WorkerMessage } from '../protocol/messages.ts';
import { encodePng, openBitmapImage } from './bitmap-image.ts';
import type { WorkerPlatform } from './handler.ts';

/** Threads for the WASM backend: several only when the page is cross-origin isolated. */
function wantedWasmThreads(): number {
  return self.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;
}

/**
 * The threads WASM runs with: once ONNX Runtime has started, the number it actually uses (it
 * drops to one where threads are unavailable), before that the number it will be asked for.
 */
function wasmThreads(): number {
  const used = configured ? env.backends.onnx.wasm?.numThreads : undefined;
  return typeof used === 'number' && used > 0 ? used : wantedWasmThreads();
}

function wasmDescription(): string {
  const threads = wasmThreads();
  return `WASM, ${threads} thread${threads === 1 ? '' : 's'}`;
}

/** The adapter's description, kept from the probe for the rungs below it. */
let adapterDescription = 'GPU';

async function detectDevice(): Promise<DeviceInfo> {
  const probe = await probeDevice('gpu' in navigator ? navigator.gpu : undefined);
  if (probe.rung !== 'wasm') adapterDescription = probe.description;
  const device = deviceFor(probe.rung);
  return probe.fallbackReason ? { ...device, fallbackReason: probe.fallbackReason } : device;
}

function deviceFor(rung: Rung): DeviceInfo {
  return rung === 'wasm'
    ? { kind: 'wasm', rung, description: wasmDescription() }
    : { kind: 'webgpu', rung, description: adapterDescription };
}

let configured = false;
function configureRuntime(): void {
  if (configured) return;
  configured = true;
  // Never fetch the runtime from a CDN: the app works offline once the model is cached.
  const wasm = env.backends.onnx.wasm;
  if (wasm) {
    wasm.wasmPaths = { wasm: ortWasm, mjs: ortMjs };
    wasm.numThreads = wantedWasmThreads();
  }
  // A root-relative path, not a full URL: transformers.js treats full URLs as remote and would
  // ask the hub about the tokenizer files of a model that ships with the app.
  env.localModelPath = `${import.meta.env.BASE_URL}models/`;
}

export function browserPlatform(post: (message: WorkerMessage) => void): WorkerPlatform {
  return {
    post,
    detectDevice,
    deviceFor,
    loadModel: (model, device, onProgress, onSizes, signal) => {
      configureRuntime();
      const entry = findModel(model.id);
      if (!entry) return Promise.reject(new ModelLoadError('model-missing', `The app has no model "${model.id}".`));
      // A model shipped with the app is addressed by its folder name under models/.
      const plan = loadPlan(entry, device.rung);
      // A model that ships with the app is only looked for on this site, a hub model only on the
      // hub (a static host answers a missing file with its index page, which is no model file).
      // Loads run one at a time, so switching these globals per load is safe.
      env.allowLocalModels = plan.bundled;
      env.allowRemoteModels = !plan.bundled;
      return VisionModel.load(plan.source, {
        ...plan.options,
        device: backendOf(device.rung),
        onProgress: ({ file, loaded, total }) => {
          onProgress(file, loaded, total);
        },
        onSizes: (sizes) => {
          onSizes?.(sizes);
        },
        ...(signal ? { signal } : {}),
      });
    },
    downloadsOnFallback: (model, from, to) => {
      const entry = findModel(model.id);
      return entry !== undefined && fallbackDownloads(entry, from, to);
    },
    loadsAlike: (model, a, b) => {
      const entry = findModel(model.id);
      return (
        entry !== undefined &&
        backendOf(a) === backendOf(b) &&
        JSON.stringify(loadPlan(entry, a)) === JSON.stringify(loadPlan(entry, b))
      );
    },
    openImage: openBitmapImage,
    encodePng,
  };
}
