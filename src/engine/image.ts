/**
 * The engine's view of an image: its size and a way to get its pixels at a given size. Decoding
 * and resampling belong to the platform (sharp with Lanczos in Node, the browser's high-quality
 * resize in the worker); the engine only decides the sizes. Also the one list of formats both
 * platforms accept, and the header check both run before decoding.
 */
import { imageSize } from 'image-size';
import { ImageDimensionsError, InvalidImageError } from './errors.ts';

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

/**
 * The image formats VisionThink opens, as `image-size` names them in `type`. The web app decodes
 * with the browser, and these are the formats every current browser decodes; the CLI accepts the
 * same ones (decoding BMP and ICO itself), so both see the same pixels of the same files.
 */
export const IMAGE_FORMATS = ['png', 'jpg', 'webp', 'gif', 'avif', 'bmp', 'ico'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

const FORMATS: Record<ImageFormat, { name: string; mimeTypes: readonly string[]; extensions: readonly string[] }> = {
  png: { name: 'PNG', mimeTypes: ['image/png'], extensions: ['.png'] },
  jpg: { name: 'JPEG', mimeTypes: ['image/jpeg'], extensions: ['.jpg', '.jpeg', '.jpe', '.jfif'] },
  webp: { name: 'WebP', mimeTypes: ['image/webp'], extensions: ['.webp'] },
  gif: { name: 'GIF', mimeTypes: ['image/gif'], extensions: ['.gif'] },
  avif: { name: 'AVIF', mimeTypes: ['image/avif'], extensions: ['.avif'] },
  bmp: { name: 'BMP', mimeTypes: ['image/bmp'], extensions: ['.bmp', '.dib'] },
  ico: { name: 'ICO', mimeTypes: ['image/x-icon', 'image/vnd.microsoft.icon'], extensions: ['.ico'] },
};

/** Names for the formats `image-size` recognises that are not accepted (others: the id in capitals). */
const OTHER_FORMAT_NAMES: Readonly<Record<string, string>> = {
  cur: 'CUR (cursor)',
  heic: 'HEIC',
  heif: 'HEIF',
  icns: 'ICNS',
  j2c: 'JPEG 2000',
  jp2: 'JPEG 2000',
  jxl: 'JPEG XL',
  'jxl-stream': 'JPEG XL',
  psd: 'PSD (Photoshop)',
  svg: 'SVG',
  tiff: 'TIFF',
};

/** The accepted formats for people: "PNG, JPEG, WebP, GIF, AVIF, BMP or ICO". */
export function imageFormatList(): string {
  const names = IMAGE_FORMATS.map((format) => FORMATS[format].name);
  return `${names.slice(0, -1).join(', ')} or ${names.at(-1) ?? ''}`;
}

/** The `accept` attribute of a file input that offers exactly the accepted formats. */
export const IMAGE_FILE_ACCEPT = IMAGE_FORMATS.flatMap((format) => [
  ...FORMATS[format].mimeTypes,
  ...FORMATS[format].extensions,
]).join(',');

/** What the file header says: the format and the size (EXIF orientation applied, where the header has it). */
export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

function isAccepted(type: string): type is ImageFormat {
  return (IMAGE_FORMATS as readonly string[]).includes(type);
}

/**
 * The format of an ISO-BMFF image (AVIF, HEIC, HEIF) from all the brands of its `ftyp` box:
 * `image-size` reports the major brand only, and an AVIF may have "mif1" as its major brand and
 * "avif" among its compatible ones, which browsers decode as AVIF.
 */
function isoImageFormat(bytes: Uint8Array): 'avif' | 'heic' | 'heif' {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const boxEnd = Math.min(bytes.length, view.getUint32(0));
  const brand = (at: number): string => String.fromCharCode(...bytes.subarray(at, at + 4));
  // The major brand, a minor version, then compatible brands to the end of the box.
  const brands = [brand(8)];
  for (let at = 16; at + 4 <= boxEnd; at += 4) brands.push(brand(at));
  if (brands.some((b) => b === 'avif' || b === 'avis')) return 'avif';
  if (brands.some((b) => ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis'].includes(b))) return 'heic';
  return 'heif';
}

/** A BMP's size: `image-size` reads the common header; OS/2 1.x headers keep 16-bit sides. */
function bmpSize(bytes: Uint8Array, fallback: { width: number; height: number }): { width: number; height: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 22 || view.getUint32(14, true) !== 12) return fallback;
  return { width: view.getUint16(18, true), height: view.getUint16(20, true) };
}

/**
 * Reads the format and size from the file header, before any pixel is decoded.
 * @param reason - Why only these formats, in the words of the caller's users: it ends the message
 *   for a recognised image of another format.
 * @throws {InvalidImageError} when the bytes are no image `image-size` recognises, or an image
 *   of a format that is not accepted (the message names it and the accepted ones).
 */
export function readImageHeader(bytes: Uint8Array, reason: string): ImageHeader {
  let size: ReturnType<typeof imageSize>;
  try {
    size = imageSize(bytes);
  } catch (error) {
    throw new InvalidImageError(`This file is not an image that can be read (supported: ${imageFormatList()}).`, {
      cause: error,
    });
  }
  // Of the formats image-size knows, only the HEIF family starts with an ftyp box.
  const isoBox = String.fromCharCode(...bytes.subarray(4, 8)) === 'ftyp';
  const type = isoBox ? isoImageFormat(bytes) : (size.type ?? '');
  if (!isAccepted(type)) {
    const name = OTHER_FORMAT_NAMES[type] ?? type.toUpperCase();
    throw new InvalidImageError(`${name} images are not supported: use ${imageFormatList()} (${reason}).`);
  }
  const { width, height } = type === 'bmp' ? bmpSize(bytes, size) : size;
  // Orientations 5-8 swap the sides.
  return (size.orientation ?? 1) >= 5
    ? { format: type, width: height, height: width }
    : { format: type, width, height };
}
