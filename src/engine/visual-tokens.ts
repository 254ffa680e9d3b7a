/**
 * Resolution and visual-token math for Qwen2-VL-style processors: which size each pass's image
 * is resized to, and how many visual tokens it costs. Must agree exactly with what
 * transformers.js's `Qwen2VLImageProcessor` does, since the token meter and the KV cache both
 * count on it.
 */
import { EngineError, ImageDimensionsError, InvalidRequestError, ModelLoadError } from './errors.ts';

/** The image settings of a model's `preprocessor_config.json` that decide sizes and token counts. */
export interface ImageGeometry {
  /** Side of one ViT patch in pixels (14 for Qwen2/2.5-VL). */
  patchSize: number;
  /** Patches merged per side into one visual token (2). */
  mergeSize: number;
  /** Frames per temporal patch (2); a still image is repeated to fill it and still costs one grid. */
  temporalPatchSize: number;
  /** Smallest pixel count the processor resizes to. */
  minPixels: number;
  /** Largest pixel count the processor resizes to. */
  maxPixels: number;
}

/** A pass's image size after the processor's resize, and what it costs. */
export interface SizedPass {
  width: number;
  height: number;
  visualTokens: number;
}

/** The sizes of the two VisionThink passes: the quarter-pixel first look and the full image. */
export interface ResolutionPlan {
  low: SizedPass;
  full: SizedPass;
}

/** The default cap on visual tokens per image, keeping the full pass affordable in a browser. */
export const DEFAULT_MAX_VISUAL_TOKENS = 1024;

/** Qwen's processors reject images whose long side exceeds the short side this many times. */
const MAX_ASPECT_RATIO = 200;

/** VisionThink scales its images up so that no side is under 28 px (a literal in `encode_image`). */
const VISIONTHINK_MIN_SIDE = 28;

const isPositiveInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value > 0;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads the geometry from a parsed `preprocessor_config.json`. Like transformers.js,
 * `min_pixels`/`max_pixels` fall back to `size.shortest_edge`/`size.longest_edge` (newer
 * configs store them there).
 * @throws {ModelLoadError} `model-invalid` when a field is missing or not a positive whole number.
 */
export function geometryFromPreprocessorConfig(config: unknown): ImageGeometry {
  if (!isRecord(config)) {
    throw new ModelLoadError(
      'model-invalid',
      "The model's image settings (preprocessor_config.json) are not a JSON object.",
    );
  }
  const size = isRecord(config.size) ? config.size : undefined;
  const read = (value: unknown, name: string): number => {
    if (value === undefined || value === null) {
      throw new ModelLoadError(
        'model-invalid',
        `The model's image settings (preprocessor_config.json) are missing "${name}".`,
      );
    }
    if (!isPositiveInteger(value)) {
      throw new ModelLoadError(
        'model-invalid',
        `The model's image settings (preprocessor_config.json) have an unusable "${name}": expected a positive whole number, found ${JSON.stringify(value)}.`,
      );
    }
    return value;
  };
  const geometry: ImageGeometry = {
    patchSize: read(config.patch_size, 'patch_size'),
    mergeSize: read(config.merge_size, 'merge_size'),
    temporalPatchSize: read(config.temporal_patch_size, 'temporal_patch_size'),
    minPixels: read(config.min_pixels ?? size?.shortest_edge, 'min_pixels'),
    maxPixels: read(config.max_pixels ?? size?.longest_edge, 'max_pixels'),
  };
  if (geometry.minPixels > geometry.maxPixels) {
    throw new ModelLoadError(
      'model-invalid',
      `The model's image settings (preprocessor_config.json) allow at least ${geometry.minPixels} pixels but at most ${geometry.maxPixels}.`,
    );
  }
  return geometry;
}

function assertUsableSize(width: number, height: number): void {
  if (!(Number.isFinite(width) && Number.isFinite(height) && width > 0 && height > 0)) {
    throw new ImageDimensionsError(
      'image-too-small',
      `The image has no usable size (${width} × ${height} pixels); it needs at least one pixel each way.`,
    );
  }
}

/**
 * The size the processor resizes an image to: each side a multiple of patch × merge, the pixel
 * count within [minPixels, maxPixels], the aspect ratio kept as closely as possible. The same
 * arithmetic, step for step, as transformers.js 4.3.1's `smart_resize` (which takes height
 * first and returns [width, height]); it rounds halves up where Python's transformers rounds
 * them to even, and the app runs transformers.js.
 * @throws {ImageDimensionsError} `image-too-small` for a zero, negative or non-finite side;
 *   `aspect-ratio` when one side is more than 200 times the other.
 */
