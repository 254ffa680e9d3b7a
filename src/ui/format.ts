/** How numbers read on the page (presentation only). */

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

const SI_UNITS = [
  [1e3, 'kB'],
  [1e6, 'MB'],
  [1e9, 'GB'],
  [1e12, 'TB'],
] as const;

const threeDigits = (value: number): number => Number(value.toPrecision(3));

/**
 * Bytes in decimal (SI) units, 1 kB = 1,000 bytes and 1 MB = 1,000,000 bytes, as the Hugging Face
 * hub lists file sizes: the one convention of the app, the README and the bench. Three
 * significant digits at most ("735 MB", "2.7 GB", "310 kB").
 */
export function formatBytes(bytes: number): string {
  if (bytes < 999.5) return `${integer.format(bytes)} B`;
  // The smallest unit that keeps the figure under 1000 once rounded (999,999 bytes reads "1 MB").
  let text = '';
  for (const [size, name] of SI_UNITS) {
    const value = threeDigits(bytes / size);
    text = `${String(value)} ${name}`;
    if (value < 1000) break;
  }
  return text;
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
