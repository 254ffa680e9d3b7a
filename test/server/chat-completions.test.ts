/**
 * The peer answers as vLLM's OpenAI server does, with the engine's own answers: the model list,
 * the streamed chunks in vLLM's order and shapes, the whole completion, usage, and
 * log-probabilities equal to ln(p) of the engine run directly on the same prompt. The prompt it
 * renders from VisionThink's round-1 messages is exactly the one the local loop builds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatMessages } from '../../src/engine/protocol.ts';
import type { VisionModel } from '../../src/engine/vision-model.ts';
import { loadModelForNode } from '../../src/node/load-model.ts';
import { encodePrompt } from '../../src/node/openai-peer/chat-handler.ts';
import { parseChatRequest } from '../../src/node/openai-peer/chat-request.ts';
import { startPeer, type Peer } from '../../src/node/openai-peer/server.ts';
import { THOUGHTS, TOOL_CALL_BODY } from '../../scripts/model/test-model.ts';
import { IM_END, QUESTION, outputs, sampleImage } from '../engine/helpers.ts';
import {
  okJson,
  pngDataUrl,
  postChat,
  readEvents,
  visionThinkRound1,
  type Chunk,
  type Completion,
} from './peer-helpers.ts';

let model: VisionModel;
let peer: Peer;
let detailedUrl: string;

beforeAll(async () => {
  model = await loadModelForNode('visionthink-test');
  peer = await startPeer({ model, port: 0, servedModelName: 'visionthink-test' });
  detailedUrl = await pngDataUrl('detailed', 'green', 224, 168);
});

afterAll(async () => {
  await peer.close();
  await model.dispose();
});

/** The engine run directly: the rendered prompt on a fresh cache, greedy, as the peer runs it. */
async function runEngine(question: string) {
  const image = await sampleImage('detailed', 'green', 224, 168);
  const turn = await model.encodeTurn(model.renderChat(chatMessages(question)), await image.resize(224, 168, 1));
  if (!turn.image) throw new Error('the turn carries an image');
  const cache = model.newCache();
  try {
    return {
      promptTokens: turn.ids.length,
      ...(await model.generate({
        ids: turn.ids,
        pixelValues: turn.image.pixelValues,
        grids: [turn.image.grid],
        cache,
        maxNewTokens: 100,
        signal: undefined,
        onPhase: () => undefined,
        onToken: () => undefined,
      })),
    };
  } finally {
    await cache.dispose();
  }
}

