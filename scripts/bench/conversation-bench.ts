/**
 * The conversation figures of `npm run bench`: what the prompt prefix's cache takes off a first
 * question's prefill, and what a follow-up question costs against the first. Like the rest of the
 * Node bench, every path is scripted, every figure a median over `runs` runs after one warm-up,
 * and every ratio taken between figures of this same run.
 */
import { Conversation, type ConversationOptions } from '../../src/engine/conversation.ts';
import type { RunResult } from '../../src/engine/events.ts';
import type { ImageSource } from '../../src/engine/image.ts';
import { policyFor } from '../../src/engine/policies.ts';
import { promptProtocol } from '../../src/engine/prompt-protocols.ts';
import type { VisionModel } from '../../src/engine/vision-model.ts';
import { median, ms, ratio, repeat } from './stats.ts';

/** The follow-up asked after the first question (which is the bench's own `QUESTION`). */
export const FOLLOW_UP = 'And what colour is the sign?';

export interface ConversationBenchOptions {
  model: VisionModel;
  runs: number;
  /** Visual-token budget; large, so that the image size decides. */
  budget: number;
  /** The first question. */
  question: string;
  /** What the model says in every round (an answer, so that no question escalates). */
  answer: string;
}

/** A first question's only round, from the measured runs. */
export interface PrefillFigures {
  /** Tokens run through the decoder in the prefill. */
  prefilledTokens: number;
  prefillMs: number;
}

/** The low and the full pass of a first question, with or without the prefix's cache. */
export interface PrefixPasses {
  low: PrefillFigures;
  full: PrefillFigures;
  /** The low pass's prefill time against the full pass's. */
  lowVsFullPrefillMs: number | null;
}

export interface PrefixCacheComparison {
  size: string;
  /** Tokens of the prompt prefix (system prompt, tools, instructions up to the image). */
  prefixTokens: number;
  /** Starting from the prefix's cache, computed before the measured runs (its steady state). */
  withPrefix: PrefixPasses;
  /** `prefixCache: false`: the whole prompt is prefilled every time. */
  withoutPrefix: PrefixPasses;
}

export interface FollowUpFigures {
  size: string;
  /** A first question answered at low resolution, from the prefix's cache. */
  first: { timeToFirstTokenMs: number; prefilledTokens: number };
  /**
   * The follow-up on the first question's cache. `turnTokens` is its own turn as the tokenizer
   * encodes it, plus the `<|im_end|>` the answer before it sampled, which the decoder had not run
   * yet: all a follow-up should have to prefill.
   */
  followUp: { timeToFirstTokenMs: number; prefilledTokens: number; turnTokens: number };
  /** The follow-up's time to first token against the first question's. */
  ratio: { timeToFirstToken: number | null };
  /** The follow-up prefilled exactly its own turn, in every measured run. */
  prefillsOnlyItsTurn: boolean;
}

/** The prompt prefix of the `visionthink` protocol (the one `low-only` and `full-only` use too). */
function prefixText(model: VisionModel): string {
  return promptProtocol(policyFor('visionthink'), model).prefix();
}

/**
 * Computes the prompt prefix's cache now, so that no measured run (nor warm-up) pays for it, and
 * returns its length in tokens.
 */
export async function warmPromptPrefix(model: VisionModel): Promise<number> {
  return (await model.promptPrefix(prefixText(model))).ids.length;
}

/** A question's result, with the milliseconds from asking to its first generated token. */
async function timedAsk(
  conversation: Conversation,
  question: string,
  script: readonly string[],
): Promise<{ result: RunResult; timeToFirstTokenMs: number }> {
  const start = performance.now();
  let firstToken: number | null = null;
  let result: RunResult | null = null;
  for await (const event of conversation.ask({ question, script })) {
    if (event.type === 'phase' && event.phase === 'decode' && firstToken === null) firstToken = performance.now();
    if (event.type === 'error') throw new Error(`the bench question failed: ${event.error.message}`);
    if (event.type === 'done') result = event.result;
  }
  if (!result || firstToken === null) throw new Error('the bench question ended without an answer');
  return { result, timeToFirstTokenMs: firstToken - start };
}

