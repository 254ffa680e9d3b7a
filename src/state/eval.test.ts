import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  selectEvalPolicies,
  selectEvalProgress,
  selectEvalReport,
  selectEvalResumeBlocker,
  selectEvalRunBlocker,
} from './eval-selectors.ts';
import { DATASET, emitResult, ITEMS, loaded, result, started } from './eval-testing.ts';
import { createHarness } from './testing.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the evaluation form', () => {
  it('starts with the synthetic set, 100 items, seed 0 and all four policies', () => {
    const { store } = createHarness();
    expect(store.getState().evaluation.form).toEqual({
      dataset: 'synthetic',
      size: 100,
      seed: 0,
      policies: ['visionthink', 'confidence', 'low-only', 'full-only'],
    });
    expect(store.getState().evaluation.status).toBe('idle');
  });

  it('takes known datasets, whole sizes from 1 to 5000, whole seeds, and keeps one policy at least', () => {
    const { store } = createHarness();
    const s = () => store.getState();
    s().setEvalDataset('chartqa');
    s().setEvalDataset('toString');
    s().setEvalSize(12.4);
    expect(s().evaluation.form).toMatchObject({ dataset: 'chartqa', size: 12 });
    s().setEvalSize(0);
    expect(s().evaluation.form.size).toBe(1);
    s().setEvalSize(1e9);
    expect(s().evaluation.form.size).toBe(5000);
    s().setEvalSize(Number.NaN);
    expect(s().evaluation.form.size).toBe(5000);
    s().setEvalSeed(7);
    for (const bad of [-1, 1.5, Number.NaN]) s().setEvalSeed(bad);
    expect(s().evaluation.form.seed).toBe(7);
    for (const policy of ['visionthink', 'confidence', 'full-only'] as const) s().setEvalPolicy(policy, false);
    expect(s().evaluation.form.policies).toEqual(['low-only']);
    s().setEvalPolicy('low-only', false);
    expect(s().evaluation.form.policies).toEqual(['low-only']);
    // Added back in the report's order, whatever the order of the clicks.
    s().setEvalPolicy('full-only', true);
    s().setEvalPolicy('visionthink', true);
    expect(s().evaluation.form.policies).toEqual(['visionthink', 'low-only', 'full-only']);
  });

  it('leaves out the confidence policy, with the reason, where the server gives no token probabilities', () => {
    const { store } = createHarness();
    store.setState((state) => ({
      model: {
        ...state.model,
        selectedId: 'server',
        status: 'ready',
        backend: {
          kind: 'server',
          baseUrl: 'http://gpu.test/v1',
          model: 'vt',
          confidenceUnavailable: 'This server gives no token probabilities.',
        },
      },
    }));
    expect(selectEvalPolicies(store.getState())).toEqual(['visionthink', 'low-only', 'full-only']);
    expect(selectEvalPolicies(store.getState())).toBe(selectEvalPolicies(store.getState()));
    store.getState().startEvaluation();
    expect(store.getState().evaluation.run?.params.policies).toEqual(['visionthink', 'low-only', 'full-only']);
  });
});

