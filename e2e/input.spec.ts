/**
 * Every way in for an image besides a PNG from the file picker, the formats beyond PNG (those of
 * the CLI too), and what happens with files that are not images or not in those formats. One page
 * for all of them, as a person tries one image after another: the model loads once, and each error
 * is followed by a question that must still be answered.
 */
import sharp from 'sharp';
import { allowTimeForScenarios, expect, test } from './support/app.ts';
import { sampleBmp } from '../scripts/samples/test-images.ts';
import { expectedTokens, sampleImage } from './support/images.ts';

interface GalleryEntry {
  id: string;
  file: string;
  label: string;
  questions: string[];
}

test('every way in for an image, and files that do not open: a clear error, and the next image is answered', async ({
  app,
}) => {
  allowTimeForScenarios(5);
  await app.open();

  await test.step('a pasted image is answered', async () => {
    const image = await sampleImage('plain', 'yellow', 640, 480);
    await app.paste(image);
    await app.ask();
    await app.expectAnswer('yellow');
    await app.expectMeter(expectedTokens(image.width, image.height, false));
  });

  await test.step('an image from a URL is answered', async () => {
    const response = await app.page.request.get('/samples/index.json');
    expect(response.ok(), 'the gallery index is served').toBe(true);
    const gallery = (await response.json()) as GalleryEntry[];
    const entry = gallery.find((e) => e.id === 'detailed-green-896x672');
    expect(entry, 'the gallery lists detailed-green-896x672').toBeDefined();
    if (!entry) return;

    await app.enterUrl(new URL(`/samples/${entry.file}`, app.origin).href);
    await app.ask();
    await app.expectAnswer('green');
    await app.expectMeter(expectedTokens(896, 672, true));
  });

  await test.step('a file that is not an image gets a clear error, and the app still works', async () => {
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

  await test.step('a corrupt image gets a clear error, and the app still works', async () => {
    const valid = await sampleImage('detailed', 'blue', 448, 336);
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

  await test.step('a BMP from the file picker is answered; a TIFF gets an error naming the formats that open', async () => {
    const image = await sampleImage('plain', 'magenta', 448, 336);
    const input = app.byId('dropzone').getByTestId('dropzone.input');
    await expect(input).toHaveAttribute('accept', /(^|,)image\/bmp(,|$)/);
    await expect(input).not.toHaveAttribute('accept', /image\/(\*|tiff)/);

    const tiff = await sharp(image.png).tiff().toBuffer();
    await app.chooseFile({ name: 'scan.tiff', mimeType: 'image/tiff', buffer: tiff });
    const message = await app.expectReadableError(/TIFF/);
    expect(message).toContain('TIFF images are not supported: use PNG, JPEG, WebP, GIF, AVIF, BMP or ICO');

    await app.chooseFile({
      name: 'plain-magenta.bmp',
      mimeType: 'image/bmp',
      buffer: sampleBmp(image.kind, image.colour, image.width, image.height),
    });
    await app.ask();
    await app.expectAnswer('magenta');
    await app.expectMeter(expectedTokens(image.width, image.height, false));
    await expect(app.byId('error')).toBeHidden();
  });
});
