/**
 * The server backend against the test peer (`npm run serve`'s server, in process, on the same
 * generated model): the same loop gives the same figures as the local backend, the server's usage
 * shows its prefix cache at work, and every failure ends as an error event a person can read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Conversation } from '../../src/engine/conversation.ts';
import type { EngineEvent, RoundUsage } from '../../src/engine/events.ts';
import type { ImageSource } from '../../src/engine/image.ts';
import { ServerBackend, type ServerSettings } from '../../src/engine/server/server-backend.ts';
import type { VisionModel } from '../../src/engine/vision-model.ts';
import { loadModelForNode } from '../../src/node/load-model.ts';
import { startPeer, type Peer } from '../../src/node/openai-peer/server.ts';
import { sampleImage } from './helpers.ts';

const NAME = 'visionthink-test';
let model: VisionModel;
let peer: Peer;
let settings: ServerSettings;
let server: ServerBackend;
let plain: ImageSource;
let detailed: ImageSource;

beforeAll(async () => {
  model = await loadModelForNode();
  peer = await startPeer({ model, port: 0, servedModelName: NAME });
  settings = {
    baseUrl: peer.url,
    model: NAME,
    minPixels: model.geometry.minPixels,
    maxPixels: model.geometry.maxPixels,
  };
  server = await ServerBackend.connect(settings);
  plain = await sampleImage('plain', 'red', 448, 336);
  detailed = await sampleImage('detailed', 'green', 448, 336);
});

afterAll(async () => {
  await peer.close();
  await model.dispose();
});

/** Asks each question in turn on one conversation; returns every event per question. */
async function converse(
  backend: ServerBackend | VisionModel,
  image: ImageSource,
  questions: string[],
  policy = 'visionthink',
): Promise<EngineEvent[][]> {
  const conversation = new Conversation(backend, { image, policy });
  const all: EngineEvent[][] = [];
  try {
    for (const question of questions) {
      const events: EngineEvent[] = [];
      for await (const event of conversation.ask({ question })) events.push(event);
      all.push(events);
    }
  } finally {
    await conversation.dispose();
  }
  return all;
}

/** Makes the peer fail its next chat completion as `injection` says (see failure-injection.ts). */
async function inject(injection: Record<string, unknown>): Promise<void> {
  const response = await fetch(new URL('/_peer/inject', peer.url), { method: 'POST', body: JSON.stringify(injection) });
  expect(response.ok).toBe(true);
}

const usages = (events: EngineEvent[]): RoundUsage[] =>
  events.flatMap((event) => (event.type === 'usage' ? [event.usage] : []));
const done = (events: EngineEvent[]) => {
  const last = events.at(-1);
  if (last?.type !== 'done') throw new Error(`the question failed: ${JSON.stringify(last)}`);
  return last;
};
/** What must be equal on both backends: everything but timings, prefill accounting and the server's own report. */
const figures = (usage: RoundUsage) => ({
  round: usage.round,
  image: usage.image,
  visualTokens: usage.visualTokens,
  generatedTokens: usage.generatedTokens,
  output: usage.output,
  decision: usage.decision,
  reason: usage.reason,
  confidence: usage.confidence ? { ...usage.confidence, value: 0, min: 0, geometricMean: 0, first: 0 } : null,
});

