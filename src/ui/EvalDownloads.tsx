/** The report as files: the whole report as JSON, every answer as CSV. */
import { reportCsv, resultFileStem } from '../eval/report-files.ts';
import type { EvalReport } from '../eval/types.ts';
import { downloadText } from './download-text.ts';

export function EvalDownloads({ report }: { report: EvalReport }) {
  const stem = resultFileStem(report);
  return (
    <div className="inline-row eval-downloads">
      <button
        type="button"
        data-testid="eval.download.json"
        onClick={() => {
          downloadText(`${stem}.json`, `${JSON.stringify(report, null, 2)}\n`, 'application/json');
        }}
      >
        Download JSON
      </button>
      <button
        type="button"
        data-testid="eval.download.csv"
        onClick={() => {
          downloadText(`${stem}.csv`, reportCsv(report), 'text/csv');
        }}
      >
        Download CSV
      </button>
      {!report.complete && <span className="muted">The files hold the answers so far.</span>}
    </div>
  );
}
