/**
 * Selectors that build objects must return the same object while their inputs are unchanged,
 * or React's `useSyncExternalStore` re-renders without end. This caches the last result,
 * keyed by the values `inputs` picks (compared with `Object.is`).
 */
import type { AppState } from './app-state.ts';

export function memoSelector<R>(
  inputs: (state: AppState) => readonly unknown[],
  compute: (state: AppState) => R,
): (state: AppState) => R {
  let cached: { keys: readonly unknown[]; value: R } | null = null;
  return (state) => {
    const keys = inputs(state);
    const previous = cached;
    if (previous && keys.length === previous.keys.length && keys.every((key, i) => Object.is(key, previous.keys[i]))) {
      return previous.value;
    }
    const value = compute(state);
    cached = { keys, value };
    return value;
  };
}
