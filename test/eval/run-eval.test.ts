/**
 * The evaluation harness on the generated test models, through the real loop, transformers.js and
 * onnxruntime-node: the synthetic set's decisions, tokens and scores as the test model's rules
 * predict them; the confidence sweep against real runs at those thresholds; resume; Stop; a
 * failed image; and the same results from the OpenAI-compatible peer asked several at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError } from '../../src/engine/errors.ts';
import type { ModelFamily } from '../../src/engine/model-registry.ts';
import type { PolicyId } from '../../src/engine/policies.ts';
import { ServerBackend } from '../../src/engine/server/server-backend.ts';
import type { VisionModel } from '../../src/engine/vision-model.ts';
import { planResolutions } from '../../src/engine/visual-tokens.ts';
import { runEvaluation, type EvalEvent, type EvalRunOptions } from '../../src/eval/run-eval.ts';
import { attemptAtThreshold, resultKey } from '../../src/eval/sweep.ts';
import { buildReport } from '../../src/eval/summary.ts';
import { renderSyntheticItem, syntheticInfo, syntheticItems } from '../../src/eval/synthetic/index.ts';
import type { EvalItem, ItemResult } from '../../src/eval/types.ts';
import { loadModelForNode } from '../../src/node/load-model.ts';
import { startPeer } from '../../src/node/openai-peer/server.ts';
import { TEST_MODEL_DIRS } from '../../src/node/paths.ts';
import { imageFromBytes } from '../../src/node/sharp-image.ts';

const SEED = 7;
const LIMIT = 6;
const BUDGET = 1024;
const ALL: PolicyId[] = ['visionthink', 'confidence', 'low-only', 'full-only'];

async function collect(options: EvalRunOptions): Promise<EvalEvent[]> {
  const events: EvalEvent[] = [];
  for await (const event of runEvaluation(options)) events.push(event);
  return events;
}

const results = (events: readonly EvalEvent[]): ItemResult[] =>
  events.flatMap((event) => (event.type === 'item' ? [event.result] : []));

function optionsFor(backend: EvalRunOptions['backend'], items: readonly EvalItem[] = syntheticItems(LIMIT, SEED)) {
  return {
    backend,
    dataset: syntheticInfo(LIMIT),
    items,
    policies: ALL,
    threshold: 0.6,
    maxVisualTokens: BUDGET,
    openImage: (bytes: Uint8Array) => imageFromBytes(bytes),
  } satisfies EvalRunOptions;
}

/** What one policy gave on one item. */
function find(list: readonly ItemResult[], policy: PolicyId, itemId: string): ItemResult {
  const found = list.find((result) => result.policy === policy && result.itemId === itemId);
  if (!found) throw new Error(`no ${policy} result for item ${itemId}`);
  return found;
}

