import { RawImage } from '@huggingface/transformers';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import type { PixelImage } from '../image.ts';
import { pngDataUrl } from './image-data-url.ts';

const PREFIX = 'data:image/png;base64,';

function decodeDataUrl(url: string): { width: number; height: number; channels: number; data: number[] } {
  expect(url.startsWith(PREFIX)).toBe(true);
  const png = decode(Uint8Array.from(atob(url.slice(PREFIX.length)), (char) => char.charCodeAt(0)));
  return { width: png.width, height: png.height, channels: png.channels, data: Array.from(png.data) };
}

/** Every byte value in every channel at least once, so a swapped or shifted channel shows. */
function ramp(width: number, height: number, channels: 3 | 4): PixelImage {
  const data = new Uint8ClampedArray(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + 11) % 256;
  return { width, height, channels, data };
}

describe('pngDataUrl', () => {
  it('carries an RGB image losslessly', () => {
    const image = ramp(23, 17, 3);
    expect(decodeDataUrl(pngDataUrl(image))).toEqual({
      width: 23,
      height: 17,
      channels: 3,
      data: Array.from(image.data),
    });
  });

  it('gives a four-channel image the RGB the local processor uses (alpha dropped, not composited)', () => {
    const image = ramp(19, 11, 4);
    const local = new RawImage(image.data, image.width, image.height, 4).rgb();
    const sent = decodeDataUrl(pngDataUrl(image));
    expect(sent.channels).toBe(3);
    expect(sent.data).toEqual(Array.from(local.data));
    // A fully transparent pixel keeps its colour: nothing is blended onto white or black.
    const transparent: PixelImage = { width: 1, height: 1, channels: 4, data: Uint8Array.of(200, 100, 50, 0) };
    expect(decodeDataUrl(pngDataUrl(transparent)).data).toEqual([200, 100, 50]);
  });

  it('encodes a PNG larger than one base64 chunk', () => {
    const data = new Uint8Array(300 * 200 * 3);
    let state = 0x9e3779b9;
    for (let i = 0; i < data.length; i++) {
      // xorshift32 noise, so the PNG stays as large as the pixels
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      data[i] = state & 0xff;
    }
    const url = pngDataUrl({ width: 300, height: 200, channels: 3, data });
    expect(url.length).toBeGreaterThan(4 * 0x8000);
    expect(decodeDataUrl(url).data).toEqual(Array.from(data));
  });

  it('refuses pixel data that does not match the size', () => {
    expect(() => pngDataUrl({ width: 2, height: 2, channels: 3, data: new Uint8Array(11) })).toThrow(RangeError);
  });
});
