/**
 * Parts of the model server's form (ServerForm.tsx): the state of the server's model list with
 * its models to pick, and a pixel-limit field.
 */
import { selectUnlistedModel, useAppStore } from '../state/index.ts';

/** Model names offered as buttons too (a datalist is hard to find on some phones); more go in the list only. */
const MAX_MODEL_BUTTONS = 6;

export function ModelListStatus({ onPick }: { onPick: (model: string) => void }) {
  const listing = useAppStore((s) => s.server.listing);
  const unlisted = useAppStore(selectUnlistedModel);
  switch (listing.status) {
    case 'idle':
      return <p className="muted">Refresh asks the server which models it serves.</p>;
    case 'loading':
      return (
        <p className="muted" data-testid="server.models" data-status="loading">
          Asking the server for its models…
        </p>
      );
    case 'error':
      return (
        <p className="field-error" data-testid="server.models.error" data-code={listing.error?.code}>
          The server’s models could not be listed. {listing.error?.message}
        </p>
      );
    case 'ready':
      return (
        <div data-testid="server.models" data-status="ready" data-count={listing.models.length}>
          <p className="muted">
            {listing.models.length === 0
              ? 'The server lists no models.'
              : listing.models.length === 1
                ? 'The server serves one model.'
                : `The server serves ${listing.models.length} models; the field offers them.`}
          </p>
          {listing.models.length > 1 && listing.models.length <= MAX_MODEL_BUTTONS && (
            <ul className="chip-list server-models">
              {listing.models.map((model) => (
                <li key={model}>
                  <button
                    type="button"
                    className="chip"
                    data-testid="server.models.option"
                    onClick={() => {
                      onPick(model);
                    }}
                  >
                    {model}
                  </button>
                </li>
              ))}
            </ul>
          )}
          {unlisted && (
            <p className="notice" data-testid="server.model.unlisted">
              The server does not list “{unlisted.model}”: connecting will fail unless it serves it under that name.
            </p>
          )}
        </div>
      );
  }
}

/** One of the server processor's pixel limits, as typed. */
export function PixelField(props: {
  id: string;
  field: 'minPixels' | 'maxPixels';
  label: string;
  invalid: boolean;
  describedBy: string;
}) {
  const { id, field, label, invalid, describedBy } = props;
  const value = useAppStore((s) => s.server.fields[field]);
  const setField = useAppStore((s) => s.setServerField);
  const touch = useAppStore((s) => s.touchServerField);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="text"
        inputMode="numeric"
        data-testid={field === 'minPixels' ? 'server.min-pixels' : 'server.max-pixels'}
        data-field={field}
        value={value}
        aria-invalid={invalid}
        aria-describedby={describedBy}
        onChange={(event) => {
          setField(field, event.target.value);
        }}
        onBlur={() => {
          touch('pixels');
        }}
      />
    </div>
  );
}
