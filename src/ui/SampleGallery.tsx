/** Sample images made by the project; nothing is shown when there are none. */
import { useAppStore } from '../state/index.ts';

export function SampleGallery() {
  const samples = useAppStore((s) => s.samples);
  const currentSampleId = useAppStore((s) => s.image.current?.sampleId ?? null);
  const openSample = useAppStore((s) => s.openSample);
  if (samples.status !== 'ready') return null;

  return (
    <section className="gallery" aria-labelledby="gallery-heading">
      <h3 id="gallery-heading">Or try a sample</h3>
      <ul className="gallery-list" data-testid="samples">
        {samples.items.map((sample) => (
          <li key={sample.id}>
            <button
              type="button"
              className="gallery-item"
              data-testid={`sample.${sample.id}`}
              aria-pressed={sample.id === currentSampleId}
              onClick={() => {
                void openSample(sample.id);
              }}
            >
              <img src={sample.url} alt="" loading="lazy" decoding="async" />
              <span>{sample.label}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
