/**
 * Conversations on the generated test models of every family: follow-up questions prefill only
 * their own turn and give exactly what re-prefilling the whole conversation gives; the prompt
 * prefix's cache changes nothing but the cost; the full image is shown at most once; a stopped
 * question leaves no trace; a conversation that would outgrow its limit says so; every cache
 * tensor is freed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Conversation, type ConversationOptions, type TurnRequest } from '../../src/engine/conversation.ts';
import type { EngineEvent, RunResult } from '../../src/engine/events.ts';
import { policyFor } from '../../src/engine/policies.ts';
import { promptProtocol } from '../../src/engine/prompt-protocols.ts';
import { SYSTEM_PROMPT, TOOL_RESPONSE_TURN, renderFollowUpText, renderUserText } from '../../src/engine/protocol.ts';
import type { VisionModel } from '../../src/engine/vision-model.ts';
import { planResolutions } from '../../src/engine/visual-tokens.ts';
import { loadModelForNode } from '../../src/node/load-model.ts';
import { TEST_MODEL_DIRS } from '../../src/node/paths.ts';
import { MODEL_FAMILIES } from '../../scripts/model/family-configs.ts';
import { THOUGHTS, TOOL_CALL_BODY } from '../../scripts/model/test-model.ts';
import {
  IMAGE_PAD,
  countOccurrences,
  errorOf,
  outputs,
  resultOf,
  sampleImage,
  trackCacheTensors,
  warmPrefix,
} from './helpers.ts';

const QUESTIONS = ['What colour is the picture?', 'And what is in its corner?', 'Is it the same colour as before?'];

afterEach(() => {
  vi.restoreAllMocks();
});

/** Every event of one question of `conversation`. */
async function ask(conversation: Conversation, request: TurnRequest): Promise<EngineEvent[]> {
  const events: EngineEvent[] = [];
  for await (const event of conversation.ask(request)) events.push(event);
  return events;
}

/** The results of asking `questions` in turn in a new conversation (disposed afterwards). */
async function converse(
  model: VisionModel,
  options: ConversationOptions,
  questions: readonly string[],
): Promise<RunResult[]> {
  const conversation = new Conversation(model, options);
  try {
    const results: RunResult[] = [];
    for (const question of questions) results.push(resultOf(await ask(conversation, { question })));
    return results;
  } finally {
    await conversation.dispose();
  }
}

/** What must not depend on how the conversation was computed. */
const comparable = (result: RunResult) => ({
  answer: result.answer,
  escalated: result.escalated,
  transcript: result.transcript,
  rounds: result.rounds.map(({ image, visualTokens, promptTokens, generatedTokens, output, decision }) => ({
    image,
    visualTokens,
    promptTokens,
    generatedTokens,
    output,
    decision,
  })),
  visualTokens: result.visualTokens,
});

/** A run of image pads as one, the way the chat template writes the placeholder. */
const collapsePads = (text: string): string => text.replace(/(<\|image_pad\|>)+/g, IMAGE_PAD);

