/**
 * The models as a list of choices, each with what loading it takes on this device (a download of
 * a given size, already stored, or shipped with the app). A radio group rather than a menu: the
 * names and sizes wrap instead of being cut off in a narrow column.
 */
import { useId, useRef } from 'react';
import type { ModelAvailability } from '../state/index.ts';
import { selectModelOptions, selectSelectedModel, useAppStore } from '../state/index.ts';
import { formatBytes } from './format.ts';

function availabilityText(availability: ModelAvailability): string {
  switch (availability.kind) {
    case 'bundled':
      return availability.bytes === null
        ? 'Ships with the app'
        : `Ships with the app, ${formatBytes(availability.bytes)}`;
    case 'stored':
      return 'Stored in this browser';
    case 'download':
      return availability.bytes === null
        ? 'Download; its size is asked of the hub first'
        : `Download, about ${formatBytes(availability.bytes)}`;
  }
}

export function ModelPicker() {
  const options = useAppStore(selectModelOptions);
  const selectedId = useAppStore((s) => s.model.selectedId);
  const selected = useAppStore(selectSelectedModel);
  const selectModel = useAppStore((s) => s.selectModel);
  const pending = useAppStore((s) =>
    s.model.status === 'loading'
      ? (s.model.choices.find((choice) => choice.id === s.model.pendingSwitch) ?? null)
      : null,
  );
  const confirmSwitch = useAppStore((s) => s.confirmSwitch);
  const keepDownloading = useAppStore((s) => s.keepDownloading);
  const name = useId();
  const noteId = useId();
  const list = useRef<HTMLFieldSetElement>(null);
  /** Answers the prompt; its buttons go away, so focus moves to the model then in use. */
  const answer = (choose: () => void, inUse: string) => () => {
    choose();
    list.current?.querySelector<HTMLInputElement>(`input[value="${CSS.escape(inUse)}"]`)?.focus();
  };

  return (
    <fieldset ref={list} className="model-picker" data-testid="model" data-value={selectedId} aria-describedby={noteId}>
      <legend>Model</legend>
      {options.map(({ choice, availability }) => (
        <label key={choice.id} className="model-option" data-model-id={choice.id}>
          <input
            type="radio"
            name={name}
            value={choice.id}
            data-testid="model.option"
            // The model asked about shows as chosen, so going back to the one in use withdraws it.
            checked={choice.id === (pending?.id ?? selectedId)}
            onChange={() => {
              selectModel(choice.id);
            }}
          />
          <span className="model-option-text">
            <span className="model-option-label">{choice.label}</span>
            <span className="muted model-option-size" data-availability={availability.kind}>
              {availabilityText(availability)}
            </span>
          </span>
        </label>
      ))}
      <div className={pending ? 'notice switch-notice' : undefined} data-testid={pending ? 'model.switch' : undefined}>
        {/* Always in the page and empty until it asks, so screen readers announce the question. */}
        <p role="status">
          {pending && selected
            ? `${selected.label} is still downloading. Stop the download and use ${pending.label} instead?`
            : ''}
        </p>
        {pending && (
          <div className="inline-row">
            <button type="button" data-testid="model.switch.confirm" onClick={answer(confirmSwitch, pending.id)}>
              Stop and switch
            </button>
            <button type="button" data-testid="model.switch.keep" onClick={answer(keepDownloading, selectedId)}>
              Keep downloading
            </button>
          </div>
        )}
      </div>
      <p id={noteId} className="muted" data-testid="model.note">
        {selected?.note}
      </p>
    </fieldset>
  );
}
