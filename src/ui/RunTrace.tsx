/**
 * What happened, round by round: the image each round encoded (a thumbnail of exactly what
 * the model saw), its size and visual tokens, the phase while running, and the decision.
 */
import type { CSSProperties } from 'react';
import { answerTokenIndices } from '../engine/confidence.ts';
import { formatProbability } from '../engine/decide-round.ts';
import type { ServerUsage } from '../engine/server/types.ts';
import type { RoundTrace, RunStatus } from '../state/index.ts';
import { selectMeter, selectResumesQuestion, useAppStore } from '../state/index.ts';
import { formatMs, formatSize } from './format.ts';
import { DECISION_LABELS, PHASE_LABELS, STOPPED_PHASE_LABELS } from './labels.ts';

/**
 * The answer a round gave, each token shaded by how unsure the model was of it (the less
 * probable, the stronger the shade), with its probability on hover; the answer's confidence
 * follows as text.
 */
function AnswerTokens({ trace, label }: { trace: RoundTrace; label: string }) {
  const indices = answerTokenIndices(trace.tokens);
  if (indices.length === 0) return null;
  const confidence = trace.usage?.confidence;
  return (
    <p className="trace-answer" data-testid={`trace.round-${trace.round}.answer`}>
      <span className="muted">{label}: </span>
      {indices.map((i) => {
        const token = trace.tokens[i];
        if (!token) return null;
        const p = Number.isFinite(token.p) ? token.p : 1;
        return (
          <span
            key={i}
            className="token"
            style={{ '--doubt': (1 - p).toFixed(3) } as CSSProperties}
            title={`probability ${formatProbability(p)}`}
          >
            {token.text}
          </span>
        );
      })}
      {confidence && (
        <span className="muted" data-testid={`trace.round-${trace.round}.confidence`}>
          {' '}
          (confidence {formatProbability(confidence.value)})
        </span>
      )}
    </p>
  );
}

/** What the model server reported for a round: its prompt (and of it, what its prefix cache served) and what it generated. */
function ServerUsageLine({ round, usage }: { round: number; usage: ServerUsage | null }) {
  if (usage === null) {
    return (
      <p className="muted trace-usage" data-testid={`trace.round-${round}.server-usage`}>
        Server: token counts not reported
      </p>
    );
  }
  const cached = usage.cachedTokens === null ? 'cached: not reported' : `${usage.cachedTokens} cached`;
  return (
    <p
      className="muted trace-usage"
      data-testid={`trace.round-${round}.server-usage`}
      data-prompt={usage.promptTokens}
      data-cached={usage.cachedTokens ?? undefined}
      data-completion={usage.completionTokens}
    >
      Server: {usage.promptTokens} prompt {usage.promptTokens === 1 ? 'token' : 'tokens'} ({cached}),{' '}
      {usage.completionTokens} generated
    </p>
  );
}

function RoundItem({ trace, status, gated }: { trace: RoundTrace; status: RunStatus; gated: boolean }) {
  const running = status === 'running';
  const { image } = trace;
  const what = image
    ? `${image.resolution === 'low' ? 'Low resolution' : 'Full resolution'} at ${formatSize(image.width, image.height)}`
    : 'Text only (no new image)';
  return (
    <li className="trace-round" data-testid={`trace.round-${trace.round}`}>
      {trace.thumbnailUrl && image ? (
        <img
          className="trace-thumb"
          decoding="async"
          src={trace.thumbnailUrl}
          alt={`What the model saw in round ${trace.round}: ${formatSize(image.width, image.height)} pixels`}
        />
      ) : (
        <div className="trace-thumb placeholder" aria-hidden="true" />
      )}
      <div className="trace-body">
        <p className="trace-title">
          <strong>Round {trace.round}</strong> · {what}
          {image && (
            <>
              {' '}
              ·{' '}
              <span data-testid={`trace.round-${trace.round}.tokens`} data-value={image.visualTokens}>
                {image.visualTokens}
              </span>{' '}
              visual tokens
            </>
          )}
        </p>
        {running && trace.decision === null && trace.phase && (
          <p className="trace-phase" role="status">
            {PHASE_LABELS[trace.phase]}
          </p>
        )}
        {trace.usage &&
          (trace.usage.server !== undefined ? (
            // The server's own counts; its times include the network and its queue.
            <>
              <ServerUsageLine round={trace.round} usage={trace.usage.server} />
              <p className="muted trace-usage">
                First text after {formatMs(trace.usage.ms.prefill)}, the rest in {formatMs(trace.usage.ms.decode)}
              </p>
            </>
          ) : (
            <p className="muted trace-usage">
              {trace.usage.prefilledTokens} {trace.usage.prefilledTokens === 1 ? 'token' : 'tokens'} prefilled in{' '}
              {formatMs(trace.usage.ms.prefill)}, {trace.usage.generatedTokens} generated in{' '}
              {formatMs(trace.usage.ms.decode)}
            </p>
          ))}
        {status === 'stopped' && trace.decision === null && (
          <p className="trace-decision decision-stopped" data-testid={`trace.round-${trace.round}.decision`}>
            → Stopped{trace.phase ? ` while ${STOPPED_PHASE_LABELS[trace.phase]}` : ''}.
          </p>
        )}
        {gated && (
          <AnswerTokens
            trace={trace}
            label={trace.decision === 'escalate' && image?.resolution === 'low' ? 'Low-resolution answer' : 'Answer'}
          />
        )}
        {trace.decision && (
          <p
            className={`trace-decision decision-${trace.decision}`}
            data-testid={`trace.round-${trace.round}.decision`}
          >
            {/* The gate's verdict (or the model asking unprompted) says why, with its numbers. */}→{' '}
            {(trace.gate ?? trace.asked) && trace.usage ? trace.usage.reason : DECISION_LABELS[trace.decision]}
            {trace.decisionDetail && trace.decision !== 'escalate' && (
              <span className="muted"> ({trace.decisionDetail})</span>
            )}
          </p>
        )}
      </div>
    </li>
  );
}

