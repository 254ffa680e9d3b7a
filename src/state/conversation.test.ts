import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../engine/events.ts';
import { selectFirstQuestion, selectFollowUp } from './conversation-slice.ts';
import { selectMeter, selectVisibleError } from './selectors.ts';
import { selectShareHash } from './share-slice.ts';
import { createHarness, emitRun, pngBlob, readyWithImage, runEvents, usage, type Harness } from './testing.ts';
import { TEST_DEVICE, TEST_GEOMETRY } from './testing.ts';

/** A follow-up's events: turn `turn`, one text-only round, no visual tokens. */
function followUpEvents(turn: number, answer: string, conversationUsed: number): EngineEvent[] {
  const round = { ...usage(1, null, 0), prefilledTokens: 120, promptTokens: 900, output: `<answer>${answer}</answer>` };
  return [
    {
      type: 'plan',
      turn,
      original: { width: 896, height: 672 },
      low: { width: 448, height: 336, visualTokens: 192 },
      full: { width: 896, height: 672, visualTokens: 768 },
    },
    { type: 'round', round: 1, image: null },
    { type: 'usage', usage: round, totals: { used: 0, fullResolution: 0, saved: 0 }, tokens: [] },
    { type: 'decision', round: 1, decision: 'answer' },
    {
      type: 'done',
      result: {
        answer,
        escalated: false,
        policy: 'visionthink',
        rounds: [round],
        visualTokens: { used: 0, fullResolution: 0, saved: 0 },
        transcript: '',
      },
      conversation: {
        turn,
        visualTokens: { used: conversationUsed, fullResolution: 768, saved: 768 - conversationUsed },
      },
    },
  ];
}

function answeredHarness(): Harness & { imageId: number } {
  const harness = createHarness();
  const imageId = readyWithImage(harness);
  harness.store.getState().ask('What colour is it?');
  emitRun(harness.client, ...runEvents(true).events);
  return { ...harness, imageId };
}

