/** How numbers read on the page (presentation only). */
export { formatBytes } from '../engine/file-sizes.ts';

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

export function formatMs(ms: number): string {
  const magnitude = Math.abs(ms);
  if (magnitude < 1) return `${ms.toFixed(2)} ms`;
  if (magnitude < 1000) return `${integer.format(ms)} ms`;
  return `${(ms / 1000).toFixed(magnitude < 10_000 ? 2 : 1)} s`;
}

/** A fraction (0.75) as a percentage ("75%"). */
export function formatPercent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

export function formatSize(width: number, height: number): string {
  return `${width}×${height}`;
}

export function formatTokens(tokens: number): string {
  return integer.format(tokens);
}
