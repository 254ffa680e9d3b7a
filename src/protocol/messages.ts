/**
 * The typed messages between the page and the model worker: the only module both sides import.
 * Every request carries a `requestId`; replies and events carry the id of the request they
 * belong to, so the client can drop events of a stale (cancelled or superseded) request.
 */
import type { Rung } from '../engine/device-ladder.ts';
import type { ErrorJson } from '../engine/errors.ts';
import type { EngineEvent } from '../engine/events.ts';
import type { ImageGeometry } from '../engine/visual-tokens.ts';
import type { PolicyId } from '../engine/policies.ts';
import type { EvalEvent } from '../eval/types.ts';
import type { DatasetInfo } from '../eval/types.ts';

/** Where the model runs. */
export type DeviceKind = 'webgpu' | 'wasm';

export interface DeviceInfo {
  kind: DeviceKind;
  /** The rung of the device and precision ladder (see device-ladder.ts). */
  rung: Rung;
  /** For people: the GPU adapter's description, or "WASM, N threads". */
  description: string;
  /** Why the best rung is not used, when it is not (shown as a notice). */
  fallbackReason?: string;
}

/**
 * An OpenAI-compatible model server as the model source: the page sends it the images and the
 * prompts, and it answers. `apiKey` crosses to the worker only; it never enters a link or a log.
 */
export interface ServerChoice {
  /** The API's base URL, e.g. `http://localhost:8000/v1`. */
  baseUrl: string;
  /** The model name as the server lists it. */
  model: string;
  apiKey?: string;
  /** The server processor's pixel limits per image (Qwen2.5-VL's defaults: 3136 and 12845056). */
  minPixels: number;
  maxPixels: number;
}

/** A model the app can load. */
export interface ModelChoice {
  id: string;
  label: string;
  /** Absolute URL of a model folder, or a hub repository id (for a server: its base URL). */
  source: string;
  /** Loaded from the app's own origin (no hub access needed). */
  local: boolean;
  /** Present when the model runs on a server rather than in this browser. */
  server?: ServerChoice;
}

/** Which backend answers, as the page shows it. */
export type BackendInfo =
  | { kind: 'local' }
  | {
      kind: 'server';
      baseUrl: string;
      model: string;
      /** Why the `confidence` policy cannot run on this server (null when it can). */
      confidenceUnavailable: string | null;
    };

export type ErrorInfo = ErrorJson;

/** Page → worker. */
export type EngineRequest =
  /** Find out where models will run, without loading one; replies with `device`. */
  | { type: 'probe'; requestId: number }
  /** Load (or switch to) a model; replies with `device`, `load-progress`…, then `loaded` or `failed`. */
  | { type: 'load'; requestId: number; model: ModelChoice }
  /** Decode an image and keep it for later runs; replies `image-opened` or `failed`. */
  | { type: 'open-image'; requestId: number; image: Blob }
  /**
   * Ask a question about an opened image; replies with `run-event`s and `round-image`s. Without
   * `followUp` the question starts a new conversation (the previous one is freed); with it, the
   * question continues the worker's conversation, which must be about `imageId` with the same
   * policy and budget on the loaded model (else the run ends with `conversation-lost`).
   */
  | {
      type: 'run';
      requestId: number;
      imageId: number;
      question: string;
      policy: string;
      /** The `confidence` policy's threshold, 0 to 1 (other policies ignore it). */
      threshold: number;
      maxVisualTokens: number;
      followUp: boolean;
      /**
       * The answered questions of the conversation the page shows: a follow-up continues only a
       * conversation of exactly these (one the page dropped an answer of ends `conversation-lost`).
       */
      turns: number;
    }
  /**
   * List the models an OpenAI-compatible server serves (`GET /models`); replies `server-models`
   * or `failed`.
   */
  | { type: 'list-server-models'; requestId: number; baseUrl: string; apiKey?: string }
  /**
   * Evaluate the loaded model (or server) on a seeded sample of a dataset (see src/eval/): replies
   * `eval-started`, then `eval-event`s (each result as it lands), then `eval-finished`, or `failed`
   * (code `aborted` when stopped with `cancel`). Items run one at a time in the queue, so a question
   * asked meanwhile is answered between two items; loading another model stops the evaluation.
   */
  | {
      type: 'evaluate';
      requestId: number;
      /** A key of the dataset table (`synthetic`, `chartqa`, …). */
      dataset: string;
      limit: number;
      seed: number;
      policies: PolicyId[];
      /** The `confidence` policy's threshold for its result (its sweep covers them all). */
      threshold: number;
      maxVisualTokens: number;
      /** Results the page holds already (resume), as `policy/itemId` keys: these are not asked again. */
      done: string[];
    }
  /** Free the conversation's cache (New conversation, a new image); no reply. */
  | { type: 'end-conversation'; requestId: number }
  /** Stop the run started by request `requestId`. */
  | { type: 'cancel'; requestId: number }
  /**
   * Cancel the model load of request `requestId` (a download that stalls or is not wanted); it
   * ends with `failed` and the code `aborted`. A load not yet started leaves the loaded model.
   */
  | { type: 'cancel-load'; requestId: number };

