/**
 * The model server's settings, shown in Settings while the Server source is chosen: its address,
 * the model (offered from the server's own list), an optional API key, the pixel limits, and
 * Connect. A field's problem shows beside it once the person leaves it or presses Connect; what
 * was typed always stays.
 */
import { useEffect, useId, useRef, type SubmitEvent } from 'react';
import {
  DEFAULT_MAX_PIXELS,
  DEFAULT_MIN_PIXELS,
  selectModelSource,
  selectServerFieldErrors,
  selectServerUrlNotes,
  useAppStore,
  type ServerFieldName,
} from '../state/index.ts';
import { connectDestinationText } from './privacy-copy.ts';
import { ModelListStatus, PixelField } from './ServerFormFields.tsx';

export function ServerForm() {
  const fields = useAppStore((s) => s.server.fields);
  const apiKey = useAppStore((s) => s.server.apiKey);
  const rememberKey = useAppStore((s) => s.server.rememberKey);
  const keyWithheld = useAppStore((s) => s.server.keyWithheld);
  const listingError = useAppStore((s) => s.server.listing.error?.code ?? null);
  const listing = useAppStore((s) => s.server.listing.status);
  const models = useAppStore((s) => s.server.listing.models);
  const focus = useAppStore((s) => s.server.focus);
  const errors = useAppStore(selectServerFieldErrors);
  const notes = useAppStore(selectServerUrlNotes);
  const source = useAppStore(selectModelSource);
  const setField = useAppStore((s) => s.setServerField);
  const setRemember = useAppStore((s) => s.setRememberKey);
  const touch = useAppStore((s) => s.touchServerField);
  const listModels = useAppStore((s) => s.listServerModels);
  const connect = useAppStore((s) => s.connectServer);
  const form = useRef<HTMLFormElement>(null);
  const advanced = useRef<HTMLDetailsElement>(null);
  // Requests made before the form was shown are not this form's to act on.
  const handledFocus = useRef(focus?.seq ?? 0);
  const id = useId();
  const ids = {
    url: `${id}-url`,
    urlHelp: `${id}-url-help`,
    model: `${id}-model`,
    modelHelp: `${id}-model-help`,
    models: `${id}-models`,
    key: `${id}-key`,
    keyHelp: `${id}-key-help`,
    min: `${id}-min`,
    max: `${id}-max`,
    pixelsHelp: `${id}-pixels-help`,
    destination: `${id}-destination`,
  };

  useEffect(() => {
    if (!focus || focus.seq <= handledFocus.current) return;
    handledFocus.current = focus.seq;
    const field: ServerFieldName = focus.field;
    if ((field === 'minPixels' || field === 'maxPixels') && advanced.current) advanced.current.open = true;
    const input = form.current?.querySelector<HTMLInputElement>(`[data-field="${field}"]`);
    input?.scrollIntoView({ block: 'center', behavior: 'instant' });
    input?.focus();
  }, [focus]);

  const connecting = source.kind === 'server' && source.status === 'connecting';
  const connected = source.kind === 'server' && source.status === 'connected';
  const onSubmit = (event: SubmitEvent<HTMLFormElement>): void => {
    event.preventDefault();
    connect();
  };
  const describedBy = (...parts: (string | false)[]): string => parts.filter(Boolean).join(' ');

  return (
    <form ref={form} className="server-form" data-testid="server.form" onSubmit={onSubmit} noValidate>
      <div className="field">
        <label htmlFor={ids.url}>Server address</label>
        <input
          id={ids.url}
          type="url"
          inputMode="url"
          autoComplete="url"
          spellCheck={false}
          autoCapitalize="none"
          placeholder="http://localhost:8000/v1"
          data-testid="server.url"
          data-field="url"
          value={fields.url}
          aria-invalid={errors.url !== null}
          aria-describedby={describedBy(ids.urlHelp, errors.url !== null && `${ids.url}-error`)}
          onChange={(event) => {
            setField('url', event.target.value);
          }}
          onBlur={() => {
            touch('url');
            void listModels({ onlyIfNew: true });
          }}
        />
        <p id={ids.urlHelp} className="muted">
          The OpenAI-compatible API’s base URL (vLLM, llama.cpp, Ollama); it usually ends in /v1.
        </p>
        {errors.url !== null && (
          <p id={`${ids.url}-error`} className="field-error" data-testid="server.url.error">
            {errors.url}
          </p>
        )}
        {errors.url === null &&
          notes.map((note) => (
            <p key={note} className="notice" data-testid="server.url.note">
              {note}
            </p>
          ))}
      </div>

      <div className="field">
        <label htmlFor={ids.model}>Model</label>
        <div className="inline-row">
          <input
            id={ids.model}
            type="text"
            list={ids.models}
            autoComplete="off"
            spellCheck={false}
            autoCapitalize="none"
            placeholder="Senqiao/VisionThink-Efficient"
            data-testid="server.model"
            data-field="model"
            value={fields.model}
            aria-invalid={errors.model !== null}
            aria-describedby={describedBy(ids.modelHelp, errors.model !== null && `${ids.model}-error`)}
            onChange={(event) => {
              setField('model', event.target.value);
            }}
            onBlur={() => {
              touch('model');
            }}
          />
          <button
            type="button"
            data-testid="server.refresh-models"
            disabled={listing === 'loading'}
            onClick={() => {
              void listModels();
            }}
          >
            {listing === 'loading' ? 'Listing…' : 'Refresh'}
          </button>
        </div>
        <datalist id={ids.models}>
          {models.map((model) => (
            <option key={model} value={model} />
          ))}
        </datalist>
        {errors.model !== null && (
          <p id={`${ids.model}-error`} className="field-error" data-testid="server.model.error">
            {errors.model}
          </p>
        )}
        <div id={ids.modelHelp} role="status">
          <ModelListStatus
            onPick={(model) => {
              setField('model', model);
            }}
          />
        </div>
      </div>

      <div className="field">
        <label htmlFor={ids.key}>API key (optional)</label>
        <input
          id={ids.key}
          type="password"
          autoComplete="off"
          spellCheck={false}
          data-testid="server.key"
          data-field="apiKey"
          value={apiKey}
          aria-describedby={ids.keyHelp}
          onChange={(event) => {
            setField('apiKey', event.target.value);
          }}
          onBlur={() => {
            // A list refused for want of a key is asked for again with it.
            if (listingError === 'server-auth') void listModels();
          }}
        />
        <div id={ids.keyHelp}>
          <p className="muted">
            Sent only to this server, as its Bearer token.{' '}
            {rememberKey
              ? 'Kept in this browser’s storage for this server: anyone using this browser profile can read it.'
              : 'Kept in memory: closing the page forgets it.'}
          </p>
          {keyWithheld && (
            <p className="notice" data-testid="server.key.withheld">
              The key you entered belongs to another server, so it was not filled in here: type the key for this server.
            </p>
          )}
        </div>
        <label className="check">
          <input
            type="checkbox"
            data-testid="server.remember"
            checked={rememberKey}
            onChange={(event) => {
              setRemember(event.target.checked);
            }}
          />
          Remember on this device
        </label>
      </div>

      <details ref={advanced} className="server-advanced" data-testid="server.advanced" open={errors.pixels !== null}>
        <summary>
          Advanced: pixel limits ({fields.minPixels.trim() || '?'} to {fields.maxPixels.trim() || '?'})
        </summary>
        <div className="pixel-fields">
          <PixelField
            id={ids.min}
            field="minPixels"
            label="Min pixels"
            invalid={errors.pixels !== null}
            describedBy={ids.pixelsHelp}
          />
          <PixelField
            id={ids.max}
            field="maxPixels"
            label="Max pixels"
            invalid={errors.pixels !== null}
            describedBy={ids.pixelsHelp}
          />
        </div>
        <div id={ids.pixelsHelp}>
          {errors.pixels !== null && (
            <p className="field-error" data-testid="server.pixels.error">
              {errors.pixels}
            </p>
          )}
          <p className="muted">
            The server’s own image limits (min_pixels, max_pixels; Qwen2.5-VL’s defaults are {DEFAULT_MIN_PIXELS} and{' '}
            {DEFAULT_MAX_PIXELS}). Set them as the server has them, so the visual tokens counted here are the server’s.
          </p>
        </div>
      </details>

      <p id={ids.destination} className="notice" data-testid="server.destination">
        {connectDestinationText(source)}
      </p>
      <div className="inline-row">
        <button
          type="submit"
          className="primary"
          data-testid="server.connect"
          disabled={connecting}
          aria-describedby={ids.destination}
        >
          {connecting ? 'Connecting…' : connected ? 'Connect again' : 'Connect'}
        </button>
        <p className="muted hint" role="status" data-testid="server.status">
          {source.kind === 'server' && source.status === 'connected'
            ? `Connected: answers come from ${source.model ?? 'the model'} at ${source.host ?? 'the server'}.`
            : source.kind === 'server' && source.status === 'failed'
              ? 'Not connected: the message at the top of the page says why.'
              : ''}
        </p>
      </div>
    </form>
  );
}
