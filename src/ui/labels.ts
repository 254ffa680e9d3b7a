/** Words for the engine's phases and decisions (presentation only). */
import type { Decision } from '../engine/events.ts';
import type { RunPhase } from '../state/index.ts';

export const PHASE_LABELS: Readonly<Record<RunPhase, string>> = {
  'encode-low': 'Encoding the low-resolution image…',
  'encode-full': 'Encoding the full image…',
  prefill: 'Reading the prompt and the image…',
  decode: 'Writing…',
};

export const DECISION_LABELS: Readonly<Record<Decision, string>> = {
  answer: 'The model answered.',
  escalate: 'The model asked for the full image.',
  refused: 'The model asked for the full image; the policy keeps it at this resolution.',
  'invalid-call': 'The model made a request the app could not understand; it was told so.',
  unserved: 'The model asked for another look after its last round; the run ends.',
};

/** Where a stopped round was, after "Stopped while …". */
export const STOPPED_PHASE_LABELS: Readonly<Record<RunPhase, string>> = {
  'encode-low': 'encoding the low-resolution image',
  'encode-full': 'encoding the full image',
  prefill: 'reading the prompt and the image',
  decode: 'writing',
};
