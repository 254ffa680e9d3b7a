/** Totals over every answered question since the page opened. */
import { selectSessionSummary, useAppStore } from '../state/index.ts';
import { formatMs, formatPercent } from './format.ts';

function Figure({ label, testId, value, note }: { label: string; testId: string; value: number; note?: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>
        <span data-testid={testId} data-value={value}>
          {value}
        </span>
        {note && <span className="muted"> {note}</span>}
      </dd>
    </div>
  );
}

export function SessionTotals() {
  const summary = useAppStore(selectSessionSummary);
  const { prefillMsSaved } = summary;

  return (
    <section className="session" aria-labelledby="session-heading" data-testid="session">
      <h2 id="session-heading">This session</h2>
      <dl className="numbers">
        <Figure label="Questions answered" testId="session.questions" value={summary.questions} />
        <Figure label="Visual tokens used" testId="session.used" value={summary.used} />
        <Figure label="Always full resolution" testId="session.baseline" value={summary.baseline} />
        <Figure
          label="Saved"
          testId="session.saved"
          value={summary.saved}
          {...(summary.savedFraction === null ? {} : { note: `(${formatPercent(summary.savedFraction)})` })}
        />
        <Figure
          label="Asked for the full image"
          testId="session.escalations"
          value={summary.escalations}
          {...(summary.escalationRate === null
            ? {}
            : { note: `(${formatPercent(summary.escalationRate)} of questions)` })}
        />
      </dl>
      <p className="muted" data-testid="session.prefill">
        {prefillMsSaved === null
          ? 'Prefill time saved is estimated from the measured cost per token once a question is answered.'
          : `Estimated prefill time ${prefillMsSaved >= 0 ? 'saved' : 'added'}: ${formatMs(Math.abs(prefillMsSaved))} (measured ${formatMs(summary.msPerPrefillToken ?? 0)} per prefilled token).`}
      </p>
    </section>
  );
}