describe.each<ModelFamily>(['qwen2_vl', 'qwen3_5'])('the synthetic set on the %s test model', (family) => {
  let model: VisionModel;
  let all: ItemResult[];
  beforeAll(async () => {
    model = await loadModelForNode(TEST_MODEL_DIRS[family]);
    all = results(await collect(optionsFor(model)));
  }, 600_000);
  afterAll(async () => {
    await model.dispose();
  });

  it('asks every item under every policy, in item order', () => {
    expect(all.map((result) => resultKey(result.policy, result.itemId))).toEqual(
      Array.from({ length: LIMIT }, (_, k) => ALL.map((policy) => resultKey(policy, String(k)))).flat(),
    );
    expect(all.filter((result) => result.error !== undefined)).toEqual([]);
  });

  it('escalates exactly the items that need the full image, with the visual tokens of the plan', () => {
    for (let k = 0; k < LIMIT; k++) {
      const item = renderSyntheticItem(SEED, k);
      const plan = planResolutions(item.width, item.height, model.geometry, BUDGET);
      const needsFull = item.category === 'full';
      const id = String(k);
      expect(find(all, 'visionthink', id).attempt.escalated).toBe(needsFull);
      expect(find(all, 'visionthink', id).attempt.visualTokens).toBe(
        plan.low.visualTokens + (needsFull ? plan.full.visualTokens : 0),
      );
      expect(find(all, 'low-only', id).attempt).toMatchObject({
        escalated: false,
        visualTokens: plan.low.visualTokens,
      });
      expect(find(all, 'full-only', id).attempt.visualTokens).toBe(plan.full.visualTokens);
      for (const policy of ALL) expect(find(all, policy, id).fullResolutionTokens).toBe(plan.full.visualTokens);
      // The test model answers the colour nearest the image's mean colour: right for the
      // background-colour questions, a colour (so wrong) for every other.
      for (const policy of ALL) {
        const result = find(all, policy, id);
        expect(result.attempt.score).toBe(item.kind === 'colour' ? 1 : 0);
        if (item.kind === 'colour') expect(item.answers).toContain(result.attempt.prediction);
      }
    }
  });

  it('records both passes of the confidence policy, and its result at 0.6 is what a run at 0.6 gives', async () => {
    for (let k = 0; k < LIMIT; k++) {
      const { sweep, attempt } = find(all, 'confidence', String(k));
      const needsFull = renderSyntheticItem(SEED, k).category === 'full';
      expect(sweep?.lowPass.asked).toBe(false);
      // Sure of a picture without fine detail, unsure (0.2–0.3) of small print at low resolution:
      // the default threshold, 0.6, tells them apart.
      if (needsFull) expect(sweep?.lowPass.confidence).toBeLessThan(0.35);
      else expect(sweep?.lowPass.confidence).toBeGreaterThan(0.9);
      expect(sweep?.escalatedPass.escalated).toBe(true);
      expect(attempt.escalated).toBe(needsFull);
    }
    // Asked again for real at 0.6 and at 0: the same answers and visual tokens as computed.
    for (const threshold of [0.6, 0]) {
      const rerun = results(await collect({ ...optionsFor(model), policies: ['confidence'], threshold }));
      const computed = all
        .filter((result) => result.policy === 'confidence')
        .map((result) => (result.sweep ? attemptAtThreshold(result.sweep, threshold) : result.attempt));
      const real = rerun.map((result) => result.attempt);
      expect(computed.map((a) => [a.prediction, a.escalated, a.visualTokens])).toEqual(
        real.map((a) => [a.prediction, a.escalated, a.visualTokens]),
      );
      expect(real.filter((a) => a.escalated)).toHaveLength(threshold === 0 ? 0 : LIMIT / 2);
    }
  }, 600_000);

  it('summarises like the paper: low-only a quarter of the tokens, full-only all of them', () => {
    const report = buildReport({
      startedAt: '',
      finishedAt: '',
      model: family,
      backend: 'local',
      dataset: syntheticInfo(LIMIT),
      limit: LIMIT,
      seed: SEED,
      policies: ALL,
      threshold: 0.6,
      maxVisualTokens: BUDGET,
      itemIds: Array.from({ length: LIMIT }, (_, k) => String(k)),
      items: all,
      skipped: [],
    });
    expect(report.complete).toBe(true);
    const by = Object.fromEntries(report.summaries.map((s) => [s.policy, s]));
    const colourItems = Array.from({ length: LIMIT }, (_, k) => renderSyntheticItem(SEED, k)).filter(
      (item) => item.kind === 'colour',
    ).length;
    for (const policy of ALL) expect(by[policy]?.accuracy).toBeCloseTo(colourItems / LIMIT, 12);
    expect(by['full-only']?.visualTokenRatio).toBe(1);
    const plans = Array.from({ length: LIMIT }, (_, k) => {
      const item = renderSyntheticItem(SEED, k);
      return planResolutions(item.width, item.height, model.geometry, BUDGET);
    });
    const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);
    // A quarter of the tokens, up to the rounding of each side to whole patches.
    expect(by['low-only']?.visualTokenRatio).toBe(
      sum(plans.map((plan) => plan.low.visualTokens)) / sum(plans.map((plan) => plan.full.visualTokens)),
    );
    expect(by['low-only']?.visualTokenRatio).toBeCloseTo(0.25, 1);
    expect(by.visionthink?.escalationRate).toBe(0.5);
    expect(by.confidence?.escalationRate).toBe(0.5);
    // Equal accuracy everywhere: the cheapest threshold (0, never look again) is suggested.
    expect(report.confidenceSweep?.suggested?.threshold).toBe(0);
    expect(report.confidenceSweep?.reference).toEqual({ policy: 'full-only', accuracy: by['full-only']?.accuracy });
  });
});

