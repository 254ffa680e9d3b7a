/** The visible drop area with a file picker (the page as a whole also takes drops and pastes). */
import { useId, type ChangeEvent } from 'react';
import { IMAGE_FILE_ACCEPT } from '../engine/image.ts';
import { useAppStore } from '../state/index.ts';

export function ImageFilePicker() {
  const openImage = useAppStore((s) => s.openImage);
  const inputId = useId();

  const onChange = (event: ChangeEvent<HTMLInputElement>): void => {
    const file = event.target.files?.[0];
    // Cleared so that choosing the same file again opens it again.
    event.target.value = '';
    if (file) openImage(file, file.name, 'file');
  };

  return (
    <div className="dropzone" data-testid="dropzone">
      <p className="dropzone-hint">
        Drop an image anywhere on the page, paste one with <kbd>Ctrl</kbd>/<kbd>⌘</kbd>+<kbd>V</kbd>, or
      </p>
      {/* The input stays focusable (visually hidden); its label is the visible button. */}
      <input
        id={inputId}
        className="visually-hidden-input"
        type="file"
        accept={IMAGE_FILE_ACCEPT}
        data-testid="dropzone.input"
        onChange={onChange}
      />
      <label htmlFor={inputId} className="button">
        Choose an image…
      </label>
    </div>
  );
}
