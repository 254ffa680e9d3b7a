import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { INTERRUPTED, SAVE_DELAY_MS } from './eval-persistence.ts';
import { selectEvalReport, selectEvalResumeBlocker } from './eval-selectors.ts';
import { DATASET, emitResult, ITEMS, loaded, reloaded, result, settle, started } from './eval-testing.ts';
import { createHarness, FakeEvalStore, type Harness } from './testing.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('keeping the evaluation in the browser', () => {
  it('saves results at most half a second late, and at once on Stop', async () => {
    const harness = createHarness();
    const { evalStore } = harness;
    loaded(harness);
    started(harness);
    await settle();
    const before = evalStore.saves;
    emitResult(harness, result('visionthink', 's-0'));
    emitResult(harness, result('low-only', 's-0'));
    await settle(SAVE_DELAY_MS - 1);
    expect(evalStore.saves).toBe(before);
    await settle(1);
    // Both results in one write.
    expect(evalStore.saves).toBe(before + 1);
    expect(evalStore.value).toMatchObject({ version: 1, status: 'running', run: { results: [{}, {}] } });
    emitResult(harness, result('visionthink', 's-1'));
    harness.store.getState().stopEvaluation();
    await settle();
    expect(evalStore.value).toMatchObject({ run: { results: [{}, {}, {}] } });
  });

  it('after a reload shows the results, Interrupted, and resumes them on the same model', async () => {
    const first = createHarness();
    loaded(first);
    started(first);
    emitResult(first, result('visionthink', 's-0'));
    await settle(SAVE_DELAY_MS);

    const second = reloaded(first.evalStore);
    await settle();
    const { store, client } = second;
    expect(store.getState().evaluation).toMatchObject({
      status: 'stopped',
      message: INTERRUPTED,
      form: { dataset: 'synthetic', size: 4, policies: ['visionthink', 'low-only'] },
      run: { model: 'visionthink-test', itemIds: ITEMS },
    });
    expect(selectEvalReport(store.getState())?.summaries.map((s) => s.items)).toEqual([1, 0]);
    expect(selectEvalResumeBlocker(store.getState())).toBe('The model is still loading.');
    loaded(second);
    store.getState().resumeEvaluation();
    expect(client.calls.at(-1)).toMatchObject({ type: 'evaluate', done: ['visionthink/s-0'] });
  });

  it('keeps a finished run finished, and forgets a discarded one', async () => {
    const first = createHarness();
    loaded(first);
    const requestId = started(first);
    first.client.emit({ type: 'eval-finished', requestId });
    await settle();
    expect(reloadedState(await reloadedAfter(first.evalStore))).toMatchObject({ status: 'finished', message: null });
    first.store.getState().discardEvaluation();
    await settle();
    expect(first.evalStore.value).toBeUndefined();
    expect(reloadedState(await reloadedAfter(first.evalStore))).toMatchObject({ status: 'idle', run: null });
  });

  it('does not replace a run started while the page read the storage', async () => {
    const evalStore = new FakeEvalStore();
    evalStore.value = { version: 1, status: 'finished', message: null, run: { ...savedRun() } };
    evalStore.hold();
    const harness = reloaded(evalStore);
    loaded(harness);
    started(harness);
    evalStore.release();
    await settle();
    expect(harness.store.getState().evaluation).toMatchObject({ status: 'running', run: { results: [] } });
  });

  it('ignores what it cannot read as a run', async () => {
    for (const value of [null, 'x', { version: 2 }, { version: 1, status: 'running', run: { params: {} } }]) {
      const evalStore = new FakeEvalStore();
      evalStore.value = value;
      const harness = reloaded(evalStore);
      await settle();
      expect(harness.store.getState().evaluation).toMatchObject({ status: 'idle', run: null, storageProblem: null });
    }
  });

  it('says so when the storage is full or blocked, and the run goes on', async () => {
    const harness = createHarness();
    const { store, evalStore } = harness;
    loaded(harness);
    started(harness);
    evalStore.fail = new DOMException('Quota exceeded', 'QuotaExceededError');
    emitResult(harness, result('visionthink', 's-0'));
    await settle(SAVE_DELAY_MS);
    expect(store.getState().evaluation.storageProblem).toMatch(
      /storage for this site is full.*download them to keep them/,
    );
    emitResult(harness, result('low-only', 's-0'));
    expect(store.getState().evaluation.run?.results).toHaveLength(2);
    evalStore.fail = null;
    await settle(SAVE_DELAY_MS);
    expect(store.getState().evaluation.storageProblem).toBeNull();

    const blocked = new FakeEvalStore();
    blocked.fail = new Error('The operation is insecure.');
    const other = reloaded(blocked);
    await settle();
    expect(other.store.getState().evaluation.storageProblem).toMatch(/could not be read.*private window/);
  });
});

describe('the view', () => {
  it('opens the view the address names and writes the one chosen into it', () => {
    const evaluate = reloaded(new FakeEvalStore(), 'evaluate');
    expect(evaluate.store.getState().view).toBe('evaluate');
    evaluate.store.getState().setView('ask');
    expect(evaluate.viewAddress.value).toBeNull();
    const harness = reloaded(new FakeEvalStore(), 'nonsense');
    expect(harness.store.getState().view).toBe('ask');
    harness.store.getState().setView('evaluate');
    expect(harness.viewAddress.value).toBe('evaluate');
    expect(harness.store.getState().view).toBe('evaluate');
  });
});

async function reloadedAfter(evalStore: FakeEvalStore): Promise<Harness> {
  const harness = reloaded(evalStore);
  await settle();
  return harness;
}

function reloadedState(harness: Harness) {
  return harness.store.getState().evaluation;
}

function savedRun() {
  return {
    params: {
      dataset: 'synthetic',
      limit: 4,
      seed: 0,
      policies: ['visionthink'],
      threshold: 0.6,
      maxVisualTokens: 1024,
    },
    dataset: DATASET,
    itemIds: ITEMS,
    model: 'visionthink-test',
    backend: 'local',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: null,
    results: [result('visionthink', 's-0')],
    skipped: [],
  };
}
