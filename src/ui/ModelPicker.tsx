/**
 * The models as a list of choices, each with what loading it takes on this device (a download of
 * a given size, already stored, or shipped with the app), and last a model server, whose settings
 * follow the list when it is chosen. A radio group rather than a menu: the names and sizes wrap
 * instead of being cut off in a narrow column.
 */
import { useId, useRef } from 'react';
import type { ModelAvailability } from '../state/index.ts';
import {
  SERVER_MODEL_ID,
  selectModelOptions,
  selectPendingSwitch,
  selectSelectedModel,
  useAppStore,
} from '../state/index.ts';
import { formatBytes } from './format.ts';
import { ServerForm } from './ServerForm.tsx';

const SERVER_NOTE =
  'Answers come from an OpenAI-compatible server you run (vLLM, llama.cpp or Ollama), such as one serving Senqiao/VisionThink-Efficient. The loop, the meter and the trace stay in this page; the images go to the server.';

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
  const pending = useAppStore(selectPendingSwitch);
  const confirmSwitch = useAppStore((s) => s.confirmSwitch);
  const keepDownloading = useAppStore((s) => s.keepDownloading);
  const name = useId();
  const noteId = useId();
  const serverId = useId();
  const list = useRef<HTMLFieldSetElement>(null);
  /** Answers the prompt; its buttons go away, so focus moves to the model then in use. */
  const answer = (choose: () => void, inUse: string) => () => {
    choose();
    list.current?.querySelector<HTMLInputElement>(`input[value="${CSS.escape(inUse)}"]`)?.focus();
  };

  const serverChosen = selectedId === SERVER_MODEL_ID;
  const selectedLabel = serverChosen ? 'The model server' : selected?.label;
  return (
    <>
      <fieldset
        ref={list}
        className="model-picker"
        data-testid="model"
        data-value={selectedId}
        aria-describedby={noteId}
      >
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
        <label className="model-option" data-model-id={SERVER_MODEL_ID}>
          <input
            type="radio"
            name={name}
            value={SERVER_MODEL_ID}
            data-testid="model.server"
            checked={SERVER_MODEL_ID === (pending?.id ?? selectedId)}
            aria-describedby={serverId}
            onChange={() => {
              selectModel(SERVER_MODEL_ID);
            }}
          />
          <span className="model-option-text">
            <span className="model-option-label">Server (OpenAI-compatible)</span>
            <span id={serverId} className="muted model-option-size" data-availability="server">
              Your own model server: images are sent to it
            </span>
          </span>
        </label>
        <div
          className={pending ? 'notice switch-notice' : undefined}
          data-testid={pending ? 'model.switch' : undefined}
        >
          {/* Always in the page and empty until it asks, so screen readers announce the question. */}
          <p role="status">
            {pending && selectedLabel
              ? `${selectedLabel} is still downloading. Stop the download and use ${pending.label} instead?`
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
          {serverChosen ? SERVER_NOTE : selected?.note}
        </p>
      </fieldset>
      {serverChosen && <ServerForm />}
    </>
  );
}
