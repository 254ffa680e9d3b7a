import { describe, expect, it } from 'vitest';
import { readChunk } from './chat-chunk.ts';

const chunk = (choice: object, extra: object = {}) =>
  JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [choice], ...extra });

describe('readChunk', () => {
  it('reads a content delta', () => {
    expect(readChunk(chunk({ index: 0, delta: { content: 'Hel' }, logprobs: null, finish_reason: null }))).toEqual({
      kind: 'chunk',
      text: 'Hel',
      tokens: null,
      finishReason: null,
      usage: null,
    });
  });

  it('treats absent, null and empty content alike (the role-only first chunk of each server)', () => {
    for (const delta of [
      { role: 'assistant' },
      { role: 'assistant', content: null },
      { role: 'assistant', content: '' },
    ]) {
      expect(readChunk(chunk({ index: 0, delta, finish_reason: null }))).toMatchObject({ text: '', tokens: null });
    }
  });

  it('reads log-probabilities, ignoring bytes and alternatives', () => {
    const logprobs = {
      content: [
        {
          id: 1,
          token: ' the',
          bytes: [32, 116, 104, 101],
          logprob: -0.25,
          top_logprobs: [{ token: ' a', logprob: -2 }],
        },
      ],
    };
    expect(readChunk(chunk({ index: 0, delta: { content: ' the' }, logprobs }))).toMatchObject({
      tokens: [{ text: ' the', logprob: -0.25 }],
    });
    expect(readChunk(chunk({ index: 0, delta: { content: 'x' }, logprobs: { content: null } }))).toMatchObject({
      tokens: null,
    });
  });

  it('reads the finish reason and a usage chunk with its cached tokens or without', () => {
    expect(readChunk(chunk({ index: 0, delta: {}, finish_reason: 'length' }))).toMatchObject({
      finishReason: 'length',
    });
    const usage = { prompt_tokens: 812, completion_tokens: 64, total_tokens: 876 };
    expect(readChunk(JSON.stringify({ choices: [], usage }))).toEqual({
      kind: 'chunk',
      text: '',
      tokens: null,
      finishReason: null,
      usage: { promptTokens: 812, completionTokens: 64, cachedTokens: null },
    });
    const cached = { ...usage, prompt_tokens_details: { cached_tokens: 768 } };
    expect(readChunk(JSON.stringify({ choices: [], usage: cached }))).toMatchObject({
      usage: { promptTokens: 812, completionTokens: 64, cachedTokens: 768 },
    });
    const nullDetails = { ...usage, prompt_tokens_details: null };
    expect(readChunk(JSON.stringify({ choices: [], usage: nullDetails }))).toMatchObject({
      usage: { cachedTokens: null },
    });
  });

  it('passes an error object on', () => {
    const error = { error: { message: 'boom', code: 500 } };
    expect(readChunk(JSON.stringify(error))).toEqual({ kind: 'error', error });
  });

  it.each([
    ['not JSON', 'hello', 'an event is not JSON'],
    ['a JSON array', '[1]', 'an event is not a JSON object'],
    ['no choices', '{"id":"x"}', 'an event has no "choices"'],
    ['content as a list', chunk({ delta: { content: ['a'] } }), '"delta.content" is not text'],
    ['a numeric finish reason', chunk({ delta: {}, finish_reason: 1 }), '"finish_reason" is not text'],
    ['logprobs without numbers', chunk({ delta: {}, logprobs: { content: [{ token: 'a' }] } }), '"logprobs"'],
    ['usage without counts', JSON.stringify({ choices: [], usage: { total_tokens: 3 } }), '"usage"'],
  ])('calls %s malformed', (_name, data, detail) => {
    const reading = readChunk(data);
    expect(reading.kind).toBe('malformed');
    expect(reading.kind === 'malformed' && reading.detail).toContain(detail);
  });
});
