/** A few questions to ask with one click: the sample's own, or general ones. */
import { selectAskBlocker, selectSuggestedQuestions, useAppStore } from '../state/index.ts';

export function SuggestedQuestions() {
  const questions = useAppStore(selectSuggestedQuestions);
  const blocker = useAppStore(selectAskBlocker);
  const ask = useAppStore((s) => s.ask);
  const setDraft = useAppStore((s) => s.setDraft);

  return (
    <section className="suggestions" aria-labelledby="suggestions-heading">
      <h3 id="suggestions-heading" className="small-heading">
        Suggested questions
      </h3>
      <ul className="chip-list" data-testid="suggestions">
        {questions.map((question) => (
          <li key={question}>
            <button
              type="button"
              className="chip"
              onClick={() => {
                // Asks at once when it can; otherwise the question waits in the box.
                if (blocker === null) ask(question);
                else setDraft(question);
              }}
            >
              {question}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
