/** Which error the banner shows, dismissing it, and Retry for the step that failed. */
import type { AppState, Slice } from './app-state.ts';
import type { AppError } from './errors.ts';

export interface ErrorSlice {
  /** Sequence number of the newest error so far. */
  errorSeq: number;
  /** Errors up to this number are hidden. */
  dismissedErrorSeq: number;
  dismissError: () => void;
  /** Repeats the step of the visible error, when repeating can help. */
  retry: () => void;
}

export type ErrorSource = 'model' | 'image' | 'run';

export interface VisibleError extends AppError {
  source: ErrorSource;
  /** Whether Retry can help. */
  retryable: boolean;
}

/** The newest error not dismissed, with where it came from; null when there is none. */
export function visibleError(state: AppState): VisibleError | null {
  const candidates: VisibleError[] = [];
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
  let newest: VisibleError | null = null;
  for (const candidate of candidates) {
    if (candidate.seq > state.dismissedErrorSeq && (newest === null || candidate.seq > newest.seq)) newest = candidate;
  }
  return newest;
}

export const createErrorSlice = (): Slice<ErrorSlice> => (set, get) => ({
  errorSeq: 0,
  dismissedErrorSeq: 0,
  dismissError: () => {
    set((state) => ({ dismissedErrorSeq: state.errorSeq }));
  },
  retry: () => {
    const state = get();
    const error = visibleError(state);
    if (!error?.retryable) return;
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
});
