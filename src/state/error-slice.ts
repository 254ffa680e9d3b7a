/** Which error the banner shows, dismissing it, and Retry for the step that failed. */
import type { AppState, Slice } from './app-state.ts';
import type { AppError, AppErrorCode } from './errors.ts';

export interface ErrorSlice {
  /** Sequence number of the newest error so far. */
  errorSeq: number;
  /** Errors up to this number are hidden. */
  dismissedErrorSeq: number;
  /**
   * A busy server asked to wait before trying again: seconds left for error `seq`, counted down
   * once a second; Retry waits until it is gone.
   */
  retryWait: { seq: number; secondsLeft: number } | null;
  dismissError: () => void;
  /** Repeats the step of the visible error, when repeating can help (and no wait is left). */
  retry: () => void;
  /** Starts the countdown when the visible error asks to wait before trying again (once per error). */
  watchRetryAfter: () => void;
}

export type ErrorSource = 'model' | 'image' | 'run';

export interface VisibleError extends AppError {
  source: ErrorSource;
  /** Whether Retry can help. */
  retryable: boolean;
  /** The model server's settings are where to fix it (address, key, model name). */
  serverSettings: boolean;
}

/** Errors of a model server that its settings fix: the address, the origin it allows, the key, the model. */
const SERVER_SETTINGS_CODES: readonly AppErrorCode[] = [
  'server-unreachable',
  'server-cors',
  'server-auth',
  'server-model',
  'server-protocol',
];

/** The newest error not dismissed, with where it came from; null when there is none. */
export function visibleError(state: AppState): VisibleError | null {
  const candidates: Omit<VisibleError, 'serverSettings'>[] = [];
  if (state.model.error) candidates.push({ ...state.model.error, source: 'model', retryable: true });
  // The address field shows its own errors beside it (see selectUrlFieldError).
  if (state.image.error && state.image.errorOrigin !== 'url') {
    candidates.push({ ...state.image.error, source: 'image', retryable: state.image.retryAddress !== null });
  }
  // A run stopped for a fallback download: the download card asks, and the question comes back.
  if (state.run.status === 'error' && state.run.error && state.run.error.code !== 'needs-download') {
    // A conversation that is full or gone fails the same way again: a new one is the way on.
    const retryable =
      state.run.question !== '' &&
      !['empty-question', 'context-full', 'conversation-lost'].includes(state.run.error.code);
    candidates.push({ ...state.run.error, source: 'run', retryable });
  }
  let newest: Omit<VisibleError, 'serverSettings'> | null = null;
  for (const candidate of candidates) {
    if (candidate.seq > state.dismissedErrorSeq && (newest === null || candidate.seq > newest.seq)) newest = candidate;
  }
  return newest && { ...newest, serverSettings: SERVER_SETTINGS_CODES.includes(newest.code) };
}

/** Seconds left before Retry of the visible error is offered; null when it may be retried now. */
export function retryWaitOf(state: AppState): number | null {
  const error = visibleError(state);
  const wait = state.retryWait;
  return error && wait?.seq === error.seq && wait.secondsLeft > 0 ? wait.secondsLeft : null;
}

export const createErrorSlice = (): Slice<ErrorSlice> => (set, get) => ({
  errorSeq: 0,
  dismissedErrorSeq: 0,
  retryWait: null,
  dismissError: () => {
    set((state) => ({ dismissedErrorSeq: state.errorSeq }));
  },
  retry: () => {
    const state = get();
    const error = visibleError(state);
    if (!error?.retryable || retryWaitOf(state) !== null) return;
    switch (error.source) {
      case 'model':
        state.loadModel();
        return;
      case 'image':
        state.retryImage();
        return;
      case 'run':
        state.ask(state.run.question);
        return;
    }
  },
  watchRetryAfter: () => {
    const error = visibleError(get());
    const seconds = error?.retryAfterSeconds;
    if (!error || seconds === undefined || get().retryWait?.seq === error.seq) return;
    const { seq } = error;
    set({ retryWait: { seq, secondsLeft: Math.ceil(seconds) } });
    const tick = (): void => {
      const wait = get().retryWait;
      // A newer error replaced this one's countdown.
      if (wait?.seq !== seq) return;
      const secondsLeft = wait.secondsLeft - 1;
      // Kept at 0 rather than removed, so the same error does not start counting again.
      set({ retryWait: { seq, secondsLeft: Math.max(0, secondsLeft) } });
      if (secondsLeft > 0) setTimeout(tick, 1000);
    };
    setTimeout(tick, 1000);
  },
});