describe('conversations', () => {
  it('a question after an answer is a follow-up: the answer joins the conversation and the worker continues it', () => {
    const { store, client } = answeredHarness();
    expect(selectFollowUp(store.getState())).toEqual({ followUp: true, turns: 1, restartReason: null });
    expect(store.getState().conversation.totals).toEqual({ used: 960, fullResolution: 768, saved: -192 });

    store.getState().ask('And the corner?');
    expect(client.calls.at(-1)).toMatchObject({
      type: 'run',
      question: 'And the corner?',
      followUp: true,
      turns: 1,
    });
    const { conversation } = store.getState();
    expect(conversation.earlier.map((run) => [run.question, run.result?.answer])).toEqual([
      ['What colour is it?', 'blue'],
    ]);
    emitRun(client, ...followUpEvents(2, 'blue', 960));
    expect(selectFollowUp(store.getState()).turns).toBe(2);
    expect(store.getState().conversation.totals).toEqual({ used: 960, fullResolution: 768, saved: -192 });
    // The follow-up's own meter: no visual tokens, and none to compare with.
    expect(selectMeter(store.getState())).toMatchObject({ used: 0, baseline: 0, saved: 0, prefilled: 120 });
    // The session counts it as an answered question that cost no visual tokens.
    expect(store.getState().session).toMatchObject({ questions: 2, usedTokens: 960, baselineTokens: 768 });
  });

  it('a follow-up that was stopped leaves the conversation as it was; the next question still follows up', () => {
    const { store, client } = answeredHarness();
    store.getState().ask('And the corner?');
    store.getState().stop();
    emitRun(client, { type: 'error', error: { code: 'aborted', message: 'The run was stopped.' } });
    expect(selectFollowUp(store.getState())).toEqual({ followUp: true, turns: 1, restartReason: null });
    store.getState().ask('And the edge?');
    expect(client.calls.at(-1)).toMatchObject({ type: 'run', followUp: true });
    expect(store.getState().conversation.earlier).toHaveLength(1);
  });

  it('a changed policy or budget starts a new conversation, and says so first', () => {
    const { store, client } = answeredHarness();
    store.getState().setPolicy('full-only');
    expect(selectFollowUp(store.getState())).toEqual({
      followUp: false,
      turns: 1,
      restartReason: 'The policy changed: your next question starts a new conversation.',
    });
    store.getState().setPolicy('visionthink');
    store.getState().setBudget(512);
    expect(selectFollowUp(store.getState()).restartReason).toBe(
      'The visual-token budget changed: your next question starts a new conversation.',
    );
    store.getState().ask('What colour is it now?');
    expect(client.calls.at(-1)).toMatchObject({ type: 'run', followUp: false });
    expect(store.getState().conversation.earlier).toEqual([]);
  });

  it('a new image, a loaded model or New conversation ends it', () => {
    const harness = answeredHarness();
    const { store, client } = harness;
    store.getState().ask('And the corner?');
    emitRun(client, ...followUpEvents(2, 'blue', 960));

    store.getState().openImage(pngBlob(), 'other.png', 'file');
    client.emit({ type: 'image-opened', requestId: client.last('open-image'), imageId: 9, width: 640, height: 480 });
    expect(store.getState().conversation).toEqual({ earlier: [], totals: null, open: false });
    // Sent on every image shown (the first one's included): nothing about another image is kept.
    expect(client.count('end-conversation')).toBe(2);
    expect(selectFollowUp(store.getState()).followUp).toBe(false);

    store.getState().ask('What colour?');
    emitRun(client, ...runEvents(false).events);
    expect(selectFollowUp(store.getState()).followUp).toBe(true);
    client.emit({
      type: 'loaded',
      requestId: client.last('load'),
      modelId: 'visionthink-test',
      geometry: TEST_GEOMETRY,
      device: TEST_DEVICE,
    });
    expect(selectFollowUp(store.getState()).followUp).toBe(false);

    store.getState().ask('What colour?');
    emitRun(client, ...runEvents(false).events);
    store.getState().newConversation();
    expect(client.count('end-conversation')).toBe(3);
    expect(store.getState().run.status).toBe('idle');
    expect(selectFollowUp(store.getState())).toEqual({ followUp: false, turns: 0, restartReason: null });
  });

  it('a full conversation offers a new one instead of Retry; a lost one makes the next question start afresh', () => {
    const { store, client } = answeredHarness();
    store.getState().ask('And the corner?');
    const full =
      'This conversation is full: the next turn needs about 40,000 tokens in all, and the model’s context holds 32,768. Start a new conversation to ask more.';
    emitRun(client, { type: 'error', error: { code: 'context-full', message: full } });
    expect(selectVisibleError(store.getState())).toMatchObject({
      code: 'context-full',
      message: full,
      retryable: false,
    });
    // Still open: a shorter follow-up could fit, and the person decides.
    expect(selectFollowUp(store.getState()).followUp).toBe(true);

    store.getState().ask('And the edge?');
    emitRun(client, {
      type: 'error',
      error: { code: 'conversation-lost', message: 'This conversation is no longer available.' },
    });
    expect(selectVisibleError(store.getState())).toMatchObject({ code: 'conversation-lost', retryable: false });
    expect(selectFollowUp(store.getState()).followUp).toBe(false);
    store.getState().newConversation();
    expect(selectVisibleError(store.getState())).toBeNull();
    expect(store.getState().draft).toBe('And the edge?');
  });

  it('an answer that arrives after a new image was shown does not reopen the old conversation', () => {
    const { store, client } = answeredHarness();
    store.getState().ask('And the corner?');
    store.getState().openImage(pngBlob(), 'other.png', 'file');
    client.emit({ type: 'image-opened', requestId: client.last('open-image'), imageId: 9, width: 640, height: 480 });
    emitRun(client, ...followUpEvents(2, 'blue', 960));
    expect(store.getState().conversation.open).toBe(false);
    expect(selectFollowUp(store.getState()).followUp).toBe(false);
    expect(selectFirstQuestion(store.getState())).toBeNull();
  });

  it('a share link carries the conversation’s first question, not the follow-up being typed', () => {
    const { store, client } = answeredHarness();
    store.getState().ask('And the corner?');
    emitRun(client, ...followUpEvents(2, 'blue', 960));
    store.getState().setDraft('And the middle?');
    expect(selectFirstQuestion(store.getState())).toBe('What colour is it?');
    const link = new URLSearchParams(selectShareHash(store.getState()).slice(1));
    expect(link.get('question')).toBe('What colour is it?');
  });
});
