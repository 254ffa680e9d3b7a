/** The conversation's visual tokens against an always-full-resolution conversation, beside the session's. */
import { selectFollowUp, useAppStore } from '../state/index.ts';
import { Figure } from './Figure.tsx';
import { formatPercent } from './format.ts';

export function ConversationTotals() {
  const totals = useAppStore((s) => s.conversation.totals);
  const open = useAppStore((s) => s.conversation.open);
  const { turns } = useAppStore(selectFollowUp);
  if (!open || !totals || turns === 0) return null;
  const fraction = totals.fullResolution > 0 ? totals.saved / totals.fullResolution : null;
  return (
    <section className="session" aria-labelledby="conversation-heading" data-testid="conversation.totals">
      <h2 id="conversation-heading">This conversation</h2>
      <dl className="numbers">
        <Figure label="Questions" testId="conversation.questions" value={turns} />
        <Figure label="Visual tokens used" testId="conversation.used" value={totals.used} />
        <Figure label="Always full resolution" testId="conversation.baseline" value={totals.fullResolution} />
        <Figure
          label="Saved"
          testId="conversation.saved"
          value={totals.saved}
          {...(fraction === null ? {} : { note: `(${formatPercent(fraction)})` })}
        />
      </dl>
      <p className="muted">Follow-ups reuse the image in context; the full image is encoded at most once.</p>
    </section>
  );
}
