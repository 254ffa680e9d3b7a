/**
 * The worker's request handler: parses a request, calls the engine, posts messages back. The
 * platform pieces (device detection, model loading, image decoding, PNG encoding) are injected,
 * so the same handler runs in the browser worker and, for tests, in Node.
 */
import { InvalidImageError, ModelLoadError, toEngineError } from '../engine/errors.ts';
import type { ImageSource, PixelImage } from '../engine/image.ts';
import type { VisionModel } from '../engine/vision-model.ts';
import { runVisionThink } from '../engine/visionthink.ts';
import type { DeviceInfo, EngineRequest, ModelChoice, WorkerMessage } from '../protocol/messages.ts';

export interface OpenedImage extends ImageSource {
  close(): void;
}

export interface WorkerPlatform {
  post(message: WorkerMessage): void;
  detectDevice(): Promise<DeviceInfo>;
  loadModel(
    model: ModelChoice,
    device: DeviceInfo,
    onProgress: (file: string, loaded: number, total: number) => void,
  ): Promise<VisionModel>;
  openImage(image: Blob): Promise<OpenedImage>;
  encodePng(image: PixelImage): Promise<Blob>;
}

/** How many opened images the worker keeps decoded (the current one and the one before). */
const KEPT_IMAGES = 2;

export function createRequestHandler(platform: WorkerPlatform): (request: EngineRequest) => Promise<void> {
  let device: Promise<DeviceInfo> | null = null;
  let model: Promise<VisionModel> | null = null;
  const images = new Map<number, OpenedImage>();
  const runs = new Map<number, AbortController>();
  // ONNX Runtime sessions run one inference at a time: runs and model switches queue up.
  let queue: Promise<unknown> = Promise.resolve();
  const enqueue = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  const fail = (requestId: number, error: unknown): void => {
    platform.post({ type: 'failed', requestId, error: toEngineError(error).toJSON() });
  };

  async function load(requestId: number, choice: ModelChoice): Promise<void> {
    device ??= platform.detectDevice();
    const info = await device;
    platform.post({ type: 'device', requestId, device: info });
    const previous = model;
    const loading = enqueue(async () => {
      await previous?.then((m) => m.dispose()).catch(() => undefined);
      return platform.loadModel(choice, info, (file, loaded, total) => {
        platform.post({ type: 'load-progress', requestId, file, loaded, total });
      });
    });
    model = loading;
    try {
      const loaded = await loading;
      platform.post({ type: 'loaded', requestId, modelId: choice.id, geometry: loaded.geometry });
    } catch (error) {
      if (model === loading) model = null;
      fail(requestId, error);
    }
  }

  async function openImage(requestId: number, blob: Blob): Promise<void> {
    try {
      const image = await platform.openImage(blob);
      images.set(requestId, image);
      for (const [id, old] of images) {
        if (images.size <= KEPT_IMAGES) break;
        old.close();
        images.delete(id);
      }
      platform.post({ type: 'image-opened', requestId, imageId: requestId, width: image.width, height: image.height });
    } catch (error) {
      fail(requestId, error);
    }
  }

  async function run(request: Extract<EngineRequest, { type: 'run' }>): Promise<void> {
    const { requestId } = request;
    const controller = new AbortController();
    runs.set(requestId, controller);
    const post = (event: Extract<WorkerMessage, { type: 'run-event' }>['event']): void => {
      platform.post({ type: 'run-event', requestId, event });
    };
    try {
      await enqueue(async () => {
        const image = images.get(request.imageId);
        if (!image) throw new InvalidImageError('The image is no longer available; please choose it again.');
        if (!model) throw new ModelLoadError('model-missing', 'No model is loaded yet: load one, then ask again.');
        const ready = await model;
        // Every resampled image is exactly what the model sees in that round.
        const seen: ImageSource = {
          width: image.width,
          height: image.height,
          resize: async (width, height, round) => {
            const pixels = await image.resize(width, height, round);
            void platform.encodePng(pixels).then(
              (png) => {
                platform.post({ type: 'round-image', requestId, round, image: png });
              },
              () => undefined,
            );
            return pixels;
          },
        };
        for await (const event of runVisionThink(ready, {
          image: seen,
          question: request.question,
          policy: request.policy,
          maxVisualTokens: request.maxVisualTokens,
          signal: controller.signal,
        })) {
          post(event);
        }
      });
    } catch (error) {
      post({ type: 'error', error: toEngineError(error).toJSON() });
    } finally {
      runs.delete(requestId);
    }
  }

  return async (request) => {
    switch (request.type) {
      case 'load':
        return load(request.requestId, request.model);
      case 'open-image':
        return openImage(request.requestId, request.image);
      case 'run':
        return run(request);
      case 'cancel':
        runs.get(request.requestId)?.abort();
        return;
      default: {
        const unknown: never = request;
        throw new Error(`Unknown request ${JSON.stringify(unknown)}`);
      }
    }
  };
}
