/**
 * The `confidence` policy on the generated test models of every family: a plain prompt through
 * the model's own chat template, the answer's confidence read from the model's own logits, and
 * the full image shown in a second user turn on the same cache when the answer is unsure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProbability } from '../../src/engine/decide-round.ts';
import type { EngineEvent, RunResult } from '../../src/engine/events.ts';
import { FULL_IMAGE_FOLLOW_UP, PLAIN_TEMPLATE_OPTIONS, plainMessages } from '../../src/engine/plain-protocol.ts';
import type { VisionModel } from '../../src/engine/vision-model.ts';
import { planResolutions } from '../../src/engine/visual-tokens.ts';
import { runVisionThink } from '../../src/engine/visionthink.ts';
import { loadModelForNode } from '../../src/node/load-model.ts';
import { TEST_MODEL_DIRS } from '../../src/node/paths.ts';
import { MODEL_FAMILIES } from '../../scripts/model/family-configs.ts';
import { THOUGHTS, TOOL_CALL_BODY } from '../../scripts/model/test-model.ts';
import { IMAGE_PAD, QUESTION, collectEvents, errorOf, resultOf, sampleImage } from './helpers.ts';

const pads = (n: number): string => IMAGE_PAD.repeat(n);

/** The plain prompt of round 1, as the Qwen2-VL chat template both test models carry renders it. */
const plainPrompt = (visualTokens: number): string =>
  '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n' +
  `<|vision_start|>${pads(visualTokens)}<|vision_end|>${QUESTION}<|im_end|>\n<|im_start|>assistant\n`;

/** The follow-up turn of round 2, after the model's <|im_end|>. */
const followUp = (visualTokens: number): string =>
  '\n<|im_start|>user\n' +
  `<|vision_start|>${pads(visualTokens)}<|vision_end|>${FULL_IMAGE_FOLLOW_UP}<|im_end|>\n<|im_start|>assistant\n`;

const answer = (thought: string, colour: string): string => `<think>${thought}</think><answer>${colour}</answer>`;

