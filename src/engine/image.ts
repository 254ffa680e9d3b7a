/**
 * The engine's view of an image: its size and a way to get its pixels at a given size. Decoding
 * and resampling belong to the platform (sharp with Lanczos in Node, the browser's high-quality
 * resize in the worker); the engine only decides the sizes.
 */
import { ImageDimensionsError } from './errors.ts';

/** Decoded pixels, row-major, interleaved channels. */
export interface PixelImage {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Uint8Array | Uint8ClampedArray;
}

export interface ImageSource {
  /** Size after EXIF orientation is applied. */
  readonly width: number;
  readonly height: number;
  /**
   * The whole image resampled to exactly `width` × `height`, for the loop's round `round`
   * (so a caller can show exactly what the model saw in each round).
   */
  resize(width: number, height: number, round: number): Promise<PixelImage>;
}

/** Largest side we accept: beyond this, decoding alone would exhaust memory on most devices. */
export const MAX_IMAGE_SIDE = 32_768;
/** Largest pixel count we decode (100 MP is ~400 MB of RGBA). */
export const MAX_IMAGE_PIXELS = 100_000_000;
/** Widest aspect ratio the Qwen-VL processors accept. */
export const MAX_ASPECT_RATIO = 200;

/**
 * Rejects sizes the pipeline cannot use, from the header alone, before any pixel is decoded
 * (so a decompression bomb is refused without being expanded).
 */
export function checkImageDimensions(width: number, height: number): void {
  if (!Number.isFinite(width) || !Number.isFinite(height) || width < 1 || height < 1) {
    throw new ImageDimensionsError('image-too-small', `The image is empty (${width}×${height} pixels).`);
  }
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width * height > MAX_IMAGE_PIXELS) {
    throw new ImageDimensionsError(
      'image-too-large',
      `The image is too large to process (${width}×${height} pixels). The limit is ${MAX_IMAGE_SIDE} pixels per side and ${MAX_IMAGE_PIXELS / 1e6} megapixels.`,
    );
  }
  const ratio = Math.max(width, height) / Math.min(width, height);
  if (ratio > MAX_ASPECT_RATIO) {
    throw new ImageDimensionsError(
      'aspect-ratio',
      `The image is too long and thin (${width}×${height}, aspect ratio ${Math.round(ratio)}:1). Images up to ${MAX_ASPECT_RATIO}:1 are supported.`,
    );
  }
}
