/**
 * Derived values: token savings, escalation rate, the budget preview, the meter, the answer
 * view. Computed from the state, never stored. Object-returning selectors are memoised.
 */
import { EngineError } from '../engine/errors.ts';
import type { Resolution } from '../engine/events.ts';
import { POLICIES } from '../engine/policies.ts';
import { planResolutions, type ResolutionPlan } from '../engine/visual-tokens.ts';
import { segmentTurn, type AnswerSegment } from './answer-segments.ts';
import type { AppState } from './app-state.ts';
import { visibleError } from './error-slice.ts';
import { memoSelector } from './memo.ts';
import { isBundled, type AppModelChoice } from './model-choices.ts';
import { probeKey, type FileProgress } from './model-slice.ts';
import { askBlocker, type RunState } from './run-slice.ts';
import type { SessionState } from './session-slice.ts';
import { budgetLimits } from './settings-slice.ts';
import { isStored } from './storage-slice.ts';
import { selectModelSource } from './server-selectors.ts';

/** Whether a question interrupted for a fallback download will be asked again (its image is still shown). */
export function selectResumesQuestion(state: AppState): boolean {
  const resume = state.model.resumeQuestion;
  return resume !== null && resume.imageId === state.image.current?.imageId;
}

/** Why Ask is not possible now (for people), or null. */
export const selectAskBlocker = askBlocker;

export const selectVisibleError = memoSelector(
  (s) => [
    s.model.error,
    s.image.error,
    s.image.errorOrigin,
    s.image.retryAddress,
    s.run.status,
    s.run.error,
    s.run.question,
    s.dismissedErrorSeq,
  ],
  visibleError,
);

/** The error of an image given by address, shown beside the address field; null when there is none. */
export const selectUrlFieldError = memoSelector(
  (s) => [s.image.error, s.image.errorOrigin, s.image.retryAddress],
  ({ image }): { message: string; code: string; retryable: boolean } | null =>
    image.error && image.errorOrigin === 'url'
      ? { message: image.error.message, code: image.error.code, retryable: image.retryAddress !== null }
      : null,
);

export const selectSelectedModel = (state: AppState): AppModelChoice | null =>
  state.model.choices.find((choice) => choice.id === state.model.selectedId) ?? null;

/**
 * Every model file, in the order they started and then those still to come: its bytes so far
 * and its size. A size learned up front wins over a file's own (which, without a Content-Length,
 * is just its bytes so far); 0 while unknown.
 */
export const selectLoadFiles = memoSelector(
  (s) => [s.model.files, s.model.sizes],
  ({ model }): FileProgress[] => {
    const started = model.files.map((file) => ({ ...file, total: model.sizes[file.file] ?? file.total }));
    const waiting = Object.entries(model.sizes)
      .filter(([name]) => !model.files.some((file) => file.file === name))
      .map(([file, total]) => ({ file, loaded: 0, total }));
    return [...started, ...waiting];
  },
);

/** Bytes of all model files so far, and in all; `sizesKnown` when every file's size is. */
export const selectLoadTotals = memoSelector(
  (s) => [selectLoadFiles(s)],
  (s) => {
    const files = selectLoadFiles(s);
    return {
      loaded: files.reduce((sum, file) => sum + Math.min(file.loaded, file.total || file.loaded), 0),
      total: files.reduce((sum, file) => sum + file.total, 0),
      sizesKnown: files.length > 0 && files.every((file) => file.total > 0),
    };
  },
);

/**
 * Time left for the download (ms) at the average speed so far; null until enough is known
 * (sizes, a second of progress) or when nothing is left.
 */
export function selectLoadEtaMs(state: AppState): number | null {
  const { startedAt, progressAt, status } = state.model;
  if (status !== 'loading' || startedAt === null || progressAt === null) return null;
  const { loaded, total, sizesKnown } = selectLoadTotals(state);
  const elapsed = progressAt - startedAt;
  if (!sizesKnown || total <= 0 || loaded <= 0 || elapsed < 1000 || loaded >= total) return null;
  return ((total - loaded) * elapsed) / loaded;
}