export function smartResize(
  width: number,
  height: number,
  geometry: ImageGeometry,
  maxPixels: number = geometry.maxPixels,
): { width: number; height: number } {
  assertUsableSize(width, height);
  const factor = geometry.patchSize * geometry.mergeSize;
  let h = height;
  let w = width;
  if (h < factor || w < factor) {
    const scale = Math.max(factor / h, factor / w);
    h = Math.round(h * scale);
    w = Math.round(w * scale);
  }
  const ratio = Math.max(h, w) / Math.min(h, w);
  if (ratio > MAX_ASPECT_RATIO) {
    throw new ImageDimensionsError(
      'aspect-ratio',
      `The image is too long and thin (${width} × ${height} pixels): one side is ${formatRatio(ratio)} times the other, and the model accepts at most ${MAX_ASPECT_RATIO} times. Crop it closer to a square.`,
    );
  }
  let hBar = Math.round(h / factor) * factor;
  let wBar = Math.round(w / factor) * factor;
  if (hBar * wBar > maxPixels) {
    const beta = Math.sqrt((h * w) / maxPixels);
    hBar = Math.max(factor, Math.floor(h / beta / factor) * factor);
    wBar = Math.max(factor, Math.floor(w / beta / factor) * factor);
  } else if (hBar * wBar < geometry.minPixels) {
    const beta = Math.sqrt(geometry.minPixels / (h * w));
    hBar = Math.ceil((h * beta) / factor) * factor;
    wBar = Math.ceil((w * beta) / factor) * factor;
  }
  return { width: wBar, height: hBar };
}

function formatRatio(ratio: number): string {
  return Number.isInteger(ratio) ? String(ratio) : ratio.toFixed(1);
}

/**
 * The size VisionThink's first look is made from: half of each side (a quarter of the pixels),
 * then scaled up keeping the aspect until no side is under 28 px, truncating as Python's `int()`
 * does. A 1-px side halves to 1 px rather than to 0, which would make no image at all.
 * @throws {ImageDimensionsError} `image-too-small` for a zero, negative or non-finite side.
 */
export function lowResolutionSource(width: number, height: number): { width: number; height: number } {
  assertUsableSize(width, height);
  let w = Math.max(1, Math.floor(width / 2));
  let h = Math.max(1, Math.floor(height / 2));
  if (w < VISIONTHINK_MIN_SIDE || h < VISIONTHINK_MIN_SIDE) {
    const scale = Math.max(VISIONTHINK_MIN_SIDE / w, VISIONTHINK_MIN_SIDE / h);
    w = Math.trunc(w * scale);
    h = Math.trunc(h * scale);
  }
  return { width: w, height: h };
}

/**
 * Visual tokens of an image already resized by {@link smartResize}: one per merge × merge block of
 * patches (a still image fills a single temporal patch, so time adds nothing).
 */
export function visualTokenCount(size: { width: number; height: number }, geometry: ImageGeometry): number {
  const factor = geometry.patchSize * geometry.mergeSize;
  if (!isPositiveInteger(size.width / factor) || !isPositiveInteger(size.height / factor)) {
    // A size that did not come out of smartResize means a bug in the caller, not bad input.
    throw new EngineError(
      'internal',
      `Visual tokens were counted for ${size.width} × ${size.height} pixels, which is not a multiple of ${factor} each way.`,
    );
  }
  const gridWidth = size.width / geometry.patchSize;
  const gridHeight = size.height / geometry.patchSize;
  return (gridWidth * gridHeight) / (geometry.mergeSize * geometry.mergeSize);
}

/**
 * The pixel cap that keeps an image within `maxVisualTokens` (and the model's own maximum);
 * the processor must be given the same `max_pixels` for its sizes to match {@link planResolutions}.
 * @throws {InvalidRequestError} `invalid-option` unless `maxVisualTokens` is a whole number ≥ 1.
 */
export function maxPixelsForBudget(geometry: ImageGeometry, maxVisualTokens: number): number {
  if (!isPositiveInteger(maxVisualTokens)) {
    throw new InvalidRequestError(
      'invalid-option',
      `The visual-token budget must be a whole number of at least 1, not ${String(maxVisualTokens)}.`,
    );
  }
  const tokenPixels = (geometry.patchSize * geometry.mergeSize) ** 2;
  return Math.min(geometry.maxPixels, maxVisualTokens * tokenPixels);
}

/**
 * The processed sizes and token costs of both passes for a `width` × `height` image: the full
 * pass resizes the original, the low pass resizes {@link lowResolutionSource}, both under the
 * pixel cap of {@link maxPixelsForBudget}.
 * @throws {InvalidRequestError} `invalid-option` for a budget that is not a whole number ≥ 1, or
 *   too small for the model's minimum pixel count at this image's shape.
 * @throws {ImageDimensionsError} for unusable sizes or aspect ratios (see {@link smartResize}).
 */
export function planResolutions(
  width: number,
  height: number,
  geometry: ImageGeometry,
  maxVisualTokens: number = DEFAULT_MAX_VISUAL_TOKENS,
): ResolutionPlan {
  const cap = maxPixelsForBudget(geometry, maxVisualTokens);
  const sized = (size: { width: number; height: number }): SizedPass => {
    const resized = smartResize(size.width, size.height, geometry, cap);
    const pass = { ...resized, visualTokens: visualTokenCount(resized, geometry) };
    // The processor resizes the image it is handed once more, under the model's own limits. Near
    // minPixels a tiny budget gives a size it would enlarge again, or one over the budget; either
    // way the counts shown would be wrong, so such a budget is refused.
    const again = smartResize(pass.width, pass.height, geometry);
    if (pass.visualTokens > maxVisualTokens || again.width !== pass.width || again.height !== pass.height) {
      throw new InvalidRequestError(
        'invalid-option',
        `A budget of ${maxVisualTokens} visual tokens is too small for this ${width} × ${height} image: the model would need more. Allow more visual tokens per image.`,
      );
    }
    return pass;
  };
  const full = sized({ width, height });
  return { low: sized(lowResolutionSource(width, height)), full };
}
