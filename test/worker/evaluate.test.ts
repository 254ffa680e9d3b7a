/**
 * Evaluations in the worker's request handler, on the real engine and the generated model: the
 * messages of a run, Stop, a question asked meanwhile (answered between two items), another
 * model loaded meanwhile, resume, and evaluating before any model is loaded.
 */
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

function setup() {
  const messages: WorkerMessage[] = [];
  const platform: WorkerPlatform = {
    post: (message) => messages.push(message),
    detectDevice: () => Promise.resolve({ kind: 'wasm', rung: 'wasm', description: 'WASM, 1 thread' }),
    deviceFor: (rung) => ({ kind: 'wasm', rung, description: 'WASM, 1 thread' }),
    // The handler disposes a replaced model; keep the shared one alive across tests.
    loadModel: () =>
      Promise.resolve(Object.assign(Object.create(shared) as VisionModel, { dispose: () => Promise.resolve() })),
    openImage: async (blob) => {
      const image = await imageFromBytes(new Uint8Array(await blob.arrayBuffer()));
      return { ...image, resize: image.resize.bind(image), close: () => undefined };
    },
    encodePng: () => Promise.resolve(new Blob([])),
  };
  return { handle: createRequestHandler(platform), messages };
}

const evaluate = (requestId: number, overrides: Partial<EngineRequest & { type: 'evaluate' }> = {}): EngineRequest => ({
  type: 'evaluate',
  requestId,
  dataset: 'synthetic',
  limit: 2,
  seed: 5,
  policies: ['low-only', 'full-only'],
  threshold: 0.6,
  maxVisualTokens: 1024,
  done: [],
  ...overrides,
});

const of = (messages: WorkerMessage[], requestId: number) => messages.filter((m) => m.requestId === requestId);
const resultKeys = (messages: WorkerMessage[], requestId: number): string[] =>
  of(messages, requestId).flatMap((m) =>
    m.type === 'eval-event' && m.event.type === 'item' ? [`${m.event.result.policy}/${m.event.result.itemId}`] : [],
  );

async function until(messages: WorkerMessage[], done: (m: WorkerMessage) => boolean): Promise<void> {
  for (let i = 0; i < 3000 && !messages.some(done); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('evaluations in the worker', () => {
  it('starts with the sample, posts each result, and finishes', async () => {
    const { handle, messages } = setup();
    await handle({ type: 'load', requestId: 1, model: TEST_MODEL });
    await handle(evaluate(2));
    const mine = of(messages, 2);
    expect(mine[0]).toMatchObject({
      type: 'eval-started',
      dataset: { id: 'synthetic', metric: 'exact', size: 2 },
      itemIds: ['0', '1'],
      model: 'visionthink-test',
      backend: 'local',
    });
    expect(resultKeys(messages, 2)).toEqual(['low-only/0', 'full-only/0', 'low-only/1', 'full-only/1']);
    expect(mine.at(-1)).toEqual({ type: 'eval-finished', requestId: 2 });
  });

  it('resumes: what the page holds is not asked again', async () => {
    const { handle, messages } = setup();
    await handle({ type: 'load', requestId: 1, model: TEST_MODEL });
    await handle(evaluate(2, { done: ['low-only/0', 'full-only/0', 'low-only/1'] }));
    expect(resultKeys(messages, 2)).toEqual(['full-only/1']);
    expect(of(messages, 2).at(-1)?.type).toBe('eval-finished');
  });

  it('Stop ends it with `aborted`; a question asked meanwhile is answered between two items', async () => {
    const { handle, messages } = setup();
    await handle({ type: 'load', requestId: 1, model: TEST_MODEL });
    const running = handle(evaluate(2, { limit: 6 }));
    await until(messages, (m) => m.type === 'eval-event' && m.requestId === 2);
    // A question of the Ask view: queued behind the item in progress, answered before the next.
    await handle({
      type: 'open-image',
      requestId: 3,
      image: new Blob([new Uint8Array(await samplePng('plain', 'red', 448, 336))]),
    });
    const opened = messages.find((m) => m.type === 'image-opened');
    if (opened?.type !== 'image-opened') throw new Error('the image did not open');
    await handle({
      type: 'run',
      requestId: 4,
      imageId: opened.imageId,
      question: 'What colour is it?',
      policy: 'visionthink',
      threshold: 0.6,
      maxVisualTokens: 1024,
      followUp: false,
      turns: 0,
    });
    const answeredAt = messages.findIndex((m) => m.type === 'run-event' && m.event.type === 'done');
    expect(answeredAt).toBeGreaterThan(0);
    // Results landed before the answer, and the evaluation goes on after it.
    expect(resultKeys(messages.slice(0, answeredAt), 2).length).toBeGreaterThan(0);
    const after = (): number => resultKeys(messages.slice(answeredAt), 2).length;
    for (let i = 0; i < 3000 && after() === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(after()).toBeGreaterThan(0);
    await handle({ type: 'cancel', requestId: 2 });
    await running;
    expect(of(messages, 2).at(-1)).toMatchObject({ type: 'failed', error: { code: 'aborted' } });
    expect(resultKeys(messages, 2).length).toBeLessThan(12);
  });

  it('loading another model stops it, saying why', async () => {
    const { handle, messages } = setup();
    await handle({ type: 'load', requestId: 1, model: TEST_MODEL });
    const running = handle(evaluate(2, { limit: 6 }));
    await until(messages, (m) => m.type === 'eval-event' && m.requestId === 2);
    await handle({ type: 'load', requestId: 3, model: TEST_MODEL });
    await running;
    const last = of(messages, 2).at(-1);
    expect(last).toMatchObject({ type: 'failed', error: { code: 'model-changed' } });
    expect(last?.type === 'failed' && last.error.message).toMatch(/model was replaced.*Resume/);
  });

  it('a load that gives up nothing (a server that does not answer) leaves it running', async () => {
    const { handle, messages } = setup();
    await handle({ type: 'load', requestId: 1, model: TEST_MODEL });
    const running = handle(evaluate(2, { limit: 2 }));
    await until(messages, (m) => m.type === 'eval-event' && m.requestId === 2);
    await handle({
      type: 'load',
      requestId: 3,
      model: {
        id: 'server',
        label: 'server',
        source: 'http://127.0.0.1:9/v1',
        local: false,
        server: { baseUrl: 'http://127.0.0.1:9/v1', model: 'm', minPixels: 3136, maxPixels: 1003520 },
      },
    });
    await running;
    expect(of(messages, 3).at(-1)).toMatchObject({ type: 'failed', error: { code: 'server-unreachable' } });
    expect(of(messages, 2).at(-1)).toEqual({ type: 'eval-finished', requestId: 2 });
    expect(resultKeys(messages, 2)).toHaveLength(4);
  });

  it('before any model is loaded, and for an unknown dataset, it fails with a readable message', async () => {
    const { handle, messages } = setup();
    await handle(evaluate(1));
    expect(of(messages, 1)).toEqual([
      {
        type: 'failed',
        requestId: 1,
        error: { code: 'model-missing', message: 'No model is loaded yet: load one, then evaluate.' },
      },
    ]);
    await handle({ type: 'load', requestId: 2, model: TEST_MODEL });
    await handle(evaluate(3, { dataset: 'imagenet' }));
    expect(of(messages, 3)).toMatchObject([{ type: 'failed', error: { code: 'invalid-option' } }]);
    expect(of(messages, 3)[0]?.type === 'failed' && of(messages, 3)[0]).toMatchObject({
      error: { message: expect.stringContaining('There is no dataset "imagenet"') as string },
    });
  });
});