/** What loading the selected model would download on this device's rung (approximate, from the registry). */
export function selectDownloadBytes(state: AppState): number | null {
  const choice = selectSelectedModel(state);
  return choice ? downloadBytes(state, choice) : null;
}

/** What `choice` downloads on this device: the registry's size, else the one the hub gave. */
function downloadBytes(state: AppState, choice: AppModelChoice): number | null {
  const rung = state.model.device?.rung ?? 'wasm';
  const probed = state.model.probedBytes[probeKey(choice.id, rung)];
  return choice.rungs[rung].downloadBytes ?? (typeof probed === 'number' ? probed : null);
}

/** Whether the selected model's size on this device is known, being asked of the hub, or not known. */
export function selectDownloadSizeStatus(state: AppState): 'known' | 'checking' | 'unknown' {
  if (selectDownloadBytes(state) !== null) return 'known';
  const probed = state.model.probedBytes[probeKey(state.model.selectedId, state.model.device?.rung ?? 'wasm')];
  return probed === 'checking' ? 'checking' : 'unknown';
}

/** How a model would reach this browser, for the model picker. */
export type ModelAvailability =
  { kind: 'bundled'; bytes: number | null } | { kind: 'stored' } | { kind: 'download'; bytes: number | null };

/** Each model the app offers with how it would load here: shipped with the app, stored, or a download of a size. */
export const selectModelOptions = memoSelector(
  (s) => [s.model.choices, s.model.device?.rung, s.storage.models, s.model.probedBytes],
  (s): { choice: AppModelChoice; availability: ModelAvailability }[] => {
    return s.model.choices.map((choice) => {
      const bytes = downloadBytes(s, choice);
      if (isBundled(choice)) return { choice, availability: { kind: 'bundled', bytes } };
      return { choice, availability: isStored(s, choice.id) ? { kind: 'stored' } : { kind: 'download', bytes } };
    });
  },
);

/**
 * Where answers come from: "WebGPU (f16) — <adapter>", "WebGPU — <adapter>" or "WASM, N threads"
 * (null before the worker has said), or for a model server "Server: <model> at <host>".
 */
export function selectDeviceLabel(state: AppState): string | null {
  const source = selectModelSource(state);
  if (source.kind === 'server') {
    if (source.status === 'connected') return `Server: ${source.model ?? 'a model'} at ${source.host ?? 'the server'}`;
    if (source.status === 'connecting') return `Server: connecting to ${source.host ?? 'the server'}…`;
    return 'Server: not connected';
  }
  const { device } = state.model;
  if (!device) return null;
  if (device.kind === 'webgpu') return `WebGPU${device.rung === 'webgpu-f16' ? ' (f16)' : ''} — ${device.description}`;
  return /^wasm\b/i.test(device.description) ? device.description : `WASM — ${device.description}`;
}

export const selectBudgetLimits = memoSelector(
  (s) => [s.model.geometry],
  (s) => budgetLimits(s.model.geometry),
);

export type BudgetPreview =
  | { kind: 'none' }
  | { kind: 'plan'; plan: ResolutionPlan; width: number; height: number }
  | { kind: 'error'; message: string };

/** The visual tokens the low and the full pass would cost for the current image and budget. */
export const selectBudgetPreview = memoSelector(
  (s) => [s.model.geometry, s.image.current?.width, s.image.current?.height, s.settings.maxVisualTokens],
  (s): BudgetPreview => {
    const { geometry } = s.model;
    const image = s.image.current;
    if (!geometry || !image) return { kind: 'none' };
    try {
      const plan = planResolutions(image.width, image.height, geometry, s.settings.maxVisualTokens);
      return { kind: 'plan', plan, width: image.width, height: image.height };
    } catch (error) {
      if (error instanceof EngineError) return { kind: 'error', message: error.message };
      throw error;
    }
  },
);

/** Saved visual tokens as a fraction of the baseline (negative when an escalation cost extra). */
export function savedFraction(saved: number, baseline: number): number | null {
  return baseline > 0 ? saved / baseline : null;
}

