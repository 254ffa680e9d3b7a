/**
 * The model registry against the models it describes: every family has a generated test model
 * that loads through the registry's own load plan, and the geometry an entry states is the one
 * its preprocessor_config.json gives.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LADDER } from '../../src/engine/device-ladder.ts';
import {
  DEFAULT_MODEL,
  MODEL_FAMILIES,
  MODEL_REGISTRY,
  PRECISION_SUFFIX,
  QWEN2_VL_2B,
  QWEN3_5_0_8B,
  TEST_MODEL,
  fallbackDownloads,
  loadPlan,
} from '../../src/engine/model-registry.ts';
import { QWEN2_VL_CHAT_TEMPLATE } from '../../src/engine/qwen2-vl-chat-template.ts';
import { geometryFromPreprocessorConfig } from '../../src/engine/visual-tokens.ts';
import { askVisionThink } from '../../src/engine/visionthink.ts';
import { loadModelForNode } from '../../src/node/load-model.ts';
import { MODELS_DIR } from '../../src/node/paths.ts';
import { imageFromBytes } from '../../src/node/sharp-image.ts';
import { samplePng } from './helpers.ts';

const bundled = MODEL_REGISTRY.filter((entry) => 'bundled' in entry.source);

describe('the model registry', () => {
  it('has unique ids, the default and the offline test model among its entries', () => {
    const ids = MODEL_REGISTRY.map((entry) => entry.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(MODEL_REGISTRY).toContain(DEFAULT_MODEL);
    expect(MODEL_REGISTRY).toContain(TEST_MODEL);
    expect(MODEL_REGISTRY[0]).toBe(DEFAULT_MODEL);
  });

  it('lists only families with a generated test model, and each family has one in the registry', () => {
    for (const entry of MODEL_REGISTRY) expect(MODEL_FAMILIES).toContain(entry.family);
    expect(new Set(bundled.map((entry) => entry.family))).toEqual(new Set(MODEL_FAMILIES));
  });

  it('names external data only for files some rung loads', () => {
    for (const entry of MODEL_REGISTRY) {
      const loaded = new Set(
        LADDER.flatMap((rung) =>
          Object.entries(entry.rungs[rung].dtype).map(
            ([session, precision]) => `${session}${PRECISION_SUFFIX[precision]}.onnx`,
          ),
        ),
      );
      for (const file of Object.keys(entry.externalData ?? {})) expect(loaded, `${entry.id}: ${file}`).toContain(file);
    }
  });

  it('pins hub models to a revision and gives the CPU a smaller default budget than a GPU', () => {
    for (const entry of MODEL_REGISTRY) {
      expect(entry.defaultBudget.cpu).toBeLessThanOrEqual(entry.defaultBudget.gpu);
      if ('hub' in entry.source) {
        expect(entry.source.hub).toMatch(/^[\w.-]+\/[\w.-]+$/);
        expect(loadPlan(entry, 'webgpu').options.revision).toBe(entry.source.revision);
        expect(loadPlan(entry, 'webgpu').options.localFilesOnly).toBe(false);
      }
    }
  });

  it('renders with the VisionThink template where the entry asks for it', () => {
    for (const entry of MODEL_REGISTRY) {
      const { chatTemplate } = loadPlan(entry, 'wasm').options;
      expect(chatTemplate).toBe(entry.chatTemplate === 'qwen2-vl' ? QWEN2_VL_CHAT_TEMPLATE : undefined);
    }
  });

  it.each(bundled.map((entry) => [entry.id, entry] as const))(
    '%s: the geometry is the one in its preprocessor_config.json',
    async (_id, entry) => {
      if (!('bundled' in entry.source)) throw new Error('not bundled');
      const config: unknown = JSON.parse(
        await readFile(join(MODELS_DIR, entry.source.bundled, 'preprocessor_config.json'), 'utf8'),
      );
      expect(geometryFromPreprocessorConfig(config)).toEqual(entry.geometry);
    },
  );

  it.each(bundled.map((entry) => [entry.id] as const))(
    '%s loads through the registry’s load plan and answers',
    async (id) => {
      const model = await loadModelForNode(id);
      try {
        const image = await imageFromBytes(new Uint8Array(await samplePng('detailed', 'green', 448, 336)));
        const result = await askVisionThink(model, { image, question: 'What colour is it?' });
        expect(result).toMatchObject({ answer: 'green', escalated: true });
      } finally {
        await model.dispose();
      }
    },
  );
});

describe('falling back to a rung that downloads other files', () => {
  it('is asked about for a hub model whose precision changes, never for one that ships with the app', () => {
    // Qwen2-VL 2B: q4f16 with half precision, q4 below it.
    expect(fallbackDownloads(QWEN2_VL_2B, 'webgpu-f16', 'webgpu')).toBe(true);
    expect(fallbackDownloads(QWEN2_VL_2B, 'webgpu', 'wasm')).toBe(false);
    // Qwen3.5 0.8B loads q4 on every rung.
    expect(fallbackDownloads(QWEN3_5_0_8B, 'webgpu-f16', 'webgpu')).toBe(false);
    expect(fallbackDownloads(TEST_MODEL, 'webgpu-f16', 'wasm')).toBe(false);
  });
});
