/** How the evaluation's progress reads (presentation only). */
import type { EvalProgress } from '../state/index.ts';

const counts = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

/** "less than a minute left", "about 12 min left", "about 2.5 h left". */
export function formatTimeLeft(ms: number): string {
  if (ms < 60_000) return 'less than a minute left';
  if (ms < 90 * 60_000) return `about ${Math.round(ms / 60_000)} min left`;
  return `about ${(ms / 3_600_000).toFixed(1)} h left`;
}

/** "12 of 40 answers · about 2 min left"; "Opening the dataset…" before its size is known. */
export function formatProgress({ done, total, remainingMs }: EvalProgress): string {
  if (total === null) return 'Opening the dataset…';
  const answers = `${counts.format(done)} of ${counts.format(total)} ${total === 1 ? 'answer' : 'answers'}`;
  return remainingMs === null ? answers : `${answers} · ${formatTimeLeft(remainingMs)}`;
}
