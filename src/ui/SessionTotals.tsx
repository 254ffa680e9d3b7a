/** Totals over every answered question since the page opened, and what stopped ones spent. */
import { selectModelSource, selectSessionSummary, useAppStore } from '../state/index.ts';
import { Figure } from './Figure.tsx';
import { formatMs, formatPercent } from './format.ts';

export function SessionTotals() {
  const summary = useAppStore(selectSessionSummary);
  const { prefillMsSaved } = summary;
  const server = useAppStore((s) => selectModelSource(s).kind === 'server');

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
          label="Looked at the full image too"
          testId="session.escalations"
          value={summary.escalations}
          {...(summary.escalationRate === null
            ? {}
            : { note: `(${formatPercent(summary.escalationRate)} of questions)` })}
        />
      </dl>
      {summary.stopped > 0 && (
        <p className="muted" data-testid="session.stopped" data-value={summary.stopped}>
          Stopped before an answer: {summary.stopped} question{summary.stopped === 1 ? '' : 's'},{' '}
          <span data-testid="session.stopped-tokens" data-value={summary.stoppedTokens}>
            {summary.stoppedTokens}
          </span>{' '}
          visual tokens spent (not in the comparison above, which counts answered questions).
        </p>
      )}
      <p className="muted" data-testid="session.prefill">
        {prefillMsSaved === null
          ? server
            ? 'Prefill time saved is estimated only for models in this browser: a server’s time depends on its hardware and its cache.'
            : 'Prefill time saved is estimated from the measured cost per token once a question is answered.'
          : `Estimated prefill time ${prefillMsSaved >= 0 ? 'saved' : 'added'}: ${formatMs(Math.abs(prefillMsSaved))} (measured ${formatMs(summary.msPerPrefillToken ?? 0)} per prefilled token).`}
      </p>
    </section>
  );
}
