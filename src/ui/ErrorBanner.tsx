/** The newest error, in words, with Retry where repeating the step can help. */
import { selectVisibleError, useAppStore } from '../state/index.ts';

const TITLES = {
  model: 'The model could not be loaded',
  image: 'The image could not be opened',
  run: 'The question could not be answered',
} as const;

export function ErrorBanner() {
  const error = useAppStore(selectVisibleError);
  const retry = useAppStore((s) => s.retry);
  const dismiss = useAppStore((s) => s.dismissError);
  if (!error) return null;

  return (
    <div className="error-banner" role="alert" data-testid="error" data-code={error.code} data-source={error.source}>
      <div>
        <strong>{TITLES[error.source]}</strong>
        <p data-testid="error.message">{error.message}</p>
      </div>
      <div className="inline-row">
        {error.retryable && (
          <button type="button" className="primary" data-testid="error.retry" onClick={retry}>
            Retry
          </button>
        )}
        <button type="button" data-testid="error.dismiss" onClick={dismiss}>
          Dismiss
        </button>
      </div>
    </div>
  );
}
