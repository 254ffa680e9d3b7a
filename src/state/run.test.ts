import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../engine/events.ts';
import { selectMeter, selectQuestionPrefillMsSaved, selectSessionSummary, selectVisibleError } from './selectors.ts';
import type { ModelStatus } from './model-slice.ts';
import { askBlocker } from './run-slice.ts';
import { createHarness, emitRun, pngBlob, readyWithImage, runEvents, usage, type Harness } from './testing.ts';

function askedHarness(question = 'What colour is it?'): Harness & { imageId: number } {
  const harness = createHarness();
  const imageId = readyWithImage(harness);
  harness.store.getState().ask(question);
  return { ...harness, imageId };
}

describe('asking', () => {
  it('starts a run with the image, the trimmed question and the settings', () => {
    const harness = createHarness();
    const { store, client, clock } = harness;
    const imageId = readyWithImage(harness);
    store.getState().setPolicy('low-only');
    store.getState().setBudget(512);
    store.getState().ask('  What colour is it?\n');
    expect(client.calls.at(-1)).toEqual({
      type: 'run',
      requestId: client.last('run'),
      imageId,
      question: 'What colour is it?',
      policy: 'low-only',
      threshold: 0.6,
      maxVisualTokens: 512,
      followUp: false,
      turns: 0,
    });
    expect(store.getState().run).toMatchObject({
      status: 'running',
      question: 'What colour is it?',
      policy: 'low-only',
      maxVisualTokens: 512,
      startedAt: clock.now,
    });
    expect(store.getState().draft).toBe('  What colour is it?\n');
  });

  it('ignores an empty question', () => {
    const harness = createHarness();
    readyWithImage(harness);
    harness.store.getState().ask('   ');
    expect(harness.client.count('run')).toBe(0);
    expect(harness.store.getState().run.status).toBe('idle');
  });

  it('explains why it cannot ask before the model and an image are ready, keeping the question', () => {
    const { store, client } = createHarness();
    store.getState().ask('Colour?');
    expect(client.count('run')).toBe(0);
    expect(store.getState().run).toMatchObject({ status: 'error', question: 'Colour?' });
    expect(selectVisibleError(store.getState())).toMatchObject({
      source: 'run',
      code: 'not-ready',
      message: 'The model is still loading.',
    });
    expect(store.getState().draft).toBe('Colour?');
  });

  it('says what keeps a question from being asked, for each state of the model', () => {
    const { store } = createHarness();
    const blockerWhen = (status: ModelStatus): string | null => {
      store.setState((state) => ({ model: { ...state.model, status } }));
      return askBlocker(store.getState());
    };
    expect(blockerWhen('idle')).toBe('Choose a model to start.');
    expect(blockerWhen('checking')).toMatch(/^Looking for the model/);
    // Before the person agreed to a download nothing is loading: say what to do instead.
    expect(blockerWhen('confirm')).toBe('Download the model first, or use the offline test model.');
    expect(blockerWhen('loading')).toBe('The model is still loading.');
    expect(blockerWhen('error')).toMatch(/could not be loaded/);
    expect(blockerWhen('ready')).toMatch(/^Choose an image first/);
  });

  it('stops through the client and ends as stopped when the engine confirms', () => {
    const { store, client } = askedHarness();
    store.getState().stop();
    store.getState().stop();
    expect(client.count('cancel')).toBe(1);
    expect(store.getState().run).toMatchObject({ status: 'running', stopping: true });
    emitRun(client, { type: 'error', error: { code: 'aborted', message: 'The run was stopped.' } });
    expect(store.getState().run).toMatchObject({ status: 'stopped', stopping: false, error: null });
    expect(selectVisibleError(store.getState())).toBeNull();
    store.getState().stop();
    expect(client.count('cancel')).toBe(1);
  });
});

