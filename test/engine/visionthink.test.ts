/**
 * The VisionThink loop end to end on the generated test model (real transformers.js and
 * onnxruntime-node): resolutions, decisions, exact token counts, the event stream, the
 * transcript and the policies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent, RunResult } from '../../src/engine/events.ts';
import { POLICIES } from '../../src/engine/policies.ts';
import { SYSTEM_PROMPT, TOOL_RESPONSE_TURN, chatMessages, renderErrorTurn } from '../../src/engine/protocol.ts';
import type { VisionModel } from '../../src/engine/vision-model.ts';
import { loadModelForNode } from '../../src/node/load-model.ts';
import { THOUGHTS, TOOL_CALL_BODY } from '../../scripts/model/test-model.ts';
import {
  IMAGE_PAD,
  IM_END,
  QUESTION,
  collectEvents,
  countOccurrences,
  outputs,
  resultOf,
  sampleImage,
  warmPrefix,
} from './helpers.ts';

/** One visual token per 28 × 28 block (patch 14, merge 2) of a processor-sized image. */
const tokens = (width: number, height: number): number => (width / 28) * (height / 28);

/**
 * Expected passes, worked out by hand from the protocol: low = half of each side, then each side
 * rounded to a multiple of 28 and the pixel count capped at 1024 tokens' worth (802,816 px).
 */
const SIZES = {
  '448x336': { low: { width: 224, height: 168 }, full: { width: 448, height: 336 } },
  '896x672': { low: { width: 448, height: 336 }, full: { width: 896, height: 672 } },
  '672x896': { low: { width: 336, height: 448 }, full: { width: 672, height: 896 } },
  // 1344 × 1008 is 1.35 MP: the full pass is scaled down to 1008 × 756 (972 tokens).
  '1344x1008': { low: { width: 672, height: 504 }, full: { width: 1008, height: 756 } },
} as const;
type SizeKey = keyof typeof SIZES;

function expectedPasses(size: SizeKey) {
  const { low, full } = SIZES[size];
  const [width, height] = size.split('x').map(Number) as [number, number];
  return {
    width,
    height,
    low: { ...low, visualTokens: tokens(low.width, low.height) },
    full: { ...full, visualTokens: tokens(full.width, full.height) },
  };
}

/** The event stream as short labels, consecutive text deltas of a round folded into one. */
function shape(events: EngineEvent[]): string[] {
  const labels: string[] = [];
  for (const event of events) {
    let label: string;
    switch (event.type) {
      case 'plan':
      case 'done':
        label = event.type;
        break;
      case 'round':
        label = `round ${event.round} ${event.image?.resolution ?? 'no image'}`;
        break;
      case 'phase':
        label = `${event.round} ${event.phase}`;
        break;
      case 'text':
        label = `${event.round} text…`;
        break;
      case 'usage':
        label = `${event.usage.round} usage`;
        break;
      case 'decision':
        label = `${event.round} ${event.decision}`;
        break;
      case 'error':
        label = `error ${event.error.code}`;
        break;
    }
    if (labels.at(-1) !== label || event.type !== 'text') labels.push(label);
  }
  return labels;
}

const textOf = (events: EngineEvent[], round: number): string =>
  events.flatMap((event) => (event.type === 'text' && event.round === round ? [event.delta] : [])).join('');

const decisions = (events: EngineEvent[]) =>
  events.flatMap((event) =>
    event.type === 'decision' ? [{ round: event.round, decision: event.decision, detail: event.detail }] : [],
  );

let model: VisionModel;
/** Tokens of the first turn (system + user, generation prompt) with its image placeholder unexpanded. */
let firstTurnTextTokens: number;
/** Tokens of the tool-response turn with its image placeholder unexpanded. */
let toolTurnTextTokens: number;
/** Tokens of the cached prompt prefix (system prompt, tools, instructions up to the image). */
let prefixTokens: number;