/**
 * Where a running question is, for tests and tools reading the page: `round-2:prefill`, or
 * `between-rounds` after the model asked for the full image and before its round starts.
 */
function phaseOf(rounds: readonly RoundTrace[]): string {
  const last = rounds.at(-1);
  if (!last) return 'planning';
  if (last.decision !== null) return 'between-rounds';
  return `round-${last.round}:${last.phase ?? 'starting'}`;
}

function endingNote(escalated: boolean, fullTokens: number, appDecided: boolean, followUp: boolean): string {
  if (escalated) return appDecided ? ' after looking at the full image' : ' after asking for the full image';
  if (followUp) return ' from the image already in context';
  return fullTokens > 0 ? ' from the full image' : ' from the low-resolution image alone';
}

export function RunTrace() {
  const run = useAppStore((s) => s.run);
  const meter = useAppStore(selectMeter);
  const resumes = useAppStore(selectResumesQuestion);
  const rounds = run.rounds.filter((trace) => trace.started);

  return (
    <section
      className="trace"
      aria-labelledby="trace-heading"
      data-testid="trace"
      data-phase={run.status === 'running' ? phaseOf(rounds) : undefined}
    >
      <h2 id="trace-heading">What the model did</h2>
      {run.plan === null && rounds.length === 0 ? (
        <p className="muted">Each round appears here with the image the model saw.</p>
      ) : (
        <ol className="trace-list">
          {run.plan &&
            (run.plan.turn > 1 ? (
              <li className="trace-plan muted">
                Question {run.plan.turn} of this conversation: the image is in context already, so only the question is
                prefilled.
              </li>
            ) : (
              <li className="trace-plan muted">
                Original image {formatSize(run.plan.original.width, run.plan.original.height)}; the full image would
                cost {run.plan.full.visualTokens} visual tokens.
              </li>
            ))}
          {rounds.map((trace) => (
            <RoundItem key={trace.round} trace={trace} status={run.status} gated={run.policy === 'confidence'} />
          ))}
          {run.status === 'done' && (
            <li className="trace-end">
              Answered{run.elapsedMs === null ? '' : ` in ${formatMs(run.elapsedMs)}`}
              {endingNote(
                run.result?.escalated ?? false,
                meter?.fullTokens ?? 0,
                rounds.some((trace) => trace.gate !== null && trace.decision === 'escalate'),
                (run.plan?.turn ?? 1) > 1,
              )}
              .
            </li>
          )}
          {run.status === 'stopped' && (
            <li className="trace-end" data-testid="trace.stopped">
              Stopped{run.elapsedMs === null ? '' : ` after ${formatMs(run.elapsedMs)}`}, before an answer
              {meter && meter.used > 0 ? `; ${meter.used} visual tokens spent.` : '; no image was encoded.'}
            </li>
          )}
          {run.status === 'error' && (
            <li className="trace-end">
              {run.error?.code !== 'needs-download'
                ? 'The run failed (see the message above).'
                : resumes
                  ? 'Interrupted: the GPU could not go on. The question is asked again once the model has loaded (see above).'
                  : 'Interrupted: the GPU could not go on. Ask again once a model is loaded.'}
            </li>
          )}
        </ol>
      )}
    </section>
  );
}
