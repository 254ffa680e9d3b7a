/**
 * The Node half of `npm run bench`: the engine on onnxruntime-node (CPU), each path forced with
 * a scripted run (the bench model's own choices mean nothing), every figure a median over
 * `runs` runs after one warm-up, and every ratio taken between figures of this same run.
 */
import sharp from 'sharp';
import type { RunResult } from '../../src/engine/events.ts';
import type { ImageSource } from '../../src/engine/image.ts';
import type { VisionModel } from '../../src/engine/vision-model.ts';
import { askVisionThink, type RunRequest } from '../../src/engine/visionthink.ts';
import { imageFromBytes } from '../../src/node/sharp-image.ts';
import { renderSample } from '../samples/test-images.ts';
import {
  comparePrefixCache,
  measureFollowUp,
  warmPromptPrefix,
  type FollowUpFigures,
  type PrefixCacheComparison,
} from './conversation-bench.ts';
import { escalationPattern, median, ms, ratio, repeat } from './stats.ts';

export const QUESTION = 'What does the small print in the corner say?';
/** What the model says when it asks for the full image, as the protocol expects it. */
export const CALL =
  '<think>The print is too small to read at this resolution.</think>\n<tool_call>\n{"name": "resize_image", "arguments": {"action": "resize"}}\n</tool_call>';
export const ANSWER = '<think>Now it is legible.</think>\n<answer>Open daily</answer>';
/** A longer answer, to time decoding. */
const LONG_ANSWER = `<answer>${'The sign lists the opening hours of the shop, '.repeat(8).trim()}</answer>`;

export interface Size {
  width: number;
  height: number;
}

export interface NodeBenchOptions {
  model: VisionModel;
  sizes: readonly Size[];
  runs: number;
  /** Visual-token budget; large, so that the image size decides. */
  budget: number;
  questions: number;
  escalationShare: number;
  log?: (line: string) => void;
}

export interface PassFigures {
  width: number;
  height: number;
  visualTokens: number;
  encodeMs: number;
  prefillMs: number;
  /** Encode + prefill. */
  totalMs: number;
}

export interface PassComparison {
  size: string;
  low: PassFigures;
  full: PassFigures;
  ratio: { visualTokens: number | null; encodeMs: number | null; prefillMs: number | null; totalMs: number | null };
}

export interface QuestionFigures {
  totalMs: number;
  prefilledTokens: number;
  visualTokens: number;
}

export interface EscalationComparison {
  size: string;
  kvReuse: QuestionFigures & {
    round2PrefilledTokens: number;
    /** The tokens round 2 appended, plus round 1's last token, which never went through the decoder. */
    round2AppendedTokens: number;
  };
  rePrefill: QuestionFigures & { round2PrefilledTokens: number };
  fullOnly: QuestionFigures;
  ratio: { kvReuseVsFullOnly: number | null; rePrefillVsFullOnly: number | null; kvReuseVsRePrefill: number | null };
  /** Round 2 with KV reuse prefilled exactly the appended tokens. */
  round2PrefillsOnlyAppended: boolean;
}

export interface MixedWorkload {
  questions: number;
  escalated: number;
  share: number;
  visionthink: { visualTokens: number; totalMs: number };
  /**
   * The same questions under `confidence`: every question first answers at low resolution with
   * the plain prompt, and the escalating ones then answer again with the full image.
   */
  confidence: { visualTokens: number; totalMs: number };
  lowOnly: { visualTokens: number; totalMs: number };
  fullOnly: { visualTokens: number; totalMs: number };
  /** VisionThink against full-only. */
  ratio: { visualTokens: number | null; totalMs: number | null };
  /** `confidence` against full-only. */
  confidenceRatio: { visualTokens: number | null; totalMs: number | null };
}

export interface NodeResults {
  passes: PassComparison[];
  /** The first question's prefill with the prompt prefix's cache and without it. */
  prefixCache: PrefixCacheComparison[];
  escalation: EscalationComparison[];
  /** A follow-up question against the first. */
  followUp: FollowUpFigures[];
  mixed: MixedWorkload;
  decode: { tokens: number; tokensPerSecond: number };
  /** Peak resident memory of the process, in bytes. */
  peakRssBytes: number;
}

const label = ({ width, height }: Size): string => `${width}×${height}`;

