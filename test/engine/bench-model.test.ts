/**
 * The bench model (scripts/model/bench-model.ts), tiny preset: it loads through the real engine
 * like any model folder and runs a question end to end; its vision encoder keeps the images of one
 * call apart (as the engine's re-prefill needs), and its decoder's logits stay finite over a long
 * prompt and a continued cache. The sessions are run directly with onnxruntime-node for the latter.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VisionModel } from '../../src/engine/vision-model.ts';
import { askVisionThink } from '../../src/engine/visionthink.ts';
import { BENCH_PRESETS, buildBenchModel } from '../../scripts/model/bench-model.ts';
import { writeModel } from '../../scripts/model/write-model.ts';
import { QUESTION, sampleImage } from './helpers.ts';

const files = buildBenchModel('tiny');
const { hidden, layers, heads } = BENCH_PRESETS.tiny.decoder;
const PATCH_VALUES = 3 * 2 * 14 * 14;

const session = (name: string): Promise<ort.InferenceSession> =>
  ort.InferenceSession.create(files[`onnx/${name}.onnx`] as Uint8Array);

/** Deterministic values in [-1, 1). */
function noise(length: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  });
}

const allFinite = (values: Float32Array): boolean => values.every(Number.isFinite);

describe('the tiny bench model in the engine', () => {
  let dir: string;
  let model: VisionModel;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'visionthink-bench-'));
    await writeModel(dir, files);
    model = await VisionModel.load(dir, { device: 'cpu', localFilesOnly: true });
  });

  afterAll(async () => {
    await model.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers at full resolution with the visual tokens of the full image', async () => {
    const image = await sampleImage('detailed', 'red', 448, 336);
    const result = await askVisionThink(model, { image, question: QUESTION, policy: 'full-only', maxNewTokens: 4 });
    const [first] = result.rounds;
    // 448 × 336 is 16 × 12 blocks of 28 px (patch 14, merge 2): 192 visual tokens.
    expect(first).toMatchObject({ image: { width: 448, height: 336, resolution: 'full' }, visualTokens: 192 });
    expect(first?.promptTokens).toBeGreaterThan(192);
    expect(first?.generatedTokens).toBeGreaterThan(0);
    expect(first?.generatedTokens).toBeLessThanOrEqual(4);
    // The full-only policy never shows a second image, whatever the random model writes.
    expect(result.visualTokens).toEqual({ used: 192, fullResolution: 192, saved: 0 });
  });
});

describe('the tiny bench model sessions', () => {
  it('encodes each image of a two-image call as it encodes it alone', async () => {
    const encoder = await session('vision_encoder');
    const encode = async (pixels: Float32Array, grids: number[][]): Promise<Float32Array> => {
      const { image_features } = await encoder.run({
        pixel_values: new ort.Tensor('float32', pixels, [pixels.length / PATCH_VALUES, PATCH_VALUES]),
        grid_thw: new ort.Tensor('int64', BigInt64Array.from(grids.flat().map(BigInt)), [grids.length, 3]),
      });
      return image_features?.data as Float32Array;
    };
    // 16 patches (4 visual tokens) and 12 patches (3 visual tokens).
    const first = noise(16 * PATCH_VALUES, 1);
    const second = noise(12 * PATCH_VALUES, 2);
    const both = new Float32Array([...first, ...second]);
    const alone = [...(await encode(first, [[1, 4, 4]])), ...(await encode(second, [[1, 2, 6]]))];
    const together = await encode(both, [
      [1, 4, 4],
      [1, 2, 6],
    ]);
    expect(together).toHaveLength(7 * hidden);
    expect(allFinite(together)).toBe(true);
    together.forEach((value, i) => {
      expect(value).toBeCloseTo(alone[i] as number, 4);
    });
    // The same 28 patches as one image attend across the boundary: the features change.
    const merged = await encode(both, [[1, 4, 7]]);
    expect(merged.some((value, i) => Math.abs(value - (alone[i] as number)) > 1e-3)).toBe(true);
    await encoder.release();
  });

  it('gives finite logits over a 2,100-token prompt and a continued cache', async () => {
    const decoder = await session('decoder_model_merged');
    const headDim = hidden / heads;
    const emptyCache: Record<string, ort.Tensor> = {};
    for (let i = 0; i < layers; i++) {
      for (const kind of ['key', 'value']) {
        emptyCache[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [
          1,
          heads,
          0,
          headDim,
        ]);
      }
    }
    const step = async (length: number, past: Record<string, ort.Tensor>, pastLength: number, seed: number) => {
      const positions = BigInt64Array.from({ length: 3 * length }, (_, i) => BigInt(pastLength + (i % length)));
      const outputs = await decoder.run({
        inputs_embeds: new ort.Tensor('float32', noise(length * hidden, seed), [1, length, hidden]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(pastLength + length).fill(1n), [
          1,
          pastLength + length,
        ]),
        position_ids: new ort.Tensor('int64', positions, [3, 1, length]),
        ...past,
      });
      const present = Object.fromEntries(
        Object.entries(outputs).flatMap(([name, tensor]) =>
          name.startsWith('present.') ? [[name.replace('present.', 'past_key_values.'), tensor]] : [],
        ),
      );
      return { logits: outputs.logits?.data as Float32Array, present };
    };
    const prompt = await step(2100, emptyCache, 0, 3);
    expect(allFinite(prompt.logits)).toBe(true);
    const next = await step(40, prompt.present, 2100, 4);
    expect(allFinite(next.logits)).toBe(true);
    await decoder.release();
  });
});