describe('the server backend on the test peer', () => {
  it('checks the server when it connects: the model is listed and logprobs come back', () => {
    expect(server.confidenceUnavailable).toBeNull();
    expect(server.geometry).toMatchObject({ patchSize: 14, mergeSize: 2, minPixels: 3136, maxPixels: 1003520 });
  });

  it('answers a plain and a detailed image with the local backend’s figures, and a follow-up on the server’s cache', async () => {
    for (const image of [plain, detailed]) {
      const questions = ['What colour is the picture?', 'And what colour is it now?'];
      const local = await converse(model, image, questions);
      const remote = await converse(server, image, questions);
      for (const [i, localEvents] of local.entries()) {
        const remoteEvents = remote[i] ?? [];
        const l = done(localEvents);
        const r = done(remoteEvents);
        expect(r.result.answer).toBe(l.result.answer);
        expect(r.result.escalated).toBe(l.result.escalated);
        expect(r.result.visualTokens).toEqual(l.result.visualTokens);
        expect(r.conversation).toEqual(l.conversation);
        expect(usages(remoteEvents).map(figures)).toEqual(usages(localEvents).map(figures));
        // Probabilities travel as log-probabilities: equal to the last bits that survive exp(ln p).
        for (const [round, usage] of usages(remoteEvents).entries()) {
          const own = usages(localEvents)[round]?.confidence?.value;
          if (own === undefined) expect(usage.confidence).toBeNull();
          else expect(usage.confidence?.value).toBeCloseTo(own, 9);
        }
        // The plan and the phases the page shows are the same events.
        const kinds = (events: EngineEvent[]) =>
          events.filter((e) => e.type === 'plan' || e.type === 'round' || e.type === 'decision');
        expect(kinds(remoteEvents)).toEqual(kinds(localEvents));
      }
      // Prompt tokens as the server counts them: the local backend's, plus the one line break the
      // chat template puts before the tool response (see server-messages.test.ts), from then on.
      const localPrompts = local.flatMap((events) => usages(events).map((u) => u.promptTokens));
      const remotePrompts = remote.flatMap((events) => usages(events).map((u) => u.promptTokens));
      const escalated = done(local[0] ?? []).result.escalated;
      expect(remotePrompts).toEqual(localPrompts.map((n, i) => (escalated && i > 0 ? n + 1 : n)));
      // Every round after the first continues on the peer's cache of the conversation so far.
      for (const usage of remote.flatMap(usages).slice(1)) {
        expect(usage.server?.cachedTokens).toBeGreaterThan(0);
        expect(usage.prefilledTokens).toBe(usage.promptTokens - (usage.server?.cachedTokens ?? 0));
        expect(usage.server?.promptTokens).toBe(usage.promptTokens);
      }
    }
  });

  it('runs the confidence policy on the server’s logprobs', async () => {
    const [first] = await converse(server, detailed, ['What colour is the picture?'], 'confidence');
    const [own] = await converse(model, detailed, ['What colour is the picture?'], 'confidence');
    expect(usages(first ?? []).map(figures)).toEqual(usages(own ?? []).map(figures));
    expect(done(first ?? []).result.answer).toBe(done(own ?? []).result.answer);
  });

  it('disables the confidence policy on a server without logprobs, with the reason', async () => {
    const quiet = await startPeer({ model, port: 0, servedModelName: NAME, logprobs: false });
    try {
      const backend = await ServerBackend.connect({ ...settings, baseUrl: quiet.url });
      expect(backend.confidenceUnavailable).toMatch(/does not return token probabilities/);
      const [events] = await converse(backend, plain, ['What colour?'], 'confidence');
      expect(events?.at(-1)).toMatchObject({ type: 'error', error: { code: 'invalid-option' } });
      const [other] = await converse(backend, plain, ['What colour?']);
      expect(done(other ?? []).result.answer).toBe('red');
    } finally {
      await quiet.close();
    }
  });

  it('refuses a model the server does not serve, naming those it does', async () => {
    await expect(ServerBackend.connect({ ...settings, model: 'Senqiao/VisionThink-Efficient' })).rejects.toMatchObject({
      code: 'server-model',
      message: expect.stringContaining(NAME) as unknown,
    });
  });

  it('ends a busy server’s question with its Retry-After, and the conversation goes on afterwards', async () => {
    const conversation = new Conversation(server, { image: plain, policy: 'visionthink' });
    try {
      const first: EngineEvent[] = [];
      for await (const event of conversation.ask({ question: 'What colour?' })) first.push(event);
      done(first);
      await inject({ failure: 'rate-limited', retryAfter: 7 });
      const busy: EngineEvent[] = [];
      for await (const event of conversation.ask({ question: 'And now?' })) busy.push(event);
      expect(busy.at(-1)).toMatchObject({ type: 'error', error: { code: 'server-busy', retryAfterSeconds: 7 } });
      const again: EngineEvent[] = [];
      for await (const event of conversation.ask({ question: 'And now?' })) again.push(event);
      expect(done(again).conversation.turn).toBe(2);
    } finally {
      await conversation.dispose();
    }
  });

  it('Stop closes the request mid-answer; the conversation stays as it was', async () => {
    const conversation = new Conversation(server, { image: detailed, policy: 'visionthink' });
    try {
      const controller = new AbortController();
      const stopped: EngineEvent[] = [];
      for await (const event of conversation.ask({ question: 'What colour?', signal: controller.signal })) {
        stopped.push(event);
        if (event.type === 'text') controller.abort();
      }
      expect(stopped.at(-1)).toMatchObject({ type: 'error', error: { code: 'aborted' } });
      expect(conversation.turns).toBe(0);
      const again: EngineEvent[] = [];
      for await (const event of conversation.ask({ question: 'What colour?' })) again.push(event);
      expect(done(again).conversation.turn).toBe(1);
    } finally {
      await conversation.dispose();
    }
  });
});
