/** Fixtures of the evaluation's store tests: a sample of four synthetic items and their results. */
import { vi } from 'vitest';
export { loaded } from './testing.ts';
import type { PolicyId } from '../engine/policies.ts';
import type { DatasetInfo, ItemResult } from '../eval/types.ts';
import {
  createHarness,
  fakeFetch,
  FakeEvalStore,
  FakePreferences,
  FakeStorage,
  FakeViewAddress,
  type Harness,
} from './testing.ts';

export const DATASET: DatasetInfo = {
  id: 'synthetic',
  label: 'Synthetic (built in, offline)',
  metric: 'exact',
  size: 4,
  source: 'built in',
};
export const ITEMS = ['s-0', 's-1', 's-2', 's-3'];

/** One policy's result on one item: 256 visual tokens at low resolution, 1024 at full. */
export function result(policy: PolicyId, itemId: string, { correct = true, escalated = false } = {}): ItemResult {
  const visualTokens = policy === 'full-only' ? 1024 : escalated ? 1280 : 256;
  return {
    itemId,
    policy,
    question: 'What colour is the square?',
    answers: ['red'],
    fullResolutionTokens: 1024,
    attempt: {
      prediction: correct ? 'red' : 'blue',
      score: correct ? 1 : 0,
      escalated: policy === 'full-only' || escalated,
      visualTokens,
      prefilledTokens: visualTokens + 100,
      generatedTokens: 10,
      ms: 400,
    },
    output: `<answer>${correct ? 'red' : 'blue'}</answer>`,
  };
}

export function started(harness: Harness, model = 'visionthink-test'): number {
  const { store, client } = harness;
  store.getState().setEvalSize(4);
  store.getState().setEvalPolicy('confidence', false);
  store.getState().setEvalPolicy('full-only', false);
  store.getState().startEvaluation();
  const requestId = client.last('evaluate');
  client.emit({ type: 'eval-started', requestId, dataset: DATASET, itemIds: ITEMS, model, backend: 'local' });
  return requestId;
}

export function emitResult(harness: Harness, item: ItemResult, requestId = harness.client.last('evaluate')): void {
  harness.client.emit({ type: 'eval-event', requestId, event: { type: 'item', result: item } });
}

/** Runs pending timers and promise callbacks (the saves). */
export const settle = (ms = 0): Promise<void> => vi.advanceTimersByTimeAsync(ms).then(() => undefined);

/** A second page on the same browser storage (a reload). */
export function reloaded(evalStore: FakeEvalStore, view: string | null = null): Harness {
  return createHarness(fakeFetch({}), '', undefined, new FakeStorage(), new FakePreferences(), {
    evalStore,
    viewAddress: new FakeViewAddress(view),
  });
}
