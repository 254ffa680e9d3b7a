import { Qwen2VLImageProcessor } from '@huggingface/transformers';
import type { RawImage } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { EngineError, ImageDimensionsError, InvalidRequestError, ModelLoadError } from './errors.ts';
import type { ImageGeometry } from './visual-tokens.ts';
import {
  DEFAULT_MAX_VISUAL_TOKENS,
  geometryFromPreprocessorConfig,
  lowResolutionSource,
  maxPixelsForBudget,
  planResolutions,
  smartResize,
  visualTokenCount,
} from './visual-tokens.ts';

/** Qwen/Qwen2-VL-2B-Instruct's preprocessor_config.json (Qwen2.5-VL has the same numbers). */
const QWEN2_VL_PREPROCESSOR = {
  min_pixels: 3136,
  max_pixels: 12845056,
  patch_size: 14,
  temporal_patch_size: 2,
  merge_size: 2,
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_std: [0.26862954, 0.26130258, 0.27577711],
  image_processor_type: 'Qwen2VLImageProcessor',
  processor_class: 'Qwen2VLProcessor',
};

const QWEN: ImageGeometry = {
  patchSize: 14,
  mergeSize: 2,
  temporalPatchSize: 2,
  minPixels: 3136,
  maxPixels: 12845056,
};

const BUDGET_PIXELS = 1024 * 28 * 28;

function without(config: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).filter(([key]) => !keys.includes(key)));
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof EngineError) return `${error.name}:${error.code}`;
    throw error;
  }
  return undefined;
}

describe('geometryFromPreprocessorConfig', () => {
  it('reads a Qwen2-VL preprocessor config', () => {
    expect(geometryFromPreprocessorConfig(QWEN2_VL_PREPROCESSOR)).toEqual(QWEN);
  });

  it('falls back to size.shortest_edge / size.longest_edge as transformers.js does', () => {
    const config = without(QWEN2_VL_PREPROCESSOR, 'min_pixels', 'max_pixels');
    config.size = { shortest_edge: 56 * 56, longest_edge: 28 * 28 * 1280 };
    expect(geometryFromPreprocessorConfig(config)).toEqual({ ...QWEN, maxPixels: 28 * 28 * 1280 });
  });

  it('prefers min_pixels / max_pixels over size', () => {
    const config = { ...QWEN2_VL_PREPROCESSOR, size: { shortest_edge: 1, longest_edge: 2 } };
    expect(geometryFromPreprocessorConfig(config)).toEqual(QWEN);
  });

  it('names a missing field', () => {
    const config = without(QWEN2_VL_PREPROCESSOR, 'patch_size');
    expect(() => geometryFromPreprocessorConfig(config)).toThrow(ModelLoadError);
    expect(() => geometryFromPreprocessorConfig(config)).toThrow(
      `The model's image settings (preprocessor_config.json) are missing "patch_size".`,
    );
    const noMax = without(QWEN2_VL_PREPROCESSOR, 'max_pixels');
    expect(() => geometryFromPreprocessorConfig(noMax)).toThrow('missing "max_pixels"');
  });

  it.each([0, -2, 14.5, '14', true, Number.NaN, Number.POSITIVE_INFINITY])(
    'rejects merge_size %j as not a positive whole number',
    (value) => {
      const config = { ...QWEN2_VL_PREPROCESSOR, merge_size: value };
      expect(codeOf(() => geometryFromPreprocessorConfig(config))).toBe('ModelLoadError:model-invalid');
      expect(() => geometryFromPreprocessorConfig(config)).toThrow(
        'have an unusable "merge_size": expected a positive whole number',
      );
    },
  );

  it.each([null, [], 'config', 42])('rejects %j as a config', (config) => {
    expect(codeOf(() => geometryFromPreprocessorConfig(config))).toBe('ModelLoadError:model-invalid');
  });

  it('rejects min_pixels above max_pixels', () => {
    const config = { ...QWEN2_VL_PREPROCESSOR, min_pixels: 10_000, max_pixels: 5_000 };
    expect(() => geometryFromPreprocessorConfig(config)).toThrow('allow at least 10000 pixels but at most 5000');
  });
});