describe.each(MODEL_FAMILIES)('conversations on the %s test model', (family) => {
  let model: VisionModel;
  let prefixTokens: number;

  beforeAll(async () => {
    model = await loadModelForNode(TEST_MODEL_DIRS[family]);
    prefixTokens = await warmPrefix(model);
    await warmPrefix(model, 'confidence');
  });

  afterAll(async () => {
    await model.dispose();
  });

  it('three questions give what re-prefilling the whole conversation every round gives, prefilling only each new turn', async () => {
    const image = await sampleImage('detailed', 'green', 448, 336);
    const cached = await converse(model, { image }, QUESTIONS);
    const refilled = await converse(model, { image, reuseCache: false, prefixCache: false }, QUESTIONS);

    expect(cached.map(comparable)).toEqual(refilled.map(comparable));
    const [first, second, third] = cached as [RunResult, RunResult, RunResult];
    // The first question looks at the full image; the follow-ups see it for free.
    expect(first.escalated).toBe(true);
    expect(first.answer).toBe('green');
    for (const later of [second, third]) {
      expect(later.escalated).toBe(false);
      expect(later.answer).toBe('green');
      expect(later.rounds).toHaveLength(1);
      expect(later.rounds[0]?.image).toBeNull();
      expect(later.rounds[0]?.output).toBe(outputs.answer(THOUGHTS.afterTool, 'green'));
      expect(later.visualTokens).toEqual({ used: 0, fullResolution: 0, saved: 0 });
    }
    // A follow-up prefills exactly its own turn, and the <|im_end|> the answer before it sampled.
    const protocol = promptProtocol(policyFor('visionthink'), model);
    for (const [i, later] of [second, third].entries()) {
      const turn = model.encodeText(protocol.followUpTurn(QUESTIONS[i + 1] ?? '', 0n));
      expect(turn.length).toBeGreaterThan(50);
      // With the answer's own <|im_end|> before it, the turn has no end-of-turn of its own to add.
      const closed = model.encodeText(protocol.followUpTurn(QUESTIONS[i + 1] ?? '', imEnd(model)));
      expect(later.rounds[0]?.prefilledTokens).toBe(closed.length + 1);
    }
    // Re-prefilled, every round runs the whole conversation.
    expect(refilled.flatMap((r) => r.rounds.map((round) => round.prefilledTokens))).toEqual(
      refilled.flatMap((r) => r.rounds.map((round) => round.promptTokens)),
    );
    // Both images are in context once each.
    const plan = planResolutions(image.width, image.height, model.geometry);
    expect(countOccurrences(third.transcript, IMAGE_PAD)).toBe(plan.low.visualTokens + plan.full.visualTokens);
  });

  it('the follow-up is the chat template’s next user turn, byte for byte', async () => {
    const image = await sampleImage('plain', 'blue', 896, 672);
    const [first, second] = (await converse(model, { image }, QUESTIONS.slice(0, 2))) as [RunResult, RunResult];
    const output = (result: RunResult): string => result.rounds.map((round) => round.output).join('');
    const rendered = model.renderChat([
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: renderUserText(QUESTIONS[0] ?? '') },
      { role: 'assistant', content: output(first) },
      { role: 'user', content: renderFollowUpText(QUESTIONS[1] ?? '') },
    ]);
    expect(collapsePads(second.transcript)).toBe(`${rendered}${output(second)}<|im_end|>`);
    expect(renderFollowUpText(QUESTIONS[1] ?? '')).toBe(
      'Answer the question based on the image provided. You must conduct reasoning within <think> and </think> first in each of your reasoning steps. You may call ONE function tool per step to help you better solve the problem. Place the function tool within <tool_call> and </tool_call> at the end of each step to perform a function call. You should continue your reasoning process based on the content returned by the function tool. Once you confirm your final answer, place the final answer inside <answer> and </answer>. For mathematical or multiple-choice problem, wrap the answer value or choice with \\boxed{}. Here is the image and question:\nAnd what is in its corner?',
    );
  });

  it('gives the same answers with and without the prompt prefix’s cache; only the first question’s prefill differs', async () => {
    const image = await sampleImage('detailed', 'red', 672, 896);
    const withPrefix = await converse(model, { image }, QUESTIONS);
    const without = await converse(model, { image, prefixCache: false }, QUESTIONS);

    expect(withPrefix.map(comparable)).toEqual(without.map(comparable));
    const prefilled = (results: RunResult[]) => results.map((r) => r.rounds.map((round) => round.prefilledTokens));
    const [a, b] = [prefilled(withPrefix), prefilled(without)];
    expect(a[0]?.[0]).toBe((b[0]?.[0] ?? 0) - prefixTokens);
    expect(a[0]?.slice(1)).toEqual(b[0]?.slice(1));
    expect(a.slice(1)).toEqual(b.slice(1));
    expect(b[0]?.[0]).toBe(without[0]?.rounds[0]?.promptTokens);
  });

  it('shows the full image at most once: a later request for it is refused, and a later question may still ask first', async () => {
    const image = await sampleImage('detailed', 'magenta', 448, 336);
    const plan = planResolutions(image.width, image.height, model.geometry);
    const conversation = new Conversation(model, { image });
    try {
      // 1: answered from the low-resolution image (scripted: the model would ask).
      const first = resultOf(
        await ask(conversation, { question: QUESTIONS[0] ?? '', script: [outputs.answer(THOUGHTS.plain, 'magenta')] }),
      );
      expect(first.escalated).toBe(false);
      // 2: the model asks for the full image in a follow-up, and gets it.
      const second = resultOf(await ask(conversation, { question: QUESTIONS[1] ?? '' }));
      expect(second.rounds.map((round) => [round.image?.resolution ?? null, round.decision])).toEqual([
        [null, 'escalate'],
        ['full', 'answer'],
      ]);
      expect(second.visualTokens).toEqual({
        used: plan.full.visualTokens,
        fullResolution: 0,
        saved: -plan.full.visualTokens,
      });
      // 3: asked for again (scripted), it is refused: the model has it in context already.
      const third = resultOf(
        await ask(conversation, {
          question: QUESTIONS[2] ?? '',
          script: [outputs.toolCall(THOUGHTS.detailed, TOOL_CALL_BODY)],
        }),
      );
      expect(third.rounds.map((round) => [round.image, round.decision])).toEqual([
        [null, 'refused'],
        [null, 'answer'],
      ]);
      expect(third.answer).toBe('magenta');
      expect(countOccurrences(third.transcript, TOOL_RESPONSE_TURN.slice(0, 40))).toBe(1);
      expect(countOccurrences(third.transcript, IMAGE_PAD)).toBe(plan.low.visualTokens + plan.full.visualTokens);
    } finally {
      await conversation.dispose();
    }
  });

  it('under the confidence policy, a follow-up sees the full image the first question looked at', async () => {
    const image = await sampleImage('detailed', 'yellow', 448, 336);
    const [first, second] = (await converse(model, { image, policy: 'confidence' }, QUESTIONS.slice(0, 2))) as [
      RunResult,
      RunResult,
    ];
    expect(first.escalated).toBe(true);
    expect(second.escalated).toBe(false);
    expect(second.answer).toBe('yellow');
    expect(second.rounds[0]?.confidence?.value).toBeGreaterThan(0.9);
    const refilled = await converse(
      model,
      { image, policy: 'confidence', reuseCache: false, prefixCache: false },
      QUESTIONS.slice(0, 2),
    );
    expect(refilled.map(comparable)).toEqual([first, second].map(comparable));
  });

  it('a question stopped mid-answer leaves no trace: the next follow-up gives what a conversation without it gives', async () => {
    const image = await sampleImage('detailed', 'cyan', 448, 336);
    const conversation = new Conversation(model, { image });
    try {
      resultOf(await ask(conversation, { question: QUESTIONS[0] ?? '' }));
      const controller = new AbortController();
      const stopped: EngineEvent[] = [];
      for await (const event of conversation.ask({ question: QUESTIONS[1] ?? '', signal: controller.signal })) {
        stopped.push(event);
        if (event.type === 'text') controller.abort();
      }
      expect(errorOf(stopped).code).toBe('aborted');
      expect(conversation.turns).toBe(1);
      const after = resultOf(await ask(conversation, { question: QUESTIONS[2] ?? '' }));

      const [, reference] = await converse(model, { image, reuseCache: false, prefixCache: false }, [
        QUESTIONS[0] ?? '',
        QUESTIONS[2] ?? '',
      ]);
      expect(comparable(after)).toEqual(comparable(reference as RunResult));
      expect(after.transcript).not.toContain(QUESTIONS[1]);
    } finally {
      await conversation.dispose();
    }
  });

  it('a follow-up that would outgrow the conversation’s limit is refused with a message, and nothing changes', async () => {
    const image = await sampleImage('plain', 'white', 448, 336);
    const probe = await converse(model, { image }, QUESTIONS.slice(0, 1));
    const afterFirst = (probe[0]?.rounds[0]?.promptTokens ?? 0) + (probe[0]?.rounds[0]?.generatedTokens ?? 0);
    // Room for the first question and its 1024-token answer allowance, not for a second one.
    const conversation = new Conversation(model, { image, contextLimit: afterFirst + 1100 });
    try {
      resultOf(await ask(conversation, { question: QUESTIONS[0] ?? '' }));
      const refused = errorOf(await ask(conversation, { question: QUESTIONS[1] ?? '' }));
      expect(refused.code).toBe('context-full');
      expect(refused.message).toMatch(
        /^This conversation is full: the next turn needs about [\d,]+ tokens in all, and the conversation limit is [\d,]+\. Start a new conversation to ask more\.$/,
      );
      expect(conversation.turns).toBe(1);
      // A shorter answer allowance fits, and continues from where the conversation was.
      const fits = resultOf(await ask(conversation, { question: QUESTIONS[1] ?? '', maxNewTokens: 16 }));
      expect(fits.answer).toBe('white');
    } finally {
      await conversation.dispose();
    }
    const tooBig = new Conversation(model, { image, contextLimit: 100 });
    const firstRefused = errorOf(await ask(tooBig, { question: QUESTIONS[0] ?? '' }));
    await tooBig.dispose();
    expect(firstRefused.code).toBe('context-full');
    expect(firstRefused.message).toMatch(
      /^This question does not fit: .* Lower the visual-token budget or shorten the question\.$/,
    );
  });

  it('frees every cache tensor: the conversation holds one cache between questions, none once disposed', async () => {
    const image = await sampleImage('detailed', 'black', 448, 336);
    const tensors = trackCacheTensors();
    const conversation = new Conversation(model, { image });
    // Two layers' keys and values, or a full-attention layer's and a linear one's two states.
    const entries = 4;
    resultOf(await ask(conversation, { question: QUESTIONS[0] ?? '' }));
    expect(tensors.alive()).toHaveLength(entries);
    const controller = new AbortController();
    for await (const event of conversation.ask({ question: QUESTIONS[1] ?? '', signal: controller.signal }))
      if (event.type === 'phase' && event.phase === 'decode') controller.abort();
    expect(tensors.alive()).toHaveLength(entries);
    resultOf(await ask(conversation, { question: QUESTIONS[2] ?? '' }));
    expect(tensors.alive()).toHaveLength(entries);
    expect(tensors.count()).toBeGreaterThan(3 * entries);
    await conversation.dispose();
    expect(tensors.alive()).toEqual([]);
    // Disposed while a follow-up runs: everything goes once it ends, whether it completes or not.
    const during = new Conversation(model, { image });
    resultOf(await ask(during, { question: QUESTIONS[0] ?? '' }));
    for await (const event of during.ask({ question: QUESTIONS[1] ?? '' }))
      if (event.type === 'phase' && event.phase === 'decode') void during.dispose();
    expect(tensors.alive()).toEqual([]);
    // A disposed conversation takes no more questions.
    expect(errorOf(await ask(conversation, { question: QUESTIONS[0] ?? '' })).code).toBe('conversation-lost');
  });
});

/** The id of `<|im_end|>`. */
function imEnd(model: VisionModel): bigint {
  const [id] = model.encodeText('<|im_end|>');
  if (id === undefined) throw new Error('no <|im_end|>');
  return id;
}