beforeAll(async () => {
  model = await loadModelForNode();
  firstTurnTextTokens = (await model.encodeTurn(model.renderChat(chatMessages(QUESTION)), null)).ids.length;
  toolTurnTextTokens = (await model.encodeTurn(TOOL_RESPONSE_TURN, null)).ids.length;
  prefixTokens = await warmPrefix(model);
});

afterAll(async () => {
  await model.dispose();
});

describe('a plain image', () => {
  it.each([
    ['red', '448x336'],
    ['black', '448x336'],
    ['blue', '896x672'],
    ['white', '896x672'],
    ['yellow', '672x896'],
    ['magenta', '1344x1008'],
  ] as const)('%s %s is answered in one round at low resolution', async (colour, size) => {
    const expected = expectedPasses(size);
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
    expect(result.policy).toBe('visionthink');
    expect(decisions(events)).toEqual([{ round: 1, decision: 'answer', detail: undefined }]);
    expect(result.visualTokens).toEqual({
      used: expected.low.visualTokens,
      fullResolution: expected.full.visualTokens,
      saved: expected.full.visualTokens - expected.low.visualTokens,
    });

    expect(result.rounds).toHaveLength(1);
    const [round] = result.rounds as [RunResult['rounds'][number]];
    expect(round.image).toEqual({ width: expected.low.width, height: expected.low.height, resolution: 'low' });
    expect(round.visualTokens).toBe(expected.low.visualTokens);
    // The placeholder's single <|image_pad|> becomes one pad per visual token.
    expect(round.promptTokens).toBe(firstTurnTextTokens - 1 + expected.low.visualTokens);
    // The cached prompt prefix is never prefilled again.
    expect(round.prefilledTokens).toBe(round.promptTokens - prefixTokens);
    expect(round.output).toBe(outputs.answer(THOUGHTS.plain, colour));
    // <think> thought </think> <answer> colour </answer> <|im_end|>
    expect(round.generatedTokens).toBe(7);
    expect(countOccurrences(result.transcript, IMAGE_PAD)).toBe(expected.low.visualTokens);
  });
});

describe('a detailed image', () => {
  it.each([
    ['green', '448x336'],
    ['black', '448x336'],
    ['white', '896x672'],
    ['red', '672x896'],
  ] as const)('%s %s escalates to the full image, then answers', async (colour, size) => {
    const expected = expectedPasses(size);
    const image = await sampleImage('detailed', colour, expected.width, expected.height);
    const events = await collectEvents(model, { image, question: QUESTION });
    const result = resultOf(events);

    expect(result.answer).toBe(colour);
    expect(result.escalated).toBe(true);
    expect(decisions(events)).toEqual([
      { round: 1, decision: 'escalate', detail: undefined },
      { round: 2, decision: 'answer', detail: undefined },
    ]);
    const used = expected.low.visualTokens + expected.full.visualTokens;
    expect(result.visualTokens).toEqual({
      used,
      fullResolution: expected.full.visualTokens,
      saved: -expected.low.visualTokens,
    });
    expect(result.visualTokens.saved).toBeLessThan(0);

    expect(result.rounds).toHaveLength(2);
    const [first, second] = result.rounds as [RunResult['rounds'][number], RunResult['rounds'][number]];
    expect(first.image).toEqual({ width: expected.low.width, height: expected.low.height, resolution: 'low' });
    expect(second.image).toEqual({ width: expected.full.width, height: expected.full.height, resolution: 'full' });
    expect([first.visualTokens, second.visualTokens]).toEqual([expected.low.visualTokens, expected.full.visualTokens]);
    expect(first.output).toBe(outputs.toolCall(THOUGHTS.detailed, TOOL_CALL_BODY));
    expect(second.output).toBe(outputs.answer(THOUGHTS.afterTool, colour));
    expect([first.generatedTokens, second.generatedTokens]).toEqual([7, 7]);

    // Round 1 runs the whole prompt; round 2 only what round 1's cache does not hold.
    expect(first.promptTokens).toBe(firstTurnTextTokens - 1 + expected.low.visualTokens);
    expect(first.prefilledTokens).toBe(first.promptTokens - prefixTokens);
    const toolTurnTokens = toolTurnTextTokens - 1 + expected.full.visualTokens;
    expect(second.promptTokens).toBe(first.promptTokens + first.generatedTokens + toolTurnTokens);
    const appended = second.promptTokens - (first.promptTokens + first.generatedTokens);
    // +1: round 1's final <|im_end|> was sampled but never run through the decoder.
    expect(second.prefilledTokens).toBe(appended + 1);
    expect(second.prefilledTokens).toBe(toolTurnTokens + 1);
  });

  it('round 2 prefills exactly the processor-encoded tool-response turn plus the pending <|im_end|>', async () => {
    const expected = expectedPasses('448x336');
    const image = await sampleImage('detailed', 'cyan', expected.width, expected.height);
    const result = resultOf(await collectEvents(model, { image, question: QUESTION }));
    const turn = await model.encodeTurn(
      TOOL_RESPONSE_TURN,
      await image.resize(expected.full.width, expected.full.height, 2),
    );

    expect(turn.ids.length).toBe(toolTurnTextTokens - 1 + expected.full.visualTokens);
    expect(result.rounds[1]?.prefilledTokens).toBe(turn.ids.length + 1);
  });
});