describe('smartResize', () => {
  it('keeps sizes that are already multiples of 28', () => {
    expect(smartResize(448, 336, QWEN)).toEqual({ width: 448, height: 336 });
    expect(smartResize(896, 672, QWEN)).toEqual({ width: 896, height: 672 });
  });

  it('rounds each side to the nearest multiple of 28', () => {
    expect(smartResize(500, 375, QWEN)).toEqual({ width: 504, height: 364 });
    // 70 / 28 = 2.5 rounds up to 3 (84 px) as in transformers.js; Python's round-half-even would give 56.
    expect(smartResize(70, 42, QWEN)).toEqual({ width: 84, height: 56 });
  });

  it('scales tiny images up to the minimum pixel count', () => {
    expect(smartResize(10, 10, QWEN)).toEqual({ width: 56, height: 56 });
    expect(smartResize(1, 100, QWEN)).toEqual({ width: 28, height: 2800 });
    expect(smartResize(5, 500, QWEN)).toEqual({ width: 28, height: 2800 });
  });

  it('scales large images down under the pixel cap', () => {
    expect(smartResize(1600, 1200, QWEN, BUDGET_PIXELS)).toEqual({ width: 1008, height: 756 });
    expect(smartResize(4032, 3024, QWEN)).toEqual({ width: 4032, height: 3024 });
    expect(smartResize(6000, 4000, QWEN)).toEqual({ width: 4368, height: 2912 });
  });

  it('accepts 200:1 and rejects anything longer and thinner', () => {
    expect(smartResize(2000, 10, QWEN)).toEqual({ width: 5600, height: 28 });
    expect(codeOf(() => smartResize(2010, 10, QWEN))).toBe('ImageDimensionsError:aspect-ratio');
    expect(() => smartResize(10, 2010, QWEN)).toThrow(
      'The image is too long and thin (10 × 2010 pixels): one side is 201 times the other, and the model accepts at most 200 times.',
    );
    expect(codeOf(() => smartResize(1, 500, QWEN))).toBe('ImageDimensionsError:aspect-ratio');
  });

  it.each([
    [0, 10],
    [10, 0],
    [-5, 10],
    [Number.NaN, 10],
    [10, Number.POSITIVE_INFINITY],
  ])('rejects a %s × %s image as too small', (width, height) => {
    expect(() => smartResize(width, height, QWEN)).toThrow(ImageDimensionsError);
    expect(codeOf(() => smartResize(width, height, QWEN))).toBe('ImageDimensionsError:image-too-small');
  });

  it('gives exactly what transformers.js Qwen2VLImageProcessor gives, across sizes and caps', () => {
    const sides = [
      1, 2, 5, 13, 27, 28, 29, 41, 55, 56, 57, 99, 100, 223, 224, 333, 375, 448, 500, 640, 719, 1000, 1023, 1080, 1920,
      3000, 4032,
    ];
    const caps = [QWEN.maxPixels, BUDGET_PIXELS, 256 * 784, 784];
    let compared = 0;
    for (const maxPixels of caps) {
      const processor = new Qwen2VLImageProcessor({ ...QWEN2_VL_PREPROCESSOR, max_pixels: maxPixels });
      for (const width of sides) {
        for (const height of sides) {
          if (Math.max(width, height) / Math.min(width, height) > 200) continue;
          const image = { width, height } as unknown as RawImage;
          const [expectedWidth, expectedHeight] = processor.get_resize_output_image_size(image, null);
          expect(smartResize(width, height, QWEN, maxPixels), `${width}x${height} cap ${maxPixels}`).toEqual({
            width: expectedWidth,
            height: expectedHeight,
          });
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(2500);
  });
});

describe('lowResolutionSource', () => {
  // Expected values are what VisionThink's encode_image(downsample_image=True) gives in Python.
  it.each([
    [896, 672, 448, 336],
    [10, 10, 28, 28],
    [3, 3, 28, 28],
    [2, 500, 28, 7000],
    [41, 1000, 28, 700],
    [57, 57, 28, 28],
    [55, 1000, 28, 518],
    [1000, 55, 518, 28],
    [51, 70, 28, 39],
    [99, 37, 76, 28],
  ])('halves %i × %i to %i × %i', (width, height, lowWidth, lowHeight) => {
    expect(lowResolutionSource(width, height)).toEqual({ width: lowWidth, height: lowHeight });
  });

  it('halves a 1-px side to 1 px instead of nothing', () => {
    expect(lowResolutionSource(1, 500)).toEqual({ width: 28, height: 7000 });
  });

  it('rejects unusable sizes', () => {
    expect(codeOf(() => lowResolutionSource(0, 10))).toBe('ImageDimensionsError:image-too-small');
  });
});

describe('visualTokenCount', () => {
  it('counts one token per 28 × 28 block', () => {
    expect(visualTokenCount({ width: 448, height: 336 }, QWEN)).toBe(192);
    expect(visualTokenCount({ width: 896, height: 672 }, QWEN)).toBe(768);
    expect(visualTokenCount({ width: 28, height: 28 }, QWEN)).toBe(1);
  });

  it('refuses a size that did not come out of smartResize', () => {
    expect(codeOf(() => visualTokenCount({ width: 450, height: 336 }, QWEN))).toBe('EngineError:internal');
  });
});

describe('planResolutions', () => {
  it('plans 896 × 672 as 192 tokens first, 768 on request', () => {
    expect(planResolutions(896, 672, QWEN)).toEqual({
      low: { width: 448, height: 336, visualTokens: 192 },
      full: { width: 896, height: 672, visualTokens: 768 },
    });
  });

  it('plans 448 × 336 as 48 tokens first, 192 on request', () => {
    expect(planResolutions(448, 336, QWEN)).toEqual({
      low: { width: 224, height: 168, visualTokens: 48 },
      full: { width: 448, height: 336, visualTokens: 192 },
    });
  });

  it('caps a 1 MP+ image at the default 1024-token budget', () => {
    expect(DEFAULT_MAX_VISUAL_TOKENS).toBe(1024);
    expect(planResolutions(1600, 1200, QWEN)).toEqual({
      low: { width: 812, height: 588, visualTokens: 609 },
      full: { width: 1008, height: 756, visualTokens: 972 },
    });
    for (const [width, height] of [
      [4032, 3024],
      [1920, 1080],
      [1000, 1000],
      [3000, 100],
    ] as const) {
      const plan = planResolutions(width, height, QWEN);
      for (const pass of [plan.low, plan.full]) {
        expect(pass.visualTokens).toBeLessThanOrEqual(1024);
        expect(pass.width % 28).toBe(0);
        expect(pass.height % 28).toBe(0);
        expect(pass.visualTokens).toBe(visualTokenCount(pass, QWEN));
      }
      expect(plan.low.visualTokens).toBeLessThanOrEqual(plan.full.visualTokens);
    }
  });

  it('follows a smaller budget', () => {
    const plan = planResolutions(1600, 1200, QWEN, 256);
    expect(plan.full).toEqual({ width: 504, height: 364, visualTokens: 234 });
    expect(plan.low.visualTokens).toBeLessThanOrEqual(256);
  });

  it('never allows more pixels than the model does', () => {
    expect(maxPixelsForBudget(QWEN, 1024)).toBe(BUDGET_PIXELS);
    expect(maxPixelsForBudget({ ...QWEN, maxPixels: 100_000 }, 1024)).toBe(100_000);
    const plan = planResolutions(1600, 1200, { ...QWEN, maxPixels: 100_000 });
    expect(plan.full.width * plan.full.height).toBeLessThanOrEqual(100_000);
  });

  it('scales tiny images up in both passes', () => {
    expect(planResolutions(10, 10, QWEN)).toEqual({
      low: { width: 56, height: 56, visualTokens: 4 },
      full: { width: 56, height: 56, visualTokens: 4 },
    });
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects a budget of %s tokens', (budget) => {
    expect(() => planResolutions(896, 672, QWEN, budget)).toThrow(InvalidRequestError);
    expect(codeOf(() => planResolutions(896, 672, QWEN, budget))).toBe('InvalidRequestError:invalid-option');
  });

  it('refuses a budget so small that the processor would enlarge the image again', () => {
    // 6 tokens cap a 2:1 image at 28 × 84 px, under Qwen's 3136-pixel minimum.
    expect(codeOf(() => planResolutions(2000, 1000, QWEN, 6))).toBe('InvalidRequestError:invalid-option');
    expect(() => planResolutions(2000, 1000, QWEN, 6)).toThrow(
      'A budget of 6 visual tokens is too small for this 2000 × 1000 image: the model would need more.',
    );
    // 1 token is under the 4-token minimum of any image.
    expect(codeOf(() => planResolutions(10, 10, QWEN, 1))).toBe('InvalidRequestError:invalid-option');
    expect(planResolutions(2000, 1000, QWEN, 16).full).toEqual({ width: 140, height: 56, visualTokens: 10 });
  });

  it('rejects a 201:1 image', () => {
    expect(codeOf(() => planResolutions(20100, 100, QWEN))).toBe('ImageDimensionsError:aspect-ratio');
  });
});