/** A one-question conversation; its only round. */
async function firstPass(
  options: ConversationBenchOptions,
  conversation: ConversationOptions,
): Promise<PrefillFigures> {
  const asked = new Conversation(options.model, conversation);
  try {
    const { result } = await timedAsk(asked, options.question, [options.answer]);
    const round = result.rounds[0];
    if (!round || result.rounds.length !== 1) throw new Error('the scripted pass did not answer in one round');
    return { prefilledTokens: round.prefilledTokens, prefillMs: round.ms.prefill };
  } finally {
    await asked.dispose();
  }
}

/**
 * The low and the full pass of a first question with the prefix's cache and without it. The four
 * variants take turns within each run, so that a slower stretch of a shared machine weighs on
 * all of them alike.
 */
export async function comparePrefixCache(
  options: ConversationBenchOptions,
  image: ImageSource,
  size: string,
): Promise<PrefixCacheComparison> {
  const prefixTokens = await warmPromptPrefix(options.model);
  const variants = [
    ['low-only', true],
    ['full-only', true],
    ['low-only', false],
    ['full-only', false],
  ] as const;
  const samples = await repeat(options.runs, async () => {
    const figures: PrefillFigures[] = [];
    for (const [policy, prefixCache] of variants)
      figures.push(await firstPass(options, { image, policy, prefixCache, maxVisualTokens: options.budget }));
    return figures;
  });
  const summary = (index: number): PrefillFigures => {
    const runs = samples.map((sample) => sample[index] as PrefillFigures);
    return {
      prefilledTokens: (runs[0] as PrefillFigures).prefilledTokens,
      prefillMs: ms(median(runs.map((run) => run.prefillMs))),
    };
  };
  const passes = (low: PrefillFigures, full: PrefillFigures): PrefixPasses => ({
    low,
    full,
    lowVsFullPrefillMs: ratio(low.prefillMs, full.prefillMs),
  });
  return {
    size,
    prefixTokens,
    withPrefix: passes(summary(0), summary(1)),
    withoutPrefix: passes(summary(2), summary(3)),
  };
}

/**
 * A first question answered at low resolution, then a follow-up on its cache: their times to
 * first token, and whether the follow-up prefilled exactly its own turn.
 */
export async function measureFollowUp(
  options: ConversationBenchOptions,
  image: ImageSource,
  size: string,
): Promise<FollowUpFigures> {
  const { model } = options;
  await warmPromptPrefix(model);
  const protocol = promptProtocol(policyFor('visionthink'), model);
  // Encoded on its own, independently of the engine's count: the scripted answer ends with the
  // model's end-of-turn token, after which the turn adds no <|im_end|> of its own.
  const endOfTurn = model.scriptTokens('').at(-1);
  const turnTokens = model.encodeText(protocol.followUpTurn(FOLLOW_UP, endOfTurn)).length + 1;
  const samples = await repeat(options.runs, async () => {
    const conversation = new Conversation(model, {
      image,
      policy: 'visionthink',
      maxVisualTokens: options.budget,
    });
    try {
      const first = await timedAsk(conversation, options.question, [options.answer]);
      const followUp = await timedAsk(conversation, FOLLOW_UP, [options.answer]);
      const round = followUp.result.rounds[0];
      if (!round || round.image || first.result.escalated)
        throw new Error('the scripted conversation did not stay at low resolution');
      return {
        first: { ms: first.timeToFirstTokenMs, prefilled: first.result.rounds[0]?.prefilledTokens ?? 0 },
        followUp: { ms: followUp.timeToFirstTokenMs, prefilled: round.prefilledTokens },
      };
    } finally {
      await conversation.dispose();
    }
  });
  const firstMs = ms(median(samples.map((sample) => sample.first.ms)));
  const followUpMs = ms(median(samples.map((sample) => sample.followUp.ms)));
  const prefilled = samples.map((sample) => sample.followUp.prefilled);
  return {
    size,
    first: { timeToFirstTokenMs: firstMs, prefilledTokens: samples[0]?.first.prefilled ?? 0 },
    followUp: { timeToFirstTokenMs: followUpMs, prefilledTokens: prefilled[0] ?? 0, turnTokens },
    ratio: { timeToFirstToken: ratio(followUpMs, firstMs) },
    prefillsOnlyItsTurn: prefilled.every((tokens) => tokens === turnTokens),
  };
}
