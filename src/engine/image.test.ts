import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { bmpHeader } from '../../scripts/samples/test-images.ts';
import { InvalidImageError } from './errors.ts';
import { IMAGE_FILE_ACCEPT, IMAGE_FORMATS, imageFormatList, readImageHeader } from './image.ts';

const REASON = 'the reason';

/** An ICO directory with entries of the given sizes (0 stands for 256, as in the format). */
function icoDirectory(sizes: [number, number][]): Uint8Array {
  const bytes = Buffer.alloc(6 + 16 * sizes.length);
  bytes.writeUInt16LE(1, 2);
  bytes.writeUInt16LE(sizes.length, 4);
  sizes.forEach(([width, height], i) => {
    bytes[6 + 16 * i] = width;
    bytes[7 + 16 * i] = height;
  });
  return bytes;
}

const pixels = () => sharp({ create: { width: 6, height: 4, channels: 3, background: '#3366cc' } });

/** Replaces every occurrence of a 4-character brand in an ISO-BMFF file's header. */
function rebrand(bytes: Buffer, from: string, to: string): Buffer {
  const copy = Buffer.from(bytes);
  const ftypEnd = copy.readUInt32BE(0);
  for (let at = 8; at + 4 <= ftypEnd; at += 4) {
    if (copy.toString('latin1', at, at + 4) === from) copy.write(to, at, 'latin1');
  }
  return copy;
}

function refusal(bytes: Uint8Array): InvalidImageError {
  try {
    readImageHeader(bytes, REASON);
  } catch (error) {
    if (error instanceof InvalidImageError) return error;
    throw error;
  }
  throw new Error('the header was accepted');
}

describe('the accepted formats', () => {
  it('are named for people in one phrase', () => {
    expect(IMAGE_FORMATS).toEqual(['png', 'jpg', 'webp', 'gif', 'avif', 'bmp', 'ico']);
    expect(imageFormatList()).toBe('PNG, JPEG, WebP, GIF, AVIF, BMP or ICO');
  });

  it('are what a file input offers, by type and by extension', () => {
    const accept = IMAGE_FILE_ACCEPT.split(',');
    for (const type of [
      'image/png',
      'image/jpeg',
      'image/webp',
      'image/gif',
      'image/avif',
      'image/bmp',
      'image/x-icon',
    ]) {
      expect(accept).toContain(type);
    }
    for (const extension of ['.png', '.jpg', '.jpeg', '.webp', '.gif', '.avif', '.bmp', '.ico']) {
      expect(accept).toContain(extension);
    }
    expect(accept.every((item) => /^(image\/[a-z.+-]+|\.[a-z]+)$/.test(item))).toBe(true);
    expect(accept).not.toContain('image/*');
    expect(accept).not.toContain('image/tiff');
    expect(accept).not.toContain('image/svg+xml');
  });
});

describe('readImageHeader', () => {
  it.each([
    ['png', () => pixels().png().toBuffer()],
    ['jpg', () => pixels().jpeg().toBuffer()],
    ['webp', () => pixels().webp().toBuffer()],
    ['gif', () => pixels().gif().toBuffer()],
    ['avif', () => pixels().avif().toBuffer()],
    ['bmp', () => Promise.resolve(bmpHeader(6, -4))],
    ['ico', () => Promise.resolve(icoDirectory([[6, 4]]))],
  ] as const)('reads a %s header', async (format, bytes) => {
    expect(readImageHeader(await bytes(), REASON)).toEqual({ format, width: 6, height: 4 });
  });

  it('applies EXIF orientation from a JPEG header', async () => {
    const jpeg = await pixels().jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect(readImageHeader(jpeg, REASON)).toEqual({ format: 'jpg', width: 4, height: 6 });
  });

  it('gives an icon the size of its largest image', () => {
    expect(
      readImageHeader(
        icoDirectory([
          [16, 16],
          [0, 0],
          [48, 48],
        ]),
        REASON,
      ),
    ).toEqual({
      format: 'ico',
      width: 256,
      height: 256,
    });
  });

  it('reads the 16-bit sides of an OS/2 BMP header', () => {
    const bytes = Buffer.alloc(26);
    bytes.write('BM', 0, 'latin1');
    bytes.writeUInt32LE(12, 14);
    bytes.writeUInt16LE(300, 18);
    bytes.writeUInt16LE(200, 20);
    expect(readImageHeader(bytes, REASON)).toEqual({ format: 'bmp', width: 300, height: 200 });
  });

  it('takes an AVIF whose major brand is mif1 for an AVIF', async () => {
    const avif = await pixels().avif().toBuffer();
    const mif1 = Buffer.from(avif);
    mif1.write('mif1', 8, 'latin1');
    expect(readImageHeader(mif1, REASON).format).toBe('avif');
  });

  it.each([
    ['TIFF', () => pixels().tiff().toBuffer()],
    ['SVG', () => Promise.resolve(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="6" height="4"></svg>'))],
    ['HEIC', async () => rebrand(await pixels().avif().toBuffer(), 'avif', 'heic')],
    ['JPEG 2000', () => Promise.resolve(jp2Header())],
    ['PSD (Photoshop)', () => Promise.resolve(psdHeader())],
  ] as const)('refuses a %s image, naming it and the accepted formats', async (name, bytes) => {
    const error = refusal(await bytes());
    expect(error.code).toBe('invalid-image');
    expect(error.message).toBe(
      `${name} images are not supported: use PNG, JPEG, WebP, GIF, AVIF, BMP or ICO (${REASON}).`,
    );
  });

  it('refuses bytes that are no image, naming the accepted formats', () => {
    const error = refusal(new TextEncoder().encode('Dear reader, this is a letter, not a picture.'));
    expect(error.message).toBe(
      'This file is not an image that can be read (supported: PNG, JPEG, WebP, GIF, AVIF, BMP or ICO).',
    );
  });
});

/** A JPEG 2000 file's first boxes: signature, file type, and the header with its image header. */
function jp2Header(): Buffer {
  const box = (type: string, body: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(8 + body.length, 0);
    head.write(type, 4, 'latin1');
    return Buffer.concat([head, body]);
  };
  const imageHeader = Buffer.alloc(14);
  imageHeader.writeUInt32BE(4, 0);
  imageHeader.writeUInt32BE(6, 4);
  return Buffer.concat([
    box('jP  ', Buffer.from('0d0a870a', 'hex')),
    box('ftyp', Buffer.from('jp2 \0\0\0\0jp2 ', 'latin1')),
    box('jp2h', box('ihdr', imageHeader)),
  ]);
}

/** A Photoshop file header: signature, version 1, six reserved bytes, channels, height, width. */
function psdHeader(): Buffer {
  const bytes = Buffer.alloc(26);
  bytes.write('8BPS', 0, 'latin1');
  bytes.writeUInt16BE(1, 4);
  bytes.writeUInt16BE(3, 12);
  bytes.writeUInt32BE(4, 14);
  bytes.writeUInt32BE(6, 18);
  return bytes;
}
