/** The conversation's visual tokens against an always-full-resolution conversation, beside the session's. */
import { selectFollowUp, useAppStore } from '../state/index.ts';
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
        <div>
          <dt>Questions</dt>
          <dd data-testid="conversation.questions" data-value={turns}>
            {turns}
          </dd>
        </div>
        <div>
          <dt>Visual tokens used</dt>
          <dd data-testid="conversation.used" data-value={totals.used}>
            {totals.used}
          </dd>
        </div>
        <div>
          <dt>Always full resolution</dt>
          <dd data-testid="conversation.baseline" data-value={totals.fullResolution}>
            {totals.fullResolution}
          </dd>
        </div>
        <div>
          <dt>Saved</dt>
          <dd data-testid="conversation.saved" data-value={totals.saved}>
            {totals.saved}
            {fraction !== null && <span className="muted"> ({formatPercent(fraction)})</span>}
          </dd>
        </div>
      </dl>
      <p className="muted">Follow-ups reuse the image in context; the full image is encoded at most once.</p>
    </section>
  );
}