/** Worker → page. */
export type WorkerMessage =
  /** The device the model runs on (sent before loading). */
  | { type: 'device'; requestId: number; device: DeviceInfo }
  /** Bytes of one model file downloaded so far. */
  | { type: 'load-progress'; requestId: number; file: string; loaded: number; total: number }
  /** The sizes of the model's files known before they arrive (by file name; sent as more become known). */
  | { type: 'load-sizes'; requestId: number; sizes: Record<string, number> }
  /** The model is ready on `device` (for a server: the device that decodes and resizes images). */
  | {
      type: 'loaded';
      requestId: number;
      modelId: string;
      geometry: ImageGeometry;
      device: DeviceInfo;
      /** Which backend answers (absent: the model runs in this browser). */
      backend?: BackendInfo;
    }
  /** The models a server lists (reply to `list-server-models`). */
  | { type: 'server-models'; requestId: number; models: string[] }
  /**
   * The device failed (lost, out of memory, a kernel it cannot run) while loading the model of
   * load request `requestId` or during run `runRequestId`: the worker steps down one rung to
   * `device` and loads the model again (`load-progress`… then `loaded` under `requestId`); a
   * failed run is asked again from the start. With `needsDownload` the lower rung needs files
   * of its own: nothing is loaded until the page sends a new `load` (the person agreed), and the
   * load (`failed`) or the run (its `error` event) that met the failure ends with `needs-download`.
   */
  | {
      type: 'fallback';
      requestId: number;
      runRequestId: number | null;
      device: DeviceInfo;
      reason: string;
      needsDownload: boolean;
    }
  /** The image decoded (EXIF orientation applied); `imageId` names it in `run` requests. */
  | { type: 'image-opened'; requestId: number; imageId: number; width: number; height: number }
  /** An event of the VisionThink loop of run `requestId`. */
  | { type: 'run-event'; requestId: number; event: EngineEvent }
  /** Exactly what the model saw in a round (a PNG of the resized image). */
  | { type: 'round-image'; requestId: number; round: number; image: Blob }
  /**
   * An evaluation's sample is ready: the dataset, the sampled items' ids in order, and what answers
   * (`model` as the person named it, `backend` `local` or the server's base URL).
   */
  | {
      type: 'eval-started';
      requestId: number;
      dataset: DatasetInfo;
      itemIds: string[];
      model: string;
      backend: string;
    }
  /** A result of evaluation `requestId`, or an item it could not pose. */
  | { type: 'eval-event'; requestId: number; event: EvalEvent }
  /** Evaluation `requestId` asked every item under every policy. */
  | { type: 'eval-finished'; requestId: number }
  /** Request `requestId` failed (loading or opening; run failures arrive as `run-event` errors). */
  | { type: 'failed'; requestId: number; error: ErrorInfo };
