/**
 * Server-sent events off a fetch body, with eventsource-parser doing the framing (lines split
 * across network reads, `\r\n` or `\n`, comments, multi-line data).
 */
import { createParser } from 'eventsource-parser';

/** One event's payload as the server framed it. */
export type SseMessage =
  | { kind: 'data'; data: string }
  /**
   * An `error:` line. Not an SSE field, but llama.cpp's server sent its in-stream errors that way
   * before it moved them into `data: {"error": …}`; the parser reports it as an unknown field.
   */
  | { kind: 'error-field'; value: string };

/**
 * Yields each event's data in order, as soon as its blank line arrives. Ends when the body ends; an
 * event cut off before its blank line is dropped, as the SSE spec says. Closing the iterator early
 * (`return()`, `break`) cancels the body, so the connection is released.
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const pending: SseMessage[] = [];
  const parser = createParser({
    onEvent: (event) => pending.push({ kind: 'data', data: event.data }),
    onError: (error) => {
      if (error.type === 'unknown-field' && error.field === 'error' && error.value !== undefined) {
        pending.push({ kind: 'error-field', value: error.value });
      }
    },
  });
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        parser.feed(decoder.decode());
      } else {
        parser.feed(decoder.decode(value, { stream: true }));
      }
      while (pending.length > 0) {
        const message = pending.shift();
        if (message) yield message;
      }
      if (finished) return;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
