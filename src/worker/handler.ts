/**
 * The worker's request handler: parses a request, calls the engine, posts messages back. The
 * platform pieces (device detection, model loading, image decoding, PNG encoding) are injected,
 * so the same handler runs in the browser worker and, for tests, in Node.
 */
import { isDeviceFailure, lowerRung, RUNG_NAMES, type Rung } from '../engine/device-ladder.ts';
import {
  AbortedError,
  ConversationError,
  DOWNLOAD_CANCELLED,
  EngineError,
  InvalidImageError,
  ModelLoadError,
  NeedsDownloadError,
  toEngineError,
} from '../engine/errors.ts';
import type { SpentVisualTokens } from '../engine/events.ts';
import type { ImageSource, PixelImage } from '../engine/image.ts';
import type { VisionModel } from '../engine/vision-model.ts';
import { Conversation } from '../engine/conversation.ts';
import { ServerBackend, withTimeout } from '../engine/server/server-backend.ts';
import { listModels } from '../engine/server/openai-client.ts';
import type { BackendInfo, DeviceInfo, EngineRequest, ModelChoice, WorkerMessage } from '../protocol/messages.ts';
import { createEvaluator } from './evaluate.ts';

/** What answers questions: a model loaded in this worker, or a model server. */
type Loaded = VisionModel | ServerBackend;

export interface OpenedImage extends ImageSource {
  close(): void;
}

export interface WorkerPlatform {
  post(message: WorkerMessage): void;
  /** The best rung this browser offers. */
  detectDevice(): Promise<DeviceInfo>;
  /** The device of a lower rung, after a failure on the one above. */
  deviceFor(rung: Rung): DeviceInfo;
  /** Loads `model`; `signal` cancels it (downloads abort, the load rejects with `AbortedError`). */
  loadModel(
    model: ModelChoice,
    device: DeviceInfo,
    onProgress: (file: string, loaded: number, total: number) => void,
    onSizes?: (sizes: Readonly<Record<string, number>>) => void,
    signal?: AbortSignal,
  ): Promise<VisionModel>;
  /** Whether `choice` loads the same files on the same backend on both rungs (absent: never). */
  loadsAlike?(choice: ModelChoice, a: Rung, b: Rung): boolean;
  /**
   * Whether loading `choice` on rung `to`, after `from` failed, downloads files `from` did not
   * (a hub model in another precision): then the person is asked first (absent: never).
   */
  downloadsOnFallback?(choice: ModelChoice, from: Rung, to: Rung): boolean;
  openImage(image: Blob): Promise<OpenedImage>;
  encodePng(image: PixelImage): Promise<Blob>;
  /** The dataset viewer's base URL for evaluations (default: Hugging Face's). */
  hubBaseUrl?: string;
}

/** How many opened images the worker keeps decoded (the current one and the one before). */
const KEPT_IMAGES = 2;