describe('the event stream', () => {
  it('of an escalation: plan, then per round round → phases → text → usage → decision, then done', async () => {
    const expected = expectedPasses('448x336');
    const image = await sampleImage('detailed', 'blue', expected.width, expected.height);
    const events = await collectEvents(model, { image, question: QUESTION });
    const result = resultOf(events);

    expect(shape(events)).toEqual([
      'plan',
      'round 1 low',
      '1 encode-low',
      '1 prefill',
      '1 decode',
      '1 text…',
      '1 usage',
      '1 escalate',
      'round 2 full',
      '2 encode-full',
      '2 prefill',
      '2 decode',
      '2 text…',
      '2 usage',
      '2 answer',
      'done',
    ]);
    expect(events.find((event) => event.type === 'round' && event.round === 2)).toEqual({
      type: 'round',
      round: 2,
      image: { ...expected.full, resolution: 'full' },
    });
    for (const [index, round] of result.rounds.entries()) {
      expect(textOf(events, index + 1)).toBe(round.output);
      // Streamed token by token: one delta per visible token (all but the final <|im_end|>).
      expect(events.filter((event) => event.type === 'text' && event.round === index + 1)).toHaveLength(
        round.generatedTokens - 1,
      );
    }
    const usages = events.flatMap((event) => (event.type === 'usage' ? [event] : []));
    expect(usages.map((event) => event.usage)).toEqual(result.rounds);
    expect(usages.map((event) => event.totals)).toEqual([
      { used: 48, fullResolution: 192, saved: 144 },
      { used: 240, fullResolution: 192, saved: -48 },
    ]);
  });

  it('of a plain image: one round', async () => {
    const image = await sampleImage('plain', 'green', 448, 336);
    const events = await collectEvents(model, { image, question: QUESTION });
    expect(shape(events)).toEqual([
      'plan',
      'round 1 low',
      '1 encode-low',
      '1 prefill',
      '1 decode',
      '1 text…',
      '1 usage',
      '1 answer',
      'done',
    ]);
    expect(textOf(events, 1)).toBe(outputs.answer(THOUGHTS.plain, 'green'));
  });
});

