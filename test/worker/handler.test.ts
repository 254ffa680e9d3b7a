/**
 * The worker's request handler on the real engine and the generated model (in Node: sharp
 * stands in for the browser's image decoding, nothing else is faked).
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VisionModel } from '../../src/engine/vision-model.ts';
import { loadModelForNode } from '../../src/node/load-model.ts';
import { imageFromBytes } from '../../src/node/sharp-image.ts';
import type {
  DeviceInfo,
  EngineRequest,
  ModelChoice,
  ServerChoice,
  WorkerMessage,
} from '../../src/protocol/messages.ts';
import { createRequestHandler, type WorkerPlatform } from '../../src/worker/handler.ts';
import { samplePng } from '../engine/helpers.ts';
import { startPeer, type Peer } from '../../src/node/openai-peer/server.ts';

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
    detectDevice: () =>
      Promise.resolve({ kind: 'wasm', rung: 'wasm', description: 'WASM, 1 thread', fallbackReason: 'no adapter' }),
    deviceFor: (rung) => ({
      kind: rung === 'wasm' ? 'wasm' : 'webgpu',
      rung,
      description: rung === 'wasm' ? 'WASM, 1 thread' : rung,
    }),
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
        device: { kind: 'wasm', rung: 'wasm', description: 'WASM, 1 thread', fallbackReason: 'no adapter' },
      },
      { type: 'load-progress', requestId: 1, file: 'config.json', loaded: 10, total: 10 },
      {
        type: 'loaded',
        requestId: 1,
        modelId: 'visionthink-test',
        geometry: shared.geometry,
        backend: { kind: 'local' },
        device: { kind: 'wasm', rung: 'wasm', description: 'WASM, 1 thread', fallbackReason: 'no adapter' },
      },
    ]);
  });

  it('describes the device as it runs once loaded (the runtime may use fewer threads than asked)', async () => {
    let started = false;
    const { handle, messages } = setup({
      deviceFor: (rung) => ({ kind: 'wasm', rung, description: started ? 'WASM, 2 threads' : 'WASM, 4 threads' }),
      loadModel: () => {
        started = true;
        return Promise.resolve(
          Object.assign(Object.create(shared) as VisionModel, { dispose: () => Promise.resolve() }),
        );
      },
    });
    await handle({ type: 'load', requestId: 1, model: TEST_MODEL });
    expect(messages.at(-1)).toMatchObject({
      type: 'loaded',
      device: { rung: 'wasm', description: 'WASM, 2 threads', fallbackReason: 'no adapter' },
    });
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
      threshold: 0.6,
      maxVisualTokens: 1024,
      followUp: false,
      turns: 0,
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

  it('passes the policy and its threshold to the engine', async () => {
    const { handle, messages } = setup();
    await handle({ type: 'load', requestId: 1, model: TEST_MODEL });
    await handle({ type: 'open-image', requestId: 2, image: await png('detailed', 'green') });
    const ask = async (requestId: number, threshold: number) => {
      await handle({
        type: 'run',
        requestId,
        imageId: 2,
        question: 'What colour?',
        policy: 'confidence',
        threshold,
        maxVisualTokens: 1024,
        followUp: false,
        turns: 0,
      });
      await until(messages, (m) => m.type === 'run-event' && m.requestId === requestId && m.event.type === 'done');
      const done = messages.findLast((m) => m.type === 'run-event' && m.requestId === requestId);
      return done?.type === 'run-event' && done.event.type === 'done' ? done.event.result : null;
    };
    // Unsure at low resolution: threshold 0 keeps the answer, 0.6 looks at the full image.
    expect(await ask(3, 0)).toMatchObject({ policy: 'confidence', threshold: 0, escalated: false, answer: 'green' });
    expect(await ask(4, 0.6)).toMatchObject({ policy: 'confidence', threshold: 0.6, escalated: true, answer: 'green' });
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
      threshold: 0.6,
      maxVisualTokens: 1024,
      followUp: false,
      turns: 0,
    });
    await handle({ type: 'cancel', requestId: 3 });
    await running;
    const events = messages.flatMap((m) => (m.type === 'run-event' ? [m.event] : []));
    // Cancelled before the image was encoded: nothing was spent.
    expect(events.at(-1)).toEqual({
      type: 'error',
      error: { code: 'aborted', message: 'The run was stopped.' },
      spent: { low: 0, full: 0 },
    });
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
      threshold: 0.6,
      maxVisualTokens: 1024,
      followUp: false,
      turns: 0,
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

describe('conversations in the worker', () => {
  const ask = (requestId: number, followUp: boolean, question = 'What colour?', turns = 1): EngineRequest => ({
    type: 'run',
    requestId,
    imageId: 2,
    question,
    policy: 'visionthink',
    threshold: 0.6,
    maxVisualTokens: 1024,
    followUp,
    turns: followUp ? turns : 0,
  });
  const eventsOf = (messages: WorkerMessage[], requestId: number) =>
    messages.flatMap((m) => (m.type === 'run-event' && m.requestId === requestId ? [m.event] : []));

  it('a follow-up continues the conversation: only its turn is prefilled, and it sees the full image the first question fetched', async () => {
    const { handle, messages } = setup();
    await handle({ type: 'load', requestId: 1, model: TEST_MODEL });
    await handle({ type: 'open-image', requestId: 2, image: await png('detailed', 'green') });
    await handle(ask(3, false));
    await handle(ask(4, true, 'And the corner?'));
    const second = eventsOf(messages, 4);
    expect(second[0]).toMatchObject({ type: 'plan', turn: 2 });
    const done = second.at(-1);
    if (done?.type !== 'done') throw new Error(`no answer: ${JSON.stringify(done)}`);
    expect(done.result).toMatchObject({ answer: 'green', escalated: false });
    expect(done.result.rounds.map((round) => round.image)).toEqual([null]);
    expect(done.result.rounds[0]?.prefilledTokens).toBeLessThan(done.result.rounds[0]?.promptTokens ?? 0);
    expect(done.conversation.turn).toBe(2);
    // A follow-up on a conversation other than the one the page shows (it dropped an answer) is refused.
    await handle(ask(5, true, 'And the edge?', 1));
    expect(eventsOf(messages, 5)).toEqual([
      {
        type: 'error',
        error: {
          code: 'conversation-lost',
          message: 'The conversation moved on without this page: start a new conversation and ask again.',
        },
      },
    ]);
    // A question without followUp starts afresh.
    await handle(ask(6, false));
    expect(eventsOf(messages, 6)[0]).toMatchObject({ type: 'plan', turn: 1 });
  });

  it('a follow-up after the conversation ended or the model changed is refused with a readable error', async () => {
    const { handle, messages } = setup();
    await handle({ type: 'load', requestId: 1, model: TEST_MODEL });
    await handle({ type: 'open-image', requestId: 2, image: await png('plain', 'red') });
    await handle(ask(3, false));
    await handle({ type: 'end-conversation', requestId: 4 });
    await handle(ask(5, true));
    expect(eventsOf(messages, 5)).toEqual([
      {
        type: 'error',
        error: {
          code: 'conversation-lost',
          message:
            'This conversation is no longer available (the model or the image changed): start a new conversation and ask again.',
        },
      },
    ]);
    await handle(ask(6, false));
    await handle({ type: 'load', requestId: 7, model: TEST_MODEL });
    await handle(ask(8, true));
    expect(eventsOf(messages, 8).at(-1)).toMatchObject({ type: 'error', error: { code: 'conversation-lost' } });
  });
});

describe('the device ladder in the worker', () => {
  const gpuF16: DeviceInfo = { kind: 'webgpu', rung: 'webgpu-f16', description: 'Fake GPU' };
  const run = (requestId: number, imageId: number): EngineRequest => ({
    type: 'run',
    requestId,
    imageId,
    question: 'What colour?',
    policy: 'visionthink',
    threshold: 0.6,
    maxVisualTokens: 1024,
    followUp: false,
    turns: 0,
  });
  /** The shared model, but its generation fails `failures` times with `message`. */
  const failingModel = (message: string, failures: { left: number }): VisionModel =>
    Object.assign(Object.create(shared) as VisionModel, {
      dispose: () => Promise.resolve(),
      generate: (request: Parameters<VisionModel['generate']>[0]) => {
        if (failures.left-- > 0) return Promise.reject(new Error(message));
        return shared.generate(request);
      },
    });

  it('a rung that cannot load the model falls back one rung and loads there', async () => {
    const rungs: string[] = [];
    const { handle, messages } = setup({
      detectDevice: () => Promise.resolve(gpuF16),
      loadModel: (_model, device) => {
        rungs.push(device.rung);
        if (device.rung === 'webgpu-f16') {
          return Promise.reject(new Error('Node (MatMulNBits) requires f16 but the device does not support it'));
        }
        return Promise.resolve(
          Object.assign(Object.create(shared) as VisionModel, { dispose: () => Promise.resolve() }),
        );
      },
    });
    await handle({ type: 'load', requestId: 1, model: TEST_MODEL });
    expect(rungs).toEqual(['webgpu-f16', 'webgpu']);
    expect(messages.map((m) => m.type)).toEqual(['device', 'fallback', 'loaded']);
    expect(messages[1]).toMatchObject({
      type: 'fallback',
      requestId: 1,
      runRequestId: null,
      device: { kind: 'webgpu', rung: 'webgpu' },
      reason: expect.stringMatching(/requires f16/) as string,
    });
    expect(messages[2]).toMatchObject({ type: 'loaded', device: { rung: 'webgpu' } });
  });

  it('a device lost in the middle of a run: falls back, reloads and asks the question again', async () => {
    const rungs: string[] = [];
    const failures = { left: 1 };
    const { handle, messages } = setup({
      detectDevice: () => Promise.resolve(gpuF16),
      loadModel: (_model, device) => {
        rungs.push(device.rung);
        return Promise.resolve(
          device.rung === 'webgpu-f16'
            ? failingModel('GPUDevice was lost: out of memory', failures)
            : Object.assign(Object.create(shared) as VisionModel, { dispose: () => Promise.resolve() }),
        );
      },
    });
    await handle({ type: 'load', requestId: 1, model: TEST_MODEL });
    await handle({ type: 'open-image', requestId: 2, image: await png('plain', 'red') });
    await handle(run(3, 2));
    expect(rungs).toEqual(['webgpu-f16', 'webgpu']);
    const fallback = messages.find((m) => m.type === 'fallback');
    expect(fallback).toMatchObject({ requestId: 1, runRequestId: 3, device: { rung: 'webgpu' } });
    const reloaded = messages.findLast((m) => m.type === 'loaded');
    expect(reloaded).toMatchObject({ requestId: 1, device: { rung: 'webgpu' } });
    const events = messages.flatMap((m) => (m.type === 'run-event' && m.requestId === 3 ? [m.event] : []));
    // The failed attempt's error never reaches the page; the retry answers.
    expect(events.some((e) => e.type === 'error')).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'done', result: { answer: 'red' } });
  });

  it('a failure on the bottom rung, or one that is not the device’s, ends the run with its error', async () => {
    const failures = { left: 5 };
    const { handle, messages } = setup({
      loadModel: () => Promise.resolve(failingModel('Device was lost', failures)),
    });
    await handle({ type: 'load', requestId: 1, model: TEST_MODEL });
    await handle({ type: 'open-image', requestId: 2, image: await png('plain', 'red') });
    await handle(run(3, 2));
    expect(messages.some((m) => m.type === 'fallback')).toBe(false);
    expect(messages.at(-1)).toMatchObject({ type: 'run-event', event: { type: 'error' } });

    const other = setup({
      detectDevice: () => Promise.resolve(gpuF16),
      loadModel: () => Promise.resolve(failingModel('Missing the following inputs: pixel_values', { left: 1 })),
    });
    await other.handle({ type: 'load', requestId: 1, model: TEST_MODEL });
    await other.handle({ type: 'open-image', requestId: 2, image: await png('plain', 'red') });
    await other.handle(run(3, 2));
    expect(other.messages.some((m) => m.type === 'fallback')).toBe(false);
    expect(other.messages.at(-1)).toMatchObject({
      type: 'run-event',
      event: { type: 'error', error: { message: expect.stringMatching(/pixel_values/) as string } },
    });
  });

  it('a model switch queued behind a run that then falls back: both finish, each model disposed once', async () => {
    const failures = { left: 1 };
    const disposed: string[] = [];
    const loaded: string[] = [];
    const { handle, messages } = setup({
      detectDevice: () => Promise.resolve(gpuF16),
      loadModel: (choice, device) => {
        const name = `${choice.id}@${device.rung}`;
        loaded.push(name);
        const base =
          choice.id === TEST_MODEL.id && device.rung === 'webgpu-f16'
            ? failingModel('Device was lost', failures)
            : shared;
        return Promise.resolve(
          Object.assign(Object.create(base) as VisionModel, {
            dispose: () => {
              disposed.push(name);
              return Promise.resolve();
            },
          }),
        );
      },
    });
    await handle({ type: 'load', requestId: 1, model: TEST_MODEL });
    await handle({ type: 'open-image', requestId: 2, image: await png('plain', 'red') });
    const other = { ...TEST_MODEL, id: 'another-model' };
    // The person asks, then picks another model while the question runs.
    const asked = handle(run(3, 2));
    const switched = handle({ type: 'load', requestId: 4, model: other });
    await Promise.all([asked, switched]);

    const events = messages.flatMap((m) => (m.type === 'run-event' && m.requestId === 3 ? [m.event] : []));
    expect(events.at(-1)).toMatchObject({ type: 'done', result: { answer: 'red' } });
    expect(messages.findLast((m) => m.type === 'loaded')).toMatchObject({ requestId: 4, modelId: 'another-model' });
    // The run fell back and reloaded its own model one rung lower; the switch replaced that one.
    expect(loaded).toEqual(['visionthink-test@webgpu-f16', 'visionthink-test@webgpu', 'another-model@webgpu']);
    expect(disposed).toEqual(['visionthink-test@webgpu-f16', 'visionthink-test@webgpu']);
  });

  it('a question asked twice, then a model switch: the second run uses the model it was asked of', async () => {
    const { handle, messages, loads } = setup();
    await handle({ type: 'load', requestId: 1, model: TEST_MODEL });
    await handle({ type: 'open-image', requestId: 2, image: await png('plain', 'blue') });
    const first = handle(run(3, 2));
    await handle({ type: 'cancel', requestId: 3 });
    const second = handle(run(4, 2));
    const switched = handle({ type: 'load', requestId: 5, model: { ...TEST_MODEL, id: 'another-model' } });
    await Promise.all([first, second, switched]);
    const events = messages.flatMap((m) => (m.type === 'run-event' && m.requestId === 4 ? [m.event] : []));
    expect(events.at(-1)).toMatchObject({ type: 'done', result: { answer: 'blue' } });
    expect(loads.map((choice) => choice.id)).toEqual(['visionthink-test', 'another-model']);
    expect(messages.at(-1)).toMatchObject({ type: 'loaded', requestId: 5 });
  });

  it('skips a rung that would load the same files on the same backend', async () => {
    const rungs: string[] = [];
    const { handle, messages } = setup({
      detectDevice: () => Promise.resolve(gpuF16),
      // Both GPU rungs load one precision for this model: the fallback goes straight to WASM.
      loadsAlike: (_choice, a, b) => a !== 'wasm' && b !== 'wasm',
      loadModel: (_model, device) => {
        rungs.push(device.rung);
        if (device.rung !== 'wasm') return Promise.reject(new Error('GPUDevice was lost'));
        return Promise.resolve(
          Object.assign(Object.create(shared) as VisionModel, { dispose: () => Promise.resolve() }),
        );
      },
    });
    await handle({ type: 'load', requestId: 1, model: TEST_MODEL });
    expect(rungs).toEqual(['webgpu-f16', 'wasm']);
    expect(messages.at(-1)).toMatchObject({ type: 'loaded', device: { rung: 'wasm' } });
  });

  it('a lower rung that needs other files: nothing downloads until the page loads again', async () => {
    const rungs: string[] = [];
    const { handle, messages } = setup({
      detectDevice: () => Promise.resolve(gpuF16),
      downloadsOnFallback: (_choice, from, to) => from === 'webgpu-f16' && to === 'webgpu',
      loadModel: (_model, device) => {
        rungs.push(device.rung);
        if (device.rung === 'webgpu-f16') return Promise.reject(new Error('requires f16 but the device does not'));
        return Promise.resolve(
          Object.assign(Object.create(shared) as VisionModel, { dispose: () => Promise.resolve() }),
        );
      },
    });
    await handle({ type: 'load', requestId: 1, model: TEST_MODEL });
    expect(rungs).toEqual(['webgpu-f16']);
    expect(messages.map((m) => m.type)).toEqual(['device', 'fallback', 'failed']);
    expect(messages[1]).toMatchObject({ type: 'fallback', device: { rung: 'webgpu' }, needsDownload: true });
    expect(messages[2]).toMatchObject({ type: 'failed', requestId: 1, error: { code: 'needs-download' } });

    // The person agreed: the next load goes to the lower rung.
    await handle({ type: 'load', requestId: 2, model: TEST_MODEL });
    expect(rungs).toEqual(['webgpu-f16', 'webgpu']);
    expect(messages.at(-1)).toMatchObject({ type: 'loaded', requestId: 2, device: { rung: 'webgpu' } });
  });

  it('during a run, a lower rung that needs other files ends the run with needs-download', async () => {
    const rungs: string[] = [];
    const { handle, messages } = setup({
      detectDevice: () => Promise.resolve(gpuF16),
      downloadsOnFallback: () => true,
      loadModel: (_model, device) => {
        rungs.push(device.rung);
        return Promise.resolve(failingModel('GPUDevice was lost', { left: 1 }));
      },
    });
    await handle({ type: 'load', requestId: 1, model: TEST_MODEL });
    await handle({ type: 'open-image', requestId: 2, image: await png('plain', 'red') });
    await handle(run(3, 2));
    expect(rungs).toEqual(['webgpu-f16']);
    expect(messages.find((m) => m.type === 'fallback')).toMatchObject({
      requestId: 1,
      runRequestId: 3,
      needsDownload: true,
    });
    // It says what the failed attempt had spent (it failed before anything was encoded).
    expect(messages.at(-1)).toMatchObject({
      type: 'run-event',
      requestId: 3,
      event: { type: 'error', error: { code: 'needs-download' }, spent: { low: 0, full: 0 } },
    });
  });

  it('answers a probe with the device, loading nothing', async () => {
    const { handle, messages, loads } = setup({ detectDevice: () => Promise.resolve(gpuF16) });
    await handle({ type: 'probe', requestId: 9 });
    expect(messages).toEqual([{ type: 'device', requestId: 9, device: gpuF16 }]);
    expect(loads).toEqual([]);
  });
});