/** A detailed test picture of `size`, opened as the CLI opens a file. */
async function benchImage({ width, height }: Size): Promise<ImageSource> {
  const pixels = renderSample('detailed', 'blue', width, height);
  const png = await sharp(pixels.data, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  return imageFromBytes(png);
}

async function timedRun(model: VisionModel, request: RunRequest): Promise<{ result: RunResult; wallMs: number }> {
  const start = performance.now();
  const result = await askVisionThink(model, request);
  return { result, wallMs: performance.now() - start };
}

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

function firstRound(result: RunResult) {
  const round = result.rounds[0];
  if (!round?.image) throw new Error('the run had no image round');
  return { ...round, image: round.image };
}

async function comparePasses(options: NodeBenchOptions, image: ImageSource, size: Size): Promise<PassComparison> {
  const pass = async (policy: 'low-only' | 'full-only'): Promise<PassFigures> => {
    const samples = await repeat(options.runs, async () => {
      const { result } = await timedRun(options.model, {
        image,
        question: QUESTION,
        policy,
        maxVisualTokens: options.budget,
        script: [ANSWER],
      });
      return firstRound(result);
    });
    const first = samples[0];
    if (!first) throw new Error('a benchmark needs at least one run');
    const encodeMs = median(samples.map((round) => round.ms.encode));
    const prefillMs = median(samples.map((round) => round.ms.prefill));
    return {
      width: first.image.width,
      height: first.image.height,
      visualTokens: first.visualTokens,
      encodeMs: ms(encodeMs),
      prefillMs: ms(prefillMs),
      totalMs: ms(median(samples.map((round) => round.ms.encode + round.ms.prefill))),
    };
  };
  const low = await pass('low-only');
  const full = await pass('full-only');
  return {
    size: label(size),
    low,
    full,
    ratio: {
      visualTokens: ratio(low.visualTokens, full.visualTokens),
      encodeMs: ratio(low.encodeMs, full.encodeMs),
      prefillMs: ratio(low.prefillMs, full.prefillMs),
      totalMs: ratio(low.totalMs, full.totalMs),
    },
  };
}

async function compareEscalation(
  options: NodeBenchOptions,
  image: ImageSource,
  size: Size,
): Promise<EscalationComparison> {
  const question = async (request: Partial<RunRequest>) => {
    const samples = await repeat(options.runs, () =>
      timedRun(options.model, { image, question: QUESTION, maxVisualTokens: options.budget, ...request }),
    );
    const { result } = samples[0] as { result: RunResult };
    return {
      result,
      figures: {
        totalMs: ms(median(samples.map((sample) => sample.wallMs))),
        prefilledTokens: sum(result.rounds.map((round) => round.prefilledTokens)),
        visualTokens: result.visualTokens.used,
      },
    };
  };
  const reuse = await question({ policy: 'visionthink', script: [CALL, ANSWER] });
  const again = await question({ policy: 'visionthink', script: [CALL, ANSWER], reuseCache: false });
  const full = await question({ policy: 'full-only', script: [ANSWER] });
  const [round1, round2] = reuse.result.rounds;
  if (!round1 || !round2 || !reuse.result.escalated) throw new Error('the scripted escalation did not escalate');
  const appended = round2.promptTokens - (round1.promptTokens + round1.generatedTokens) + 1;
  return {
    size: label(size),
    kvReuse: { ...reuse.figures, round2PrefilledTokens: round2.prefilledTokens, round2AppendedTokens: appended },
    rePrefill: { ...again.figures, round2PrefilledTokens: again.result.rounds[1]?.prefilledTokens ?? 0 },
    fullOnly: full.figures,
    ratio: {
      kvReuseVsFullOnly: ratio(reuse.figures.totalMs, full.figures.totalMs),
      rePrefillVsFullOnly: ratio(again.figures.totalMs, full.figures.totalMs),
      kvReuseVsRePrefill: ratio(reuse.figures.totalMs, again.figures.totalMs),
    },
    round2PrefillsOnlyAppended: round2.prefilledTokens === appended,
  };
}

/** `questions` questions over the sizes in turn, `share` of them escalating, against full-only. */
async function mixedWorkload(options: NodeBenchOptions, images: readonly ImageSource[]): Promise<MixedWorkload> {
  const pattern = escalationPattern(options.questions, options.escalationShare);
  const zero = () => ({ visualTokens: 0, totalMs: 0 });
  const totals = { visionthink: zero(), confidence: zero(), lowOnly: zero(), fullOnly: zero() };
  const add = (into: { visualTokens: number; totalMs: number }, run: { result: RunResult; wallMs: number }) => {
    into.visualTokens += run.result.visualTokens.used;
    into.totalMs += run.wallMs;
  };
  for (const [i, escalates] of pattern.entries()) {
    const image = images[i % images.length] as ImageSource;
    const base = { image, question: QUESTION, maxVisualTokens: options.budget };
    add(
      totals.visionthink,
      await timedRun(options.model, {
        ...base,
        policy: 'visionthink',
        script: escalates ? [CALL, ANSWER] : [ANSWER],
      }),
    );
    // The gate decides from the model's confidence; thresholds 1 and 0 make it take the same
    // questions to the full image as VisionThink does, so the two are compared on equal terms.
    add(
      totals.confidence,
      await timedRun(options.model, {
        ...base,
        policy: 'confidence',
        threshold: escalates ? 1 : 0,
        script: [ANSWER, ANSWER],
      }),
    );
    add(totals.lowOnly, await timedRun(options.model, { ...base, policy: 'low-only', script: [ANSWER] }));
    add(totals.fullOnly, await timedRun(options.model, { ...base, policy: 'full-only', script: [ANSWER] }));
  }
  const rounded = (t: { visualTokens: number; totalMs: number }) => ({
    visualTokens: t.visualTokens,
    totalMs: ms(t.totalMs),
  });
  const escalated = pattern.filter(Boolean).length;
  return {
    questions: options.questions,
    escalated,
    share: ratio(escalated, options.questions) ?? 0,
    visionthink: rounded(totals.visionthink),
    confidence: rounded(totals.confidence),
    lowOnly: rounded(totals.lowOnly),
    fullOnly: rounded(totals.fullOnly),
    ratio: {
      visualTokens: ratio(totals.visionthink.visualTokens, totals.fullOnly.visualTokens),
      totalMs: ratio(totals.visionthink.totalMs, totals.fullOnly.totalMs),
    },
    confidenceRatio: {
      visualTokens: ratio(totals.confidence.visualTokens, totals.fullOnly.visualTokens),
      totalMs: ratio(totals.confidence.totalMs, totals.fullOnly.totalMs),
    },
  };
}

async function decodeSpeed(options: NodeBenchOptions, image: ImageSource): Promise<NodeResults['decode']> {
  const samples = await repeat(options.runs, async () => {
    const { result } = await timedRun(options.model, {
      image,
      question: QUESTION,
      policy: 'low-only',
      maxVisualTokens: options.budget,
      script: [LONG_ANSWER],
    });
    const round = firstRound(result);
    return { tokens: round.generatedTokens, perSecond: (round.generatedTokens * 1000) / round.ms.decode };
  });
  return {
    tokens: samples[0]?.tokens ?? 0,
    tokensPerSecond: Math.round(median(samples.map((sample) => sample.perSecond)) * 10) / 10,
  };
}

export async function runNodeBench(options: NodeBenchOptions): Promise<NodeResults> {
  const log = options.log ?? (() => undefined);
  const images = await Promise.all(options.sizes.map(benchImage));
  // Every first question below starts from the prompt prefix's cache (unless it measures going
  // without): computed here, so that it is the steady state of a loaded model, as in the app.
  await warmPromptPrefix(options.model);
  const conversations = { ...options, question: QUESTION, answer: ANSWER };
  const passes: PassComparison[] = [];
  const prefixCache: PrefixCacheComparison[] = [];
  const escalation: EscalationComparison[] = [];
  const followUp: FollowUpFigures[] = [];
  for (const [i, size] of options.sizes.entries()) {
    const image = images[i] as ImageSource;
    log(`passes ${label(size)}`);
    passes.push(await comparePasses(options, image, size));
    log(`prompt prefix cache ${label(size)}`);
    prefixCache.push(await comparePrefixCache(conversations, image, label(size)));
    log(`escalation ${label(size)}`);
    escalation.push(await compareEscalation(options, image, size));
    log(`follow-up ${label(size)}`);
    followUp.push(await measureFollowUp(conversations, image, label(size)));
  }
  log(`mixed workload: ${options.questions} questions`);
  const mixed = await mixedWorkload(options, images);
  log('decode speed');
  const decode = await decodeSpeed(options, images[0] as ImageSource);
  return {
    passes,
    prefixCache,
    escalation,
    followUp,
    mixed,
    decode, // maxRSS is in kibibytes.
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}