describe('the VisionThink peer', () => {
  it('lists its model as vLLM does', async () => {
    const list = await okJson<{ object: string; data: Record<string, unknown>[] }>(await fetch(`${peer.url}/models`));
    expect(list.object).toBe('list');
    expect(list.data).toHaveLength(1);
    expect(list.data[0]).toMatchObject({
      id: 'visionthink-test',
      object: 'model',
      owned_by: 'vllm',
      max_model_len: 32768,
      parent: null,
    });
    expect(typeof list.data[0]?.created).toBe('number');
  });

  it("renders VisionThink's round-1 messages exactly as the local loop builds the turn", async () => {
    const request = parseChatRequest({ messages: visionThinkRound1(QUESTION, detailedUrl) });
    const prompt = await encodePrompt(model, request);
    const text = model.renderChat(chatMessages(QUESTION));
    expect(prompt.text).toBe(text);
    const image = await sampleImage('detailed', 'green', 224, 168);
    const local = await model.encodeTurn(text, await image.resize(224, 168, 1));
    expect(prompt.ids).toEqual(local.ids);
    expect(prompt.images).toHaveLength(1);
    expect(prompt.images[0]?.grid).toEqual(local.image?.grid);
    expect(Array.from(prompt.images[0]?.pixelValues.data as Float32Array)).toEqual(
      Array.from(local.image?.pixelValues.data as Float32Array),
    );
    // 224 × 168 is 8 × 6 blocks of 28 px: 48 visual tokens.
    expect((prompt.images[0]?.end ?? 0) - (prompt.images[0]?.start ?? 0)).toBe(48);
  });

  it('streams the chunks in vLLM’s order, with the tokens and log-probabilities of the engine run directly', async () => {
    await fetch(`${peer.url.replace(/\/v1$/, '')}/reset_prefix_cache`, { method: 'POST' });
    const response = await postChat(peer.url, {
      model: 'visionthink-test',
      messages: visionThinkRound1(QUESTION, detailedUrl),
      stream: true,
      stream_options: { include_usage: true },
      logprobs: true,
      temperature: 0,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const events = await readEvents(response);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1) as Chunk[];
    const [first, ...rest] = chunks;
    const usageChunk = rest.pop();
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(
      chunks.every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.model === 'visionthink-test'),
    ).toBe(true);
    expect(first?.choices).toEqual([
      { index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
    ]);
    // One chunk per generated token; only the last says why it ended.
    expect(rest.map((chunk) => chunk.choices[0]?.finish_reason)).toEqual([...rest.slice(1).map(() => null), 'stop']);
    expect(rest.at(-1)?.choices[0]?.stop_reason).toBeNull();
    const text = rest.map((chunk) => chunk.choices[0]?.delta.content).join('');
    expect(text).toBe(outputs.toolCall(THOUGHTS.detailed, TOOL_CALL_BODY));

    const direct = await runEngine(QUESTION);
    const logprobs = rest.flatMap((chunk) => chunk.choices[0]?.logprobs?.content ?? []);
    expect(logprobs.map((entry) => entry.token)).toEqual(direct.generated.map((id) => model.decode([id], false)));
    expect(logprobs.at(-1)?.token).toBe(IM_END);
    expect(logprobs.map((entry) => entry.logprob)).toEqual(direct.probabilities.map((p) => Math.log(p)));
    expect(logprobs.every((entry) => entry.top_logprobs.length === 0)).toBe(true);
    expect(logprobs[1]?.bytes).toEqual([...Buffer.from(THOUGHTS.detailed)]);

    expect(usageChunk?.choices).toEqual([]);
    expect(usageChunk?.usage).toEqual({
      prompt_tokens: direct.promptTokens,
      completion_tokens: direct.generated.length,
      total_tokens: direct.promptTokens + direct.generated.length,
      prompt_tokens_details: { cached_tokens: 0, multimodal_tokens: { image: 48 } },
    });
  });

  it('lists the chosen token as the most likely one when asked for top_logprobs 1', async () => {
    // The body the server backend sends (src/engine/server/openai-client.ts).
    const events = await readEvents(
      await postChat(peer.url, {
        temperature: 0,
        max_tokens: 64,
        logprobs: true,
        top_logprobs: 1,
        model: 'visionthink-test',
        messages: visionThinkRound1(QUESTION, detailedUrl),
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    const entries = (events.slice(1, -2) as Chunk[]).flatMap((chunk) => chunk.choices[0]?.logprobs?.content ?? []);
    expect(entries).toHaveLength(7);
    for (const { top_logprobs: top, ...entry } of entries) expect(top).toEqual([entry]);
  });

  it('answers without streaming with the same text and usage', async () => {
    const completion = await okJson<Completion>(
      await postChat(peer.url, { messages: visionThinkRound1('Which colour?', detailedUrl), max_tokens: 100 }),
    );
    expect(completion.object).toBe('chat.completion');
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]?.message).toMatchObject({
      role: 'assistant',
      content: outputs.toolCall(THOUGHTS.detailed, TOOL_CALL_BODY),
    });
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.choices[0]?.logprobs).toBeNull();
    const direct = await runEngine('Which colour?');
    expect(completion.usage.prompt_tokens).toBe(direct.promptTokens);
    expect(completion.usage.completion_tokens).toBe(direct.generated.length);
    expect(completion.usage.total_tokens).toBe(direct.promptTokens + direct.generated.length);
  });

  it('stops at max_tokens with finish_reason "length", counting every token it generated', async () => {
    const completion = await okJson<Completion>(
      await postChat(peer.url, { messages: [{ role: 'user', content: 'Hello' }], max_completion_tokens: 2 }),
    );
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.usage.completion_tokens).toBe(2);
  });
});
