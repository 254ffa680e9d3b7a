/**
 * Bad images, questions, options and model folders: each ends in a typed EngineError with a
 * stable code and a message a person can act on, quickly, and errors inside a run arrive as the
 * run's `error` event rather than as a rejection. Also which image formats open: the web app's,
 * with BMP and ICO giving the same pixels as a PNG.
 */
import { cp, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineError, ModelLoadError } from '../../src/engine/errors.ts';
import type { ImageSource } from '../../src/engine/image.ts';
import { askVisionThink, type RunRequest } from '../../src/engine/visionthink.ts';
import type { VisionModel } from '../../src/engine/vision-model.ts';
import { bmpHeader } from '../../scripts/samples/test-images.ts';
import { loadModelForNode } from '../../src/node/load-model.ts';
import { TEST_MODEL_DIR } from '../../src/node/paths.ts';
import { imageFromBytes } from '../../src/node/sharp-image.ts';
import {
  QUESTION,
  collectEvents,
  dibIconImage,
  errorOf,
  icoFile,
  sampleBmp,
  sampleIconImage,
  samplePng,
  sampleImage,
} from './helpers.ts';

let model: VisionModel;
let scratch: string;

beforeAll(async () => {
  model = await loadModelForNode();
  scratch = await mkdtemp(join(tmpdir(), 'visionthink-bad-input-'));
});

afterAll(async () => {
  await model.dispose();
  await rm(scratch, { recursive: true, force: true });
});

/** The EngineError `promise` rejects with (fails the test if it resolves or rejects otherwise). */
async function rejection(promise: Promise<unknown>): Promise<EngineError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof EngineError)) throw new Error(`Expected an EngineError, got ${String(error)}`);
  return error;
}

/** An image the engine must refuse before reading a pixel. */
function sizeOnly(width: number, height: number): ImageSource {
  return {
    width,
    height,
    resize: () => Promise.reject(new Error('no pixel may be read')),
  };
}

