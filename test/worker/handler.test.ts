/**
 * The worker's request handler on the real engine and the generated model (in Node: sharp
 * stands in for the browser's image decoding, nothing else is faked).
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VisionModel } from '../../src/engine/vision-model.ts';
import { loadModelForNode } from '../../src/node/load-model.ts';
import { imageFromBytes } from '../../src/node/sharp-image.ts';
import type { EngineRequest, ModelChoice, WorkerMessage } from '../../src/protocol/messages.ts';
import { createRequestHandler, type WorkerPlatform } from '../../src/worker/handler.ts';
import { samplePng } from '../engine/helpers.ts';

const TEST_MODEL: ModelChoice = { id: 'visionthink-test', label: 'test', source: 'visionthink-test', local: true };

let shared: VisionModel;
beforeAll(async () => {
  shared = await loadModelForNode();
});
afterAll(async () => {
  await shared.dispose();
});

function setup(overrides: Partial<WorkerPlatform> = {}) {
  const messages: WorkerMessage[] = [];
  const loads: ModelChoice[] = [];
  const closed: number[] = [];
  let opened = 0;
  const platform: WorkerPlatform = {
    post: (message) => messages.push(message),
    detectDevice: () => Promise.resolve({ kind: 'wasm', description: 'WASM, 1 thread', fallbackReason: 'no adapter' }),
    loadModel: (model, _device, onProgress) => {
      loads.push(model);
      onProgress('config.json', 10, 10);
      // The handler disposes a replaced model; keep the shared one alive across tests.
      return Promise.resolve(Object.assign(Object.create(shared) as VisionModel, { dispose: () => Promise.resolve() }));
    },
    openImage: async (blob) => {
      const image = await imageFromBytes(new Uint8Array(await blob.arrayBuffer()));
      const id = ++opened;
      return { ...image, resize: image.resize.bind(image), close: () => closed.push(id) };
    },
    encodePng: async (pixels) =>
      new Blob([
        new Uint8Array(
          await sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels } })
            .png()
            .toBuffer(),
        ),
      ]),
    ...overrides,
  };
  const handle = createRequestHandler(platform);
  return { handle, messages, loads, closed };
}

const png = async (kind: 'plain' | 'detailed', colour: string): Promise<Blob> =>
  new Blob([new Uint8Array(await samplePng(kind, colour, 448, 336))], { type: 'image/png' });

const until = async (messages: WorkerMessage[], done: (m: WorkerMessage) => boolean): Promise<void> => {
  for (let i = 0; i < 600 && !messages.some(done); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('the worker request handler', () => {
  it('loads a model: device first, progress, then loaded with the geometry', async () => {
    const { handle, messages } = setup();
    await handle({ type: 'load', requestId: 1, model: TEST_MODEL });
    expect(messages).toEqual([
      {
        type: 'device',
        requestId: 1,
        device: { kind: 'wasm', description: 'WASM, 1 thread', fallbackReason: 'no adapter' },
      },
      { type: 'load-progress', requestId: 1, file: 'config.json', loaded: 10, total: 10 },
      { type: 'loaded', requestId: 1, modelId: 'visionthink-test', geometry: shared.geometry },
    ]);
  });

  it('reports a failed load as a readable error with the request id', async () => {
    const { handle, messages } = setup({ loadModel: () => Promise.reject(new Error('disk on fire')) });
    await handle({ type: 'load', requestId: 7, model: TEST_MODEL });
    expect(messages.at(-1)).toEqual({
      type: 'failed',
      requestId: 7,
      error: { code: 'internal', message: 'Something went wrong while running the model: disk on fire' },
    });
  });

  it('opens an image, runs a question on it, and sends what the model saw in each round', async () => {
    const { handle, messages } = setup();
    await handle({ type: 'load', requestId: 1, model: TEST_MODEL });
    await handle({ type: 'open-image', requestId: 2, image: await png('detailed', 'green') });
    expect(messages.at(-1)).toEqual({ type: 'image-opened', requestId: 2, imageId: 2, width: 448, height: 336 });

    const run: EngineRequest = {
      type: 'run',
      requestId: 3,
      imageId: 2,
      question: 'What colour?',
      policy: 'visionthink',
      maxVisualTokens: 1024,
    };
    await handle(run);
    await until(messages, (m) => m.type === 'round-image' && m.round === 2);
    const events = messages.flatMap((m) => (m.type === 'run-event' && m.requestId === 3 ? [m.event] : []));
    const done = events.at(-1);
    expect(done?.type === 'done' && done.result).toMatchObject({ answer: 'green', escalated: true });

    const thumbnails = messages.flatMap((m) => (m.type === 'round-image' ? [m] : []));
    expect(thumbnails.map((m) => [m.requestId, m.round])).toEqual([
      [3, 1],
      [3, 2],
    ]);
    for (const [index, size] of [
      [0, { width: 224, height: 168 }],
      [1, { width: 448, height: 336 }],
    ] as const) {
      const thumbnail = thumbnails[index];
      if (!thumbnail) throw new Error('missing thumbnail');
      const meta = await sharp(new Uint8Array(await thumbnail.image.arrayBuffer())).metadata();
      expect({ width: meta.width, height: meta.height }).toEqual(size);
    }
  });

  it('cancels a run by its request id: the run ends with an aborted error', async () => {
    const { handle, messages } = setup();
    await handle({ type: 'load', requestId: 1, model: TEST_MODEL });
    await handle({ type: 'open-image', requestId: 2, image: await png('detailed', 'blue') });
    const running = handle({
      type: 'run',
      requestId: 3,
      imageId: 2,
      question: 'What colour?',
      policy: 'visionthink',
      maxVisualTokens: 1024,
    });
    await handle({ type: 'cancel', requestId: 3 });
    await running;
    const events = messages.flatMap((m) => (m.type === 'run-event' ? [m.event] : []));
    expect(events.at(-1)).toEqual({ type: 'error', error: { code: 'aborted', message: 'The run was stopped.' } });
    expect(events.some((e) => e.type === 'done')).toBe(false);
  });

  it('turns a bad file into a failed open with a readable message, and keeps working', async () => {
    const { handle, messages } = setup();
    await handle({ type: 'load', requestId: 1, model: TEST_MODEL });
    await handle({ type: 'open-image', requestId: 2, image: new Blob(['not an image']) });
    expect(messages.at(-1)).toMatchObject({ type: 'failed', requestId: 2, error: { code: 'invalid-image' } });
    await handle({ type: 'open-image', requestId: 3, image: await png('plain', 'red') });
    expect(messages.at(-1)).toMatchObject({ type: 'image-opened', imageId: 3 });
  });

  it('answers a run on an image it no longer holds with an error event, not a crash', async () => {
    const { handle, messages, closed } = setup();
    await handle({ type: 'load', requestId: 1, model: TEST_MODEL });
    for (const requestId of [2, 3, 4])
      await handle({ type: 'open-image', requestId, image: await png('plain', 'red') });
    expect(closed).toEqual([1]);
    await handle({
      type: 'run',
      requestId: 5,
      imageId: 2,
      question: 'Colour?',
      policy: 'visionthink',
      maxVisualTokens: 1024,
    });
    expect(messages.at(-1)).toEqual({
      type: 'run-event',
      requestId: 5,
      event: {
        type: 'error',
        error: { code: 'invalid-image', message: 'The image is no longer available; please choose it again.' },
      },
    });
  });
});