describe('run events', () => {
  it('records the plan', () => {
    const { store, client } = askedHarness();
    const [plan] = runEvents(false).events;
    emitRun(client, plan as EngineEvent);
    expect(store.getState().run.plan).toEqual({
      turn: 1,
      original: { width: 896, height: 672 },
      low: { width: 448, height: 336, visualTokens: 192 },
      full: { width: 896, height: 672, visualTokens: 768 },
    });
  });

  it('starts a round, follows its phases and streams its text', () => {
    const { store, client } = askedHarness();
    emitRun(client, {
      type: 'round',
      round: 1,
      image: { width: 448, height: 336, resolution: 'low', visualTokens: 192 },
    });
    expect(store.getState().run.rounds).toEqual([
      {
        round: 1,
        started: true,
        image: { width: 448, height: 336, resolution: 'low', visualTokens: 192 },
        thumbnailUrl: null,
        text: '',
        phase: null,
        decision: null,
        decisionDetail: null,
        gate: null,
        asked: false,
        usage: null,
        tokens: [],
      },
    ]);
    emitRun(client, { type: 'phase', round: 1, phase: 'encode-low' });
    expect(store.getState().run.rounds[0]?.phase).toBe('encode-low');
    emitRun(client, { type: 'phase', round: 1, phase: 'decode' });
    emitRun(client, { type: 'text', round: 1, delta: '<think>Sim' }, { type: 'text', round: 1, delta: 'ple.</think>' });
    expect(store.getState().run.rounds[0]).toMatchObject({ phase: 'decode', text: '<think>Simple.</think>' });
  });

  it('records usage, totals and the decision', () => {
    const { store, client } = askedHarness();
    const roundUsage = usage(1, 'low', 192);
    emitRun(
      client,
      { type: 'round', round: 1, image: { width: 448, height: 336, resolution: 'low', visualTokens: 192 } },
      { type: 'usage', usage: roundUsage, totals: { used: 192, fullResolution: 768, saved: 576 }, tokens: [] },
      { type: 'decision', round: 1, decision: 'refused', detail: 'The full-resolution image is not available' },
    );
    const { run } = store.getState();
    expect(run.totals).toEqual({ used: 192, fullResolution: 768, saved: 576 });
    expect(run.rounds[0]).toMatchObject({
      usage: roundUsage,
      decision: 'refused',
      decisionDetail: 'The full-resolution image is not available',
    });
  });

  it('finishes with the answer, the time to answer and the session totals', () => {
    const { store, client, clock } = askedHarness();
    const { events, result } = runEvents(false);
    clock.now += 800;
    emitRun(client, ...events);
    const state = store.getState();
    expect(state.run).toMatchObject({ status: 'done', result, totals: result.visualTokens, elapsedMs: 800 });
    expect(state.session).toEqual({
      questions: 1,
      escalations: 0,
      usedTokens: 192,
      baselineTokens: 768,
      prefillMs: 49.2,
      prefilledTokens: 492,
      stopped: 0,
      stoppedTokens: 0,
    });
  });

  it('keeps the question and the image when the run fails, and Retry asks again', () => {
    const { store, client, imageId } = askedHarness('Which colour?');
    emitRun(client, {
      type: 'error',
      error: { code: 'internal', message: 'Something went wrong while running the model.' },
    });
    const state = store.getState();
    expect(state.run).toMatchObject({ status: 'error', question: 'Which colour?' });
    expect(state.draft).toBe('Which colour?');
    expect(state.image.current?.imageId).toBe(imageId);
    expect(selectVisibleError(state)).toMatchObject({
      source: 'run',
      code: 'internal',
      message: 'Something went wrong while running the model.',
      retryable: true,
    });
    expect(state.session.questions).toBe(0);

    state.retry();
    expect(client.count('run')).toBe(2);
    expect(client.calls.at(-1)).toMatchObject({ type: 'run', imageId, question: 'Which colour?' });
    expect(store.getState().run.status).toBe('running');
    expect(selectVisibleError(store.getState())).toBeNull();
  });

  it('fails the run when the worker stops', () => {
    const { store, client } = askedHarness();
    client.emit({
      type: 'failed',
      requestId: client.last('run'),
      error: { code: 'internal', message: 'The model worker stopped: out of memory' },
    });
    expect(store.getState().run).toMatchObject({ status: 'error', error: { code: 'internal' } });
  });

  it('ignores events after the run ended', () => {
    const { store, client } = askedHarness();
    emitRun(client, ...runEvents(false).events);
    const state = store.getState();
    emitRun(
      client,
      { type: 'text', round: 1, delta: 'late' },
      { type: 'error', error: { code: 'internal', message: 'x' } },
    );
    expect(store.getState()).toBe(state);
  });
});

