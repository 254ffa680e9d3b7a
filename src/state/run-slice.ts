/** The question being answered: its plan, a trace per round, the answer and its visual-token totals. */
import type {
  Decision,
  EngineEvent,
  RoundUsage,
  RunResult,
  SpentVisualTokens,
  VisualTokenTotals,
} from '../engine/events.ts';
import type { TokenProbability } from '../engine/confidence.ts';
import type { PolicyId } from '../engine/policies.ts';
import type { AppState, Slice, SliceContext } from './app-state.ts';
import type { AppDependencies } from './dependencies.ts';
import { newError, type AppError } from './errors.ts';
import { selectPolicy, selectThreshold } from './settings-slice.ts';
import { conversationForAsk, selectFollowUp } from './conversation-slice.ts';
import { SERVER_MODEL_ID } from './model-choices.ts';

export type RunStatus = 'idle' | 'running' | 'done' | 'stopped' | 'error';
export type RunPhase = Extract<EngineEvent, { type: 'phase' }>['phase'];
/** The resolutions chosen for the question before anything ran. */
export type RunPlan = Omit<Extract<EngineEvent, { type: 'plan' }>, 'type'>;
export type RoundImage = NonNullable<Extract<EngineEvent, { type: 'round' }>['image']>;
type DecisionEvent = Extract<EngineEvent, { type: 'decision' }>;

/** One round as it happens. */
export interface RoundTrace {
  round: number;
  /** The `round` event arrived (a thumbnail may come first). */
  started: boolean;
  /** What the round encodes; null for a text-only round (an error turn). */
  image: RoundImage | null;
  /** Object URL of exactly what the model saw. */
  thumbnailUrl: string | null;
  /** Streamed output, special tokens skipped. */
  text: string;
  phase: RunPhase | null;
  decision: Decision | null;
  decisionDetail: string | null;
  /** The confidence gate's comparison, when it decided this round. */
  gate: DecisionEvent['gate'] | null;
  /** The model asked for the full image itself, without the tool being offered. */
  asked: boolean;
  usage: RoundUsage | null;
  /** The round's generated tokens with the probability the model gave each (once the round ends). */
  tokens: readonly TokenProbability[];
}

export interface RunState {
  status: RunStatus;
  /** The run request the store waits for. */
  requestId: number | null;
  /** The question as asked (kept when the run fails, for Retry). */
  question: string;
  imageId: number | null;
  policy: PolicyId | null;
  maxVisualTokens: number | null;
  /** Stop was pressed; the run ends at the engine's next check. */
  stopping: boolean;
  /** Asked again by the app (after a fallback download), not by the person pressing Ask. */
  resumed: boolean;
  plan: RunPlan | null;
  rounds: readonly RoundTrace[];
  /** The engine's totals after the latest finished round. */
  totals: VisualTokenTotals | null;
  result: RunResult | null;
  /** What a run that ended without an answer (stopped or failed) had spent, as the engine counted it. */
  spent: SpentVisualTokens | null;
  error: AppError | null;
  startedAt: number | null;
  /** Time to answer. */
  elapsedMs: number | null;
}

export interface RunSlice {
  /** The question box. Asking never clears it, so a failed run never loses the question. */
  draft: string;
  run: RunState;
  setDraft: (text: string) => void;
  /**
   * Asks about the current image with the current settings; a running run is replaced.
   * `resumed`: the app asks again on its own (the question box and the page stay as the person
   * has them).
   */
  ask: (question: string, options?: { resumed?: boolean }) => void;
  /** Asks the engine to stop the run; it ends as `stopped` when the engine confirms. */
  stop: () => void;
}

export function idleRun(): RunState {
  return {
    status: 'idle',
    requestId: null,
    question: '',
    imageId: null,
    policy: null,
    maxVisualTokens: null,
    stopping: false,
    resumed: false,
    plan: null,
    rounds: [],
    totals: null,
    result: null,
    spent: null,
    error: null,
    startedAt: null,
    elapsedMs: null,
  };
}

/** Revokes the round thumbnails of a run that is being replaced. */
export function revokeRunUrls(run: RunState, deps: AppDependencies): void {
  for (const round of run.rounds) if (round.thumbnailUrl) deps.urls.revoke(round.thumbnailUrl);
}

/** Why the model keeps a question from being asked, by its status (what is true, and what to do). */
const MODEL_BLOCKERS: Readonly<Record<AppState['model']['status'], string | null>> = {
  idle: 'Choose a model to start.',
  checking: 'Looking for the model in this browser’s storage…',
  confirm: 'Download the model first, or use the offline test model.',
  loading: 'The model is still loading.',
  error: 'The model could not be loaded: retry, or choose another model.',
  cancelled: 'Loading the model was cancelled: load it again, or choose another model.',
  ready: null,
};

/** The same for the model server, which loads when the person connects. */
const SERVER_BLOCKERS: Readonly<Record<AppState['model']['status'], string | null>> = {
  ...MODEL_BLOCKERS,
  idle: 'Connect to the model server first (Settings, under Model).',
  loading: 'Connecting to the model server…',
  error: 'The model server could not be used: retry, check its settings, or choose another model.',
  cancelled: 'Connecting was cancelled: connect again, or choose another model.',
};

/** Why a question cannot be asked now, for people; null when it can. */
export function askBlocker(state: AppState): string | null {
  const blockers = state.model.selectedId === SERVER_MODEL_ID ? SERVER_BLOCKERS : MODEL_BLOCKERS;
  const model = blockers[state.model.status];
  if (model !== null) return model;
  if (state.image.pending) return 'The image is still opening.';
  if (!state.image.current) return 'Choose an image first: drop one, paste one, pick a file or a sample.';
  return null;
}

export const createRunSlice =
  ({ client, deps }: SliceContext): Slice<RunSlice> =>
  (set, get) => ({
    draft: '',
    run: idleRun(),
    setDraft: (text) => {
      set({ draft: text });
    },
    ask: (question, options) => {
      const text = question.trim();
      if (text === '') return;
      const state = get();
      const blocker = askBlocker(state);
      const image = state.image.current;
      if (blocker !== null || image === null) {
        // A run in progress is left alone; otherwise the refusal is shown like a failed run.
        if (state.run.status === 'running') return;
        revokeRunUrls(state.run, deps);
        const { error, errorSeq } = newError(state, 'not-ready', blocker ?? 'Choose an image first.');
        set({ draft: question, errorSeq, run: { ...idleRun(), status: 'error', question: text, error } });
        return;
      }
      const { followUp } = selectFollowUp(state);
      const conversation = conversationForAsk(state, followUp, deps);
      const turns = followUp ? conversation.earlier.length : 0;
      const { maxVisualTokens } = state.settings;
      const policy = selectPolicy(state);
      const threshold = selectThreshold(state);
      const requestId = client.run({
        imageId: image.imageId,
        question: text,
        policy,
        threshold,
        maxVisualTokens,
        followUp,
        turns,
      });
      const resumed = options?.resumed ?? false;
      set({
        conversation,
        // A question the app asks again leaves the box as the person left it.
        draft: resumed ? state.draft : question,
        run: {
          ...idleRun(),
          status: 'running',
          requestId,
          question: text,
          imageId: image.imageId,
          policy,
          maxVisualTokens,
          resumed,
          startedAt: deps.now(),
        },
      });
    },
    stop: () => {
      const { run } = get();
      if (run.status !== 'running' || run.stopping) return;
      client.cancel();
      set((state) => ({ run: { ...state.run, stopping: true } }));
    },
  });
