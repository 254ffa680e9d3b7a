/**
 * Cancelling a run through its AbortSignal in every phase, and by leaving the `for await`: the
 * stream ends with one `aborted` error, generation stops within one step, every cache is freed,
 * and the model keeps working afterwards.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.ts';
import type { ImageSource } from '../../src/engine/image.ts';
import { runVisionThink, type RunRequest } from '../../src/engine/visionthink.ts';
import { PREFILL_CHUNK_TOKENS, type GenerateRequest, type VisionModel } from '../../src/engine/vision-model.ts';
import { loadModelForNode } from '../../src/node/load-model.ts';
import { THOUGHTS } from '../../scripts/model/test-model.ts';
import {
  QUESTION,
  collectEvents,
  errorOf,
  outputs,
  resultOf,
  sampleImage,
  trackCacheTensors,
  warmPrefix,
} from './helpers.ts';

let model: VisionModel;

beforeAll(async () => {
  model = await loadModelForNode();
  // The prompt prefix belongs to the model, not to a run: computed here, it is never counted
  // among a run's tensors.
  await warmPrefix(model);
});

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  await model.dispose();
});

/**
 * Watches a run from the outside without changing it: every cache `newCache` hands out and every
 * tensor the model puts in one, every `generate` call and every decoding step (one `onToken`
 * each), every pixel request.
 */
function instrument(image: ImageSource) {
  const caches: object[] = [];
  const newCache = model.newCache.bind(model);
  vi.spyOn(model, 'newCache').mockImplementation((from) => {
    const cache = newCache(from);
    caches.push(cache);
    return cache;
  });
  const tensors = trackCacheTensors();
  const generate = model.generate.bind(model);
  let steps = 0;
  const generateSpy = vi.spyOn(model, 'generate').mockImplementation((request: GenerateRequest) =>
    generate({
      ...request,
      onToken: (generated, probabilities) => {
        steps++;
        request.onToken(generated, probabilities);
      },
    }),
  );
  let resizes = 0;
  const watched: ImageSource = {
    width: image.width,
    height: image.height,
    resize: (width, height, round) => {
      resizes++;
      return image.resize(width, height, round);
    },
  };
  return {
    image: watched,
    caches,
    /** Tensors the model put in a cache that are still alive. */
    undisposed: tensors.alive,
    steps: () => steps,
    generateCalls: () => generateSpy.mock.calls.length,
    resizes: () => resizes,
  };
}

interface AbortedRun {
  events: EngineEvent[];
  /** The event the abort was made on, and the events received after it. */
  trigger: EngineEvent;
  after: EngineEvent[];
  /** Decoding steps taken when the abort happened and in all. */
  stepsAtAbort: number;
  steps: number;
  watch: ReturnType<typeof instrument>;
}

/** Runs a question and aborts its signal when `when` first matches a received event. */
async function abortWhen(
  image: ImageSource,
  when: (event: EngineEvent) => boolean,
  options: Partial<RunRequest> = {},
): Promise<AbortedRun> {
  const watch = instrument(image);
  const controller = new AbortController();
  const events: EngineEvent[] = [];
  let abortedAt = -1;
  let stepsAtAbort = -1;
  for await (const event of runVisionThink(model, {
    ...options,
    image: watch.image,
    question: QUESTION,
    signal: controller.signal,
  })) {
    events.push(event);
    if (abortedAt < 0 && when(event)) {
      abortedAt = events.length;
      stepsAtAbort = watch.steps();
      controller.abort();
    }
  }
  const trigger = events[abortedAt - 1];
  if (!trigger) throw new Error(`The abort point never came: ${JSON.stringify(events.map((e) => e.type))}`);
  return { events, trigger, after: events.slice(abortedAt), stepsAtAbort, steps: watch.steps(), watch };
}

/** What every cancelled run must look like. */
function expectCancelled(run: AbortedRun): void {
  expect(errorOf(run.events)).toEqual({ code: 'aborted', message: 'The run was stopped.' });
  expect(run.events.some((event) => event.type === 'done')).toBe(false);
  // At most the step in flight when the signal fired finishes, so at most one more token.
  expect(run.steps - run.stepsAtAbort).toBeLessThanOrEqual(1);
  expect(run.after.filter((event) => event.type === 'text').length).toBeLessThanOrEqual(
    run.steps - run.stepsAtAbort + 1,
  );
  // The cancelled round never completes, and no round starts after it.
  expect(run.after.filter((event) => event.type === 'usage' || event.type === 'decision')).toEqual([]);
  expect(run.after.filter((event) => event.type === 'round')).toEqual([]);
  // A run stopped on its plan never gets as far as a cache.
  if (run.trigger.type !== 'plan') expect(run.watch.caches.length).toBeGreaterThan(0);
  expect(run.watch.undisposed()).toEqual([]);
}

/** What the run's final error says it had spent. */
function spentOf(events: EngineEvent[]): unknown {
  const last = events.at(-1);
  return last?.type === 'error' ? last.spent : undefined;
}

const roundOf = (event: EngineEvent): number | undefined =>
  'round' in event && typeof event.round === 'number' ? event.round : undefined;

