/**
 * The Evaluate view: run the loaded model on a sample of a dataset under each policy, and compare
 * them as the paper does. The run goes on in the worker while the Ask view is shown.
 */
import { selectEvalReport, useAppStore } from '../state/index.ts';
import { EvalActions } from './EvalActions.tsx';
import { EvalDownloads } from './EvalDownloads.tsx';
import { EvalForm } from './EvalForm.tsx';
import { EvalPlot } from './EvalPlot.tsx';
import { EvalProgress } from './EvalProgress.tsx';
import { EvalResultsTable } from './EvalResultsTable.tsx';
import './evaluate.css';

function Results() {
  const report = useAppStore(selectEvalReport);
  if (report === null) return null;
  const answered = report.items.length > 0;
  return (
    <section className="panel eval-results" aria-labelledby="eval-results-heading">
      <h2 id="eval-results-heading">Results</h2>
      <EvalResultsTable report={report} />
      {answered && <EvalPlot report={report} />}
      {answered && <EvalDownloads report={report} />}
    </section>
  );
}

export function EvaluateView() {
  return (
    <main className="evaluate">
      <section className="panel" aria-labelledby="evaluate-heading">
        <h2 id="evaluate-heading">Evaluate</h2>
        <p className="muted eval-intro">
          Asks the loaded model every question of a sample under each policy. The table compares their accuracy, by the
          dataset’s own metric, with the visual tokens they spent, against always showing the full image (Always full
          resolution = 100 %).
        </p>
        <EvalForm />
        <EvalActions />
        <EvalProgress />
      </section>
      <Results />
    </main>
  );
}
