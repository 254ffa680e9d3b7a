/**
 * Images for the engine in Node (CLI, tests, benchmarks): read from a file, an http(s) URL or
 * bytes, checked from the header before any pixel is decoded, resampled with sharp's Lanczos
 * kernel. EXIF orientation is applied; transparency is flattened onto white. The formats are the
 * web app's (see `IMAGE_FORMATS`): sharp decodes most of them; BMP and ICO, which it cannot read,
 * are decoded here and handed to sharp as pixels, so they take the same path from there on.
 */
import { readFile } from 'node:fs/promises';
import decodeBmpDib from 'decode-bmp';
import sharp, { type SharpOptions } from 'sharp';
import { InvalidImageError } from '../engine/errors.ts';
import {
  MAX_IMAGE_PIXELS,
  checkImageDimensions,
  readImageHeader,
  type ImageHeader,
  type ImageSource,
  type PixelImage,
} from '../engine/image.ts';

/** Largest download accepted for an image URL. */
export const MAX_IMAGE_BYTES = 64 * 1024 * 1024;
const DOWNLOAD_TIMEOUT_MS = 30_000;

/** Ends the message for an image of another format: why the CLI takes only the app's formats. */
const FORMAT_REASON = 'the formats the web app can read, so the command line and the app see the same pixels';

const corrupt = (cause?: unknown): InvalidImageError =>
  new InvalidImageError('The image data is corrupt or incomplete, so the image cannot be decoded.', { cause });

/** What sharp reads: encoded bytes it decodes itself, or RGBA pixels decoded here. */
type SharpInput = { encoded: Uint8Array } | { rgba: Uint8Array; width: number; height: number };

/** An opened image: its size from the header, and its pixels for sharp, decoded on first use. */
interface Opened {
  width: number;
  height: number;
  input: () => Promise<SharpInput>;
}

/** Opens an image from bytes. Throws `InvalidImageError` / `ImageDimensionsError`. */
export async function imageFromBytes(bytes: Uint8Array): Promise<ImageSource> {
  if (bytes.length === 0) throw new InvalidImageError('The file is empty: it contains no image data.');
  const header = readImageHeader(bytes, FORMAT_REASON);
  const { width, height, input } =
    header.format === 'bmp'
      ? openBmp(bytes, header)
      : header.format === 'ico'
        ? openIcon(bytes)
        : await openEncoded(bytes);
  checkImageDimensions(width, height);
  return {
    width,
    height,
    async resize(targetWidth: number, targetHeight: number): Promise<PixelImage> {
      try {
        const source = await input();
        const options: SharpOptions = { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' };
        const { data, info } = await (
          'encoded' in source
            ? sharp(source.encoded, options)
            : sharp(source.rgba, { ...options, raw: { width: source.width, height: source.height, channels: 4 } })
        )
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
        throw error instanceof InvalidImageError ? error : corrupt(error);
      }
    },
  };
}

/** A format sharp decodes: the size after EXIF orientation, from sharp's reading of the header. */
async function openEncoded(bytes: Uint8Array): Promise<Opened> {
  try {
    const { autoOrient } = await sharp(bytes, { limitInputPixels: false }).metadata();
    return { ...autoOrient, input: () => Promise.resolve({ encoded: bytes }) };
  } catch (error) {
    // The header named a format sharp reads, so the rest of the file is broken.
    throw corrupt(error);
  }
}

/** Runs `decode` once, on first use (both rounds resize the same pixels). */
function once(decode: () => Promise<SharpInput>): () => Promise<SharpInput> {
  let decoded: Promise<SharpInput> | undefined;
  return () => (decoded ??= decode());
}

/**
 * A BMP, decoded by libnsbmp (the NetSurf browser's decoder, built to WebAssembly): every BMP
 * variant browsers read, with the same pixels as Chromium's decoder.
 */
function openBmp(bytes: Uint8Array, header: ImageHeader): Opened {
  return {
    width: header.width,
    height: header.height,
    input: once(async () => {
      const { decode } = await import('@cwasm/nsbmp');
      let image;
      try {
        image = decode(bytes);
      } catch (error) {
        throw corrupt(error);
      }
      // The header was checked, not what the decoder read: they must agree.
      if (image.width !== header.width || image.height !== header.height) throw corrupt();
      return { rgba: rgbaBytes(image.data), width: image.width, height: image.height };
    }),
  };
}

const rgbaBytes = (data: Uint8ClampedArray): Uint8Array => new Uint8Array(data.buffer, data.byteOffset, data.length);

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * An ICO file's image that browsers show: the largest, then the deepest colour, then the first
 * (Chromium's choice). Its own header must give the size its directory entry gives, or browsers
 * refuse the file; so the size checked before decoding is at most 256 × 256.
 */
function openIcon(bytes: Uint8Array): Opened {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint16(4, true);
  if (bytes.length < 6 + 16 * count) throw corrupt();
  let best: { width: number; height: number; bitCount: number; offset: number; size: number } | undefined;
  for (let i = 0; i < count; i++) {
    const at = 6 + 16 * i;
    const colours = view.getUint8(at + 2) || 256;
    const entry = {
      width: view.getUint8(at) || 256,
      height: view.getUint8(at + 1) || 256,
      // Entries without a bit depth have a colour count instead: the bits it takes.
      bitCount: view.getUint16(at + 6, true) || Math.ceil(Math.log2(colours)),
      size: view.getUint32(at + 8, true),
      offset: view.getUint32(at + 12, true),
    };
    const area = entry.width * entry.height;
    const bestArea = best ? best.width * best.height : 0;
    if (!best || area > bestArea || (area === bestArea && entry.bitCount > best.bitCount)) best = entry;
  }
  if (!best || best.offset + best.size > bytes.length || best.size < 40) throw corrupt();
  const data = bytes.subarray(best.offset, best.offset + best.size);
  const { width, height } = best;
  const dataView = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const png = PNG_SIGNATURE.every((byte, i) => data[i] === byte);
  // A PNG's IHDR gives its size; a DIB's header counts the colour rows and the mask rows.
  const own = png
    ? { width: dataView.getUint32(16), height: dataView.getUint32(20) }
    : { width: dataView.getInt32(4, true), height: dataView.getInt32(8, true) / 2 };
  if (own.width !== width || own.height !== height) throw corrupt();
  if (png) return { width, height, input: () => Promise.resolve({ encoded: data }) };
  return {
    width,
    height,
    input: once(() => {
      let image;
      try {
        image = decodeBmpDib(data, { width, height, icon: true });
      } catch (error) {
        throw corrupt(error);
      }
      if (image.colorDepth === 32) applyMaskWithoutAlpha(data, width, height, image.data);
      return Promise.resolve({ rgba: rgbaBytes(image.data), width, height });
    }),
  };
}

/**
 * A 32-bit icon image whose alpha is zero everywhere relies on its AND mask for transparency
 * (older editors wrote such icons), and browsers draw it so: a set mask bit is transparent,
 * every other pixel opaque.
 */
function applyMaskWithoutAlpha(dib: Uint8Array, width: number, height: number, rgba: Uint8ClampedArray): void {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 0) return;
  const maskStart = new DataView(dib.buffer, dib.byteOffset, dib.byteLength).getUint32(0, true) + width * height * 4;
  const stride = Math.ceil(width / 32) * 4;
  for (let y = 0; y < height; y++) {
    // Rows are stored bottom-up.
    const row = maskStart + (height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const transparent = ((dib[row + (x >> 3)] ?? 0) & (0x80 >> (x & 7))) !== 0;
      rgba[(y * width + x) * 4 + 3] = transparent ? 0 : 255;
    }
  }
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