describe('round thumbnails', () => {
  it('keeps what the model saw per round, even when the image arrives before its round', () => {
    const { store, client, urls } = askedHarness();
    const requestId = client.last('run');
    client.emit({ type: 'round-image', requestId, round: 1, image: pngBlob() });
    expect(store.getState().run.rounds[0]).toMatchObject({ round: 1, started: false, thumbnailUrl: 'blob:fake/2' });
    emitRun(client, {
      type: 'round',
      round: 1,
      image: { width: 448, height: 336, resolution: 'low', visualTokens: 192 },
    });
    expect(store.getState().run.rounds[0]).toMatchObject({ started: true, thumbnailUrl: 'blob:fake/2' });
    client.emit({ type: 'round-image', requestId, round: 2, image: pngBlob() });
    expect(store.getState().run.rounds.map((round) => round.thumbnailUrl)).toEqual(['blob:fake/2', 'blob:fake/3']);
    expect(urls.live.size).toBe(3);
  });

  it('revokes the thumbnails of the previous run when asking again in a new conversation', () => {
    const { store, client, urls } = askedHarness();
    client.emit({ type: 'round-image', requestId: client.last('run'), round: 1, image: pngBlob() });
    emitRun(client, ...runEvents(false).events);
    store.getState().setPolicy('full-only');
    store.getState().ask('Again?');
    expect(urls.revoked).toEqual(['blob:fake/2']);
    expect(store.getState().run.rounds).toEqual([]);
  });

  it('keeps the thumbnails of an answered question that a follow-up continues', () => {
    const { store, client, urls } = askedHarness();
    client.emit({ type: 'round-image', requestId: client.last('run'), round: 1, image: pngBlob() });
    emitRun(client, ...runEvents(false).events);
    store.getState().ask('And then?');
    expect(urls.revoked).toEqual([]);
    expect(store.getState().conversation.earlier[0]?.rounds[0]?.thumbnailUrl).toBe('blob:fake/2');
    store.getState().newConversation();
    expect(urls.revoked).toEqual(['blob:fake/2']);
  });
});

describe('stale events', () => {
  it('drops every message of a replaced run', () => {
    const { store, client } = askedHarness('First?');
    const first = client.last('run');
    store.getState().ask('Second?');
    const state = store.getState();
    for (const event of runEvents(true).events) client.emit({ type: 'run-event', requestId: first, event });
    client.emit({ type: 'round-image', requestId: first, round: 1, image: pngBlob() });
    client.emit({ type: 'failed', requestId: first, error: { code: 'internal', message: 'x' } });
    expect(store.getState()).toBe(state);
  });

  it('drops the stop confirmation of a run replaced after Stop', () => {
    const { store, client } = askedHarness();
    const first = client.last('run');
    store.getState().stop();
    store.getState().ask('Next?');
    client.emit({
      type: 'run-event',
      requestId: first,
      event: { type: 'error', error: { code: 'aborted', message: '' } },
    });
    expect(store.getState().run).toMatchObject({ status: 'running', question: 'Next?', stopping: false });
  });
});