describe('the transcript', () => {
  it('is the whole conversation: both images, the tool response right after round 1', async () => {
    const expected = expectedPasses('448x336');
    const image = await sampleImage('detailed', 'yellow', expected.width, expected.height);
    const result = resultOf(await collectEvents(model, { image, question: QUESTION }));
    const { transcript } = result;
    const [first, second] = result.rounds as [RunResult['rounds'][number], RunResult['rounds'][number]];

    expect(transcript.startsWith(`<|im_start|>system\n${SYSTEM_PROMPT}`)).toBe(true);
    expect(transcript).toContain(
      `</tool_call>${IM_END}<|im_start|>user\n<tool_response>\nThe resized image is shown below:\n<|vision_start|>`,
    );
    expect(countOccurrences(transcript, IMAGE_PAD)).toBe(result.visualTokens.used);

    const pads = (count: number): string => `<|vision_start|>${IMAGE_PAD.repeat(count)}<|vision_end|>`;
    const placeholder = '<|vision_start|><|image_pad|><|vision_end|>';
    const firstTurn = model.renderChat(chatMessages(QUESTION)).replace(placeholder, pads(expected.low.visualTokens));
    const toolTurn = TOOL_RESPONSE_TURN.replace(placeholder, pads(expected.full.visualTokens));
    expect(transcript).toBe(firstTurn + first.output + IM_END + toolTurn + second.output + IM_END);
  });
});

describe('policies', () => {
  it('low-only refuses the full image; the model answers from the low one after the error turn', async () => {
    const expected = expectedPasses('448x336');
    const image = await sampleImage('detailed', 'green', expected.width, expected.height);
    const events = await collectEvents(model, { image, question: QUESTION, policy: 'low-only' });
    const result = resultOf(events);
    const refusal = POLICIES['low-only'].onResizeRequest('low');
    if (refusal.kind !== 'refuse') throw new Error('low-only must refuse');

    expect(refusal.errorInfo).toBe('The full-resolution image is not available; answer from the current image');
    expect(decisions(events)).toEqual([
      { round: 1, decision: 'refused', detail: refusal.errorInfo },
      { round: 2, decision: 'answer', detail: undefined },
    ]);
    expect(result.answer).toBe('green');
    expect(result.escalated).toBe(false);
    expect(result.policy).toBe('low-only');
    const [first, second] = result.rounds as [RunResult['rounds'][number], RunResult['rounds'][number]];
    expect(second.image).toBeNull();
    expect(second.visualTokens).toBe(0);
    expect(result.visualTokens).toEqual({
      used: expected.low.visualTokens,
      fullResolution: expected.full.visualTokens,
      saved: expected.full.visualTokens - expected.low.visualTokens,
    });
    expect(result.transcript).toContain(`</tool_call>${IM_END}${renderErrorTurn(refusal.errorInfo)}`);
    expect(countOccurrences(result.transcript, IMAGE_PAD)).toBe(expected.low.visualTokens);
    // The text-only round has no encoder phase.
    expect(shape(events).slice(shape(events).indexOf('round 2 no image'))).toEqual([
      'round 2 no image',
      '2 prefill',
      '2 decode',
      '2 text…',
      '2 usage',
      '2 answer',
      'done',
    ]);
    const errorTurnTokens = (await model.encodeTurn(renderErrorTurn(refusal.errorInfo), null)).ids.length;
    expect(second.promptTokens).toBe(first.promptTokens + first.generatedTokens + errorTurnTokens);
    expect(second.prefilledTokens).toBe(errorTurnTokens + 1);
  });

  it('full-only answers a plain image in one round at full resolution', async () => {
    const expected = expectedPasses('896x672');
    const image = await sampleImage('plain', 'cyan', expected.width, expected.height);
    const events = await collectEvents(model, { image, question: QUESTION, policy: 'full-only' });
    const result = resultOf(events);

    expect(result.answer).toBe('cyan');
    expect(result.escalated).toBe(false);
    expect(result.policy).toBe('full-only');
    expect(result.rounds).toHaveLength(1);
    expect(result.rounds[0]?.image).toEqual({ width: 896, height: 672, resolution: 'full' });
    expect(result.rounds[0]?.promptTokens).toBe(firstTurnTextTokens - 1 + expected.full.visualTokens);
    expect(result.visualTokens).toEqual({ used: 768, fullResolution: 768, saved: 0 });
    expect(shape(events).slice(0, 4)).toEqual(['plan', 'round 1 full', '1 encode-full', '1 prefill']);
  });

  it('full-only refuses a resize of an image already at full resolution, then the model answers', async () => {
    const expected = expectedPasses('448x336');
    const image = await sampleImage('detailed', 'magenta', expected.width, expected.height);
    const events = await collectEvents(model, { image, question: QUESTION, policy: 'full-only' });
    const result = resultOf(events);
    const detail = 'The image is already shown at its full resolution';

    expect(decisions(events)).toEqual([
      { round: 1, decision: 'refused', detail },
      { round: 2, decision: 'answer', detail: undefined },
    ]);
    expect(result.answer).toBe('magenta');
    expect(result.escalated).toBe(false);
    expect(result.rounds.map((round) => round.image)).toEqual([{ width: 448, height: 336, resolution: 'full' }, null]);
    expect(result.visualTokens).toEqual({ used: 192, fullResolution: 192, saved: 0 });
    expect(result.transcript).toContain(renderErrorTurn(detail));
  });
});

