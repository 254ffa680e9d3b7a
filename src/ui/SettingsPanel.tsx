/** Model, policy and the full-resolution budget. */
import { useId, useState } from 'react';
import {
  POLICY_CHOICES,
  selectBudgetLimits,
  selectConfidenceUnavailable,
  selectDefaultPolicyWhy,
  selectPolicy,
  selectPolicyFallback,
  selectThreshold,
  useAppStore,
} from '../state/index.ts';
import { ModelPicker } from './ModelPicker.tsx';

function BudgetInput() {
  const budget = useAppStore((s) => s.settings.maxVisualTokens);
  const limits = useAppStore(selectBudgetLimits);
  const setBudget = useAppStore((s) => s.setBudget);
  // What is typed, while it is typed; the store keeps the clamped number.
  const [draft, setDraft] = useState<string | null>(null);
  const inputId = useId();
  const hintId = useId();

  return (
    <div className="field">
      <label htmlFor={inputId}>Full-resolution budget (visual tokens per image)</label>
      <input
        id={inputId}
        type="number"
        inputMode="numeric"
        data-testid="budget"
        min={limits.min}
        max={limits.max}
        step={1}
        value={draft ?? String(budget)}
        aria-describedby={hintId}
        onChange={(event) => {
          setDraft(event.target.value);
          const value = event.target.valueAsNumber;
          if (Number.isFinite(value)) setBudget(value);
        }}
        onBlur={() => {
          setDraft(null);
        }}
      />
      <p id={hintId} className="muted">
        Caps the full image; the first look is a quarter of it. From {limits.min} to {limits.max}.
      </p>
    </div>
  );
}

/** The confidence gate's threshold: a slider showing its value, 0 (never look again) to 1 (always). */
function ThresholdSlider() {
  const threshold = useAppStore(selectThreshold);
  const setThreshold = useAppStore((s) => s.setThreshold);
  const inputId = useId();
  const hintId = useId();
  return (
    <div className="field">
      <label htmlFor={inputId}>
        Confidence threshold{' '}
        <output htmlFor={inputId} data-testid="threshold.value">
          {threshold.toFixed(2)}
        </output>
      </label>
      <input
        id={inputId}
        type="range"
        data-testid="threshold"
        min={0}
        max={1}
        step={0.01}
        value={threshold}
        aria-describedby={hintId}
        aria-valuetext={threshold.toFixed(2)}
        onChange={(event) => {
          setThreshold(event.target.valueAsNumber);
        }}
      />
      <p id={hintId} className="muted">
        An answer at low resolution less sure than this is asked again with the full image. 0 never looks again (unless
        the model asks for the full image itself); 1 always does.
      </p>
    </div>
  );
}

export function SettingsPanel() {
  const policy = useAppStore(selectPolicy);
  const setPolicy = useAppStore((s) => s.setPolicy);
  const modelDefault = useAppStore(selectDefaultPolicyWhy);
  const confidenceUnavailable = useAppStore(selectConfidenceUnavailable);
  const fallback = useAppStore(selectPolicyFallback);
  const policyId = useId();
  const whyId = useId();
  const unavailableId = useId();
  const defaultLabel = POLICY_CHOICES.find((choice) => choice.id === modelDefault?.defaultPolicy)?.label;
  const labelOf = (id: string): string => POLICY_CHOICES.find((choice) => choice.id === id)?.label ?? id;
  const describedBy = [modelDefault ? whyId : '', confidenceUnavailable !== null ? unavailableId : '']
    .filter(Boolean)
    .join(' ');

  return (
    <section className="settings" aria-labelledby="settings-heading">
      <h2 id="settings-heading">Settings</h2>
      <ModelPicker />
      <div className="field">
        <label htmlFor={policyId}>Resolution</label>
        <select
          id={policyId}
          data-testid="policy"
          value={policy}
          aria-describedby={describedBy === '' ? undefined : describedBy}
          onChange={(event) => {
            setPolicy(event.target.value);
          }}
        >
          {POLICY_CHOICES.map((option) => {
            const unavailable = option.id === 'confidence' && confidenceUnavailable !== null;
            return (
              <option key={option.id} value={option.id} disabled={unavailable}>
                {unavailable ? `${option.label} (not on this server)` : option.label}
              </option>
            );
          })}
        </select>
        {confidenceUnavailable !== null && (
          <div id={unavailableId}>
            {/* The worker's reason names the policy and what it lacks. */}
            <p className="muted" data-testid="policy.unavailable">
              {confidenceUnavailable}
            </p>
            {fallback && (
              <p className="notice" role="status" data-testid="policy.fallback">
                You chose {labelOf(fallback.wanted)}, so {labelOf(policy)} is used instead while this server answers.
              </p>
            )}
          </div>
        )}
        {modelDefault && defaultLabel && (
          <p id={whyId} className="muted" data-testid="policy.why">
            Default for this model: {defaultLabel}. {modelDefault.defaultPolicyWhy}
          </p>
        )}
      </div>
      {policy === 'confidence' && <ThresholdSlider />}
      <BudgetInput />
    </section>
  );
}
