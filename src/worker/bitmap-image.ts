/**
 * Images in the worker: the format and size are read from the file header first (so another
 * format is named, and a decompression bomb refused, before anything is expanded), then the
 * browser decodes it with EXIF orientation applied and resamples it with its high-quality filter.
 * Transparency is flattened onto white, as in Node.
 */
import { InvalidImageError } from '../engine/errors.ts';
import { checkImageDimensions, readImageHeader, type ImageSource, type PixelImage } from '../engine/image.ts';

export interface BitmapImageSource extends ImageSource {
  /** Frees the decoded bitmap. */
  close(): void;
}

/** Ends the message for an image of another format: why only these. */
const FORMAT_REASON = 'the formats every current browser can decode';

/**
 * Records how long a step took as a User Timing measure in this worker (visible in the browser's
 * performance panel, and read by the benchmark); only the latest of each name is kept.
 */
function measure(name: 'visionthink:decode' | 'visionthink:resize', start: number, detail?: object): void {
  performance.clearMeasures(name);
  performance.measure(name, { start, end: performance.now(), ...(detail ? { detail } : {}) });
}

/** Opens `blob`; throws `InvalidImageError` / `ImageDimensionsError` for unusable files. */
export async function openBitmapImage(blob: Blob): Promise<BitmapImageSource> {
  if (blob.size === 0) throw new InvalidImageError('The file is empty: it contains no image data.');
  const started = performance.now();
  const { width, height } = readImageHeader(new Uint8Array(await blob.arrayBuffer()), FORMAT_REASON);
  checkImageDimensions(width, height);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch (error) {
    throw new InvalidImageError('The image data is corrupt or incomplete, so the image cannot be decoded.', {
      cause: error,
    });
  }
  measure('visionthink:decode', started, { width: bitmap.width, height: bitmap.height });
  return {
    width: bitmap.width,
    height: bitmap.height,
    async resize(targetWidth: number, targetHeight: number): Promise<PixelImage> {
      const resizeStarted = performance.now();
      const resized = await createImageBitmap(bitmap, {
        resizeWidth: targetWidth,
        resizeHeight: targetHeight,
        resizeQuality: 'high',
      });
      const canvas = new OffscreenCanvas(targetWidth, targetHeight);
      const context = canvas.getContext('2d', { willReadFrequently: true });
      if (!context) throw new InvalidImageError('This browser cannot read image pixels in a worker.');
      context.fillStyle = '#ffffff';
      context.fillRect(0, 0, targetWidth, targetHeight);
      context.drawImage(resized, 0, 0);
      resized.close();
      const { data } = context.getImageData(0, 0, targetWidth, targetHeight);
      measure('visionthink:resize', resizeStarted, { width: targetWidth, height: targetHeight });
      return { width: targetWidth, height: targetHeight, channels: 4, data };
    },
    close: () => {
      bitmap.close();
    },
  };
}

/** A PNG of decoded pixels (the thumbnail of what the model saw in a round). */
export async function encodePng(image: PixelImage): Promise<Blob> {
  const canvas = new OffscreenCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('This browser cannot draw in a worker.');
  const rgba: Uint8ClampedArray<ArrayBuffer> =
    image.channels === 4 ? Uint8ClampedArray.from(image.data) : expandToRgba(image.data, image.width * image.height);
  context.putImageData(new ImageData(rgba, image.width, image.height), 0, 0);
  return canvas.convertToBlob({ type: 'image/png' });
}

function expandToRgba(rgb: Uint8Array | Uint8ClampedArray, pixels: number): Uint8ClampedArray<ArrayBuffer> {
  const rgba = new Uint8ClampedArray(pixels * 4);
  for (let i = 0; i < pixels; i++) {
    rgba[i * 4] = rgb[i * 3] ?? 0;
    rgba[i * 4 + 1] = rgb[i * 3 + 1] ?? 0;
    rgba[i * 4 + 2] = rgb[i * 3 + 2] ?? 0;
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}
