/** Run settings: the policy and the visual-token budget that caps the full-resolution image. */
import { DEFAULT_POLICY, isPolicyId, POLICIES, type PolicyId } from '../engine/policies.ts';
import { DEFAULT_MAX_VISUAL_TOKENS, type ImageGeometry } from '../engine/visual-tokens.ts';
import type { Slice } from './app-state.ts';

export interface SettingsState {
  policy: PolicyId;
  /** Visual tokens the full-resolution image may cost; a whole number within {@link budgetLimits}. */
  maxVisualTokens: number;
  /** The person (or a share link) set the budget: a model's default no longer replaces it. */
  budgetChosen: boolean;
}

export interface SettingsSlice {
  settings: SettingsState;
  /** Ignores ids that are not a policy. */
  setPolicy: (policy: string) => void;
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
  settings: { policy: DEFAULT_POLICY, maxVisualTokens: DEFAULT_MAX_VISUAL_TOKENS, budgetChosen: false },
  setPolicy: (policy) => {
    if (!isPolicyId(policy)) return;
    set((state) => ({ settings: { ...state.settings, policy } }));
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
