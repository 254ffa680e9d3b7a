/** Small statistics for benchmark samples: how they are taken, medians and ratios rounded for reading. */

/** One warm-up run, then `runs` measured ones. */
export async function repeat<T>(runs: number, once: () => Promise<T>): Promise<T[]> {
  await once();
  const samples: T[] = [];
  for (let i = 0; i < runs; i++) samples.push(await once());
  return samples;
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] as number) + upper) / 2;
}

/** `numerator / denominator` to three decimals (null when the denominator is 0). */
export function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : Math.round((numerator / denominator) * 1000) / 1000;
}

/** Milliseconds to one decimal. */
export const ms = (value: number): number => Math.round(value * 10) / 10;

/**
 * Which of `count` questions escalate so that `share` of them do, spread evenly through the
 * list (question i escalates when the running total crosses a whole number).
 */
export function escalationPattern(count: number, share: number): boolean[] {
  return Array.from({ length: count }, (_, i) => Math.floor((i + 1) * share) > Math.floor(i * share));
}
