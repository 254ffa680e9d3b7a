import { describe, expect, it } from 'vitest';
import {
  savedFraction,
  selectAnswerView,
  selectBudgetPreview,
  selectQuestionPrefillMsSaved,
  selectSessionSummary,
  selectVisibleError,
} from './selectors.ts';
import { createHarness, emitRun, readyWithImage, runEvents } from './testing.ts';

describe('budget preview', () => {
  it('is empty until both the model and an image are there', () => {
    const harness = createHarness();
    expect(selectBudgetPreview(harness.store.getState())).toEqual({ kind: 'none' });
  });

  it('gives the low and full passes of the chosen image under the budget', () => {
    const harness = createHarness();
    readyWithImage(harness, 896, 672);
    expect(selectBudgetPreview(harness.store.getState())).toEqual({
      kind: 'plan',
      width: 896,
      height: 672,
      plan: {
        low: { width: 448, height: 336, visualTokens: 192 },
        full: { width: 896, height: 672, visualTokens: 768 },
      },
    });
    // A 256-token budget caps the full image at 256 tokens (16 × 16 merged patches max).
    harness.store.getState().setBudget(256);
    const preview = selectBudgetPreview(harness.store.getState());
    expect(preview).toMatchObject({
      kind: 'plan',
      plan: { low: { visualTokens: 192 }, full: { width: 504, height: 364, visualTokens: 234 } },
    });
  });

  it('explains a budget too small for the image', () => {
    const harness = createHarness();
    readyWithImage(harness, 4000, 100);
    harness.store.getState().setBudget(4);
    const preview = selectBudgetPreview(harness.store.getState());
    expect(preview.kind).toBe('error');
    expect(preview.kind === 'error' && preview.message).toMatch(/too small for this 4000 × 100 image/);
  });
});

describe('session totals', () => {
  it('add up answered questions, escalations and the prefill time saved', () => {
    const harness = createHarness();
    const { store, client } = harness;
    readyWithImage(harness);
    const empty = selectSessionSummary(store.getState());
    expect(empty).toMatchObject({
      questions: 0,
      used: 0,
      baseline: 0,
      saved: 0,
      savedFraction: null,
      escalationRate: null,
    });
    expect(empty.prefillMsSaved).toBeNull();

    store.getState().ask('Plain?');
    emitRun(client, ...runEvents(false).events);
    store.getState().ask('Detailed?');
    emitRun(client, ...runEvents(true).events);
    store.getState().ask('Stopped?');
    emitRun(client, { type: 'error', error: { code: 'aborted', message: '' } });

    const summary = selectSessionSummary(store.getState());
    // 192 + 960 used against 768 + 768; prefill: (492 + 492 + 1068) tokens at 0.1 ms each.
    expect(summary).toMatchObject({
      questions: 2,
      escalations: 1,
      used: 1152,
      baseline: 1536,
      saved: 384,
      savedFraction: 0.25,
      escalationRate: 0.5,
    });
    expect(summary.msPerPrefillToken).toBeCloseTo(0.1, 10);
    expect(summary.prefillMsSaved).toBeCloseTo(38.4, 10);
  });

  it('estimates the prefill time one question saved (or added)', () => {
    const harness = createHarness();
    const { store, client } = harness;
    readyWithImage(harness);
    store.getState().ask('Plain?');
    emitRun(client, ...runEvents(false).events);
    expect(selectQuestionPrefillMsSaved(store.getState())).toBeCloseTo(57.6, 10);
    store.getState().ask('Detailed?');
    expect(selectQuestionPrefillMsSaved(store.getState())).toBeNull();
    emitRun(client, ...runEvents(true).events);
    expect(selectQuestionPrefillMsSaved(store.getState())).toBeCloseTo(-19.2, 10);
  });

  it('gives no fraction without a baseline', () => {
    expect(savedFraction(0, 0)).toBeNull();
    expect(savedFraction(-192, 768)).toBe(-0.25);
  });
});

describe('answer view', () => {
  it('streams the answer, then shows the engine’s final answer', () => {
    const harness = createHarness();
    const { store, client } = harness;
    readyWithImage(harness);
    store.getState().ask('Colour?');
    const { events } = runEvents(true);
    emitRun(client, ...events.slice(0, 7));
    expect(selectAnswerView(store.getState())).toEqual({
      rounds: [
        {
          round: 1,
          resolution: 'low',
          segments: [
            { kind: 'think', text: 'Fine detail.', complete: true },
            {
              kind: 'tool-call',
              text: '{"name": "resize_image", "arguments": {"action": "resize"}}',
              complete: true,
            },
          ],
        },
      ],
      answer: null,
      complete: false,
    });
    emitRun(client, ...events.slice(7, 12));
    emitRun(client, { type: 'text', round: 2, delta: '<answer>bl' });
    expect(selectAnswerView(store.getState())).toMatchObject({ answer: 'bl', complete: false });
    emitRun(client, ...events.slice(13));
    expect(selectAnswerView(store.getState())).toMatchObject({ answer: 'blue', complete: true });
  });
});

describe('visible error', () => {
  it('shows the newest error until it is dismissed', () => {
    const harness = createHarness();
    const { store, client } = harness;
    client.emit({ type: 'failed', requestId: 1, error: { code: 'model-missing', message: 'No model.' } });
    store.getState().openImage(new Blob(['hello'], { type: 'text/plain' }), 'notes.txt', 'drop');
    expect(selectVisibleError(store.getState())).toMatchObject({ source: 'image', code: 'not-an-image' });
    store.getState().dismissError();
    expect(selectVisibleError(store.getState())).toBeNull();
    store.getState().retry();
    expect(client.count('load')).toBe(1);
  });
});