describe('resume, Stop and a failed image', () => {
  let model: VisionModel;
  beforeAll(async () => {
    model = await loadModelForNode();
  });
  afterAll(async () => {
    await model.dispose();
  });

  it('a resumed run asks only what is missing', async () => {
    const items = syntheticItems(3, SEED);
    const done = new Set([resultKey('visionthink', '0'), resultKey('low-only', '0'), resultKey('visionthink', '1')]);
    const asked = results(await collect({ ...optionsFor(model, items), policies: ['visionthink', 'low-only'], done }));
    expect(asked.map((result) => resultKey(result.policy, result.itemId))).toEqual([
      'low-only/1',
      'visionthink/2',
      'low-only/2',
    ]);
  });

  it('Stop ends the run with AbortedError, keeping the results before it', async () => {
    const controller = new AbortController();
    const seen: EvalEvent[] = [];
    const run = async (): Promise<void> => {
      for await (const event of runEvaluation({
        ...optionsFor(model, syntheticItems(4, SEED)),
        policies: ['low-only'],
        signal: controller.signal,
      })) {
        seen.push(event);
        if (seen.length === 1) controller.abort();
      }
    };
    await expect(run()).rejects.toBeInstanceOf(AbortedError);
    expect(seen).toHaveLength(1);
  });

  it('an image that cannot be read is skipped for every policy; the rest is asked', async () => {
    const [first, second] = syntheticItems(2, SEED);
    if (!first || !second) throw new Error('two items expected');
    const broken: EvalItem = { ...first, image: () => Promise.resolve(new Uint8Array([1, 2, 3])) };
    const events = await collect({ ...optionsFor(model, [broken, second]), policies: ['low-only', 'full-only'] });
    expect(events[0]).toMatchObject({ type: 'skip', skipped: { itemId: '0' } });
    expect(events[0]?.type === 'skip' && events[0].skipped.reason).toMatch(/image/i);
    expect(results(events).map((result) => resultKey(result.policy, result.itemId))).toEqual([
      'low-only/1',
      'full-only/1',
    ]);
  });
});

describe('on a model server, several items at once', () => {
  it('gives the local results, figure for figure, with three requests in flight', async () => {
    const model = await loadModelForNode();
    const peer = await startPeer({ model, port: 0, servedModelName: 'eval-peer' });
    try {
      const server = await ServerBackend.connect({
        baseUrl: peer.url,
        model: 'eval-peer',
        minPixels: model.geometry.minPixels,
        maxPixels: model.geometry.maxPixels,
      });
      const items = syntheticItems(4, SEED);
      const policies: PolicyId[] = ['visionthink', 'confidence'];
      const local = results(await collect({ ...optionsFor(model, items), policies }));
      // Counts the chat requests in flight at once, as the server sees them arrive.
      const realFetch = globalThis.fetch;
      let inFlight = 0;
      let most = 0;
      globalThis.fetch = async (input, init) => {
        const chat = String(input instanceof Request ? input.url : input).endsWith('/chat/completions');
        if (chat) most = Math.max(most, ++inFlight);
        try {
          return await realFetch(input, init);
        } finally {
          if (chat) inFlight--;
        }
      };
      let remote: ItemResult[];
      try {
        remote = results(await collect({ ...optionsFor(server, items), policies, concurrency: 3 }));
      } finally {
        globalThis.fetch = realFetch;
      }
      const key = (result: ItemResult): string => resultKey(result.policy, result.itemId);
      const figures = (result: ItemResult) => ({
        key: key(result),
        prediction: result.attempt.prediction,
        score: result.attempt.score,
        escalated: result.attempt.escalated,
        visualTokens: result.attempt.visualTokens,
        generatedTokens: result.attempt.generatedTokens,
        confidence: result.sweep?.lowPass.confidence?.toFixed(6),
      });
      const sorted = (list: ItemResult[]) => list.map(figures).sort((a, b) => a.key.localeCompare(b.key));
      expect(sorted(remote)).toEqual(sorted(local));
      expect(most).toBe(3);

      // A failure of the item's own (its image too large for a proxy) is its answer, scored 0;
      // one of the server's (busy) would fail every item after it, so it ends the run.
      const inject = (failure: string): Promise<Response> =>
        fetch(new URL('/_peer/inject', peer.url), {
          method: 'POST',
          body: JSON.stringify({ failure, times: 1, retryAfter: null }),
        });
      await inject('too-large');
      const pair = syntheticItems(2, SEED);
      const recorded = results(await collect({ ...optionsFor(server, pair), policies: ['low-only'] }));
      expect(recorded.map((result) => [result.itemId, result.attempt.score, result.error !== undefined])).toEqual([
        ['0', 0, true],
        ['1', recorded[1]?.attempt.score, false],
      ]);
      // Its baseline is the plan's, as if it had been answered.
      expect(recorded[0]?.fullResolutionTokens).toBe(local.find((r) => r.itemId === '0')?.fullResolutionTokens);
      await inject('unavailable');
      await expect(collect({ ...optionsFor(server, pair), policies: ['low-only'] })).rejects.toMatchObject({
        code: 'server-busy',
      });
    } finally {
      await peer.close();
      await model.dispose();
    }
  }, 600_000);
});
