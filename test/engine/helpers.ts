/**
 * Shared helpers of the engine integration tests: sample images as real PNG bytes opened through
 * the Node image path, and event-stream collection. No model is mocked anywhere.
 */
import sharp from 'sharp';
import type { EngineEvent, RunResult } from '../../src/engine/events.ts';
import type { ImageSource } from '../../src/engine/image.ts';
import { runVisionThink, type RunRequest } from '../../src/engine/visionthink.ts';
import type { Tensor, VisionModel } from '../../src/engine/vision-model.ts';
import { SharedCache } from '../../src/engine/shared-cache.ts';
import { promptProtocol } from '../../src/engine/prompt-protocols.ts';
import { policyFor } from '../../src/engine/policies.ts';
import { vi } from 'vitest';
import { imageFromBytes } from '../../src/node/sharp-image.ts';
import { renderSample, sampleBmp, type SampleKind } from '../../scripts/samples/test-images.ts';

export { sampleBmp };

export const QUESTION = 'What colour is the picture?';

const pngCache = new Map<string, Promise<Buffer>>();

/** A sample image (see scripts/samples/test-images.ts) encoded as PNG; memoised per file. */
export function samplePng(kind: SampleKind, colour: string, width: number, height: number): Promise<Buffer> {
  const key = `${kind}-${colour}-${width}x${height}`;
  let png = pngCache.get(key);
  if (!png) {
    const image = renderSample(kind, colour, width, height);
    png = sharp(image.data, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer();
    pngCache.set(key, png);
  }
  return png;
}

/** A sample image opened exactly as the CLI opens a file: PNG bytes through sharp. */
export async function sampleImage(
  kind: SampleKind,
  colour: string,
  width: number,
  height: number,
): Promise<ImageSource> {
  return imageFromBytes(await samplePng(kind, colour, width, height));
}

/**
 * Records every tensor the model puts in a cache (each step's new keys, values and states) from
 * now on; `alive()` lists those not disposed yet. Restored by `vi.restoreAllMocks()`.
 */
export function trackCacheTensors(): { alive: () => Tensor[]; count: () => number } {
  const seen = new Set<Tensor>();
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the cache as `this` below
  const update = SharedCache.prototype.update;
  vi.spyOn(SharedCache.prototype, 'update').mockImplementation(function (this: SharedCache, entries) {
    for (const tensor of Object.values(entries)) seen.add(tensor);
    update.call(this, entries);
  });
  return {
    alive: () => [...seen].filter((tensor) => tensor.location !== 'none'),
    count: () => seen.size,
  };
}

/**
 * Computes the model's prompt prefix for `policy` unless it is cached already, and returns its
 * length: every later first question prefills all of its prompt but these tokens.
 */
export async function warmPrefix(model: VisionModel, policy = 'visionthink'): Promise<number> {
  return (await model.promptPrefix(promptProtocol(policyFor(policy), model).prefix())).ids.length;
}

/** Runs a question to its end and returns every event, in order. */
export async function collectEvents(model: VisionModel, request: RunRequest): Promise<EngineEvent[]> {
  const events: EngineEvent[] = [];
  for await (const event of runVisionThink(model, request)) events.push(event);
  return events;
}

/** The result of a run that must succeed (fails the test with the run's error otherwise). */
export function resultOf(events: EngineEvent[]): RunResult {
  const last = events.at(-1);
  if (last?.type !== 'done') {
    throw new Error(`The run did not finish: ${JSON.stringify(last)}`);
  }
  return last.result;
}

/** The run's error event (fails the test unless the stream ends with exactly one error and no done). */
export function errorOf(events: EngineEvent[]): { code: string; message: string } {
  const errors = events.filter((event) => event.type === 'error');
  const last = events.at(-1);
  if (errors.length !== 1 || last?.type !== 'error' || events.some((event) => event.type === 'done')) {
    throw new Error(
      `Expected the run to end with exactly one error event: ${JSON.stringify(events.map((e) => e.type))}`,
    );
  }
  return last.error;
}

/** Occurrences of `needle` in `text`. */
export function countOccurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

export const IMAGE_PAD = '<|image_pad|>';
export const IM_END = '<|im_end|>';

/** What the generated test model writes (see scripts/model/test-model.ts). */
export const outputs = {
  answer: (thought: string, colour: string): string => `<think>${thought}</think><answer>${colour}</answer>`,
  toolCall: (thought: string, body: string): string => `<think>${thought}</think><tool_call>${body}</tool_call>`,
};

/** One image of an ICO file, with the size and bit depth its directory entry gives. */
export interface IconImage {
  width: number;
  height: number;
  bitCount: number;
  data: Uint8Array;
}

/**
 * RGBA pixels as an icon image in DIB form: a BITMAPINFOHEADER whose height counts the colour
 * rows and the AND mask, 32-bit BGRA rows bottom-up, then the mask (a set bit is transparent).
 */
export function dibIconImage(
  width: number,
  height: number,
  rgba: Uint8Array,
  transparent: (x: number, y: number) => boolean = () => false,
): IconImage {
  const header = Buffer.alloc(40);
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(width, 4);
  header.writeInt32LE(2 * height, 8);
  header.writeUInt16LE(1, 12);
  header.writeUInt16LE(32, 14);
  const colour = Buffer.alloc(width * height * 4);
  const maskStride = Math.ceil(width / 32) * 4;
  const mask = Buffer.alloc(maskStride * height);
  for (let y = 0; y < height; y++) {
    const row = height - 1 - y;
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      colour.set([rgba[i + 2] ?? 0, rgba[i + 1] ?? 0, rgba[i] ?? 0, rgba[i + 3] ?? 0], (row * width + x) * 4);
      if (transparent(x, y)) {
        const at = row * maskStride + (x >> 3);
        mask.writeUInt8(mask.readUInt8(at) | (0x80 >> (x & 7)), at);
      }
    }
  }
  return { width, height, bitCount: 32, data: Buffer.concat([header, colour, mask]) };
}

/** A sample image as an opaque DIB icon image (sides up to 256, as the ICO directory allows). */
export function sampleIconImage(kind: SampleKind, colour: string, width: number, height: number): IconImage {
  const { data } = renderSample(kind, colour, width, height);
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++)
    rgba.set([data[i * 3] ?? 0, data[i * 3 + 1] ?? 0, data[i * 3 + 2] ?? 0, 255], i * 4);
  return dibIconImage(width, height, rgba);
}

/** An ICO file of `images`, in that order; a side of 256 is written as 0, as the format says. */
export function icoFile(images: IconImage[]): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  let offset = 6 + 16 * images.length;
  const entries = images.map((image) => {
    const entry = Buffer.alloc(16);
    entry[0] = image.width % 256;
    entry[1] = image.height % 256;
    entry.writeUInt16LE(1, 4);
    entry.writeUInt16LE(image.bitCount, 6);
    entry.writeUInt32LE(image.data.length, 8);
    entry.writeUInt32LE(offset, 12);
    offset += image.data.length;
    return entry;
  });
  return Buffer.concat([header, ...entries, ...images.map((image) => image.data)]);
}