/** A PNG chunk: length, type, data, CRC-32 of type and data. */
function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A tiny, well-formed PNG whose header claims `width` × `height` RGB pixels. */
function claimedPng(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    // A few rows of zeros: decoding would need width × height × 3 bytes.
    pngChunk('IDAT', deflateSync(Buffer.alloc(4 * (1 + 3 * 1024)))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A BMP header (BITMAPINFOHEADER, 24-bit) claiming `width` × `height`, with no pixels after it. */
const claimedBmp = (width: number, height: number): Buffer => bmpHeader(width, height);

/** Runs `request` to its end; the run must end with a single error event, which is returned. */
async function runError(request: RunRequest) {
  const events = await collectEvents(model, request);
  return { error: errorOf(events), events };
}

describe('images', () => {
  it('text bytes are not an image', async () => {
    const error = await rejection(
      imageFromBytes(new TextEncoder().encode('Dear reader, this is a letter, not a picture.')),
    );
    expect(error.code).toBe('invalid-image');
    expect(error.message).toContain('not an image that can be read');
    expect(error.message).toContain('PNG, JPEG');
  });

  it('empty bytes', async () => {
    const error = await rejection(imageFromBytes(new Uint8Array(0)));
    expect(error.code).toBe('invalid-image');
    expect(error.message).toContain('empty');
  });

  it('a PNG cut off after its header opens, then the run fails with invalid-image when it decodes', async () => {
    const png = await samplePng('plain', 'red', 448, 336);
    const image = await imageFromBytes(png.subarray(0, Math.floor(png.length / 2)));
    expect([image.width, image.height]).toEqual([448, 336]);

    const { error, events } = await runError({ image, question: QUESTION });
    expect(error.code).toBe('invalid-image');
    expect(error.message).toContain('corrupt or incomplete');
    expect(events.map((event) => event.type)).toEqual(['plan', 'round', 'error']);
  });

  it.each([
    [0, 336],
    [448, 0],
    [Number.NaN, 336],
  ])('a %s × %s image is refused by the run as image-too-small', async (width, height) => {
    const { error, events } = await runError({ image: sizeOnly(width, height), question: QUESTION });
    expect(error.code).toBe('image-too-small');
    expect(error.message).toContain('The image is empty');
    expect(events).toHaveLength(1);
  });

  it('an aspect ratio over 200:1 is refused when the file is opened and by the run', async () => {
    const png = await sharp({ create: { width: 2010, height: 10, channels: 3, background: '#00ff00' } })
      .png()
      .toBuffer();
    const opened = await rejection(imageFromBytes(png));
    expect(opened.code).toBe('aspect-ratio');
    expect(opened.message).toContain('2010×10');
    expect(opened.message).toContain('201:1');

    const { error } = await runError({ image: sizeOnly(10, 2010), question: QUESTION });
    expect(error.code).toBe('aspect-ratio');
    expect(error.message).toContain('too long and thin');
  });

  it.each([
    [60_000, 60_000, 'per side'],
    // Sides within the limit, 400 megapixels in all.
    [20_000, 20_000, 'megapixels'],
  ])(
    'a decompression bomb claiming %s × %s is refused from its header, without decoding',
    async (width, height, limit) => {
      const bomb = claimedPng(width, height);
      expect(bomb.length).toBeLessThan(200);
      const started = performance.now();
      const error = await rejection(imageFromBytes(bomb));
      expect(performance.now() - started).toBeLessThan(1000);
      expect(error.code).toBe('image-too-large');
      expect(error.message).toContain(`too large to process (${width}×${height} pixels)`);
      expect(error.message).toContain(limit);
    },
  );

  it.each([
    [60_000, 60_000, 'per side'],
    [20_000, 20_000, 'megapixels'],
  ])('a BMP header claiming %s × %s is refused before decoding', async (width, height, limit) => {
    const started = performance.now();
    const error = await rejection(imageFromBytes(claimedBmp(width, height)));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error.code).toBe('image-too-large');
    expect(error.message).toContain(`too large to process (${width}×${height} pixels)`);
    expect(error.message).toContain(limit);
  });
});

describe('image formats', () => {
  /** The pixels the model would see of `bytes` at 224 × 168. */
  async function seen(bytes: Uint8Array | Promise<Uint8Array>): Promise<number[]> {
    const image = await imageFromBytes(await bytes);
    return Array.from((await image.resize(224, 168, 1)).data);
  }

  it.each([
    [
      'TIFF',
      () =>
        sharp({ create: { width: 8, height: 6, channels: 3, background: '#ff0000' } })
          .tiff()
          .toBuffer(),
    ],
    ['SVG', () => Promise.resolve(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="6"/>'))],
  ])('a %s image is refused, naming the formats that are read and why', async (name, bytes) => {
    const error = await rejection(imageFromBytes(await bytes()));
    expect(error.code).toBe('invalid-image');
    expect(error.message).toBe(
      `${name} images are not supported: use PNG, JPEG, WebP, GIF, AVIF, BMP or ICO (the formats the web app can read, so the command line and the app see the same pixels).`,
    );
  });

  it('a BMP gives the pixels of the same PNG', async () => {
    const image = await imageFromBytes(sampleBmp('detailed', 'green', 448, 336));
    expect([image.width, image.height]).toEqual([448, 336]);
    expect(await seen(sampleBmp('detailed', 'green', 448, 336))).toEqual(
      await seen(samplePng('detailed', 'green', 448, 336)),
    );
  });

  it('an ICO gives the pixels of its largest image, a DIB or a PNG, as the same PNG', async () => {
    const png = await seen(samplePng('detailed', 'blue', 256, 192));
    const decoy = sampleIconImage('plain', 'magenta', 48, 48);
    const dib = icoFile([decoy, sampleIconImage('detailed', 'blue', 256, 192)]);
    const embedded = icoFile([
      { width: 256, height: 192, bitCount: 32, data: await samplePng('detailed', 'blue', 256, 192) },
      decoy,
    ]);
    expect(await seen(dib)).toEqual(png);
    expect(await seen(embedded)).toEqual(png);
  });

  it('an ICO image of 32 bits without alpha is drawn with its mask, as browsers draw it', async () => {
    // Red everywhere, alpha 0 everywhere; the mask makes the left half transparent.
    const rgba = new Uint8Array(64 * 48 * 4);
    for (let i = 0; i < 64 * 48; i++) rgba.set([255, 0, 0, 0], i * 4);
    const image = await imageFromBytes(icoFile([dibIconImage(64, 48, rgba, (x) => x < 32)]));
    const { data } = await image.resize(64, 48, 1);
    const pixel = (x: number, y: number): number[] => Array.from(data.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3));
    expect(pixel(5, 5)).toEqual([255, 255, 255]);
    expect(pixel(60, 40)).toEqual([255, 0, 0]);
  });

  it('an ICO whose image is larger than its directory says is refused before decoding', async () => {
    const error = await rejection(
      imageFromBytes(icoFile([{ width: 256, height: 256, bitCount: 32, data: claimedPng(60_000, 60_000) }])),
    );
    expect(error.code).toBe('invalid-image');
    expect(error.message).toContain('corrupt or incomplete');
  });

  it('a BMP cut off after its header opens, then the run fails with invalid-image when it decodes', async () => {
    const bmp = sampleBmp('plain', 'red', 448, 336);
    const image = await imageFromBytes(bmp.subarray(0, Math.floor(bmp.length / 2)));
    expect([image.width, image.height]).toEqual([448, 336]);
    const { error } = await runError({ image, question: QUESTION });
    expect(error.code).toBe('invalid-image');
    expect(error.message).toContain('corrupt or incomplete');
  });
});

describe('questions and options, inside a run', () => {
  let image: ImageSource;
  beforeAll(async () => {
    image = await sampleImage('plain', 'red', 448, 336);
  });

  it.each(['', '   \n\t  '])('an empty question %j', async (question) => {
    const { error, events } = await runError({ image, question });
    expect(error).toEqual({ code: 'empty-question', message: 'Please type a question about the image.' });
    expect(events).toHaveLength(1);
  });

  it('a question longer than the limit', async () => {
    const { error } = await runError({ image, question: 'why '.repeat(1001) });
    expect(error.code).toBe('invalid-option');
    expect(error.message).toContain('The question is too long (4003 characters; the limit is 4000)');
  });

  it('an unknown policy', async () => {
    const { error, events } = await runError({ image, question: QUESTION, policy: 'sharpest' });
    expect(error.code).toBe('invalid-option');
    expect(error.message).toBe(
      'Unknown policy "sharpest". Choose one of: visionthink, confidence, low-only, full-only.',
    );
    expect(events).toHaveLength(1);
  });

  it.each([0, 1.5, -3, Number.NaN])('a visual-token budget of %s', async (maxVisualTokens) => {
    const { error } = await runError({ image, question: QUESTION, maxVisualTokens });
    expect(error.code).toBe('invalid-option');
    expect(error.message).toContain('The visual-token budget must be a whole number of at least 1');
  });

  it('an answer length limit of 0', async () => {
    const { error } = await runError({ image, question: QUESTION, maxNewTokens: 0 });
    expect(error.code).toBe('invalid-option');
    expect(error.message).toContain('answer length limit must be a positive whole number');
  });

  it('askVisionThink rejects with the run error as an EngineError', async () => {
    const error = await rejection(askVisionThink(model, { image, question: ' ' }));
    expect(error.code).toBe('empty-question');
    expect(error.message).toBe('Please type a question about the image.');
  });
});

describe('model folders', () => {
  /** A copy of the test model with `damage` applied. */
  async function damagedCopy(name: string, damage: (dir: string) => Promise<void>): Promise<string> {
    const dir = join(scratch, name);
    await cp(TEST_MODEL_DIR, dir, { recursive: true });
    await damage(dir);
    return dir;
  }

  it.each([
    'tokenizer.json',
    'config.json',
    'preprocessor_config.json',
    'onnx/decoder_model_merged.onnx',
    'onnx/vision_encoder.onnx',
  ])('without %s: model-missing, naming the file', async (file) => {
    const dir = await damagedCopy(`missing-${file.replace('/', '-')}`, (d) => rm(join(d, file)));
    const error = await rejection(loadModelForNode(dir));
    expect(error).toBeInstanceOf(ModelLoadError);
    expect(error.code).toBe('model-missing');
    expect(error.message).toContain('a required file is missing');
    expect(error.message).toContain(file);
  });

  it.each([
    ['a truncated decoder', 'onnx/decoder_model_merged.onnx', (path: string) => truncate(path, 1000)],
    ['a truncated vision encoder', 'onnx/vision_encoder.onnx', (path: string) => truncate(path, 100)],
    ['config.json that is not JSON', 'config.json', (path: string) => writeFile(path, '{ "model_type": ')],
    ['tokenizer.json that is not JSON', 'tokenizer.json', (path: string) => writeFile(path, 'not json at all')],
  ])('%s: model-invalid', async (label, file, damage) => {
    const dir = await damagedCopy(label.replaceAll(' ', '-'), (d) => damage(join(d, file)));
    const error = await rejection(loadModelForNode(dir));
    expect(error).toBeInstanceOf(ModelLoadError);
    expect(error.code).toBe('model-invalid');
    expect(error.message).toContain('is damaged or not in the expected format');
  });

  it('a preprocessor config without merge_size: model-invalid, naming the setting', async () => {
    const dir = await damagedCopy('no-merge-size', async (d) => {
      const path = join(d, 'preprocessor_config.json');
      const config = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
      delete config.merge_size;
      await writeFile(path, JSON.stringify(config));
    });
    const error = await rejection(loadModelForNode(dir));
    expect(error.code).toBe('model-invalid');
    expect(error.message).toContain('merge_size');
  });

  it('a folder that does not exist: model-missing', async () => {
    const path = join(scratch, 'no-such-model');
    const error = await rejection(loadModelForNode(path));
    expect(error.code).toBe('model-missing');
    expect(error.message).toContain(`There is no model folder at ${path}`);
  });
});
