/**
 * The newest error, in words, with Retry where repeating the step can help (after the wait a busy
 * server asked for, counted down), and the server settings where they are the fix. A new error is
 * brought into view: on a phone the person is looking at the answer or the settings, far below.
 */
import { useRef } from 'react';
import {
  selectModelSource,
  selectRetryWait,
  selectSelectedModel,
  selectVisibleError,
  TEST_MODEL_ID,
  useAppStore,
} from '../state/index.ts';
import { useBringIntoViewOnStart } from './use-bring-into-view.ts';

const TITLES = {
  model: 'The model could not be loaded',
  image: 'The image could not be opened',
  run: 'The question could not be answered',
} as const;

/** "7 s", or "2 min" for a long wait. */
function formatWait(seconds: number): string {
  return seconds < 60 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
}

export function ErrorBanner() {
  const error = useAppStore(selectVisibleError);
  const wait = useAppStore(selectRetryWait);
  const retry = useAppStore((s) => s.retry);
  const dismiss = useAppStore((s) => s.dismissError);
  const model = useAppStore(selectSelectedModel);
  const server = useAppStore((s) => selectModelSource(s).kind === 'server');
  const useOfflineModel = useAppStore((s) => s.useOfflineModel);
  const newConversation = useAppStore((s) => s.newConversation);
  const openServerSettings = useAppStore((s) => s.openServerSettings);
  const runTurn = useAppStore((s) => s.run.plan?.turn ?? (s.conversation.earlier.length > 0 ? 2 : 1));
  const banner = useRef<HTMLDivElement>(null);
  useBringIntoViewOnStart(banner, error?.seq ?? null);
  if (!error) return null;
  const offerOffline = error.source === 'model' && (server || (model !== null && model.id !== TEST_MODEL_ID));
  // A first question that does not fit gains nothing from a new conversation (its message says what does).
  const offerNewConversation = error.code === 'conversation-lost' || (error.code === 'context-full' && runTurn > 1);
  const title = error.source === 'model' && server ? 'Could not connect to the model server' : TITLES[error.source];

  return (
    <div
      ref={banner}
      className="error-banner"
      role="alert"
      data-testid="error"
      data-code={error.code}
      data-source={error.source}
    >
      <div>
        <strong>{title}</strong>
        <p data-testid="error.message">{error.message}</p>
      </div>
      <div className="inline-row">
        {error.retryable && (
          <button
            type="button"
            className="primary"
            data-testid="error.retry"
            data-wait={wait ?? undefined}
            disabled={wait !== null}
            onClick={retry}
          >
            {wait === null ? 'Retry' : `Retry in ${formatWait(wait)}`}
          </button>
        )}
        {error.serverSettings && (
          <button
            type="button"
            data-testid="error.server-settings"
            onClick={() => {
              openServerSettings();
            }}
          >
            Server settings
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
