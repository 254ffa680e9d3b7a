/**
 * The answer as it streams: each round's reasoning collapsed, the request for the full image
 * as a plain sentence, and the final answer set apart.
 */
import { Fragment, useRef } from 'react';
import type { AnswerSegment, RunStatus } from '../state/index.ts';
import { selectAnswerView, useAppStore } from '../state/index.ts';
import { useBringIntoViewOnStart } from './use-bring-into-view.ts';

/** What an unfinished block of reasoning is: still being written, or cut off. */
const UNFINISHED: Readonly<Record<RunStatus, string>> = {
  idle: '',
  running: ' — thinking…',
  done: '',
  stopped: ' — cut off by Stop',
  error: ' — cut off',
};

function Segment({
  segment,
  round,
  status,
  superseded,
}: {
  segment: AnswerSegment;
  round: number;
  status: RunStatus;
  superseded: boolean;
}) {
  switch (segment.kind) {
    case 'think':
      return (
        <details className="reasoning">
          <summary>
            Reasoning{round > 1 ? ` (round ${round})` : ''}
            {segment.complete ? '' : UNFINISHED[status]}
          </summary>
          <p>{segment.text}</p>
        </details>
      );
    case 'tool-call':
      return <p className="tool-call">↗ The model asked for the full image.</p>;
    case 'text':
      return <p className="stray-text">{segment.text}</p>;
    case 'answer':
      // The final answer is shown once, below; one the model gave before it saw the full image
      // stays in view, for comparison.
      return superseded ? (
        <p className="low-answer" data-testid={`answer.round-${round}`}>
          <span className="muted">Answer from the low-resolution image:</span> {segment.text}
        </p>
      ) : null;
  }
}

export function AnswerView() {
  const view = useAppStore(selectAnswerView);
  const status = useAppStore((s) => s.run.status);
  const question = useAppStore((s) => s.run.question);
  // The question's place in its conversation (earlier answered questions are shown above).
  const turn = useAppStore((s) => s.conversation.earlier.length + 1);
  const running = status === 'running';
  const runningId = useAppStore((s) => (s.run.status === 'running' && !s.run.resumed ? s.run.requestId : null));
  const section = useRef<HTMLElement>(null);
  // A new run the person asked for brings the answer into view (once), so a phone shows it
  // without searching; one the app asks again on its own leaves the page where it is.
  useBringIntoViewOnStart(section, runningId);

  return (
    <section
      ref={section}
      className="answer"
      aria-labelledby="answer-heading"
      data-testid="answer"
      data-status={status}
      aria-busy={running}
    >
      <h2 id="answer-heading">Answer</h2>
      {status === 'idle' ? (
        <p className="muted">The answer appears here as the model writes it.</p>
      ) : (
        <>
          <p className="asked">
            <span className="muted" data-testid="answer.turn" data-value={turn}>
              {turn > 1 ? `Question ${turn}:` : 'You asked:'}
            </span>{' '}
            {question}
          </p>
          {view.rounds.map((round) => (
            <Fragment key={round.round}>
              {round.segments.map((segment, index) => (
                <Segment
                  key={index}
                  segment={segment}
                  round={round.round}
                  status={status}
                  superseded={round.superseded}
                />
              ))}
              {round.decision && (
                <p className="gate-decision" data-testid="answer.decision">
                  {round.decision}
                </p>
              )}
            </Fragment>
          ))}
          {view.answer !== null &&
            (running || status === 'done' ? (
              <p className={view.complete ? 'final-answer' : 'final-answer streaming'} data-testid="answer.final">
                {view.answer}
              </p>
            ) : (
              // Cut off before the model finished it: not an answer, but what it had written.
              <p className="partial-answer" data-testid="answer.partial">
                <span className="muted">Unfinished answer: </span>
                {view.answer}
              </p>
            ))}
          {running && view.answer === null && <p className="muted">Working…</p>}
          {status === 'stopped' && (
            <p className="muted" data-testid="answer.stopped">
              {view.answer === null
                ? 'Stopped before the model finished: there is no answer.'
                : 'Stopped before the model finished its answer.'}
            </p>
          )}
          {status === 'done' && view.answer === null && (
            <p className="muted">The model ended without an answer (it asked for another look after its last round).</p>
          )}
        </>
      )}
    </section>
  );
}
