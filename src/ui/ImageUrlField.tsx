/** Opens an image from a web address. */
import { useId, useState, type SubmitEvent } from 'react';
import { useAppStore } from '../state/index.ts';

export function ImageUrlField() {
  const openImageUrl = useAppStore((s) => s.openImageUrl);
  const downloading = useAppStore((s) => s.image.pending !== null && s.image.pending.requestId === null);
  const [url, setUrl] = useState('');
  const inputId = useId();

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
          onChange={(event) => {
            setUrl(event.target.value);
          }}
        />
        <button type="submit" data-testid="image-url.load" disabled={downloading}>
          {downloading ? 'Loading…' : 'Load'}
        </button>
      </div>
    </form>
  );
}
