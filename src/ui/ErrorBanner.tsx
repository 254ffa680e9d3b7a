/** The newest error, in words, with Retry where repeating the step can help. */
import { selectSelectedModel, selectVisibleError, TEST_MODEL_ID, useAppStore } from '../state/index.ts';

const TITLES = {
  model: 'The model could not be loaded',
  image: 'The image could not be opened',
  run: 'The question could not be answered',
} as const;

export function ErrorBanner() {
  const error = useAppStore(selectVisibleError);
  const retry = useAppStore((s) => s.retry);
  const dismiss = useAppStore((s) => s.dismissError);
  const model = useAppStore(selectSelectedModel);
  const useOfflineModel = useAppStore((s) => s.useOfflineModel);
  const newConversation = useAppStore((s) => s.newConversation);
  const runTurn = useAppStore((s) => s.run.plan?.turn ?? (s.conversation.earlier.length > 0 ? 2 : 1));
  if (!error) return null;
  const offerOffline = error.source === 'model' && model !== null && model.id !== TEST_MODEL_ID;
  // A first question that does not fit gains nothing from a new conversation (its message says what does).
  const offerNewConversation = error.code === 'conversation-lost' || (error.code === 'context-full' && runTurn > 1);

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
        {offerNewConversation && (
          <button type="button" className="primary" data-testid="error.new-conversation" onClick={newConversation}>
            New conversation
          </button>
        )}
        {offerOffline && (
          <button type="button" data-testid="error.offline" onClick={useOfflineModel}>
            Use the offline test model
          </button>
        )}
        {/* Without a model nothing works: a failed load stays until it is retried or replaced. */}
        {error.source !== 'model' && (
          <button type="button" data-testid="error.dismiss" onClick={dismiss}>
            Dismiss
          </button>
        )}
      </div>
    </div>
  );
}