export interface MeterView {
  status: RunState['status'];
  /** The model asked for the full image and it was (or is being) served. */
  escalated: boolean;
  /** Visual tokens spent on low-resolution images. */
  lowTokens: number;
  /** Visual tokens spent on full-resolution images (counted from the moment the model asks). */
  fullTokens: number;
  used: number;
  /** What the question costs when it goes straight to full resolution. */
  baseline: number;
  /**
   * `baseline - used` (negative when escalating cost more than going straight to full), so far
   * while the question runs; null when it ended without an answer (stopped or failed), which
   * saved nothing.
   */
  saved: number | null;
  savedFraction: number | null;
  /** The bar's full width: the most a question can cost (a low and a full pass). */
  scale: number;
  /** Question `turn` of its conversation: from 2 on, a follow-up, whose image is in context already. */
  turn: number;
  /** Tokens the question's rounds ran through the decoder so far (a follow-up: its own turn only). */
  prefilled: number;
}

/** Visual tokens by resolution as the trace shows them while the question runs. */
function tokensSoFar(run: RunState, full: number): { tokens: Record<Resolution, number>; escalated: boolean } {
  const tokens = { low: 0, full: 0 } satisfies Record<Resolution, number>;
  for (const round of run.rounds)
    if (round.started && round.image) tokens[round.image.resolution] += round.image.visualTokens;
  const asked = run.rounds.find((round) => round.decision === 'escalate');
  // The full image is counted the moment the model asks, before its round starts.
  const served = asked && run.rounds.some((round) => round.round > asked.round && round.started);
  if (asked && !served) tokens.full += full;
  return { tokens, escalated: asked !== undefined };
}

/** The token meter of the current question; null before its plan arrives. */
export const selectMeter = memoSelector(
  (s) => [s.run.plan, s.run.rounds, s.run.result, s.run.status, s.run.spent],
  ({ run }): MeterView | null => {
    const { plan } = run;
    if (!plan) return null;
    let tokens: Record<Resolution, number>;
    let escalated: boolean;
    if (run.result) {
      tokens = { low: 0, full: 0 };
      for (const round of run.result.rounds) if (round.image) tokens[round.image.resolution] += round.visualTokens;
      escalated = run.result.escalated;
    } else if (run.spent) {
      // Ended without an answer: what the engine had actually started encoding.
      tokens = { low: run.spent.low, full: run.spent.full };
      escalated = tokensSoFar(run, plan.full.visualTokens).escalated;
    } else {
      ({ tokens, escalated } = tokensSoFar(run, plan.full.visualTokens));
    }
    const used = run.result?.visualTokens.used ?? tokens.low + tokens.full;
    // A follow-up's baseline is nothing: a conversation at full resolution has the image in context already.
    const baseline = run.result?.visualTokens.fullResolution ?? (plan.turn > 1 ? 0 : plan.full.visualTokens);
    // Only an answer, or one on its way, has a cost to compare with going straight to full.
    const comparable = run.status === 'done' || run.status === 'running';
    const saved = comparable ? baseline - used : null;
    return {
      status: run.status,
      escalated,
      lowTokens: tokens.low,
      fullTokens: tokens.full,
      used,
      baseline,
      saved,
      savedFraction: saved === null ? null : savedFraction(saved, baseline),
      scale: Math.max(plan.low.visualTokens + plan.full.visualTokens, used, 1),
      turn: plan.turn,
      prefilled: run.rounds.reduce((sum, round) => sum + (round.usage?.prefilledTokens ?? 0), 0),
    };
  },
);

export interface SessionSummary {
  questions: number;
  /** Questions stopped before an answer, and the visual tokens they spent (not in the comparison). */
  stopped: number;
  stoppedTokens: number;
  escalations: number;
  used: number;
  baseline: number;
  saved: number;
  savedFraction: number | null;
  /** Share of answered questions the model escalated (VisionThink's resize ratio). */
  escalationRate: number | null;
  /** Measured prefill cost of one token on this device. */
  msPerPrefillToken: number | null;
  /** `saved` × the measured cost of a prefilled token (negative when tokens were spent extra). */
  prefillMsSaved: number | null;
}

function msPerPrefillToken(session: SessionState): number | null {
  return session.prefilledTokens > 0 ? session.prefillMs / session.prefilledTokens : null;
}

