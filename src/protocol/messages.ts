/**
 * The typed messages between the page and the model worker: the only module both sides import.
 * Every request carries a `requestId`; replies and events carry the id of the request they
 * belong to, so the client can drop events of a stale (cancelled or superseded) request.
 */
import type { EngineErrorCode } from '../engine/errors.ts';
import type { EngineEvent } from '../engine/events.ts';
import type { ImageGeometry } from '../engine/visual-tokens.ts';

/** Where the model runs. */
export type DeviceKind = 'webgpu' | 'wasm';

export interface DeviceInfo {
  kind: DeviceKind;
  /** For people: the GPU adapter's description, or "WASM, N threads". */
  description: string;
  /** Why WebGPU is not used, when it is not (shown as a notice). */
  fallbackReason?: string;
}

/** A model the app can load. */
export interface ModelChoice {
  id: string;
  label: string;
  /** Absolute URL of a model folder, or a hub repository id. */
  source: string;
  /** Loaded from the app's own origin (no hub access needed). */
  local: boolean;
}

export interface ErrorInfo {
  code: EngineErrorCode;
  message: string;
}

/** Page → worker. */
export type EngineRequest =
  /** Load (or switch to) a model; replies with `device`, `load-progress`…, then `loaded` or `failed`. */
  | { type: 'load'; requestId: number; model: ModelChoice }
  /** Decode an image and keep it for later runs; replies `image-opened` or `failed`. */
  | { type: 'open-image'; requestId: number; image: Blob }
  /** Ask a question about an opened image; replies with `run-event`s and `round-image`s. */
  | {
      type: 'run';
      requestId: number;
      imageId: number;
      question: string;
      policy: string;
      maxVisualTokens: number;
    }
  /** Stop the run started by request `requestId`. */
  | { type: 'cancel'; requestId: number };

/** Worker → page. */
export type WorkerMessage =
  /** The device the model runs on (sent before loading). */
  | { type: 'device'; requestId: number; device: DeviceInfo }
  /** Bytes of one model file downloaded so far. */
  | { type: 'load-progress'; requestId: number; file: string; loaded: number; total: number }
  /** The model is ready. */
  | { type: 'loaded'; requestId: number; modelId: string; geometry: ImageGeometry }
  /** The image decoded (EXIF orientation applied); `imageId` names it in `run` requests. */
  | { type: 'image-opened'; requestId: number; imageId: number; width: number; height: number }
  /** An event of the VisionThink loop of run `requestId`. */
  | { type: 'run-event'; requestId: number; event: EngineEvent }
  /** Exactly what the model saw in a round (a PNG of the resized image). */
  | { type: 'round-image'; requestId: number; round: number; image: Blob }
  /** Request `requestId` failed (loading or opening; run failures arrive as `run-event` errors). */
  | { type: 'failed'; requestId: number; error: ErrorInfo };
