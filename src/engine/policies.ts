/**
 * Policies decide which resolution a question starts at and what happens when the model asks
 * for the full image. New policies add an entry here; the loop only talks to this interface.
 */
import { InvalidRequestError } from './errors.ts';
import type { Resolution } from './events.ts';

export type PolicyId = 'visionthink' | 'confidence' | 'low-only' | 'full-only';

/** How a policy answers the model's request for the full image. */
export type ResizeResponse = { kind: 'serve' } | { kind: 'refuse'; errorInfo: string };

export interface Policy {
  id: PolicyId;
  /** A short label for people. */
  label: string;
  /** The image of round 1. */
  firstPass: Resolution;
  /**
   * What round 1 sends: `visionthink`, the protocol's system prompt with the resize tool (see
   * protocol.ts); `plain`, the question alone through the model's own chat template (see
   * plain-protocol.ts), for models never trained to ask for the full image.
   */
  prompt: 'visionthink' | 'plain';
  /**
   * `confidence`: after an answer at low resolution, show the full image when the answer's
   * confidence is below the threshold (see confidence.ts). `none`: an answer is final.
   */
  gate: 'confidence' | 'none';
  /** Called when the model emits a valid resize request and a round is left to serve it. */
  onResizeRequest(current: Resolution): ResizeResponse;
}

const serveFull = (current: Resolution): ResizeResponse =>
  current === 'full'
    ? { kind: 'refuse', errorInfo: 'The image is already shown at its full resolution' }
    : { kind: 'serve' };

export const POLICIES: Readonly<Record<PolicyId, Policy>> = {
  visionthink: {
    id: 'visionthink',
    label: 'Model decides',
    firstPass: 'low',
    prompt: 'visionthink',
    gate: 'none',
    onResizeRequest: serveFull,
  },
  confidence: {
    id: 'confidence',
    label: 'Escalate when unsure',
    firstPass: 'low',
    prompt: 'plain',
    gate: 'confidence',
    // A model that asks for the full image on its own (a tool call learned elsewhere) gets it.
    onResizeRequest: serveFull,
  },
  'low-only': {
    id: 'low-only',
    label: 'Always low resolution',
    firstPass: 'low',
    prompt: 'visionthink',
    gate: 'none',
    onResizeRequest: () => ({
      kind: 'refuse',
      errorInfo: 'The full-resolution image is not available; answer from the current image',
    }),
  },
  'full-only': {
    id: 'full-only',
    label: 'Always full resolution',
    firstPass: 'full',
    prompt: 'visionthink',
    gate: 'none',
    onResizeRequest: serveFull,
  },
};

export const DEFAULT_POLICY: PolicyId = 'visionthink';

export function isPolicyId(value: string): value is PolicyId {
  return Object.hasOwn(POLICIES, value);
}

/** Looks a policy up by id, with a readable error for unknown ids. */
export function policyFor(id: string): Policy {
  if (!isPolicyId(id)) {
    throw new InvalidRequestError(
      'invalid-option',
      `Unknown policy "${id}". Choose one of: ${Object.keys(POLICIES).join(', ')}.`,
    );
  }
  return POLICIES[id];
}