export function createRequestHandler(platform: WorkerPlatform): (request: EngineRequest) => Promise<void> {
  let probed: Promise<DeviceInfo> | null = null;
  /** Where models load now: the probe's rung, or lower after a failure. */
  let device: DeviceInfo | null = null;
  /**
   * The loaded model with the load request and choice it came from (a run-time fallback reloads
   * it under that id). Only work inside the queue reads or replaces it, so a run always gets the
   * model loaded before it was asked, and never waits on a load queued behind it.
   */
  let current: { model: Loaded; requestId: number; choice: ModelChoice } | null = null;
  const images = new Map<number, OpenedImage>();
  /**
   * The conversation follow-ups continue: what it is about, and the run whose messages its
   * round images belong to now. Replaced by a question that starts afresh, freed with its model.
   */
  let talk: {
    conversation: Conversation;
    model: Loaded;
    imageId: number;
    policy: string;
    maxVisualTokens: number;
    runRequestId: number;
  } | null = null;
  const runs = new Map<number, AbortController>();
  /** Loads that can still be cancelled, by request id. */
  const loads = new Map<number, AbortController>();
  // ONNX Runtime sessions run one inference at a time: runs and model switches queue up.
  let queue: Promise<unknown> = Promise.resolve();
  const enqueue = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  /** Frees the conversation's cache (inside the queue, where no run uses it). */
  async function endConversation(): Promise<void> {
    const ending = talk;
    talk = null;
    await ending?.conversation.dispose();
  }

  const fail = (requestId: number, error: unknown): void => {
    platform.post({ type: 'failed', requestId, error: toEngineError(error).toJSON() });
  };

  async function currentDevice(): Promise<DeviceInfo> {
    probed ??= platform.detectDevice();
    const best = await probed;
    device ??= best;
    return device;
  }

  /** The current device described as it runs now (e.g. the threads WASM actually got). */
  async function described(): Promise<DeviceInfo> {
    const on = await currentDevice();
    return { ...on, ...platform.deviceFor(on.rung) };
  }

  async function announceLoaded(requestId: number, choice: ModelChoice, loaded: Loaded): Promise<void> {
    const backend: BackendInfo =
      loaded instanceof ServerBackend
        ? {
            kind: 'server',
            baseUrl: loaded.settings.baseUrl,
            model: loaded.settings.model,
            confidenceUnavailable: loaded.confidenceUnavailable,
          }
        : { kind: 'local' };
    platform.post({
      type: 'loaded',
      requestId,
      modelId: choice.id,
      geometry: loaded.geometry,
      device: await described(),
      backend,
    });
  }

  /**
   * The device of the next rung below the current one that loads `choice` differently (a rung
   * that would load the same files on the same backend would fail the same way), or null when
   * the failure is not the device's or no such rung is left.
   */
  function stepDown(error: unknown, choice: ModelChoice): DeviceInfo | null {
    // A server's failure is never this device's, whatever its message says.
    if (choice.server || !device || !isDeviceFailure(error)) return null;
    let lower = lowerRung(device.rung);
    while (lower && platform.loadsAlike?.(choice, device.rung, lower)) lower = lowerRung(lower);
    return lower ? platform.deviceFor(lower) : null;
  }

  /**
   * Moves to the lower rung `next` after `error` and tells the page; throws `NeedsDownloadError`
   * when that rung needs files of its own, which download only once the person agrees.
   */
  function fallTo(
    next: DeviceInfo,
    error: unknown,
    choice: ModelChoice,
    requestId: number,
    runRequestId: number | null,
  ): void {
    const from = device?.rung ?? next.rung;
    device = next;
    const needsDownload = platform.downloadsOnFallback?.(choice, from, next.rung) ?? false;
    platform.post({ type: 'fallback', requestId, runRequestId, device: next, reason: reasonOf(error), needsDownload });
    if (needsDownload) {
      throw new NeedsDownloadError(
        `The GPU could not run the model (${reasonOf(error)}), and ${choice.label} needs other files to run on ${RUNG_NAMES[next.rung]}: they download once you agree.`,
      );
    }
  }

  /** Loads `choice`, stepping down the ladder while the device fails; returns the model. */
  async function loadOnLadder(
    requestId: number,
    choice: ModelChoice,
    runRequestId: number | null,
    signal?: AbortSignal,
  ): Promise<VisionModel> {
    for (;;) {
      const on = await currentDevice();
      try {
        return await platform.loadModel(
          choice,
          on,
          (file, loaded, total) => {
            platform.post({ type: 'load-progress', requestId, file, loaded, total });
          },
          (sizes) => {
            platform.post({ type: 'load-sizes', requestId, sizes: { ...sizes } });
          },
          signal,
        );
      } catch (error) {
        if (signal?.aborted) throw error;
        const next = stepDown(error, choice);
        if (!next) throw error;
        fallTo(next, error, choice, requestId, runRequestId);
      }
    }
  }

  async function probe(requestId: number): Promise<void> {
    platform.post({ type: 'device', requestId, device: await currentDevice() });
  }

  const evaluator = createEvaluator({
    post: (message) => {
      platform.post(message);
    },
    enqueue,
    current: () => current,
    openImage: (image) => platform.openImage(image),
    ...(platform.hubBaseUrl === undefined ? {} : { hubBaseUrl: platform.hubBaseUrl }),
  });

  async function load(requestId: number, choice: ModelChoice): Promise<void> {
    const controller = new AbortController();
    loads.set(requestId, controller);
    platform.post({ type: 'device', requestId, device: await currentDevice() });
    try {
      const loaded = await enqueue(async () => {
        // Cancelled while it waited: the model loaded now stays.
        if (controller.signal.aborted) throw new AbortedError(DOWNLOAD_CANCELLED);
        // A server is checked before anything is given up: a mistyped address must not unload a
        // model that took minutes to download.
        const connected = choice.server ? await ServerBackend.connect(choice.server, controller.signal) : null;
        // The model is given up now: an evaluation on it stops (its results would mix two models).
        evaluator.stopForModelChange();
        const previous = current;
        current = null;
        await endConversation();
        await previous?.model.dispose().catch(() => undefined);
        const fresh = connected ?? (await loadOnLadder(requestId, choice, null, controller.signal));
        current = { model: fresh, requestId, choice };
        return fresh;
      });
      await announceLoaded(requestId, choice, loaded);
    } catch (error) {
      fail(requestId, error);
    } finally {
      loads.delete(requestId);
    }
  }

  /**
   * After the device failed during run `runRequestId`: reloads the current model one rung lower
   * (inside the queue the run holds). Returns the new model, or null when there is no lower rung.
   */
  async function reloadLower(runRequestId: number, error: unknown): Promise<Loaded | null> {
    if (!current) return null;
    const next = stepDown(error, current.choice);
    if (!next) return null;
    const { requestId, choice, model: failed } = current;
    current = null;
    await endConversation();
    await failed.dispose().catch(() => undefined);
    fallTo(next, error, choice, requestId, runRequestId);
    try {
      const loaded = await loadOnLadder(requestId, choice, runRequestId);
      current = { model: loaded, requestId, choice };
      await announceLoaded(requestId, choice, loaded);
      return loaded;
    } catch (reloadError) {
      fail(requestId, reloadError);
      throw reloadError;
    }
  }

  /** Lists a server's models; network only, so it does not wait for runs in the queue. */
  async function listServerModels(requestId: number, baseUrl: string, apiKey: string | undefined): Promise<void> {
    try {
      const server = { baseUrl, ...(apiKey ? { apiKey } : {}) };
      const models = await withTimeout(server, undefined, (signal) => listModels(server, signal));
      platform.post({ type: 'server-models', requestId, models });
    } catch (error) {
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
    /** What the attempt the device failed had spent, for a run that then ends without retrying. */
    let spent: SpentVisualTokens | undefined;
    try {
      await enqueue(async () => {
        const image = images.get(request.imageId);
        if (!image) throw new InvalidImageError('The image is no longer available; please choose it again.');
        if (!current) throw new ModelLoadError('model-missing', 'No model is loaded yet: load one, then ask again.');
        let ready: Loaded = current.model;
        const { choice } = current;
        const startConversation = async (model: Loaded): Promise<NonNullable<typeof talk>> => {
          await endConversation();
          // Every resampled image is exactly what the model sees in that round, sent with the
          // run that asked for it (a follow-up may show the full image too).
          const seen: ImageSource = {
            width: image.width,
            height: image.height,
            resize: async (width, height, round) => {
              const pixels = await image.resize(width, height, round);
              const runRequestId = talk?.runRequestId ?? requestId;
              void platform.encodePng(pixels).then(
                (png) => {
                  platform.post({ type: 'round-image', requestId: runRequestId, round, image: png });
                },
                () => undefined,
              );
              return pixels;
            },
          };
          const conversation = new Conversation(model, {
            image: seen,
            policy: request.policy,
            maxVisualTokens: request.maxVisualTokens,
          });
          talk = {
            conversation,
            model,
            imageId: request.imageId,
            policy: request.policy,
            maxVisualTokens: request.maxVisualTokens,
            runRequestId: requestId,
          };
          return talk;
        };
        let active: NonNullable<typeof talk>;
        if (request.followUp) {
          if (
            !talk ||
            talk.model !== ready ||
            talk.imageId !== request.imageId ||
            talk.policy !== request.policy ||
            talk.maxVisualTokens !== request.maxVisualTokens
          ) {
            throw new ConversationError(
              'conversation-lost',
              'This conversation is no longer available (the model or the image changed): start a new conversation and ask again.',
            );
          }
          // A question answered here whose answer the page dropped (asked over while it ended).
          if (talk.conversation.turns !== request.turns) {
            throw new ConversationError(
              'conversation-lost',
              'The conversation moved on without this page: start a new conversation and ask again.',
            );
          }
          active = talk;
          active.runRequestId = requestId;
        } else {
          active = await startConversation(ready);
        }
        // A device failure mid-run steps down the ladder; a first question is asked again from
        // the start, a follow-up cannot be (its conversation lived on the failed device).
        for (;;) {
          try {
            for await (const event of active.conversation.ask({
              question: request.question,
              threshold: request.threshold,
              signal: controller.signal,
            })) {
              if (event.type === 'error' && !controller.signal.aborted && stepDown(event.error, choice)) {
                spent = event.spent;
                throw new EngineError(event.error.code, event.error.message);
              }
              post(event);
            }
            return;
          } catch (error) {
            const lower = await reloadLower(requestId, error);
            if (!lower) throw error;
            if (request.followUp) {
              throw new ConversationError(
                'conversation-lost',
                'The GPU failed during this follow-up, so the model was loaded again and the conversation was lost: start a new conversation and ask again.',
              );
            }
            ready = lower;
            active = await startConversation(ready);
          }
        }
      });
    } catch (error) {
      post({ type: 'error', error: toEngineError(error).toJSON(), ...(spent ? { spent } : {}) });
    } finally {
      runs.delete(requestId);
    }
  }

  return async (request) => {
    switch (request.type) {
      case 'probe':
        return probe(request.requestId);
      case 'load':
        return load(request.requestId, request.model);
      case 'open-image':
        return openImage(request.requestId, request.image);
      case 'run':
        return run(request);
      case 'cancel':
        if (!evaluator.cancel(request.requestId)) runs.get(request.requestId)?.abort();
        return;
      case 'evaluate':
        return evaluator.evaluate(request);
      case 'cancel-load':
        loads.get(request.requestId)?.abort();
        return;
      case 'end-conversation':
        return enqueue(endConversation);
      case 'list-server-models':
        return listServerModels(request.requestId, request.baseUrl, request.apiKey);
      default: {
        const unknown: never = request;
        throw new Error(`Unknown request ${JSON.stringify(unknown)}`);
      }
    }
  };
}

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