export const selectSessionSummary = memoSelector(
  (s) => [s.session],
  ({ session }): SessionSummary => {
    const saved = session.baselineTokens - session.usedTokens;
    const perToken = msPerPrefillToken(session);
    return {
      questions: session.questions,
      stopped: session.stopped,
      stoppedTokens: session.stoppedTokens,
      escalations: session.escalations,
      used: session.usedTokens,
      baseline: session.baselineTokens,
      saved,
      savedFraction: savedFraction(saved, session.baselineTokens),
      escalationRate: session.questions > 0 ? session.escalations / session.questions : null,
      msPerPrefillToken: perToken,
      prefillMsSaved: perToken === null ? null : saved * perToken,
    };
  },
);

/** Estimated prefill time the current question saved, from the session's measured cost per token. */
export function selectQuestionPrefillMsSaved(state: AppState): number | null {
  const meter = selectMeter(state);
  const perToken = msPerPrefillToken(state.session);
  if (!meter || meter.saved === null || state.run.status !== 'done' || perToken === null) return null;
  // A server's prefill costs what its hardware and cache make it, not what this device measured.
  if (state.run.result?.rounds.some((round) => round.server !== undefined)) return null;
  return meter.saved * perToken;
}

const GENERIC_QUESTIONS: readonly string[] = [
  'What colour is the image mostly?',
  'What does the text say?',
  'Describe the image in one sentence.',
];

/** The chosen sample's questions, or generic ones for any other image. */
export const selectSuggestedQuestions = memoSelector(
  (s) => [s.image.current?.sampleId, s.samples.items],
  (s): readonly string[] => {
    const sampleId = s.image.current?.sampleId;
    const sample = s.samples.items.find((item) => item.id === sampleId);
    return sample && sample.questions.length > 0 ? sample.questions : GENERIC_QUESTIONS;
  },
);

export interface AnswerRoundView {
  round: number;
  resolution: Resolution | null;
  segments: AnswerSegment[];
  /**
   * Why the run went on or ended after this round, when the app decided it (the confidence gate)
   * or the model asked for the full image unprompted; null otherwise.
   */
  decision: string | null;
  /** The run went on to the full image: this round's answer is the one from the low-resolution image. */
  superseded: boolean;
}

export interface AnswerView {
  rounds: AnswerRoundView[];
  /** The final answer, or the answer streaming in; null when there is none (yet). */
  answer: string | null;
  /** The answer is final. */
  complete: boolean;
}

export const selectAnswerView = memoSelector(
  (s) => [s.run.rounds, s.run.result, s.run.status, s.run.policy],
  ({ run }): AnswerView => {
    const streaming = run.status === 'running';
    // Under the plain prompt the model answers in its own words, without <answer> tags.
    const plain = run.policy !== null && POLICIES[run.policy].prompt === 'plain';
    const shown = run.rounds.filter((round) => round.text !== '');
    const rounds = shown.map((round) => ({
      round: round.round,
      resolution: round.image?.resolution ?? null,
      segments: segmentTurn(round.text, streaming && round.decision === null).map((segment): AnswerSegment =>
        plain && segment.kind === 'text'
          ? { kind: 'answer', text: segment.text, complete: round.decision !== null }
          : segment,
      ),
      decision: round.gate || round.asked ? (round.usage?.reason ?? null) : null,
      // Followed by a look at the full image: from the moment the decision is made, not only once
      // the next round writes, so the low-resolution answer never vanishes in between (or on Stop).
      superseded: round.decision === 'escalate',
    }));
    if (run.result) {
      const last = run.rounds[run.rounds.length - 1];
      const answered = last?.decision !== 'unserved';
      return { rounds, answer: answered ? run.result.answer : null, complete: answered };
    }
    // The answer streaming in is the latest round's: an earlier one was followed by another look.
    const latest = run.rounds.at(-1);
    const view = rounds.find((round) => round.round === latest?.round);
    let answer: string | null = null;
    for (const segment of view?.segments ?? []) if (segment.kind === 'answer') answer = segment.text;
    return { rounds, answer, complete: false };
  },
);
