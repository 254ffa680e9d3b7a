/**
 * The VisionThink loop as a person sees it: a plain image is answered from the low-resolution
 * look, a detailed one makes the model ask for the full image; the meter and the session totals
 * agree with the engine's token math to the token.
 */
import { mkdir } from 'node:fs/promises';
import sharp from 'sharp';
import { expect, test } from './support/app.ts';
import { expectedTokens, sampleImage } from './support/images.ts';

const size = (width: number, height: number) => new RegExp(`${width}\\s*[×x]\\s*${height}`);

test('a plain image is answered at low resolution, and the meter shows the saving', async ({ app }) => {
  const image = await sampleImage('plain', 'blue', 896, 672);
  const expected = expectedTokens(image.width, image.height, false);
  expect(expected).toMatchObject({ used: 192, baseline: 768, saved: 576 });

  const opened = Date.now();
  await app.open();
  await app.chooseImage(image);
  await app.byId('question').fill('What colour is this image?');
  await expect(app.byId('ask')).toBeEnabled({ timeout: 120_000 });
  app.time('loadMs', Date.now() - opened);

  const asked = Date.now();
  await app.ask();
  await app.expectAnswer('blue');
  app.time('answerMs', Date.now() - asked);

  await app.expectMeter(expected);
  await app.expectSession({ ...expected, escalations: 0 });
  const trace = app.byId('trace');
  await expect(trace).toContainText(size(expected.plan.low.width, expected.plan.low.height));
  await expect(trace).toContainText(String(expected.plan.low.visualTokens));
});

test(
  'a detailed image makes the model ask for the full image; the meter shows the extra',
  { tag: '@screenshot' },
  async ({ app }, testInfo) => {
    const image = await sampleImage('detailed', 'green', 896, 672);
    const expected = expectedTokens(image.width, image.height, true);
    // The full image fits the budget, so escalating costs the low look on top of the baseline.
    expect(expected).toMatchObject({ used: 960, baseline: 768, saved: -192 });

    await app.open();
    await app.chooseImage(image);
    const asked = Date.now();
    await app.ask();
    await app.expectAnswer('green');
    app.time('answerMs', Date.now() - asked);

    await app.expectMeter(expected);
    await app.expectSession({ ...expected, escalations: 1 });
    const trace = app.byId('trace');
    await expect(trace).toContainText(size(expected.plan.low.width, expected.plan.low.height));
    await expect(trace).toContainText(size(expected.plan.full.width, expected.plan.full.height));
    await expect(trace).toContainText(String(expected.plan.low.visualTokens));
    await expect(trace).toContainText(String(expected.plan.full.visualTokens));

    const screenshot = await app.page.screenshot({ fullPage: true });
    await testInfo.attach('escalated-run.png', { body: screenshot, contentType: 'image/png' });
    // The README's picture: written on request only (`npm run screenshot`), so that a test run
    // leaves the work tree as it found it.
    if (process.env.UPDATE_SCREENSHOT === '1' && app.project === 'wasm') {
      await mkdir('docs', { recursive: true });
      await sharp(screenshot).png({ palette: true, compressionLevel: 9 }).toFile('docs/screenshot.png');
    }
  },
);

test('session totals add up over several questions', async ({ app }) => {
  const plain = await sampleImage('plain', 'red', 448, 336);
  const detailed = await sampleImage('detailed', 'magenta', 672, 896);
  const first = expectedTokens(plain.width, plain.height, false);
  const second = expectedTokens(detailed.width, detailed.height, true);

  await app.open();
  await app.chooseImage(plain);
  await app.ask();
  await app.expectAnswer('red');
  await app.expectMeter(first);

  await app.chooseImage(detailed);
  await app.ask();
  await app.expectAnswer('magenta');
  await app.expectMeter(second);
  await app.expectSession({
    used: first.used + second.used,
    baseline: first.baseline + second.baseline,
    saved: first.saved + second.saved,
    escalations: 1,
  });
});
