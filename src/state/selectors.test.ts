import { describe, expect, it } from 'vitest';
import {
  savedFraction,
  selectAnswerView,
  selectBudgetPreview,
  selectQuestionPrefillMsSaved,
  selectSessionSummary,
  selectVisibleError,
} from './selectors.ts';
import { createHarness, emitRun, readyWithImage, runEvents, usage } from './testing.ts';

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
          decision: null,
          superseded: false,
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

describe('answer view under the plain prompt', () => {
  it('shows untagged text as the answer; an answer followed by another look stays as the low-resolution one', () => {
    const harness = createHarness();
    const { store, client } = harness;
    readyWithImage(harness);
    store.getState().setPolicy('confidence');
    store.getState().ask('What does the sign say?');
    const gate = { confidence: { value: 0.41, min: 0.41, geometricMean: 0.7, first: 0.9, tokens: 3 }, threshold: 0.6 };
    const reason = 'Unsure at low resolution (confidence 0.41, below 0.60) — looked at the full image';
    emitRun(
      client,
      { type: 'round', round: 1, image: { width: 448, height: 336, resolution: 'low', visualTokens: 192 } },
      { type: 'text', round: 1, delta: 'It says ST' },
    );
    expect(selectAnswerView(store.getState())).toMatchObject({ answer: 'It says ST', complete: false });
    emitRun(
      client,
      { type: 'text', round: 1, delta: 'OP.' },
      {
        type: 'usage',
        usage: {
          ...usage(1, 'low', 192),
          output: 'It says STOP.',
          decision: 'escalate',
          reason,
          confidence: gate.confidence,
        },
        totals: { used: 192, fullResolution: 768, saved: 576 },
        tokens: [],
      },
      { type: 'decision', round: 1, decision: 'escalate', gate },
      { type: 'round', round: 2, image: { width: 896, height: 672, resolution: 'full', visualTokens: 768 } },
    );
    // Between the rounds the first answer stays, as the low-resolution one; there is no final one yet.
    expect(selectAnswerView(store.getState())).toMatchObject({
      rounds: [
        {
          round: 1,
          decision: reason,
          superseded: true,
          segments: [{ kind: 'answer', text: 'It says STOP.', complete: true }],
        },
      ],
      answer: null,
    });
    emitRun(client, { type: 'text', round: 2, delta: 'It says STOP HERE.' });
    expect(selectAnswerView(store.getState())).toMatchObject({
      rounds: [
        { round: 1, superseded: true },
        { round: 2, decision: null, superseded: false },
      ],
      answer: 'It says STOP HERE.',
      complete: false,
    });
    // Stopped during round 2: the low-resolution answer is still there to read.
    store.getState().stop();
    emitRun(client, { type: 'error', error: { code: 'aborted', message: 'Stopped.' }, spent: { low: 192, full: 768 } });
    expect(selectAnswerView(store.getState()).rounds[0]).toMatchObject({
      superseded: true,
      segments: [{ kind: 'answer', text: 'It says STOP.' }],
    });
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