describe('aborting through the signal', () => {
  it('before the run starts: nothing is decoded or run', async () => {
    const watch = instrument(await sampleImage('detailed', 'green', 448, 336));
    const controller = new AbortController();
    controller.abort();
    const events = await collectEvents(model, { image: watch.image, question: QUESTION, signal: controller.signal });

    expect(errorOf(events).code).toBe('aborted');
    expect(events.map((event) => event.type)).toEqual(['error']);
    expect(watch.resizes()).toBe(0);
    expect(watch.generateCalls()).toBe(0);
    expect(watch.undisposed()).toEqual([]);
  });

  it('on the plan: the image is not encoded', async () => {
    const run = await abortWhen(await sampleImage('detailed', 'green', 448, 336), (event) => event.type === 'plan');
    expectCancelled(run);
    expect(run.watch.generateCalls()).toBe(0);
    expect(run.steps).toBe(0);
    expect(spentOf(run.events)).toEqual({ low: 0, full: 0 });
  });

  it('while round 1 encodes the low image: the decoder never runs', async () => {
    const run = await abortWhen(
      await sampleImage('detailed', 'green', 896, 672),
      (event) => event.type === 'phase' && event.phase === 'encode-low',
    );
    expectCancelled(run);
    expect(run.steps).toBe(0);
    expect(run.after.map((event) => event.type)).toEqual(['error']);
    // The encoder had started on the low image: its tokens were spent.
    expect(spentOf(run.events)).toEqual({ low: 192, full: 0 });
  });

  it('during round 1 prefill: at most the first token', async () => {
    const run = await abortWhen(
      await sampleImage('detailed', 'green', 896, 672),
      (event) => event.type === 'phase' && event.phase === 'prefill',
    );
    expectCancelled(run);
    expect(run.stepsAtAbort).toBe(0);
  });

  it('during a prefill in chunks: stops between chunks, before the image is encoded', async () => {
    model.prefillChunkTokens = 64;
    try {
      // Without the cached prefix, the system prompt comes before the image: its chunks run first.
      const run = await abortWhen(
        await sampleImage('detailed', 'green', 448, 336),
        (event) => event.type === 'phase' && event.phase === 'prefill',
        { prefixCache: false },
      );
      expectCancelled(run);
      expect(run.steps).toBe(0);
      expect(run.events.some((event) => event.type === 'phase' && event.phase === 'encode-low')).toBe(false);
      expect(spentOf(run.events)).toEqual({ low: 0, full: 0 });
    } finally {
      model.prefillChunkTokens = PREFILL_CHUNK_TOKENS;
    }
  });

  it('while round 1 decodes: stops within one token', async () => {
    const run = await abortWhen(
      await sampleImage('detailed', 'green', 448, 336),
      (event) => event.type === 'phase' && event.phase === 'decode',
    );
    expectCancelled(run);
    expect(run.stepsAtAbort).toBe(1);
    // Round 1 takes 7 steps when it is not stopped.
    expect(run.steps).toBeLessThan(7);
  });

  it('while round 2 encodes the full image', async () => {
    const run = await abortWhen(
      await sampleImage('detailed', 'green', 448, 336),
      (event) => event.type === 'phase' && event.phase === 'encode-full',
    );
    expectCancelled(run);
    // Round 1 finished (7 steps) and round 2 never reached its decoder.
    expect(run.stepsAtAbort).toBe(7);
    expect(run.steps).toBe(7);
    expect(run.events.filter((event) => event.type === 'usage')).toHaveLength(1);
    expect(spentOf(run.events)).toEqual({ low: 48, full: 192 });
  });

  it('while round 2 decodes', async () => {
    const run = await abortWhen(
      await sampleImage('detailed', 'green', 448, 336),
      (event) => event.type === 'phase' && event.phase === 'decode' && event.round === 2,
    );
    expectCancelled(run);
    expect(run.stepsAtAbort).toBe(8);
    expect(run.steps).toBeLessThan(14);
    expect(run.events.filter((event) => event.type === 'usage')).toHaveLength(1);
    expect(run.after.every((event) => event.type === 'error' || roundOf(event) === 2)).toBe(true);
  });
});

describe('leaving the for await early', () => {
  it('stops the run and frees its cache before the loop statement completes', async () => {
    const watch = instrument(await sampleImage('detailed', 'green', 448, 336));
    let stepsAtBreak = -1;
    for await (const event of runVisionThink(model, { image: watch.image, question: QUESTION })) {
      if (event.type === 'text') {
        stepsAtBreak = watch.steps();
        break;
      }
    }
    expect(stepsAtBreak).toBe(1);
    expect(watch.steps() - stepsAtBreak).toBeLessThanOrEqual(1);
    expect(watch.caches).toHaveLength(1);
    expect(watch.undisposed()).toEqual([]);
    // Nothing keeps running in the background.
    const steps = watch.steps();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(watch.steps()).toBe(steps);
    expect(watch.generateCalls()).toBe(1);
  });
});

describe('after cancellations', () => {
  it('the same model answers a new question correctly', async () => {
    for (const phase of ['encode-low', 'prefill', 'decode'] as const) {
      const run = await abortWhen(
        await sampleImage('detailed', 'blue', 448, 336),
        (event) => event.type === 'phase' && event.phase === phase,
      );
      expectCancelled(run);
      vi.restoreAllMocks();
    }
    const watch = instrument(await sampleImage('detailed', 'magenta', 448, 336));
    const result = resultOf(await collectEvents(model, { image: watch.image, question: QUESTION }));

    expect(result.answer).toBe('magenta');
    expect(result.escalated).toBe(true);
    // Round 2 prefills the 487-token tool-response turn (192 pads) and round 1's <|im_end|>.
    expect(result.rounds.map((round) => round.prefilledTokens)).toEqual([
      (result.rounds[0]?.promptTokens ?? 0) - (await warmPrefix(model)),
      488,
    ]);
    expect(result.rounds[1]?.output).toBe(outputs.answer(THOUGHTS.afterTool, 'magenta'));
    expect(watch.undisposed()).toEqual([]);
  });
});
