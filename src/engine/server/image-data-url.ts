/**
 * The image part a model server receives: the very pixels the local engine would give its
 * processor, losslessly, as a `data:image/png;base64,…` URL (the one form vLLM, llama.cpp's server
 * and Ollama all accept; Ollama takes no http(s) image URLs).
 */
import { encode } from 'fast-png';
import type { PixelImage } from '../image.ts';

/**
 * The image as a PNG data URL, RGB only. A fourth channel is dropped, not composited: that is what
 * the local engine's processor does (transformers.js `RawImage.rgb()` keeps R, G and B of each
 * RGBA pixel), and what PIL's `convert("RGB")` does on the server for an RGBA PNG, so both
 * backends see the same colours even where the image is transparent.
 */
export function pngDataUrl(image: PixelImage): string {
  const png = encode({ width: image.width, height: image.height, data: rgbPixels(image), channels: 3, depth: 8 });
  return `data:image/png;base64,${base64(png)}`;
}

function rgbPixels(image: PixelImage): Uint8Array | Uint8ClampedArray {
  const pixels = image.width * image.height;
  if (image.data.length !== pixels * image.channels) {
    throw new RangeError(
      `The image has ${image.data.length} bytes, not the ${pixels * image.channels} its ${image.width}×${image.height}×${image.channels} size needs.`,
    );
  }
  if (image.channels === 3) return image.data;
  const rgb = new Uint8Array(pixels * 3);
  for (let pixel = 0, from = 0, to = 0; pixel < pixels; pixel++, from += 4, to += 3) {
    rgb[to] = image.data[from] ?? 0;
    rgb[to + 1] = image.data[from + 1] ?? 0;
    rgb[to + 2] = image.data[from + 2] ?? 0;
  }
  return rgb;
}

/** Characters per `String.fromCharCode` call: well under every engine's argument limit. */
const CHUNK = 0x8000;

/** Base64 with `btoa`, which workers and Node both have (Node's `Buffer` is not in a worker). */
function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let start = 0; start < bytes.length; start += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(start, start + CHUNK));
  }
  return btoa(binary);
}
