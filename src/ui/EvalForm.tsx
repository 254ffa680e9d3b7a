/**
 * What to evaluate: the dataset, the sample's size and seed, and the policies. Fixed while a run
 * is shown (the form is that run's); New evaluation frees it.
 */
import { useId, useState } from 'react';
import { DATASETS } from '../eval/datasets.ts';
import { formatThreshold, metricLabel } from '../eval/format.ts';
import {
  EVAL_SIZE_LIMITS,
  POLICY_CHOICES,
  selectConfidenceUnavailable,
  selectThreshold,
  useAppStore,
} from '../state/index.ts';
import { formatTokens } from './format.ts';
import { useOnline } from './use-online.ts';

const DATASET_LIST = Object.values(DATASETS);

function DatasetField() {
  const dataset = useAppStore((s) => s.evaluation.form.dataset);
  const setDataset = useAppStore((s) => s.setEvalDataset);
  const online = useOnline();
  const id = useId();
  const hintId = useId();
  const entry = DATASET_LIST.find((candidate) => candidate.id === dataset);
  const hub = entry?.kind === 'hub';
  return (
    <div className="field">
      <label htmlFor={id}>Dataset</label>
      <select
        id={id}
        data-testid="eval.dataset"
        value={dataset}
        aria-describedby={hintId}
        onChange={(event) => {
          setDataset(event.target.value);
        }}
      >
        {DATASET_LIST.map((candidate) => (
          <option key={candidate.id} value={candidate.id}>
            {candidate.kind === 'hub' ? `${candidate.label} — needs the network` : candidate.label}
          </option>
        ))}
      </select>
      <p id={hintId} className="muted">
        {entry && `Scored by ${metricLabel(entry.metric)}. `}
        {hub
          ? `Read from the Hugging Face hub (${entry.dataset}) as it runs.`
          : 'Drawn by the app itself: nothing is downloaded.'}
      </p>
      {hub && !online && (
        <p className="notice" role="status" data-testid="eval.offline">
          This browser is offline: the hub’s datasets cannot be read until the network is back. The synthetic set works
          offline.
        </p>
      )}
    </div>
  );
}

/** A whole-number field that keeps what is typed while it is typed; the store keeps the checked number. */
function NumberField({
  label,
  hint,
  testId,
  value,
  min,
  max,
  onValue,
}: {
  label: string;
  hint: string;
  testId: string;
  value: number;
  min: number;
  max?: number;
  onValue: (value: number) => void;
}) {
  const [draft, setDraft] = useState<string | null>(null);
  const id = useId();
  const hintId = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        inputMode="numeric"
        data-testid={testId}
        min={min}
        max={max}
        step={1}
        value={draft ?? String(value)}
        aria-describedby={hintId}
        onChange={(event) => {
          setDraft(event.target.value);
          const number = event.target.valueAsNumber;
          if (Number.isFinite(number)) onValue(number);
        }}
        onBlur={() => {
          setDraft(null);
        }}
      />
      <p id={hintId} className="muted">
        {hint}
      </p>
    </div>
  );
}

function PolicyFields() {
  const chosen = useAppStore((s) => s.evaluation.form.policies);
  const setPolicy = useAppStore((s) => s.setEvalPolicy);
  const unavailable = useAppStore(selectConfidenceUnavailable);
  const reasonId = useId();
  return (
    <fieldset className="eval-policies">
      <legend>Policies</legend>
      {POLICY_CHOICES.map(({ id, label }) => {
        const off = id === 'confidence' && unavailable !== null;
        return (
          <label key={id} className="check">
            <input
              type="checkbox"
              data-testid={`eval.policy.${id}`}
              checked={chosen.includes(id) && !off}
              disabled={off}
              aria-describedby={off ? reasonId : undefined}
              onChange={(event) => {
                setPolicy(id, event.target.checked);
              }}
            />
            <span>
              {label} <span className="muted">({id})</span>
            </span>
          </label>
        );
      })}
      {unavailable !== null && (
        <p id={reasonId} className="muted" data-testid="eval.policy.unavailable">
          {unavailable}
        </p>
      )}
      <p className="muted">At least one. Always full resolution is the baseline the tokens are compared with.</p>
    </fieldset>
  );
}

/** The threshold and the budget: the settings' for a new run, the run's own once it started. */
function RunSettings() {
  const params = useAppStore((s) => s.evaluation.run?.params ?? null);
  const threshold = useAppStore(selectThreshold);
  const budget = useAppStore((s) => s.settings.maxVisualTokens);
  const shown = params ?? { threshold, maxVisualTokens: budget };
  return (
    <p className="muted eval-run-settings">
      Confidence threshold {formatThreshold(shown.threshold)} · at most {formatTokens(shown.maxVisualTokens)} visual
      tokens per image
      {params ? ' (this run’s).' : ', from Settings on the Ask tab.'}
    </p>
  );
}

export function EvalForm() {
  const form = useAppStore((s) => s.evaluation.form);
  const held = useAppStore((s) => s.evaluation.run !== null);
  const setSize = useAppStore((s) => s.setEvalSize);
  const setSeed = useAppStore((s) => s.setEvalSeed);
  return (
    <fieldset className="eval-form" disabled={held}>
      <legend className="visually-hidden">What to evaluate</legend>
      <div className="eval-fields">
        <DatasetField />
        <NumberField
          label="Items"
          hint={`${EVAL_SIZE_LIMITS.min} to ${EVAL_SIZE_LIMITS.max}, drawn at random; each is asked once per policy.`}
          testId="eval.size"
          value={form.size}
          min={EVAL_SIZE_LIMITS.min}
          max={EVAL_SIZE_LIMITS.max}
          onValue={setSize}
        />
        <NumberField
          label="Seed"
          hint="The same seed draws the same items."
          testId="eval.seed"
          value={form.seed}
          min={0}
          onValue={setSeed}
        />
      </div>
      <PolicyFields />
      <RunSettings />
    </fieldset>
  );
}
