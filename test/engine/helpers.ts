/**
 * Shared helpers of the engine integration tests: sample images as real PNG bytes opened through
 * the Node image path, and event-stream collection. No model is mocked anywhere.
 */
import sharp from 'sharp';
import type { EngineEvent, RunResult } from '../../src/engine/events.ts';
import type { ImageSource } from '../../src/engine/image.ts';
import { runVisionThink, type RunRequest } from '../../src/engine/visionthink.ts';
import type { VisionModel } from '../../src/engine/vision-model.ts';
import { imageFromBytes } from '../../src/node/sharp-image.ts';
import { renderSample, type SampleKind } from '../../scripts/samples/test-images.ts';

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
