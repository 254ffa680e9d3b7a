/**
 * Images for the engine in Node (CLI, tests, benchmarks): read from a file, an http(s) URL or
 * bytes, checked from the header before any pixel is decoded, resampled with sharp's Lanczos
 * kernel. EXIF orientation is applied; transparency is flattened onto white.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { InvalidImageError } from '../engine/errors.ts';
import { MAX_IMAGE_PIXELS, checkImageDimensions, type ImageSource, type PixelImage } from '../engine/image.ts';

/** Largest download accepted for an image URL. */
export const MAX_IMAGE_BYTES = 64 * 1024 * 1024;
const DOWNLOAD_TIMEOUT_MS = 30_000;

const SUPPORTED = 'PNG, JPEG, WebP, GIF, AVIF, TIFF or SVG';

/** Opens an image from bytes. Throws `InvalidImageError` / `ImageDimensionsError`. */
export async function imageFromBytes(bytes: Uint8Array): Promise<ImageSource> {
  if (bytes.length === 0) throw new InvalidImageError('The file is empty: it contains no image data.');
  let width: number;
  let height: number;
  try {
    const metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
    ({ width, height } = metadata.autoOrient);
  } catch (error) {
    throw new InvalidImageError(`This is not an image that can be read (supported: ${SUPPORTED}).`, { cause: error });
  }
  checkImageDimensions(width, height);
  return {
    width,
    height,
    async resize(targetWidth: number, targetHeight: number): Promise<PixelImage> {
      try {
        const { data, info } = await sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' })
          .autoOrient()
          .flatten({ background: '#ffffff' })
          .resize(targetWidth, targetHeight, { fit: 'fill', kernel: 'lanczos3' })
          .raw()
          .toBuffer({ resolveWithObject: true });
        return {
          width: info.width,
          height: info.height,
          channels: 3,
          data: new Uint8Array(data.buffer, data.byteOffset, data.length),
        };
      } catch (error) {
        throw new InvalidImageError('The image data is corrupt or incomplete, so the image cannot be decoded.', {
          cause: error,
        });
      }
    },
  };
}

/** Opens an image from a file path or an http(s) URL. */
export async function openImage(location: string, signal?: AbortSignal): Promise<ImageSource> {
  if (/^https?:\/\//i.test(location)) return imageFromBytes(await download(location, signal));
  if (/^[a-z][a-z0-9+.-]*:/i.test(location) && !/^[a-z]:[\\/]/i.test(location)) {
    throw new InvalidImageError(
      `Only files and http(s) addresses can be opened, not "${location.split(':')[0]}:" links.`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(location);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InvalidImageError(
      code === 'ENOENT'
        ? `There is no file at ${location}.`
        : code === 'EISDIR'
          ? `${location} is a folder, not an image file.`
          : `The file ${location} cannot be read (${code ?? 'unknown error'}).`,
      { cause: error },
    );
  }
  return imageFromBytes(bytes);
}

async function download(url: string, signal?: AbortSignal): Promise<Uint8Array> {
  const timeout = AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS);
  let response: Response;
  try {
    response = await fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  } catch (error) {
    throw new InvalidImageError(`The image at ${url} could not be downloaded (${(error as Error).message}).`, {
      cause: error,
    });
  }
  if (!response.ok)
    throw new InvalidImageError(`The image at ${url} could not be downloaded (HTTP ${response.status}).`);
  const tooLarge = (): InvalidImageError =>
    new InvalidImageError(`The image at ${url} is larger than ${MAX_IMAGE_BYTES / 2 ** 20} MB.`);
  if (Number(response.headers.get('content-length') ?? 0) > MAX_IMAGE_BYTES) throw tooLarge();
  // Count while reading: the declared length may be missing or wrong.
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.length;
    if (size > MAX_IMAGE_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}
