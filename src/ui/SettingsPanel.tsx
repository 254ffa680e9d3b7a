/** Model, policy and the full-resolution budget. */
import { useId, useState } from 'react';
import { POLICY_CHOICES, selectBudgetLimits, useAppStore } from '../state/index.ts';
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

export function SettingsPanel() {
  const policy = useAppStore((s) => s.settings.policy);
  const setPolicy = useAppStore((s) => s.setPolicy);
  const policyId = useId();

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
          onChange={(event) => {
            setPolicy(event.target.value);
          }}
        >
          {POLICY_CHOICES.map((option) => (
            <option key={option.id} value={option.id}>
              {option.label}
            </option>
          ))}
        </select>
      </div>
      <BudgetInput />
    </section>
  );
}
