/** Dropping an image on the page, and the settings a person can change: policy and budget. */
import { expect, test } from './support/app.ts';
import { expectedTokens, sampleImage } from './support/images.ts';

test('an image dropped anywhere on the page is answered', async ({ app }) => {
  const image = await sampleImage('plain', 'magenta', 512, 384);
  await app.open();
  await app.page.evaluate(
    ({ base64, name }) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], name, { type: 'image/png' }));
      const target = document.querySelector('main') ?? document.body;
      for (const type of ['dragenter', 'dragover', 'drop']) {
        target.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
      }
    },
    { base64: image.png.toString('base64'), name: image.name },
  );
  await app.ask();
  await app.expectAnswer('magenta');
  await app.expectMeter(expectedTokens(image.width, image.height, false));
});

test('"Always full resolution" answers at full resolution: used equals the baseline', async ({ app }) => {
  const image = await sampleImage('plain', 'blue', 896, 672);
  await app.open();
  await app.byId('policy').selectOption('full-only');
  await app.chooseImage(image);
  await app.ask();
  await app.expectAnswer('blue');
  const { baseline } = expectedTokens(image.width, image.height, false);
  await app.expectMeter({ used: baseline, baseline, saved: 0 });
});

test('"Always low resolution" never escalates, even for fine detail', async ({ app }) => {
  const image = await sampleImage('detailed', 'red', 896, 672);
  await app.open();
  await app.byId('policy').selectOption('low-only');
  await app.chooseImage(image);
  await app.ask();
  await app.expectAnswer('red');
  await app.expectMeter(expectedTokens(image.width, image.height, false));
});

test('the budget caps the full-resolution image and the baseline with it', async ({ app }) => {
  const image = await sampleImage('detailed', 'green', 1344, 1008);
  await app.open();
  await app.byId('budget').fill('512');
  await app.byId('budget').press('Tab');
  await app.chooseImage(image);
  await app.ask();
  await app.expectAnswer('green');
  const expected = expectedTokens(image.width, image.height, true, 512);
  expect(expected.baseline).toBeLessThanOrEqual(512);
  await app.expectMeter(expected);
});
