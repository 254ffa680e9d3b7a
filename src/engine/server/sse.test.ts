import { describe, expect, it } from 'vitest';
import { readSse, type SseMessage } from './sse.ts';

function body(pieces: (string | Uint8Array)[]): { stream: ReadableStream<Uint8Array>; cancelled: () => boolean } {
  let cancelled = false;
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const piece = pieces.shift();
      if (piece === undefined) controller.close();
      else controller.enqueue(typeof piece === 'string' ? encoder.encode(piece) : piece);
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled };
}

async function all(stream: ReadableStream<Uint8Array>): Promise<SseMessage[]> {
  const messages: SseMessage[] = [];
  for await (const message of readSse(stream)) messages.push(message);
  return messages;
}

describe('readSse', () => {
  it('frames events split anywhere across reads, with either line ending', async () => {
    const { stream } = body(['da', 'ta: {"a"', ':1}\n', '\ndata: {"b":2}\r\n\r', '\n: keep-alive\n\ndata: [DONE]\n\n']);
    expect(await all(stream)).toEqual([
      { kind: 'data', data: '{"a":1}' },
      { kind: 'data', data: '{"b":2}' },
      { kind: 'data', data: '[DONE]' },
    ]);
  });

  it('keeps a multi-byte character split between reads whole', async () => {
    const bytes = new TextEncoder().encode('data: "色"\n\n');
    const { stream } = body([bytes.slice(0, 8), bytes.slice(8)]);
    expect(await all(stream)).toEqual([{ kind: 'data', data: '"色"' }]);
  });

  it('drops an event cut off before its blank line', async () => {
    const { stream } = body(['data: {"a":1}\n\ndata: {"b"']);
    expect(await all(stream)).toEqual([{ kind: 'data', data: '{"a":1}' }]);
  });

  it("reports llama.cpp's legacy error: line", async () => {
    const { stream } = body(['error: {"code":500,"message":"boom"}\n\n']);
    expect(await all(stream)).toEqual([{ kind: 'error-field', value: '{"code":500,"message":"boom"}' }]);
  });

  it('cancels the body when the reader stops early', async () => {
    const { stream, cancelled } = body(['data: 1\n\n', 'data: 2\n\n', 'data: 3\n\n']);
    for await (const message of readSse(stream)) {
      expect(message).toEqual({ kind: 'data', data: '1' });
      break;
    }
    expect(cancelled()).toBe(true);
  });
});
