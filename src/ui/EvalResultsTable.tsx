/**
 * The paper's table: per policy, accuracy by the dataset's metric, how often the full image was
 * encoded, the visual tokens against always full resolution, prefill, time and latency; and the
 * confidence sweep's suggested threshold. Every figure also sits in `data-value` as a plain number.
 */
import { useId } from 'react';
import { POLICIES } from '../engine/policies.ts';
import { formatCount, formatDuration, formatPercent, formatThreshold, metricLabel } from '../eval/format.ts';
import type { EvalReport, PolicySummary } from '../eval/types.ts';

function Cell({ column, value, children }: { column: string; value: number; children: React.ReactNode }) {
  return (
    <td data-column={column} data-value={value}>
      {children}
    </td>
  );
}

function SummaryRow({ summary }: { summary: PolicySummary }) {
  const s = summary;
  const empty = s.items === 0;
  const dash = (
    <>
      <span aria-hidden="true">—</span>
      <span className="visually-hidden">no answers yet</span>
    </>
  );
  return (
    <tr data-policy={s.policy}>
      <th scope="row">
        {POLICIES[s.policy].label}
        {s.threshold !== undefined && <span className="muted"> (threshold {formatThreshold(s.threshold)})</span>}
      </th>
      <Cell column="accuracy" value={s.accuracy}>
        {empty ? dash : formatPercent(s.accuracy)}
      </Cell>
      <Cell column="escalation" value={s.escalationRate}>
        {empty ? dash : formatPercent(s.escalationRate)}
      </Cell>
      <Cell column="visual-tokens" value={s.visualTokensUsed}>
        {formatCount(s.visualTokensUsed)} <span className="muted">/ {formatCount(s.visualTokensFullOnly)}</span>
      </Cell>
      <Cell column="ratio" value={s.visualTokenRatio}>
        {empty ? dash : formatPercent(s.visualTokenRatio)}
      </Cell>
      <Cell column="prefilled" value={s.prefilledTokens}>
        {formatCount(s.prefilledTokens)}
      </Cell>
      <Cell column="wall" value={s.wallMs}>
        {formatDuration(s.wallMs)}
      </Cell>
      <Cell column="latency" value={s.latencyMs.p50}>
        {empty ? dash : `${formatDuration(s.latencyMs.p50)} / ${formatDuration(s.latencyMs.p90)}`}
      </Cell>
      <Cell column="items" value={s.items}>
        {formatCount(s.items)}
      </Cell>
      <Cell column="errors" value={s.errors}>
        {formatCount(s.errors)}
      </Cell>
    </tr>
  );
}

/** What the confidence sweep suggests (only when the confidence policy ran). */
function Suggestion({ report }: { report: EvalReport }) {
  const sweep = report.confidenceSweep;
  if (!sweep) return null;
  const reference = `${sweep.reference.policy === 'full-only' ? POLICIES['full-only'].label : 'always escalating'}, ${formatPercent(sweep.reference.accuracy)}`;
  const s = sweep.suggested;
  return (
    <p data-testid="eval.suggested" data-threshold={s?.threshold}>
      {s ? (
        <>
          <strong>Suggested threshold {formatThreshold(s.threshold)}</strong> for {POLICIES.confidence.label}:{' '}
          {formatPercent(s.accuracy)} accuracy at {formatPercent(s.visualTokenRatio)} of the full-resolution visual
          tokens, escalating {formatPercent(s.escalationRate)} of the questions (reference: {reference}).
        </>
      ) : (
        `No threshold kept ${POLICIES.confidence.label} within one point of the reference accuracy (${reference}).`
      )}
    </p>
  );
}

export function EvalResultsTable({ report }: { report: EvalReport }) {
  const metric = metricLabel(report.dataset.metric);
  const captionId = useId();
  return (
    <>
      <p id={captionId} className="muted eval-table-caption">
        {report.dataset.label}, {formatCount(report.limit)} items, seed {report.seed}
        {report.complete ? '' : ' (so far)'}
      </p>
      {/* A region people can focus to scroll the table with the keyboard on a narrow screen. */}
      <div className="table-scroll" role="region" aria-labelledby={captionId} tabIndex={0}>
        <table className="eval-table" data-testid="eval.table" aria-labelledby={captionId}>
          <thead>
            <tr>
              <th scope="col">Policy</th>
              <th scope="col">Accuracy ({metric})</th>
              <th scope="col">Escalation rate</th>
              <th scope="col">Visual tokens used / full-only</th>
              <th scope="col">Tokens vs full-only</th>
              <th scope="col">Prefilled tokens</th>
              <th scope="col">Wall time</th>
              <th scope="col">Latency p50 / p90</th>
              <th scope="col">Items</th>
              <th scope="col">Errors</th>
            </tr>
          </thead>
          <tbody>
            {report.summaries.map((summary) => (
              <SummaryRow key={summary.policy} summary={summary} />
            ))}
          </tbody>
        </table>
      </div>
      <Suggestion report={report} />
      {report.skipped.length > 0 && (
        <p className="muted" data-testid="eval.skipped">
          {formatCount(report.skipped.length)} {report.skipped.length === 1 ? 'item was' : 'items were'} skipped (the
          image could not be loaded) and left out of every policy.
        </p>
      )}
    </>
  );
}