describe('a model server as the source', () => {
  let peer: Peer;
  let server: ModelChoice & { server: ServerChoice };
  beforeAll(async () => {
    peer = await startPeer({ model: shared, port: 0, servedModelName: 'visionthink-test' });
    server = {
      id: 'server',
      label: 'visionthink-test on the peer',
      source: peer.url,
      local: false,
      server: { baseUrl: peer.url, model: 'visionthink-test', minPixels: 3136, maxPixels: 1003520 },
    };
  });
  afterAll(async () => {
    await peer.close();
  });

  it('lists the server’s models, connects in place of a load, and answers with the server’s usage', async () => {
    const { handle, messages, loads } = setup();
    await handle({ type: 'list-server-models', requestId: 1, baseUrl: peer.url });
    expect(messages).toContainEqual({ type: 'server-models', requestId: 1, models: ['visionthink-test'] });
    await handle({ type: 'load', requestId: 2, model: server });
    expect(loads).toEqual([]); // nothing loads in the worker
    expect(messages.filter((m) => m.type === 'load-progress')).toEqual([]);
    expect(messages).toContainEqual(
      expect.objectContaining({
        type: 'loaded',
        requestId: 2,
        backend: { kind: 'server', baseUrl: peer.url, model: 'visionthink-test', confidenceUnavailable: null },
      }),
    );
    await handle({ type: 'open-image', requestId: 3, image: await png('detailed', 'blue') });
    await handle({
      type: 'run',
      requestId: 4,
      imageId: 3,
      question: 'What colour?',
      policy: 'visionthink',
      threshold: 0.6,
      maxVisualTokens: 1024,
      followUp: false,
      turns: 0,
    });
    const events = messages.flatMap((m) => (m.type === 'run-event' && m.requestId === 4 ? [m.event] : []));
    const done = events.at(-1);
    expect(done).toMatchObject({ type: 'done', result: { answer: 'blue', escalated: true } });
    const usages = events.flatMap((e) => (e.type === 'usage' ? [e.usage] : []));
    expect(usages.map((u) => u.server?.cachedTokens)).toEqual([expect.any(Number), expect.any(Number)]);
    expect(usages[1]?.server?.cachedTokens).toBeGreaterThan(0);
    // What the server was sent is what the page is shown, round by round.
    expect(messages.filter((m) => m.type === 'round-image' && m.requestId === 4)).toHaveLength(2);
  });

  it('a server that cannot be reached, or does not serve the model, fails the load in words; no fallback', async () => {
    const { handle, messages } = setup();
    const closed = { ...server, server: { ...server.server, baseUrl: 'http://127.0.0.1:9/v1' } };
    await handle({ type: 'load', requestId: 1, model: closed });
    const unknown = { ...server, server: { ...server.server, model: 'Senqiao/VisionThink-Efficient' } };
    await handle({ type: 'load', requestId: 2, model: unknown });
    await handle({ type: 'list-server-models', requestId: 3, baseUrl: 'http://127.0.0.1:9/v1' });
    const failures = messages.flatMap((m) =>
      m.type === 'failed' ? [[m.requestId, m.error.code, m.error.message]] : [],
    );
    expect(failures).toEqual([
      [1, 'server-unreachable', expect.stringContaining('Nothing answered at http://127.0.0.1:9/v1')],
      [2, 'server-model', expect.stringContaining('does not serve "Senqiao/VisionThink-Efficient"')],
      [3, 'server-unreachable', expect.stringContaining('Nothing answered')],
    ]);
    expect(messages.filter((m) => m.type === 'fallback')).toEqual([]);
  });
});
