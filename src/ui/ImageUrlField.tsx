/**
 * Opens an image from a web address. Its errors are shown right below the field (and announced),
 * where the person is looking, not in the banner at the top of the page.
 */
import { useId, useState, type SubmitEvent } from 'react';
import { selectUrlFieldError, useAppStore } from '../state/index.ts';

export function ImageUrlField() {
  const openImageUrl = useAppStore((s) => s.openImageUrl);
  const dismissError = useAppStore((s) => s.dismissImageError);
  const error = useAppStore(selectUrlFieldError);
  const retry = useAppStore((s) => s.retryImage);
  const downloading = useAppStore(
    (s) => s.image.pending !== null && s.image.pending.requestId === null && s.image.pending.origin === 'url',
  );
  const [url, setUrl] = useState('');
  const inputId = useId();
  const errorId = useId();

  const onSubmit = (event: SubmitEvent<HTMLFormElement>): void => {
    event.preventDefault();
    void openImageUrl(url);
  };

  return (
    // The store explains a bad address better than the browser's own validation bubble.
    <form className="url-field" onSubmit={onSubmit} noValidate>
      <label htmlFor={inputId}>Image address</label>
      <div className="inline-row">
        <input
          id={inputId}
          type="url"
          inputMode="url"
          placeholder="https://example.com/picture.png"
          data-testid="image-url"
          value={url}
          aria-invalid={error !== null}
          aria-describedby={error ? errorId : undefined}
          onChange={(event) => {
            setUrl(event.target.value);
            // The person is correcting the address: the old complaint no longer applies.
            if (error) dismissError();
          }}
        />
        <button type="submit" data-testid="image-url.load" disabled={downloading}>
          {downloading ? 'Loading…' : 'Load'}
        </button>
      </div>
      {/* Always in the page, so screen readers announce the message when it appears. */}
      <div role="alert" className="field-error-slot">
        {error && (
          <p className="field-error" data-testid="image-url.error" data-code={error.code}>
            {/* The field is described by the message alone, not by the button after it. */}
            <span id={errorId}>{error.message}</span>
            {error.retryable && (
              <>
                {' '}
                <button type="button" className="link" data-testid="image-url.retry" onClick={retry}>
                  Try again
                </button>
              </>
            )}
          </p>
        )}
      </div>
    </form>
  );
}
