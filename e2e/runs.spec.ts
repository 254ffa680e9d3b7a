/**
 * The VisionThink loop as a person sees it: a plain image is answered from the low-resolution
 * look, a detailed one makes the model ask for the full image; the meter and the session totals
 * agree with the engine's token math to the token. One page for the whole story: the model loads
 * once, and the session totals add up over every question the page answered.
 */
import { mkdir } from 'node:fs/promises';
import sharp from 'sharp';
import { allowTimeForScenarios, expect, test } from './support/app.ts';
import { expectedTokens, sampleImage } from './support/images.ts';

const size = (width: number, height: number) => new RegExp(`${width}\\s*[×x]\\s*${height}`);

test(
  'plain images are answered at low resolution, detailed ones at full; meter and session totals to the token',
  { tag: '@screenshot' },
  async ({ app }, testInfo) => {
    allowTimeForScenarios(3);
    const detailed = await sampleImage('detailed', 'green', 896, 672);
    const plain = await sampleImage('plain', 'blue', 896, 672);
    const detailedTokens = expectedTokens(detailed.width, detailed.height, true);
    const plainTokens = expectedTokens(plain.width, plain.height, false);
    // The full image fits the budget, so escalating costs the low look on top of the baseline.
    expect(detailedTokens).toMatchObject({ used: 960, baseline: 768, saved: -192 });
    expect(plainTokens).toMatchObject({ used: 192, baseline: 768, saved: 576 });

    // First, on the fresh page: the README's picture shows this question alone.
    await test.step('a detailed image makes the model ask for the full image; the meter shows the extra', async () => {
      const opened = Date.now();
      await app.open();
      await app.chooseImage(detailed);
      await app.byId('question').fill('What colour is this image?');
      await expect(app.byId('ask')).toBeEnabled({ timeout: 120_000 });
      app.time('loadMs', Date.now() - opened);

      const asked = Date.now();
      await app.ask();
      await app.expectAnswer('green');
      app.time('detailedAnswerMs', Date.now() - asked);

      await app.expectMeter(detailedTokens);
      await app.expectSession({ ...detailedTokens, escalations: 1 });
      const trace = app.byId('trace');
      await expect(trace).toContainText(size(detailedTokens.plan.low.width, detailedTokens.plan.low.height));
      await expect(trace).toContainText(size(detailedTokens.plan.full.width, detailedTokens.plan.full.height));
      await expect(trace).toContainText(String(detailedTokens.plan.low.visualTokens));
      await expect(trace).toContainText(String(detailedTokens.plan.full.visualTokens));

      const screenshot = await app.page.screenshot({ fullPage: true });
      await testInfo.attach('escalated-run.png', { body: screenshot, contentType: 'image/png' });
      // The README's picture: written on request only (`npm run screenshot`), so that a test run
      // leaves the work tree as it found it.
      if (process.env.UPDATE_SCREENSHOT === '1' && app.project === 'wasm') {
        await mkdir('docs', { recursive: true });
        await sharp(screenshot).png({ palette: true, compressionLevel: 9 }).toFile('docs/screenshot.png');
      }
    });

    await test.step('a plain image is answered at low resolution, and the meter shows the saving', async () => {
      await app.chooseImage(plain);
      const asked = Date.now();
      await app.ask();
      await app.expectAnswer('blue');
      app.time('plainAnswerMs', Date.now() - asked);

      await app.expectMeter(plainTokens);
      // Added to the detailed question's; no escalation this time.
      await app.expectSession({
        used: detailedTokens.used + plainTokens.used,
        baseline: detailedTokens.baseline + plainTokens.baseline,
        saved: detailedTokens.saved + plainTokens.saved,
        escalations: 1,
      });
      const trace = app.byId('trace');
      await expect(trace).toContainText(size(plainTokens.plan.low.width, plainTokens.plan.low.height));
      await expect(trace).toContainText(String(plainTokens.plan.low.visualTokens));
      // This question's trace, not the detailed one's: one round, no full image.
      await expect(app.page.getByTestId('trace.round-2')).toHaveCount(0);
    });

    await test.step('session totals add up over several questions', async () => {
      const smallPlain = await sampleImage('plain', 'red', 448, 336);
      const portrait = await sampleImage('detailed', 'magenta', 672, 896);
      const third = expectedTokens(smallPlain.width, smallPlain.height, false);
      const fourth = expectedTokens(portrait.width, portrait.height, true);

      await app.chooseImage(smallPlain);
      await app.ask();
      await app.expectAnswer('red');
      await app.expectMeter(third);

      await app.chooseImage(portrait);
      await app.ask();
      await app.expectAnswer('magenta');
      await app.expectMeter(fourth);
      const all = [detailedTokens, plainTokens, third, fourth];
      await app.expectSession({
        used: all.reduce((sum, tokens) => sum + tokens.used, 0),
        baseline: all.reduce((sum, tokens) => sum + tokens.baseline, 0),
        saved: all.reduce((sum, tokens) => sum + tokens.saved, 0),
        escalations: 2,
      });
    });
  },
);
