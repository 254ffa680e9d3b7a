/**
 * How the harness's figures read in its reports (Markdown, SVG). Kept here rather than imported
 * from src/ui so that the harness, which runs in Node and in the worker, never depends on the UI.
 */
import type { MetricId } from './types.ts';
import { METRIC_LABELS } from './metrics.ts';

const counts = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

/** A fraction (0.8125) as a percentage with one decimal ("81.3%"): a tenth of a point is what benchmarks report. */
export function formatPercent(fraction: number, decimals = 1): string {
  return `${(fraction * 100).toFixed(decimals)}%`;
}

/** A token or item count with thousands separators ("12,345"). */
export function formatCount(count: number): string {
  return counts.format(count);
}

/** A duration: milliseconds below a second, seconds below ten minutes, then minutes and seconds. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${counts.format(ms)} ms`;
  if (ms < 600_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms - minutes * 60_000) / 1000);
  return `${minutes} min ${seconds} s`;
}

/**
 * A confidence threshold as people set it: at most three decimals, no trailing zeros ("0.7"); more
 * only where three would read as 0 or 1, which are the thresholds that never and always look again.
 */
export function formatThreshold(threshold: number): string {
  for (let decimals = 3; decimals < 8; decimals++) {
    const rounded = Number(threshold.toFixed(decimals));
    if (rounded === threshold || (rounded > 0 && rounded < 1)) return String(rounded);
  }
  return String(threshold);
}

/** The metric's name as its benchmark's papers write it. */
export function metricLabel(metric: MetricId): string {
  return METRIC_LABELS[metric];
}
