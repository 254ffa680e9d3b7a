/**
 * How each message of a run changes the state: the engine's events (`run-event`), the
 * thumbnails of what the model saw (`round-image`), and a worker failure during a run.
 */
import type { EngineEvent } from '../engine/events.ts';
import type { WorkerMessage } from '../protocol/messages.ts';
import type { AppState, StateChange } from './app-state.ts';
import type { AppDependencies } from './dependencies.ts';
import { assertNever, newError } from './errors.ts';
import type { RoundTrace, RunState } from './run-slice.ts';
import { addAnswered, addStopped } from './session-slice.ts';

type Message<T extends WorkerMessage['type']> = Extract<WorkerMessage, { type: T }>;

function emptyRound(round: number): RoundTrace {
  return {
    round,
    started: false,
    image: null,
    thumbnailUrl: null,
    text: '',
    phase: null,
    decision: null,
    decisionDetail: null,
    gate: null,
    asked: false,
    usage: null,
    tokens: [],
  };
}

/** The run with round `round` changed (created when it is not there yet, kept in round order). */
function withRound(run: RunState, round: number, change: (trace: RoundTrace) => RoundTrace): RunState {
  const existing = run.rounds.find((trace) => trace.round === round);
  const rounds = existing
    ? run.rounds.map((trace) => (trace.round === round ? change(trace) : trace))
    : [...run.rounds, change(emptyRound(round))].sort((a, b) => a.round - b.round);
  return { ...run, rounds };
}

/** The state change for one engine event of the current run. */
function reduceRunEvent(state: AppState, event: EngineEvent, deps: AppDependencies): StateChange {
  const { run } = state;
  switch (event.type) {
    case 'plan':
      return {
        run: { ...run, plan: { turn: event.turn, original: event.original, low: event.low, full: event.full } },
      };
    case 'round':
      return { run: withRound(run, event.round, (trace) => ({ ...trace, started: true, image: event.image })) };
    case 'phase':
      return { run: withRound(run, event.round, (trace) => ({ ...trace, phase: event.phase })) };
    case 'text':
      return { run: withRound(run, event.round, (trace) => ({ ...trace, text: trace.text + event.delta })) };
    case 'usage':
      return {
        run: {
          ...withRound(run, event.usage.round, (trace) => ({ ...trace, usage: event.usage, tokens: event.tokens })),
          totals: event.totals,
        },
      };
    case 'decision':
      return {
        run: withRound(run, event.round, (trace) => ({
          ...trace,
          decision: event.decision,
          decisionDetail: event.detail ?? null,
          gate: event.gate ?? null,
          asked: event.asked ?? false,
        })),
      };
    case 'done':
      return {
        run: {
          ...run,
          status: 'done',
          stopping: false,
          result: event.result,
          totals: event.result.visualTokens,
          elapsedMs: run.startedAt === null ? null : deps.now() - run.startedAt,
        },
        session: addAnswered(state.session, event.result),
        // Not when the image changed while it ran: that ended the conversation (and freed it).
        conversation:
          run.imageId === state.image.current?.imageId
            ? { ...state.conversation, open: true, totals: event.conversation.visualTokens }
            : state.conversation,
      };
    case 'error': {
      const spent = event.spent ?? null;
      const elapsedMs = run.startedAt === null ? null : deps.now() - run.startedAt;
      if (event.error.code === 'aborted') {
        return {
          run: { ...run, status: 'stopped', stopping: false, spent, elapsedMs },
          session: addStopped(state.session, spent),
        };
      }
      const { error, errorSeq } = newError(state, event.error.code, event.error.message, event.error);
      return {
        errorSeq,
        run: { ...run, status: 'error', stopping: false, error, spent, elapsedMs },
        // The worker no longer has the conversation: the next question starts a new one.
        ...(event.error.code === 'conversation-lost' ? { conversation: { ...state.conversation, open: false } } : {}),
      };
    }
    default:
      return assertNever(event);
  }
}

/** `run-event`: applied only to the run the store waits for, and only while it runs. */
export function runEventReceived(state: AppState, message: Message<'run-event'>, deps: AppDependencies): StateChange {
  if (state.run.requestId !== message.requestId || state.run.status !== 'running') return null;
  return reduceRunEvent(state, message.event, deps);
}

/** `round-image`: the thumbnail of a round of the current run (it may arrive before or after its `round` event). */
export function roundImageReceived(
  state: AppState,
  message: Message<'round-image'>,
  deps: AppDependencies,
): StateChange {
  if (state.run.requestId !== message.requestId) return null;
  const thumbnailUrl = deps.urls.create(message.image);
  return {
    run: withRound(state.run, message.round, (trace) => {
      if (trace.thumbnailUrl) deps.urls.revoke(trace.thumbnailUrl);
      return { ...trace, thumbnailUrl };
    }),
  };
}

/** `failed` for the run request (the worker stopped): the run ends with the error; question and image stay. */
export function runFailed(state: AppState, message: Message<'failed'>): StateChange {
  if (state.run.requestId !== message.requestId || state.run.status !== 'running') return null;
  const { error, errorSeq } = newError(state, message.error.code, message.error.message, message.error);
  return { errorSeq, run: { ...state.run, status: 'error', stopping: false, error } };
}

/**
 * `fallback` during run `runRequestId`: the device failed and the worker asks the question again
 * one rung lower, so what the failed attempt showed is cleared (the question stays).
 */
export function runRestarted(state: AppState, runRequestId: number, deps: AppDependencies): StateChange {
  if (state.run.requestId !== runRequestId || state.run.status !== 'running') return null;
  for (const round of state.run.rounds) if (round.thumbnailUrl) deps.urls.revoke(round.thumbnailUrl);
  return { run: { ...state.run, plan: null, rounds: [], totals: null } };
}
