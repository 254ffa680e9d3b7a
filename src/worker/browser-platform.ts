/**
 * The browser side of the worker: picks the device (WebGPU when an adapter is granted, WASM
 * otherwise), serves ONNX Runtime's WASM files from the app itself, and loads models from the
 * app's own `models/` folder or the Hugging Face hub.
 */
import { env } from '@huggingface/transformers';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import ortMjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import { VisionModel } from '../engine/vision-model.ts';
import type { DeviceInfo, WorkerMessage } from '../protocol/messages.ts';
import { encodePng, openBitmapImage } from './bitmap-image.ts';
import type { WorkerPlatform } from './handler.ts';

/** Threads for the WASM backend: several only when the page is cross-origin isolated. */
function wasmThreads(): number {
  return self.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;
}

function wasmDevice(fallbackReason: string): DeviceInfo {
  const threads = wasmThreads();
  return { kind: 'wasm', description: `WASM, ${threads} thread${threads === 1 ? '' : 's'}`, fallbackReason };
}

async function detectDevice(): Promise<DeviceInfo> {
  if (!('gpu' in navigator)) return wasmDevice('This browser does not support WebGPU.');
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await navigator.gpu.requestAdapter();
  } catch {
    adapter = null;
  }
  if (!adapter) return wasmDevice('No WebGPU adapter is available: the GPU may be disabled or blocked.');
  const { description, vendor, architecture } = adapter.info;
  return { kind: 'webgpu', description: description || [vendor, architecture].filter(Boolean).join(' ') || 'GPU' };
}

let configured = false;
function configureRuntime(): void {
  if (configured) return;
  configured = true;
  // Never fetch the runtime from a CDN: the app works offline once the model is cached.
  const wasm = env.backends.onnx.wasm;
  if (wasm) {
    wasm.wasmPaths = { wasm: ortWasm, mjs: ortMjs };
    wasm.numThreads = wasmThreads();
  }
  env.allowLocalModels = true;
  // A root-relative path, not a full URL: transformers.js treats full URLs as remote and would
  // ask the hub about the tokenizer files of a model that ships with the app.
  env.localModelPath = `${import.meta.env.BASE_URL}models/`;
}

export function browserPlatform(post: (message: WorkerMessage) => void): WorkerPlatform {
  return {
    post,
    detectDevice,
    loadModel: (model, device, onProgress) => {
      configureRuntime();
      // A model shipped with the app is addressed by its folder name under models/.
      const source = model.local ? (model.source.replace(/\/+$/, '').split('/').pop() ?? model.source) : model.source;
      return VisionModel.load(source, {
        device: device.kind,
        localFilesOnly: model.local,
        onProgress: ({ file, loaded, total }) => {
          onProgress(file, loaded, total);
        },
      });
    },
    openImage: openBitmapImage,
    encodePng,
  };
}
