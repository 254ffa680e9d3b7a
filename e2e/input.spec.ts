/**
 * Every way in for an image besides a PNG from the file picker, the formats beyond PNG (those of
 * the CLI too), and what happens with files that are not images or not in those formats.
 */
import sharp from 'sharp';
import { expect, test } from './support/app.ts';
import { expectedTokens, sampleImage, type TestImage } from './support/images.ts';

/** The image as a 24-bit BMP: BITMAPINFOHEADER, rows bottom-up in BGR order, padded to 4 bytes. */
async function bmpOf(image: TestImage): Promise<Buffer> {
  const rgb = await sharp(image.png).removeAlpha().raw().toBuffer();
  const stride = Math.ceil((image.width * 3) / 4) * 4;
  const pixels = Buffer.alloc(stride * image.height);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const i = (y * image.width + x) * 3;
      pixels.set([rgb[i + 2] ?? 0, rgb[i + 1] ?? 0, rgb[i] ?? 0], (image.height - 1 - y) * stride + x * 3);
    }
  }
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(54 + pixels.length, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(image.width, 18);
  header.writeInt32LE(image.height, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  return Buffer.concat([header, pixels]);
}

interface GalleryEntry {
  id: string;
  file: string;
  label: string;
  questions: string[];
}

test('a pasted image is answered', async ({ app }) => {
  const image = await sampleImage('plain', 'yellow', 640, 480);
  await app.open();
  await app.paste(image);
  await app.ask();
  await app.expectAnswer('yellow');
  await app.expectMeter(expectedTokens(image.width, image.height, false));
});

test('an image from a URL is answered', async ({ app }) => {
  const response = await app.page.request.get('/samples/index.json');
  expect(response.ok(), 'the gallery index is served').toBe(true);
  const gallery = (await response.json()) as GalleryEntry[];
  const entry = gallery.find((e) => e.id === 'detailed-green-896x672');
  expect(entry, 'the gallery lists detailed-green-896x672').toBeDefined();
  if (!entry) return;

  await app.open();
  await app.enterUrl(new URL(`/samples/${entry.file}`, app.origin).href);
  await app.ask();
  await app.expectAnswer('green');
  await app.expectMeter(expectedTokens(896, 672, true));
});

test('a file that is not an image gets a clear error, and the app still works', async ({ app }) => {
  await app.open();
  await app.chooseFile({
    name: 'notes.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from('Shopping list: eggs, flour, milk.\n'),
  });
  await app.expectReadableError(/image/i);

  const image = await sampleImage('plain', 'cyan', 448, 336);
  await app.chooseImage(image);
  await app.ask();
  await app.expectAnswer('cyan');
  await expect(app.byId('error')).toBeHidden();
});

test('a corrupt image gets a clear error, and the app still works', async ({ app }) => {
  const valid = await sampleImage('detailed', 'blue', 448, 336);
  await app.open();
  await app.chooseFile({
    name: 'holiday.png',
    mimeType: 'image/png',
    buffer: valid.png.subarray(0, Math.floor(valid.png.length / 2)),
  });
  await app.expectReadableError(/image/i);

  await app.chooseImage(valid);
  await app.ask();
  await app.expectAnswer('blue');
  await app.expectMeter(expectedTokens(valid.width, valid.height, true));
  await expect(app.byId('error')).toBeHidden();
});

test('a BMP from the file picker is answered; a TIFF gets an error naming the formats that open', async ({ app }) => {
  const image = await sampleImage('plain', 'magenta', 448, 336);
  await app.open();
  const input = app.byId('dropzone').getByTestId('dropzone.input');
  await expect(input).toHaveAttribute('accept', /(^|,)image\/bmp(,|$)/);
  await expect(input).not.toHaveAttribute('accept', /image\/(\*|tiff)/);

  const tiff = await sharp(image.png).tiff().toBuffer();
  await app.chooseFile({ name: 'scan.tiff', mimeType: 'image/tiff', buffer: tiff });
  const message = await app.expectReadableError(/TIFF/);
  expect(message).toContain('TIFF images are not supported: use PNG, JPEG, WebP, GIF, AVIF, BMP or ICO');

  await app.chooseFile({ name: 'plain-magenta.bmp', mimeType: 'image/bmp', buffer: await bmpOf(image) });
  await app.ask();
  await app.expectAnswer('magenta');
  await app.expectMeter(expectedTokens(image.width, image.height, false));
  await expect(app.byId('error')).toBeHidden();
});
