/**
 * The question box with Ask, Stop, New conversation and Share. Enter asks (after an answer, a
 * follow-up about the same image); Shift+Enter starts a new line.
 */
import { useId, useState, type SubmitEvent, type KeyboardEvent } from 'react';
import { selectAskBlocker, selectFollowUp, useAppStore } from '../state/index.ts';
import { ShareDialog } from './ShareDialog.tsx';

export function QuestionBox() {
  const draft = useAppStore((s) => s.draft);
  const setDraft = useAppStore((s) => s.setDraft);
  const ask = useAppStore((s) => s.ask);
  const stop = useAppStore((s) => s.stop);
  const running = useAppStore((s) => s.run.status === 'running');
  const stopping = useAppStore((s) => s.run.stopping);
  const blocker = useAppStore(selectAskBlocker);
  const { followUp, turns, restartReason } = useAppStore(selectFollowUp);
  const newConversation = useAppStore((s) => s.newConversation);
  const started = useAppStore((s) => s.run.status !== 'idle' || s.conversation.earlier.length > 0);
  const inputId = useId();
  const hintId = useId();
  const [sharing, setSharing] = useState(false);
  const canAsk = blocker === null && draft.trim() !== '';

  const submit = (): void => {
    if (canAsk) ask(draft);
  };
  const onSubmit = (event: SubmitEvent<HTMLFormElement>): void => {
    event.preventDefault();
    submit();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>): void => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  };

  return (
    <>
      <form className="question-box" onSubmit={onSubmit}>
        <label htmlFor={inputId}>{followUp ? 'Your follow-up question' : 'Your question about the image'}</label>
        <textarea
          id={inputId}
          data-testid="question"
          rows={2}
          value={draft}
          placeholder={followUp ? 'And what does the small print say?' : 'What does the sign say?'}
          aria-describedby={hintId}
          onChange={(event) => {
            setDraft(event.target.value);
          }}
          onKeyDown={onKeyDown}
        />
        <div className="inline-row">
          <button type="submit" className="primary" data-testid="ask" disabled={!canAsk}>
            Ask
          </button>
          <button
            type="button"
            data-testid="stop"
            disabled={!running || stopping}
            onClick={() => {
              stop();
            }}
          >
            {stopping ? 'Stopping…' : 'Stop'}
          </button>
          <button
            type="button"
            data-testid="new-conversation"
            disabled={running || !started}
            onClick={() => {
              newConversation();
            }}
          >
            New conversation
          </button>
          <button
            type="button"
            data-testid="share"
            aria-expanded={sharing}
            onClick={() => {
              setSharing((open) => !open);
            }}
          >
            Share
          </button>
          <p id={hintId} className="muted hint" data-testid="ask.hint">
            {blocker ??
              restartReason ??
              (followUp
                ? `Enter asks a follow-up about this image (question ${turns + 1}; only the question is prefilled). Shift+Enter starts a new line.`
                : 'Enter asks, Shift+Enter starts a new line.')}
          </p>
        </div>
      </form>
      {/* Outside the form, so that Enter in the link field does not ask. */}
      {sharing && (
        <ShareDialog
          onClose={() => {
            setSharing(false);
          }}
        />
      )}
    </>
  );
}