describe('the visual-token budget', () => {
  // 256 tokens = 200,704 px: 1344 × 1008 scales to 504 × 364 (18 × 13 = 234 tokens), and the
  // low pass (672 × 504 = 432 tokens unbudgeted) is capped to the same size.
  const capped = { width: 504, height: 364, visualTokens: 234 };

  it('caps the full pass, and the baseline with it', async () => {
    const image = await sampleImage('plain', 'red', 1344, 1008);
    const events = await collectEvents(model, { image, question: QUESTION, maxVisualTokens: 256 });
    const result = resultOf(events);

    expect(events[0]).toEqual({
      type: 'plan',
      turn: 1,
      original: { width: 1344, height: 1008 },
      low: capped,
      full: capped,
    });
    expect(capped.visualTokens).toBe(tokens(capped.width, capped.height));
    expect(capped.visualTokens).toBeLessThanOrEqual(256);
    expect(result.visualTokens).toEqual({ used: 234, fullResolution: 234, saved: 0 });
    expect(result.answer).toBe('red');
    expect(countOccurrences(result.transcript, IMAGE_PAD)).toBe(234);
  });

  it('does not escalate when the budget leaves the low pass at full size', async () => {
    // At 256 tokens both passes of 1344×1008 come out 504×364: the first pass already is the
    // full image, so the model's request is refused as "already at full resolution".
    const image = await sampleImage('detailed', 'blue', 1344, 1008);
    const events = await collectEvents(model, { image, question: QUESTION, maxVisualTokens: 256 });
    const result = resultOf(events);

    expect(result.answer).toBe('blue');
    expect(result.escalated).toBe(false);
    expect(result.rounds.map((round) => round.image)).toEqual([{ width: 504, height: 364, resolution: 'full' }, null]);
    expect(events.filter((event) => event.type === 'decision').map((event) => event.decision)).toEqual([
      'refused',
      'answer',
    ]);
    expect(result.visualTokens).toEqual({ used: 234, fullResolution: 234, saved: 0 });
    expect(countOccurrences(result.transcript, IMAGE_PAD)).toBe(234);
  });
});

describe('a scripted run (for benchmarks)', () => {
  it('says what the script says, each token through the decoder, and the loop follows it', async () => {
    // A plain image, which the model would answer at once: the script makes it ask for the full one.
    const expected = expectedPasses('448x336');
    const image = await sampleImage('plain', 'green', expected.width, expected.height);
    const call = `<think>A closer look.</think>\n<tool_call>${TOOL_CALL_BODY}</tool_call>`;
    const answer = '<think>Now I see.</think>\n<answer>scripted</answer>';
    const result = resultOf(await collectEvents(model, { image, question: QUESTION, script: [call, answer] }));

    expect(result.escalated).toBe(true);
    expect(result.answer).toBe('scripted');
    expect(result.rounds.map((round) => round.output)).toEqual([call, answer]);
    expect(result.rounds.map((round) => round.generatedTokens)).toEqual([
      model.scriptTokens(call).length,
      model.scriptTokens(answer).length,
    ]);
    expect(result.visualTokens.used).toBe(expected.low.visualTokens + expected.full.visualTokens);
    expect(result.transcript).toContain(`${call}${IM_END}`);
  });
});