describe('the token meter', () => {
  it('shows the first look against the baseline, adds the full image on escalation, then the totals', () => {
    const { store, client } = askedHarness();
    const { events } = runEvents(true);
    const step = (count: number): void => {
      emitRun(client, ...events.splice(0, count));
    };
    expect(selectMeter(store.getState())).toBeNull();
    step(2); // plan, round 1
    expect(selectMeter(store.getState())).toMatchObject({
      lowTokens: 192,
      fullTokens: 0,
      used: 192,
      baseline: 768,
      saved: 576,
      escalated: false,
      scale: 960,
    });
    step(6); // phases, text, usage
    step(1); // decision: escalate
    expect(selectMeter(store.getState())).toMatchObject({
      lowTokens: 192,
      fullTokens: 768,
      used: 960,
      escalated: true,
    });
    step(1); // round 2 starts: the full image is not counted twice
    expect(selectMeter(store.getState())).toMatchObject({ fullTokens: 768, used: 960, saved: -192 });
    step(events.length);
    expect(selectMeter(store.getState())).toMatchObject({
      status: 'done',
      used: 960,
      baseline: 768,
      saved: -192,
      savedFraction: -0.25,
      escalated: true,
    });
  });

  it('a question stopped in round 2 shows what it spent and no saving; the session keeps it apart', () => {
    const { store, client, clock } = askedHarness();
    const { events } = runEvents(true);
    // Up to round 2's start: the model asked for the full image, which started encoding.
    const round2 = events.findIndex((event) => event.type === 'round' && event.round === 2);
    emitRun(client, ...events.slice(0, round2 + 1), { type: 'phase', round: 2, phase: 'encode-full' });
    expect(selectMeter(store.getState())).toMatchObject({ status: 'running', used: 960, saved: -192 });
    store.getState().stop();
    clock.now += 1500;
    emitRun(client, {
      type: 'error',
      error: { code: 'aborted', message: 'The run was stopped.' },
      spent: { low: 192, full: 768 },
    });
    const state = store.getState();
    expect(state.run).toMatchObject({ status: 'stopped', spent: { low: 192, full: 768 }, elapsedMs: 1500 });
    expect(selectMeter(state)).toMatchObject({
      status: 'stopped',
      lowTokens: 192,
      fullTokens: 768,
      used: 960,
      baseline: 768,
      saved: null,
      savedFraction: null,
    });
    expect(selectQuestionPrefillMsSaved(state)).toBeNull();
    expect(state.session).toMatchObject({
      questions: 0,
      usedTokens: 0,
      baselineTokens: 0,
      stopped: 1,
      stoppedTokens: 960,
    });
    expect(selectSessionSummary(state)).toMatchObject({ questions: 0, saved: 0, stopped: 1, stoppedTokens: 960 });
  });

  it('a question stopped before its image was encoded spent nothing', () => {
    const { store, client } = askedHarness();
    const { events } = runEvents(false);
    emitRun(client, ...events.slice(0, 2), {
      type: 'error',
      error: { code: 'aborted', message: 'The run was stopped.' },
      spent: { low: 0, full: 0 },
    });
    expect(selectMeter(store.getState())).toMatchObject({ status: 'stopped', used: 0, saved: null });
    expect(store.getState().session).toMatchObject({ stopped: 1, stoppedTokens: 0 });
  });

  it('a failed question has no saving either', () => {
    const { store, client } = askedHarness();
    const { events } = runEvents(false);
    emitRun(client, ...events.slice(0, 3), {
      type: 'error',
      error: { code: 'internal', message: 'The decoder failed.' },
      spent: { low: 192, full: 0 },
    });
    expect(selectMeter(store.getState())).toMatchObject({ status: 'error', used: 192, saved: null });
    expect(store.getState().session).toMatchObject({ questions: 0, stopped: 0 });
  });

  it('counts a question asked straight at full resolution as the baseline', () => {
    const { store, client } = askedHarness();
    emitRun(
      client,
      {
        type: 'plan',
        turn: 1,
        original: { width: 896, height: 672 },
        low: { width: 448, height: 336, visualTokens: 192 },
        full: { width: 896, height: 672, visualTokens: 768 },
      },
      { type: 'round', round: 1, image: { width: 896, height: 672, resolution: 'full', visualTokens: 768 } },
    );
    expect(selectMeter(store.getState())).toMatchObject({ lowTokens: 0, fullTokens: 768, used: 768, saved: 0 });
  });
});
