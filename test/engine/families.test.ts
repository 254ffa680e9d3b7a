/**
 * The same VisionThink contract on the generated test model of every family (real transformers.js
 * and onnxruntime-node): Qwen2-VL (14-px patches, `grid_thw`, one KV cache per layer) and Qwen3.5
 * (16-px patches, `image_grid_thw`, nested `text_config`, a hybrid decoder whose linear-attention
 * layer carries conv and recurrent states). Sizes and token counts are worked out by hand per family.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent, RunResult } from '../../src/engine/events.ts';
import { TOOL_RESPONSE_TURN, chatMessages } from '../../src/engine/protocol.ts';
import { runVisionThink } from '../../src/engine/visionthink.ts';
import type { VisionModel } from '../../src/engine/vision-model.ts';
import { loadModelForNode } from '../../src/node/load-model.ts';
import { TEST_MODEL_DIRS } from '../../src/node/paths.ts';
import { MODEL_FAMILIES, type ModelFamily } from '../../scripts/model/family-configs.ts';
import { THOUGHTS, TOOL_CALL_BODY } from '../../scripts/model/test-model.ts';
import { QUESTION, collectEvents, errorOf, outputs, resultOf, sampleImage, warmPrefix } from './helpers.ts';

type Size = { width: number; height: number };
type SizeKey = '448x336' | '896x672' | '1344x1008';

/**
 * Each family's processor sizes: half of each side for the low pass, then each side rounded to a
 * multiple of one visual token's block (28 px for Qwen2-VL, 32 px for Qwen3.5) and the pixel count
 * capped at 1024 tokens' worth.
 */
const FAMILY_SIZES: Record<ModelFamily, { block: number; sizes: Record<SizeKey, { low: Size; full: Size }> }> = {
  qwen2_vl: {
    block: 28,
    sizes: {
      '448x336': { low: { width: 224, height: 168 }, full: { width: 448, height: 336 } },
      '896x672': { low: { width: 448, height: 336 }, full: { width: 896, height: 672 } },
      '1344x1008': { low: { width: 672, height: 504 }, full: { width: 1008, height: 756 } },
    },
  },
  qwen3_5: {
    block: 32,
    sizes: {
      // 168 / 32 = 5.25 rounds down, 336 / 32 = 10.5 rounds up (as transformers.js rounds).
      '448x336': { low: { width: 224, height: 160 }, full: { width: 448, height: 352 } },
      '896x672': { low: { width: 448, height: 352 }, full: { width: 896, height: 672 } },
      // 1344 × 1024 would be 1344 tokens: scaled down under the 1024-token cap (1,048,576 px).
      '1344x1008': { low: { width: 672, height: 512 }, full: { width: 1152, height: 864 } },
    },
  },
};

