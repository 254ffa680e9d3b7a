/**
 * The questions of the conversation answered before the current one, as a chat: each question,
 * what the model did, its answer and what it cost, with its rounds one click away. The current
 * question follows below (AnswerView, RunTrace).
 */
import type { RunState } from '../state/run-slice.ts';
import { useAppStore } from '../state/index.ts';
import { formatMs, formatSize } from './format.ts';
import { DECISION_LABELS } from './labels.ts';

/** What the model did with the image in a question, in a few words. */
function lookedAt(run: RunState, turn: number): string {
  if (run.result?.escalated) return 'Looked at the full image';
  const image = run.result?.rounds[0]?.image;
  if (image)
    return image.resolution === 'low' ? 'Answered from the low-resolution image' : 'Answered from the full image';
  return turn > 1 ? 'Answered from the image in context' : 'Answered';
}

function Turn({ run, turn }: { run: RunState; turn: number }) {
  const result = run.result;
  if (!result) return null;
  const prefilled = result.rounds.reduce((sum, round) => sum + round.prefilledTokens, 0);
  const id = `conversation.turn-${turn}`;
  return (
    <li className="turn" data-testid={id}>
      <p className="asked">
        <span className="muted">Question {turn}:</span> {run.question}
      </p>
      <p className="muted turn-decision">{lookedAt(run, turn)}.</p>
      <p className="final-answer" data-testid={`${id}.answer`}>
        {result.answer}
      </p>
      <p className="muted turn-figures">
        <span data-testid={`${id}.visual`} data-value={result.visualTokens.used}>
          {result.visualTokens.used}
        </span>{' '}
        visual tokens ·{' '}
        <span data-testid={`${id}.prefilled`} data-value={prefilled}>
          {prefilled}
        </span>{' '}
        tokens prefilled{run.elapsedMs === null ? '' : ` · ${formatMs(run.elapsedMs)}`}
      </p>
      <details className="turn-trace">
        <summary>What the model did</summary>
        <ol>
          {result.rounds.map((round) => (
            <li key={round.round}>
              Round {round.round} ·{' '}
              {round.image
                ? `${round.image.resolution === 'low' ? 'low' : 'full'} resolution at ${formatSize(round.image.width, round.image.height)}, ${round.visualTokens} visual tokens`
                : 'text only (no new image)'}{' '}
              · {round.prefilledTokens} tokens prefilled in {formatMs(round.ms.prefill)} →{' '}
              {DECISION_LABELS[round.decision]}
            </li>
          ))}
        </ol>
      </details>
    </li>
  );
}

export function ConversationView() {
  const earlier = useAppStore((s) => s.conversation.earlier);
  if (earlier.length === 0) return null;
  return (
    <section className="conversation" aria-label="Earlier questions in this conversation" data-testid="conversation">
      <ol className="turns">
        {earlier.map((run, index) => (
          <Turn key={run.requestId ?? index} run={run} turn={index + 1} />
        ))}
      </ol>
    </section>
  );
}