describe('running an evaluation', () => {
  it('waits for the model, then asks the worker with the form and the settings’ threshold and budget', () => {
    const harness = createHarness();
    const { store, client } = harness;
    expect(selectEvalRunBlocker(store.getState())).toBe('The model is still loading.');
    store.getState().startEvaluation();
    expect(client.count('evaluate')).toBe(0);
    loaded(harness);
    store.getState().setThreshold(0.42);
    store.getState().setBudget(512);
    store.getState().setEvalSize(4);
    store.getState().setEvalSeed(3);
    expect(selectEvalRunBlocker(store.getState())).toBeNull();
    store.getState().startEvaluation();
    expect(client.calls.at(-1)).toEqual({
      type: 'evaluate',
      requestId: client.last('evaluate'),
      dataset: 'synthetic',
      limit: 4,
      seed: 3,
      policies: ['visionthink', 'confidence', 'low-only', 'full-only'],
      threshold: 0.42,
      maxVisualTokens: 512,
      done: [],
    });
    expect(store.getState().evaluation).toMatchObject({
      status: 'running',
      run: { startedAt: '2026-01-02T03:04:05.000Z', results: [], dataset: null },
    });
    expect(selectEvalProgress(store.getState())).toEqual({ done: 0, total: null, remainingMs: null });
    expect(selectEvalReport(store.getState())).toBeNull();
    // One run at a time; its form is the run's.
    expect(selectEvalRunBlocker(store.getState())).toBe('An evaluation is running.');
    store.getState().setEvalSize(50);
    expect(store.getState().evaluation.form.size).toBe(4);
  });

  it('counts results against items × policies and estimates the time left from the pace so far', () => {
    const harness = createHarness();
    const { store, clock } = harness;
    loaded(harness);
    started(harness);
    expect(store.getState().evaluation.run).toMatchObject({
      dataset: DATASET,
      itemIds: ITEMS,
      model: 'visionthink-test',
      backend: 'local',
    });
    expect(selectEvalProgress(store.getState())).toEqual({ done: 0, total: 8, remainingMs: null });
    clock.now += 3000;
    emitResult(harness, result('visionthink', 's-0', { escalated: true }));
    expect(selectEvalProgress(store.getState())).toEqual({ done: 1, total: 8, remainingMs: 7 * 3000 });
    clock.now += 1000;
    emitResult(harness, result('low-only', 's-0', { correct: false }));
    expect(selectEvalProgress(store.getState())).toEqual({ done: 2, total: 8, remainingMs: 6 * 2000 });
    // An item whose image cannot be loaded is left out of every policy.
    harness.client.emit({
      type: 'eval-event',
      requestId: harness.client.last('evaluate'),
      event: { type: 'skip', skipped: { itemId: 's-3', reason: 'The image could not be decoded.' } },
    });
    expect(selectEvalProgress(store.getState())).toMatchObject({ done: 2, total: 6 });
    const report = selectEvalReport(store.getState());
    expect(report).toBe(selectEvalReport(store.getState()));
    expect(report?.summaries.map((s) => [s.policy, s.accuracy, s.escalationRate, s.visualTokenRatio])).toEqual([
      ['visionthink', 1, 1, 1.25],
      ['low-only', 0, 0, 0.25],
    ]);
    expect(report).toMatchObject({
      model: 'visionthink-test',
      complete: false,
      startedAt: '2026-01-02T03:04:05.000Z',
      skipped: [{ itemId: 's-3' }],
    });
  });

  it('ignores messages of another request and after the run ended', () => {
    const harness = createHarness();
    const { store, client } = harness;
    loaded(harness);
    const requestId = started(harness);
    emitResult(harness, result('visionthink', 's-0'), requestId + 100);
    client.emit({ type: 'eval-finished', requestId: requestId + 100 });
    expect(store.getState().evaluation).toMatchObject({ status: 'running', run: { results: [] } });
    for (const id of ITEMS) {
      emitResult(harness, result('visionthink', id));
      emitResult(harness, result('low-only', id));
    }
    client.emit({ type: 'eval-finished', requestId });
    expect(store.getState().evaluation.status).toBe('finished');
    expect(selectEvalProgress(store.getState())).toEqual({ done: 8, total: 8, remainingMs: null });
    expect(selectEvalReport(store.getState())?.complete).toBe(true);
    emitResult(harness, result('visionthink', 's-0', { correct: false }), requestId);
    expect(selectEvalReport(store.getState())?.summaries[0]?.accuracy).toBe(1);
  });

  it('stops, keeps the results, and resumes asking only what it has no result for', () => {
    const harness = createHarness();
    const { store, client } = harness;
    loaded(harness);
    const first = started(harness);
    emitResult(harness, result('visionthink', 's-0'));
    emitResult(harness, result('low-only', 's-0'));
    store.getState().stopEvaluation();
    store.getState().stopEvaluation();
    expect(client.count('cancel-evaluation')).toBe(1);
    expect(store.getState().evaluation).toMatchObject({ status: 'running', stopping: true });
    // A result that was on its way still counts.
    emitResult(harness, result('visionthink', 's-1'));
    client.emit({ type: 'failed', requestId: first, error: { code: 'aborted', message: 'Stopped.' } });
    expect(store.getState().evaluation).toMatchObject({ status: 'stopped', stopping: false, message: null });
    expect(selectEvalProgress(store.getState())).toEqual({ done: 3, total: 8, remainingMs: null });
    expect(selectEvalResumeBlocker(store.getState())).toBeNull();

    store.getState().setThreshold(0.9);
    store.getState().resumeEvaluation();
    expect(client.calls.at(-1)).toMatchObject({
      type: 'evaluate',
      dataset: 'synthetic',
      limit: 4,
      policies: ['visionthink', 'low-only'],
      // The run's own threshold, not the one set since.
      threshold: 0.6,
      done: ['visionthink/s-0', 'low-only/s-0', 'visionthink/s-1'],
    });
    const second = client.last('evaluate');
    expect(store.getState().evaluation).toMatchObject({ status: 'running', requestId: second, message: null });
    // The stopped request's late messages change nothing.
    emitResult(harness, result('low-only', 's-1'), first);
    expect(store.getState().evaluation.run?.results).toHaveLength(3);
    client.emit({
      type: 'eval-started',
      requestId: second,
      dataset: DATASET,
      itemIds: ITEMS,
      model: 'visionthink-test',
      backend: 'local',
    });
    emitResult(harness, result('low-only', 's-1'));
    expect(selectEvalProgress(store.getState())).toMatchObject({ done: 4, total: 8 });
  });

  it('resumes only on the model it ran on, and says which one to load', () => {
    const harness = createHarness();
    const { store, client } = harness;
    loaded(harness);
    const requestId = started(harness, 'qwen3.5-0.8b');
    client.emit({ type: 'failed', requestId, error: { code: 'aborted', message: 'Stopped.' } });
    expect(selectEvalResumeBlocker(store.getState())).toBe(
      'This evaluation ran on Qwen3.5 0.8B (VisionThink test model (tiny, synthetic) is loaded now): choose it under Settings on the Ask tab to resume it.',
    );
    store.getState().resumeEvaluation();
    expect(client.count('evaluate')).toBe(1);
    expect(store.getState().evaluation.status).toBe('stopped');
  });

  it('stops when another model is loaded and fails when the dataset cannot be read, each with the worker’s words', () => {
    const harness = createHarness();
    const { store, client } = harness;
    loaded(harness);
    const requestId = started(harness);
    emitResult(harness, result('visionthink', 's-0'));
    const changed = 'The evaluation stopped because another model was loaded.';
    client.emit({ type: 'failed', requestId, error: { code: 'model-changed', message: changed } });
    expect(store.getState().evaluation).toMatchObject({ status: 'stopped', message: changed });

    store.getState().discardEvaluation();
    store.getState().setEvalDataset('chartqa');
    store.getState().startEvaluation();
    const unreachable = 'The Hugging Face dataset viewer could not be reached.';
    client.emit({
      type: 'failed',
      requestId: client.last('evaluate'),
      error: { code: 'dataset-unavailable', message: unreachable },
    });
    expect(store.getState().evaluation).toMatchObject({
      status: 'failed',
      message: unreachable,
      run: { dataset: null },
    });
    // Resume tries again (nothing had been asked).
    expect(selectEvalResumeBlocker(store.getState())).toBeNull();
  });

  it('a new evaluation stops the run, forgets its results and frees the form', () => {
    const harness = createHarness();
    const { store, client } = harness;
    loaded(harness);
    started(harness);
    emitResult(harness, result('visionthink', 's-0'));
    expect(selectEvalRunBlocker(store.getState())).toBe('An evaluation is running.');
    store.getState().discardEvaluation();
    expect(client.count('cancel-evaluation')).toBe(1);
    expect(store.getState().evaluation).toMatchObject({ status: 'idle', run: null, requestId: null });
    expect(selectEvalProgress(store.getState())).toBeNull();
    expect(store.getState().evaluation.form).toMatchObject({ size: 4, policies: ['visionthink', 'low-only'] });
    store.getState().setEvalSize(10);
    expect(store.getState().evaluation.form.size).toBe(10);
  });
});
