import { describe, expect, it } from 'vitest';
import { TextDeltaStream } from './text-stream.ts';

/** A byte-level "tokenizer": each id is one UTF-8 byte, decoded leniently like the real one. */
const decode = (ids: bigint[]): string => new TextDecoder().decode(Uint8Array.from(ids.map(Number)));
const tokens = (text: string): bigint[] => Array.from(new TextEncoder().encode(text), BigInt);

describe('TextDeltaStream', () => {
  it('emits each piece of text once, in order, concatenating to the whole text', () => {
    const all = tokens('<think>Größe – 色</think>');
    const stream = new TextDeltaStream(decode);
    const deltas: string[] = [];
    for (let i = 1; i <= all.length; i++) deltas.push(stream.push(all.slice(0, i)));
    expect(deltas.join('')).toBe('<think>Größe – 色</think>');
  });

  it('holds back a character until its last byte arrives', () => {
    const all = tokens('色'); // three bytes
    const stream = new TextDeltaStream(decode);
    expect(stream.push(all.slice(0, 1))).toBe('');
    expect(stream.push(all.slice(0, 2))).toBe('');
    expect(stream.push(all)).toBe('色');
  });

  it('decodes only a bounded window per step', () => {
    const all = tokens('a'.repeat(200));
    let decoded = 0;
    const stream = new TextDeltaStream((ids) => {
      decoded += ids.length;
      return decode(ids);
    });
    for (let i = 1; i <= all.length; i++) stream.push(all.slice(0, i));
    expect(decoded).toBeLessThan(4 * all.length);
  });
});
