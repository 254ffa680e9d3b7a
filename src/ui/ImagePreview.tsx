/** The chosen image, its size, and the image being opened, if any. */
import { useAppStore } from '../state/index.ts';
import { BudgetPreview } from './BudgetPreview.tsx';
import { formatSize } from './format.ts';

export function ImagePreview() {
  const current = useAppStore((s) => s.image.current);
  const pending = useAppStore((s) => s.image.pending);

  return (
    <section className="preview" aria-labelledby="preview-heading" data-testid="preview">
      <h3 id="preview-heading" className="visually-hidden">
        Chosen image
      </h3>
      {pending && (
        <p className="muted" role="status">
          {pending.requestId === null ? 'Downloading' : 'Opening'} {pending.name}…
        </p>
      )}
      {current ? (
        <figure>
          <img decoding="async" src={current.previewUrl} alt={`The chosen image: ${current.name}`} />
          <figcaption>
            <span className="file-name">{current.name}</span> ·{' '}
            <span data-testid="preview.size">{formatSize(current.width, current.height)}</span> pixels
          </figcaption>
        </figure>
      ) : (
        !pending && <p className="muted">No image yet.</p>
      )}
      <BudgetPreview />
    </section>
  );
}
