/**
 * Run settings: the policy, the confidence threshold and the visual-token budget that caps the
 * full-resolution image. Until the person (or a share link) chooses them, the policy and the
 * threshold are those of the selected model (see model-registry.ts).
 */
import { checkThreshold, DEFAULT_CONFIDENCE_THRESHOLD } from '../engine/confidence.ts';
import { DEFAULT_POLICY, isPolicyId, POLICIES, type PolicyId } from '../engine/policies.ts';
import { DEFAULT_MAX_VISUAL_TOKENS, type ImageGeometry } from '../engine/visual-tokens.ts';
import type { AppState, Slice } from './app-state.ts';
import { memoSelector } from './memo.ts';
import { SERVER_MODEL_ID, type AppModelChoice } from './model-choices.ts';

export interface SettingsState {
  /** The policy chosen; used once `policyChosen` (see {@link selectPolicy}). */
  policy: PolicyId;
  /** The person (or a share link) chose the policy: the model's default no longer applies. */
  policyChosen: boolean;
  /** The threshold chosen, 0 to 1; used once `thresholdChosen` (see {@link selectThreshold}). */
  threshold: number;
  thresholdChosen: boolean;
  /** Visual tokens the full-resolution image may cost; a whole number within {@link budgetLimits}. */
  maxVisualTokens: number;
  /** The person (or a share link) set the budget: a model's default no longer replaces it. */
  budgetChosen: boolean;
}

export interface SettingsSlice {
  settings: SettingsState;
  /** Ignores ids that are not a policy. */
  setPolicy: (policy: string) => void;
  /** Ignores values that are not numbers from 0 to 1; keeps two decimals. */
  setThreshold: (threshold: number) => void;
  /** Rounds to a whole number and clamps to the model's limits; ignores values that are not numbers. */
  setBudget: (maxVisualTokens: number) => void;
}

/** The policies people choose from, in the order shown. */
export const POLICY_CHOICES: readonly { id: PolicyId; label: string }[] = Object.values(POLICIES).map(
  ({ id, label }) => ({
    id,
    label,
  }),
);

/** Upper bound before a model is loaded (Qwen2-VL's own maximum is 16384 tokens per image). */
const MAX_BUDGET_WITHOUT_MODEL = 16_384;

/** The budgets that mean something for a model: from its minimum to its maximum pixel count. */
export function budgetLimits(geometry: ImageGeometry | null): { min: number; max: number } {
  if (!geometry) return { min: 1, max: MAX_BUDGET_WITHOUT_MODEL };
  const tokenPixels = (geometry.patchSize * geometry.mergeSize) ** 2;
  const min = Math.max(1, Math.ceil(geometry.minPixels / tokenPixels));
  return { min, max: Math.max(min, Math.floor(geometry.maxPixels / tokenPixels)) };
}

export function clampBudget(value: number, geometry: ImageGeometry | null): number {
  const { min, max } = budgetLimits(geometry);
  return Math.min(max, Math.max(min, Math.round(value)));
}

export const createSettingsSlice = (): Slice<SettingsSlice> => (set) => ({
  settings: {
    policy: DEFAULT_POLICY,
    policyChosen: false,
    threshold: DEFAULT_CONFIDENCE_THRESHOLD,
    thresholdChosen: false,
    maxVisualTokens: DEFAULT_MAX_VISUAL_TOKENS,
    budgetChosen: false,
  },
  setPolicy: (policy) => {
    if (!isPolicyId(policy)) return;
    set((state) => ({ settings: { ...state.settings, policy, policyChosen: true } }));
  },
  setThreshold: (threshold) => {
    if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1) return;
    const rounded = checkThreshold(Math.round(threshold * 100) / 100);
    set((state) => ({ settings: { ...state.settings, threshold: rounded, thresholdChosen: true } }));
  },
  setBudget: (maxVisualTokens) => {
    if (!Number.isFinite(maxVisualTokens)) return;
    set((state) => ({
      settings: {
        ...state.settings,
        maxVisualTokens: clampBudget(maxVisualTokens, state.model.geometry),
        budgetChosen: true,
      },
    }));
  },
});

/** The registry entry of the selected model, if it is one of the app's. */
function selectedEntry(state: AppState) {
  return state.model.choices.find((choice) => choice.id === state.model.selectedId);
}

/** The policy chosen, else the selected model's default (whether or not the model can run it). */
function wantedPolicy(state: AppState): PolicyId {
  if (state.settings.policyChosen) return state.settings.policy;
  return selectedEntry(state)?.defaultPolicy ?? DEFAULT_POLICY;
}

/**
 * Why the `confidence` policy cannot run now (a connected server that gives no token
 * probabilities), in the worker's words; null when it can.
 */
export function selectConfidenceUnavailable(state: AppState): string | null {
  const { backend, selectedId } = state.model;
  return selectedId === SERVER_MODEL_ID && backend?.kind === 'server' ? backend.confidenceUnavailable : null;
}

/**
 * The policy a question runs with: the one chosen, else the selected model's default; `confidence`
 * where the server cannot run it becomes `visionthink` (see {@link selectPolicyFallback}).
 */
export function selectPolicy(state: AppState): PolicyId {
  const wanted = wantedPolicy(state);
  return wanted === 'confidence' && selectConfidenceUnavailable(state) !== null ? 'visionthink' : wanted;
}

/**
 * The policy chosen that cannot run on this server and why, when {@link selectPolicy} falls back; else
 * null. The same object while both are unchanged: the settings panel subscribes to it, and a new
 * object on every read would re-render it without end.
 */
export const selectPolicyFallback = memoSelector(
  (state) => [wantedPolicy(state), selectConfidenceUnavailable(state)],
  (state): { wanted: PolicyId; reason: string } | null => {
    const wanted = wantedPolicy(state);
    const reason = selectConfidenceUnavailable(state);
    return wanted === 'confidence' && reason !== null ? { wanted, reason } : null;
  },
);

/** The `confidence` policy's threshold: the one chosen, else the selected model's. */
export function selectThreshold(state: AppState): number {
  if (state.settings.thresholdChosen) return state.settings.threshold;
  return selectedEntry(state)?.confidenceThreshold ?? DEFAULT_CONFIDENCE_THRESHOLD;
}

/**
 * The selected model's default policy and why it is the default (one sentence), if it is one of
 * the app's models. The registry entry itself, so the result keeps its identity between calls.
 */
export function selectDefaultPolicyWhy(
  state: AppState,
): Pick<AppModelChoice, 'defaultPolicy' | 'defaultPolicyWhy'> | null {
  if (state.model.selectedId === SERVER_MODEL_ID) return SERVER_DEFAULT_POLICY;
  return selectedEntry(state) ?? null;
}

/** A server is there to serve the released VisionThink checkpoints, which ask for the full image themselves. */
const SERVER_DEFAULT_POLICY: Pick<AppModelChoice, 'defaultPolicy' | 'defaultPolicyWhy'> = {
  defaultPolicy: DEFAULT_POLICY,
  defaultPolicyWhy:
    'A server usually runs a released VisionThink model (such as Senqiao/VisionThink-Efficient), trained to ask for the full image itself.',
};