describe.each(MODEL_FAMILIES)('the confidence policy on the %s test model', (family) => {
  let model: VisionModel;

  beforeAll(async () => {
    model = await loadModelForNode(TEST_MODEL_DIRS[family]);
  });

  afterAll(async () => {
    await model.dispose();
  });

  it('renders the plain prompt through the model’s own template, byte for byte', () => {
    expect(model.renderChat(plainMessages(QUESTION), 'own', PLAIN_TEMPLATE_OPTIONS)).toBe(plainPrompt(1));
  });

  it('a plain image: a confident answer from the low-resolution image, nothing more', async () => {
    const image = await sampleImage('plain', 'blue', 896, 672);
    const plan = planResolutions(image.width, image.height, model.geometry);
    const events = await collectEvents(model, { image, question: QUESTION, policy: 'confidence', threshold: 0.6 });
    const result = resultOf(events);

    expect(result.escalated).toBe(false);
    expect(result.answer).toBe('blue');
    expect(result.threshold).toBe(0.6);
    expect(result.transcript).toBe(`${plainPrompt(plan.low.visualTokens)}${answer(THOUGHTS.plain, 'blue')}<|im_end|>`);
    const [round] = result.rounds;
    expect(result.rounds).toHaveLength(1);
    expect(round?.confidence?.value).toBeGreaterThan(0.9);
    expect(round?.confidence?.tokens).toBe(1);
    expect(round?.decision).toBe('answer');
    expect(round?.reason).toBe(
      `Confident (${formatProbability(round?.confidence?.value ?? Number.NaN)}) — answered from the low-resolution image`,
    );
    expect(result.visualTokens).toEqual({
      used: plan.low.visualTokens,
      fullResolution: plan.full.visualTokens,
      saved: plan.full.visualTokens - plan.low.visualTokens,
    });
    const decision = events.find((event) => event.type === 'decision');
    expect(decision).toMatchObject({ decision: 'answer', gate: { threshold: 0.6 } });
  });

  it('a detailed image: unsure at low resolution, so the full image in a second turn on the same cache', async () => {
    const image = await sampleImage('detailed', 'red', 896, 672);
    const plan = planResolutions(image.width, image.height, model.geometry);
    const events = await collectEvents(model, { image, question: QUESTION, policy: 'confidence', threshold: 0.6 });
    const result = resultOf(events);

    expect(result.escalated).toBe(true);
    expect(result.answer).toBe('red');
    const [first, second] = result.rounds;
    if (!first || !second) throw new Error('two rounds');
    expect(first.output).toBe(answer(THOUGHTS.unsure, 'red'));
    expect(first.confidence?.value).toBeLessThan(0.5);
    expect(first.decision).toBe('escalate');
    expect(first.reason).toBe(
      `Unsure at low resolution (confidence ${formatProbability(first.confidence?.value ?? Number.NaN)}, below 0.60) — looked at the full image`,
    );
    expect(second.output).toBe(answer(THOUGHTS.afterTool, 'red'));
    expect(second.confidence?.value).toBeGreaterThan(0.9);
    expect(second.decision).toBe('answer');
    expect(result.transcript).toBe(
      `${plainPrompt(plan.low.visualTokens)}${answer(THOUGHTS.unsure, 'red')}<|im_end|>` +
        `${followUp(plan.full.visualTokens)}${answer(THOUGHTS.afterTool, 'red')}<|im_end|>`,
    );
    // Round 2 prefills only the appended turn (and round 1's <|im_end|>, which no step ran yet).
    expect(second.prefilledTokens).toBe(second.promptTokens - (first.promptTokens + first.generatedTokens) + 1);
    expect(result.visualTokens.used).toBe(plan.low.visualTokens + plan.full.visualTokens);

    const decisions = events.filter((event) => event.type === 'decision');
    expect(decisions[0]).toMatchObject({ round: 1, decision: 'escalate', gate: { threshold: 0.6 } });
    expect(decisions[0]).not.toHaveProperty('asked');
    // The round's tokens come with the probability the model gave each.
    const usage = events.find((event): event is Extract<EngineEvent, { type: 'usage' }> => event.type === 'usage');
    expect(usage?.tokens.map((token) => token.text).join('')).toBe(first.output);
    expect(usage?.tokens.every((token) => token.p > 0 && token.p <= 1)).toBe(true);
  });

  it('gives the same conversation as a re-prefill of the whole conversation', async () => {
    const image = await sampleImage('detailed', 'green', 448, 336);
    const ask = async (reuseCache: boolean): Promise<RunResult> =>
      resultOf(
        await collectEvents(model, {
          image,
          question: QUESTION,
          policy: 'confidence',
          reuseCache,
          prefixCache: reuseCache,
        }),
      );
    const reused = await ask(true);
    const refilled = await ask(false);
    expect(reused.escalated).toBe(true);
    expect(refilled.transcript).toBe(reused.transcript);
    const confidences = (result: RunResult) => result.rounds.map((round) => round.confidence?.value ?? -1);
    confidences(refilled).forEach((value, i) => {
      expect(value).toBeCloseTo(confidences(reused)[i] ?? -1, 4);
    });
    expect(refilled.rounds[1]?.prefilledTokens).toBe(refilled.rounds[1]?.promptTokens);
  });

  it('threshold 0 never looks again; threshold 1 always does', async () => {
    const detailed = await sampleImage('detailed', 'yellow', 448, 336);
    const never = resultOf(
      await collectEvents(model, { image: detailed, question: QUESTION, policy: 'confidence', threshold: 0 }),
    );
    expect(never.escalated).toBe(false);
    expect(never.answer).toBe('yellow');
    const plain = await sampleImage('plain', 'cyan', 448, 336);
    const always = resultOf(
      await collectEvents(model, { image: plain, question: QUESTION, policy: 'confidence', threshold: 1 }),
    );
    expect(always.escalated).toBe(true);
    expect(always.rounds).toHaveLength(2);
    expect(always.answer).toBe('cyan');
  });

  it('a model that asks for the full image itself gets it', async () => {
    const image = await sampleImage('plain', 'green', 448, 336);
    const events = await collectEvents(model, {
      image,
      question: QUESTION,
      policy: 'confidence',
      script: [`<think>I need more.</think><tool_call>${TOOL_CALL_BODY}</tool_call>`],
    });
    const result = resultOf(events);
    expect(result.escalated).toBe(true);
    expect(result.rounds[0]?.confidence).toBeNull();
    expect(result.rounds[0]?.reason).toBe('Asked for the full image itself — looked at the full image');
    expect(events.find((event) => event.type === 'decision')).toMatchObject({ decision: 'escalate', asked: true });
    expect(result.transcript).toContain(FULL_IMAGE_FOLLOW_UP);
    expect(result.answer).toBe('green');
  });

  it('Stop during round 2 ends the run and says what it spent', async () => {
    const image = await sampleImage('detailed', 'magenta', 448, 336);
    const plan = planResolutions(image.width, image.height, model.geometry);
    const controller = new AbortController();
    const events: EngineEvent[] = [];
    for await (const event of runVisionThink(model, {
      image,
      question: QUESTION,
      policy: 'confidence',
      signal: controller.signal,
    })) {
      events.push(event);
      if (event.type === 'phase' && event.round === 2 && event.phase === 'prefill') controller.abort();
    }
    expect(errorOf(events).code).toBe('aborted');
    expect(events.at(-1)).toMatchObject({ spent: { low: plan.low.visualTokens, full: plan.full.visualTokens } });
    expect(events.some((event) => event.type === 'usage' && event.usage.round === 2)).toBe(false);
  });
});