describe.each(MODEL_FAMILIES)('the %s test model', (family) => {
  const { block, sizes } = FAMILY_SIZES[family];
  const tokens = ({ width, height }: Size): number => (width / block) * (height / block);
  const passes = (size: SizeKey) => {
    const [width, height] = size.split('x').map(Number) as [number, number];
    const { low, full } = sizes[size];
    return { width, height, low: { ...low, visualTokens: tokens(low) }, full: { ...full, visualTokens: tokens(full) } };
  };

  let model: VisionModel;
  let firstTurnTextTokens: number;
  let toolTurnTextTokens: number;
  let prefixTokens: number;

  beforeAll(async () => {
    model = await loadModelForNode(TEST_MODEL_DIRS[family]);
    firstTurnTextTokens = (await model.encodeTurn(model.renderChat(chatMessages(QUESTION)), null)).ids.length;
    toolTurnTextTokens = (await model.encodeTurn(TOOL_RESPONSE_TURN, null)).ids.length;
    prefixTokens = await warmPrefix(model);
  });

  afterAll(async () => {
    await model.dispose();
  });

  it('reads the image geometry of its family', () => {
    expect(model.geometry.patchSize * model.geometry.mergeSize).toBe(block);
  });

  it.each([
    ['red', '448x336'],
    ['blue', '896x672'],
    ['magenta', '1344x1008'],
  ] as const)('answers a plain %s %s image in one round at low resolution', async (colour, size) => {
    const expected = passes(size);
    const image = await sampleImage('plain', colour, expected.width, expected.height);
    const events = await collectEvents(model, { image, question: QUESTION });
    const result = resultOf(events);

    expect(events[0]).toEqual({
      type: 'plan',
      turn: 1,
      original: { width: expected.width, height: expected.height },
      low: expected.low,
      full: expected.full,
    });
    expect(result.answer).toBe(colour);
    expect(result.escalated).toBe(false);
    expect(result.rounds).toHaveLength(1);
    const [round] = result.rounds as [RunResult['rounds'][number]];
    expect(round.image).toEqual({ width: expected.low.width, height: expected.low.height, resolution: 'low' });
    expect(round.output).toBe(outputs.answer(THOUGHTS.plain, colour));
    expect(round.promptTokens).toBe(firstTurnTextTokens - 1 + expected.low.visualTokens);
    expect(round.prefilledTokens).toBe(round.promptTokens - prefixTokens);
    expect(round.generatedTokens).toBe(7);
  });

  it.each([
    ['green', '448x336'],
    ['white', '896x672'],
  ] as const)('escalates a detailed %s %s image to the full one, then answers', async (colour, size) => {
    const expected = passes(size);
    const image = await sampleImage('detailed', colour, expected.width, expected.height);
    const result = resultOf(await collectEvents(model, { image, question: QUESTION }));

    expect(result.answer).toBe(colour);
    expect(result.escalated).toBe(true);
    expect(result.visualTokens).toEqual({
      used: expected.low.visualTokens + expected.full.visualTokens,
      fullResolution: expected.full.visualTokens,
      saved: -expected.low.visualTokens,
    });
    const [first, second] = result.rounds as [RunResult['rounds'][number], RunResult['rounds'][number]];
    expect(first.output).toBe(outputs.toolCall(THOUGHTS.detailed, TOOL_CALL_BODY));
    expect(second.image).toEqual({ width: expected.full.width, height: expected.full.height, resolution: 'full' });
    expect(second.output).toBe(outputs.answer(THOUGHTS.afterTool, colour));
    // Round 2 prefills the tool-response turn and round 1's pending <|im_end|>, nothing more.
    const toolTurnTokens = toolTurnTextTokens - 1 + expected.full.visualTokens;
    expect(second.promptTokens).toBe(first.promptTokens + first.generatedTokens + toolTurnTokens);
    expect(second.prefilledTokens).toBe(toolTurnTokens + 1);
  });

  it('keeps answering correctly after runs cancelled in round 1 prefill and in round 2 decoding', async () => {
    const image = await sampleImage('detailed', 'cyan', 448, 336);
    const untouched = resultOf(await collectEvents(model, { image, question: QUESTION }));
    const stops: ((event: EngineEvent) => boolean)[] = [
      (event) => event.type === 'phase' && event.round === 1 && event.phase === 'prefill',
      (event) => event.type === 'text' && event.round === 2,
    ];
    for (const stopHere of stops) {
      const controller = new AbortController();
      const events: EngineEvent[] = [];
      for await (const event of runVisionThink(model, { image, question: QUESTION, signal: controller.signal })) {
        events.push(event);
        if (stopHere(event)) controller.abort();
      }
      expect(errorOf(events).code).toBe('aborted');
    }
    const after = resultOf(await collectEvents(model, { image, question: QUESTION }));

    expect(after.answer).toBe('cyan');
    expect(after.escalated).toBe(true);
    expect(after.transcript).toBe(untouched.transcript);
    expect(after.rounds.map((round) => round.prefilledTokens)).toEqual(
      untouched.rounds.map((round) => round.prefilledTokens),
    );
  });
});
