/** How numbers read on the page (presentation only). */

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${integer.format(bytes)} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

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
