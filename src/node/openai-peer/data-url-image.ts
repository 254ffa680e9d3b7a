/**
 * An image part's data URL as vLLM reads it: the bytes decoded as they are, converted to RGB the
 * way PIL's `convert("RGB")` does (an alpha channel is dropped, not blended; no EXIF rotation), at
 * the size they were sent. Sizing is the model processor's job, as in vLLM. The pixels are hashed
 * so that the prefix cache can tell whether two requests show the same image.
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { EngineError } from '../../engine/errors.ts';
import { checkImageDimensions, MAX_IMAGE_PIXELS, type PixelImage } from '../../engine/image.ts';
import { badRequest } from './peer-error.ts';

/** Decoded pixels with a hash of them (the same pixels, the same hash). */
export interface RequestImage {
  pixels: PixelImage;
  hash: string;
}

/** The formats sharp decodes that vLLM's PIL also reads. */
const FORMATS = new Set(['png', 'jpeg', 'webp', 'gif']);

/** Decodes `url` (`data:image/…;base64,…`); a URL that is not a usable image is a 400. */
export async function decodeDataUrl(url: string, index: number): Promise<RequestImage> {
  const match = /^data:([^,]*?);base64,(.*)$/is.exec(url);
  const payload = match?.[2]?.trim();
  if (!payload) throw badRequest(`Image ${index + 1} is not a base64 data URL (data:image/png;base64,…).`);
  const bytes = Buffer.from(payload, 'base64');
  const failure = (detail: string): Error => badRequest(`Image ${index + 1} cannot be read: ${detail}`);
  let format: string | undefined;
  try {
    const metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
    format = metadata.format;
    checkImageDimensions(metadata.width, metadata.height);
  } catch (error) {
    if (error instanceof EngineError) throw failure(error.message);
    throw failure('its data is not a PNG, JPEG, WebP or GIF image.');
  }
  if (!format || !FORMATS.has(format))
    throw failure(`${format ? format.toUpperCase() : 'These'} images are not accepted; send PNG, JPEG, WebP or GIF.`);
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const pixels: PixelImage = {
      width: info.width,
      height: info.height,
      channels: 3,
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    };
    if (info.channels !== 3) throw new Error(`${info.channels} channels`);
    const hash = createHash('sha256').update(`${info.width}x${info.height}:`).update(pixels.data).digest('hex');
    return { pixels, hash };
  } catch {
    throw failure('the image data is corrupt or incomplete.');
  }
}
