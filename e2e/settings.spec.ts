/**
 * Dropping an image on the page, and the settings a person can change: policy and budget. One page
 * for all of them, as a person tries one setting after another: the model loads once.
 */
import { allowTimeForScenarios, expect, test } from './support/app.ts';
import { expectedTokens, sampleImage } from './support/images.ts';

test('an image dropped on the page is answered; each policy and the budget change what the meter shows', async ({
  app,
}) => {
  allowTimeForScenarios(4);
  await app.open();

  await test.step('an image dropped anywhere on the page is answered', async () => {
    const image = await sampleImage('plain', 'magenta', 512, 384);
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

  await test.step('"Always full resolution" answers at full resolution: used equals the baseline', async () => {
    const image = await sampleImage('plain', 'blue', 896, 672);
    await app.byId('policy').selectOption('full-only');
    await app.chooseImage(image);
    await app.ask();
    await app.expectAnswer('blue');
    const { baseline } = expectedTokens(image.width, image.height, false);
    await app.expectMeter({ used: baseline, baseline, saved: 0 });
  });

  await test.step('"Always low resolution" never escalates, even for fine detail', async () => {
    const image = await sampleImage('detailed', 'red', 896, 672);
    await app.byId('policy').selectOption('low-only');
    await app.chooseImage(image);
    await app.ask();
    await app.expectAnswer('red');
    await app.expectMeter(expectedTokens(image.width, image.height, false));
  });

  await test.step('the budget caps the full-resolution image and the baseline with it', async () => {
    const image = await sampleImage('detailed', 'green', 1344, 1008);
    // Back to the model's own choice, so that the detailed image escalates.
    await app.byId('policy').selectOption('visionthink');
    await app.byId('budget').fill('512');
    await app.byId('budget').press('Tab');
    await app.chooseImage(image);
    await app.ask();
    await app.expectAnswer('green');
    const expected = expectedTokens(image.width, image.height, true, 512);
    expect(expected.baseline).toBeLessThanOrEqual(512);
    await app.expectMeter(expected);
  });
});
