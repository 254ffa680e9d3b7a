/**
 * The peer's prefix cache, as vLLM's automatic prefix caching behaves: a request that extends an
 * earlier conversation prefills only what is new, and says how much it reused in
 * `cached_tokens`; its tokens and log-probabilities are those of a peer that prefills everything.
 * An image with other pixels is never reused, and a request that does not finish (its client went
 * away, or the connection was cut) leaves no tensor behind but those of the caches kept.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { VisionModel } from '../../src/engine/vision-model.ts';
import { loadModelForNode } from '../../src/node/load-model.ts';
import { TEST_MODEL_DIRS } from '../../src/node/paths.ts';
import { startPeer, type Peer } from '../../src/node/openai-peer/server.ts';
import { MODEL_FAMILIES } from '../../scripts/model/family-configs.ts';
import { THOUGHTS, TOOL_CALL_BODY } from '../../scripts/model/test-model.ts';
import { outputs, trackCacheTensors } from '../engine/helpers.ts';
import {
  okJson,
  pngDataUrl,
  postChat,
  visionThinkRound1,
  visionThinkRound2,
  type Completion,
  type Message,
} from './peer-helpers.ts';

const QUESTION = 'What colour is the picture?';

describe.each(MODEL_FAMILIES)('the %s test model behind the peer', (family) => {
  let model: VisionModel;
  let peer: Peer;
  /** The same model behind a peer that prefills every prompt whole: the reference. */
  let fresh: Peer;
  let lowUrl: string;
  let fullUrl: string;

  beforeAll(async () => {
    model = await loadModelForNode(TEST_MODEL_DIRS[family]);
    peer = await startPeer({ model, port: 0, servedModelName: 'test' });
    fresh = await startPeer({ model, port: 0, servedModelName: 'test', prefixCaching: false });
    lowUrl = await pngDataUrl('detailed', 'green', 224, 168);
    fullUrl = await pngDataUrl('detailed', 'green', 448, 336);
  });

  afterAll(async () => {
    await peer.close();
    await fresh.close();
    await model.dispose();
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  const ask = async (on: Peer, messages: Message[]) =>
    okJson<Completion>(await postChat(on.url, { messages, logprobs: true, max_tokens: 200 }));

  it('continues a conversation on its cache: round 2 prefills only its own turn', async () => {
    const round1 = visionThinkRound1(QUESTION, lowUrl);
    const first = await ask(peer, round1);
    const reply = first.choices[0]?.message.content ?? '';
    expect(reply).toBe(outputs.toolCall(THOUGHTS.detailed, TOOL_CALL_BODY));
    expect(first.usage.prompt_tokens_details?.cached_tokens).toBe(0);

    const round2 = visionThinkRound2(round1, reply, fullUrl);
    const second = await ask(peer, round2);
    // Everything round 1 ran through the decoder: its prompt and its reply but the last token
    // (<|im_end|>, which the template writes again after the reply).
    expect(second.usage.prompt_tokens_details?.cached_tokens).toBe(
      first.usage.prompt_tokens + first.usage.completion_tokens - 1,
    );
    const reference = await ask(fresh, round2);
    expect(reference.usage.prompt_tokens_details?.cached_tokens).toBe(0);
    expect(second.choices[0]?.message.content).toBe(reference.choices[0]?.message.content);
    expect(second.usage.prompt_tokens).toBe(reference.usage.prompt_tokens);
    expect(second.usage.completion_tokens).toBe(reference.usage.completion_tokens);
    const reused = second.choices[0]?.logprobs?.content ?? [];
    const whole = reference.choices[0]?.logprobs?.content ?? [];
    expect(reused.map((entry) => entry.token)).toEqual(whole.map((entry) => entry.token));
    reused.forEach((entry, i) => {
      expect(entry.logprob).toBeCloseTo(whole[i]?.logprob ?? Number.NaN, 6);
    });
    expect(second.choices[0]?.message.content).toMatch(/^<think>With the full-resolution image/);
  });

  it('reuses nothing past an image whose pixels differ', async () => {
    await ask(peer, visionThinkRound1(QUESTION, lowUrl));
    const other = await pngDataUrl('detailed', 'blue', 224, 168);
    const prompt = await ask(peer, visionThinkRound1(QUESTION, other));
    const reference = await ask(fresh, visionThinkRound1(QUESTION, other));
    const cached = prompt.usage.prompt_tokens_details?.cached_tokens ?? -1;
    if (family === 'qwen2_vl') {
      // Cut right before the image: the system prompt and the user turn up to <|vision_start|>.
      expect(cached).toBeGreaterThan(1000);
      expect(cached).toBeLessThan(prompt.usage.prompt_tokens - 48);
    } else {
      // A linear-attention state cannot be cut: a cache serves only a request that extends all of it.
      expect(cached).toBe(0);
    }
    expect(prompt.choices[0]?.message.content).toBe(reference.choices[0]?.message.content);
    expect(prompt.choices[0]?.logprobs?.content.map((entry) => entry.token)).toEqual(
      reference.choices[0]?.logprobs?.content.map((entry) => entry.token),
    );
  });

  it('asked the same again, reruns at least its last prompt token', async () => {
    const messages = visionThinkRound1('Is it green?', lowUrl);
    const once = await ask(peer, messages);
    const again = await ask(peer, messages);
    // The kept cache holds the prompt and the reply: it is cut back to all of the prompt but its
    // last token where it can be (Qwen2-VL), and cannot serve it otherwise.
    expect(again.usage.prompt_tokens_details?.cached_tokens).toBe(
      family === 'qwen2_vl' ? once.usage.prompt_tokens - 1 : 0,
    );
    expect(again.choices[0]?.logprobs?.content.map((entry) => entry.token)).toEqual(
      once.choices[0]?.logprobs?.content.map((entry) => entry.token),
    );
  });

  it('frees the cache of a request whose client goes away, and of one whose connection is cut', async () => {
    const tensors = trackCacheTensors();
    const before = peer.cachedSequences().map((sequence) => sequence.tokens);

    // The connection is cut after the first token: the generation stops there.
    await fetch(`${peer.url.replace(/\/v1$/, '')}/_peer/inject`, {
      method: 'POST',
      body: JSON.stringify({ failure: 'cut', afterTokens: 1 }),
    });
    const cut = await postChat(peer.url, { messages: visionThinkRound1('Cut me off.', lowUrl), stream: true });
    await expect(cut.text()).rejects.toThrow();

    // The client gives up while a long prompt no cache holds is still being prefilled (in chunks
    // of 8 tokens, each a chance to stop).
    const chunkTokens = model.prefillChunkTokens;
    model.prefillChunkTokens = 8;
    try {
      const client = new AbortController();
      await fetch(`${peer.url}/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'Never mind. '.repeat(150) }], stream: true }),
        signal: client.signal,
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      client.abort();
      // Queued behind it, this one runs once the peer has stopped the other.
      await ask(peer, [{ role: 'user', content: 'Still there?' }]);
    } finally {
      model.prefillChunkTokens = chunkTokens;
    }
    // Neither request kept a cache: only the last one joined those kept before.
    const after = peer.cachedSequences().map((sequence) => sequence.tokens);
    expect(after).toHaveLength(Math.min(before.length + 1, 4));
    expect(after.slice(1).every((tokens) => before.includes(tokens))).toBe(true);
    // Every tensor the requests put in a cache is freed, but those of the caches kept.
    const kept = new Set(peer.cachedSequences().flatMap((sequence) => sequence.tensors));
    expect(tensors.count()).toBeGreaterThan(kept.size);
    expect(tensors.alive().filter((tensor) => !kept.has(tensor))).toEqual([]);
  });
});
